/*
 * health.h - how the daemon keeps up, over the last minute, for
 * `check_genesys --self`: the latest start of a check behind its time, the
 * checks started more than a second late, and the RRD writes that failed
 * or were dropped. Pure: the daemon feeds it its monotonic clock.
 *
 * Six buckets of ten seconds; a bucket older than a minute counts for
 * nothing and is reused. The RRD figures are the writer's totals since
 * its start, turned into what happened in each bucket.
 */
#ifndef GP_HEALTH_H
#define GP_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define GP_HEALTH_BUCKETS 6
#define GP_HEALTH_BUCKET_US (10 * 1000000LL)

struct gp_health_window {
	struct gp_health_bucket {
		int64_t slot; /* mono_us / GP_HEALTH_BUCKET_US + 1; 0: unused */
		int64_t max_late_us, late, rrd_failed, rrd_dropped;
	} b[GP_HEALTH_BUCKETS];
	unsigned long rrd_failed_total, rrd_dropped_total; /* at the last look */
};

/* A check started late_us behind its time. */
void gp_health_started(struct gp_health_window *w, int64_t mono_us, int64_t late_us);
/* The RRD writer's totals now (a writer started again counts from 0). */
void gp_health_rrd(struct gp_health_window *w, int64_t mono_us, unsigned long failed_total,
		   unsigned long dropped_total);
/* The last minute's figures (out->at is the caller's to set). */
void gp_health_sum(const struct gp_health_window *w, int64_t mono_us, struct gp_probe_health *out);

#endif
