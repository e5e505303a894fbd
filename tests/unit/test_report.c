/*
 * The monthly report on a real database, every figure computed by hand
 * (the arithmetic is in the comments):
 *
 *   monthly payment 1 250 000.00 KZT = 125 000 000 tiyn; one hour of
 *   absence = 125 000 000 / 720 = 173 611.11 tiyn.
 *   value 16 800 000.00 with 12% VAT -> 15 000 000.00 excluding VAT; the
 *   cap, 5% of it, = 750 000.00 KZT = 75 000 000 tiyn.
 *   The term starts 2026-01-15 (mid-month) and lasts 365 days.
 *
 * Estate: tests/configs/good/report.yaml (services sa, sb on the
 * supplier's components a, b; sc on the customer's c), Asia/Almaty (UTC+5),
 * the shipped Kazakhstan holidays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "incidents.h"
#include "ledger.h"
#include "penalty.h"
#include "report.h"
#include "util.h"

enum { SA = 0, SB = 1, SC = 2 };

struct fx {
	struct gp_config *cfg;
	struct gp_store *st;
	char dir[64];
	char err[512];
	int64_t id; /* the last incident */
};

static int64_t T(struct fx *f, const char *iso)
{
	return testdb_time(f->cfg, iso);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	testdb_open(CONFIG_DIR "/good/report.yaml", "report", f->dir, &f->cfg, &f->st);
	int64_t hb;
	assert_int_equal(gp_ledger_resume(f->st, T(f, "2026-01-01T00:00"), 1, &hb), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	testdb_close(f->dir, f->cfg, f->st);
	free(f);
	return 0;
}

static const char *name(struct fx *f, int svc)
{
	return f->cfg->services[svc].name;
}

/* The probe saw svc in `state` from `iso` on. */
static void state_from(struct fx *f, int svc, const char *state, const char *iso)
{
	enum gp_ledger_state st;
	assert_true(gp_ledger_state_parse(state, &st));
	assert_int_equal(gp_ledger_set_state(f->st, name(f, svc), st, T(f, iso)), 0);
}

/* The probe saw svc DOWN over [from, to), an outage whose incident says
 * `attribution` and has `status`. */
static void outage(struct fx *f, int svc, const char *from, const char *to,
		   const char *attribution, const char *status)
{
	int64_t a = T(f, from), b = T(f, to);
	state_from(f, svc, "DOWN", from);
	assert_int_equal(gp_store_outage_open(f->st, name(f, svc), a, "x"), 0);
	struct gp_incident inc = {
		.service = (char *)name(f, svc),
		.priority = GP_P1,
		.channel = GP_CHANNEL_PROBE,
		.opened_at = a,
		.response_due_at = a + 3600,
		.response_working_seconds = -1,
		.outage_start = a,
		.restored_at = b,
	};
	assert_true(gp_incident_status_parse(status, &inc.status));
	assert_true(gp_attribution_parse(attribution, &inc.attribution));
	assert_int_equal(gp_store_incident_insert(f->st, &inc), 0);
	f->id = inc.id;
	assert_int_equal(gp_store_outage_link(f->st, name(f, svc), a, inc.id, inc.attribution), 0);
	state_from(f, svc, "UP", to);
	assert_int_equal(gp_store_outage_restore(f->st, name(f, svc), b), 0);
}

/* Every service UP from iso on. */
static void all_up(struct fx *f, const char *iso)
{
	for (int svc = SA; svc <= SC; svc++)
		state_from(f, svc, "UP", iso);
}

static void heartbeat(struct fx *f, const char *iso)
{
	assert_int_equal(gp_store_heartbeat(f->st, T(f, iso)), 0);
}

static void build(struct fx *f, const char *month, struct gp_report *r)
{
	int rc = gp_report_build(f->st, f->cfg, month, T(f, "2027-06-01T00:00"), r, f->err,
				 sizeof(f->err));
	if (rc != 0)
		fprintf(stderr, "%s\n", f->err);
	assert_int_equal(rc, 0);
	/* Whatever else: every second of the month is counted once. */
	for (size_t i = 0; i < r->n; i++) {
		int64_t total = 0;
		for (int k = 0; k < GP_SLA_N; k++)
			total += r->services[i].totals.seconds[k];
		assert_int_equal(total, r->span.end - r->span.start);
	}
}

/* ------------------------------------------------------------------ */

/* March 2026: sa down from Friday 6 March 17:00 to Monday 9 March 10:00,
 * over a weekend whose Sunday (8 March) is a holiday and whose Monday is
 * its transfer day off. Absence is counted in calendar hours: 7 + 24 + 24
 * + 10 = 65 h = 234 000 s. Penalty 234 000 x 125 000 000 / 2 592 000 =
 * 11 284 722.2 -> 11 284 722 tiyn. Availability (2 678 400 - 234 000) /
 * 2 678 400 = 91.2634% -> 91.26. The incident registered Friday 17:50 by
 * e-mail (60 working minutes): 10 minutes on Friday, Saturday to Monday
 * are off, 50 on Tuesday: due Tuesday 10 March 09:50. */
static void test_weekend_and_holiday(void **state)
{
	struct fx *f = *state;
	all_up(f, "2026-03-01T00:00");
	outage(f, SA, "2026-03-06T17:00", "2026-03-09T10:00", "supplier", "restored");
	heartbeat(f, "2026-04-01T00:00");

	struct gp_report r;
	build(f, "2026-03", &r);
	assert_int_equal(r.span.start, T(f, "2026-03-01T00:00"));
	assert_int_equal(r.span.end, T(f, "2026-04-01T00:00"));
	assert_false(r.partial);
	const struct gp_report_service *s = &r.services[SA];
	assert_int_equal(s->totals.seconds[GP_SLA_DOWN], 234000);
	assert_int_equal(s->totals.down[GP_ATTR_SUPPLIER], 234000);
	assert_int_equal(s->totals.seconds[GP_SLA_UP], 2678400 - 234000);
	assert_int_equal(s->availability_bp, 9126);
	assert_int_equal(s->penalty_tiyn, 11284722);
	assert_int_equal(r.services[SB].availability_bp, 10000);
	assert_int_equal(r.pen.union_tiyn, 11284722);
	assert_int_equal(r.pen.sum_tiyn, 11284722);
	assert_int_equal(r.penalty_tiyn, 11284722);
	/* January and February: nothing monitored, nothing charged. */
	assert_int_equal(r.cumulative_before_tiyn, 0);
	assert_int_equal(r.cumulative_tiyn, 11284722);
	assert_int_equal(r.cap_tiyn, 75000000);
	gp_report_free(&r);

	assert_int_equal(gp_cal_add_working(&f->cfg->calendar, T(f, "2026-03-06T17:50"), 3600),
			 T(f, "2026-03-10T09:50"));
}

/* Tuesday 14 April 2026: sa down 10:00-12:00, sb down 11:00-13:00, both the
 * supplier's. Union: 10:00-13:00 = 3 h -> 520 833.33 -> 520 833 tiyn.
 * Sum: 2 h each, 347 222.22 -> 347 222 tiyn each, 694 444 together. The
 * contract says union; with overlap: sum the month's penalty is the sum. */
static void test_overlap_union_and_sum(void **state)
{
	struct fx *f = *state;
	all_up(f, "2026-04-01T00:00");
	outage(f, SA, "2026-04-14T10:00", "2026-04-14T12:00", "supplier", "closed");
	outage(f, SB, "2026-04-14T11:00", "2026-04-14T13:00", "supplier", "closed");
	heartbeat(f, "2026-05-01T00:00");

	struct gp_report r;
	build(f, "2026-04", &r);
	assert_int_equal(r.pen.union_seconds, 10800);
	assert_int_equal(r.pen.sum_seconds, 14400);
	assert_int_equal(r.pen.union_tiyn, 520833);
	assert_int_equal(r.services[SA].penalty_tiyn, 347222);
	assert_int_equal(r.services[SB].penalty_tiyn, 347222);
	assert_int_equal(r.pen.sum_tiyn, 694444);
	assert_int_equal(r.pen.services_tiyn, 694444);
	assert_int_equal(r.penalty_tiyn, 520833);
	gp_report_free(&r);

	f->cfg->contract.overlap = GP_OVERLAP_SUM;
	build(f, "2026-04", &r);
	assert_int_equal(r.penalty_tiyn, 694444);
	gp_report_free(&r);
}

/* The case, overlap: sum. Tuesday 14 April 2026: sa down
 * 10:00-13:00 (3 h), sb down 11:00-13:00 (2 h), the supplier's; 5 h
 * charged. One hour is 125 000 000 / 720 = 173 611.11 tiyn
 * (1 736.11 KZT); 5 h = 18 000 s x 125 000 000 / 2 592 000 =
 * 868 055.56 -> 868 056 tiyn = 8 680.56 KZT, rounded once, as by hand.
 * Each service rounded on its own: 3 h = 520 833.33 -> 520 833, 2 h =
 * 347 222.22 -> 347 222; together 868 055 (8 680.55), shown as
 * information, a tiyn short of the month's penalty. */
static void test_sum_rounded_once(void **state)
{
	struct fx *f = *state;
	f->cfg->contract.overlap = GP_OVERLAP_SUM;
	all_up(f, "2026-04-01T00:00");
	outage(f, SA, "2026-04-14T10:00", "2026-04-14T13:00", "supplier", "closed");
	outage(f, SB, "2026-04-14T11:00", "2026-04-14T13:00", "supplier", "closed");
	heartbeat(f, "2026-05-01T00:00");

	struct gp_report r;
	build(f, "2026-04", &r);
	assert_int_equal(r.pen.sum_seconds, 18000);
	assert_int_equal(r.pen.union_seconds, 10800);
	assert_int_equal(r.services[SA].penalty_tiyn, 520833);
	assert_int_equal(r.services[SB].penalty_tiyn, 347222);
	assert_int_equal(r.pen.services_tiyn, 868055);
	assert_int_equal(r.pen.sum_tiyn, 868056);
	assert_int_equal(r.pen.uncapped_tiyn, 868056);
	assert_int_equal(r.penalty_tiyn, 868056);
	assert_int_equal(r.cumulative_tiyn, 868056);
	gp_report_free(&r);
}

/* Ceil: each outage rounded up to whole hours. sa down 10:00-10:20 and
 * 15:00-15:01, sb down 10:10-10:40. Exact union: 10:00-10:40 and
 * 15:00-15:01 = 2 460 s -> 118 634 tiyn. Ceil union: two outages of
 * 1 h = 7 200 s -> 347 222. Ceil sum: sa 1 h + 1 h, sb 1 h = 10 800 s ->
 * 347 222 + 173 611 = 520 833. */
static void test_ceil_and_exact(void **state)
{
	struct fx *f = *state;
	all_up(f, "2026-04-01T00:00");
	outage(f, SA, "2026-04-14T10:00", "2026-04-14T10:20", "supplier", "closed");
	outage(f, SB, "2026-04-14T10:10", "2026-04-14T10:40", "supplier", "closed");
	outage(f, SA, "2026-04-14T15:00", "2026-04-14T15:01", "supplier", "closed");
	heartbeat(f, "2026-05-01T00:00");

	struct gp_report r;
	build(f, "2026-04", &r);
	assert_int_equal(r.pen.union_seconds, 2460);
	assert_int_equal(r.penalty_tiyn, 118634);
	gp_report_free(&r);

	f->cfg->contract.hour_rounding = GP_ROUND_CEIL;
	build(f, "2026-04", &r);
	assert_int_equal(r.pen.union_seconds, 7200);
	assert_int_equal(r.pen.union_tiyn, 347222);
	assert_int_equal(r.services[SA].charged_seconds, 7200);
	assert_int_equal(r.services[SB].charged_seconds, 3600);
	assert_int_equal(r.pen.sum_seconds, 10800);
	assert_int_equal(r.pen.sum_tiyn, 347222 + 173611);
	assert_int_equal(r.penalty_tiyn, 347222);
	gp_report_free(&r);
}

/* The term starts 15 January: January's report covers 15 January 00:00 to
 * 1 February, 17 days = 1 468 800 s; the probe started on the 20th, so 5
 * days = 432 000 s are unmonitored. December 2025 and February 2027 are
 * outside the term; January 2027 is its last, clipped, month. */
static void test_term_starting_mid_month(void **state)
{
	struct fx *f = *state;
	state_from(f, SA, "UP", "2026-01-20T00:00");
	heartbeat(f, "2026-02-01T00:00");

	struct gp_report r;
	build(f, "2026-01", &r);
	assert_int_equal(r.span.start, T(f, "2026-01-15T00:00"));
	assert_int_equal(r.span.end - r.span.start, 1468800);
	assert_int_equal(r.services[SA].totals.seconds[GP_SLA_UNMONITORED], 432000);
	assert_int_equal(r.services[SA].totals.seconds[GP_SLA_UP], 1468800 - 432000);
	assert_int_equal(r.services[SA].availability_bp, 10000);
	/* 1 036 800 of 1 468 800 s monitored: 70.588% -> 70.58. */
	assert_int_equal(r.services[SA].coverage_bp, 7058);
	assert_int_equal(r.services[SB].availability_bp, -1);
	assert_int_equal(r.services[SB].avail_none, GP_AVAIL_UNMONITORED);
	gp_report_free(&r);

	build(f, "2027-01", &r);
	assert_int_equal(r.span.end, T(f, "2027-01-15T00:00"));
	gp_report_free(&r);

	int64_t now = T(f, "2027-06-01T00:00");
	assert_int_equal(gp_report_build(f->st, f->cfg, "2025-12", now, &r, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "2025-12 is outside the contract term (2026-01-15 to 2027-01-14)");
	assert_int_equal(gp_report_build(f->st, f->cfg, "2027-02", now, &r, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "2027-02 is outside the contract term (2026-01-15 to 2027-01-14)");
	assert_int_equal(gp_report_build(f->st, f->cfg, "2026-13", now, &r, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "'2026-13' is not a month: give YYYY-MM, e.g. 2026-03");
	assert_int_equal(gp_report_build(f->st, f->cfg, "2026-05", T(f, "2026-04-20T00:00"), &r,
					 f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "2026-05 has not begun yet: nothing to report");
}

/* April 2026 (720 h = 2 592 000 s), mostly unmonitored. sa: the probe
 * ran only from 30 April 19:00, the last 5 h (18 000 s): up 2 h, down
 * 21:00-22:00 (the supplier's), up 2 h. Monitored 18 000 / 2 592 000 =
 * 0.694% -> 0.69; availability over that time 4 / 5 = 80.00, not the
 * 0.00 or 99.86 the month would suggest. sb: never monitored: no
 * availability, and the reason. sc: watched only while DOWN inside a
 * maintenance window (the same 5 h): monitored 0.69, no availability
 * (all maintenance). */
static void test_availability_over_monitored_time(void **state)
{
	struct fx *f = *state;
	state_from(f, SA, "UP", "2026-04-30T19:00");
	outage(f, SA, "2026-04-30T21:00", "2026-04-30T22:00", "supplier", "closed");
	outage(f, SC, "2026-04-30T19:00", "2026-05-01T00:00", "customer", "closed");
	heartbeat(f, "2026-05-01T00:00");
	int64_t id;
	struct gp_ledger_entry m = {.service = "sc",
				    .start = T(f, "2026-04-30T18:00"),
				    .end = T(f, "2026-05-01T01:00"),
				    .reason = "upgrade",
				    .created_at = T(f, "2026-04-20T12:00"),
				    .created_by = "planner"};
	assert_int_equal(gp_report_add_maintenance(f->st, f->cfg, &m, &id, f->err, sizeof(f->err)), 0);

	struct gp_report r;
	build(f, "2026-04", &r);
	const struct gp_report_service *a = &r.services[SA], *b = &r.services[SB],
					 *c = &r.services[SC];
	assert_int_equal(a->totals.monitored, 18000);
	assert_int_equal(a->totals.seconds[GP_SLA_UNMONITORED], 2592000 - 18000);
	assert_int_equal(a->coverage_bp, 69);
	assert_int_equal(a->availability_bp, 8000);
	assert_int_equal(a->avail_none, GP_AVAIL_SHOWN);
	assert_int_equal(b->totals.monitored, 0);
	assert_int_equal(b->coverage_bp, 0);
	assert_int_equal(b->availability_bp, -1);
	assert_int_equal(b->avail_none, GP_AVAIL_UNMONITORED);
	assert_int_equal(c->totals.monitored, 18000);
	assert_int_equal(c->totals.seconds[GP_SLA_MAINTENANCE], 18000);
	assert_int_equal(c->coverage_bp, 69);
	assert_int_equal(c->availability_bp, -1);
	assert_int_equal(c->avail_none, GP_AVAIL_ONLY_MAINTENANCE);
	gp_report_free(&r);
}

/* 50 h of the supplier's absence on the 16th of every month: 50 x
 * 173 611.11 = 8 680 555.6 -> 8 680 556 tiyn a month. After eight months
 * (January to August) 69 444 448; September's 8 680 556 meets the cap of
 * 75 000 000 with 5 555 552 of room: September is charged 5 555 552, the
 * term total is the cap, and October is charged nothing. */
static void test_cap_reached_in_month_nine(void **state)
{
	struct fx *f = *state;
	all_up(f, "2026-01-15T00:00");
	for (int m = 1; m <= 10; m++) {
		char a[32], b[32];
		snprintf(a, sizeof(a), "2026-%02d-16T00:00", m);
		snprintf(b, sizeof(b), "2026-%02d-18T02:00", m);
		outage(f, SA, a, b, "supplier", "closed");
	}
	heartbeat(f, "2026-11-01T00:00");

	struct gp_report r;
	build(f, "2026-08", &r);
	assert_int_equal(r.pen.uncapped_tiyn, 8680556);
	assert_int_equal(r.penalty_tiyn, 8680556);
	assert_int_equal(r.cumulative_tiyn, 69444448);
	assert_false(r.capped);
	gp_report_free(&r);

	build(f, "2026-09", &r);
	assert_int_equal(r.pen.uncapped_tiyn, 8680556);
	assert_int_equal(r.cumulative_before_tiyn, 69444448);
	assert_int_equal(r.penalty_tiyn, 5555552);
	assert_int_equal(r.cumulative_tiyn, 75000000);
	assert_true(r.capped);
	/* Every month of the term through September is listed: January to
	 * August 8 680 556 each, their running total 8 680 556 x k; then
	 * September's 5 555 552 reaching the cap. */
	assert_int_equal(r.n_months, 9);
	for (int k = 1; k <= 8; k++) {
		assert_int_equal(r.months[k - 1].year, 2026);
		assert_int_equal(r.months[k - 1].month, k);
		assert_int_equal(r.months[k - 1].penalty_tiyn, 8680556);
		assert_int_equal(r.months[k - 1].cumulative_tiyn, 8680556LL * k);
		assert_false(r.months[k - 1].capped);
	}
	assert_int_equal(r.months[8].month, 9);
	assert_int_equal(r.months[8].uncapped_tiyn, 8680556);
	assert_int_equal(r.months[8].penalty_tiyn, 5555552);
	assert_int_equal(r.months[8].cumulative_tiyn, 75000000);
	assert_true(r.months[8].capped);
	gp_report_free(&r);

	build(f, "2026-10", &r);
	assert_int_equal(r.pen.uncapped_tiyn, 8680556);
	assert_int_equal(r.penalty_tiyn, 0);
	assert_int_equal(r.cumulative_tiyn, 75000000);
	gp_report_free(&r);
}

/* The value given with VAT: 16 800 000.00 / 1.12 = 15 000 000.00; the cap
 * 750 000.00. A value that does not divide: 1 000 000.00 / 1.12 =
 * 892 857.142857 -> 892 857.14 (half up), cap 5% = 44 642.857 -> 44 642.85
 * (down). */
static void test_value_with_vat(void **state)
{
	struct fx *f = *state;
	struct gp_contract *c = &f->cfg->contract;
	assert_int_equal(c->value_incl_vat_tiyn, 1680000000);
	assert_int_equal(c->value_excl_vat_tiyn, 1500000000);
	assert_int_equal(gp_penalty_cap_tiyn(c), 75000000);
	struct gp_contract odd = *c;
	odd.value_excl_vat_tiyn = (100000000LL * 200 + 112) / 224; /* as config.c derives it */
	assert_int_equal(odd.value_excl_vat_tiyn, 89285714);
	assert_int_equal(gp_penalty_cap_tiyn(&odd), 4464285);
}

/* No overflow: a monthly payment of 10^12 tiyn and a whole term of 20
 * services summed (630 720 000 s): 630 720 000 x 10^12 / 2 592 000 =
 * 243 333 333 333 333.3 -> 243 333 333 333 333. */
static void test_no_overflow(void **state)
{
	struct fx *f = *state;
	struct gp_contract c = f->cfg->contract;
	c.monthly_payment_tiyn = 1000000000000LL;
	assert_int_equal(gp_penalty_tiyn(&c, 365LL * 86400 * 20), 243333333333333LL);
	/* Half a tiyn rounds up, less rounds down: 1 s of 2 592 000 tiyn a
	 * month at divisor 720 is exactly 1 tiyn; of 1 296 000 half a tiyn. */
	c.monthly_payment_tiyn = 1296000;
	assert_int_equal(gp_penalty_tiyn(&c, 1), 1);
	c.monthly_payment_tiyn = 1295999;
	assert_int_equal(gp_penalty_tiyn(&c, 1), 0);
}

/* April 2026, sa: the ledger starts 2 April (1 April unmonitored, 86 400 s)
 * and an operator recorded 1 April 10:00-11:30 as the supplier's outage
 * (5 400 s). The probe saw: 14 April 10:00-12:00 the customer's (7 200 s);
 * 15 April 10:00-11:00 a false alarm, voided (3 600 s); 16 April
 * 02:00-04:00 the supplier's, of which 02:00-03:00 lies in a maintenance
 * window of 01:00-03:00 (3 600 s maintenance, 3 600 s down). The
 * supplier's down time: 5 400 + 3 600 = 9 000 s -> 434 027.8 -> 434 028
 * tiyn. Up: 2 592 000 - 86 400 - 7 200 - 3 600 - 7 200 = 2 487 600.
 * Availability: up + voided = 2 491 200 over that plus the 16 200 s down
 * (the recorded outage's included) = 2 507 400: 99.3539% -> 99.35. */
static void test_attribution_void_maintenance_manual(void **state)
{
	struct fx *f = *state;
	state_from(f, SA, "UP", "2026-04-02T00:00");
	outage(f, SA, "2026-04-14T10:00", "2026-04-14T12:00", "customer", "closed");
	outage(f, SA, "2026-04-15T10:00", "2026-04-15T11:00", "supplier", "voided");
	outage(f, SA, "2026-04-16T02:00", "2026-04-16T04:00", "supplier", "closed");
	heartbeat(f, "2026-05-01T00:00");
	int64_t id;
	struct gp_ledger_entry m = {.service = "sa",
				    .start = T(f, "2026-04-16T01:00"),
				    .end = T(f, "2026-04-16T03:00"),
				    .reason = "database upgrade",
				    .created_at = T(f, "2026-04-10T12:00"),
				    .created_by = "planner"};
	assert_int_equal(gp_report_add_maintenance(f->st, f->cfg, &m, &id, f->err, sizeof(f->err)), 0);
	struct gp_ledger_entry d = {.service = "sa",
				    .start = T(f, "2026-04-01T10:00"),
				    .end = T(f, "2026-04-01T11:30"),
				    .attribution = GP_ATTR_SUPPLIER,
				    .reason = "reported by the customer before the probe ran",
				    .created_at = T(f, "2026-04-20T12:00"),
				    .created_by = "manager"};
	int64_t now = T(f, "2026-05-02T00:00");
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &d, now, &id, f->err, sizeof(f->err)),
			 0);

	struct gp_report r;
	build(f, "2026-04", &r);
	const struct gp_sla_totals *t = &r.services[SA].totals;
	assert_int_equal(t->seconds[GP_SLA_UNMONITORED], 86400 - 5400);
	assert_int_equal(t->down[GP_ATTR_CUSTOMER], 7200);
	assert_int_equal(t->seconds[GP_SLA_VOIDED], 3600);
	assert_int_equal(t->seconds[GP_SLA_MAINTENANCE], 3600);
	assert_int_equal(t->down[GP_ATTR_SUPPLIER], 5400 + 3600);
	assert_int_equal(t->seconds[GP_SLA_DOWN], 7200 + 5400 + 3600);
	assert_int_equal(t->seconds[GP_SLA_UP], 2592000 - 86400 - 7200 - 3600 - 7200);
	assert_int_equal(r.services[SA].availability_bp, 9935);
	assert_int_equal(r.services[SA].penalty_tiyn, 434028);
	gp_report_free(&r);

	/* Entries the ledger refuses. */
	struct gp_ledger_entry bad = d;
	bad.start = T(f, "2026-04-01T23:00");
	bad.end = T(f, "2026-04-02T01:00");
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &bad, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "refused: the probe monitored the service then (UP from "
				    "2026-04-01T19:00:00Z); a manual entry may only cover time the "
				    "probe did not monitor");
	bad.start = T(f, "2026-04-01T11:00");
	bad.end = T(f, "2026-04-01T12:00");
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &bad, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "refused: it overlaps downtime entry #1 (reported by the "
				    "customer before the probe ran); a manual entry may only cover "
				    "time the probe did not monitor");
	bad.attribution = GP_ATTR_N; /* a name is checked where it is read: the CLI */
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &bad, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "no such attribution");
	bad = d;
	bad.end = bad.start;
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &bad, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "--to must come after --from");
	bad = d;
	bad.service = "nope";
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &bad, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "no service 'nope' in the config");
}

/* Revocations seen through the store: the entry stays, marked. */
static void count_revoked(void *ctx, const struct gp_ledger_entry *e)
{
	int *n = ctx;
	if (e->revoked_at && !strcmp(e->revoke_reason, "entered against the wrong day"))
		(*n)++;
}

/* April 2026, sa up all month (2 592 000 s) but for the probe's outage of
 * 14 April 10:00-11:00, the supplier's (3 600 s): penalty 3 600 x
 * 125 000 000 / 2 592 000 = 173 611.1 -> 173 611 tiyn; availability
 * 2 588 400 / 2 592 000 = 99.861% -> 99.86. The customer phoned: sa was
 * down 10:30-12:00, the probe missed it from 11:00. Over monitored time
 * the entry is refused unless --over-monitored; then 10:30-11:00 stays
 * the probe's outage's and 11:00-12:00 (3 600 s, the probe saw it up)
 * is down, the entry's: the supplier's down time 10:00-12:00 = 7 200 s ->
 * 347 222.2 -> 347 222 tiyn; availability 2 584 800 / 2 592 000 =
 * 99.722% -> 99.72. Revoked, it stays in the store, marked, and the
 * figures are those before it: 173 611 and 99.86. */
static void test_reported_over_monitored_then_revoked(void **state)
{
	struct fx *f = *state;
	all_up(f, "2026-04-01T00:00");
	outage(f, SA, "2026-04-14T10:00", "2026-04-14T11:00", "supplier", "closed");
	heartbeat(f, "2026-05-01T00:00");
	int64_t now = T(f, "2026-05-02T00:00");

	struct gp_report r;
	build(f, "2026-04", &r);
	assert_int_equal(r.services[SA].totals.down[GP_ATTR_SUPPLIER], 3600);
	assert_int_equal(r.services[SA].penalty_tiyn, 173611);
	assert_int_equal(r.penalty_tiyn, 173611);
	assert_int_equal(r.services[SA].availability_bp, 9986);
	gp_report_free(&r);

	int64_t id;
	struct gp_ledger_entry d = {.service = "sa",
				    .start = T(f, "2026-04-14T10:30"),
				    .end = T(f, "2026-04-14T12:00"),
				    .attribution = GP_ATTR_SUPPLIER,
				    .reason = "customer by phone: agents saw no statistics",
				    .created_at = T(f, "2026-04-15T09:00"),
				    .created_by = "manager"};
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &d, now, &id, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "refused: the probe monitored the service then (DOWN from "
				    "2026-04-14T05:30:00Z); a manual entry may only cover time the "
				    "probe did not monitor");
	d.over_monitored = true;
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &d, now, &id, f->err, sizeof(f->err)),
			 0);

	build(f, "2026-04", &r);
	const struct gp_report_service *a = &r.services[SA];
	assert_int_equal(a->totals.down[GP_ATTR_SUPPLIER], 7200);
	assert_int_equal(a->totals.reported, 3600);
	assert_int_equal(a->totals.monitored, 2592000);
	assert_int_equal(a->totals.seconds[GP_SLA_UP], 2592000 - 7200);
	assert_int_equal(a->charged_seconds, 7200);
	assert_int_equal(a->penalty_tiyn, 347222);
	assert_int_equal(r.penalty_tiyn, 347222);
	assert_int_equal(a->availability_bp, 9972);
	/* The entry's own stretch is marked as such. */
	bool found = false;
	for (size_t i = 0; i < a->n_seg; i++)
		if (a->seg[i].manual == id) {
			assert_int_equal(a->seg[i].start, T(f, "2026-04-14T11:00"));
			assert_int_equal(a->seg[i].end, T(f, "2026-04-14T12:00"));
			assert_true(a->seg[i].monitored);
			found = true;
		}
	assert_true(found);
	gp_report_free(&r);

	/* Another entry over it is refused while it stands. */
	struct gp_ledger_entry again = d;
	again.start = T(f, "2026-04-14T11:30");
	assert_int_equal(gp_report_add_downtime(f->st, f->cfg, &again, now, &id, f->err,
						sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "refused: it overlaps downtime entry #1 (customer by phone: "
				    "agents saw no statistics); entries may not overlap (revoke the "
				    "other first)");

	assert_int_equal(gp_report_revoke_entry(f->st, GP_ENTRY_DOWNTIME, 1, "manager", "",
						now, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "a reason is required (--reason TEXT)");
	assert_int_equal(gp_report_revoke_entry(f->st, GP_ENTRY_DOWNTIME, 1, "manager",
						"entered against the wrong day", now, f->err,
						sizeof(f->err)),
			 0);
	assert_int_equal(gp_report_revoke_entry(f->st, GP_ENTRY_DOWNTIME, 1, "manager", "again",
						now, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "downtime entry #1 was revoked already (2026-05-01T19:00:00Z, "
				    "by manager)");
	assert_int_equal(gp_report_revoke_entry(f->st, GP_ENTRY_DOWNTIME, 7, "manager", "x", now,
						f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "no downtime entry #7");
	int revoked = 0;
	assert_int_equal(gp_store_entry_list(f->st, GP_ENTRY_DOWNTIME, "sa", INT64_MIN, INT64_MAX,
					     count_revoked, &revoked),
			 0);
	assert_int_equal(revoked, 1);

	build(f, "2026-04", &r);
	a = &r.services[SA];
	assert_int_equal(a->totals.down[GP_ATTR_SUPPLIER], 3600);
	assert_int_equal(a->totals.reported, 0);
	assert_int_equal(a->penalty_tiyn, 173611);
	assert_int_equal(r.penalty_tiyn, 173611);
	assert_int_equal(a->availability_bp, 9986);
	gp_report_free(&r);

	/* A cancelled maintenance window counts no more either: sa's outage
	 * inside it is down again. */
	struct gp_ledger_entry m = {.service = "sa",
				    .start = T(f, "2026-04-14T09:00"),
				    .end = T(f, "2026-04-14T12:00"),
				    .reason = "upgrade",
				    .created_at = T(f, "2026-04-10T12:00"),
				    .created_by = "planner"};
	assert_int_equal(gp_report_add_maintenance(f->st, f->cfg, &m, &id, f->err, sizeof(f->err)), 0);
	build(f, "2026-04", &r);
	assert_int_equal(r.penalty_tiyn, 0);
	gp_report_free(&r);
	assert_int_equal(gp_report_revoke_entry(f->st, GP_ENTRY_MAINTENANCE, id, "planner",
						"postponed", now, f->err, sizeof(f->err)),
			 0);
	build(f, "2026-04", &r);
	assert_int_equal(r.penalty_tiyn, 173611);
	gp_report_free(&r);
}

/* ledger.c alone: the rules' order on crafted inputs. */
static void test_classify_rules(void **state)
{
	(void)state;
	const struct gp_sla_period p[] = {
		{0, 100, GP_LEDGER_UP},
		{100, 200, GP_LEDGER_DOWN},
		{200, 250, GP_LEDGER_UNKNOWN},
		{250, 300, GP_LEDGER_DEGRADED},
	};
	const struct gp_sla_outage o[] = {{90, 150, 7, GP_ATTR_THIRD_PARTY, false},
					  {150, INT64_MAX, 8, GP_ATTR_SUPPLIER, true}};
	const struct gp_sla_manual man[] = {{210, 230, 3, GP_ATTR_CUSTOMER, false}};
	const struct gp_span mw[] = {{140, 160}, {120, 145}, {215, 220}};
	struct gp_sla_input in = {p, 4, o, 2, man, 1, mw, 3};
	struct gp_sla_segment *s;
	size_t n = gp_sla_classify(&in, -50, 320, &s);
	const struct {
		int64_t a, b;
		enum gp_sla_class c;
	} want[] = {
		{-50, 0, GP_SLA_UNMONITORED}, {0, 100, GP_SLA_UP},
		{100, 120, GP_SLA_DOWN},      /* third party's, #7 */
		{120, 150, GP_SLA_MAINTENANCE}, /* #7's, then #8's: kept apart */
		{150, 160, GP_SLA_MAINTENANCE}, {160, 200, GP_SLA_VOIDED},
		{200, 210, GP_SLA_UNMONITORED}, {210, 215, GP_SLA_DOWN}, /* entry #3 */
		{215, 220, GP_SLA_MAINTENANCE}, {220, 230, GP_SLA_DOWN},
		{230, 250, GP_SLA_UNMONITORED}, {250, 300, GP_SLA_DEGRADED},
		{300, 320, GP_SLA_UNMONITORED},
	};
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(s[i].start, want[i].a);
		assert_int_equal(s[i].end, want[i].b);
		assert_int_equal(s[i].cls, want[i].c);
	}
	assert_int_equal(s[2].attribution, GP_ATTR_THIRD_PARTY);
	assert_int_equal(s[2].incident, 7);
	assert_int_equal(s[4].incident, 8);
	assert_int_equal(s[7].attribution, GP_ATTR_CUSTOMER);
	assert_int_equal(s[7].manual, 3);
	free(s);

	/* Over monitored time (over_monitored): up and degraded time under
	 * the entry turns down, the probe's own DOWN stays its outage's. */
	const struct gp_sla_manual rep[] = {{50, 110, 4, GP_ATTR_SUPPLIER, true}};
	struct gp_sla_input in2 = {p, 4, o, 2, rep, 1, NULL, 0};
	n = gp_sla_classify(&in2, 0, 200, &s);
	assert_int_equal(n, 4);
	assert_int_equal(s[0].cls, GP_SLA_UP);
	assert_int_equal(s[0].end, 50);
	assert_int_equal(s[1].cls, GP_SLA_DOWN);
	assert_int_equal(s[1].end, 100);
	assert_int_equal(s[1].manual, 4);
	assert_true(s[1].monitored);
	assert_int_equal(s[2].cls, GP_SLA_DOWN);
	assert_int_equal(s[2].start, 100);
	assert_int_equal(s[2].end, 150);
	assert_int_equal(s[2].incident, 7);
	assert_int_equal(s[2].manual, 0);
	assert_int_equal(s[3].cls, GP_SLA_VOIDED);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weekend_and_holiday, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap_union_and_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sum_rounded_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ceil_and_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_term_starting_mid_month, setup, teardown),
		cmocka_unit_test_setup_teardown(test_availability_over_monitored_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_reached_in_month_nine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_with_vat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribution_void_maintenance_manual, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reported_over_monitored_then_revoked, setup,
						teardown),
		cmocka_unit_test(test_classify_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
