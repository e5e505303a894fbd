/*
 * The daemon's last minute (health.h) with invented clock values: the
 * worst lag and the late checks of the last six buckets only, RRD totals
 * turned into what happened within the minute, a writer started anew.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health.h"

#define S 1000000LL /* microseconds in a second */

static struct gp_probe_health sum(const struct gp_health_window *w, int64_t now)
{
	struct gp_probe_health h;
	gp_health_sum(w, now, &h);
	return h;
}

static void test_lag_of_the_last_minute(void **state)
{
	(void)state;
	struct gp_health_window w = {0};
	int64_t t0 = 1000 * S;
	assert_int_equal(sum(&w, t0).lag_ms, 0);
	gp_health_started(&w, t0, 2500 * 1000);     /* 2.5 s late */
	gp_health_started(&w, t0 + 1 * S, 300 * 1000);
	gp_health_started(&w, t0 + 15 * S, 1200 * 1000);
	struct gp_probe_health h = sum(&w, t0 + 20 * S);
	assert_int_equal(h.lag_ms, 2500);
	assert_int_equal(h.late, 2); /* more than 1 s: 2.5 s and 1.2 s */
	/* Past a minute the 2.5 s are gone; the 1.2 s of t0 + 15 s stay
	 * until its bucket is a minute old. */
	h = sum(&w, t0 + 65 * S);
	assert_int_equal(h.lag_ms, 1200);
	assert_int_equal(h.late, 1);
	h = sum(&w, t0 + 80 * S);
	assert_int_equal(h.lag_ms, 0);
	assert_int_equal(h.late, 0);
}

static void test_bucket_reused_after_a_minute(void **state)
{
	(void)state;
	struct gp_health_window w = {0};
	int64_t t0 = 500 * S;
	gp_health_started(&w, t0, 5 * S);
	/* The same bucket index a minute later: the old figures are not
	 * added to the new. */
	gp_health_started(&w, t0 + 60 * S, 100 * 1000);
	struct gp_probe_health h = sum(&w, t0 + 60 * S);
	assert_int_equal(h.lag_ms, 100);
	assert_int_equal(h.late, 0);
}

static void test_rrd_totals_to_the_minute(void **state)
{
	(void)state;
	struct gp_health_window w = {0};
	int64_t t0 = 2000 * S;
	gp_health_rrd(&w, t0, 0, 0);
	gp_health_rrd(&w, t0 + 10 * S, 4, 1);
	gp_health_rrd(&w, t0 + 20 * S, 10, 1);
	struct gp_probe_health h = sum(&w, t0 + 25 * S);
	assert_int_equal(h.rrd_failed, 10);
	assert_int_equal(h.rrd_dropped, 1);
	/* A minute on with no new failures: nothing. */
	gp_health_rrd(&w, t0 + 90 * S, 10, 1);
	h = sum(&w, t0 + 90 * S);
	assert_int_equal(h.rrd_failed, 0);
	assert_int_equal(h.rrd_dropped, 0);
	/* A writer started anew counts from 0: its totals are new. */
	gp_health_rrd(&w, t0 + 100 * S, 3, 0);
	h = sum(&w, t0 + 100 * S);
	assert_int_equal(h.rrd_failed, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lag_of_the_last_minute),
		cmocka_unit_test(test_bucket_reused_after_a_minute),
		cmocka_unit_test(test_rrd_totals_to_the_minute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
