/*
 * penalty.c - the contract's money and its months (see penalty.h).
 */
#include "penalty.h"
#include "calendar.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* 128-bit products: seconds of a whole term (3.2e7 per service, more
 * summed over services) times a payment of up to 10^15 tiyn exceed
 * int64_t; their quotient does not. */
__extension__ typedef unsigned __int128 u128;

struct gp_span gp_contract_term(const struct gp_contract *c, const struct gp_calendar *cal)
{
	struct gp_date end = gp_date_from_days(gp_date_days(c->start) + c->term_days);
	return (struct gp_span){gp_cal_local_time(cal, c->start, 0), gp_cal_local_time(cal, end, 0)};
}

bool gp_month_parse(const char *s, int *year, int *month)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return false;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return false;
	*year = atoi(s);
	*month = atoi(s + 5);
	return *year >= 1970 && *month >= 1 && *month <= 12;
}

struct gp_span gp_month_span(const struct gp_calendar *cal, int year, int month)
{
	struct gp_date a = {year, month, 1};
	struct gp_date b = month == 12 ? (struct gp_date){year + 1, 1, 1}
				       : (struct gp_date){year, month + 1, 1};
	return (struct gp_span){gp_cal_local_time(cal, a, 0), gp_cal_local_time(cal, b, 0)};
}

int64_t gp_penalty_tiyn(const struct gp_contract *c, int64_t seconds)
{
	if (seconds <= 0 || c->monthly_payment_tiyn <= 0 || c->penalty_hour_divisor <= 0)
		return 0;
	u128 den = (u128)c->penalty_hour_divisor * 3600;
	u128 num = (u128)seconds * (u128)c->monthly_payment_tiyn;
	return (int64_t)((num + den / 2) / den);
}

int64_t gp_penalty_cap_tiyn(const struct gp_contract *c)
{
	return (int64_t)((u128)c->value_excl_vat_tiyn * (u128)c->penalty_cap_percent / 100);
}

static int cmp_span(const void *a, const void *b)
{
	int64_t x = ((const struct gp_span *)a)->start, y = ((const struct gp_span *)b)->start;
	return (x > y) - (x < y);
}

int64_t gp_penalty_charged(struct gp_span *spans, size_t n, enum gp_rounding r)
{
	if (n == 0)
		return 0;
	qsort(spans, n, sizeof(*spans), cmp_span);
	n = gp_span_merge(spans, n);
	int64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t len = spans[i].end - spans[i].start;
		total += r == GP_ROUND_CEIL ? (len + 3599) / 3600 * 3600 : len;
	}
	return total;
}

void gp_penalty_month(const struct gp_contract *c, struct gp_span **spans, const size_t *n_spans,
		      size_t n_services, struct gp_penalty_month *out)
{
	memset(out, 0, sizeof(*out));
	out->n_services = n_services;
	out->charged = gp_xcalloc(n_services ? n_services : 1, sizeof(*out->charged));
	out->tiyn = gp_xcalloc(n_services ? n_services : 1, sizeof(*out->tiyn));
	size_t n_all = 0;
	for (size_t i = 0; i < n_services; i++) {
		out->charged[i] = gp_penalty_charged(spans[i], n_spans[i], c->hour_rounding);
		out->tiyn[i] = gp_penalty_tiyn(c, out->charged[i]);
		out->sum_seconds += out->charged[i];
		out->services_tiyn += out->tiyn[i];
		n_all += n_spans[i];
	}
	/* Union: every service's spans together, merged, then rounded. */
	struct gp_span *all = gp_xcalloc(n_all ? n_all : 1, sizeof(*all));
	size_t k = 0;
	for (size_t i = 0; i < n_services; i++) {
		if (n_spans[i] > 0)
			memcpy(all + k, spans[i], n_spans[i] * sizeof(*all));
		k += n_spans[i];
	}
	out->union_seconds = gp_penalty_charged(all, k, c->hour_rounding);
	out->union_tiyn = gp_penalty_tiyn(c, out->union_seconds);
	free(all);
	/* Sum: the month's seconds times the rate, rounded once; never the
	 * per-service amounts added up (each rounded, they drift by up to a
	 * tiyn a service from what a hand computation gives). */
	out->sum_tiyn = gp_penalty_tiyn(c, out->sum_seconds);
	out->uncapped_tiyn = c->overlap == GP_OVERLAP_SUM ? out->sum_tiyn : out->union_tiyn;
}

void gp_penalty_month_free(struct gp_penalty_month *m)
{
	free(m->charged);
	free(m->tiyn);
	memset(m, 0, sizeof(*m));
}

int64_t gp_penalty_capped(int64_t uncapped, int64_t before, int64_t cap)
{
	int64_t room = cap - before;
	if (room <= 0 || uncapped <= 0)
		return 0;
	return uncapped < room ? uncapped : room;
}
