/*
 * pair.c - the lease's timing and verdicts (pair.h).
 */
#include "pair.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void gp_pair_init(struct gp_pair *p, const struct gp_probe_settings *s, long pid,
		  int64_t started_at)
{
	memset(p, 0, sizeof(*p));
	/* Copies: the pair outlives a reload's config. */
	snprintf(p->site, sizeof(p->site), "%s", s->site ? s->site : "");
	snprintf(p->node, sizeof(p->node), "%s", s->node ? s->node : "");
	p->ttl_ms = s->failover_after_ms;
	p->pid = pid;
	p->started_at = started_at;
	if (gethostname(p->host, sizeof(p->host)) != 0)
		p->host[0] = '\0';
	p->host[sizeof(p->host) - 1] = '\0';
}

static int64_t every_us(const struct gp_pair *p)
{
	return p->ttl_ms * 1000 / 3;
}

bool gp_pair_due(const struct gp_pair *p, int64_t mono_us)
{
	return mono_us >= p->next_us;
}

enum gp_pair_verdict gp_pair_answer(struct gp_pair *p, int64_t mono_us, int rc,
				    const struct gp_lease *l)
{
	bool was = p->active;
	/* Asked again in a third of the lease; a standby as often, so that it
	 * takes over at most a third after the lease expired. */
	p->next_us = mono_us + every_us(p);
	if (rc != 0 || !l->held) {
		p->active = false;
		if (rc == 0) {
			snprintf(p->holder, sizeof(p->holder), "%s", l->holder);
			p->holder_age_ms = l->age_ms;
		}
		return was ? GP_PAIR_STEP_DOWN : GP_PAIR_WAIT;
	}
	/* Held, but the node could not act for longer than it may (its loop
	 * stalled past two thirds of the lease): it stepped down meanwhile in
	 * all but name, and what it held is a new term. */
	if (was && !gp_pair_may_act(p, mono_us)) {
		p->active = false;
		return GP_PAIR_STEP_DOWN;
	}
	if (!was) {
		bool other = p->holder[0] && strcmp(p->holder, p->node) != 0;
		snprintf(p->took_from, sizeof(p->took_from), "%s", other ? p->holder : "");
		p->took_from_age_ms = other ? p->holder_age_ms : 0;
	}
	p->active = true;
	p->renewed_us = mono_us;
	p->since = l->since;
	snprintf(p->holder, sizeof(p->holder), "%s", p->node);
	p->holder_age_ms = 0;
	return was ? GP_PAIR_KEEP : GP_PAIR_TAKE;
}

enum gp_pair_verdict gp_pair_turn(struct gp_pair *p, struct gp_store *st, int64_t mono_us)
{
	struct gp_lease l;
	int rc = gp_store_lease_renew(st, p->site, p->node, p->ttl_ms, p->host, p->pid,
				      p->started_at, &l);
	return gp_pair_answer(p, mono_us, rc, &l);
}

bool gp_pair_may_act(const struct gp_pair *p, int64_t mono_us)
{
	return p->active && mono_us - p->renewed_us < p->ttl_ms * 1000 * 2 / 3;
}
