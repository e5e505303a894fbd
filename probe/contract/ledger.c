/*
 * ledger.c - what each second of a service's term counts as (see ledger.h).
 *
 * The window is cut at every boundary of every input; within one piece
 * nothing changes, so its class is decided once, by the rules of ledger.h,
 * with one cursor per input moving forward (each input is sorted).
 */
#include "ledger.h"
#include "util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *gp_sla_class_name(enum gp_sla_class c)
{
	static const char *const names[] = {"up", "degraded", "down", "maintenance", "voided",
					    "unmonitored"};
	return (unsigned)c < GP_SLA_N ? names[c] : "?";
}

static const char *const attr_names[] = {"supplier", "customer", "third-party", "unattributed"};

const char *gp_attribution_name(enum gp_attribution a)
{
	return (unsigned)a < GP_ATTR_N ? attr_names[a] : "?";
}

bool gp_attribution_parse(const char *name, enum gp_attribution *out)
{
	for (int a = 0; a < GP_ATTR_N; a++)
		if (name && !strcmp(name, attr_names[a])) {
			*out = (enum gp_attribution)a;
			return true;
		}
	return false;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_span(const void *a, const void *b)
{
	return cmp_i64(&((const struct gp_span *)a)->start, &((const struct gp_span *)b)->start);
}

size_t gp_span_merge(struct gp_span *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].end <= v[i].start)
			continue;
		if (k > 0 && v[i].start <= v[k - 1].end) {
			if (v[i].end > v[k - 1].end)
				v[k - 1].end = v[i].end;
		} else {
			v[k++] = v[i];
		}
	}
	return k;
}

/* Adds t to the cut points when it lies inside (from, to). */
static void cut(int64_t **pts, size_t *n, size_t *cap, int64_t t, int64_t from, int64_t to)
{
	if (t <= from || t >= to)
		return;
	gp_grow((void **)pts, cap, *n, sizeof(**pts));
	(*pts)[(*n)++] = t;
}

/* Every input begins with `int64_t start, end`: one cursor walk serves
 * them all. */
_Static_assert(offsetof(struct gp_sla_period, end) == sizeof(int64_t), "start, end first");
_Static_assert(offsetof(struct gp_sla_outage, end) == sizeof(int64_t), "start, end first");
_Static_assert(offsetof(struct gp_sla_manual, end) == sizeof(int64_t), "start, end first");
_Static_assert(offsetof(struct gp_span, end) == sizeof(int64_t), "start, end first");

/* Moves cursor *i over the n spans of `base` (each `stride` bytes) past
 * those that end at or before t; true when the one it then stands on
 * covers t. */
static bool covers(const void *base, size_t stride, size_t n, size_t *i, int64_t t)
{
	for (; *i < n; (*i)++) {
		const int64_t *se = (const int64_t *)((const char *)base + *i * stride);
		if (se[1] > t)
			return se[0] <= t;
	}
	return false;
}

#define AT(arr, n, i, t) covers((arr), sizeof(*(arr)), (n), (i), (t))

size_t gp_sla_classify(const struct gp_sla_input *in, int64_t from, int64_t to,
		       struct gp_sla_segment **out)
{
	*out = NULL;
	if (to <= from)
		return 0;

	/* Maintenance windows may overlap: their union. */
	struct gp_span *mw = NULL;
	size_t n_mw = in->n_maintenance;
	if (n_mw > 0) {
		mw = gp_xcalloc(n_mw, sizeof(*mw));
		memcpy(mw, in->maintenance, n_mw * sizeof(*mw));
		qsort(mw, n_mw, sizeof(*mw), cmp_span);
		n_mw = gp_span_merge(mw, n_mw);
	}

	int64_t *pts = NULL;
	size_t n_pts = 0, cap_pts = 0;
	cut(&pts, &n_pts, &cap_pts, from, from - 1, to);
	for (size_t i = 0; i < in->n_periods; i++) {
		cut(&pts, &n_pts, &cap_pts, in->periods[i].start, from, to);
		cut(&pts, &n_pts, &cap_pts, in->periods[i].end, from, to);
	}
	for (size_t i = 0; i < in->n_outages; i++) {
		cut(&pts, &n_pts, &cap_pts, in->outages[i].start, from, to);
		cut(&pts, &n_pts, &cap_pts, in->outages[i].end, from, to);
	}
	for (size_t i = 0; i < in->n_manual; i++) {
		cut(&pts, &n_pts, &cap_pts, in->manual[i].start, from, to);
		cut(&pts, &n_pts, &cap_pts, in->manual[i].end, from, to);
	}
	for (size_t i = 0; i < n_mw; i++) {
		cut(&pts, &n_pts, &cap_pts, mw[i].start, from, to);
		cut(&pts, &n_pts, &cap_pts, mw[i].end, from, to);
	}
	qsort(pts, n_pts, sizeof(*pts), cmp_i64);

	struct gp_sla_segment *seg = NULL;
	size_t n = 0, cap = 0;
	size_t ip = 0, io = 0, im = 0, iw = 0;
	for (size_t k = 0; k < n_pts; k++) {
		if (k > 0 && pts[k] == pts[k - 1])
			continue;
		int64_t a = pts[k];
		int64_t b = to;
		for (size_t j = k + 1; j < n_pts; j++)
			if (pts[j] != a) {
				b = pts[j];
				break;
			}

		struct gp_sla_segment s = {.start = a, .end = b, .cls = GP_SLA_UNMONITORED};
		bool probe_down = false;
		if (AT(in->periods, in->n_periods, &ip, a)) {
			switch (in->periods[ip].state) {
			case GP_LEDGER_UP: s.cls = GP_SLA_UP; break;
			case GP_LEDGER_DEGRADED: s.cls = GP_SLA_DEGRADED; break;
			case GP_LEDGER_DOWN: s.cls = GP_SLA_DOWN; probe_down = true; break;
			default: break; /* UNKNOWN, UNMONITORED */
			}
		}
		bool voided = false;
		if (probe_down) {
			s.attribution = GP_ATTR_UNATTRIBUTED;
			if (AT(in->outages, in->n_outages, &io, a)) {
				s.attribution = in->outages[io].attribution;
				s.incident = in->outages[io].incident;
				voided = in->outages[io].voided;
			}
		} else if (s.cls == GP_SLA_UNMONITORED && AT(in->manual, in->n_manual, &im, a)) {
			s.cls = GP_SLA_DOWN;
			s.attribution = in->manual[im].attribution;
			s.manual = in->manual[im].id;
		}
		if (s.cls == GP_SLA_DOWN) {
			if (AT(mw, n_mw, &iw, a))
				s.cls = GP_SLA_MAINTENANCE;
			else if (voided)
				s.cls = GP_SLA_VOIDED;
		}
		if (s.cls != GP_SLA_DOWN && s.cls != GP_SLA_MAINTENANCE && s.cls != GP_SLA_VOIDED)
			s.attribution = 0;

		struct gp_sla_segment *last = n > 0 ? &seg[n - 1] : NULL;
		if (last && last->cls == s.cls && last->attribution == s.attribution &&
		    last->incident == s.incident && last->manual == s.manual) {
			last->end = b;
		} else {
			gp_grow((void **)&seg, &cap, n, sizeof(*seg));
			seg[n++] = s;
		}
	}
	free(pts);
	free(mw);
	*out = seg;
	return n;
}

void gp_sla_add_totals(const struct gp_sla_segment *seg, size_t n, struct gp_sla_totals *t)
{
	for (size_t i = 0; i < n; i++) {
		int64_t len = seg[i].end - seg[i].start;
		t->seconds[seg[i].cls] += len;
		if (seg[i].cls == GP_SLA_DOWN)
			t->down[seg[i].attribution] += len;
	}
}

int64_t gp_sla_availability_bp(const struct gp_sla_totals *t)
{
	int64_t good = t->seconds[GP_SLA_UP] + t->seconds[GP_SLA_DEGRADED] +
		       t->seconds[GP_SLA_VOIDED];
	int64_t monitored = good + t->seconds[GP_SLA_DOWN];
	if (monitored <= 0)
		return -1;
	/* good * 10000 overflows only past 29 million years of seconds. */
	return good * 10000 / monitored;
}
