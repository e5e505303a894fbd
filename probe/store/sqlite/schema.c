/*
 * schema.c - the sqlite backend's schema, versioned with PRAGMA
 * user_version and migrated forward on a writable open, each step in its
 * own transaction.
 */
#include "sqlite.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

/* Forward migrations: migrations[i] takes the schema from version i to
 * i + 1. Never edit one that has shipped; add the next. */
static const char *const migrations[] = {
	/* 0 -> 1: plugin state */
	"CREATE TABLE plugin_state ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"  /* UTC epoch seconds */
	");",

	/* 1 -> 2: the daemon's states, the service ledger, outages, events.
	 * Times are UTC epoch seconds; states are names (UP, CRITICAL...),
	 * so that a person reading the database needs no table of codes. */
	"CREATE TABLE check_status ("
	"  target TEXT NOT NULL,"
	"  check_name TEXT NOT NULL,"
	"  has_result INTEGER NOT NULL,"
	"  hard_known INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"          /* of the last result */
	"  hard TEXT NOT NULL,"
	"  fails INTEGER NOT NULL,"
	"  first_fail INTEGER NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  value TEXT,"
	"  output TEXT,"
	"  PRIMARY KEY (target, check_name)"
	");"
	"CREATE TABLE target_status ("
	"  target TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  since INTEGER NOT NULL"
	");"
	"CREATE TABLE service_status ("
	"  service TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  floor INTEGER NOT NULL,"
	"  outage_start INTEGER NOT NULL"
	");"
	/* The ledger: every second of a service, from its first period on,
	 * lies in exactly one period; the open one (end NULL) runs to the
	 * heartbeat. UNKNOWN: the probe ran but could not tell; UNMONITORED:
	 * the probe was not running. */
	"CREATE TABLE service_period ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('UP', 'DEGRADED', 'DOWN', 'UNKNOWN', 'UNMONITORED')),"
	"  start INTEGER NOT NULL,"
	"  end INTEGER CHECK (end IS NULL OR end >= start)"
	");"
	"CREATE INDEX service_period_by_service ON service_period (service, start);"
	"CREATE TABLE outage ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  start INTEGER NOT NULL,"
	"  end INTEGER,"
	"  members TEXT NOT NULL"           /* the DOWN members when it opened */
	");"
	"CREATE INDEX outage_by_service ON outage (service, start);"
	"CREATE TABLE event ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"            /* when it happened (may be backdated) */
	"  recorded_at INTEGER NOT NULL,"   /* when the probe knew */
	"  kind TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"          /* service, target or target/check */
	"  old_state TEXT,"
	"  new_state TEXT,"
	"  detail TEXT"
	");"
	"CREATE TABLE heartbeat ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  at INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  pid INTEGER NOT NULL"
	");",

	/* 2 -> 3: incidents with their timeline, maintenance windows, and
	 * downtime entered by hand. */
	"CREATE TABLE incident ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'restored',"
	"    'resolved', 'closed', 'voided')),"
	"  priority TEXT NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),"
	"  channel TEXT NOT NULL CHECK (channel IN ('probe', 'phone', 'email')),"
	"  opened_at INTEGER NOT NULL,"      /* registration: when it was reported */
	"  response_due_at INTEGER NOT NULL,"
	"  response_breached INTEGER NOT NULL DEFAULT 0,"
	"  acknowledged_at INTEGER,"
	"  acknowledged_by TEXT,"
	"  response_working_seconds INTEGER,"
	"  restored_at INTEGER,"
	"  resolved_at INTEGER,"
	"  closed_at INTEGER,"
	"  attribution TEXT NOT NULL DEFAULT 'unattributed' CHECK (attribution IN"
	"    ('supplier', 'customer', 'third-party', 'unattributed')),"
	"  outage_start INTEGER,"           /* the outage that opened it (probe) */
	"  members TEXT,"                   /* the DOWN members then */
	"  text TEXT,"
	"  workaround TEXT,"
	"  resolution TEXT"
	");"
	/* One open incident per service at a time (a restored one waits for
	 * its resolution beside a new outage's). */
	"CREATE UNIQUE INDEX incident_one_open ON incident (service)"
	"  WHERE status IN ('open', 'acknowledged');"
	/* Append-only: who or what, when, what changed, why. */
	"CREATE TABLE incident_event ("
	"  id INTEGER PRIMARY KEY,"
	"  incident INTEGER NOT NULL REFERENCES incident (id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  old_status TEXT,"
	"  new_status TEXT,"
	"  text TEXT"
	");"
	"CREATE TRIGGER incident_event_append_only BEFORE UPDATE ON incident_event"
	"  BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;"
	"CREATE TRIGGER incident_event_no_delete BEFORE DELETE ON incident_event"
	"  BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;"
	"CREATE TABLE maintenance ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  start INTEGER NOT NULL,"
	"  end INTEGER NOT NULL CHECK (end > start),"
	"  reason TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL"
	");"
	"CREATE TABLE manual_downtime ("
	"  id INTEGER PRIMARY KEY,"
	"  service TEXT NOT NULL,"
	"  start INTEGER NOT NULL,"
	"  end INTEGER NOT NULL CHECK (end > start),"
	"  attribution TEXT NOT NULL CHECK (attribution IN"
	"    ('supplier', 'customer', 'third-party', 'unattributed')),"
	"  reason TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL"
	");",

	/* 3 -> 4: each outage's incident (its attribution and voiding decide
	 * what the outage's seconds count as); manual ledger entries are
	 * append-only like the incidents' timeline. */
	"ALTER TABLE outage ADD COLUMN incident INTEGER REFERENCES incident (id);"
	"CREATE INDEX maintenance_by_service ON maintenance (service, start);"
	"CREATE INDEX manual_downtime_by_service ON manual_downtime (service, start);"
	"CREATE TRIGGER maintenance_append_only BEFORE UPDATE ON maintenance"
	"  BEGIN SELECT RAISE(ABORT, 'maintenance windows are append-only'); END;"
	"CREATE TRIGGER maintenance_no_delete BEFORE DELETE ON maintenance"
	"  BEGIN SELECT RAISE(ABORT, 'maintenance windows are append-only'); END;"
	"CREATE TRIGGER manual_downtime_append_only BEFORE UPDATE ON manual_downtime"
	"  BEGIN SELECT RAISE(ABORT, 'manual downtime entries are append-only'); END;"
	"CREATE TRIGGER manual_downtime_no_delete BEFORE DELETE ON manual_downtime"
	"  BEGIN SELECT RAISE(ABORT, 'manual downtime entries are append-only'); END;",

	/* 4 -> 5: the alert outbox. A row is written in the transaction of
	 * the incident event that causes it, and marked as it is delivered;
	 * message_id is the e-mail's Message-ID and the webhook's
	 * Idempotency-Key. */
	"CREATE TABLE alert ("
	"  id INTEGER PRIMARY KEY,"
	"  incident INTEGER REFERENCES incident (id),"
	"  event TEXT NOT NULL,"             /* opened, restored, ..., digest */
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),"
	"  recipient TEXT NOT NULL,"         /* an address, or the URL */
	"  subject TEXT,"
	"  body TEXT NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN"
	"    ('queued', 'sent', 'failed', 'folded', 'cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  digest INTEGER REFERENCES alert (id),"  /* folded into that digest */
	"  flagged_at INTEGER"                     /* undelivered for too long */
	");"
	"CREATE INDEX alert_due ON alert (status, next_attempt_at);"
	"CREATE INDEX alert_by_recipient ON alert (recipient, sent_at);",

	/* 5 -> 6: `end` is a reserved word of SQL (PostgreSQL's too): the
	 * periods' and entries' ends are end_at, as the schema of every
	 * backend names them. SQLite rewrites the CHECK constraints and
	 * indexes that name the column. */
	"ALTER TABLE service_period RENAME COLUMN \"end\" TO end_at;"
	"ALTER TABLE outage RENAME COLUMN \"end\" TO end_at;"
	"ALTER TABLE maintenance RENAME COLUMN \"end\" TO end_at;"
	"ALTER TABLE manual_downtime RENAME COLUMN \"end\" TO end_at;",

	/* 6 -> 7: requests registered in the customer's ticket system
	 * (channel 'web'). SQLite cannot alter a CHECK constraint; the
	 * table's text is changed in place (its rows are untouched: the
	 * documented way for constraints); sq_migrate() then makes the
	 * connections read the schema again. */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(sql,"
	"  'channel IN (''probe'', ''phone'', ''email'')',"
	"  'channel IN (''probe'', ''phone'', ''email'', ''web'')')"
	"  WHERE type = 'table' AND name = 'incident';"
	"PRAGMA writable_schema = OFF;",

	/* 7 -> 8: an outage the customer reported over time the probe
	 * monitored (over_monitored: it counts as down over what the probe saw
	 * as up), and the revocation of a manual entry or the cancelling of a
	 * maintenance window: a row of its own, append-only like the entries,
	 * which stay as they were entered and stop counting. */
	"ALTER TABLE manual_downtime ADD COLUMN over_monitored INTEGER NOT NULL DEFAULT 0"
	"  CHECK (over_monitored IN (0, 1));"
	"CREATE TABLE entry_revocation ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('downtime', 'maintenance')),"
	"  entry INTEGER NOT NULL,"          /* manual_downtime.id or maintenance.id */
	"  revoked_at INTEGER NOT NULL,"
	"  revoked_by TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  UNIQUE (kind, entry)"
	");"
	"CREATE TRIGGER entry_revocation_of_an_entry BEFORE INSERT ON entry_revocation"
	"  WHEN (NEW.kind = 'downtime' AND NOT EXISTS"
	"        (SELECT 1 FROM manual_downtime WHERE id = NEW.entry))"
	"    OR (NEW.kind = 'maintenance' AND NOT EXISTS"
	"        (SELECT 1 FROM maintenance WHERE id = NEW.entry))"
	"  BEGIN SELECT RAISE(ABORT, 'no such entry to revoke'); END;"
	"CREATE TRIGGER entry_revocation_append_only BEFORE UPDATE ON entry_revocation"
	"  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;"
	"CREATE TRIGGER entry_revocation_no_delete BEFORE DELETE ON entry_revocation"
	"  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;",

	/* 8 -> 9: an alert is marked 'sending' (its attempt counted, the
	 * time in attempted_at) and committed before it is handed to the
	 * channel, so a crash during the hand-over leaves it 'sending', to be
	 * sent again with the same message_id. SQLite cannot alter a CHECK:
	 * the table is rebuilt. Renaming the old one first rewrites its own
	 * digest reference to alert_old, so the new one's points at itself;
	 * no other table refers to alert. */
	"DROP INDEX alert_due;"
	"DROP INDEX alert_by_recipient;"
	"ALTER TABLE alert RENAME TO alert_old;"
	"CREATE TABLE alert ("
	"  id INTEGER PRIMARY KEY,"
	"  incident INTEGER REFERENCES incident (id),"
	"  event TEXT NOT NULL,"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),"
	"  recipient TEXT NOT NULL,"
	"  subject TEXT,"
	"  body TEXT NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN"
	"    ('queued', 'sending', 'sent', 'failed', 'folded', 'cancelled')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"   /* hand-overs begun */
	"  next_attempt_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  digest INTEGER REFERENCES alert (id),"
	"  flagged_at INTEGER,"
	"  attempted_at INTEGER"                   /* the last hand-over began */
	");"
	"INSERT INTO alert (id, incident, event, channel, recipient, subject, body, message_id,"
	"  created_at, status, attempts, next_attempt_at, last_error, sent_at, digest, flagged_at)"
	"  SELECT id, incident, event, channel, recipient, subject, body, message_id,"
	"  created_at, status, attempts, next_attempt_at, last_error, sent_at, digest, flagged_at"
	"  FROM alert_old ORDER BY id;"
	"DROP TABLE alert_old;"
	"CREATE INDEX alert_due ON alert (status, next_attempt_at);"
	"CREATE INDEX alert_by_recipient ON alert (recipient, sent_at);",

	/* 9 -> 10: each outage's own attribution. An incident can span
	 * several outages (a reopen), each with its own cause: attributing
	 * one to the customer must not carry over to the next. NULL (the
	 * rows of before): the incident's. */
	"ALTER TABLE outage ADD COLUMN attribution TEXT CHECK (attribution IS NULL OR"
	"  attribution IN ('supplier', 'customer', 'third-party', 'unattributed'));"
	"CREATE INDEX outage_by_incident ON outage (incident, start);",

	/* 10 -> 11: planned work on one component (target; service is then
	 * ''), and windows entered after the fact over recorded downtime
	 * (retroactive: said so in the ledger and the report). */
	"ALTER TABLE maintenance ADD COLUMN target TEXT;"
	"ALTER TABLE maintenance ADD COLUMN retroactive INTEGER NOT NULL DEFAULT 0"
	"  CHECK (retroactive IN (0, 1));",

	/* 11 -> 12: who attributed each outage, and when (the signed report
	 * says so beside its attribution; the incident's timeline has it too,
	 * as text). NULL both: the probe's default, from the owners of the
	 * components down (outage_link), as every row of before. */
	"ALTER TABLE outage ADD COLUMN attributed_by TEXT;"
	"ALTER TABLE outage ADD COLUMN attributed_at INTEGER"  /* UTC epoch seconds */
	"  CHECK ((attributed_at IS NULL) = (attributed_by IS NULL));"
	/* The report reads each failed check's own events (which check an
	 * outage's graph shows): one subject's, not a scan of the log. */
	"CREATE INDEX event_by_subject ON event (subject, id);",

	/* 12 -> 13: how the daemon keeps up, over its last minute, beside
	 * the heartbeat (check_genesys --self): the latest start of a check
	 * behind its time, the checks started late, the RRD writes failed
	 * and dropped. health_at 0: not yet written. */
	"ALTER TABLE heartbeat ADD COLUMN health_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE heartbeat ADD COLUMN lag_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE heartbeat ADD COLUMN late_checks INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE heartbeat ADD COLUMN rrd_failed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE heartbeat ADD COLUMN rrd_dropped INTEGER NOT NULL DEFAULT 0;",
};

int sq_user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}

int sq_migrate(sqlite3 *db, char *err, size_t errlen)
{
	return sq_migrate_to(db, (int)GP_ARRAY_LEN(migrations), err, errlen);
}

int sq_migrate_to(sqlite3 *db, int target, char *err, size_t errlen)
{
	int v = sq_user_version(db);
	if (target < 0 || target > (int)GP_ARRAY_LEN(migrations)) {
		snprintf(err, errlen, "no schema version %d (this gprobe has 0 to %d)", target,
			 (int)GP_ARRAY_LEN(migrations));
		return -1;
	}
	if (v > target) {
		snprintf(err, errlen, "the database has schema version %d, newer than this gprobe "
				      "(%d): upgrade gprobe",
			 v, target);
		return -1;
	}
	/* Each step under the write lock, the version read again inside it:
	 * two processes opening a new database at once (the daemon starting,
	 * a command beside it) must not both run a step. */
	bool migrated = false;
	if (v == target)
		return 0; /* current: no lock to take */
	for (;;) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "schema migration: cannot lock the database: %s",
				 sqlite3_errmsg(db));
			return -1;
		}
		v = sq_user_version(db);
		if (v >= target) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			break;
		}
		char *msg = NULL;
		char *sql = gp_xasprintf("%s PRAGMA user_version = %d; COMMIT;", migrations[v], v + 1);
		int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
		free(sql);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "schema migration %d -> %d failed: %s", v, v + 1,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		migrated = true;
	}
	/* A schema text changed in place (6 -> 7) is read again only when
	 * the schema cookie moves: this connection's and every other's. */
	if (migrated) {
		sqlite3_stmt *s;
		int cookie = 0;
		if (sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				cookie = sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		char *sql = gp_xasprintf("PRAGMA schema_version = %d", cookie + 1);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
	}
	return 0;
}

int sq_schema_version(struct gp_store *st)
{
	return sq_user_version(sq_of(st)->db);
}
