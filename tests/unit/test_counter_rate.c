/*
 * test_counter_rate.c - SNMP counter rates: first sample, steady rate,
 * Counter32 wrap, counter reset, agent restart, Counter64, no time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "counter_rate.h"

static void test_rates(void **state)
{
	(void)state;
	struct gp_counter_prev p = {0};
	double rate = -1;
	uint64_t delta;

	assert_int_equal(gp_counter_rate(&p, 32, 1000, 10000, &rate, &delta), GP_RATE_FIRST);
	/* +500 in 10 s of agent time (1000 ticks) = 50/s */
	assert_int_equal(gp_counter_rate(&p, 32, 1500, 11000, &rate, &delta), GP_RATE_OK);
	assert_true(rate == 50.0);
	assert_int_equal(delta, 500);

	/* Counter32 wrap: 4294967000 -> 200 is +496 */
	p = (struct gp_counter_prev){0};
	gp_counter_rate(&p, 32, 4294967000ULL, 100, &rate, &delta);
	assert_int_equal(gp_counter_rate(&p, 32, 200, 200, &rate, &delta), GP_RATE_OK);
	assert_int_equal(delta, 496);
	assert_true(rate == 496.0);

	/* A small decrease is a reset, never a wrap of ~4e9. */
	assert_int_equal(gp_counter_rate(&p, 32, 150, 300, &rate, &delta), GP_RATE_RESET);
	/* ...and the next sample rates from the new base. */
	assert_int_equal(gp_counter_rate(&p, 32, 250, 400, &rate, &delta), GP_RATE_OK);
	assert_int_equal(delta, 100);

	/* Agent restart: uptime went back, whatever the counter did. */
	assert_int_equal(gp_counter_rate(&p, 32, 999999, 50, &rate, &delta), GP_RATE_RESTART);
	assert_int_equal(gp_counter_rate(&p, 32, 1000099, 150, &rate, &delta), GP_RATE_OK);
	assert_int_equal(delta, 100);

	/* No agent time between samples: no rate, no division by zero. */
	assert_int_equal(gp_counter_rate(&p, 32, 1000199, 150, &rate, &delta), GP_RATE_NO_TIME);

	/* Counter64: large values exact; any decrease is a reset. */
	p = (struct gp_counter_prev){0};
	gp_counter_rate(&p, 64, 18446744073709551000ULL, 0, &rate, &delta);
	assert_int_equal(gp_counter_rate(&p, 64, 18446744073709551100ULL, 100, &rate, &delta),
			 GP_RATE_OK);
	assert_int_equal(delta, 100);
	assert_int_equal(gp_counter_rate(&p, 64, 5, 200, &rate, &delta), GP_RATE_RESET);

	/* A counter that changes width (the agent's MIB changed) starts over. */
	assert_int_equal(gp_counter_rate(&p, 32, 6, 300, &rate, &delta), GP_RATE_FIRST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_rates)};
	return cmocka_run_group_tests_name("counter_rate", tests, NULL, NULL);
}
