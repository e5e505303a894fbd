/*
 * engine.c - check, target and service states, and outages (see engine.h).
 *
 * Reads top to bottom: set-up, events, checks, targets, the probe's own
 * isolation, services (with the backdating of an outage), and the entry
 * points that tie them together.
 */
#include "engine.h"
#include "state.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct eng_check {
	size_t target;
	const struct gp_check *c;
	struct gp_check_status st;
};

struct eng_target {
	const struct gp_target *t;
	size_t first_check, n_checks;
	size_t *services; /* the services it is a member of */
	size_t n_services;
	bool uplink;
	bool remote; /* another probe polls it: its state is set, never computed */
	struct gp_target_status st;
};

struct eng_service {
	const struct gp_service *s;
	size_t *members; /* target indexes, each once */
	size_t n_members;
	struct gp_service_status st;
};

struct gp_engine {
	const struct gp_config *cfg;
	struct eng_check *checks;
	size_t n_checks;
	struct eng_target *targets;
	size_t n_targets;
	struct eng_service *services;
	size_t n_services;
	bool isolated;
	struct gp_event *ev;
	size_t n_ev, cap_ev;
};

static const char *const health_names[] = {"UP", "DEGRADED", "DOWN", "UNKNOWN"};

const char *gp_health_name(enum gp_health h)
{
	return (unsigned)h < GP_ARRAY_LEN(health_names) ? health_names[h] : "?";
}

bool gp_health_parse(const char *s, enum gp_health *out)
{
	for (size_t i = 0; i < GP_ARRAY_LEN(health_names); i++)
		if (strcmp(s, health_names[i]) == 0) {
			*out = (enum gp_health)i;
			return true;
		}
	return false;
}

static const char *const kind_names[] = {"check", "target", "service", "outage_opened",
					 "outage_restored", "isolation", "failover"};

const char *gp_event_kind_name(enum gp_event_kind k)
{
	return (unsigned)k < GP_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

bool gp_event_kind_parse(const char *name, enum gp_event_kind *out)
{
	for (size_t i = 0; name && i < GP_ARRAY_LEN(kind_names); i++)
		if (!strcmp(name, kind_names[i])) {
			*out = (enum gp_event_kind)i;
			return true;
		}
	return false;
}

const char *gp_event_state_name(enum gp_event_kind k, int s)
{
	if (s < 0)
		return NULL;
	if (k == GP_EV_CHECK)
		return gp_state_name((enum gp_state)s);
	if (k == GP_EV_ISOLATION)
		return s ? "ISOLATED" : "CONNECTED";
	return gp_health_name((enum gp_health)s);
}

bool gp_event_state_parse(enum gp_event_kind k, const char *name, int *out)
{
	*out = -1;
	for (int s = 0; name && s <= 3; s++) {
		const char *n = gp_event_state_name(k, s);
		if (n && !strcmp(n, name)) {
			*out = s;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

struct member_ctx {
	struct gp_engine *e;
	struct eng_service *sv;
};

static void add_member(const struct gp_expr *name, void *ctx)
{
	struct member_ctx *m = ctx;
	const struct gp_target *t = gp_config_target(m->e->cfg, name->name);
	if (!t)
		return; /* the loader refuses such a config */
	size_t ti = (size_t)(t - m->e->cfg->targets);
	for (size_t i = 0; i < m->sv->n_members; i++)
		if (m->sv->members[i] == ti)
			return;
	m->sv->members = gp_xrealloc(m->sv->members, (m->sv->n_members + 1) * sizeof(size_t));
	m->sv->members[m->sv->n_members++] = ti;
}

struct gp_engine *gp_engine_new(const struct gp_config *cfg, int64_t now)
{
	struct gp_engine *e = gp_xcalloc(1, sizeof(*e));
	e->cfg = cfg;
	e->n_targets = cfg->n_targets;
	e->targets = gp_xcalloc(e->n_targets + 1, sizeof(*e->targets));
	e->n_checks = gp_config_check_count(cfg);
	e->checks = gp_xcalloc(e->n_checks + 1, sizeof(*e->checks));
	size_t k = 0;
	for (size_t t = 0; t < cfg->n_targets; t++) {
		struct eng_target *et = &e->targets[t];
		et->t = &cfg->targets[t];
		et->first_check = k;
		et->n_checks = et->t->n_checks;
		et->st = (struct gp_target_status){GP_HEALTH_UNKNOWN, now};
		for (size_t c = 0; c < et->t->n_checks; c++, k++) {
			e->checks[k].target = t;
			e->checks[k].c = &et->t->checks[c];
		}
	}
	for (size_t i = 0; i < cfg->probe.n_uplink && cfg->probe.uplink_target; i++)
		e->targets[cfg->probe.uplink_target[i]].uplink = true;

	e->n_services = cfg->n_services;
	e->services = gp_xcalloc(e->n_services + 1, sizeof(*e->services));
	for (size_t s = 0; s < cfg->n_services; s++) {
		struct eng_service *sv = &e->services[s];
		sv->s = &cfg->services[s];
		sv->st = (struct gp_service_status){GP_HEALTH_UNKNOWN, now, now, 0};
		struct member_ctx m = {e, sv};
		if (sv->s->expr)
			gp_expr_foreach_name(sv->s->expr, add_member, &m);
		for (size_t i = 0; i < sv->n_members; i++) {
			struct eng_target *et = &e->targets[sv->members[i]];
			et->services = gp_xrealloc(et->services, (et->n_services + 1) * sizeof(size_t));
			et->services[et->n_services++] = s;
		}
	}
	return e;
}

void gp_engine_free(struct gp_engine *e)
{
	if (!e)
		return;
	for (size_t t = 0; t < e->n_targets; t++)
		free(e->targets[t].services);
	for (size_t s = 0; s < e->n_services; s++)
		free(e->services[s].members);
	free(e->targets);
	free(e->services);
	free(e->checks);
	free(e->ev);
	free(e);
}

size_t gp_engine_n_checks(const struct gp_engine *e)
{
	return e->n_checks;
}

size_t gp_engine_check_index(const struct gp_engine *e, size_t target, size_t check)
{
	return e->targets[target].first_check + check;
}

const struct gp_target *gp_engine_check_target(const struct gp_engine *e, size_t check)
{
	return e->targets[e->checks[check].target].t;
}

const struct gp_check *gp_engine_check(const struct gp_engine *e, size_t check)
{
	return e->checks[check].c;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

static struct gp_event *emit(struct gp_engine *e, enum gp_event_kind kind, int64_t at, size_t index,
			     int old_state, int new_state)
{
	gp_grow((void **)&e->ev, &e->cap_ev, e->n_ev, sizeof(*e->ev));
	struct gp_event *ev = &e->ev[e->n_ev++];
	*ev = (struct gp_event){.kind = kind, .at = at, .index = index, .old_state = old_state,
				.new_state = new_state};
	return ev;
}

const struct gp_event *gp_engine_events(const struct gp_engine *e, size_t *n)
{
	*n = e->n_ev;
	return e->ev;
}

void gp_engine_clear_events(struct gp_engine *e)
{
	e->n_ev = 0;
}

/* ------------------------------------------------------------------ */
/* Checks: soft and hard states                                        */

/* Returns true when the hard state changed (or became known). */
static bool check_result(struct gp_engine *e, size_t i, enum gp_state state, int64_t at,
			 const char *text)
{
	struct eng_check *ck = &e->checks[i];
	struct gp_check_status *s = &ck->st;
	bool was_known = s->hard_known;
	enum gp_state old = s->hard;

	s->has_result = true;
	s->state = state;
	s->last = at;
	if (state == GP_STATE_OK) {
		s->fails = 0;
		s->first_fail = 0;
		if (was_known && old == GP_STATE_OK)
			return false;
		s->hard_known = true;
		s->hard = GP_STATE_OK;
		s->since = at;
	} else {
		if (s->fails == 0)
			s->first_fail = at;
		if (s->fails < ck->c->attempts)
			s->fails++;
		bool hard_now = s->fails >= ck->c->attempts || (was_known && old != GP_STATE_OK);
		if (!hard_now || (was_known && old == state))
			return false;
		s->hard_known = true;
		s->hard = state;
		/* A problem after OK dates from its first failed result. */
		s->since = (!was_known || old == GP_STATE_OK) ? s->first_fail : at;
	}
	struct gp_event *ev = emit(e, GP_EV_CHECK, s->since, i, was_known ? (int)old : -1, (int)s->hard);
	snprintf(ev->detail, sizeof(ev->detail), "%s", text ? text : "");
	return true;
}

bool gp_engine_check_retrying(const struct gp_engine *e, size_t check)
{
	const struct gp_check_status *s = &e->checks[check].st;
	return s->fails > 0 && s->fails < e->checks[check].c->attempts;
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */

/* Returns true when the target's state changed. */
static bool target_update(struct gp_engine *e, size_t t, int64_t at)
{
	struct eng_target *et = &e->targets[t];
	bool down = false, unknown = false, degraded = false;
	int64_t down_from = INT64_MAX;
	for (size_t i = 0; i < et->n_checks; i++) {
		const struct eng_check *ck = &e->checks[et->first_check + i];
		const struct gp_check_status *s = &ck->st;
		bool avail = ck->c->availability;
		if (!s->hard_known) {
			unknown |= avail;
			continue;
		}
		switch (s->hard) {
		case GP_STATE_CRITICAL:
			if (avail) {
				down = true;
				if (s->since < down_from)
					down_from = s->since;
			} else {
				degraded = true;
			}
			break;
		case GP_STATE_UNKNOWN:
			unknown |= avail;
			break;
		case GP_STATE_WARNING:
			degraded = true;
			break;
		case GP_STATE_OK:
			break;
		}
	}
	enum gp_health h = down ? GP_DOWN : unknown ? GP_HEALTH_UNKNOWN : degraded ? GP_DEGRADED : GP_UP;
	if (h == et->st.state)
		return false;
	enum gp_health old = et->st.state;
	et->st.state = h;
	et->st.since = (h == GP_DOWN && down_from < at) ? down_from : at;
	emit(e, GP_EV_TARGET, et->st.since, t, (int)old, (int)h);
	return true;
}

/* ------------------------------------------------------------------ */
/* The probe's own network                                             */

/* Cut off: every uplink target's latest availability result failed. The
 * latest result, not the hard state: the probe must know it is blind
 * before the checks of the targets behind the uplink turn hard. */
static bool compute_isolated(const struct gp_engine *e)
{
	if (e->cfg->probe.n_uplink == 0)
		return false;
	for (size_t t = 0; t < e->n_targets; t++) {
		const struct eng_target *et = &e->targets[t];
		if (!et->uplink)
			continue;
		bool failing = false;
		for (size_t i = 0; i < et->n_checks && !failing; i++) {
			const struct eng_check *ck = &e->checks[et->first_check + i];
			failing = ck->c->availability && ck->st.has_result &&
				  (ck->st.state == GP_STATE_CRITICAL || ck->st.state == GP_STATE_UNKNOWN);
		}
		if (!failing)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Services                                                            */

struct lookup_ctx {
	const struct gp_engine *e;
	const struct eng_service *sv;
	int64_t at;     /* INT64_MAX: now */
};

static enum gp_tri lookup(const char *name, void *ctx)
{
	const struct lookup_ctx *l = ctx;
	for (size_t i = 0; i < l->sv->n_members; i++) {
		const struct eng_target *et = &l->e->targets[l->sv->members[i]];
		if (strcmp(et->t->name, name) != 0)
			continue;
		switch (et->st.state) {
		case GP_DOWN:
			/* Before it went down it counted as up (the time being
			 * rewritten was recorded as UP or DEGRADED). */
			return et->st.since <= l->at ? GP_TRI_DOWN : GP_TRI_UP;
		case GP_HEALTH_UNKNOWN:
			return GP_TRI_UNKNOWN;
		default:
			return GP_TRI_UP;
		}
	}
	return GP_TRI_UNKNOWN;
}

static enum gp_health service_health(const struct gp_engine *e, const struct eng_service *sv)
{
	if (e->isolated || !sv->s->expr)
		return GP_HEALTH_UNKNOWN;
	struct lookup_ctx l = {e, sv, INT64_MAX};
	switch (gp_expr_eval(sv->s->expr, lookup, &l)) {
	case GP_TRI_DOWN:
		return GP_DOWN;
	case GP_TRI_UNKNOWN:
		return GP_HEALTH_UNKNOWN;
	case GP_TRI_UP:
		break;
	}
	for (size_t i = 0; i < sv->n_members; i++) {
		enum gp_health m = e->targets[sv->members[i]].st.state;
		if (m == GP_DOWN || m == GP_DEGRADED)
			return GP_DEGRADED;
	}
	return GP_UP;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* When did the service go down? up_when only combines its members with
 * and/or/any/all/at_least, so it is monotone: going back in time only ever
 * brings members up. The answer is the earliest of the DOWN members'
 * since-times at which the expression is already down. */
static int64_t outage_start(const struct gp_engine *e, const struct eng_service *sv, int64_t at)
{
	int64_t cand[sv->n_members + 1];
	size_t n = 0;
	for (size_t i = 0; i < sv->n_members; i++) {
		const struct eng_target *et = &e->targets[sv->members[i]];
		if (et->st.state == GP_DOWN && et->st.since < at)
			cand[n++] = et->st.since;
	}
	qsort(cand, n, sizeof(cand[0]), cmp_i64);
	for (size_t i = 0; i < n; i++) {
		struct lookup_ctx l = {e, sv, cand[i]};
		if (gp_expr_eval(sv->s->expr, lookup, &l) == GP_TRI_DOWN)
			return cand[i];
	}
	return at;
}

static void down_members(const struct gp_engine *e, const struct eng_service *sv, char *buf,
			 size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sv->n_members && used < len; i++) {
		const struct eng_target *et = &e->targets[sv->members[i]];
		if (et->st.state != GP_DOWN)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? "," : "", et->t->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void service_update(struct gp_engine *e, size_t s, int64_t at)
{
	struct eng_service *sv = &e->services[s];
	struct gp_service_status *st = &sv->st;
	enum gp_health h = service_health(e, sv);
	if (h == st->state)
		return;
	enum gp_health old = st->state;
	/* A service never changes before its last change, nor inside time
	 * already settled as down or unknown (or before the probe's start). */
	if (at < st->since)
		at = st->since;
	if (at < st->floor)
		at = st->floor;
	/* Down and unknown time is never rewritten: an outage is dated no
	 * earlier than the moment the service left either. */
	if (old == GP_DOWN || old == GP_HEALTH_UNKNOWN || h == GP_HEALTH_UNKNOWN)
		st->floor = at;

	int64_t from = at;
	if (h == GP_DOWN) {
		from = outage_start(e, sv, at);
		if (from < st->floor)
			from = st->floor;
		if (from > at)
			from = at;
		if (st->outage_start == 0) {
			st->outage_start = from;
			struct gp_event *ev = emit(e, GP_EV_OUTAGE_OPENED, from, s, (int)old, (int)h);
			ev->outage_start = from;
			down_members(e, sv, ev->detail, sizeof(ev->detail));
		}
	}
	emit(e, GP_EV_SERVICE, from, s, (int)old, (int)h);
	if ((h == GP_UP || h == GP_DEGRADED) && st->outage_start != 0) {
		struct gp_event *ev = emit(e, GP_EV_OUTAGE_RESTORED, at, s, (int)old, (int)h);
		ev->outage_start = st->outage_start;
		st->outage_start = 0;
	}
	st->state = h;
	st->since = from;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

static void isolation_update(struct gp_engine *e, int64_t at)
{
	bool iso = compute_isolated(e);
	if (iso == e->isolated)
		return;
	e->isolated = iso;
	emit(e, GP_EV_ISOLATION, at, 0, !iso, iso);
	for (size_t s = 0; s < e->n_services; s++)
		service_update(e, s, at);
}

void gp_engine_result(struct gp_engine *e, size_t check, enum gp_state state, int64_t at,
		      const char *text)
{
	if (check >= e->n_checks)
		return;
	size_t t = e->checks[check].target;
	bool changed = check_result(e, check, state, at, text);
	if (e->targets[t].uplink)
		isolation_update(e, at);
	if (changed && target_update(e, t, at))
		for (size_t i = 0; i < e->targets[t].n_services; i++)
			service_update(e, e->targets[t].services[i], at);
}

void gp_engine_restore_check(struct gp_engine *e, size_t check, const struct gp_check_status *s)
{
	if (check < e->n_checks)
		e->checks[check].st = *s;
}

void gp_engine_restore_target(struct gp_engine *e, size_t target, const struct gp_target_status *s)
{
	if (target < e->n_targets)
		e->targets[target].st = *s;
}

void gp_engine_restore_service(struct gp_engine *e, size_t service,
			       const struct gp_service_status *s)
{
	if (service < e->n_services)
		e->services[service].st = *s;
}

void gp_engine_resume(struct gp_engine *e, int64_t now)
{
	for (size_t s = 0; s < e->n_services; s++) {
		struct gp_service_status *st = &e->services[s].st;
		st->floor = now;
		if (st->since > now)
			st->since = now;
	}
	/* Another probe's target keeps the state it stored: its check rows
	 * here may be older (that probe writes them, this one reads its
	 * target rows). */
	for (size_t t = 0; t < e->n_targets; t++)
		if (!e->targets[t].remote)
			target_update(e, t, now);
	e->isolated = compute_isolated(e);
	for (size_t s = 0; s < e->n_services; s++)
		service_update(e, s, now);
}

void gp_engine_set_remote(struct gp_engine *e, size_t target)
{
	if (target < e->n_targets)
		e->targets[target].remote = true;
}

void gp_engine_set_target(struct gp_engine *e, size_t target, const struct gp_target_status *s,
			  int64_t at)
{
	if (target >= e->n_targets)
		return;
	struct eng_target *et = &e->targets[target];
	if (et->st.state == s->state)
		return;
	et->st = *s;
	/* Dated by the other probe (the first failed result), never later
	 * than now; the services clamp it to what they have settled. */
	int64_t when = s->since > 0 && s->since < at ? s->since : at;
	for (size_t i = 0; i < et->n_services; i++)
		service_update(e, et->services[i], when);
}

const struct gp_check_status *gp_engine_check_status(const struct gp_engine *e, size_t check)
{
	return &e->checks[check].st;
}

const struct gp_target_status *gp_engine_target_status(const struct gp_engine *e, size_t target)
{
	return &e->targets[target].st;
}

const struct gp_service_status *gp_engine_service_status(const struct gp_engine *e, size_t service)
{
	return &e->services[service].st;
}

bool gp_engine_isolated(const struct gp_engine *e)
{
	return e->isolated;
}
