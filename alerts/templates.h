/*
 * templates.h - what the NOC reads: the subject and text of each incident
 * event's e-mail, in Russian or English, and the JSON of the webhook.
 * Pure functions over the facts the outbox gathers; the caller frees.
 *
 * Subjects start with the priority and the incident's number, "[P1 #42]",
 * so that mail clients thread an incident's messages.
 */
#ifndef GP_TEMPLATES_H
#define GP_TEMPLATES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

enum gp_alert_event {
	GP_ALERT_OPENED,      /* the service is down: a new incident */
	GP_ALERT_REOPENED,    /* down again within the reopen window */
	GP_ALERT_RESTORED,    /* up again */
	GP_ALERT_RESOLVED,    /* the engineer says what was done */
	GP_ALERT_ESCALATION,  /* the response target passed unacknowledged */
	GP_ALERT_AUTO_CLOSED, /* resolved, neither confirmed nor rejected */
	GP_ALERT_DEGRADED,    /* up, but a member is down: redundancy lost (P3) */
	GP_ALERT_N
};
const char *gp_alert_event_name(enum gp_alert_event e); /* "opened", "auto-closed"... */

/* A component the mail names: DOWN now (opened, reopened, escalation,
 * degraded) or back (restored). checks: its failing checks, a line each
 * ("port: CRITICAL - ..."), or NULL. */
struct gp_alert_member {
	const char *name, *host;
	const char *checks;
};

struct gp_alert_facts {
	enum gp_alert_event event;
	bool russian;
	const char *tz;          /* times are shown in it */
	int64_t incident;
	const char *priority;
	const char *service, *title; /* title may be NULL */
	const char *status, *attribution, *channel;
	int64_t since;           /* this outage's start (degraded: since when),
				  * or the registration */
	int64_t at;              /* when the event happened */
	int64_t response_due;
	int64_t down_seconds;    /* restored: how long this outage lasted */
	const char *text;        /* the incident's text, or the resolution */
	const struct gp_alert_member *members; /* see gp_alert_member */
	size_t n_members;
	/* resolved: when it counts as closed unless confirmed or rejected
	 * (0: not said), after auto_close_days working days. */
	int64_t auto_close_at;
	int auto_close_days;
	bool by_reply;           /* replies are taken (gprobe mail-in): say how */
	const char *noc;         /* the NOC's address, or NULL */
};

char *gp_alert_subject(const struct gp_alert_facts *f);
char *gp_alert_text(const struct gp_alert_facts *f);
/* The webhook's body: the event and the incident, times ISO 8601. */
json_t *gp_alert_json(const struct gp_alert_facts *f, const char *idempotency_key);

/* One root cause: a component whose fault took several services down
 * (the Framework's conf-1, say), or its restore. One mail tells of all;
 * each service's incident still has its own in the store, folded into it. */
struct gp_cause_service {
	const char *service, *title; /* title may be NULL */
	int64_t incident;
	const char *priority;
};
struct gp_cause_facts {
	bool russian, restored;
	const char *tz;
	struct gp_alert_member component; /* its checks: DOWN only */
	int64_t since, at;               /* the fault's start; now */
	const struct gp_cause_service *services;
	size_t n_services;
};
char *gp_cause_subject(const struct gp_cause_facts *f);
char *gp_cause_text(const struct gp_cause_facts *f);

#endif
