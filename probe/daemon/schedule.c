/*
 * schedule.c - the scheduler's rules (see schedule.h).
 */
#include "schedule.h"
#include "util.h"

#include <stdlib.h>

/* Earlier first; at the same time, the lower job first. */
static bool before(const struct gp_due *a, const struct gp_due *b)
{
	return a->at_us < b->at_us || (a->at_us == b->at_us && a->job < b->job);
}

void gp_due_push(struct gp_due_heap *h, int64_t at_us, size_t job)
{
	gp_grow((void **)&h->v, &h->cap, h->n, sizeof(*h->v));
	struct gp_due e = {at_us, job};
	size_t i = h->n++;
	while (i > 0 && before(&e, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
}

bool gp_due_peek(const struct gp_due_heap *h, struct gp_due *out)
{
	if (h->n == 0)
		return false;
	*out = h->v[0];
	return true;
}

bool gp_due_pop(struct gp_due_heap *h, int64_t now_us, struct gp_due *out)
{
	if (h->n == 0 || h->v[0].at_us > now_us)
		return false;
	*out = h->v[0];
	struct gp_due last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return true;
}

void gp_due_free(struct gp_due_heap *h)
{
	free(h->v);
	*h = (struct gp_due_heap){0};
}

int64_t gp_sched_first_us(int64_t start_us, size_t target, size_t n_targets,
			  int64_t interval_ms)
{
	if (n_targets == 0 || target >= n_targets || interval_ms <= 0)
		return start_us;
	return start_us + interval_ms * 1000 * (int64_t)target / (int64_t)n_targets;
}

int64_t gp_sched_next_us(int64_t started_us, bool retrying, int64_t interval_ms,
			 int64_t retry_interval_ms)
{
	return started_us + (retrying ? retry_interval_ms : interval_ms) * 1000;
}

int gp_sched_poll_ms(const struct gp_due_heap *h, int64_t now_us)
{
	struct gp_due next;
	if (!gp_due_peek(h, &next))
		return GP_SCHED_MAX_POLL_MS;
	if (next.at_us <= now_us)
		return 0;
	/* Rounded up: a wait cut short of the due time by the truncation
	 * would make every turn until then a poll of 0 ms, a busy spin of up
	 * to a millisecond before each check (~80 polls each, measured with
	 * 400 targets). A check started up to 1 ms late is on time. */
	int64_t ms = (next.at_us - now_us + 999) / 1000;
	return ms > GP_SCHED_MAX_POLL_MS ? GP_SCHED_MAX_POLL_MS : (int)ms;
}

int64_t gp_sched_rest_us(int64_t turn_start_us, int64_t now_us, size_t results_last_second)
{
	if (results_last_second < GP_SCHED_BUSY_RATE)
		return 0;
	int64_t spent = now_us - turn_start_us;
	return spent < GP_SCHED_MIN_TURN_US ? GP_SCHED_MIN_TURN_US - spent : 0;
}

bool gp_sched_commit_now(size_t n_events, int64_t now_s, int64_t last_commit_s, bool force)
{
	return force || n_events > 0 || now_s != last_commit_s;
}

void gp_watchdog_init(struct gp_watchdog *w, int64_t timeout_us)
{
	int64_t every = timeout_us / 2;
	*w = (struct gp_watchdog){.every_us = timeout_us <= 0 ? 0 : every > 0 ? every : 1};
}

bool gp_watchdog_turn(struct gp_watchdog *w, int64_t now_us)
{
	if (w->every_us <= 0 || (w->sent && now_us - w->last_us < w->every_us))
		return false;
	w->sent = true;
	w->last_us = now_us;
	return true;
}
