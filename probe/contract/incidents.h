/*
 * incidents.h - the incident manager: when an incident opens, reopens, is
 * restored, escalates and closes, and which commands may change it.
 *
 *   open ──ack──> acknowledged ──(service up)──> restored ──resolve──> resolved
 *     └──(service up)──> restored                                 │  ├─confirm─> closed
 *                                                                 │  ├─(N working days)─> closed
 *                                                                 │  └─reject──> acknowledged
 *   void: any but voided -> voided (a false alarm: out of the penalty, still shown)
 *
 * Every change is one row in the incident's append-only timeline, in the
 * caller's transaction (the daemon's batch, or the CLI command's).
 * Functions return 0, or -1 with the reason in err (a refused transition
 * names what is allowed).
 */
#ifndef GP_INCIDENTS_H
#define GP_INCIDENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* The service went DOWN (outage dated outage_start, members the DOWN
 * targets): reopens the latest incident when the outage comes within
 * reopen_window of its restore, else opens one (or notes it on the
 * incident already in work). */
int gp_inc_outage_opened(struct gp_store *st, const struct gp_config *cfg, size_t service,
			 int64_t outage_start, const char *members, int64_t now, char *err,
			 size_t errlen);
/* An outage held by planned work (no incident while a window covered it):
 * once no window covers it, the incident opens now, told like any other.
 * The daemon calls it each turn for every service DOWN. */
int gp_inc_held_outage(struct gp_store *st, const struct gp_config *cfg, size_t service,
		       int64_t outage_start, int64_t now, char *err, size_t errlen);
/* The service is up again at `at`: its incident in work is restored. */
int gp_inc_service_up(struct gp_store *st, const struct gp_config *cfg, size_t service,
		      int64_t at, int64_t outage_start, char *err, size_t errlen);
/* The service has been DEGRADED since `since`: after reopen_window, a P3
 * ("redundancy lost"); when another incident of the service is in work,
 * the loss is noted on that one instead, once per loss. */
int gp_inc_service_degraded(struct gp_store *st, const struct gp_config *cfg, size_t service,
			    int64_t since, int64_t now, char *err, size_t errlen);
/* Clocks: a response target passed unacknowledged (escalation), a resolved
 * incident neither confirmed nor rejected for auto_close_working_days. */
int gp_inc_tick(struct gp_store *st, const struct gp_config *cfg, int64_t now, char *err,
		size_t errlen);

/* A request that came by phone or e-mail. *id: the new incident. */
int gp_inc_open_manual(struct gp_store *st, const struct gp_config *cfg, const char *service,
		       const char *priority, const char *channel, int64_t reported_at,
		       const char *text, const char *actor, int64_t now, int64_t *id, char *err,
		       size_t errlen);

enum gp_inc_cmd {
	GP_INC_ACK,        /* arg: who */
	GP_INC_NOTE,       /* arg: text */
	GP_INC_WORKAROUND, /* arg: text */
	GP_INC_RESOLVE,    /* arg: what was done */
	GP_INC_CONFIRM,
	GP_INC_REJECT,     /* arg: reason */
	GP_INC_VOID,       /* arg: reason */
	GP_INC_ATTRIBUTE,  /* arg: supplier|customer|third-party, reason: why */
	GP_INC_WAIT,       /* arg: what the supplier waits for from the customer */
	GP_INC_RESUME,
};
/* at: when it was done, for ACK and RESOLVE entered after the fact (0:
 * now); never in the future, nor before the registration (ack) or the
 * acknowledgement and restore (resolve). The timeline row is dated now
 * and says when it was done. */
int gp_inc_command(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		   enum gp_inc_cmd cmd, const char *arg, const char *reason, const char *actor,
		   int64_t now, int64_t at, char *err, size_t errlen);
/* `incident attribute ID A --reason R --outage N`: the incident's N-th
 * outage (1-based, by start; 0: its latest) counts as A, attributed by
 * actor at now (the outage keeps both: gp_outage_row's attributed_by and
 * attributed_at); the incident's own attribution follows its latest
 * outage's. */
int gp_inc_attribute(struct gp_store *st, const struct gp_config *cfg, int64_t id,
		     const char *attribution, int outage, const char *reason, const char *actor,
		     int64_t now, char *err, size_t errlen);

/* Who answers for an outage whose DOWN members are `members` (comma
 * separated target names): all customer's -> customer; any supplier's ->
 * supplier; only third parties' -> third-party; else unattributed. */
enum gp_attribution gp_inc_attribution(const struct gp_config *cfg, const char *members);

/*
 * The resolution clock of an incident (incidents.priorities.PN.resolution,
 * in working time from the registration). Time spent waiting for the
 * customer (incident wait ... resume: the contract lets the supplier
 * extend its deadline by it) moves the deadline by the working time
 * waited. due_at 0: no target for this priority.
 */
struct gp_inc_resolution {
	int64_t due_at;
	bool breached;           /* resolved after due_at, or unresolved past it */
	bool waiting;            /* waiting now */
	int64_t waiting_seconds; /* working seconds waited, up to now */
};
int gp_inc_resolution(struct gp_store *st, const struct gp_config *cfg,
		      const struct gp_incident *inc, int64_t now, struct gp_inc_resolution *out);

/* When the incident's trouble began: its outage's first failed result when
 * that came before the registration, else the registration. A report lists
 * the incidents that began before its span's end and were not closed
 * before its start. */
int64_t gp_inc_began_at(const struct gp_incident *inc);
bool gp_inc_within(const struct gp_incident *inc, int64_t span_start, int64_t span_end);

/* The working time an auto-close waits: N working days of working hours. */
int64_t gp_inc_auto_close_at(const struct gp_config *cfg, int64_t resolved_at);

#endif
