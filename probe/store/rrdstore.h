/*
 * rrdstore.h - the check values in RRD files (librrd), one file per check:
 *
 *   DATA_DIR/rrd/TARGET/CHECK.rrd
 *
 * Data sources: "value" (the check's numeric value), then one per metric
 * the collector reported with the first value (an HTTP check's dns_ms,
 * connect_ms, tls_ms, first_byte_ms, total_ms). All GAUGE: a collector
 * turns counters into per-second rates itself (it must, to judge them
 * against thresholds), so what reaches the file is already a rate.
 *
 * Step = the check's interval. Archives: every sample for 2 days; 1-minute
 * AVERAGE/MIN/MAX for 14 days; 5-minute for 90 days; 1-hour for 2 years.
 *
 * With probe.rrdcached set, updates go through rrdcached (files are still
 * created directly); otherwise straight to the files. A failed write is the
 * caller's to log and count; it never stops the probe.
 */
#ifndef GP_RRD_H
#define GP_RRD_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h" /* GP_MAX_METRICS */
#include "config.h"

struct gp_rrd_value {
	char name[32];
	double value;
};

struct gp_rrd;

/* rrdcached: NULL for direct writes, else "unix:/path" (the config refuses TCP).
 * NULL with a reason when DATA_DIR/rrd cannot be made. */
struct gp_rrd *gp_rrd_open(const char *data_dir, const char *rrdcached, char *err, size_t errlen);
void gp_rrd_close(struct gp_rrd *r);

/* Writes a sample taken at `at` (UTC seconds). A second sample in the same
 * second is skipped (RRD's resolution). 0, or -1 with a reason. */
int gp_rrd_update(struct gp_rrd *r, const char *target, const struct gp_check *c, int64_t at,
		  double value, const struct gp_rrd_value *metrics, size_t n_metrics, char *err,
		  size_t errlen);

/* DATA_DIR/rrd/TARGET/CHECK.rrd, malloc'd. */
char *gp_rrd_path(const char *data_dir, const char *target, const char *check);

/* Counters for `gprobe status` and the benchmark. */
struct gp_rrd_stats {
	unsigned long created, updates, skipped, failures;
};
void gp_rrd_get_stats(const struct gp_rrd *r, struct gp_rrd_stats *out);

#endif
