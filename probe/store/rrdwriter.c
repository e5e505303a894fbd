/*
 * rrdwriter.c - a bounded queue drained by one thread into the RRD files
 * (see rrdwriter.h).
 */
#include "rrdwriter.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample {
	const char *target;
	const struct gp_check *check;
	int64_t at;
	double value;
	struct gp_rrd_value metrics[GP_MAX_METRICS + 1];
	size_t n_metrics;
};

/* Errors kept between two gp_rrd_writer_error() calls. */
#define ERRORS_KEPT 4

struct gp_rrd_writer {
	struct gp_rrd *rrd; /* the thread's alone */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sample *ring;
	size_t cap, head, n;
	bool stopping;
	unsigned long dropped;
	struct gp_rrd_stats rrd_stats; /* copied from rrd after each write */
	char errors[ERRORS_KEPT][256];
	size_t n_errors;
};

static void *run(void *arg)
{
	struct gp_rrd_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n == 0 && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->n == 0)
			break; /* stopping, and all written */
		struct sample s = w->ring[w->head];
		w->head = (w->head + 1) % w->cap;
		w->n--;
		/* The write, long or not, runs without the lock: putting
		 * never waits on the disk. */
		pthread_mutex_unlock(&w->mu);
		char err[256];
		int rc = gp_rrd_update(w->rrd, s.target, s.check, s.at, s.value, s.metrics,
				       s.n_metrics, err, sizeof(err));
		pthread_mutex_lock(&w->mu);
		gp_rrd_get_stats(w->rrd, &w->rrd_stats);
		if (rc != 0 && w->n_errors < ERRORS_KEPT)
			snprintf(w->errors[w->n_errors++], sizeof(w->errors[0]), "%s", err);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct gp_rrd_writer *gp_rrd_writer_start(struct gp_rrd *r, size_t capacity, char *err,
					  size_t errlen)
{
	struct gp_rrd_writer *w = gp_xcalloc(1, sizeof(*w));
	w->rrd = r;
	w->cap = capacity ? capacity : GP_RRD_QUEUE_DEFAULT;
	w->ring = gp_xcalloc(w->cap, sizeof(*w->ring));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	int rc = pthread_create(&w->thread, NULL, run, w);
	if (rc != 0) {
		gp_errf(err, errlen, "cannot start the RRD writer thread: %s", strerror(rc));
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w->ring);
		free(w);
		return NULL;
	}
	return w;
}

bool gp_rrd_writer_put(struct gp_rrd_writer *w, const char *target, const struct gp_check *c,
		       int64_t at, double value, const struct gp_rrd_value *metrics,
		       size_t n_metrics)
{
	pthread_mutex_lock(&w->mu);
	if (w->n == w->cap) {
		w->dropped++;
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	struct sample *s = &w->ring[(w->head + w->n) % w->cap];
	s->target = target;
	s->check = c;
	s->at = at;
	s->value = value;
	s->n_metrics = n_metrics > GP_MAX_METRICS + 1 ? GP_MAX_METRICS + 1 : n_metrics;
	memcpy(s->metrics, metrics, s->n_metrics * sizeof(*metrics));
	w->n++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return true;
}

bool gp_rrd_writer_error(struct gp_rrd_writer *w, char *buf, size_t len)
{
	pthread_mutex_lock(&w->mu);
	bool any = w->n_errors > 0;
	if (any) {
		snprintf(buf, len, "%s", w->errors[0]);
		memmove(w->errors[0], w->errors[1], (w->n_errors - 1) * sizeof(w->errors[0]));
		w->n_errors--;
	}
	pthread_mutex_unlock(&w->mu);
	return any;
}

void gp_rrd_writer_stats(struct gp_rrd_writer *w, struct gp_rrd_writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	out->rrd = w->rrd_stats;
	out->dropped = w->dropped;
	out->queued = w->n;
	out->capacity = w->cap;
	pthread_mutex_unlock(&w->mu);
}

void gp_rrd_writer_stop(struct gp_rrd_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	gp_rrd_close(w->rrd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->ring);
	free(w);
}
