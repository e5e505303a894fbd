/*
 * The ledger's accounting invariant, as a property: random result
 * sequences, restarts and gaps go through the engine and into a real
 * database (the daemon's own code path, persist.c), and after every step,
 * for every service:
 *
 *   UP + DEGRADED + DOWN + UNKNOWN + UNMONITORED seconds
 *     = seconds since the first start, exactly, with no gap or overlap;
 *   UNMONITORED seconds = the time the probe was stopped, exactly;
 *   no DOWN second lies where the probe was stopped.
 *
 * The clock is injected: nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "persist.h"
#include "store.h"
#include "testconfig.h"

struct sim {
	struct gp_config *cfg;
	struct gp_store *st;
	struct gp_engine *e;
	char dir[64];
	int64_t now, first;
	int64_t heartbeat; /* the last committed */
	int64_t stopped; /* seconds the probe was not running */
	struct {
		int64_t from, to;
	} gaps[64];
	size_t n_gaps;
	unsigned seed;
};

static unsigned next_rand(struct sim *s)
{
	/* A fixed LCG: the same seed is the same run on every machine. */
	s->seed = s->seed * 1103515245u + 12345u;
	return (s->seed >> 16) & 0x7fff;
}

static void open_probe(struct sim *s)
{
	char err[256];
	s->st = gp_store_open_dir(s->dir, true, err, sizeof(err));
	assert_non_null(s->st);
	s->e = gp_engine_new(s->cfg, s->now);
	int64_t hb;
	assert_int_equal(gp_persist_restore(s->st, s->e, s->cfg, s->now, 1, &hb), 0);
	assert_int_equal(hb, s->heartbeat);
	gp_engine_clear_events(s->e);
	s->heartbeat = s->now;
}

static void close_probe(struct sim *s)
{
	gp_engine_free(s->e);
	gp_store_close(s->st);
	s->e = NULL;
	s->st = NULL;
}

/* A fresh database and the engine.yaml estate, started at s->now. */
static void sim_start(struct sim *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/gprobe-test-ledger-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	struct gp_errlist el = {0};
	s->cfg = test_config_load(CONFIG_DIR "/good/engine.yaml", NULL, &el);
	assert_non_null(s->cfg);
	open_probe(s);
}

static void sim_end(struct sim *s)
{
	close_probe(s);
	gp_config_free(s->cfg);
	char *cmd = gp_xasprintf("rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A result as the daemon takes it: into the engine, the check's row. */
static void result(struct sim *s, size_t check, enum gp_state st, int64_t at)
{
	gp_engine_result(s->e, check, st, at, "sim");
	const struct gp_target *t = gp_engine_check_target(s->e, check);
	assert_int_equal(gp_store_save_check(s->st, t->name, gp_engine_check(s->e, check)->name,
					     gp_engine_check_status(s->e, check), "1", "sim"),
			 0);
}

/* The end of a loop turn: events, heartbeat, commit. */
static void commit(struct sim *s)
{
	assert_int_equal(gp_persist_events(s->st, s->e, s->cfg, s->now), 0);
	assert_int_equal(gp_store_heartbeat(s->st, s->now), 0);
	assert_int_equal(gp_store_commit(s->st), 0);
	gp_engine_clear_events(s->e);
	s->heartbeat = s->now;
}

/* One loop turn of the daemon: a batch of results, committed. */
static void batch(struct sim *s)
{
	assert_int_equal(gp_store_begin(s->st), 0);
	size_t n = 1 + next_rand(s) % 4;
	size_t n_checks = gp_engine_n_checks(s->e);
	for (size_t i = 0; i < n; i++) {
		size_t check = next_rand(s) % n_checks;
		unsigned r = next_rand(s) % 100;
		enum gp_state st = r < 55   ? GP_STATE_OK
				   : r < 80 ? GP_STATE_CRITICAL
				   : r < 90 ? GP_STATE_WARNING
					    : GP_STATE_UNKNOWN;
		/* Results may be a few seconds old (slow checks). */
		result(s, check, st, s->now - (int64_t)(next_rand(s) % 4));
	}
	commit(s);
}

static void check_invariant(struct sim *s)
{
	for (size_t i = 0; i < s->cfg->n_services; i++) {
		const char *name = s->cfg->services[i].name;
		struct gp_ledger_totals t;
		assert_int_equal(gp_ledger_totals(s->st, name, &t), 0);
		assert_true(t.contiguous);
		assert_int_equal(t.first, s->first);
		assert_int_equal(t.last, s->now);
		int64_t sum = 0;
		for (int k = 0; k < GP_LEDGER_N; k++) {
			assert_true(t.seconds[k] >= 0);
			sum += t.seconds[k];
		}
		if (sum != s->now - s->first)
			fail_msg("seed %u, service %s: %lld s in the ledger, %lld elapsed", s->seed,
				 name, (long long)sum, (long long)(s->now - s->first));
		assert_int_equal(t.seconds[GP_LEDGER_UNMONITORED], s->stopped);
		for (size_t g = 0; g < s->n_gaps; g++) {
			int64_t w[GP_LEDGER_N];
			assert_int_equal(gp_ledger_window(s->st, name, s->gaps[g].from,
								s->gaps[g].to, w),
					 0);
			assert_int_equal(w[GP_LEDGER_UNMONITORED], s->gaps[g].to - s->gaps[g].from);
			assert_int_equal(w[GP_LEDGER_DOWN] + w[GP_LEDGER_UP] + w[GP_LEDGER_DEGRADED] +
						 w[GP_LEDGER_UNKNOWN],
					 0);
		}
	}
}

static void run_property(unsigned seed, int steps)
{
	struct sim s = {.seed = seed, .now = 1700000000, .first = 1700000000};
	sim_start(&s);
	for (int step = 0; step < steps; step++) {
		s.now += 1 + (int64_t)(next_rand(&s) % 20);
		if (next_rand(&s) % 100 < 3 && s.n_gaps < GP_ARRAY_LEN(s.gaps)) {
			/* The probe dies (what is committed is all there is)
			 * and comes back after a gap: unmonitored from its
			 * last heartbeat on. */
			close_probe(&s);
			s.now += (int64_t)(next_rand(&s) % 4000);
			s.gaps[s.n_gaps].from = s.heartbeat;
			s.gaps[s.n_gaps++].to = s.now;
			s.stopped += s.now - s.heartbeat;
			open_probe(&s);
		} else {
			batch(&s);
		}
		check_invariant(&s);
	}
	sim_end(&s);
}

static void test_invariant_random_runs(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 20; seed++)
		run_property(seed, 400);
}

/* A fixed story, checked to the second: up, an outage dated to its first
 * failure, a restart in the middle of it, the restore. */
static void test_outage_across_a_restart(void **state)
{
	(void)state;
	struct sim s = {.now = 1000, .first = 1000};
	sim_start(&s);
	/* check indexes: a/up 0, b/up 1, c/up 2, c/extra 3, gw/up 4 */
	static const struct {
		int64_t at;
		size_t check;
		enum gp_state state;
	} story[] = {
		{1010, 4, GP_STATE_OK}, {1010, 0, GP_STATE_OK}, {1010, 1, GP_STATE_OK},
		{1010, 2, GP_STATE_OK}, {1010, 3, GP_STATE_OK}, {1100, 0, GP_STATE_CRITICAL},
		{1105, 0, GP_STATE_CRITICAL}, {1110, 0, GP_STATE_CRITICAL},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(story); i++) {
		s.now = story[i].at;
		assert_int_equal(gp_store_begin(s.st), 0);
		result(&s, story[i].check, story[i].state, s.now);
		commit(&s);
	}
	s.now = 1200;
	assert_int_equal(gp_store_begin(s.st), 0);
	commit(&s);
	close_probe(&s); /* down at 1200; back at 1500 */
	s.now = 1500;
	open_probe(&s);
	s.now = 1600;
	assert_int_equal(gp_store_begin(s.st), 0);
	result(&s, 0, GP_STATE_OK, s.now);
	commit(&s);
	s.now = 1700;
	assert_int_equal(gp_store_begin(s.st), 0);
	commit(&s);

	struct gp_ledger_totals t;
	assert_int_equal(gp_ledger_totals(s.st, "one", &t), 0);
	assert_true(t.contiguous);
	assert_int_equal(t.seconds[GP_LEDGER_UNKNOWN], 10);      /* 1000-1010 */
	assert_int_equal(t.seconds[GP_LEDGER_UP], 90 + 100);     /* 1010-1100, 1600-1700 */
	assert_int_equal(t.seconds[GP_LEDGER_DOWN], 100 + 100);  /* 1100-1200, 1500-1600 */
	assert_int_equal(t.seconds[GP_LEDGER_UNMONITORED], 300); /* 1200-1500 */
	sim_end(&s);
}

/* A reading command's snapshot: what it reads after the daemon has
 * committed more is still what it read first, so its periods end at the
 * heartbeat it printed (a CI run once saw them a second apart). */
static void test_reader_snapshot(void **state)
{
	(void)state;
	struct sim s = {.now = 1000, .first = 1000};
	sim_start(&s);
	s.now = 1010;
	assert_int_equal(gp_store_begin(s.st), 0);
	commit(&s);

	char err[256];
	struct gp_store *rd = gp_store_open_dir(s.dir, false, err, sizeof(err));
	assert_non_null(rd);
	assert_int_equal(gp_store_begin(rd), 0);
	struct gp_ledger_totals t;
	assert_int_equal(gp_ledger_totals(rd, "one", &t), 0);
	assert_int_equal(t.last, 1010);
	assert_int_equal(gp_store_last_heartbeat(rd), 1010);

	/* The daemon goes on: a result, another turn. */
	s.now = 1020;
	assert_int_equal(gp_store_begin(s.st), 0);
	result(&s, 0, GP_STATE_CRITICAL, s.now);
	commit(&s);
	s.now = 1030;
	assert_int_equal(gp_store_begin(s.st), 0);
	commit(&s);

	assert_int_equal(gp_store_last_heartbeat(rd), 1010);
	assert_int_equal(gp_ledger_totals(rd, "one", &t), 0);
	assert_int_equal(t.last, 1010);
	assert_int_equal(t.seconds[GP_LEDGER_UP] + t.seconds[GP_LEDGER_UNKNOWN], 10);
	/* The snapshot ended, the next read sees the daemon's commits. */
	assert_int_equal(gp_store_commit(rd), 0);
	assert_int_equal(gp_store_last_heartbeat(rd), 1030);
	assert_int_equal(gp_ledger_totals(rd, "one", &t), 0);
	assert_int_equal(t.last, 1030);
	gp_store_close(rd);
	sim_end(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_snapshot),
		cmocka_unit_test(test_outage_across_a_restart),
		cmocka_unit_test(test_invariant_random_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
