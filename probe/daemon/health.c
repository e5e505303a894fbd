/*
 * health.c - the daemon's last minute, in buckets (health.h).
 */
#include "health.h"

#include <string.h>

static int64_t slot_of(int64_t mono_us)
{
	return (mono_us < 0 ? 0 : mono_us) / GP_HEALTH_BUCKET_US + 1;
}

static struct gp_health_bucket *bucket(struct gp_health_window *w, int64_t mono_us)
{
	int64_t slot = slot_of(mono_us);
	struct gp_health_bucket *b = &w->b[slot % GP_HEALTH_BUCKETS];
	if (b->slot != slot)
		*b = (struct gp_health_bucket){.slot = slot};
	return b;
}

void gp_health_started(struct gp_health_window *w, int64_t mono_us, int64_t late_us)
{
	struct gp_health_bucket *b = bucket(w, mono_us);
	if (late_us > b->max_late_us)
		b->max_late_us = late_us;
	b->late += late_us > 1000000;
}

void gp_health_rrd(struct gp_health_window *w, int64_t mono_us, unsigned long failed_total,
		   unsigned long dropped_total)
{
	struct gp_health_bucket *b = bucket(w, mono_us);
	/* Totals that went down: a writer started anew (a reload). */
	b->rrd_failed += failed_total >= w->rrd_failed_total ? failed_total - w->rrd_failed_total
							     : failed_total;
	b->rrd_dropped += dropped_total >= w->rrd_dropped_total
				  ? dropped_total - w->rrd_dropped_total
				  : dropped_total;
	w->rrd_failed_total = failed_total;
	w->rrd_dropped_total = dropped_total;
}

void gp_health_sum(const struct gp_health_window *w, int64_t mono_us, struct gp_probe_health *out)
{
	int64_t now = slot_of(mono_us);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < GP_HEALTH_BUCKETS; i++) {
		const struct gp_health_bucket *b = &w->b[i];
		if (!b->slot || b->slot <= now - GP_HEALTH_BUCKETS || b->slot > now)
			continue;
		if (b->max_late_us / 1000 > out->lag_ms)
			out->lag_ms = b->max_late_us / 1000;
		out->late += b->late;
		out->rrd_failed += b->rrd_failed;
		out->rrd_dropped += b->rrd_dropped;
	}
}
