/*
 * schedule.h - the scheduler's rules, apart from the loop that applies
 * them (daemon.c): which check is due next, when a check runs again, how
 * long a turn of the loop waits and rests, when a turn's results are
 * committed, and when the systemd watchdog hears from the loop.
 *
 * Pure logic: every function takes the clock's value from its caller
 * (monotonic microseconds, or wall-clock seconds where it says so) and
 * nothing here sleeps or reads a clock, so the tests drive it with
 * invented times.
 */
#ifndef GP_SCHEDULE_H
#define GP_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A check waiting for its next run. */
struct gp_due {
	int64_t at_us; /* monotonic */
	size_t job;    /* the check's index in the engine and the runner */
};

/* The checks waiting for their next run, earliest first (a binary heap):
 * a turn of the loop looks at what is due, not at every check. Equal
 * times come out in the order of their jobs, so a target's checks (whose
 * jobs are adjacent) start together. Zero-initialise; gp_due_free. */
struct gp_due_heap {
	struct gp_due *v;
	size_t n, cap;
};

void gp_due_push(struct gp_due_heap *h, int64_t at_us, size_t job);
/* The earliest entry into *out and true if there is one (not removed). */
bool gp_due_peek(const struct gp_due_heap *h, struct gp_due *out);
/* Removes the earliest entry into *out and returns true if it is due at
 * now_us (at_us <= now_us); false, leaving the heap as it is, if not. */
bool gp_due_pop(struct gp_due_heap *h, int64_t now_us, struct gp_due *out);
void gp_due_free(struct gp_due_heap *h);

/* The first run of a check of target number `target` of n_targets: the
 * targets spread evenly over the interval from start_us, every check of
 * one target at the same moment (a collector can then ask them in one
 * request, and no part of the interval gets a burst). */
int64_t gp_sched_first_us(int64_t start_us, size_t target, size_t n_targets,
			  int64_t interval_ms);

/* The next run of a check whose result has come: one interval after the
 * run started (not after it ended, so a slow check does not drift), the
 * retry interval while the check fails but is not yet hard (`retrying`). */
int64_t gp_sched_next_us(int64_t started_us, bool retrying, int64_t interval_ms,
			 int64_t retry_interval_ms);

/* A turn polls the runner at most this long, so signals and the
 * once-a-second commit stay prompt. */
#define GP_SCHED_MAX_POLL_MS 200
/* A busy daemon (GP_SCHED_BUSY_RATE or more results in its last whole
 * second) rests after a turn so the next one is GP_SCHED_MIN_TURN_US
 * after it began: replies that arrive meanwhile are read together. Each
 * wake-up costs far more than the poll itself (on a 2-core VM, ~250 us
 * of the process's CPU a turn: 44 us a value at 10 ms turns, 31 us at
 * 20 ms, with 1,000 values a second). A quiet daemon reads each reply at
 * once, so its HTTP times carry no wait; a busy one's may carry up to
 * GP_SCHED_MIN_TURN_US of it. Nothing a probe judges is that fast. */
#define GP_SCHED_MIN_TURN_US 20000
#define GP_SCHED_BUSY_RATE 100

/* How long the runner may wait at now_us: until the next due check (in
 * whole milliseconds, rounded up), at most GP_SCHED_MAX_POLL_MS, 0 if one
 * is due already. */
int gp_sched_poll_ms(const struct gp_due_heap *h, int64_t now_us);

/* How long to rest after a turn that began at turn_start_us and ended at
 * now_us, to keep turns GP_SCHED_MIN_TURN_US apart while the last whole
 * second brought results_last_second results; 0 for none. */
int64_t gp_sched_rest_us(int64_t turn_start_us, int64_t now_us, size_t results_last_second);

/* Whether a turn commits its results now. At once when they changed a
 * state (n_events > 0: a change is on disk before it is logged or acted
 * on), else once a wall-clock second with the heartbeat (now_s, the
 * second of the last commit last_commit_s): last values need not cost a
 * disk sync each. Always when forced (reload, stop). */
bool gp_sched_commit_now(size_t n_events, int64_t now_s, int64_t last_commit_s, bool force);

/* The systemd watchdog's keep-alive, paced from the loop: the loop calls
 * gp_watchdog_turn() when a turn has completed, and sends WATCHDOG=1 when
 * it returns true. It does so every half of the watchdog's timeout (as
 * sd_watchdog_enabled(3) advises), so a loop that stops completing turns
 * stops the pings and systemd restarts the daemon. Zero-initialised or
 * initialised with timeout 0, it never asks for a ping. */
struct gp_watchdog {
	int64_t every_us; /* 0: no watchdog */
	int64_t last_us;  /* when the last ping was asked for */
	bool sent;        /* one was asked for already */
};

void gp_watchdog_init(struct gp_watchdog *w, int64_t timeout_us);
/* A turn completed at now_us: true when a ping is due (and counted sent). */
bool gp_watchdog_turn(struct gp_watchdog *w, int64_t now_us);

#endif
