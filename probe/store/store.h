/*
 * store.h - gprobe's records: the engine's states, the service ledger's
 * periods, outages, the event log, incidents and their timelines, manual
 * ledger entries, the alert outbox and the plugins' small values.
 *
 * One interface, in domain terms (engine.h's states, domain.h's enums,
 * UTC epoch seconds), over backends chosen by name at open time (as
 * OpenSMTPD's queue_backend.c does over queue_fs.c and queue_ram.c; the
 * table is backend.h):
 *
 *   sqlite      DATA_DIR/gprobe.db, embedded; the default (store/sqlite/)
 *   postgresql  to come: several probes sharing one ledger
 *
 * The store keeps rows and knows no rule: what a period is cut to, what
 * the time since the last heartbeat counts as, how seconds add up are the
 * ledger's (contract/ledger.h), the incidents' transitions are
 * incidents.c's, what an event queues is outbox.c's.
 *
 * Functions return 0, or -1 with the reason in gp_store_error(); a
 * read-only store refuses every write. Times 0 mean "none".
 */
#ifndef GP_STORE_H
#define GP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "engine.h"

struct gp_store;

/* Where the store is: probe.store and its company. */
struct gp_store_where {
	/* NULL, "" or "sqlite": the embedded sqlite file under data_dir; a
	 * postgresql:// (or postgres://) URI: that database. */
	const char *store;
	const char *data_dir;
	/* The database password's file (mode 0600 or 0400); NULL: none, or
	 * libpq's PGPASSFILE. */
	const char *password_file;
	/* A daemon node's name (probe.node): its ledger and outbox writes are
	 * then fenced by the lease (a backend with one node ignores it). NULL
	 * for a command's writes. */
	const char *node;
};

/* Opens the store of w, creating and migrating its schema when writable.
 * A read-only open of a store that does not exist yet fails. NULL with
 * the reason in err (an unknown backend names the known ones). */
struct gp_store *gp_store_open(const struct gp_store_where *w, bool writable, char *err,
			       size_t errlen);
/* The store of a config's probe settings; node: a daemon's probe.node
 * (fenced writes), NULL for a command. */
struct gp_store *gp_store_open_probe(const struct gp_probe_settings *p, const char *node,
				     bool writable, char *err, size_t errlen);
/* The sqlite store under dir (tests, and what has only a directory). */
struct gp_store *gp_store_open_dir(const char *dir, bool writable, char *err, size_t errlen);
void gp_store_close(struct gp_store *st);
/* "sqlite", ... */
const char *gp_store_backend_name(const struct gp_store *st);
int gp_store_schema_version(struct gp_store *st);
const char *gp_store_error(struct gp_store *st);

/* Transactions: the daemon commits a batch of results with the state
 * changes and events they cause in one transaction, before acting on
 * them; a CLI command is one transaction. On a store opened read-only,
 * begin starts a snapshot: every read until commit (or close) sees the
 * store as it was at the first, whatever the daemon writes meanwhile. */
int gp_store_begin(struct gp_store *st);
int gp_store_commit(struct gp_store *st);
void gp_store_rollback(struct gp_store *st);

/* Small persistent values of collector plugins (collector.h state_get /
 * state_put). get: the length, or -1 when absent; put: 0, or -1 on error
 * (a read-only store ignores puts and returns 0). */
int gp_store_state_get(struct gp_store *st, const char *key, char *buf, size_t len);
int gp_store_state_put(struct gp_store *st, const char *key, const char *value);

/* ------------------------------------------------------------------ */
/* The engine's states, kept across restarts (load: true when found)   */

int gp_store_save_check(struct gp_store *st, const char *target, const char *check,
			const struct gp_check_status *s, const char *value, const char *output);
bool gp_store_load_check(struct gp_store *st, const char *target, const char *check,
			 struct gp_check_status *out);
int gp_store_save_target(struct gp_store *st, const char *target, const struct gp_target_status *s);
bool gp_store_load_target(struct gp_store *st, const char *target, struct gp_target_status *out);
int gp_store_save_service(struct gp_store *st, const char *service,
			  const struct gp_service_status *s);
bool gp_store_load_service(struct gp_store *st, const char *service, struct gp_service_status *out);

/* What `gprobe status` shows; callbacks get each row in name order (checks
 * in config order). The row is the callback's only for the call. */
struct gp_status_row {
	const char *name;
	enum gp_health state;
	int64_t since;
};
typedef void (*gp_status_fn)(void *ctx, const struct gp_status_row *row);
int gp_store_list_services(struct gp_store *st, gp_status_fn fn, void *ctx);
int gp_store_list_targets(struct gp_store *st, gp_status_fn fn, void *ctx);

struct gp_check_row {
	const char *name;
	bool has_result;           /* false: pending, no result yet */
	enum gp_state state;       /* of the last result */
	int64_t since;             /* its hard state's */
	const char *value, *output;
};
typedef void (*gp_check_fn)(void *ctx, const struct gp_check_row *row);
/* failing_only: the checks whose last result is not OK. */
int gp_store_list_checks(struct gp_store *st, const char *target, bool failing_only,
			 gp_check_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* The heartbeat: the daemon writes it each second; the open ledger     */
/* period of every service runs to it.                                  */

struct gp_heartbeat {
	int64_t at, started_at; /* 0: the daemon never ran */
	long pid;
};
/* A heartbeat older than this (seconds) means the daemon is not running
 * or its loop is stuck (the watchdog's 30 s): `gprobe status` and
 * `check_genesys --service/--target/--self` say so. */
#define GP_HEARTBEAT_STALE_S 30
int gp_store_heartbeat_get(struct gp_store *st, struct gp_heartbeat *out);
/* started_at 0: keeps the start and pid, moves `at` only. */
int gp_store_heartbeat_put(struct gp_store *st, const struct gp_heartbeat *hb);
/* The same, shorter: the daemon's heartbeat is now; when it last was (0:
 * never). */
int gp_store_heartbeat(struct gp_store *st, int64_t now);
int64_t gp_store_last_heartbeat(struct gp_store *st);

/* How the ledger's daemon keeps up, over the last minute, beside its
 * heartbeat (`check_genesys --self`): how late its checks started, and
 * its RRD writes that failed or were dropped. at 0: never written (a
 * daemon of before, or none). */
struct gp_probe_health {
	int64_t at;          /* when written, UTC epoch seconds */
	int64_t lag_ms;      /* the latest start of a check behind its time */
	int64_t late;        /* checks started more than 1 s late */
	int64_t rrd_failed;  /* RRD updates that failed */
	int64_t rrd_dropped; /* samples the RRD queue refused (full) */
};
int gp_store_health_get(struct gp_store *st, struct gp_probe_health *out);
/* On the heartbeat's row: nothing before the daemon's first restore. */
int gp_store_health_put(struct gp_store *st, const struct gp_probe_health *h);

/* ------------------------------------------------------------------ */
/* The probe pair: nodes and the lease                                  */
/*                                                                      */
/* Two daemons with the same config share a postgresql store; the one   */
/* holding its site's lease is active (polls, owns the ledger, sends),   */
/* the other waits. The lease's times are the database's clock.         */

struct gp_lease {
	bool held;        /* the asking node holds it now */
	int64_t since;    /* the holder's term began (UTC epoch seconds) */
	char holder[64];  /* "" when no node ever held it */
	int64_t age_ms;   /* since the holder last renewed it */
};
/* Renews node's lease of site ("" for none) for ttl_ms, or takes it when
 * it is free or older than its ttl; says node is alive meanwhile (host,
 * pid and started_at: for `gprobe status`). Fills out either way; -1 when
 * the store could not say (the node must then act as if it held
 * nothing). A backend with one node (sqlite) always grants it. */
int gp_store_lease_renew(struct gp_store *st, const char *site, const char *node,
			 int64_t ttl_ms, const char *host, long pid, int64_t started_at,
			 struct gp_lease *out);
/* Gives the lease up at once (a clean stop): the standby need not wait. */
int gp_store_lease_release(struct gp_store *st, const char *site, const char *node);

struct gp_node_info {
	const char *name, *site, *host;
	long pid;
	int64_t started_at;
	int64_t seen_age_ms;  /* since it last said it was alive */
	bool active;          /* holds its site's lease, not expired */
	int64_t since;        /* active: its term's start; standby: started_at */
	int64_t lease_age_ms; /* its site's lease's age */
	bool ledger;          /* sites: holds the ledger's lease ('*'), not expired */
};
typedef int (*gp_node_fn)(void *ctx, const struct gp_node_info *n);
/* Every node that ever ran on this store, by site and name. */
int gp_store_node_list(struct gp_store *st, gp_node_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* Copying a store (`gprobe store migrate`, copy.c)                     */

/* Copies every row of src into dst, which must be empty, ids and all, in
 * one transaction of each (src: one snapshot, so a running daemon may go
 * on writing), then checks the copy: the rows of each table, and the
 * seconds of each ledger state per service and month (UTC) equal. The
 * report (what was copied and checked, a line each) goes to fn. 0, or -1
 * with the reason in err. */
typedef void (*gp_line_fn)(void *ctx, const char *line);
int gp_store_copy(struct gp_store *src, struct gp_store *dst, gp_line_fn fn, void *ctx,
		  char *err, size_t errlen);

/* The backends' part of it: a table's rows with the named columns (a
 * comma-separated list of the schema's, fixed by copy.c, never a user's
 * text), each row's values as text (NULL for NULL), in id order; and one
 * row in. copy_finish: after the copy (postgresql moves its id
 * sequences past the copied ids). */
typedef int (*gp_row_fn)(void *ctx, int n, const char *const *values);
int gp_store_table_rows(struct gp_store *st, const char *table, const char *columns,
			gp_row_fn fn, void *ctx);
int gp_store_table_put(struct gp_store *st, const char *table, const char *columns, int n,
		       const char *const *values);
int gp_store_copy_finish(struct gp_store *st);

/* ------------------------------------------------------------------ */
/* Ledger periods: what the probe saw of a service, from `start` to     */
/* `end` (0: open, up to the heartbeat). The rules that keep them       */
/* contiguous are ledger.h's.                                           */

struct gp_period_row {
	int64_t id;
	const char *service;
	int64_t start, end;       /* end 0: the open period */
	enum gp_ledger_state state;
};
typedef void (*gp_period_fn)(void *ctx, const struct gp_period_row *p);
/* The service's periods that end after `from` (or are open) and start
 * before `to`, by start; service NULL: every service's open period. */
int gp_store_period_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
			 gp_period_fn fn, void *ctx);
int gp_store_period_insert(struct gp_store *st, const char *service, enum gp_ledger_state state,
			   int64_t start, int64_t end);
int gp_store_period_set_end(struct gp_store *st, int64_t id, int64_t end);
int gp_store_period_delete(struct gp_store *st, int64_t id);

/* ------------------------------------------------------------------ */
/* Outages: a service DOWN, from the first failed result to the first   */
/* good one, with the members DOWN when it opened and its incident.     */

struct gp_outage_row {
	int64_t start, end;            /* end 0: still open */
	const char *members;
	int64_t incident;              /* 0: none linked */
	bool has_incident;             /* then: */
	enum gp_attribution attribution;
	enum gp_incident_status incident_status;
	/* Who attributed it (`incident attribute`), and when; NULL and 0: the
	 * probe's default, from the owners of the components down. */
	const char *attributed_by;
	int64_t attributed_at;
};
int gp_store_outage_open(struct gp_store *st, const char *service, int64_t start,
			 const char *members);
/* Ends the service's open outage. */
int gp_store_outage_restore(struct gp_store *st, const char *service, int64_t end);
/* The service's open outage that began at `start` belongs to `incident`,
 * its seconds counting as `attribution` (each outage has its own): the
 * probe's default, attributed by no one (attributed_by NULL). */
int gp_store_outage_link(struct gp_store *st, const char *service, int64_t start,
			 int64_t incident, enum gp_attribution attribution);
/* The incident's n-th outage (1-based, by start; 0: its latest) counts as
 * `attribution`, attributed by `by` at `at` (by NULL: by no one, and no
 * time kept); its start in *start, whether it is the latest in *latest.
 * 0, 1 when it has no such outage, -1 on error. */
int gp_store_outage_attribute(struct gp_store *st, int64_t incident, int n,
			      enum gp_attribution attribution, const char *by, int64_t at,
			      int64_t *start, bool *latest);
/* Outages overlapping [from, to), oldest first, with their incident and
 * who attributed them. The row is the callback's only for the call. */
typedef void (*gp_outage_fn)(void *ctx, const struct gp_outage_row *o);
int gp_store_outage_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
			 gp_outage_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* The event log: every change the engine made, in order                */

struct gp_event_row {
	int64_t id;
	int64_t at;                /* when it happened (may be backdated) */
	int64_t recorded_at;       /* when the probe knew */
	enum gp_event_kind kind;
	const char *subject;       /* service, target, "target/check" or "probe" */
	int old_state, new_state;  /* as in struct gp_event; -1: none */
	const char *detail;        /* NULL: none */
};
int gp_store_event_add(struct gp_store *st, const struct gp_event_row *ev);
/* Events oldest first, of one subject (NULL: all) from `since` on, the
 * last `limit` of them (0: all). */
typedef void (*gp_event_fn)(void *ctx, const struct gp_event_row *ev);
int gp_store_event_list(struct gp_store *st, const char *subject, int64_t since, size_t limit,
			gp_event_fn fn, void *ctx);

/* ------------------------------------------------------------------ */
/* Incidents (the rules are in incidents.c; here only their storage)   */

struct gp_incident {
	int64_t id;
	char *service;
	enum gp_incident_status status;
	enum gp_priority priority;
	enum gp_inc_channel channel;
	enum gp_attribution attribution;
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

/* Inserts inc (its id is set). -1 also when another incident of the
 * service is in work (open or acknowledged): at most one is. */
int gp_store_incident_insert(struct gp_store *st, struct gp_incident *inc);
int gp_store_incident_update(struct gp_store *st, const struct gp_incident *inc);
bool gp_store_incident_get(struct gp_store *st, int64_t id, struct gp_incident *out);
/* The service's incident in work (open or acknowledged). */
bool gp_store_incident_in_work(struct gp_store *st, const char *service, struct gp_incident *out);
/* The service's latest incident opened by the probe, whatever its status. */
bool gp_store_incident_latest_probe(struct gp_store *st, const char *service,
				    struct gp_incident *out);
/* Incidents, newest first: those not closed or voided, or all. The row is
 * the callback's only for the call. */
typedef void (*gp_incident_fn)(void *ctx, const struct gp_incident *inc);
int gp_store_incident_list(struct gp_store *st, bool all, gp_incident_fn fn, void *ctx);

/* A row of an incident's append-only timeline. kind: what happened
 * ("opened", "ack", ...: incidents.c's words); statuses -1: none. */
struct gp_incident_event {
	int64_t at;
	const char *actor, *kind;
	int old_status, new_status; /* enum gp_incident_status, or -1 */
	const char *text;
};
int gp_store_incident_event_add(struct gp_store *st, int64_t incident,
				const struct gp_incident_event *ev);
typedef void (*gp_incident_event_fn)(void *ctx, const struct gp_incident_event *ev);
int gp_store_incident_timeline(struct gp_store *st, int64_t incident, gp_incident_event_fn fn,
			       void *ctx);

/* ------------------------------------------------------------------ */
/* Maintenance windows and downtime entered by hand: append-only rows   */
/* with who entered them, when and why. A revocation (a cancelled       */
/* window) is a row of its own: the entry stays as it was entered.      */

enum gp_entry_kind { GP_ENTRY_MAINTENANCE, GP_ENTRY_DOWNTIME };
struct gp_ledger_entry {
	int64_t id;
	const char *service;             /* maintenance of a target: "" */
	const char *target;              /* maintenance only: the component, or NULL */
	bool retroactive;                /* maintenance only: entered over recorded downtime */
	int64_t start, end;
	enum gp_attribution attribution; /* downtime only */
	bool over_monitored;             /* downtime only: reported over monitored time */
	const char *reason;
	int64_t created_at;
	const char *created_by;
	int64_t revoked_at;              /* 0: in force; else revoked (cancelled) then, */
	const char *revoked_by, *revoke_reason; /* by whom and why (NULL when in force) */
};
int gp_store_entry_add(struct gp_store *st, enum gp_entry_kind kind,
		       const struct gp_ledger_entry *e, int64_t *id);
/* Entries overlapping [from, to), by service and start; service NULL: all
 * (with a service, the windows of targets too: which of them concern it
 * is the caller's to say). Revoked ones too, with their revocation: what
 * counts is the caller's. */
typedef void (*gp_ledger_entry_fn)(void *ctx, const struct gp_ledger_entry *e);
int gp_store_entry_list(struct gp_store *st, enum gp_entry_kind kind, const char *service,
			int64_t from, int64_t to, gp_ledger_entry_fn fn, void *ctx);
/* Records the revocation of entry `id` (at, by, reason); -1 when there is
 * no such entry or it was revoked already. */
int gp_store_entry_revoke(struct gp_store *st, enum gp_entry_kind kind, int64_t id, int64_t at,
			  const char *by, const char *reason);

/* ------------------------------------------------------------------ */
/* The alert outbox (what goes in it: alerts/outbox.c; delivery:        */
/* alerts/sender.c)                                                     */

struct gp_alert {
	int64_t id, incident;           /* incident 0: none (a digest) */
	char *event;                    /* "opened", ..., "digest" (templates.h) */
	enum gp_alert_channel channel;
	enum gp_alert_status status;
	char *recipient, *subject, *body, *message_id, *last_error;
	int64_t created_at, next_attempt_at, sent_at, flagged_at;
	int64_t attempted_at;           /* the last hand-over began; 0: none yet */
	int attempts;                   /* hand-overs begun */
	int64_t digest;
};
void gp_alert_clear(struct gp_alert *a);
int gp_store_alert_add(struct gp_store *st, const struct gp_alert *a, int64_t *id);
/* The oldest alert due at now, queued or left 'sending' (by a sender
 * that stopped in the hand-over); false when none. */
bool gp_store_alert_next(struct gp_store *st, int64_t now, struct gp_alert *out);
/* Alerts in a status (for one recipient, or all: NULL), oldest first; the
 * callback returns false to stop. The row is the callback's to keep: it
 * may move it out (and zero *a), else it is cleared after the call. */
typedef bool (*gp_alert_fn)(void *ctx, struct gp_alert *a);
int gp_store_alert_list(struct gp_store *st, enum gp_alert_status status, const char *recipient,
			gp_alert_fn fn, void *ctx);
/* Takes a queued or 'sending' alert for its hand-over number `attempt`
 * (its attempts + 1) at now: 'sending', committed on return unless in a
 * transaction. -1 when it is not in that state (taken meanwhile). */
int gp_store_alert_claim(struct gp_store *st, int64_t id, int attempt, int64_t now);
/* 'sending' -> 'sent' (accepted at now); 'queued' too, for an acceptance
 * recorded late after another node's try failed and queued it again. 1
 * when it is neither (sent or failed meanwhile, as by another node's
 * try), -1 on error. */
int gp_store_alert_sent(struct gp_store *st, int64_t id, int64_t now);
/* queued or 'sending' -> queued again, due at next_at. */
int gp_store_alert_retry(struct gp_store *st, int64_t id, int64_t next_at, const char *error);
/* queued or 'sending' -> failed for good. */
int gp_store_alert_failed(struct gp_store *st, int64_t id, const char *error);
/* Held back by the rate limit (digest 0), or taken into a digest. */
int gp_store_alert_fold(struct gp_store *st, int64_t id, int64_t digest);
/* Cancels an incident's queued alerts of one event; how many, or -1. One
 * folded into a root-cause mail not yet handed over counts too: that mail
 * is cancelled and its other alerts are queued again. */
int gp_store_alert_cancel(struct gp_store *st, int64_t incident, const char *event);
/* Messages sent to recipient since a time (the rate limit); -1 on error. */
int64_t gp_store_alert_sent_since(struct gp_store *st, const char *recipient, int64_t since);
/* Flags queued alerts created before a time; how many were flagged now. */
int gp_store_alert_flag(struct gp_store *st, int64_t created_before, int64_t now);
struct gp_alert_counts {
	int64_t queued, flagged, failed, folded, sent;
	int64_t sending; /* handed over, acceptance not recorded (yet) */
};
int gp_store_alert_counts(struct gp_store *st, struct gp_alert_counts *out);

#endif
