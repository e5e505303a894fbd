/*
 * test_maintenance.c - which down time planned work covers: a window on
 * the service, or windows on every DOWN component (maintenance.c, pure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "maintenance.h"

static struct gp_maint_window w[] = {
	{.service = "outbound", .start = 100, .end = 200},
	{.target = "ocs-1", .start = 150, .end = 300},
	{.target = "ocs-2", .start = 250, .end = 400},
	{.target = "ocs-1", .start = 290, .end = 350}, /* overlaps the other */
};
static const struct gp_maint m = {w, 4, 4};

static void test_covers_at(void **state)
{
	(void)state;
	/* The service's own window, whatever is down. */
	assert_true(gp_maint_covers(&m, "outbound", "conf-1", 100));
	assert_false(gp_maint_covers(&m, "outbound", "conf-1", 200)); /* the end is outside */
	assert_false(gp_maint_covers(&m, "stat", "conf-1", 150));
	/* A component's: only when every DOWN member has one. */
	assert_true(gp_maint_covers(&m, "stat", "ocs-1", 150));
	assert_false(gp_maint_covers(&m, "stat", "ocs-1,conf-1", 150));
	assert_false(gp_maint_covers(&m, "stat", "ocs-1,ocs-2", 200));
	assert_true(gp_maint_covers(&m, "stat", "ocs-1,ocs-2", 260));
	/* No member named: no component window applies. */
	assert_false(gp_maint_covers(&m, "stat", "", 160));
	assert_false(gp_maint_covers(&m, "stat", NULL, 160));
	/* Names are whole: ocs-10 is not ocs-1. */
	assert_false(gp_maint_covers(&m, "stat", "ocs-10", 160));
}

static void test_cover_spans(void **state)
{
	(void)state;
	struct gp_span *s;
	/* Both OCS down from 0 to 1000: covered where both windows are. */
	size_t n = gp_maint_cover(&m, "stat", "ocs-1,ocs-2", 0, 1000, &s);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].start, 250);
	assert_int_equal(s[0].end, 350);
	free(s);
	/* ocs-1 alone: its two windows, merged where they touch. */
	n = gp_maint_cover(&m, "stat", "ocs-1", 0, 1000, &s);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].start, 150);
	assert_int_equal(s[0].end, 350);
	free(s);
	/* The service's window and ocs-1's together, clipped to [120, 320). */
	n = gp_maint_cover(&m, "outbound", "ocs-1", 120, 320, &s);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].start, 120);
	assert_int_equal(s[0].end, 320);
	free(s);
	/* conf-1 down: only the service's own window. */
	n = gp_maint_cover(&m, "outbound", "conf-1", 0, 1000, &s);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].start, 100);
	assert_int_equal(s[0].end, 200);
	free(s);
	assert_int_equal(gp_maint_cover(&m, "stat", "conf-1", 0, 1000, &s), 0);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_covers_at),
		cmocka_unit_test(test_cover_spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
