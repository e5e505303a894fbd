/*
 * A node's part in the probe pair (pair.h) with invented clock values and
 * lease answers: when it asks, what each answer makes of it, and that an
 * active node stops acting a third of the lease before its standby may
 * take over, renewed or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "pair.h"

#define S 1000000LL /* microseconds in a second */

static void init(struct gp_pair *p, int64_t ttl_s)
{
	struct gp_probe_settings s = {.node = "a", .failover_after_ms = ttl_s * 1000};
	gp_pair_init(p, &s, 42, 1700000000);
}

static struct gp_lease held(int64_t since)
{
	struct gp_lease l = {.held = true, .since = since};
	strcpy(l.holder, "a");
	return l;
}

static struct gp_lease other(const char *holder, int64_t age_ms)
{
	struct gp_lease l = {.held = false, .age_ms = age_ms};
	strcpy(l.holder, holder);
	return l;
}

static void test_standby_until_granted(void **state)
{
	(void)state;
	struct gp_pair p;
	init(&p, 15);
	assert_string_equal(p.node, "a");
	assert_string_equal(p.site, "");
	assert_true(gp_pair_due(&p, 0)); /* asks at once */
	struct gp_lease l = other("b", 2000);
	assert_int_equal(gp_pair_answer(&p, 0, 0, &l), GP_PAIR_WAIT);
	assert_false(gp_pair_may_act(&p, 0));
	assert_string_equal(p.holder, "b");
	assert_int_equal(p.holder_age_ms, 2000);
	/* Again in a third of the lease, not before. */
	assert_false(gp_pair_due(&p, 5 * S - 1));
	assert_true(gp_pair_due(&p, 5 * S));
	l = held(1700000005);
	assert_int_equal(gp_pair_answer(&p, 5 * S, 0, &l), GP_PAIR_TAKE);
	assert_true(p.active);
	assert_int_equal(p.since, 1700000005);
	assert_true(gp_pair_may_act(&p, 5 * S));
}

static void test_active_renews_and_stops_acting_in_time(void **state)
{
	(void)state;
	struct gp_pair p;
	init(&p, 15);
	struct gp_lease l = held(1);
	assert_int_equal(gp_pair_answer(&p, 0, 0, &l), GP_PAIR_TAKE);
	assert_int_equal(gp_pair_answer(&p, 5 * S, 0, &l), GP_PAIR_KEEP);
	/* The renewal at 5 s is the last: the node may act until 5 + 10 s,
	 * a third of the lease before the standby may take it at 5 + 15 s. */
	assert_true(gp_pair_may_act(&p, 15 * S - 1));
	assert_false(gp_pair_may_act(&p, 15 * S));
	/* An answer that comes after the node stopped acting is a step down,
	 * held or not: what it held meanwhile it did not use. */
	assert_int_equal(gp_pair_answer(&p, 16 * S, 0, &l), GP_PAIR_STEP_DOWN);
	assert_false(p.active);
}

static void test_store_error_or_lost_lease_steps_down(void **state)
{
	(void)state;
	struct gp_pair p;
	init(&p, 3);
	struct gp_lease l = held(1);
	assert_int_equal(gp_pair_answer(&p, 0, 0, &l), GP_PAIR_TAKE);
	/* The store cannot answer: down at once, not at the lease's end. */
	struct gp_lease none = {0};
	assert_int_equal(gp_pair_answer(&p, 1 * S, -1, &none), GP_PAIR_STEP_DOWN);
	assert_false(gp_pair_may_act(&p, 1 * S));
	/* A standby whose store fails stays one. */
	assert_int_equal(gp_pair_answer(&p, 2 * S, -1, &none), GP_PAIR_WAIT);
	assert_int_equal(gp_pair_answer(&p, 3 * S, 0, &l), GP_PAIR_TAKE);
	l = other("b", 10);
	assert_int_equal(gp_pair_answer(&p, 4 * S, 0, &l), GP_PAIR_STEP_DOWN);
	assert_string_equal(p.holder, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standby_until_granted),
		cmocka_unit_test(test_active_renews_and_stops_acting_in_time),
		cmocka_unit_test(test_store_error_or_lost_lease_steps_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
