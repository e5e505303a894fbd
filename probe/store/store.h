/*
 * store.h - gprobe's database (DATA_DIR/gprobe.db, SQLite). Every SQL
 * statement of the program lives in store.c, so that another backend
 * (PostgreSQL, for several probes sharing one ledger) is one module.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open. WAL mode: the CLI reads while the daemon writes.
 */
#ifndef GP_STORE_H
#define GP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct gp_store;

/* Opens (creating and migrating when writable) DATA_DIR/gprobe.db. A
 * read-only open of a missing database fails. NULL with a reason in err. */
struct gp_store *gp_store_open(const char *data_dir, bool writable, char *err, size_t errlen);
void gp_store_close(struct gp_store *st);
int gp_store_schema_version(struct gp_store *st);

/* Small persistent values of collector plugins (collector.h state_get /
 * state_put). get: the length, or -1 when absent; put: 0, or -1 on error
 * (a read-only store ignores puts and returns 0). */
int gp_store_state_get(struct gp_store *st, const char *key, char *buf, size_t len);
int gp_store_state_put(struct gp_store *st, const char *key, const char *value);

/* Transactions: the daemon commits a batch of results with the state
 * changes and events they cause in one transaction, before acting on
 * them. 0, or -1 with the reason in gp_store_error(). */
int gp_store_begin(struct gp_store *st);
int gp_store_commit(struct gp_store *st);
void gp_store_rollback(struct gp_store *st);
const char *gp_store_error(struct gp_store *st);

/* The engine's states, kept across restarts. load: true when found. */
int gp_store_save_check(struct gp_store *st, const char *target, const char *check,
			const struct gp_check_status *s, const char *value, const char *output);
bool gp_store_load_check(struct gp_store *st, const char *target, const char *check,
			 struct gp_check_status *out);
int gp_store_save_target(struct gp_store *st, const char *target, const struct gp_target_status *s);
bool gp_store_load_target(struct gp_store *st, const char *target, struct gp_target_status *out);
int gp_store_save_service(struct gp_store *st, const char *service,
			  const struct gp_service_status *s);
bool gp_store_load_service(struct gp_store *st, const char *service, struct gp_service_status *out);

/*
 * The service ledger. A service is in `state` from `from` on: periods that
 * start at or after `from` are dropped, the one running over it is cut
 * there, and a new open period begins. The engine only ever moves `from`
 * back over UP or DEGRADED time (see engine.h, "floor").
 */
int gp_store_period_set(struct gp_store *st, const char *service, const char *state, int64_t from);

/* At the daemon's start: the time since the last heartbeat is UNMONITORED
 * for every service that has a ledger, then the heartbeat restarts at now.
 * *last_heartbeat: the previous heartbeat, 0 on a first start. */
int gp_store_resume(struct gp_store *st, int64_t now, long pid, int64_t *last_heartbeat);
int gp_store_heartbeat(struct gp_store *st, int64_t now);

int gp_store_outage_open(struct gp_store *st, const char *service, int64_t start,
			 const char *members);
int gp_store_outage_restore(struct gp_store *st, const char *service, int64_t end);

int gp_store_event_add(struct gp_store *st, int64_t at, int64_t recorded_at, const char *kind,
		       const char *subject, const char *old_state, const char *new_state,
		       const char *detail);

/* Seconds of a service in each ledger state, from its first period to the
 * heartbeat; contiguous is false if periods overlap or leave a gap. */
enum gp_ledger_state {
	GP_LEDGER_UP, GP_LEDGER_DEGRADED, GP_LEDGER_DOWN, GP_LEDGER_UNKNOWN, GP_LEDGER_UNMONITORED,
	GP_LEDGER_N
};
const char *gp_ledger_state_name(enum gp_ledger_state s);
struct gp_ledger_totals {
	int64_t seconds[GP_LEDGER_N];
	int64_t first, last; /* first period's start; the heartbeat */
	size_t n_periods;
	bool contiguous;
};
int gp_store_ledger_totals(struct gp_store *st, const char *service, struct gp_ledger_totals *out);
/* The same within [from, to) only (a month, a gap): seconds per state. */
int gp_store_ledger_window(struct gp_store *st, const char *service, int64_t from, int64_t to,
			   int64_t seconds[GP_LEDGER_N]);

/* What `gprobe status` shows. Callbacks get each row in name order. */
struct gp_status_row {
	const char *name;
	const char *state;
	int64_t since;
	const char *value, *output; /* checks only */
};
typedef void (*gp_status_fn)(void *ctx, const struct gp_status_row *row);
int gp_store_list_services(struct gp_store *st, gp_status_fn fn, void *ctx);
int gp_store_list_targets(struct gp_store *st, gp_status_fn fn, void *ctx);
int gp_store_list_checks(struct gp_store *st, const char *target, gp_status_fn fn, void *ctx);
/* Outages of a service that overlap [from, to), oldest first; end is 0
 * for one still open. */
typedef void (*gp_outage_fn)(void *ctx, int64_t start, int64_t end, const char *members);
int gp_store_list_outages(struct gp_store *st, const char *service, int64_t from, int64_t to,
			  gp_outage_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* Incidents (the rules are in incidents.c; here only their storage)   */

struct gp_incident {
	int64_t id;
	char *service, *status, *priority, *channel, *attribution;
	int64_t opened_at, response_due_at;
	bool response_breached;
	int64_t acknowledged_at;   /* 0: not yet */
	char *acknowledged_by;
	int64_t response_working_seconds; /* -1: not acknowledged yet */
	int64_t restored_at, resolved_at, closed_at, outage_start; /* 0: none */
	char *members, *text, *workaround, *resolution;
};
void gp_incident_clear(struct gp_incident *inc);
/* A deep copy (a list callback's row outlives the call); clear it after. */
void gp_incident_copy(struct gp_incident *dst, const struct gp_incident *src);

/* Inserts inc (its id is set). 0 or -1 (another incident in work for the
 * service: the unique index says no). */
int gp_store_incident_insert(struct gp_store *st, struct gp_incident *inc);
int gp_store_incident_update(struct gp_store *st, const struct gp_incident *inc);
bool gp_store_incident_get(struct gp_store *st, int64_t id, struct gp_incident *out);
/* The service's open incident (open or acknowledged): at most one. */
bool gp_store_incident_in_work(struct gp_store *st, const char *service, struct gp_incident *out);
/* The service's latest incident opened by the probe, whatever its status. */
bool gp_store_incident_latest_probe(struct gp_store *st, const char *service,
				    struct gp_incident *out);
/* Incidents, newest first: those not closed or voided, or all. The row is
 * the callback's only for the call. */
typedef void (*gp_incident_fn)(void *ctx, const struct gp_incident *inc);
int gp_store_incident_list(struct gp_store *st, bool all, gp_incident_fn fn, void *ctx);

struct gp_incident_event {
	int64_t at;
	const char *actor, *kind, *old_status, *new_status, *text;
};
int gp_store_incident_event_add(struct gp_store *st, int64_t incident,
				const struct gp_incident_event *ev);
typedef void (*gp_incident_event_fn)(void *ctx, const struct gp_incident_event *ev);
int gp_store_incident_timeline(struct gp_store *st, int64_t incident, gp_incident_event_fn fn,
			       void *ctx);

/* ------------------------------------------------------------------ */
/* The ledger's sources, for the report (the rules are in ledger.c)    */

/* The outage of `service` opened at `start` belongs to `incident`. */
int gp_store_outage_link(struct gp_store *st, const char *service, int64_t start,
			 int64_t incident);

/* Ledger periods overlapping [from, to), in order; the open one ends at
 * the heartbeat. state: UP, DEGRADED, DOWN, UNKNOWN, UNMONITORED. */
typedef void (*gp_period_fn)(void *ctx, int64_t start, int64_t end, const char *state);
int gp_store_list_periods(struct gp_store *st, const char *service, int64_t from, int64_t to,
			  gp_period_fn fn, void *ctx);

/* Outages overlapping [from, to), oldest first, with their incident. */
struct gp_outage_row {
	int64_t start, end;            /* end 0: still open */
	const char *members;
	int64_t incident;              /* 0: none linked */
	const char *attribution;       /* the incident's; NULL without one */
	const char *incident_status;
};
typedef void (*gp_outage_incident_fn)(void *ctx, const struct gp_outage_row *o);
int gp_store_list_outage_incidents(struct gp_store *st, const char *service, int64_t from,
				   int64_t to, gp_outage_incident_fn fn, void *ctx);

/* Maintenance windows and downtime entered by hand: append-only rows with
 * who entered them, when and why. attribution: manual downtime only. */
struct gp_ledger_entry {
	int64_t id;
	const char *service;
	int64_t start, end;
	const char *attribution;
	const char *reason;
	int64_t created_at;
	const char *created_by;
};
int gp_store_maintenance_add(struct gp_store *st, const struct gp_ledger_entry *e, int64_t *id);
int gp_store_manual_downtime_add(struct gp_store *st, const struct gp_ledger_entry *e,
				 int64_t *id);
/* Entries overlapping [from, to), by service and start; service NULL: all. */
typedef void (*gp_ledger_entry_fn)(void *ctx, const struct gp_ledger_entry *e);
int gp_store_list_maintenance(struct gp_store *st, const char *service, int64_t from, int64_t to,
			      gp_ledger_entry_fn fn, void *ctx);
int gp_store_list_manual_downtime(struct gp_store *st, const char *service, int64_t from,
				  int64_t to, gp_ledger_entry_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* The alert outbox (what goes in it: alerts/outbox.c; delivery:        */
/* alerts/sender.c)                                                     */

struct gp_alert {
	int64_t id, incident;           /* incident 0: none (a digest) */
	char *event, *channel, *recipient, *subject, *body, *message_id, *status, *last_error;
	int64_t created_at, next_attempt_at, sent_at, flagged_at;
	int attempts;
	int64_t digest;
};
void gp_alert_clear(struct gp_alert *a);
int gp_store_alert_add(struct gp_store *st, const struct gp_alert *a, int64_t *id);
/* The oldest queued alert due at now; false when none. */
bool gp_store_alert_next(struct gp_store *st, int64_t now, struct gp_alert *out);
/* Alerts in a status (for one recipient, or all), oldest first; the
 * callback returns false to stop. The row is the callback's to keep: it
 * may move it out (and zero *a), else it is cleared after the call. */
typedef bool (*gp_alert_fn)(void *ctx, struct gp_alert *a);
int gp_store_alert_list(struct gp_store *st, const char *status, const char *recipient,
			gp_alert_fn fn, void *ctx);
int gp_store_alert_sent(struct gp_store *st, int64_t id, int64_t now);
int gp_store_alert_retry(struct gp_store *st, int64_t id, int64_t next_at, const char *error);
int gp_store_alert_failed(struct gp_store *st, int64_t id, const char *error);
/* Held back by the rate limit (digest 0), or taken into a digest. */
int gp_store_alert_fold(struct gp_store *st, int64_t id, int64_t digest);
/* Cancels an incident's queued alerts of one event; how many, or -1. */
int gp_store_alert_cancel(struct gp_store *st, int64_t incident, const char *event);
/* Messages sent to recipient since a time (the rate limit). */
int64_t gp_store_alert_sent_since(struct gp_store *st, const char *recipient, int64_t since);
/* Flags queued alerts created before a time; how many were flagged now. */
int gp_store_alert_flag(struct gp_store *st, int64_t created_before, int64_t now);
struct gp_alert_counts {
	int64_t queued, flagged, failed, folded, sent;
};
int gp_store_alert_counts(struct gp_store *st, struct gp_alert_counts *out);
/* A target's checks whose last result is not OK. */
int gp_store_failing_checks(struct gp_store *st, const char *target, gp_status_fn fn, void *ctx);

/* The heartbeat: 0 when the daemon never ran. */
int64_t gp_store_last_heartbeat(struct gp_store *st);

#endif
