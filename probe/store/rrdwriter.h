/*
 * rrdwriter.h - RRD writes off the scheduler's thread.
 *
 * Creating an RRD file writes its whole archive (about 1.7 MB a data
 * source) and an update may wait on the disk or on rrdcached: on the
 * scheduler's thread that made every check late while files were made.
 * The daemon hands samples to this writer instead: a bounded queue that
 * one thread drains into gp_rrd_update(). Putting never blocks; when the
 * queue is full the sample is dropped and counted (a hole in a graph,
 * never a late check).
 */
#ifndef GP_RRDWRITER_H
#define GP_RRDWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rrdstore.h"

/* Samples waiting at most; about 500 bytes each. */
#define GP_RRD_QUEUE_DEFAULT 16384

struct gp_rrd_writer;

/* Takes r (the writer thread is its only user from now on; the writer
 * closes it). NULL with a reason when the thread cannot start. */
struct gp_rrd_writer *gp_rrd_writer_start(struct gp_rrd *r, size_t capacity, char *err,
					  size_t errlen);

/* Queues a sample of check c of target (both must stay valid until
 * gp_rrd_writer_stop()). false when the queue was full: dropped, counted. */
bool gp_rrd_writer_put(struct gp_rrd_writer *w, const char *target, const struct gp_check *c,
		       int64_t at, double value, const struct gp_rrd_value *metrics,
		       size_t n_metrics);

/* The oldest write error not yet taken, into buf; false when none. Errors
 * past the first few between two calls are only counted. */
bool gp_rrd_writer_error(struct gp_rrd_writer *w, char *buf, size_t len);

struct gp_rrd_writer_stats {
	struct gp_rrd_stats rrd; /* what the writes did */
	unsigned long dropped;   /* samples refused: the queue was full */
	size_t queued, capacity;
};
void gp_rrd_writer_stats(struct gp_rrd_writer *w, struct gp_rrd_writer_stats *out);

/* Writes what is queued, stops the thread, closes the RRD store. */
void gp_rrd_writer_stop(struct gp_rrd_writer *w);

#endif
