/*
 * incidents.c - the incident manager (see incidents.h).
 */
#include "incidents.h"
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

static const char *priority_name(enum gp_priority p)
{
	static const char *const names[] = {"P1", "P1", "P2", "P3", "P4"};
	return (unsigned)p < GP_ARRAY_LEN(names) ? names[p] : "P1";
}

/* Writes the incident, its timeline row and the alerts the event causes,
 * in the caller's transaction. */
static int save(struct gp_store *st, const struct gp_config *cfg, struct gp_incident *inc,
		bool insert, int64_t at, const char *actor, const char *kind,
		const char *old_status, const char *text, char *err, size_t errlen)
{
	int rc = insert ? gp_store_incident_insert(st, inc) : gp_store_incident_update(st, inc);
	if (rc != 0)
		return gp_errf(err, errlen, "cannot write incident: %s", gp_store_error(st));
	struct gp_incident_event ev = {at, actor, kind, old_status, inc->status, text};
	if (gp_store_incident_event_add(st, inc->id, &ev) != 0)
		return gp_errf(err, errlen, "cannot write the timeline: %s", gp_store_error(st));
	return gp_outbox_incident(st, cfg, inc, kind, text, at, err, errlen);
}

const char *gp_inc_attribution(const struct gp_config *cfg, const char *members)
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
		return "unattributed";
	if (customer_only)
		return "customer";
	if (supplier)
		return "supplier";
	if (third_only)
		return "third-party";
	return "unattributed"; /* customer's and third parties' together */
}

static int64_t response_target_s(const struct gp_config *cfg, const char *channel)
{
	const struct gp_incidents *in = &cfg->incidents;
	int64_t ms = !strcmp(channel, "phone")   ? in->response_target_phone_ms
		     : !strcmp(channel, "email") ? in->response_target_email_ms
						 : in->response_target_ms;
	return ms / 1000;
}

static int64_t due_at(const struct gp_config *cfg, const char *channel, int64_t registered)
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
			       const char *priority, int64_t outage_start, const char *members,
			       const char *text, int64_t now, int64_t *id, char *err, size_t errlen)
{
	struct gp_incident inc = {
		.service = gp_xstrdup(cfg->services[service].name),
		.status = gp_xstrdup("open"),
		.priority = gp_xstrdup(priority),
		.channel = gp_xstrdup("probe"),
		.attribution = gp_xstrdup(gp_inc_attribution(cfg, members)),
		.opened_at = now,
		.response_due_at = due_at(cfg, "probe", now),
		.response_working_seconds = -1,
		.outage_start = outage_start,
		.members = members ? gp_xstrdup(members) : NULL,
		.text = gp_xstrdup(text),
	};
	int rc = save(st, cfg, &inc, true, now, ACTOR_PROBE, "opened", NULL, text, err, errlen);
	*id = inc.id;
	gp_incident_clear(&inc);
	return rc;
}

/* The outage's seconds count as its incident says (attribution, void). */
static int link_outage(struct gp_store *st, const char *service, int64_t outage_start,
		       int64_t id, char *err, size_t errlen)
{
	if (gp_store_outage_link(st, service, outage_start, id) != 0)
		return gp_errf(err, errlen, "cannot link the outage to incident #%lld: %s",
			    (long long)id, gp_store_error(st));
	return 0;
}

int gp_inc_outage_opened(struct gp_store *st, const struct gp_config *cfg, size_t service,
			 int64_t outage_start, const char *members, int64_t now, char *err,
			 size_t errlen)
{
	const char *name = cfg->services[service].name;
	char text[512];
	char since[40];
	gp_format_utc(outage_start, since, sizeof(since));
	snprintf(text, sizeof(text), "%s DOWN since %s (down: %s)", name, since,
		 members && *members ? members : "-");

	struct gp_incident inc = {0};
	int rc = 0;
	const char *priority = priority_name(cfg->services[service].priority);
	if (gp_store_incident_in_work(st, name, &inc)) {
		/* Already open (a request by phone, a P3 for lost redundancy,
		 * or an outage that went unknown and came back): the outage is
		 * noted on it, at the service's priority, and the DOWN members
		 * say whose it is unless someone has said already. */
		if (inc.outage_start == 0)
			inc.outage_start = outage_start;
		if (strcmp(inc.priority, priority) > 0)
			set_str(&inc.priority, priority);
		if (!strcmp(inc.attribution, "unattributed"))
			set_str(&inc.attribution, gp_inc_attribution(cfg, members));
		if (!inc.members && members)
			set_str(&inc.members, members);
		rc = save(st, cfg, &inc, false, now, ACTOR_PROBE, "outage", inc.status, text, err, errlen);
		if (rc == 0)
			rc = link_outage(st, name, outage_start, inc.id, err, errlen);
		gp_incident_clear(&inc);
		return rc;
	}
	if (gp_store_incident_latest_probe(st, name, &inc) && inc.restored_at > 0 &&
	    (!strcmp(inc.status, "restored") || !strcmp(inc.status, "resolved")) &&
	    outage_start - inc.restored_at <= cfg->incidents.reopen_window_ms / 1000) {
		/* A flap: the same incident, not a new one. */
		char *old = gp_xstrdup(inc.status);
		set_str(&inc.status, inc.acknowledged_at ? "acknowledged" : "open");
		inc.restored_at = 0;
		inc.resolved_at = 0;
		rc = save(st, cfg, &inc, false, now, ACTOR_PROBE, "reopened", old, text, err, errlen);
		if (rc == 0)
			rc = link_outage(st, name, outage_start, inc.id, err, errlen);
		free(old);
		gp_incident_clear(&inc);
		return rc;
	}
	gp_incident_clear(&inc);
	int64_t id = 0;
	rc = open_probe_incident(st, cfg, service, priority, outage_start, members, text, now, &id,
				 err, errlen);
	return rc == 0 ? link_outage(st, name, outage_start, id, err, errlen) : rc;
}

int gp_inc_service_up(struct gp_store *st, const struct gp_config *cfg, size_t service,
		      int64_t at, int64_t outage_start, char *err, size_t errlen)
{
	struct gp_incident inc = {0};
	if (!gp_store_incident_in_work(st, cfg->services[service].name, &inc))
		return 0;
	int rc = 0;
	if (!strcmp(inc.channel, "probe") || inc.outage_start > 0) {
		char text[200];
		if (outage_start > 0)
			snprintf(text, sizeof(text), "up again after %lld s down",
				 (long long)(at - outage_start));
		else
			snprintf(text, sizeof(text), "up again");
		char *old = gp_xstrdup(inc.status);
		set_str(&inc.status, "restored");
		inc.restored_at = at;
		rc = save(st, cfg, &inc, false, at, ACTOR_PROBE, "restored", old, text, err, errlen);
		free(old);
	}
	gp_incident_clear(&inc);
	return rc;
}

int gp_inc_service_degraded(struct gp_store *st, const struct gp_config *cfg, size_t service,
			    int64_t since, int64_t now, char *err, size_t errlen)
{
	if (now - since < cfg->incidents.reopen_window_ms / 1000)
		return 0;
	struct gp_incident inc = {0};
	bool busy = gp_store_incident_in_work(st, cfg->services[service].name, &inc);
	gp_incident_clear(&inc);
	if (busy)
		return 0;
	char text[300], at[40];
	gp_format_utc(since, at, sizeof(at));
	snprintf(text, sizeof(text),
		 "%s DEGRADED since %s: up, but a member is down or degraded (redundancy lost)",
		 cfg->services[service].name, at);
	int64_t id;
	return open_probe_incident(st, cfg, service, "P3", 0, NULL, text, now, &id, err, errlen);
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
		    strcmp(inc->status, "resolved") != 0 && now >= inc->response_due_at) {
			inc->response_breached = true;
			char text[200], due[40];
			gp_format_utc(inc->response_due_at, due, sizeof(due));
			snprintf(text, sizeof(text), "not acknowledged by %s: response target passed",
				 due);
			rc = save(st, cfg, inc, false, now, ACTOR_PROBE, "escalation", inc->status, text,
				  err, errlen);
		} else if (!strcmp(inc->status, "resolved") &&
			   now >= gp_inc_auto_close_at(cfg, inc->resolved_at)) {
			set_str(&inc->status, "closed");
			inc->closed_at = now;
			char text[160];
			snprintf(text, sizeof(text),
				 "neither confirmed nor rejected within %d working days",
				 cfg->incidents.auto_close_working_days);
			rc = save(st, cfg, inc, false, now, ACTOR_PROBE, "auto-closed", "resolved", text,
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
	if (strcmp(channel, "phone") != 0 && strcmp(channel, "email") != 0)
		return gp_errf(err, errlen, "channel '%s': phone or email", channel);
	if (strlen(priority) != 2 || priority[0] != 'P' || priority[1] < '1' || priority[1] > '4')
		return gp_errf(err, errlen, "priority '%s': P1, P2, P3 or P4", priority);
	if (reported_at > now + 60)
		return gp_errf(err, errlen, "the request cannot be reported in the future");
	struct gp_incident inc = {0};
	if (gp_store_incident_in_work(st, service, &inc)) {
		int rc = gp_errf(err, errlen,
			      "service '%s' already has incident #%lld in work (%s): add a note to "
			      "it (gprobe incident note %lld TEXT)",
			      service, (long long)inc.id, inc.status, (long long)inc.id);
		gp_incident_clear(&inc);
		return rc;
	}
	inc = (struct gp_incident){
		.service = gp_xstrdup(service),
		.status = gp_xstrdup("open"),
		.priority = gp_xstrdup(priority),
		.channel = gp_xstrdup(channel),
		.attribution = gp_xstrdup("unattributed"),
		.opened_at = reported_at,
		.response_due_at = due_at(cfg, channel, reported_at),
		.response_working_seconds = -1,
		.text = gp_xstrdup(text),
	};
	char note[600];
	snprintf(note, sizeof(note), "by %s: %s", channel, text);
	int rc = save(st, cfg, &inc, true, now, actor, "opened", NULL, note, err, errlen);
	*id = inc.id;
	gp_incident_clear(&inc);
	return rc;
}

static const char *const cmd_names[] = {"ack", "note", "workaround", "resolve",
					"confirm", "reject", "void", "attribute"};

/* Status changes of the commands: from which statuses each is allowed. */
static bool allowed(enum gp_inc_cmd cmd, const char *status, const char **which)
{
	static const char *const from[] = {
		[GP_INC_ACK] = "open restored",
		[GP_INC_NOTE] = "open acknowledged restored resolved closed voided",
		[GP_INC_WORKAROUND] = "open acknowledged restored",
		[GP_INC_RESOLVE] = "acknowledged restored",
		[GP_INC_CONFIRM] = "resolved",
		[GP_INC_REJECT] = "resolved",
		[GP_INC_VOID] = "open acknowledged restored resolved closed",
		[GP_INC_ATTRIBUTE] = "open acknowledged restored resolved closed",
	};
	*which = from[cmd];
	size_t n = strlen(status);
	for (const char *p = from[cmd]; (p = strstr(p, status)); p += n)
		if ((p == from[cmd] || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

int gp_inc_command(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		   enum gp_inc_cmd cmd, const char *arg, const char *reason, const char *actor,
		   int64_t now, char *err, size_t errlen)
{
	struct gp_incident inc = {0};
	if (!gp_store_incident_get(st, id, &inc))
		return gp_errf(err, errlen, "no incident #%lld", (long long)id);
	const char *which;
	int rc = -1;
	char *old = gp_xstrdup(inc.status);
	char text[1200];
	text[0] = '\0';
	if (!allowed(cmd, inc.status, &which)) {
		gp_errf(err, errlen, "incident #%lld is %s: '%s' is allowed only when it is %s",
		     (long long)id, inc.status, cmd_names[cmd], which);
		goto done;
	}
	switch (cmd) {
	case GP_INC_ACK:
		if (inc.acknowledged_at) {
			gp_errf(err, errlen, "incident #%lld was acknowledged by %s already",
			     (long long)id, inc.acknowledged_by ? inc.acknowledged_by : "?");
			goto done;
		}
		inc.acknowledged_at = now;
		set_str(&inc.acknowledged_by, arg);
		inc.response_working_seconds =
			gp_cal_working_between(&cfg->calendar, inc.opened_at, now);
		inc.response_breached = inc.response_breached || now > inc.response_due_at;
		if (!strcmp(inc.status, "open"))
			set_str(&inc.status, "acknowledged");
		snprintf(text, sizeof(text), "taken into work by %s after %lld working minutes%s",
			 arg, (long long)(inc.response_working_seconds / 60),
			 inc.response_breached ? " (response target passed)" : "");
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
		if (!strcmp(inc.channel, "probe") && inc.outage_start > 0 && !inc.restored_at) {
			gp_errf(err, errlen, "incident #%lld: the service is still down; it can be "
					  "resolved once the probe sees it up (restored)",
			     (long long)id);
			goto done;
		}
		set_str(&inc.status, "resolved");
		set_str(&inc.resolution, arg);
		inc.resolved_at = now;
		snprintf(text, sizeof(text), "%s", arg);
		break;
	case GP_INC_CONFIRM:
		set_str(&inc.status, "closed");
		inc.closed_at = now;
		snprintf(text, sizeof(text), "resolution confirmed");
		break;
	case GP_INC_REJECT:
		set_str(&inc.status, "acknowledged");
		inc.resolved_at = 0;
		snprintf(text, sizeof(text), "resolution rejected: %s", arg);
		break;
	case GP_INC_VOID:
		set_str(&inc.status, "voided");
		snprintf(text, sizeof(text), "false alarm: %s", arg);
		break;
	case GP_INC_ATTRIBUTE:
		if (strcmp(arg, "supplier") && strcmp(arg, "customer") && strcmp(arg, "third-party")) {
			gp_errf(err, errlen, "attribution '%s': supplier, customer or third-party", arg);
			goto done;
		}
		snprintf(text, sizeof(text), "attribution %s -> %s: %s",
			 inc.attribution ? inc.attribution : "unattributed", arg,
			 reason ? reason : "");
		set_str(&inc.attribution, arg);
		break;
	}
	rc = save(st, cfg, &inc, false, now, actor, cmd_names[cmd], old, text, err, errlen);
done:
	free(old);
	gp_incident_clear(&inc);
	return rc;
}
