/*
 * ledger.c - what each second of a service's term counts as (see ledger.h).
 *
 * The window is cut at every boundary of every input; within one piece
 * nothing changes, so its class is decided once, by the rules of ledger.h,
 * with one cursor per input moving forward (each input is sorted).
 * At the end, the rules that keep the periods in the store.
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
		s.monitored = s.cls != GP_SLA_UNMONITORED;
		bool voided = false;
		if (probe_down) {
			s.attribution = GP_ATTR_UNATTRIBUTED;
			if (AT(in->outages, in->n_outages, &io, a)) {
				s.attribution = in->outages[io].attribution;
				s.incident = in->outages[io].incident;
				voided = in->outages[io].voided;
			}
		} else if (AT(in->manual, in->n_manual, &im, a) &&
			   (s.cls == GP_SLA_UNMONITORED || in->manual[im].over_monitored)) {
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
		    last->incident == s.incident && last->manual == s.manual &&
		    last->monitored == s.monitored) {
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
		if (seg[i].monitored)
			t->monitored += len;
		if (seg[i].cls == GP_SLA_DOWN)
			t->down[seg[i].attribution] += len;
		if (seg[i].cls == GP_SLA_DOWN && seg[i].manual && seg[i].monitored)
			t->reported += len;
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

int64_t gp_sla_coverage_bp(const struct gp_sla_totals *t, int64_t seconds)
{
	return seconds > 0 ? t->monitored * 10000 / seconds : -1;
}

/* ------------------------------------------------------------------ */
/* The periods in the store                                            */

enum gp_cut_action gp_ledger_cut(int64_t start, int64_t end, int64_t from)
{
	if (start >= from)
		return GP_CUT_DROP;
	return end == 0 || end > from ? GP_CUT_END : GP_CUT_KEEP;
}

/* Period rows collected before any is changed (no write while a query
 * steps). */
struct rows {
	struct gp_period_row *v;
	size_t n, cap;
};

static void collect_row(void *ctx, const struct gp_period_row *p)
{
	struct rows *r = ctx;
	gp_grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v));
	r->v[r->n] = *p;
	r->v[r->n++].service = NULL; /* the row's text is the store's, for the call */
}

int gp_ledger_set_state(struct gp_store *st, const char *service, enum gp_ledger_state state,
			int64_t from)
{
	struct rows r = {0};
	int rc = gp_store_period_list(st, service, from, INT64_MAX, collect_row, &r);
	for (size_t i = 0; rc == 0 && i < r.n; i++) {
		switch (gp_ledger_cut(r.v[i].start, r.v[i].end, from)) {
		case GP_CUT_DROP:
			rc = gp_store_period_delete(st, r.v[i].id);
			break;
		case GP_CUT_END:
			rc = gp_store_period_set_end(st, r.v[i].id, from);
			break;
		case GP_CUT_KEEP:
			break;
		}
	}
	free(r.v);
	return rc == 0 ? gp_store_period_insert(st, service, state, from, 0) : -1;
}

/* Every service's open period, for the resume. */
struct open_period {
	int64_t id;
	char *service;
};
struct open_rows {
	struct open_period *v;
	size_t n, cap;
};

static void collect_open(void *ctx, const struct gp_period_row *p)
{
	struct open_rows *o = ctx;
	gp_grow((void **)&o->v, &o->cap, o->n, sizeof(*o->v));
	o->v[o->n++] = (struct open_period){p->id, gp_xstrdup(p->service)};
}

int gp_ledger_resume(struct gp_store *st, int64_t now, long pid, int64_t *last_heartbeat)
{
	struct gp_heartbeat hb;
	if (gp_store_heartbeat_get(st, &hb) != 0)
		return -1;
	*last_heartbeat = hb.at;
	/* A clock set back below the heartbeat must not make negative
	 * periods: the gap is then empty. */
	int64_t until = now > hb.at ? now : hb.at;
	int rc = 0;
	if (hb.at > 0) {
		struct open_rows o = {0};
		rc = gp_store_period_list(st, NULL, 0, 0, collect_open, &o);
		for (size_t i = 0; rc == 0 && i < o.n; i++) {
			rc = gp_store_period_set_end(st, o.v[i].id, hb.at);
			if (rc == 0 && until > hb.at)
				rc = gp_store_period_insert(st, o.v[i].service, GP_LEDGER_UNMONITORED,
							    hb.at, until);
		}
		for (size_t i = 0; i < o.n; i++)
			free(o.v[i].service);
		free(o.v);
	}
	struct gp_heartbeat next = {.at = until, .started_at = until, .pid = pid};
	return rc == 0 ? gp_store_heartbeat_put(st, &next) : -1;
}

struct loaded {
	struct gp_sla_period *v;
	size_t n, cap;
	int64_t heartbeat;
};

static void load_period(void *ctx, const struct gp_period_row *p)
{
	struct loaded *l = ctx;
	int64_t end = p->end ? p->end : l->heartbeat;
	gp_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v));
	l->v[l->n++] = (struct gp_sla_period){p->start, end > p->start ? end : p->start, p->state};
}

long gp_ledger_periods(struct gp_store *st, const char *service, int64_t from, int64_t to,
		       struct gp_sla_period **out)
{
	struct gp_heartbeat hb;
	struct loaded l = {0};
	*out = NULL;
	if (gp_store_heartbeat_get(st, &hb) != 0)
		return -1;
	l.heartbeat = hb.at;
	if (gp_store_period_list(st, service, from, to, load_period, &l) != 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	return (long)l.n;
}

int gp_ledger_totals(struct gp_store *st, const char *service, struct gp_ledger_totals *out)
{
	memset(out, 0, sizeof(*out));
	out->contiguous = true;
	struct gp_sla_period *p;
	long n = gp_ledger_periods(st, service, INT64_MIN, INT64_MAX, &p);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		if (i == 0)
			out->first = p[i].start;
		else if (p[i].start != p[i - 1].end)
			out->contiguous = false;
		out->seconds[p[i].state] += p[i].end - p[i].start;
	}
	out->n_periods = (size_t)n;
	out->last = n ? p[n - 1].end : 0;
	free(p);
	return 0;
}

int gp_ledger_window(struct gp_store *st, const char *service, int64_t from, int64_t to,
		     int64_t seconds[GP_LEDGER_N])
{
	memset(seconds, 0, sizeof(int64_t) * GP_LEDGER_N);
	struct gp_sla_period *p;
	long n = gp_ledger_periods(st, service, from, to, &p);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++) {
		int64_t a = p[i].start > from ? p[i].start : from;
		int64_t b = p[i].end < to ? p[i].end : to;
		if (b > a)
			seconds[p[i].state] += b - a;
	}
	free(p);
	return 0;
}
