/*
 * penalty.h - the contract's money and its months. Integer tiyn (1/100
 * tenge) and UTC epoch seconds throughout; never floating point.
 *
 *   penalty of a month = charged seconds / 3600 x monthly_payment / divisor
 *
 * Charged seconds are the supplier's down seconds: each outage as it was
 * (hour_rounding: exact), or each outage's part within the month rounded up
 * to whole hours (ceil). With several services down at once, overlap
 * `union` charges an instant once, `sum` once per service. Either way the
 * month's penalty is its charged seconds times the rate, rounded once
 * (half up), as a hand computation does; the per-service amounts, each
 * rounded on its own, are information and may differ from it by rounding
 * (a tiyn per service at most). The months' penalties add up over the
 * term, capped at penalty_cap_percent of the value excluding VAT.
 */
#ifndef GP_PENALTY_H
#define GP_PENALTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ledger.h"

/* The term: [start 00:00 local, start + term_days 00:00 local). */
struct gp_span gp_contract_term(const struct gp_contract *c, const struct gp_calendar *cal);
/* "YYYY-MM" (exactly): false for anything else. */
bool gp_month_parse(const char *s, int *year, int *month);
/* A calendar month in the calendar's zone: [1st 00:00, next 1st 00:00). */
struct gp_span gp_month_span(const struct gp_calendar *cal, int year, int month);

/* seconds x monthly_payment / (divisor x 3600), rounded half up to the
 * tiyn. Exact for any payment up to 10^15 tiyn and any term. */
int64_t gp_penalty_tiyn(const struct gp_contract *c, int64_t seconds);
/* value_excl_vat x penalty_cap_percent / 100, rounded down. */
int64_t gp_penalty_cap_tiyn(const struct gp_contract *c);

/* The seconds charged for spans of absence (sorted by start in place and
 * merged where they touch or overlap: one outage): their length, or each
 * rounded up to whole hours. */
int64_t gp_penalty_charged(struct gp_span *spans, size_t n, enum gp_rounding r);

/* One month, all services. spans[i]: service i's supplier down spans
 * within the month (sorted and merged in place). */
struct gp_penalty_month {
	size_t n_services;
	int64_t *charged;    /* per service: charged seconds */
	int64_t *tiyn;       /* per service: their penalty, each rounded (information) */
	int64_t sum_seconds;   /* total of charged */
	int64_t union_seconds; /* an instant once, however many are down */
	int64_t sum_tiyn;      /* sum_seconds' penalty, rounded once */
	int64_t union_tiyn;    /* union_seconds' penalty, rounded once */
	int64_t services_tiyn; /* total of tiyn: may differ from sum_tiyn by rounding */
	int64_t uncapped_tiyn; /* the configured overlap's, before the cap */
};
void gp_penalty_month(const struct gp_contract *c, struct gp_span **spans, const size_t *n_spans,
		      size_t n_services, struct gp_penalty_month *out);
void gp_penalty_month_free(struct gp_penalty_month *m);

/* What of `uncapped` the cap still allows after `before` tiyn charged in
 * the term's earlier months. */
int64_t gp_penalty_capped(int64_t uncapped, int64_t before, int64_t cap);

#endif
