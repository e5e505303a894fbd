/*
 * The scheduler's rules (schedule.h) with invented clock values: the due
 * heap's order, first runs spread by target, the retry interval while a
 * check fails softly (decided by the real state engine), the runner's
 * wait, the turn's rest and when a turn commits; the systemd watchdog's
 * pace and its environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "schedule.h"
#include "sdnotify.h"
#include "testconfig.h"

#define S 1000000LL /* microseconds in a second */

enum { OK = GP_STATE_OK, CRIT = GP_STATE_CRITICAL };

/* tests/configs/good/engine.yaml: targets a, b, c (two checks), gw (the
 * uplink, attempts 1); interval 10s, retry_interval 5s, attempts 3 (the
 * defaults). */
enum { A = 0, B = 1, C = 2, C_EXTRA = 3, GW = 4, N_CHECKS = 5 };

struct fx {
	struct gp_config *cfg;
	struct gp_engine *e;
	struct gp_due_heap h;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gp_errlist el = {0};
	f->cfg = test_config_load(CONFIG_DIR "/good/engine.yaml", NULL, &el);
	if (!f->cfg)
		gp_errlist_print(&el, stderr);
	gp_errlist_free(&el);
	assert_non_null(f->cfg);
	f->e = gp_engine_new(f->cfg, 1000);
	assert_int_equal(gp_engine_n_checks(f->e), N_CHECKS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gp_due_free(&f->h);
	gp_engine_free(f->e);
	gp_config_free(f->cfg);
	free(f);
	return 0;
}

/* Pops everything due at now into jobs[] and times[]; returns how many. */
static size_t pop_all(struct gp_due_heap *h, int64_t now, size_t *jobs, int64_t *times,
		      size_t max)
{
	size_t n = 0;
	struct gp_due e;
	while (n < max && gp_due_pop(h, now, &e)) {
		jobs[n] = e.job;
		times[n++] = e.at_us;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* The due heap                                                        */

static void test_due_earliest_first(void **state)
{
	(void)state;
	struct gp_due_heap h = {0};
	const int64_t at[] = {50, 10, 40, 30, 20, 60, 0};
	for (size_t i = 0; i < 7; i++)
		gp_due_push(&h, at[i] * S, i);
	struct gp_due top;
	assert_true(gp_due_peek(&h, &top));
	assert_int_equal(top.at_us, 0);
	assert_int_equal(top.job, 6);
	size_t jobs[8];
	int64_t times[8];
	assert_int_equal(pop_all(&h, 100 * S, jobs, times, 8), 7);
	const size_t want[] = {6, 1, 4, 3, 2, 0, 5};
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(jobs[i], want[i]);
		assert_int_equal(times[i], (int64_t)i * 10 * S);
	}
	assert_int_equal(h.n, 0);
	assert_false(gp_due_peek(&h, &top));
	gp_due_free(&h);
	assert_null(h.v);
}

static void test_due_pops_only_what_is_due(void **state)
{
	(void)state;
	struct gp_due_heap h = {0};
	gp_due_push(&h, 200, 1);
	gp_due_push(&h, 100, 0);
	gp_due_push(&h, 300, 2);
	struct gp_due e = {-1, 99};
	assert_false(gp_due_pop(&h, 99, &e)); /* nothing due yet */
	assert_int_equal(e.job, 99);          /* untouched */
	assert_int_equal(h.n, 3);
	assert_true(gp_due_pop(&h, 100, &e)); /* due at its very microsecond */
	assert_int_equal(e.job, 0);
	assert_true(gp_due_pop(&h, 250, &e));
	assert_int_equal(e.job, 1);
	assert_false(gp_due_pop(&h, 250, &e));
	assert_true(gp_due_peek(&h, &e));
	assert_int_equal(e.at_us, 300);
	assert_int_equal(h.n, 1);
	gp_due_free(&h);
}

static void test_due_ties_in_job_order(void **state)
{
	(void)state;
	struct gp_due_heap h = {0};
	/* Pushed in no order; two groups at equal times. */
	const size_t jobs_in[] = {7, 3, 5, 1, 6, 2, 4, 0};
	for (size_t i = 0; i < 8; i++)
		gp_due_push(&h, jobs_in[i] < 4 ? 5 * S : 2 * S, jobs_in[i]);
	size_t jobs[8];
	int64_t times[8];
	assert_int_equal(pop_all(&h, 10 * S, jobs, times, 8), 8);
	const size_t want[] = {4, 5, 6, 7, 0, 1, 2, 3};
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(jobs[i], want[i]);
	gp_due_free(&h);
}

/* Many entries, pushes and pops interleaved: always the (time, job)
 * minimum of what is left. */
static void test_due_many_interleaved(void **state)
{
	(void)state;
	enum { N = 500 };
	struct gp_due_heap h = {0};
	static bool left[N];
	static int64_t at[N];
	uint32_t x = 12345;
	for (size_t i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		at[i] = (int64_t)((x >> 16) % 50) * S; /* many ties */
	}
	size_t pushed = 0, popped = 0;
	while (popped < N) {
		for (int k = 0; k < 3 && pushed < N; k++, pushed++) {
			gp_due_push(&h, at[pushed], pushed);
			left[pushed] = true;
		}
		struct gp_due e;
		assert_true(gp_due_pop(&h, INT64_MAX, &e));
		size_t best = N;
		for (size_t i = 0; i < pushed; i++)
			if (left[i] && (best == N || at[i] < at[best]))
				best = i; /* the first of equal times: the lowest job */
		assert_int_equal(e.job, best);
		assert_int_equal(e.at_us, at[best]);
		left[best] = false;
		popped++;
	}
	assert_int_equal(h.n, 0);
	gp_due_free(&h);
}

/* ------------------------------------------------------------------ */
/* First runs and next runs                                            */

static void test_first_runs_spread_by_target(void **state)
{
	struct fx *f = *state;
	const int64_t start = 777 * S;
	/* The daemon's way: each check at its target's share of its interval. */
	for (size_t k = 0; k < N_CHECKS; k++) {
		const struct gp_check *c = gp_engine_check(f->e, k);
		const struct gp_target *t = gp_engine_check_target(f->e, k);
		assert_int_equal(c->interval_ms, 10000);
		gp_due_push(&f->h,
			    gp_sched_first_us(start, (size_t)(t - f->cfg->targets), f->cfg->n_targets,
					      c->interval_ms),
			    k);
	}
	size_t jobs[N_CHECKS];
	int64_t times[N_CHECKS];
	assert_int_equal(pop_all(&f->h, start + 10 * S, jobs, times, N_CHECKS), N_CHECKS);
	/* Four targets over 10 s: 0, 2.5, 5 (both of c's checks), 7.5 s. */
	const size_t want_job[] = {A, B, C, C_EXTRA, GW};
	const int64_t want_at[] = {0, 2500000, 5 * S, 5 * S, 7500000};
	for (size_t i = 0; i < N_CHECKS; i++) {
		assert_int_equal(jobs[i], want_job[i]);
		assert_int_equal(times[i], start + want_at[i]);
	}

	/* Always inside the first interval, the first target at once; a
	 * per-check interval spreads over its own length. */
	assert_int_equal(gp_sched_first_us(start, 0, 1000, 60000), start);
	assert_int_equal(gp_sched_first_us(start, 999, 1000, 60000), start + 59940000);
	assert_int_equal(gp_sched_first_us(start, 1, 3, 1000), start + 333333);
	/* Nothing to spread over: at once. */
	assert_int_equal(gp_sched_first_us(start, 0, 0, 10000), start);
	assert_int_equal(gp_sched_first_us(start, 5, 5, 10000), start);
}

/* A's runs while it fails: the engine says when it is retrying, the
 * schedule picks the interval. */
static void test_retry_interval_while_soft_failing(void **state)
{
	struct fx *f = *state;
	const struct gp_check *c = gp_engine_check(f->e, A);
	assert_int_equal(c->attempts, 3);
	assert_int_equal(c->retry_interval_ms, 5000);
	const int states[] = {OK, CRIT, CRIT, CRIT, CRIT, OK, OK};
	/* The result comes 1.5 s after the start: the next run counts from
	 * the start all the same. */
	const int64_t want_next[] = {10, 15, 20, 30, 40, 50, 60};
	int64_t started = 0;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		gp_engine_result(f->e, A, (enum gp_state)states[i], 1000 + started / S, "text");
		bool retrying = gp_engine_check_retrying(f->e, A);
		assert_int_equal(retrying, i == 1 || i == 2); /* failures 1 and 2 of 3 */
		int64_t next = gp_sched_next_us(started, retrying, c->interval_ms,
						c->retry_interval_ms);
		assert_int_equal(next, want_next[i] * S);
		gp_due_push(&f->h, next, A);
		struct gp_due e;
		assert_false(gp_due_pop(&f->h, started + 1500000, &e)); /* not again yet */
		assert_true(gp_due_pop(&f->h, next, &e));
		started = e.at_us;
	}
	assert_int_equal(gp_engine_target_status(f->e, 0)->state, GP_UP);

	/* The uplink gw has attempts 1: its first failure is hard, so it
	 * never retries early. */
	gp_engine_result(f->e, GW, GP_STATE_CRITICAL, 1100, "text");
	assert_false(gp_engine_check_retrying(f->e, GW));
	const struct gp_check *gw = gp_engine_check(f->e, GW);
	assert_int_equal(gp_sched_next_us(100 * S, false, gw->interval_ms, gw->retry_interval_ms),
			 110 * S);

	/* A check slower than its interval is due again at once. */
	gp_due_push(&f->h, gp_sched_next_us(0, false, 2000, 1000), B);
	struct gp_due e;
	assert_true(gp_due_pop(&f->h, 3 * S, &e));
	assert_int_equal(e.job, B);
}

/* Every check of the estate over a minute, each result 1 s after its
 * start; target b is broken from 20 s on. Its check runs at the interval,
 * then at the retry interval until hard, then at the interval again. */
static void test_a_minute_of_schedule(void **state)
{
	struct fx *f = *state;
	for (size_t k = 0; k < N_CHECKS; k++) {
		const struct gp_target *t = gp_engine_check_target(f->e, k);
		gp_due_push(&f->h,
			    gp_sched_first_us(0, (size_t)(t - f->cfg->targets), f->cfg->n_targets,
					      gp_engine_check(f->e, k)->interval_ms),
			    k);
	}
	int64_t b_runs[20];
	size_t n_b = 0, runs = 0;
	/* Turns every 100 ms: start what is due, and land the results of
	 * what started a second ago. */
	struct {
		size_t job;
		int64_t started;
	} flight[N_CHECKS];
	size_t n_flight = 0;
	for (int64_t now = 0; now < 60 * S; now += 100000) {
		struct gp_due e;
		while (gp_due_pop(&f->h, now, &e)) {
			flight[n_flight].job = e.job;
			flight[n_flight++].started = e.at_us;
			runs++;
			if (e.job == B && n_b < 20)
				b_runs[n_b++] = e.at_us;
		}
		for (size_t i = 0; i < n_flight;) {
			if (now - flight[i].started < S) {
				i++;
				continue;
			}
			size_t job = flight[i].job;
			int64_t started = flight[i].started;
			int st = job == B && started >= 20 * S ? CRIT : OK;
			gp_engine_result(f->e, job, (enum gp_state)st, 1000 + started / S, "text");
			const struct gp_check *c = gp_engine_check(f->e, job);
			gp_due_push(&f->h,
				    gp_sched_next_us(started, gp_engine_check_retrying(f->e, job),
						     c->interval_ms, c->retry_interval_ms),
				    job);
			flight[i] = flight[--n_flight];
		}
	}
	/* b's first run at 2.5 s, then every 10 s; fails at 22.5 (soft),
	 * 27.5 (soft), 32.5 (hard); then 42.5, 52.5. */
	const int64_t want_b[] = {2500000, 12500000, 22500000, 27500000, 32500000, 42500000,
				  52500000};
	assert_int_equal(n_b, 7);
	for (size_t i = 0; i < n_b; i++)
		assert_int_equal(b_runs[i], want_b[i]);
	assert_int_equal(gp_engine_target_status(f->e, 1)->state, GP_DOWN);
	assert_int_equal(gp_engine_target_status(f->e, 1)->since, 1022);
	/* The other four checks: 6 runs each (at 0..50 s plus their offset,
	 * the last ones under 60 s). */
	assert_int_equal(runs, 7 + 4 * 6);
}

/* ------------------------------------------------------------------ */
/* One turn: the wait, the rest, the commit                            */

static void test_poll_waits_for_the_next_due(void **state)
{
	(void)state;
	struct gp_due_heap h = {0};
	assert_int_equal(gp_sched_poll_ms(&h, 0), GP_SCHED_MAX_POLL_MS); /* nothing waiting */
	gp_due_push(&h, 10 * S, 0);
	assert_int_equal(gp_sched_poll_ms(&h, 0), GP_SCHED_MAX_POLL_MS);  /* far: capped */
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 500000), GP_SCHED_MAX_POLL_MS);
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 200000), 200);
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 50000), 50);       /* 50 ms to go */
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 50500), 51);       /* rounded up */
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 500), 1);          /* under 1 ms */
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S - 1), 1);
	assert_int_equal(gp_sched_poll_ms(&h, 10 * S), 0);                /* due */
	assert_int_equal(gp_sched_poll_ms(&h, 12 * S), 0);                /* late */
	gp_due_push(&h, 9 * S + 900000, 1); /* an earlier one counts */
	assert_int_equal(gp_sched_poll_ms(&h, 9 * S + 800000), 100);
	gp_due_free(&h);
}

/* An idle loop (no replies, no rest) whose polls time out: each poll
 * advances the clock by its wait, or by the 10 us a turn costs for a wait
 * of 0. It must reach each due check in one wait, not spin polls of 0 ms
 * through the last fraction of a millisecond (measured: ~80 a check with
 * 400 targets, when the wait was truncated). */
static void test_idle_loop_does_not_spin_before_a_due(void **state)
{
	(void)state;
	struct gp_due_heap h = {0};
	int64_t now = 0;
	size_t polls = 0;
	for (size_t k = 0; k < 100; k++) /* one check every 19.8 ms */
		gp_due_push(&h, (int64_t)(k + 1) * 19800, k);
	struct gp_due e;
	for (size_t started = 0; started < 100;) {
		while (gp_due_pop(&h, now, &e)) {
			assert_true(now - e.at_us < 1000); /* on time */
			started++;
		}
		if (started == 100)
			break;
		int ms = gp_sched_poll_ms(&h, now);
		now += ms > 0 ? (int64_t)ms * 1000 : 10;
		polls++;
	}
	assert_in_range(polls, 100, 100);
	gp_due_free(&h);
}

static void test_turns_rest_to_min_turn(void **state)
{
	(void)state;
	assert_int_equal(GP_SCHED_MIN_TURN_US, 20000);
	size_t busy = GP_SCHED_BUSY_RATE;
	assert_int_equal(gp_sched_rest_us(S, S, busy), 20000);      /* an instant turn */
	assert_int_equal(gp_sched_rest_us(S, S + 1200, busy), 18800);
	assert_int_equal(gp_sched_rest_us(S, S + 19999, busy + 100), 1);
	assert_int_equal(gp_sched_rest_us(S, S + 20000, busy), 0);
	assert_int_equal(gp_sched_rest_us(S, S + 180000, busy), 0); /* a long poll */
	/* A quiet daemon: the next reply is read when it comes. */
	assert_int_equal(gp_sched_rest_us(S, S, busy - 1), 0);
	assert_int_equal(gp_sched_rest_us(S, S + 1200, 0), 0);
}

static void test_commit_rules(void **state)
{
	(void)state;
	/* A state change: at once, within the second. */
	assert_true(gp_sched_commit_now(1, 1000, 1000, false));
	/* Only values: wait for the next second... */
	assert_false(gp_sched_commit_now(0, 1000, 1000, false));
	assert_true(gp_sched_commit_now(0, 1001, 1000, false));
	/* ...which is also the heartbeat when nothing came at all. */
	assert_true(gp_sched_commit_now(0, 1005, 1000, false));
	/* A reload or a stop: always. */
	assert_true(gp_sched_commit_now(0, 1000, 1000, true));
	/* A wall clock set back is a change of second too. */
	assert_true(gp_sched_commit_now(0, 990, 1000, false));
}

/* The same rules fed by the engine's events: which results cost a commit
 * of their own. */
static void test_commit_follows_the_engine(void **state)
{
	struct fx *f = *state;
	size_t n;
	int64_t last = 1010;
	/* First results: PENDING -> OK, a change. */
	for (size_t k = 0; k < N_CHECKS; k++)
		gp_engine_result(f->e, k, GP_STATE_OK, 1010, "text");
	gp_engine_events(f->e, &n);
	assert_true(gp_sched_commit_now(n, 1010, last, false));
	gp_engine_clear_events(f->e);
	/* The same again in the same second: no news, no commit. */
	gp_engine_result(f->e, A, GP_STATE_OK, 1010, "text");
	gp_engine_events(f->e, &n);
	assert_int_equal(n, 0);
	assert_false(gp_sched_commit_now(n, 1010, last, false));
	/* A soft failure changes no state: it waits for the second too. */
	gp_engine_result(f->e, A, GP_STATE_CRITICAL, 1010, "text");
	gp_engine_events(f->e, &n);
	assert_int_equal(n, 0);
	assert_false(gp_sched_commit_now(n, 1010, last, false));
	gp_engine_result(f->e, A, GP_STATE_CRITICAL, 1010, "text");
	gp_engine_events(f->e, &n);
	assert_false(gp_sched_commit_now(n, 1010, last, false));
	/* The third, hard: committed at once. */
	gp_engine_result(f->e, A, GP_STATE_CRITICAL, 1010, "text");
	gp_engine_events(f->e, &n);
	assert_true(n > 0);
	assert_true(gp_sched_commit_now(n, 1010, last, false));
}

/* ------------------------------------------------------------------ */
/* The watchdog                                                        */

static void test_watchdog_paced_by_turns(void **state)
{
	(void)state;
	struct gp_watchdog w;
	gp_watchdog_init(&w, 30 * S); /* WatchdogSec=30s */
	assert_int_equal(w.every_us, 15 * S);
	/* The first completed turn pings at once... */
	assert_true(gp_watchdog_turn(&w, 100 * S));
	/* ...then turns every 5 ms ping only each 15 s. */
	int pings = 0;
	int64_t at[8];
	for (int64_t t = 100 * S + 5000; t <= 160 * S; t += 5000)
		if (gp_watchdog_turn(&w, t)) {
			assert_true(pings < 8);
			at[pings++] = t;
		}
	assert_int_equal(pings, 4);
	for (int i = 0; i < pings; i++)
		assert_int_equal(at[i], (115 + 15 * i) * S);
	/* A loop that stops turning sends nothing; its next turn, however
	 * late, pings at once (systemd has restarted it by then if it was
	 * later than the timeout). */
	assert_true(gp_watchdog_turn(&w, 400 * S));
	assert_false(gp_watchdog_turn(&w, 400 * S + 1));
	/* No watchdog: never. */
	gp_watchdog_init(&w, 0);
	assert_false(gp_watchdog_turn(&w, 0));
	assert_false(gp_watchdog_turn(&w, 1000 * S));
	struct gp_watchdog z = {0};
	assert_false(gp_watchdog_turn(&z, 5 * S));
	/* A tiny timeout still paces (every microsecond). */
	gp_watchdog_init(&w, 1);
	assert_int_equal(w.every_us, 1);
}

static void test_watchdog_environment(void **state)
{
	(void)state;
	assert_int_equal(gp_sd_watchdog_parse("30000000", NULL, 42), 30 * S);
	assert_int_equal(gp_sd_watchdog_parse("30000000", "42", 42), 30 * S);
	assert_int_equal(gp_sd_watchdog_parse("30000000", "", 42), 30 * S);
	/* Meant for another process (a parent that did not unset it). */
	assert_int_equal(gp_sd_watchdog_parse("30000000", "41", 42), 0);
	assert_int_equal(gp_sd_watchdog_parse("30000000", "x", 42), 0);
	/* Missing or not a positive number: no watchdog. */
	assert_int_equal(gp_sd_watchdog_parse(NULL, NULL, 42), 0);
	assert_int_equal(gp_sd_watchdog_parse("", NULL, 42), 0);
	assert_int_equal(gp_sd_watchdog_parse("0", NULL, 42), 0);
	assert_int_equal(gp_sd_watchdog_parse("-5", NULL, 42), 0);
	assert_int_equal(gp_sd_watchdog_parse("30s", NULL, 42), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_earliest_first),
		cmocka_unit_test(test_due_pops_only_what_is_due),
		cmocka_unit_test(test_due_ties_in_job_order),
		cmocka_unit_test(test_due_many_interleaved),
		cmocka_unit_test_setup_teardown(test_first_runs_spread_by_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_interval_while_soft_failing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_minute_of_schedule, setup, teardown),
		cmocka_unit_test(test_poll_waits_for_the_next_due),
		cmocka_unit_test(test_idle_loop_does_not_spin_before_a_due),
		cmocka_unit_test(test_turns_rest_to_min_turn),
		cmocka_unit_test(test_commit_rules),
		cmocka_unit_test_setup_teardown(test_commit_follows_the_engine, setup, teardown),
		cmocka_unit_test(test_watchdog_paced_by_turns),
		cmocka_unit_test(test_watchdog_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
