/*
 * report.c - a month of the contract (see report.h).
 */
#include "report.h"
#include "calendar.h"
#include "expr.h"
#include "maintenance.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------------ */
/* One service's sources, read into ledger.h's input                   */

struct sources {
	struct gp_sla_period *periods;
	size_t n_periods;
	struct gp_sla_outage *outages;
	size_t n_outages, cap_outages;
	struct gp_sla_manual *manual;
	size_t n_manual, cap_manual;
	struct gp_span *maint;
	size_t n_maint, cap_maint;
};

static void add_outage(void *ctx, const struct gp_outage_row *o)
{
	struct sources *s = ctx;
	struct gp_sla_outage v = {
		.start = o->start,
		.end = o->end > 0 ? o->end : INT64_MAX,
		.incident = o->incident,
		.attribution = o->has_incident ? o->attribution : GP_ATTR_UNATTRIBUTED,
		.voided = o->has_incident && o->incident_status == GP_INCIDENT_VOIDED,
	};
	gp_grow((void **)&s->outages, &s->cap_outages, s->n_outages, sizeof(*s->outages));
	s->outages[s->n_outages++] = v;
}

/* Revoked entries stay in the store, marked, and count for nothing. */
static void add_manual(void *ctx, const struct gp_ledger_entry *e)
{
	struct sources *s = ctx;
	if (e->revoked_at)
		return;
	struct gp_sla_manual v = {e->start, e->end, e->id, e->attribution, e->over_monitored};
	gp_grow((void **)&s->manual, &s->cap_manual, s->n_manual, sizeof(*s->manual));
	s->manual[s->n_manual++] = v;
}

/* Maintenance spans of the service: where a window covers it (its own, or
 * one on each of an outage's DOWN components). */
static void add_cover(struct sources *s, const struct gp_maint *m, const char *service,
		      const char *members, int64_t from, int64_t to)
{
	struct gp_span *sp;
	size_t n = gp_maint_cover(m, service, members, from, to, &sp);
	for (size_t i = 0; i < n; i++) {
		gp_grow((void **)&s->maint, &s->cap_maint, s->n_maint, sizeof(*s->maint));
		s->maint[s->n_maint++] = sp[i];
	}
	free(sp);
}

struct outage_cover {
	struct sources *s;
	const struct gp_maint *m;
	int64_t from, to;
};

static void add_outage_cover(void *ctx, const struct gp_outage_row *o)
{
	struct outage_cover *c = ctx;
	add_outage(c->s, o);
	int64_t a = o->start > c->from ? o->start : c->from;
	int64_t b = o->end > 0 && o->end < c->to ? o->end : c->to;
	/* Windows of the service itself are added whole, below; here only
	 * those of the components. */
	add_cover(c->s, c->m, "", o->members, a, b);
}

static void sources_free(struct sources *s)
{
	free(s->periods);
	free(s->outages);
	free(s->manual);
	free(s->maint);
}

long gp_report_segments(struct gp_store *st, const char *service, int64_t from, int64_t to,
			struct gp_sla_segment **out)
{
	*out = NULL;
	struct sources s = {0};
	long n_periods = gp_ledger_periods(st, service, from, to, &s.periods);
	if (n_periods >= 0)
		s.n_periods = (size_t)n_periods;
	struct gp_maint m = {0};
	struct outage_cover oc = {&s, &m, from, to};
	if (n_periods < 0 || gp_maint_load(st, from, to, &m) != 0 ||
	    gp_store_outage_list(st, service, from, to, add_outage_cover, &oc) != 0 ||
	    gp_store_entry_list(st, GP_ENTRY_DOWNTIME, service, from, to, add_manual, &s) != 0) {
		gp_maint_free(&m);
		sources_free(&s);
		return -1;
	}
	add_cover(&s, &m, service, NULL, from, to);
	gp_maint_free(&m);
	struct gp_sla_input in = {s.periods, s.n_periods, s.outages, s.n_outages,
				  s.manual,  s.n_manual,  s.maint,   s.n_maint};
	size_t n = gp_sla_classify(&in, from, to, out);
	sources_free(&s);
	return (long)n;
}

/* ------------------------------------------------------------------ */
/* A month                                                             */

/* The supplier's down spans of segments. */
static size_t supplier_spans(const struct gp_sla_segment *seg, size_t n, struct gp_span **out)
{
	size_t k = 0, cap = 0;
	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (seg[i].cls == GP_SLA_DOWN && seg[i].attribution == GP_ATTR_SUPPLIER) {
			gp_grow((void **)out, &cap, k, sizeof(**out));
			(*out)[k++] = (struct gp_span){seg[i].start, seg[i].end};
		}
	return k;
}

/* Every service over span: the segments and totals into svc (when not
 * NULL), the penalty figures into pen. */
static int month_figures(struct gp_store *st, const struct gp_config *cfg, struct gp_span span,
			 struct gp_report_service *svc, struct gp_penalty_month *pen)
{
	size_t ns = cfg->n_services;
	struct gp_span **spans = gp_xcalloc(ns ? ns : 1, sizeof(*spans));
	size_t *n_spans = gp_xcalloc(ns ? ns : 1, sizeof(*n_spans));
	int rc = 0;
	for (size_t i = 0; i < ns; i++) {
		struct gp_sla_segment *seg;
		long n = gp_report_segments(st, cfg->services[i].name, span.start, span.end, &seg);
		if (n < 0) {
			rc = -1;
			break;
		}
		n_spans[i] = supplier_spans(seg, (size_t)n, &spans[i]);
		if (svc) {
			svc[i].seg = seg;
			svc[i].n_seg = (size_t)n;
			gp_sla_add_totals(seg, (size_t)n, &svc[i].totals);
			svc[i].availability_bp = gp_sla_availability_bp(&svc[i].totals);
			svc[i].coverage_bp = gp_sla_coverage_bp(&svc[i].totals, span.end - span.start);
			svc[i].avail_none = svc[i].availability_bp >= 0 ? GP_AVAIL_SHOWN
					    : svc[i].totals.monitored > 0 ? GP_AVAIL_ONLY_MAINTENANCE
									  : GP_AVAIL_UNMONITORED;
		} else {
			free(seg);
		}
	}
	if (rc == 0)
		gp_penalty_month(&cfg->contract, spans, n_spans, ns, pen);
	for (size_t i = 0; i < ns; i++)
		free(spans[i]);
	free(spans);
	free(n_spans);
	return rc;
}

static struct gp_span intersect(struct gp_span a, struct gp_span b)
{
	struct gp_span r = {a.start > b.start ? a.start : b.start, a.end < b.end ? a.end : b.end};
	if (r.end < r.start)
		r.end = r.start;
	return r;
}

/* The next line of the term's months: the running total goes on. */
static void add_month(struct gp_report *r, int year, int month, int64_t uncapped, int64_t charged)
{
	int64_t before = r->n_months ? r->months[r->n_months - 1].cumulative_tiyn : 0;
	r->months = gp_xrealloc(r->months, (r->n_months + 1) * sizeof(*r->months));
	r->months[r->n_months++] = (struct gp_report_month){
		.year = year,
		.month = month,
		.uncapped_tiyn = uncapped,
		.penalty_tiyn = charged,
		.cumulative_tiyn = before + charged,
		.capped = charged < uncapped,
	};
}

static void term_text(const struct gp_config *cfg, char *buf, size_t len)
{
	const struct gp_contract *c = &cfg->contract;
	struct gp_date last = gp_date_from_days(gp_date_days(c->start) + c->term_days - 1);
	snprintf(buf, len, "%04d-%02d-%02d to %04d-%02d-%02d", c->start.year, c->start.month,
		 c->start.day, last.year, last.month, last.day);
}

int gp_report_build(struct gp_store *st, const struct gp_config *cfg, const char *month,
		    int64_t now, struct gp_report *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!gp_month_parse(month, &out->year, &out->month))
		return gp_errf(err, errlen, "'%s' is not a month: give YYYY-MM, e.g. 2026-03",
			    month ? month : "");
	const struct gp_calendar *cal = &cfg->calendar;
	const struct gp_contract *c = &cfg->contract;
	out->month_span = gp_month_span(cal, out->year, out->month);
	out->span = out->month_span;
	out->has_contract = c->set;
	char term[64] = "";
	if (c->set) {
		out->term = gp_contract_term(c, cal);
		term_text(cfg, term, sizeof(term));
		if (out->month_span.end <= out->term.start || out->month_span.start >= out->term.end)
			return gp_errf(err, errlen, "%s is outside the contract term (%s)", month, term);
		out->span = intersect(out->month_span, out->term);
	}
	if (out->span.start >= now)
		return gp_errf(err, errlen, "%s has not begun yet: nothing to report", month);
	out->partial = now < out->span.end;
	if (out->partial)
		out->span.end = now;

	out->n = cfg->n_services;
	out->services = gp_xcalloc(out->n ? out->n : 1, sizeof(*out->services));
	for (size_t i = 0; i < out->n; i++) {
		out->services[i].name = cfg->services[i].name;
		out->services[i].title = cfg->services[i].title;
	}
	if (month_figures(st, cfg, out->span, out->services, &out->pen) != 0) {
		gp_errf(err, errlen, "cannot read the ledger: %s", gp_store_error(st));
		gp_report_free(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		out->services[i].charged_seconds = out->pen.charged[i];
		out->services[i].penalty_tiyn = out->pen.tiyn[i];
	}
	if (!c->set)
		return 0;

	/* The cap over the term: the earlier months first, in order. */
	out->cap_tiyn = gp_penalty_cap_tiyn(c);
	int64_t before = 0;
	int y = c->start.year, m = c->start.month;
	while (y < out->year || (y == out->year && m < out->month)) {
		struct gp_penalty_month pm;
		struct gp_span sp = intersect(gp_month_span(cal, y, m), out->term);
		if (month_figures(st, cfg, sp, NULL, &pm) != 0) {
			gp_errf(err, errlen, "cannot read the ledger: %s", gp_store_error(st));
			gp_report_free(out);
			return -1;
		}
		int64_t charged = gp_penalty_capped(pm.uncapped_tiyn, before, out->cap_tiyn);
		before += charged;
		add_month(out, y, m, pm.uncapped_tiyn, charged);
		gp_penalty_month_free(&pm);
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	out->cumulative_before_tiyn = before;
	out->penalty_tiyn = gp_penalty_capped(out->pen.uncapped_tiyn, before, out->cap_tiyn);
	out->cumulative_tiyn = before + out->penalty_tiyn;
	out->capped = out->penalty_tiyn < out->pen.uncapped_tiyn;
	add_month(out, out->year, out->month, out->pen.uncapped_tiyn, out->penalty_tiyn);
	return 0;
}

void gp_report_free(struct gp_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->services[i].seg);
	free(r->services);
	free(r->months);
	gp_penalty_month_free(&r->pen);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Manual entries                                                      */

static bool known_service(const struct gp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			return true;
	return false;
}

static int check_entry(const struct gp_config *cfg, const struct gp_ledger_entry *e, char *err,
		       size_t errlen)
{
	if (e->target) {
		if (!gp_config_target(cfg, e->target))
			return gp_errf(err, errlen, "no target '%s' in the config", e->target);
	} else if (!e->service || !known_service(cfg, e->service)) {
		return gp_errf(err, errlen, "no service '%s' in the config", e->service ? e->service : "");
	}
	if (e->end <= e->start)
		return gp_errf(err, errlen, "--to must come after --from");
	if (!e->reason || !*e->reason)
		return gp_errf(err, errlen, "a reason is required (--reason TEXT)");
	return 0;
}

struct overlap {
	int64_t from, to;
	char what[200];
};

/* The first second of [o->from, o->to) the probe monitored, told. */
static void monitored_overlap(struct overlap *o, const struct gp_sla_period *p, size_t n)
{
	for (size_t i = 0; i < n && !o->what[0]; i++) {
		if (p[i].state == GP_LEDGER_UNMONITORED || p[i].state == GP_LEDGER_UNKNOWN)
			continue;
		int64_t a = p[i].start > o->from ? p[i].start : o->from;
		int64_t b = p[i].end < o->to ? p[i].end : o->to;
		if (b <= a)
			continue;
		char at[40];
		gp_format_utc(a, at, sizeof(at));
		snprintf(o->what, sizeof(o->what),
			 "the probe monitored the service then (%s from %s)",
			 gp_ledger_state_name(p[i].state), at);
	}
}

static void entry_overlap(void *ctx, const struct gp_ledger_entry *e)
{
	struct overlap *o = ctx;
	if (!o->what[0] && !e->revoked_at)
		snprintf(o->what, sizeof(o->what), "it overlaps downtime entry #%lld (%s)",
			 (long long)e->id, e->reason);
}

int gp_report_add_downtime(struct gp_store *st, const struct gp_config *cfg,
			   const struct gp_ledger_entry *e, int64_t now, int64_t *id, char *err,
			   size_t errlen)
{
	if (check_entry(cfg, e, err, errlen) != 0)
		return -1;
	if ((unsigned)e->attribution >= GP_ATTR_N)
		return gp_errf(err, errlen, "no such attribution");
	if (e->end > now)
		return gp_errf(err, errlen, "--to is in the future: record downtime once it is over");
	/* Over monitored time only when asked for (--over-monitored): an
	 * outage the customer reported that the probe missed. */
	struct overlap o = {e->start, e->end, ""};
	struct gp_sla_period *p = NULL;
	long n = e->over_monitored ? 0 : gp_ledger_periods(st, e->service, e->start, e->end, &p);
	if (n > 0)
		monitored_overlap(&o, p, (size_t)n);
	free(p);
	if (n < 0 || gp_store_entry_list(st, GP_ENTRY_DOWNTIME, e->service, e->start, e->end,
					 entry_overlap, &o) != 0) {
		gp_errf(err, errlen, "cannot read the ledger: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	if (o.what[0] && e->over_monitored)
		return gp_errf(err, errlen, "refused: %s; entries may not overlap (revoke the other "
					 "first)", o.what);
	if (o.what[0])
		return gp_errf(err, errlen, "refused: %s; a manual entry may only cover time the probe "
					 "did not monitor", o.what);
	if (gp_store_entry_add(st, GP_ENTRY_DOWNTIME, e, id) != 0) {
		gp_errf(err, errlen, "cannot record it: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	return 0;
}

/* The first DOWN second the probe recorded for the service over [from,
 * to), told in o->what. */
/* The first second of [a, b) no window in force covers for this service
 * (its own windows, or those on the target a new window names), or -1. */
static int64_t uncovered(const struct gp_maint *m, const char *service, const char *target,
			 int64_t a, int64_t b)
{
	struct gp_span *sv, *tg;
	size_t ns = gp_maint_cover(m, service, NULL, a, b, &sv);
	size_t nt = target ? gp_maint_cover(m, "", target, a, b, &tg) : 0;
	if (!target)
		tg = NULL;
	struct gp_span *all = gp_xcalloc(ns + nt + 1, sizeof(*all));
	if (ns)
		memcpy(all, sv, ns * sizeof(*all));
	if (nt)
		memcpy(all + ns, tg, nt * sizeof(*all));
	size_t n = ns + nt;
	for (size_t i = 1; i < n; i++) /* by start (few: insertion sort) */
		for (size_t j = i; j > 0 && all[j].start < all[j - 1].start; j--) {
			struct gp_span t = all[j];
			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	n = gp_span_merge(all, n);
	int64_t t = a;
	for (size_t i = 0; i < n && all[i].start <= t; i++)
		if (all[i].end > t)
			t = all[i].end;
	free(sv);
	free(tg);
	free(all);
	return t < b ? t : -1;
}

/* The first DOWN second the probe recorded for the service over [from,
 * to) that no window in force already covers (a change of a window
 * while its work goes on is not after the fact), told in o->what. */
static int recorded_down(struct gp_store *st, const struct gp_maint *m, const char *service,
			 const char *target, struct overlap *o)
{
	struct gp_sla_period *p;
	long n = gp_ledger_periods(st, service, o->from, o->to, &p);
	if (n < 0)
		return -1;
	for (long i = 0; i < n && !o->what[0]; i++) {
		int64_t a = p[i].start > o->from ? p[i].start : o->from;
		int64_t b = p[i].end < o->to ? p[i].end : o->to;
		int64_t t = p[i].state == GP_LEDGER_DOWN && b > a ? uncovered(m, service, target, a, b)
								: -1;
		if (t >= 0) {
			char at[40];
			gp_format_utc(t, at, sizeof(at));
			snprintf(o->what, sizeof(o->what), "%s was recorded DOWN at %s", service, at);
		}
	}
	free(p);
	return 0;
}

int gp_report_add_maintenance(struct gp_store *st, const struct gp_config *cfg,
			      const struct gp_ledger_entry *e, int64_t *id, char *err,
			      size_t errlen)
{
	if (check_entry(cfg, e, err, errlen) != 0)
		return -1;
	/* Entered after the fact over downtime the probe recorded: it moves
	 * that time out of the penalty, so it is said (--retroactive, with the
	 * reason) and shown as such. */
	struct overlap o = {e->start, e->end < e->created_at ? e->end : e->created_at, ""};
	struct gp_maint m = {0};
	if (o.from < o.to && gp_maint_load(st, o.from, o.to, &m) != 0) {
		gp_errf(err, errlen, "cannot read maintenance windows: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	for (size_t i = 0; i < cfg->n_services && o.from < o.to && !o.what[0]; i++) {
		const struct gp_service *svc = &cfg->services[i];
		bool concerned = e->target ? gp_maint_concerns(svc, e->target)
					   : !strcmp(svc->name, e->service);
		if (concerned && recorded_down(st, &m, svc->name, e->target, &o) != 0) {
			gp_maint_free(&m);
			gp_errf(err, errlen, "cannot read the ledger: %s", gp_store_error(st));
			return GP_REPORT_STORE;
		}
	}
	gp_maint_free(&m);
	if (o.what[0] && !e->retroactive)
		return gp_errf(err, errlen, "the window covers downtime already recorded (%s): planned "
			       "work entered after the fact takes --retroactive, and the reason says "
			       "why", o.what);
	struct gp_ledger_entry rec = *e;
	rec.retroactive = o.what[0] != '\0';
	if (gp_store_entry_add(st, GP_ENTRY_MAINTENANCE, &rec, id) != 0) {
		gp_errf(err, errlen, "cannot record it: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	return 0;
}

/* The entry of that id, found among all of its kind. */
struct find_entry {
	int64_t id;
	bool found;
	int64_t revoked_at;
	char revoked_by[128], service[128];
};

static void find_entry(void *ctx, const struct gp_ledger_entry *e)
{
	struct find_entry *x = ctx;
	if (e->id != x->id)
		return;
	x->found = true;
	x->revoked_at = e->revoked_at;
	snprintf(x->revoked_by, sizeof(x->revoked_by), "%s", e->revoked_by ? e->revoked_by : "");
	snprintf(x->service, sizeof(x->service), "%s", e->service);
}

int gp_report_revoke_entry(struct gp_store *st, enum gp_entry_kind kind, int64_t id,
			   const char *by, const char *reason, int64_t now, char *err,
			   size_t errlen)
{
	const char *what = kind == GP_ENTRY_DOWNTIME ? "downtime entry" : "maintenance window";
	if (!reason || !*reason)
		return gp_errf(err, errlen, "a reason is required (--reason TEXT)");
	struct find_entry x = {.id = id};
	if (gp_store_entry_list(st, kind, NULL, INT64_MIN, INT64_MAX, find_entry, &x) != 0) {
		gp_errf(err, errlen, "cannot read the ledger: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	if (!x.found)
		return gp_errf(err, errlen, "no %s #%lld", what, (long long)id);
	if (x.revoked_at) {
		char at[40];
		gp_format_utc(x.revoked_at, at, sizeof(at));
		return gp_errf(err, errlen, "%s #%lld was revoked already (%s, by %s)", what,
			       (long long)id, at, x.revoked_by);
	}
	if (gp_store_entry_revoke(st, kind, id, now, by ? by : "", reason) != 0) {
		gp_errf(err, errlen, "cannot record it: %s", gp_store_error(st));
		return GP_REPORT_STORE;
	}
	return 0;
}
