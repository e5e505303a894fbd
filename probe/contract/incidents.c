/*
 * incidents.c - the incident manager (see incidents.h).
 */
#include "incidents.h"
#include "expr.h"
#include "maintenance.h"
#include "calendar.h"
#include "outbox.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTOR_PROBE "probe"


static void set_str(char **field, const char *v)
{
	free(*field);
	*field = v ? gp_xstrdup(v) : NULL;
}

/* Writes the incident, its timeline row and the alerts the event causes,
 * in the caller's transaction. */
static int save(struct gp_store *st, const struct gp_config *cfg, struct gp_incident *inc,
		bool insert, int64_t at, const char *actor, const char *kind,
		int old_status, const char *text, char *err, size_t errlen)
{
	int rc = insert ? gp_store_incident_insert(st, inc) : gp_store_incident_update(st, inc);
	if (rc != 0)
		return gp_errf(err, errlen, "cannot write incident: %s", gp_store_error(st));
	struct gp_incident_event ev = {at, actor, kind, old_status, (int)inc->status, text};
	if (gp_store_incident_event_add(st, inc->id, &ev) != 0)
		return gp_errf(err, errlen, "cannot write the timeline: %s", gp_store_error(st));
	/* A resolved incident's mail says when it counts as closed. */
	int64_t close_at = inc->status == GP_INCIDENT_RESOLVED && inc->resolved_at > 0
				   ? gp_inc_auto_close_at(cfg, inc->resolved_at)
				   : 0;
	return gp_outbox_incident(st, cfg, inc, kind, text, at, close_at, err, errlen);
}

enum gp_attribution gp_inc_attribution(const struct gp_config *cfg, const char *members)
{
	bool any = false, supplier = false, customer_only = true, third_only = true;
	char *copy = gp_xstrdup(members ? members : "");
	for (char *save_p = NULL, *name = strtok_r(copy, ",", &save_p); name;
	     name = strtok_r(NULL, ",", &save_p)) {
		const struct gp_target *t = gp_config_target(cfg, name);
		if (!t)
			continue;
		any = true;
		supplier |= t->owner == GP_OWNER_SUPPLIER;
		customer_only &= t->owner == GP_OWNER_CUSTOMER;
		third_only &= t->owner == GP_OWNER_THIRD_PARTY;
	}
	free(copy);
	if (!any)
		return GP_ATTR_UNATTRIBUTED;
	if (customer_only)
		return GP_ATTR_CUSTOMER;
	if (supplier)
		return GP_ATTR_SUPPLIER;
	if (third_only)
		return GP_ATTR_THIRD_PARTY;
	return GP_ATTR_UNATTRIBUTED; /* customer's and third parties' together */
}

static int64_t response_target_s(const struct gp_config *cfg, enum gp_inc_channel channel)
{
	const struct gp_incidents *in = &cfg->incidents;
	int64_t ms = channel == GP_CHANNEL_PHONE   ? in->response_target_phone_ms
		     : channel == GP_CHANNEL_EMAIL ? in->response_target_email_ms
		     : channel == GP_CHANNEL_WEB   ? in->response_target_web_ms
						   : in->response_target_ms;
	return ms / 1000;
}

static int64_t due_at(const struct gp_config *cfg, enum gp_inc_channel channel,
		      int64_t registered)
{
	int64_t due = gp_cal_add_working(&cfg->calendar, registered,
					 response_target_s(cfg, channel));
	return due > 0 ? due : registered;
}

int64_t gp_inc_auto_close_at(const struct gp_config *cfg, int64_t resolved_at)
{
	const struct gp_calendar *cal = &cfg->calendar;
	int64_t day = (int64_t)(cal->work_end_min - cal->work_start_min) * 60;
	int64_t t = gp_cal_add_working(cal, resolved_at,
				       day * cfg->incidents.auto_close_working_days);
	return t > 0 ? t : INT64_MAX;
}

/* ------------------------------------------------------------------ */
/* What the probe sees                                                 */

static int open_probe_incident(struct gp_store *st, const struct gp_config *cfg, size_t service,
			       enum gp_priority priority, int64_t outage_start, const char *members,
			       const char *text, int64_t now, int64_t *id, char *err, size_t errlen)
{
	struct gp_incident inc = {
		.service = gp_xstrdup(cfg->services[service].name),
		.status = GP_INCIDENT_OPEN,
		.priority = priority,
		.channel = GP_CHANNEL_PROBE,
		.attribution = gp_inc_attribution(cfg, members),
		.opened_at = now,
		.response_due_at = due_at(cfg, GP_CHANNEL_PROBE, now),
		.response_working_seconds = -1,
		.outage_start = outage_start,
		.members = members ? gp_xstrdup(members) : NULL,
		.text = gp_xstrdup(text),
	};
	int rc = save(st, cfg, &inc, true, now, ACTOR_PROBE, "opened", -1, text, err, errlen);
	*id = inc.id;
	gp_incident_clear(&inc);
	return rc;
}

/* The outage's seconds count as its own attribution says, voided with
 * its incident. */
static int link_outage(struct gp_store *st, const char *service, int64_t outage_start,
		       int64_t id, enum gp_attribution a, char *err, size_t errlen)
{
	if (gp_store_outage_link(st, service, outage_start, id, a) != 0)
		return gp_errf(err, errlen, "cannot link the outage to incident #%lld: %s",
			    (long long)id, gp_store_error(st));
	return 0;
}

/* An outage joining an incident counts as its DOWN members' owners say;
 * when they say nothing (no member known), as the incident. */
static enum gp_attribution outage_attribution(const struct gp_config *cfg,
					      const struct gp_incident *inc, const char *members)
{
	enum gp_attribution a = gp_inc_attribution(cfg, members);
	return a != GP_ATTR_UNATTRIBUTED ? a : inc->attribution;
}

/* The service's members whose state is DOWN now (or DEGRADED too), comma
 * separated; the caller frees. What planned work must cover now, rather
 * than what was down when an outage began. */
struct now_ctx {
	struct gp_store *st;
	bool degraded_too;
	char *list;
};

static void member_now(const struct gp_expr *node, void *ctx)
{
	struct now_ctx *c = ctx;
	struct gp_target_status ts;
	if (!gp_store_load_target(c->st, node->name, &ts) ||
	    !(ts.state == GP_DOWN || (c->degraded_too && ts.state == GP_DEGRADED)))
		return;
	char *next = gp_xasprintf("%s%s%s", c->list, *c->list ? "," : "", node->name);
	free(c->list);
	c->list = next;
}

static char *members_now(struct gp_store *st, const struct gp_service *svc, bool degraded_too)
{
	struct now_ctx c = {st, degraded_too, gp_xstrdup("")};
	if (svc->expr)
		gp_expr_foreach_name(svc->expr, member_now, &c);
	return c.list;
}

/* 1 when planned work covers the service now (its window, or one on each
 * DOWN member), 0 when not, -1 when the store fails. */
static int under_maintenance(struct gp_store *st, const char *service, const char *members,
			     int64_t now)
{
	struct gp_maint m;
	if (gp_maint_load(st, now, now + 1, &m) != 0)
		return -1;
	bool covered = gp_maint_covers(&m, service, members, now);
	gp_maint_free(&m);
	return covered;
}

int gp_inc_outage_opened(struct gp_store *st, const struct gp_config *cfg, size_t service,
			 int64_t outage_start, const char *members, int64_t now, char *err,
			 size_t errlen)
{
	const char *name = cfg->services[service].name;
	/* Planned work covers it: no incident, no mail. The outage stays
	 * unlinked; gp_inc_held_outage() opens the incident if the fault
	 * outlives the window. */
	int covered = under_maintenance(st, name, members, now);
	if (covered != 0)
		return covered < 0 ? gp_errf(err, errlen, "cannot read maintenance windows: %s",
					     gp_store_error(st))
				   : 0;
	char text[512];
	char since[40];
	gp_format_utc(outage_start, since, sizeof(since));
	snprintf(text, sizeof(text), "%s DOWN since %s (down: %s)", name, since,
		 members && *members ? members : "-");

	struct gp_incident inc = {0};
	int rc = 0;
	enum gp_priority priority = cfg->services[service].priority;
	if (gp_store_incident_in_work(st, name, &inc)) {
		/* Already open (a request by phone, a P3 for lost redundancy,
		 * or an outage that went unknown and came back): the outage is
		 * noted on it, at the service's priority, and the DOWN members
		 * say whose it is unless someone has said already. */
		if (inc.outage_start == 0)
			inc.outage_start = outage_start;
		if (inc.priority > priority)
			inc.priority = priority;
		if (inc.attribution == GP_ATTR_UNATTRIBUTED)
			inc.attribution = gp_inc_attribution(cfg, members);
		if (!inc.members && members)
			set_str(&inc.members, members);
		rc = save(st, cfg, &inc, false, now, ACTOR_PROBE, "outage", (int)inc.status, text, err,
			  errlen);
		if (rc == 0)
			rc = link_outage(st, name, outage_start, inc.id,
					 outage_attribution(cfg, &inc, members), err, errlen);
		gp_incident_clear(&inc);
		return rc;
	}
	if (gp_store_incident_latest_probe(st, name, &inc) && inc.restored_at > 0 &&
	    (inc.status == GP_INCIDENT_RESTORED || inc.status == GP_INCIDENT_RESOLVED) &&
	    outage_start - inc.restored_at <= cfg->incidents.reopen_window_ms / 1000) {
		/* A flap: the same incident, not a new one. */
		int old = (int)inc.status;
		inc.status = inc.acknowledged_at ? GP_INCIDENT_ACKNOWLEDGED : GP_INCIDENT_OPEN;
		inc.restored_at = 0;
		inc.resolved_at = 0;
		/* This outage has its own cause: what someone said of the last
		 * one's does not carry over. */
		inc.attribution = gp_inc_attribution(cfg, members);
		rc = save(st, cfg, &inc, false, now, ACTOR_PROBE, "reopened", old, text, err, errlen);
		if (rc == 0)
			rc = link_outage(st, name, outage_start, inc.id, inc.attribution, err, errlen);
		gp_incident_clear(&inc);
		return rc;
	}
	gp_incident_clear(&inc);
	int64_t id = 0;
	rc = open_probe_incident(st, cfg, service, priority, outage_start, members, text, now, &id,
				 err, errlen);
	return rc == 0 ? link_outage(st, name, outage_start, id, gp_inc_attribution(cfg, members),
				     err, errlen)
		       : rc;
}

/* The open outage that began at outage_start, if no incident has it yet. */
struct held {
	int64_t start;
	bool found;
	char *members;
};

static void find_held(void *ctx, const struct gp_outage_row *o)
{
	struct held *h = ctx;
	if (o->start == h->start && o->end == 0 && o->incident == 0 && !h->found) {
		h->found = true;
		h->members = gp_xstrdup(o->members ? o->members : "");
	}
}

int gp_inc_held_outage(struct gp_store *st, const struct gp_config *cfg, size_t service,
		       int64_t outage_start, int64_t now, char *err, size_t errlen)
{
	struct held h = {outage_start, false, NULL};
	if (gp_store_outage_list(st, cfg->services[service].name, outage_start, outage_start + 1,
				 find_held, &h) != 0)
		return gp_errf(err, errlen, "cannot read the outage: %s", gp_store_error(st));
	int rc = 0;
	if (h.found) {
		/* Judged by what is down now: a second component failing under
		 * a first one's window is not covered. */
		char *down = members_now(st, &cfg->services[service], false);
		rc = gp_inc_outage_opened(st, cfg, service, outage_start, *down ? down : h.members,
					  now, err, errlen);
		free(down);
	}
	free(h.members);
	return rc;
}

int gp_inc_service_up(struct gp_store *st, const struct gp_config *cfg, size_t service,
		      int64_t at, int64_t outage_start, char *err, size_t errlen)
{
	struct gp_incident inc = {0};
	if (!gp_store_incident_in_work(st, cfg->services[service].name, &inc))
		return 0;
	int rc = 0;
	if (inc.channel == GP_CHANNEL_PROBE || inc.outage_start > 0) {
		char text[200];
		if (outage_start > 0)
			snprintf(text, sizeof(text), "up again after %lld s down",
				 (long long)(at - outage_start));
		else
			snprintf(text, sizeof(text), "up again");
		int old = (int)inc.status;
		inc.status = GP_INCIDENT_RESTORED;
		inc.restored_at = at;
		rc = save(st, cfg, &inc, false, at, ACTOR_PROBE, "restored", old, text, err, errlen);
	}
	gp_incident_clear(&inc);
	return rc;
}

/* Whether the incident's timeline has a `kind` event at or after since. */
struct seen {
	const char *kind;
	int64_t since;
	bool found;
};

static void seen_since(void *ctx, const struct gp_incident_event *ev)
{
	struct seen *s = ctx;
	if (!strcmp(ev->kind, s->kind) && ev->at >= s->since)
		s->found = true;
}

int gp_inc_service_degraded(struct gp_store *st, const struct gp_config *cfg, size_t service,
			    int64_t since, int64_t now, char *err, size_t errlen)
{
	if (now - since < cfg->incidents.reopen_window_ms / 1000)
		return 0;
	/* A window on the service, or on every member down or degraded. */
	char *down = members_now(st, &cfg->services[service], true);
	int covered = under_maintenance(st, cfg->services[service].name, down, now);
	free(down);
	if (covered != 0)
		return covered < 0 ? gp_errf(err, errlen, "cannot read maintenance windows: %s",
					     gp_store_error(st))
				   : 0;
	char text[300], at[40];
	gp_format_utc(since, at, sizeof(at));
	snprintf(text, sizeof(text),
		 "%s DEGRADED since %s: up, but a member is down or degraded (redundancy lost)",
		 cfg->services[service].name, at);
	struct gp_incident inc = {0};
	int rc = 0;
	if (gp_store_incident_in_work(st, cfg->services[service].name, &inc)) {
		/* Another incident of the service is in work (a request by
		 * phone, say): the lost redundancy is noted on it, once, and
		 * told on its thread, instead of a second incident. The P3
		 * opened for this very loss is left alone. */
		bool own_p3 = inc.channel == GP_CHANNEL_PROBE && inc.outage_start == 0 &&
			      inc.opened_at >= since;
		struct seen seen = {"degraded", since, false};
		if (!own_p3 && gp_store_incident_timeline(st, inc.id, seen_since, &seen) == 0 &&
		    !seen.found)
			rc = save(st, cfg, &inc, false, now, ACTOR_PROBE, "degraded", (int)inc.status,
				  text, err, errlen);
		gp_incident_clear(&inc);
		return rc;
	}
	gp_incident_clear(&inc);
	int64_t id;
	return open_probe_incident(st, cfg, service, GP_P3, 0, NULL, text, now, &id, err, errlen);
}

struct tick_ctx {
	struct gp_incident *v;
	size_t n, cap;
};

static void collect(void *ctx, const struct gp_incident *inc)
{
	struct tick_ctx *t = ctx;
	gp_grow((void **)&t->v, &t->cap, t->n, sizeof(*t->v));
	gp_incident_copy(&t->v[t->n++], inc);
}

int gp_inc_tick(struct gp_store *st, const struct gp_config *cfg, int64_t now, char *err,
		size_t errlen)
{
	struct tick_ctx t = {0};
	gp_store_incident_list(st, false, collect, &t);
	int rc = 0;
	for (size_t i = 0; i < t.n && rc == 0; i++) {
		struct gp_incident *inc = &t.v[i];
		if (inc->acknowledged_at == 0 && !inc->response_breached &&
		    inc->status != GP_INCIDENT_RESOLVED && now >= inc->response_due_at) {
			inc->response_breached = true;
			char text[200], due[40];
			gp_format_utc(inc->response_due_at, due, sizeof(due));
			snprintf(text, sizeof(text), "not acknowledged by %s: response target passed",
				 due);
			rc = save(st, cfg, inc, false, now, ACTOR_PROBE, "escalation", (int)inc->status, text,
				  err, errlen);
		} else if (inc->status == GP_INCIDENT_RESOLVED &&
			   now >= gp_inc_auto_close_at(cfg, inc->resolved_at)) {
			inc->status = GP_INCIDENT_CLOSED;
			inc->closed_at = now;
			char text[160];
			snprintf(text, sizeof(text),
				 "neither confirmed nor rejected within %d working days",
				 cfg->incidents.auto_close_working_days);
			rc = save(st, cfg, inc, false, now, ACTOR_PROBE, "auto-closed", GP_INCIDENT_RESOLVED, text,
				  err, errlen);
		}
	}
	for (size_t i = 0; i < t.n; i++)
		gp_incident_clear(&t.v[i]);
	free(t.v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* What people do                                                      */

int gp_inc_open_manual(struct gp_store *st, const struct gp_config *cfg, const char *service,
		       const char *priority, const char *channel, int64_t reported_at,
		       const char *text, const char *actor, int64_t now, int64_t *id, char *err,
		       size_t errlen)
{
	bool known = false;
	for (size_t i = 0; i < cfg->n_services; i++)
		known |= !strcmp(cfg->services[i].name, service);
	if (!known)
		return gp_errf(err, errlen, "no service '%s' in the config", service);
	enum gp_inc_channel ch;
	enum gp_priority pr;
	if (!gp_inc_channel_parse(channel, &ch) || ch == GP_CHANNEL_PROBE)
		return gp_errf(err, errlen, "channel '%s': phone, email or web", channel);
	if (!gp_priority_parse(priority, &pr))
		return gp_errf(err, errlen, "priority '%s': P1, P2, P3 or P4", priority);
	if (reported_at > now + 60)
		return gp_errf(err, errlen, "the request cannot be reported in the future");
	struct gp_incident inc = {0};
	if (gp_store_incident_in_work(st, service, &inc)) {
		int rc = gp_errf(err, errlen,
			      "service '%s' already has incident #%lld in work (%s): add a note to "
			      "it (gprobe incident note %lld TEXT)",
			      service, (long long)inc.id, gp_incident_status_name(inc.status),
			      (long long)inc.id);
		gp_incident_clear(&inc);
		return rc;
	}
	inc = (struct gp_incident){
		.service = gp_xstrdup(service),
		.status = GP_INCIDENT_OPEN,
		.priority = pr,
		.channel = ch,
		.attribution = GP_ATTR_UNATTRIBUTED,
		.opened_at = reported_at,
		.response_due_at = due_at(cfg, ch, reported_at),
		.response_working_seconds = -1,
		.text = gp_xstrdup(text),
	};
	char note[600];
	snprintf(note, sizeof(note), "by %s: %s", channel, text);
	int rc = save(st, cfg, &inc, true, now, actor, "opened", -1, note, err, errlen);
	*id = inc.id;
	gp_incident_clear(&inc);
	return rc;
}

static const char *const cmd_names[] = {"ack",    "note", "workaround", "resolve", "confirm",
					"reject", "void", "attribute",  "wait",    "resume"};

/* Status changes of the commands: from which statuses each is allowed. */
#define ST(x) (1u << GP_INCIDENT_##x)
static const unsigned allowed_from[] = {
	[GP_INC_ACK] = ST(OPEN) | ST(RESTORED),
	[GP_INC_NOTE] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED) | ST(RESOLVED) | ST(CLOSED) |
			ST(VOIDED),
	[GP_INC_WORKAROUND] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED),
	[GP_INC_RESOLVE] = ST(ACKNOWLEDGED) | ST(RESTORED),
	[GP_INC_CONFIRM] = ST(RESOLVED),
	[GP_INC_REJECT] = ST(RESOLVED),
	[GP_INC_VOID] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED) | ST(RESOLVED) | ST(CLOSED),
	[GP_INC_ATTRIBUTE] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED) | ST(RESOLVED) | ST(CLOSED),
	[GP_INC_WAIT] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED),
	[GP_INC_RESUME] = ST(OPEN) | ST(ACKNOWLEDGED) | ST(RESTORED) | ST(RESOLVED),
};
#undef ST

/* "open restored": the statuses a command is allowed from. */
static void allowed_text(enum gp_inc_cmd cmd, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int st = 0; st < GP_INCIDENT_STATUS_N; st++)
		if (allowed_from[cmd] & (1u << st))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 gp_incident_status_name((enum gp_incident_status)st));
}

static int command(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		   enum gp_inc_cmd cmd, const char *arg, const char *reason, const char *actor,
		   int64_t now, int64_t at, int outage, char *err, size_t errlen)
{
	struct gp_incident inc = {0};
	if (!gp_store_incident_get(st, id, &inc))
		return gp_errf(err, errlen, "no incident #%lld", (long long)id);
	int rc = -1;
	int old = (int)inc.status;
	char text[1200], when[80] = "";
	text[0] = '\0';
	if (!(allowed_from[cmd] & (1u << inc.status))) {
		char which[100];
		allowed_text(cmd, which, sizeof(which));
		gp_errf(err, errlen, "incident #%lld is %s: '%s' is allowed only when it is %s",
			(long long)id, gp_incident_status_name(inc.status), cmd_names[cmd], which);
		goto done;
	}
	if (at != 0 && cmd != GP_INC_ACK && cmd != GP_INC_RESOLVE) {
		gp_errf(err, errlen, "a time of its own (--at) is for ack and resolve only");
		goto done;
	}
	if (at != 0) {
		/* Entered after the fact: when it happened is said, and kept in
		 * the timeline beside when it was entered (the row's time). */
		int64_t after = cmd == GP_INC_ACK ? inc.opened_at
						  : (inc.restored_at > inc.acknowledged_at
							     ? inc.restored_at
							     : inc.acknowledged_at);
		char t[40];
		if (at > now) {
			gp_errf(err, errlen, "--at lies in the future");
			goto done;
		}
		if (at < after) {
			gp_format_local(after, cfg->calendar.timezone, t, sizeof(t));
			gp_errf(err, errlen, "incident #%lld cannot be %s before %s (%s)",
				(long long)id, cmd == GP_INC_ACK ? "acknowledged" : "resolved", t,
				cmd == GP_INC_ACK ? "its registration"
				: inc.restored_at > inc.acknowledged_at ? "its restore"
									 : "its acknowledgement");
			goto done;
		}
		gp_format_local(at, cfg->calendar.timezone, t, sizeof(t));
		snprintf(when, sizeof(when), " (done at %s, entered later)", t);
	} else {
		at = now;
	}
	switch (cmd) {
	case GP_INC_ACK:
		if (inc.acknowledged_at) {
			gp_errf(err, errlen, "incident #%lld was acknowledged by %s already",
			     (long long)id, inc.acknowledged_by ? inc.acknowledged_by : "?");
			goto done;
		}
		inc.acknowledged_at = at;
		set_str(&inc.acknowledged_by, arg);
		inc.response_working_seconds =
			gp_cal_working_between(&cfg->calendar, inc.opened_at, at);
		inc.response_breached = inc.response_breached || at > inc.response_due_at;
		if (inc.status == GP_INCIDENT_OPEN)
			inc.status = GP_INCIDENT_ACKNOWLEDGED;
		snprintf(text, sizeof(text), "taken into work by %s after %lld working minutes%s%s",
			 arg, (long long)(inc.response_working_seconds / 60),
			 inc.response_breached ? " (response target passed)" : "", when);
		break;
	case GP_INC_NOTE:
		snprintf(text, sizeof(text), "%s", arg);
		break;
	case GP_INC_WORKAROUND:
		set_str(&inc.workaround, arg);
		snprintf(text, sizeof(text), "%s", arg);
		break;
	case GP_INC_RESOLVE:
		if (!inc.acknowledged_at) {
			gp_errf(err, errlen, "incident #%lld was never acknowledged: ack it first "
					  "(gprobe incident ack %lld --by NAME)",
			     (long long)id, (long long)id);
			goto done;
		}
		if (inc.channel == GP_CHANNEL_PROBE && inc.outage_start > 0 && !inc.restored_at) {
			gp_errf(err, errlen, "incident #%lld: the service is still down; it can be "
					  "resolved once the probe sees it up (restored)",
			     (long long)id);
			goto done;
		}
		inc.status = GP_INCIDENT_RESOLVED;
		set_str(&inc.resolution, arg);
		inc.resolved_at = at;
		snprintf(text, sizeof(text), "%s%s", arg, when);
		break;
	case GP_INC_CONFIRM:
		inc.status = GP_INCIDENT_CLOSED;
		inc.closed_at = now;
		snprintf(text, sizeof(text), "resolution confirmed");
		break;
	case GP_INC_REJECT:
		inc.status = GP_INCIDENT_ACKNOWLEDGED;
		inc.resolved_at = 0;
		snprintf(text, sizeof(text), "resolution rejected: %s", arg);
		break;
	case GP_INC_VOID:
		inc.status = GP_INCIDENT_VOIDED;
		snprintf(text, sizeof(text), "false alarm: %s", arg);
		break;
	case GP_INC_WAIT:
	case GP_INC_RESUME: {
		struct gp_inc_resolution r;
		if (gp_inc_resolution(st, cfg, &inc, now, &r) != 0) {
			gp_errf(err, errlen, "cannot read the timeline of incident #%lld", (long long)id);
			goto done;
		}
		if (cmd == GP_INC_WAIT && r.waiting) {
			gp_errf(err, errlen, "incident #%lld waits already (gprobe incident resume %lld)",
				(long long)id, (long long)id);
			goto done;
		}
		if (cmd == GP_INC_RESUME && !r.waiting) {
			gp_errf(err, errlen, "incident #%lld is not waiting", (long long)id);
			goto done;
		}
		if (cmd == GP_INC_WAIT)
			snprintf(text, sizeof(text), "waiting for the customer: %s (the resolution "
						     "clock stops)", arg);
		else
			snprintf(text, sizeof(text), "resumed after %lld working minutes of waiting",
				 (long long)(r.waiting_seconds / 60));
		break;
	}
	case GP_INC_ATTRIBUTE: {
		enum gp_attribution a;
		if (!gp_attribution_parse(arg, &a) || a == GP_ATTR_UNATTRIBUTED) {
			gp_errf(err, errlen, "attribution '%s': supplier, customer or third-party", arg);
			goto done;
		}
		/* The outage named (default: the latest) counts as a; the
		 * incident's own attribution is its latest outage's. */
		int64_t start = 0;
		bool latest = false;
		int found = gp_store_outage_attribute(st, id, outage, a, actor, now, &start,
						      &latest);
		if (found < 0) {
			gp_errf(err, errlen, "cannot write the outage's attribution: %s",
				gp_store_error(st));
			goto done;
		}
		if (found > 0 && outage > 0) {
			gp_errf(err, errlen, "incident #%lld has no outage %d (see: gprobe incident show "
				"%lld)", (long long)id, outage, (long long)id);
			goto done;
		}
		char since[40] = "";
		if (found == 0)
			gp_format_utc(start, since, sizeof(since));
		snprintf(text, sizeof(text), "attribution %s%s%s-> %s: %s",
			 found == 0 ? "of the outage since " : "", since, found == 0 ? " " : "",
			 arg, reason ? reason : "");
		if (found > 0 || latest)
			inc.attribution = a;
		break;
	}
	}
	rc = save(st, cfg, &inc, false, now, actor, cmd_names[cmd], old, text, err, errlen);
done:
	gp_incident_clear(&inc);
	return rc;
}

int gp_inc_command(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		   enum gp_inc_cmd cmd, const char *arg, const char *reason, const char *actor,
		   int64_t now, int64_t at, char *err, size_t errlen)
{
	return command(st, cfg, id, cmd, arg, reason, actor, now, at, 0, err, errlen);
}

int gp_inc_attribute(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		     const char *attribution, int outage, const char *reason, const char *actor,
		     int64_t now, char *err, size_t errlen)
{
	return command(st, cfg, id, GP_INC_ATTRIBUTE, attribution, reason, actor, now, 0, outage,
		       err, errlen);
}

/* ------------------------------------------------------------------ */
/* The resolution clock                                                */

struct wait_walk {
	const struct gp_calendar *cal;
	int64_t since;   /* waiting since, or 0 */
	int64_t waited;  /* working seconds of closed waits */
};

static void on_wait_event(void *ctx, const struct gp_incident_event *ev)
{
	struct wait_walk *w = ctx;
	if (!strcmp(ev->kind, "wait") && !w->since) {
		w->since = ev->at;
	} else if (!strcmp(ev->kind, "resume") && w->since) {
		w->waited += gp_cal_working_between(w->cal, w->since, ev->at);
		w->since = 0;
	}
}

int gp_inc_resolution(struct gp_store *st, const struct gp_config *cfg,
		      const struct gp_incident *inc, int64_t now, struct gp_inc_resolution *out)
{
	memset(out, 0, sizeof(*out));
	struct wait_walk w = {.cal = &cfg->calendar};
	if (gp_store_incident_timeline(st, inc->id, on_wait_event, &w) != 0)
		return -1;
	/* A wait still open counts up to the resolution, or to now. */
	int64_t end = inc->resolved_at ? inc->resolved_at : now;
	out->waiting = w.since != 0;
	out->waiting_seconds = w.waited + (w.since && end > w.since
						   ? gp_cal_working_between(&cfg->calendar, w.since, end)
						   : 0);
	int p = (int)inc->priority - 1;
	int64_t target_s = p >= 0 && p < 4 ? cfg->incidents.resolution_ms[p] / 1000 : 0;
	if (target_s <= 0)
		return 0;
	out->due_at = gp_cal_add_working(&cfg->calendar, inc->opened_at,
					 target_s + out->waiting_seconds);
	out->breached = end > out->due_at && !(out->waiting && !inc->resolved_at);
	return 0;
}

int64_t gp_inc_began_at(const struct gp_incident *inc)
{
	return inc->outage_start > 0 && inc->outage_start < inc->opened_at ? inc->outage_start
									     : inc->opened_at;
}

bool gp_inc_within(const struct gp_incident *inc, int64_t span_start, int64_t span_end)
{
	return gp_inc_began_at(inc) < span_end &&
	       !(inc->closed_at > 0 && inc->closed_at < span_start);
}
