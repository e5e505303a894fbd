/*
 * outbox.c - queues the messages of incident events (see outbox.h).
 */
#include "outbox.h"
#include "expr.h"
#include "state.h"
#include "templates.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

char *gp_outbox_message_id(const struct gp_config *cfg, const char *kind)
{
	unsigned char r[12];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Never expected; time and address still make it unique here. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts, sizeof(r) < sizeof(ts) ? sizeof(r) : sizeof(ts));
	}
	char hex[sizeof(r) * 2 + 1];
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	const char *at = cfg->email.from ? strchr(cfg->email.from, '@') : NULL;
	return gp_xasprintf("<gprobe.%s.%s@%s>", kind, hex, at ? at + 1 : "gprobe.invalid");
}

static bool event_of(const struct gp_incident *inc, const char *kind, enum gp_alert_event *e)
{
	/* The probe opens an incident for an outage, or, with no outage, for
	 * lost redundancy (incidents.c, gp_inc_service_degraded). */
	if (!strcmp(kind, "opened") && inc->channel == GP_CHANNEL_PROBE)
		*e = inc->outage_start > 0 ? GP_ALERT_OPENED : GP_ALERT_DEGRADED;
	else if (!strcmp(kind, "degraded"))
		*e = GP_ALERT_DEGRADED;
	else if (!strcmp(kind, "outage"))
		*e = GP_ALERT_OPENED;
	else if (!strcmp(kind, "reopened"))
		*e = GP_ALERT_REOPENED;
	else if (!strcmp(kind, "restored"))
		*e = GP_ALERT_RESTORED;
	else if (!strcmp(kind, "resolve"))
		*e = GP_ALERT_RESOLVED;
	else if (!strcmp(kind, "escalation"))
		*e = GP_ALERT_ESCALATION;
	else if (!strcmp(kind, "auto-closed"))
		*e = GP_ALERT_AUTO_CLOSED;
	else
		return false;
	return true;
}

/* A component's failing checks, a line each (capped). */
struct lines {
	char *text;
	int n;
};

static void add_check(void *ctx, const struct gp_check_row *row)
{
	struct lines *l = ctx;
	if (++l->n > 20)
		return;
	const char *out = row->output ? row->output : "";
	/* Cut on a character: a mail declared UTF-8 is UTF-8. */
	char *next = gp_xasprintf("%s%s: %s%s%.*s\n", l->text, row->name,
				  gp_state_name(row->state), *out ? " - " : "",
				  gp_utf8_prefix(out, 200), out);
	free(l->text);
	l->text = next;
}

char *gp_outbox_failing_checks(struct gp_store *st, const char *target)
{
	struct lines l = {gp_xstrdup(""), 0};
	gp_store_list_checks(st, target, true, add_check, &l);
	return l.text;
}

static const struct gp_service *service_of(const struct gp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

/* The service's latest outage: the one open now, or, for a restore, the
 * one that has just ended. The mails tell of it, not of the incident's
 * first outage (a flap, a reopen through another component). */
struct latest {
	bool found;
	int64_t start, end;
	char *members;
};

static void keep_latest(void *ctx, const struct gp_outage_row *o)
{
	struct latest *l = ctx;
	if (l->found && o->start < l->start)
		return;
	l->found = true;
	l->start = o->start;
	l->end = o->end;
	free(l->members);
	l->members = gp_xstrdup(o->members ? o->members : "");
}

/* The components a mail names, with their hosts and failing checks. */
struct members {
	struct gp_alert_member *v; /* checks: owned, freed by members_free */
	size_t n, cap;
	struct gp_store *st;
	const struct gp_config *cfg;
	bool degraded_too; /* a DEGRADED component counts (redundancy lost) */
};

static void add_member(struct members *m, const char *name, bool with_checks)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return;
	const struct gp_target *t = gp_config_target(m->cfg, name);
	if (!t)
		return;
	gp_grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v));
	char *checks = NULL;
	if (with_checks) {
		checks = gp_outbox_failing_checks(m->st, t->name);
	}
	m->v[m->n++] = (struct gp_alert_member){t->name, t->host, checks};
}

/* A member of the service's expression that is DOWN now (or DEGRADED). */
static void add_if_down(const struct gp_expr *node, void *ctx)
{
	struct members *m = ctx;
	struct gp_target_status ts;
	if (!gp_store_load_target(m->st, node->name, &ts))
		return;
	if (ts.state == GP_DOWN || (m->degraded_too && ts.state == GP_DEGRADED))
		add_member(m, node->name, true);
}

static void add_listed(struct members *m, const char *list, bool with_checks)
{
	char *copy = gp_xstrdup(list ? list : "");
	for (char *sp = NULL, *t = strtok_r(copy, ",", &sp); t; t = strtok_r(NULL, ",", &sp))
		add_member(m, t, with_checks);
	free(copy);
}

static void members_free(struct members *m)
{
	for (size_t i = 0; i < m->n; i++)
		free((char *)m->v[i].checks);
	free(m->v);
}

static int queue(struct gp_store *st, const struct gp_incident *inc, const char *kind,
		 enum gp_alert_channel channel, const char *recipient, const char *subject,
		 const char *body, const char *message_id, int64_t at, int64_t not_before, char *err,
		 size_t errlen)
{
	struct gp_alert a = {
		.incident = inc->id,
		.event = (char *)kind,
		.channel = channel,
		.recipient = (char *)recipient,
		.subject = (char *)subject,
		.body = (char *)body,
		.message_id = (char *)message_id,
		.created_at = at,
		.next_attempt_at = not_before,
	};
	if (gp_store_alert_add(st, &a, NULL) != 0)
		return gp_errf(err, errlen, "cannot queue the %s alert to %s: %s", kind, recipient,
			       gp_store_error(st));
	return 0;
}

int gp_outbox_incident(struct gp_store *st, const struct gp_config *cfg,
		       const struct gp_incident *inc, const char *kind, const char *text,
		       int64_t at, int64_t auto_close_at, char *err, size_t errlen)
{
	enum gp_alert_event ev;
	if ((!cfg->email.set && !cfg->webhook.set) || !event_of(inc, kind, &ev))
		return 0;
	if (ev == GP_ALERT_REOPENED) {
		int held = gp_store_alert_cancel(st, inc->id, "restored");
		if (held < 0)
			return gp_errf(err, errlen, "cannot cancel held alerts: %s", gp_store_error(st));
		if (held > 0)
			return 0;
	}
	const struct gp_service *svc = service_of(cfg, inc->service);
	/* This outage: from shortly before the incident (an outage joins an
	 * incident it began before) to now. */
	int64_t first = inc->outage_start > 0 && inc->outage_start < inc->opened_at
				? inc->outage_start
				: inc->opened_at;
	struct latest out = {0};
	gp_store_outage_list(st, inc->service, first - 86400, at + 1, keep_latest, &out);
	int64_t since = out.found ? out.start : inc->outage_start > 0 ? inc->outage_start
								     : inc->opened_at;
	int64_t down_seconds = 0;
	if (ev == GP_ALERT_RESTORED)
		down_seconds = out.found && out.end > out.start ? out.end - out.start
			       : inc->restored_at > 0 && inc->outage_start > 0
				       ? inc->restored_at - inc->outage_start
				       : 0;
	struct members m = {.st = st, .cfg = cfg, .degraded_too = ev == GP_ALERT_DEGRADED};
	if (ev == GP_ALERT_RESTORED) {
		add_listed(&m, out.found ? out.members : inc->members, false);
	} else if (ev != GP_ALERT_RESOLVED && ev != GP_ALERT_AUTO_CLOSED) {
		/* Those DOWN now; when the states say none (not yet saved,
		 * or unknown), those DOWN when this outage began. */
		if (svc && svc->expr)
			gp_expr_foreach_name(svc->expr, add_if_down, &m);
		if (m.n == 0 && ev != GP_ALERT_DEGRADED)
			add_listed(&m, out.found ? out.members : inc->members, true);
	}
	if (ev == GP_ALERT_DEGRADED) {
		struct gp_service_status ss;
		if (gp_store_load_service(st, inc->service, &ss) && ss.state == GP_DEGRADED)
			since = ss.since;
	}
	free(out.members);
	struct gp_alert_facts f = {
		.event = ev,
		.russian = cfg->email.language && !strcmp(cfg->email.language, "ru"),
		.tz = cfg->calendar.timezone,
		.incident = inc->id,
		.priority = gp_priority_name(inc->priority),
		.service = inc->service,
		.title = svc ? svc->title : NULL,
		.status = gp_incident_status_name(inc->status),
		.attribution = gp_attribution_name(inc->attribution),
		.channel = gp_inc_channel_name(inc->channel),
		.since = since,
		.at = at,
		.response_due = inc->response_due_at,
		.down_seconds = down_seconds,
		.text = ev == GP_ALERT_RESOLVED ? inc->resolution : text,
		.members = m.v,
		.n_members = m.n,
		.auto_close_at = ev == GP_ALERT_RESOLVED ? auto_close_at : 0,
		.auto_close_days = cfg->incidents.auto_close_working_days,
		.by_reply = cfg->email.reply_to != NULL,
		.noc = cfg->email.n_to > 0 ? cfg->email.to[0] : NULL,
	};
	int64_t not_before = ev == GP_ALERT_RESTORED ? at + cfg->alerts.restore_delay_ms / 1000 : at;
	const char *name = gp_alert_event_name(ev);
	int rc = 0;
	if (cfg->email.set) {
		char *subject = gp_alert_subject(&f);
		char *body = gp_alert_text(&f);
		bool esc = ev == GP_ALERT_ESCALATION && cfg->email.n_escalate_to > 0;
		char **to = esc ? cfg->email.escalate_to : cfg->email.to;
		size_t n = esc ? cfg->email.n_escalate_to : cfg->email.n_to;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char *mid = gp_outbox_message_id(cfg, name);
			rc = queue(st, inc, name, GP_ALERT_EMAIL, to[i], subject, body, mid, at, not_before,
				   err, errlen);
			free(mid);
		}
		/* The resolution is the customer's to confirm: their
		 * contacts get it too (one row each, as the NOC's). */
		for (size_t i = 0; rc == 0 && ev == GP_ALERT_RESOLVED && i < cfg->n_contacts; i++) {
			const char *addr = cfg->contacts[i].email;
			bool noc = false;
			for (size_t k = 0; k < n && !noc; k++)
				noc = !strcasecmp(to[k], addr);
			if (noc)
				continue;
			char *mid = gp_outbox_message_id(cfg, name);
			rc = queue(st, inc, name, GP_ALERT_EMAIL, addr, subject, body, mid, at, not_before,
				   err, errlen);
			free(mid);
		}
		free(subject);
		free(body);
	}
	if (rc == 0 && cfg->webhook.set) {
		char *mid = gp_outbox_message_id(cfg, name);
		json_t *j = gp_alert_json(&f, mid);
		char *body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		rc = queue(st, inc, name, GP_ALERT_WEBHOOK, cfg->webhook.url, NULL, body, mid, at,
			   not_before, err, errlen);
		free(body);
		json_decref(j);
		free(mid);
	}
	members_free(&m);
	return rc;
}
