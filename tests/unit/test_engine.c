/*
 * The state engine with an injected clock: every result carries its time,
 * nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "testconfig.h"

enum { OK = GP_STATE_OK, WARN = GP_STATE_WARNING, CRIT = GP_STATE_CRITICAL, UNK = GP_STATE_UNKNOWN };

/* tests/configs/good/engine.yaml: targets a, b (one availability check
 * "up" each, attempts 3) and c (an availability check and a
 * non-availability one), gw (the uplink, attempts 1); services:
 * ha = any(a, b), one = a, both = a and c. */
enum { A = 0, B = 1, C = 2, C_EXTRA = 3, GW = 4 };       /* check indexes */
enum { T_A = 0, T_B = 1, T_C = 2, T_GW = 3 };            /* target indexes */
enum { S_HA = 0, S_ONE = 1, S_BOTH = 2 };                /* service indexes */

struct fx {
	struct gp_config *cfg;
	struct gp_engine *e;
};

static struct gp_config *load(void)
{
	struct gp_errlist el = {0};
	struct gp_config *cfg = test_config_load(CONFIG_DIR "/good/engine.yaml", NULL, &el);
	if (!cfg)
		gp_errlist_print(&el, stderr);
	gp_errlist_free(&el);
	assert_non_null(cfg);
	return cfg;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->cfg = load();
	f->e = gp_engine_new(f->cfg, 1000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gp_engine_free(f->e);
	gp_config_free(f->cfg);
	free(f);
	return 0;
}

static void res(struct fx *f, size_t check, int st, int64_t at)
{
	gp_engine_result(f->e, check, (enum gp_state)st, at, "text");
}

/* Everything up at t: the gateway, a, b, c. */
static void all_up(struct fx *f, int64_t t)
{
	res(f, GW, OK, t);
	res(f, A, OK, t);
	res(f, B, OK, t);
	res(f, C, OK, t);
	res(f, C_EXTRA, OK, t);
}

static enum gp_health svc(struct fx *f, size_t s)
{
	return gp_engine_service_status(f->e, s)->state;
}

static const struct gp_event *find(struct fx *f, enum gp_event_kind kind, size_t index,
				   size_t *count)
{
	size_t n;
	const struct gp_event *ev = gp_engine_events(f->e, &n), *found = NULL;
	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == kind && ev[i].index == index) {
			found = found ? found : &ev[i];
			(*count)++;
		}
	return found;
}

static void test_starts_unknown_then_up(void **state)
{
	struct fx *f = *state;
	assert_int_equal(svc(f, S_HA), GP_HEALTH_UNKNOWN);
	all_up(f, 1010);
	assert_int_equal(svc(f, S_HA), GP_UP);
	assert_int_equal(svc(f, S_BOTH), GP_UP);
	assert_int_equal(gp_engine_service_status(f->e, S_HA)->since, 1010);
	size_t n;
	const struct gp_event *ev = find(f, GP_EV_SERVICE, S_ONE, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev->old_state, GP_HEALTH_UNKNOWN);
	assert_int_equal(ev->new_state, GP_UP);
	find(f, GP_EV_OUTAGE_OPENED, S_ONE, &n);
	assert_int_equal(n, 0);
}

static void test_soft_failures_change_nothing(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	gp_engine_clear_events(f->e);
	res(f, A, CRIT, 1020);
	assert_true(gp_engine_check_retrying(f->e, A));
	res(f, A, CRIT, 1025);
	res(f, A, OK, 1030);
	assert_false(gp_engine_check_retrying(f->e, A));
	size_t n;
	gp_engine_events(f->e, &n);
	assert_int_equal(n, 0);
	assert_int_equal(svc(f, S_ONE), GP_UP);
	assert_int_equal(gp_engine_check_status(f->e, A)->fails, 0);
}

static void test_outage_dated_to_first_failure(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	gp_engine_clear_events(f->e);
	res(f, A, CRIT, 1100);
	res(f, A, CRIT, 1105);
	assert_int_equal(svc(f, S_ONE), GP_UP);
	res(f, A, CRIT, 1110); /* third: hard */
	assert_false(gp_engine_check_retrying(f->e, A));
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_DOWN);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->since, 1100);
	assert_int_equal(svc(f, S_ONE), GP_DOWN);
	assert_int_equal(gp_engine_service_status(f->e, S_ONE)->since, 1100);
	size_t n;
	const struct gp_event *ev = find(f, GP_EV_OUTAGE_OPENED, S_ONE, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev->at, 1100);
	assert_string_equal(ev->detail, "a");
	/* ha = any(a, b) lost one member: degraded, from when that was known. */
	assert_int_equal(svc(f, S_HA), GP_DEGRADED);
	assert_int_equal(gp_engine_service_status(f->e, S_HA)->since, 1110);
	/* both = a and c: down too. */
	assert_int_equal(svc(f, S_BOTH), GP_DOWN);

	/* The first OK result restores it, at once. */
	gp_engine_clear_events(f->e);
	res(f, A, OK, 1200);
	assert_int_equal(svc(f, S_ONE), GP_UP);
	ev = find(f, GP_EV_OUTAGE_RESTORED, S_ONE, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev->at, 1200);
	assert_int_equal(ev->outage_start, 1100);
	assert_int_equal(gp_engine_service_status(f->e, S_ONE)->outage_start, 0);
	assert_int_equal(gp_engine_service_status(f->e, S_ONE)->floor, 1200);
}

static void test_ha_pair_down_when_both_are(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, A, CRIT, 1100 + 5 * i);
	assert_int_equal(svc(f, S_HA), GP_DEGRADED);
	gp_engine_clear_events(f->e);
	for (int i = 0; i < 3; i++)
		res(f, B, CRIT, 1130 + 5 * i);
	assert_int_equal(svc(f, S_HA), GP_DOWN);
	/* Down since the second member's first failure, not the first's. */
	size_t n;
	const struct gp_event *ev = find(f, GP_EV_OUTAGE_OPENED, S_HA, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev->at, 1130);
	assert_string_equal(ev->detail, "a,b");
	ev = find(f, GP_EV_SERVICE, S_HA, &n);
	assert_int_equal(ev->old_state, GP_DEGRADED);
	assert_int_equal(ev->at, 1130);
	/* One member back: up again, degraded. */
	res(f, B, OK, 1200);
	assert_int_equal(svc(f, S_HA), GP_DEGRADED);
	find(f, GP_EV_OUTAGE_RESTORED, S_HA, &n);
	assert_int_equal(n, 1);
}

static void test_no_backdating_out_of_unknown(void **state)
{
	struct fx *f = *state;
	/* Nothing has answered yet: everything UNKNOWN. a fails from the
	 * start; when it turns hard the service leaves UNKNOWN for DOWN, and
	 * the unknown time before stays unknown. */
	res(f, GW, OK, 1001);
	res(f, A, CRIT, 1002);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_HEALTH_UNKNOWN);
	res(f, A, CRIT, 1007);
	res(f, A, CRIT, 1012);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_DOWN);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->since, 1002);
	assert_int_equal(svc(f, S_ONE), GP_DOWN);
	assert_int_equal(gp_engine_service_status(f->e, S_ONE)->since, 1012);
	size_t n;
	const struct gp_event *ev = find(f, GP_EV_OUTAGE_OPENED, S_ONE, &n);
	assert_int_equal(ev->at, 1012);
}

static void test_no_backdating_over_a_previous_outage(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, C, CRIT, 1100 + 5 * i); /* both: down from 1100 */
	/* a starts failing while c is still down; c comes back at 1115. */
	res(f, A, CRIT, 1112);
	res(f, C, OK, 1115);
	assert_int_equal(svc(f, S_BOTH), GP_UP);
	gp_engine_clear_events(f->e);
	res(f, A, CRIT, 1117);
	res(f, A, CRIT, 1122);
	/* a's run began at 1112, inside c's outage: the new outage of
	 * `both` starts when the previous one ended, 1115. */
	assert_int_equal(svc(f, S_BOTH), GP_DOWN);
	size_t n;
	const struct gp_event *ev = find(f, GP_EV_OUTAGE_OPENED, S_BOTH, &n);
	assert_int_equal(ev->at, 1115);
	/* `one` (a alone) was up the whole time: its outage starts at 1112. */
	ev = find(f, GP_EV_OUTAGE_OPENED, S_ONE, &n);
	assert_int_equal(ev->at, 1112);
}

static void test_availability_false_degrades(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, C_EXTRA, CRIT, 1100 + 5 * i);
	assert_int_equal(gp_engine_target_status(f->e, T_C)->state, GP_DEGRADED);
	assert_int_equal(svc(f, S_BOTH), GP_DEGRADED);
	size_t n;
	find(f, GP_EV_OUTAGE_OPENED, S_BOTH, &n);
	assert_int_equal(n, 0);
	/* A warning degrades too. */
	res(f, C_EXTRA, OK, 1120);
	assert_int_equal(svc(f, S_BOTH), GP_UP);
	for (int i = 0; i < 3; i++)
		res(f, A, WARN, 1130 + 5 * i);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_DEGRADED);
	assert_int_equal(svc(f, S_ONE), GP_DEGRADED);
}

static void test_unknown_check_is_not_down(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, A, UNK, 1100 + 5 * i);
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_HEALTH_UNKNOWN);
	assert_int_equal(svc(f, S_ONE), GP_HEALTH_UNKNOWN);
	/* any(a, b) with b up does not depend on a. */
	assert_int_equal(svc(f, S_HA), GP_UP);
	/* Hard UNKNOWN then CRITICAL: DOWN at once, from that result (the
	 * unknown time is not rewritten). */
	res(f, A, CRIT, 1120);
	assert_int_equal(svc(f, S_ONE), GP_DOWN);
	assert_int_equal(gp_engine_service_status(f->e, S_ONE)->since, 1120);
}

static void test_isolated_probe_sees_no_outage(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	gp_engine_clear_events(f->e);
	res(f, GW, CRIT, 1100);
	assert_true(gp_engine_isolated(f->e));
	assert_int_equal(svc(f, S_HA), GP_HEALTH_UNKNOWN);
	assert_int_equal(svc(f, S_ONE), GP_HEALTH_UNKNOWN);
	for (int i = 0; i < 3; i++) {
		res(f, A, CRIT, 1101 + 5 * i);
		res(f, B, CRIT, 1101 + 5 * i);
		res(f, GW, CRIT, 1101 + 5 * i);
	}
	assert_int_equal(gp_engine_target_status(f->e, T_A)->state, GP_DOWN);
	assert_int_equal(svc(f, S_HA), GP_HEALTH_UNKNOWN);
	size_t n;
	find(f, GP_EV_OUTAGE_OPENED, S_HA, &n);
	assert_int_equal(n, 0);
	find(f, GP_EV_ISOLATION, 0, &n);
	assert_int_equal(n, 1);
	/* The uplink is back, a and b are still down: DOWN from now, the
	 * blind time stays unknown. */
	res(f, GW, OK, 1200);
	assert_false(gp_engine_isolated(f->e));
	assert_int_equal(svc(f, S_HA), GP_DOWN);
	const struct gp_event *ev = find(f, GP_EV_OUTAGE_OPENED, S_HA, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ev->at, 1200);
}

static void test_out_of_order_results(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, C_EXTRA, CRIT, 1100 + 5 * i); /* both DEGRADED at 1110 */
	/* A slow result of c started at 1105 arrives after: c goes down at
	 * 1105 by its own dating, the service not before its last change. */
	res(f, C, CRIT, 1104);
	res(f, C, CRIT, 1105);
	res(f, C, CRIT, 1106);
	assert_int_equal(svc(f, S_BOTH), GP_DOWN);
	/* Backdating may go behind the DEGRADED change (1110): that time was
	 * up, now known to be down. */
	assert_int_equal(gp_engine_service_status(f->e, S_BOTH)->since, 1104);
	res(f, C, OK, 1050); /* a stale OK from before: no earlier than 1104 */
	assert_int_equal(svc(f, S_BOTH), GP_DEGRADED);
	assert_true(gp_engine_service_status(f->e, S_BOTH)->since >= 1104);
}

static void test_restore_and_resume(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	for (int i = 0; i < 3; i++)
		res(f, A, CRIT, 1100 + 5 * i);
	/* The probe stops; a new engine gets what the database kept. */
	struct gp_engine *e2 = gp_engine_new(f->cfg, 5000);
	for (size_t i = 0; i < gp_engine_n_checks(f->e); i++)
		gp_engine_restore_check(e2, i, gp_engine_check_status(f->e, i));
	for (size_t t = 0; t < f->cfg->n_targets; t++)
		gp_engine_restore_target(e2, t, gp_engine_target_status(f->e, t));
	for (size_t s = 0; s < f->cfg->n_services; s++)
		gp_engine_restore_service(e2, s, gp_engine_service_status(f->e, s));
	gp_engine_resume(e2, 5000);
	size_t n;
	gp_engine_events(e2, &n);
	assert_int_equal(n, 0); /* nothing changed: the outage goes on */
	assert_int_equal(gp_engine_service_status(e2, S_ONE)->state, GP_DOWN);
	assert_int_equal(gp_engine_service_status(e2, S_ONE)->outage_start, 1100);
	assert_int_equal(gp_engine_service_status(e2, S_ONE)->floor, 5000);
	gp_engine_result(e2, A, GP_STATE_OK, 5010, "back");
	const struct gp_event *ev = gp_engine_events(e2, &n);
	bool restored = false;
	for (size_t i = 0; i < n; i++)
		if (ev[i].kind == GP_EV_OUTAGE_RESTORED && ev[i].index == S_ONE) {
			restored = true;
			assert_int_equal(ev[i].outage_start, 1100);
			assert_int_equal(ev[i].at, 5010);
		}
	assert_true(restored);
	gp_engine_free(e2);
}

static void test_check_events_carry_hard_changes(void **state)
{
	struct fx *f = *state;
	all_up(f, 1010);
	gp_engine_clear_events(f->e);
	res(f, B, CRIT, 1100);
	res(f, B, CRIT, 1105);
	res(f, B, CRIT, 1110);
	res(f, B, UNK, 1115); /* hard problem to another problem: at once */
	size_t n;
	const struct gp_event *ev = gp_engine_events(f->e, &n);
	size_t checks = 0;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != GP_EV_CHECK)
			continue;
		checks++;
		if (checks == 1) {
			assert_int_equal(ev[i].new_state, CRIT);
			assert_int_equal(ev[i].at, 1100);
		} else {
			assert_int_equal(ev[i].new_state, UNK);
			assert_int_equal(ev[i].at, 1115);
		}
	}
	assert_int_equal(checks, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_starts_unknown_then_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_failures_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_dated_to_first_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ha_pair_down_when_both_are, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_backdating_out_of_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_backdating_over_a_previous_outage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_availability_false_degrades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_check_is_not_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolated_probe_sees_no_outage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_events_carry_hard_changes, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
