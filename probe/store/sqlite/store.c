/*
 * store.c - the SQLite backend of gprobe's database (see store.h).
 */
#include "store.h"
#include "state.h"
#include "util.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gp_store {
	sqlite3 *db;
	bool writable;
	sqlite3_stmt *state_get, *state_put;
	sqlite3_stmt *stmts[14]; /* see enum stmt_id */
};

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
};

static int user_version(sqlite3 *db)
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

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v = user_version(db);
	int target = (int)GP_ARRAY_LEN(migrations);
	if (v > target) {
		snprintf(err, errlen, "the database has schema version %d, newer than this gprobe "
				      "(%d): upgrade gprobe",
			 v, target);
		return -1;
	}
	for (; v < target; v++) {
		char *msg = NULL;
		char *sql = gp_xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
					 migrations[v], v + 1);
		int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
		free(sql);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "schema migration %d -> %d failed: %s", v, v + 1,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

struct gp_store *gp_store_open(const char *data_dir, bool writable, char *err, size_t errlen)
{
	char *path = gp_xasprintf("%s/gprobe.db", data_dir);
	sqlite3 *db = NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		free(path);
		return NULL;
	}
	free(path);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (writable) {
		sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		if (migrate(db, err, errlen) != 0) {
			sqlite3_close(db);
			return NULL;
		}
	} else if (user_version(db) < 1) {
		snprintf(err, errlen, "the database has no schema yet (has the daemon run?)");
		sqlite3_close(db);
		return NULL;
	}
	struct gp_store *st = gp_xcalloc(1, sizeof(*st));
	st->db = db;
	st->writable = writable;
	sqlite3_prepare_v2(db, "SELECT value FROM plugin_state WHERE key = ?1", -1, &st->state_get,
			   NULL);
	if (writable)
		sqlite3_prepare_v2(db,
				   "INSERT INTO plugin_state (key, value, updated_at) VALUES (?1, ?2, ?3) "
				   "ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
				   -1, &st->state_put, NULL);
	return st;
}

void gp_store_close(struct gp_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->state_get);
	sqlite3_finalize(st->state_put);
	for (size_t i = 0; i < GP_ARRAY_LEN(st->stmts); i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st);
}

int gp_store_schema_version(struct gp_store *st)
{
	return user_version(st->db);
}

int gp_store_state_get(struct gp_store *st, const char *key, char *buf, size_t len)
{
	if (!st->state_get || len == 0)
		return -1;
	sqlite3_stmt *s = st->state_get;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int n = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		snprintf(buf, len, "%s", v ? v : "");
		n = (int)strlen(buf);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return n;
}

int gp_store_state_put(struct gp_store *st, const char *key, const char *value)
{
	if (!st->writable)
		return 0;
	sqlite3_stmt *s = st->state_put;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The daemon's states, the ledger, outages and events                 */

/* Statements are prepared once, on first use, and kept. */
enum stmt_id {
	S_SAVE_CHECK, S_LOAD_CHECK, S_SAVE_TARGET, S_LOAD_TARGET, S_SAVE_SERVICE, S_LOAD_SERVICE,
	S_PERIOD_DROP, S_PERIOD_CUT, S_PERIOD_OPEN, S_HEARTBEAT, S_OUTAGE_OPEN, S_OUTAGE_RESTORE,
	S_EVENT, S_N
};

static const char *const stmt_sql[S_N] = {
	[S_SAVE_CHECK] =
		"INSERT INTO check_status (target, check_name, has_result, hard_known, state, hard,"
		" fails, first_fail, since, last, value, output)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT (target, check_name) DO UPDATE SET has_result = ?3, hard_known = ?4,"
		" state = ?5, hard = ?6, fails = ?7, first_fail = ?8, since = ?9, last = ?10,"
		" value = ?11, output = ?12",
	[S_LOAD_CHECK] = "SELECT has_result, hard_known, state, hard, fails, first_fail, since, last"
			 " FROM check_status WHERE target = ?1 AND check_name = ?2",
	[S_SAVE_TARGET] = "INSERT INTO target_status (target, state, since) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (target) DO UPDATE SET state = ?2, since = ?3",
	[S_LOAD_TARGET] = "SELECT state, since FROM target_status WHERE target = ?1",
	[S_SAVE_SERVICE] =
		"INSERT INTO service_status (service, state, since, floor, outage_start)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (service) DO UPDATE SET state = ?2,"
		" since = ?3, floor = ?4, outage_start = ?5",
	[S_LOAD_SERVICE] = "SELECT state, since, floor, outage_start FROM service_status"
			   " WHERE service = ?1",
	[S_PERIOD_DROP] = "DELETE FROM service_period WHERE service = ?1 AND start >= ?2",
	[S_PERIOD_CUT] = "UPDATE service_period SET end = ?2"
			 " WHERE service = ?1 AND (end IS NULL OR end > ?2)",
	[S_PERIOD_OPEN] = "INSERT INTO service_period (service, state, start) VALUES (?1, ?2, ?3)",
	[S_HEARTBEAT] = "UPDATE heartbeat SET at = ?1 WHERE id = 1",
	[S_OUTAGE_OPEN] = "INSERT INTO outage (service, start, members) VALUES (?1, ?2, ?3)",
	[S_OUTAGE_RESTORE] = "UPDATE outage SET end = ?2 WHERE service = ?1 AND end IS NULL",
	[S_EVENT] = "INSERT INTO event (at, recorded_at, kind, subject, old_state, new_state, detail)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

static sqlite3_stmt *stmt(struct gp_store *st, enum stmt_id id)
{
	if (!st->stmts[id] &&
	    sqlite3_prepare_v2(st->db, stmt_sql[id], -1, &st->stmts[id], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(st->stmts[id]);
	sqlite3_clear_bindings(st->stmts[id]);
	return st->stmts[id];
}

/* Steps a statement that returns no row. */
static int exec_stmt(struct gp_store *st, sqlite3_stmt *s)
{
	if (!s || !st->writable)
		return -1;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

const char *gp_store_error(struct gp_store *st)
{
	return sqlite3_errmsg(st->db);
}

int gp_store_begin(struct gp_store *st)
{
	return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int gp_store_commit(struct gp_store *st)
{
	return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void gp_store_rollback(struct gp_store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int gp_store_save_check(struct gp_store *st, const char *target, const char *check,
			const struct gp_check_status *c, const char *value, const char *output)
{
	sqlite3_stmt *s = stmt(st, S_SAVE_CHECK);
	if (!s)
		return -1;
	bind_text(s, 1, target);
	bind_text(s, 2, check);
	sqlite3_bind_int(s, 3, c->has_result);
	sqlite3_bind_int(s, 4, c->hard_known);
	bind_text(s, 5, gp_state_name(c->state));
	bind_text(s, 6, gp_state_name(c->hard));
	sqlite3_bind_int(s, 7, c->fails);
	sqlite3_bind_int64(s, 8, c->first_fail);
	sqlite3_bind_int64(s, 9, c->since);
	sqlite3_bind_int64(s, 10, c->last);
	bind_text(s, 11, value);
	bind_text(s, 12, output);
	return exec_stmt(st, s);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

bool gp_store_load_check(struct gp_store *st, const char *target, const char *check,
			 struct gp_check_status *out)
{
	sqlite3_stmt *s = stmt(st, S_LOAD_CHECK);
	if (!s)
		return false;
	bind_text(s, 1, target);
	bind_text(s, 2, check);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		*out = (struct gp_check_status){
			.has_result = sqlite3_column_int(s, 0) != 0,
			.hard_known = sqlite3_column_int(s, 1) != 0,
			.fails = sqlite3_column_int(s, 4),
			.first_fail = sqlite3_column_int64(s, 5),
			.since = sqlite3_column_int64(s, 6),
			.last = sqlite3_column_int64(s, 7),
		};
		found = gp_state_parse(col_text(s, 2), &out->state) &&
			gp_state_parse(col_text(s, 3), &out->hard);
	}
	sqlite3_reset(s);
	return found;
}

int gp_store_save_target(struct gp_store *st, const char *target, const struct gp_target_status *t)
{
	sqlite3_stmt *s = stmt(st, S_SAVE_TARGET);
	if (!s)
		return -1;
	bind_text(s, 1, target);
	bind_text(s, 2, gp_health_name(t->state));
	sqlite3_bind_int64(s, 3, t->since);
	return exec_stmt(st, s);
}

bool gp_store_load_target(struct gp_store *st, const char *target, struct gp_target_status *out)
{
	sqlite3_stmt *s = stmt(st, S_LOAD_TARGET);
	if (!s)
		return false;
	bind_text(s, 1, target);
	bool found = sqlite3_step(s) == SQLITE_ROW && gp_health_parse(col_text(s, 0), &out->state);
	if (found)
		out->since = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return found;
}

int gp_store_save_service(struct gp_store *st, const char *service,
			  const struct gp_service_status *v)
{
	sqlite3_stmt *s = stmt(st, S_SAVE_SERVICE);
	if (!s)
		return -1;
	bind_text(s, 1, service);
	bind_text(s, 2, gp_health_name(v->state));
	sqlite3_bind_int64(s, 3, v->since);
	sqlite3_bind_int64(s, 4, v->floor);
	sqlite3_bind_int64(s, 5, v->outage_start);
	return exec_stmt(st, s);
}

bool gp_store_load_service(struct gp_store *st, const char *service, struct gp_service_status *out)
{
	sqlite3_stmt *s = stmt(st, S_LOAD_SERVICE);
	if (!s)
		return false;
	bind_text(s, 1, service);
	bool found = sqlite3_step(s) == SQLITE_ROW && gp_health_parse(col_text(s, 0), &out->state);
	if (found) {
		out->since = sqlite3_column_int64(s, 1);
		out->floor = sqlite3_column_int64(s, 2);
		out->outage_start = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	return found;
}

int gp_store_period_set(struct gp_store *st, const char *service, const char *state, int64_t from)
{
	sqlite3_stmt *s = stmt(st, S_PERIOD_DROP);
	if (!s)
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, from);
	if (exec_stmt(st, s) != 0 || !(s = stmt(st, S_PERIOD_CUT)))
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, from);
	if (exec_stmt(st, s) != 0 || !(s = stmt(st, S_PERIOD_OPEN)))
		return -1;
	bind_text(s, 1, service);
	bind_text(s, 2, state);
	sqlite3_bind_int64(s, 3, from);
	return exec_stmt(st, s);
}

int64_t gp_store_last_heartbeat(struct gp_store *st)
{
	sqlite3_stmt *s;
	int64_t at = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT at FROM heartbeat WHERE id = 1", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		at = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return at;
}

int gp_store_resume(struct gp_store *st, int64_t now, long pid, int64_t *last_heartbeat)
{
	int64_t hb = gp_store_last_heartbeat(st);
	*last_heartbeat = hb;
	if (!st->writable)
		return -1;
	char *sql;
	if (hb > 0) {
		/* A clock set back below the heartbeat must not make negative
		 * periods: the gap is then empty. */
		int64_t until = now > hb ? now : hb;
		sql = gp_xasprintf(
			"INSERT INTO service_period (service, state, start, end)"
			"  SELECT service, 'UNMONITORED', %lld, %lld FROM service_period"
			"  WHERE end IS NULL AND %lld > %lld;"
			"UPDATE service_period SET end = %lld WHERE end IS NULL;"
			"UPDATE heartbeat SET at = %lld, started_at = %lld, pid = %ld WHERE id = 1;",
			(long long)hb, (long long)until, (long long)until, (long long)hb,
			(long long)hb, (long long)until, (long long)until, pid);
	} else {
		sql = gp_xasprintf("INSERT INTO heartbeat (id, at, started_at, pid)"
				   " VALUES (1, %lld, %lld, %ld)"
				   " ON CONFLICT (id) DO UPDATE SET at = %lld, started_at = %lld,"
				   " pid = %ld;",
				   (long long)now, (long long)now, pid, (long long)now,
				   (long long)now, pid);
	}
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	free(sql);
	return rc;
}

int gp_store_heartbeat(struct gp_store *st, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_HEARTBEAT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return exec_stmt(st, s);
}

int gp_store_outage_open(struct gp_store *st, const char *service, int64_t start,
			 const char *members)
{
	sqlite3_stmt *s = stmt(st, S_OUTAGE_OPEN);
	if (!s)
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, start);
	bind_text(s, 3, members ? members : "");
	return exec_stmt(st, s);
}

int gp_store_outage_restore(struct gp_store *st, const char *service, int64_t end)
{
	sqlite3_stmt *s = stmt(st, S_OUTAGE_RESTORE);
	if (!s)
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, end);
	return exec_stmt(st, s);
}

int gp_store_event_add(struct gp_store *st, int64_t at, int64_t recorded_at, const char *kind,
		       const char *subject, const char *old_state, const char *new_state,
		       const char *detail)
{
	sqlite3_stmt *s = stmt(st, S_EVENT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, at);
	sqlite3_bind_int64(s, 2, recorded_at);
	bind_text(s, 3, kind);
	bind_text(s, 4, subject);
	bind_text(s, 5, old_state);
	bind_text(s, 6, new_state);
	bind_text(s, 7, detail && *detail ? detail : NULL);
	return exec_stmt(st, s);
}

static const char *const ledger_names[GP_LEDGER_N] = {"UP", "DEGRADED", "DOWN", "UNKNOWN",
						      "UNMONITORED"};

const char *gp_ledger_state_name(enum gp_ledger_state s)
{
	return (unsigned)s < GP_LEDGER_N ? ledger_names[s] : "?";
}

int gp_store_ledger_totals(struct gp_store *st, const char *service, struct gp_ledger_totals *out)
{
	memset(out, 0, sizeof(*out));
	out->contiguous = true;
	int64_t hb = gp_store_last_heartbeat(st);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT state, start, end FROM service_period WHERE service = ?1"
			       " ORDER BY start, id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	bind_text(s, 1, service);
	int64_t prev_end = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *state = col_text(s, 0);
		int64_t start = sqlite3_column_int64(s, 1);
		int64_t end = sqlite3_column_type(s, 2) == SQLITE_NULL ? hb : sqlite3_column_int64(s, 2);
		if (end < start)
			end = start; /* an open period that began after the heartbeat */
		if (out->n_periods == 0)
			out->first = start;
		else if (start != prev_end)
			out->contiguous = false;
		prev_end = end;
		out->n_periods++;
		for (int i = 0; i < GP_LEDGER_N; i++)
			if (strcmp(state, ledger_names[i]) == 0)
				out->seconds[i] += end - start;
	}
	sqlite3_finalize(s);
	out->last = out->n_periods ? prev_end : 0;
	return 0;
}

struct window {
	int64_t from, to;
	int64_t *seconds;
};

static void add_window(void *ctx, int64_t start, int64_t end, const char *state)
{
	struct window *w = ctx;
	int64_t a = start > w->from ? start : w->from;
	int64_t b = end < w->to ? end : w->to;
	for (int i = 0; i < GP_LEDGER_N && b > a; i++)
		if (strcmp(state, ledger_names[i]) == 0)
			w->seconds[i] += b - a;
}

int gp_store_ledger_window(struct gp_store *st, const char *service, int64_t from, int64_t to,
			   int64_t seconds[GP_LEDGER_N])
{
	memset(seconds, 0, sizeof(int64_t) * GP_LEDGER_N);
	struct window w = {from, to, seconds};
	return gp_store_list_periods(st, service, from, to, add_window, &w);
}

static int list_rows(struct gp_store *st, const char *sql, const char *arg, bool checks,
		     gp_status_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (arg)
		bind_text(s, 1, arg);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct gp_status_row row = {
			.name = col_text(s, 0),
			.state = col_text(s, 1),
			.since = sqlite3_column_int64(s, 2),
		};
		if (checks) {
			row.value = (const char *)sqlite3_column_text(s, 3);
			row.output = (const char *)sqlite3_column_text(s, 4);
		}
		fn(ctx, &row);
	}
	sqlite3_finalize(s);
	return 0;
}

int gp_store_list_services(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_rows(st, "SELECT service, state, since FROM service_status ORDER BY service",
			 NULL, false, fn, ctx);
}

int gp_store_list_targets(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_rows(st, "SELECT target, state, since FROM target_status ORDER BY target", NULL,
			 false, fn, ctx);
}

int gp_store_list_checks(struct gp_store *st, const char *target, gp_status_fn fn, void *ctx)
{
	/* The state shown is the last result's: an operator wants to see a
	 * failing check before it turns hard. */
	return list_rows(st,
			 "SELECT check_name, CASE WHEN has_result THEN state ELSE 'PENDING' END,"
			 " since, value, output FROM check_status WHERE target = ?1"
			 " ORDER BY rowid",
			 target, true, fn, ctx);
}

/* A query over one service's rows overlapping [from, to): ?1 the service,
 * ?2 from, ?3 to. NULL when it does not prepare. */
static sqlite3_stmt *prepare_window(struct gp_store *st, const char *sql, const char *service,
				    int64_t from, int64_t to)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	return s;
}

int gp_store_list_outages(struct gp_store *st, const char *service, int64_t from, int64_t to,
			  gp_outage_fn fn, void *ctx)
{
	sqlite3_stmt *s = prepare_window(st,
					     "SELECT start, end, members FROM outage WHERE service = ?1"
					     " AND start < ?3 AND (end IS NULL OR end > ?2) ORDER BY start",
					     service, from, to);
	if (!s)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int64(s, 0),
		   sqlite3_column_type(s, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 1),
		   col_text(s, 2));
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Incidents                                                           */

#define INCIDENT_COLUMNS                                                                      \
	"id, service, status, priority, channel, attribution, opened_at, response_due_at,"       \
	" response_breached, acknowledged_at, acknowledged_by, response_working_seconds,"      \
	" restored_at, resolved_at, closed_at, outage_start, members, text, workaround,"      \
	" resolution"

void gp_incident_clear(struct gp_incident *inc)
{
	free(inc->service);
	free(inc->status);
	free(inc->priority);
	free(inc->channel);
	free(inc->attribution);
	free(inc->acknowledged_by);
	free(inc->members);
	free(inc->text);
	free(inc->workaround);
	free(inc->resolution);
	memset(inc, 0, sizeof(*inc));
}

static char *dup_or_null(const char *v)
{
	return v ? gp_xstrdup(v) : NULL;
}

void gp_incident_copy(struct gp_incident *dst, const struct gp_incident *src)
{
	*dst = *src;
	dst->service = dup_or_null(src->service);
	dst->status = dup_or_null(src->status);
	dst->priority = dup_or_null(src->priority);
	dst->channel = dup_or_null(src->channel);
	dst->attribution = dup_or_null(src->attribution);
	dst->acknowledged_by = dup_or_null(src->acknowledged_by);
	dst->members = dup_or_null(src->members);
	dst->text = dup_or_null(src->text);
	dst->workaround = dup_or_null(src->workaround);
	dst->resolution = dup_or_null(src->resolution);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? gp_xstrdup(t) : NULL;
}

static void read_incident(sqlite3_stmt *s, struct gp_incident *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->service = col_dup(s, 1);
	o->status = col_dup(s, 2);
	o->priority = col_dup(s, 3);
	o->channel = col_dup(s, 4);
	o->attribution = col_dup(s, 5);
	o->opened_at = sqlite3_column_int64(s, 6);
	o->response_due_at = sqlite3_column_int64(s, 7);
	o->response_breached = sqlite3_column_int(s, 8) != 0;
	o->acknowledged_at = sqlite3_column_int64(s, 9);
	o->acknowledged_by = col_dup(s, 10);
	o->response_working_seconds =
		sqlite3_column_type(s, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 11);
	o->restored_at = sqlite3_column_int64(s, 12);
	o->resolved_at = sqlite3_column_int64(s, 13);
	o->closed_at = sqlite3_column_int64(s, 14);
	o->outage_start = sqlite3_column_int64(s, 15);
	o->members = col_dup(s, 16);
	o->text = col_dup(s, 17);
	o->workaround = col_dup(s, 18);
	o->resolution = col_dup(s, 19);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t > 0)
		sqlite3_bind_int64(s, i, t);
	else
		sqlite3_bind_null(s, i);
}

/* Binds every column but id to ?2.. in INCIDENT_COLUMNS order. */
static void bind_incident(sqlite3_stmt *s, const struct gp_incident *inc)
{
	bind_text(s, 2, inc->service);
	bind_text(s, 3, inc->status);
	bind_text(s, 4, inc->priority);
	bind_text(s, 5, inc->channel);
	bind_text(s, 6, inc->attribution ? inc->attribution : "unattributed");
	sqlite3_bind_int64(s, 7, inc->opened_at);
	sqlite3_bind_int64(s, 8, inc->response_due_at);
	sqlite3_bind_int(s, 9, inc->response_breached);
	bind_time(s, 10, inc->acknowledged_at);
	bind_text(s, 11, inc->acknowledged_by);
	if (inc->response_working_seconds >= 0)
		sqlite3_bind_int64(s, 12, inc->response_working_seconds);
	else
		sqlite3_bind_null(s, 12);
	bind_time(s, 13, inc->restored_at);
	bind_time(s, 14, inc->resolved_at);
	bind_time(s, 15, inc->closed_at);
	bind_time(s, 16, inc->outage_start);
	bind_text(s, 17, inc->members);
	bind_text(s, 18, inc->text);
	bind_text(s, 19, inc->workaround);
	bind_text(s, 20, inc->resolution);
}

int gp_store_incident_insert(struct gp_store *st, struct gp_incident *inc)
{
	sqlite3_stmt *s;
	if (!st->writable ||
	    sqlite3_prepare_v2(st->db,
			       "INSERT INTO incident (" INCIDENT_COLUMNS ") VALUES (NULL, ?2, ?3, ?4,"
			       " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
			       " ?20)",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	bind_incident(s, inc);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	if (rc == 0)
		inc->id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int gp_store_incident_update(struct gp_store *st, const struct gp_incident *inc)
{
	sqlite3_stmt *s;
	if (!st->writable ||
	    sqlite3_prepare_v2(st->db,
			       "UPDATE incident SET service = ?2, status = ?3, priority = ?4,"
			       " channel = ?5, attribution = ?6, opened_at = ?7, response_due_at = ?8,"
			       " response_breached = ?9, acknowledged_at = ?10, acknowledged_by = ?11,"
			       " response_working_seconds = ?12, restored_at = ?13, resolved_at = ?14,"
			       " closed_at = ?15, outage_start = ?16, members = ?17, text = ?18,"
			       " workaround = ?19, resolution = ?20 WHERE id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, inc->id);
	bind_incident(s, inc);
	int rc = sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(st->db) == 1 ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

static bool incident_query(struct gp_store *st, const char *where, const char *text, int64_t id,
			   struct gp_incident *out)
{
	char *sql = gp_xasprintf("SELECT " INCIDENT_COLUMNS " FROM incident WHERE %s", where);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return false;
	if (text)
		bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, id);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found)
		read_incident(s, out);
	sqlite3_finalize(s);
	return found;
}

bool gp_store_incident_get(struct gp_store *st, int64_t id, struct gp_incident *out)
{
	return incident_query(st, "id = ?1", NULL, id, out);
}

bool gp_store_incident_in_work(struct gp_store *st, const char *service, struct gp_incident *out)
{
	return incident_query(st, "service = ?1 AND status IN ('open', 'acknowledged')", service, 0,
			      out);
}

bool gp_store_incident_latest_probe(struct gp_store *st, const char *service,
				    struct gp_incident *out)
{
	return incident_query(st, "service = ?1 AND channel = 'probe' ORDER BY id DESC LIMIT 1",
			      service, 0, out);
}

int gp_store_incident_list(struct gp_store *st, bool all, gp_incident_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	const char *sql = all ? "SELECT " INCIDENT_COLUMNS " FROM incident ORDER BY id DESC"
			      : "SELECT " INCIDENT_COLUMNS " FROM incident WHERE status NOT IN"
				" ('closed', 'voided') ORDER BY id DESC";
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct gp_incident inc;
		read_incident(s, &inc);
		fn(ctx, &inc);
		gp_incident_clear(&inc);
	}
	sqlite3_finalize(s);
	return 0;
}

int gp_store_incident_event_add(struct gp_store *st, int64_t incident,
				const struct gp_incident_event *ev)
{
	sqlite3_stmt *s;
	if (!st->writable ||
	    sqlite3_prepare_v2(st->db,
			       "INSERT INTO incident_event (incident, at, actor, kind, old_status,"
			       " new_status, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	sqlite3_bind_int64(s, 2, ev->at);
	bind_text(s, 3, ev->actor);
	bind_text(s, 4, ev->kind);
	bind_text(s, 5, ev->old_status);
	bind_text(s, 6, ev->new_status);
	bind_text(s, 7, ev->text);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

int gp_store_incident_timeline(struct gp_store *st, int64_t incident, gp_incident_event_fn fn,
			       void *ctx)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT at, actor, kind, old_status, new_status, text FROM incident_event"
			       " WHERE incident = ?1 ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, incident);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct gp_incident_event ev = {
			.at = sqlite3_column_int64(s, 0),
			.actor = col_text(s, 1),
			.kind = col_text(s, 2),
			.old_status = (const char *)sqlite3_column_text(s, 3),
			.new_status = (const char *)sqlite3_column_text(s, 4),
			.text = (const char *)sqlite3_column_text(s, 5),
		};
		fn(ctx, &ev);
	}
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ledger's sources, for the report                                */

int gp_store_outage_link(struct gp_store *st, const char *service, int64_t start,
			 int64_t incident)
{
	sqlite3_stmt *s;
	if (!st->writable || sqlite3_prepare_v2(st->db,
						"UPDATE outage SET incident = ?3 WHERE service = ?1"
						" AND start = ?2 AND end IS NULL",
						-1, &s, NULL) != SQLITE_OK)
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, start);
	sqlite3_bind_int64(s, 3, incident);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gp_store_list_periods(struct gp_store *st, const char *service, int64_t from, int64_t to,
			  gp_period_fn fn, void *ctx)
{
	int64_t hb = gp_store_last_heartbeat(st);
	sqlite3_stmt *s = prepare_window(st,
					     "SELECT start, end, state FROM service_period WHERE service = ?1"
					     " AND start < ?3 AND (end IS NULL OR end > ?2) ORDER BY start, id",
					     service, from, to);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t end = sqlite3_column_type(s, 1) == SQLITE_NULL ? hb : sqlite3_column_int64(s, 1);
		fn(ctx, sqlite3_column_int64(s, 0), end, col_text(s, 2));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gp_store_list_outage_incidents(struct gp_store *st, const char *service, int64_t from,
				   int64_t to, gp_outage_incident_fn fn, void *ctx)
{
	sqlite3_stmt *s = prepare_window(st,
					     "SELECT o.start, o.end, o.members, o.incident, i.attribution, i.status"
					     " FROM outage o LEFT JOIN incident i ON i.id = o.incident"
					     " WHERE o.service = ?1 AND o.start < ?3 AND (o.end IS NULL OR o.end > ?2)"
					     " ORDER BY o.start",
					     service, from, to);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_outage_row o = {
			.start = sqlite3_column_int64(s, 0),
			.end = sqlite3_column_type(s, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 1),
			.members = col_text(s, 2),
			.incident = sqlite3_column_int64(s, 3),
			.attribution = sqlite3_column_text(s, 4) ? col_text(s, 4) : NULL,
			.incident_status = sqlite3_column_text(s, 5) ? col_text(s, 5) : NULL,
		};
		fn(ctx, &o);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* maintenance and manual_downtime share their shape; attribution is
 * NULL for maintenance. */
static int entry_add(struct gp_store *st, const char *table, const struct gp_ledger_entry *e,
		     int64_t *id)
{
	char *sql = e->attribution
			    ? gp_xasprintf("INSERT INTO %s (service, start, end, reason, created_at,"
					   " created_by, attribution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
					   table)
			    : gp_xasprintf("INSERT INTO %s (service, start, end, reason, created_at,"
					   " created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
					   table);
	sqlite3_stmt *s;
	int rc = st->writable ? sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) : SQLITE_READONLY;
	free(sql);
	if (rc != SQLITE_OK)
		return -1;
	bind_text(s, 1, e->service);
	sqlite3_bind_int64(s, 2, e->start);
	sqlite3_bind_int64(s, 3, e->end);
	bind_text(s, 4, e->reason);
	sqlite3_bind_int64(s, 5, e->created_at);
	bind_text(s, 6, e->created_by);
	if (e->attribution)
		bind_text(s, 7, e->attribution);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int entry_list(struct gp_store *st, const char *table, const char *service, int64_t from,
		      int64_t to, gp_ledger_entry_fn fn, void *ctx)
{
	bool manual = !strcmp(table, "manual_downtime");
	char *sql = gp_xasprintf("SELECT id, service, start, end, reason, created_at, created_by, %s"
				 " FROM %s WHERE (?1 IS NULL OR service = ?1) AND start < ?3"
				 " AND end > ?2 ORDER BY service, start, id",
				 manual ? "attribution" : "NULL", table);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return -1;
	bind_text(s, 1, service);
	sqlite3_bind_int64(s, 2, from);
	sqlite3_bind_int64(s, 3, to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_ledger_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.service = col_text(s, 1),
			.start = sqlite3_column_int64(s, 2),
			.end = sqlite3_column_int64(s, 3),
			.reason = col_text(s, 4),
			.created_at = sqlite3_column_int64(s, 5),
			.created_by = col_text(s, 6),
			.attribution = manual ? col_text(s, 7) : NULL,
		};
		fn(ctx, &e);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gp_store_maintenance_add(struct gp_store *st, const struct gp_ledger_entry *e, int64_t *id)
{
	struct gp_ledger_entry m = *e;
	m.attribution = NULL;
	return entry_add(st, "maintenance", &m, id);
}

int gp_store_manual_downtime_add(struct gp_store *st, const struct gp_ledger_entry *e,
				 int64_t *id)
{
	return e->attribution ? entry_add(st, "manual_downtime", e, id) : -1;
}

int gp_store_list_maintenance(struct gp_store *st, const char *service, int64_t from, int64_t to,
			      gp_ledger_entry_fn fn, void *ctx)
{
	return entry_list(st, "maintenance", service, from, to, fn, ctx);
}

int gp_store_list_manual_downtime(struct gp_store *st, const char *service, int64_t from,
				  int64_t to, gp_ledger_entry_fn fn, void *ctx)
{
	return entry_list(st, "manual_downtime", service, from, to, fn, ctx);
}

/* ------------------------------------------------------------------ */
/* The alert outbox                                                    */

/* Runs one statement with its parameters bound in order from `types`:
 * 'i' an int64_t, 't' a string (NULL: SQL NULL). Returns the rows it
 * changed, or -1. */
static int run_sql(struct gp_store *st, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s;
	if (!st->writable || sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	va_list ap;
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		else
			bind_text(s, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? sqlite3_changes(st->db) : -1;
}

#define ALERT_COLUMNS                                                                          \
	"id, incident, event, channel, recipient, subject, body, message_id, created_at, status,"  \
	" attempts, next_attempt_at, last_error, sent_at, digest, flagged_at"

static void read_alert(sqlite3_stmt *s, struct gp_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->incident = sqlite3_column_int64(s, 1);
	a->event = col_dup(s, 2);
	a->channel = col_dup(s, 3);
	a->recipient = col_dup(s, 4);
	a->subject = col_dup(s, 5);
	a->body = col_dup(s, 6);
	a->message_id = col_dup(s, 7);
	a->created_at = sqlite3_column_int64(s, 8);
	a->status = col_dup(s, 9);
	a->attempts = sqlite3_column_int(s, 10);
	a->next_attempt_at = sqlite3_column_int64(s, 11);
	a->last_error = col_dup(s, 12);
	a->sent_at = sqlite3_column_int64(s, 13);
	a->digest = sqlite3_column_int64(s, 14);
	a->flagged_at = sqlite3_column_int64(s, 15);
}

void gp_alert_clear(struct gp_alert *a)
{
	free(a->event);
	free(a->channel);
	free(a->recipient);
	free(a->subject);
	free(a->body);
	free(a->message_id);
	free(a->status);
	free(a->last_error);
	memset(a, 0, sizeof(*a));
}

int gp_store_alert_add(struct gp_store *st, const struct gp_alert *a, int64_t *id)
{
	int rc = run_sql(st,
			 "INSERT INTO alert (incident, event, channel, recipient, subject, body,"
			 " message_id, created_at, next_attempt_at, status)"
			 " VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
			 "ittttttiit", a->incident, a->event, a->channel, a->recipient, a->subject,
			 a->body, a->message_id, a->created_at, a->next_attempt_at,
			 a->status ? a->status : "queued");
	if (rc != 1)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Alerts matching `where`, which may use ?1 (a status), ?2 (a recipient,
 * NULL for any) and ?3 (a time), oldest first. */
static int alert_query(struct gp_store *st, const char *where, const char *status,
		       const char *recipient, int64_t at, gp_alert_fn fn, void *ctx)
{
	char *sql = gp_xasprintf("SELECT " ALERT_COLUMNS " FROM alert WHERE %s ORDER BY id", where);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return -1;
	/* A parameter the query does not use is simply not bound. */
	int n = sqlite3_bind_parameter_count(s);
	if (n >= 1)
		bind_text(s, 1, status);
	if (n >= 2)
		bind_text(s, 2, recipient);
	if (n >= 3)
		sqlite3_bind_int64(s, 3, at);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_alert a;
		read_alert(s, &a);
		bool more = fn(ctx, &a);
		gp_alert_clear(&a);
		if (!more)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static bool take_first(void *ctx, struct gp_alert *a)
{
	struct gp_alert *out = ctx;
	*out = *a;
	memset(a, 0, sizeof(*a));
	return false;
}

bool gp_store_alert_next(struct gp_store *st, int64_t now, struct gp_alert *out)
{
	memset(out, 0, sizeof(*out));
	alert_query(st, "status = ?1 AND ?2 IS NULL AND next_attempt_at <= ?3", "queued", NULL, now,
		    take_first, out);
	return out->id != 0;
}

int gp_store_alert_list(struct gp_store *st, const char *status, const char *recipient,
			gp_alert_fn fn, void *ctx)
{
	return alert_query(st, "status = ?1 AND (?2 IS NULL OR recipient = ?2)", status, recipient,
			   0, fn, ctx);
}

int gp_store_alert_sent(struct gp_store *st, int64_t id, int64_t now)
{
	return run_sql(st,
		       "UPDATE alert SET status = 'sent', sent_at = ?2, attempts = attempts + 1,"
		       " last_error = NULL WHERE id = ?1",
		       "ii", id, now) == 1 ? 0 : -1;
}

int gp_store_alert_retry(struct gp_store *st, int64_t id, int64_t next_at, const char *error)
{
	return run_sql(st,
		       "UPDATE alert SET attempts = attempts + 1, next_attempt_at = ?2,"
		       " last_error = ?3 WHERE id = ?1",
		       "iit", id, next_at, error) == 1 ? 0 : -1;
}

int gp_store_alert_failed(struct gp_store *st, int64_t id, const char *error)
{
	return run_sql(st,
		       "UPDATE alert SET status = 'failed', attempts = attempts + 1, last_error = ?2"
		       " WHERE id = ?1",
		       "it", id, error) == 1 ? 0 : -1;
}

int gp_store_alert_fold(struct gp_store *st, int64_t id, int64_t digest)
{
	return run_sql(st, "UPDATE alert SET status = 'folded', digest = NULLIF(?2, 0) WHERE id = ?1",
		       "ii", id, digest) == 1 ? 0 : -1;
}

int gp_store_alert_cancel(struct gp_store *st, int64_t incident, const char *event)
{
	return run_sql(st,
		       "UPDATE alert SET status = 'cancelled' WHERE incident = ?1 AND event = ?2"
		       " AND status = 'queued'",
		       "it", incident, event);
}

int64_t gp_store_alert_sent_since(struct gp_store *st, const char *recipient, int64_t since)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT COUNT(*) FROM alert WHERE recipient = ?1 AND status = 'sent'"
			       " AND sent_at >= ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	bind_text(s, 1, recipient);
	sqlite3_bind_int64(s, 2, since);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	return n;
}

int gp_store_alert_flag(struct gp_store *st, int64_t created_before, int64_t now)
{
	return run_sql(st,
		       "UPDATE alert SET flagged_at = ?2 WHERE status = 'queued' AND flagged_at IS NULL"
		       " AND created_at < ?1",
		       "ii", created_before, now);
}

int gp_store_alert_counts(struct gp_store *st, struct gp_alert_counts *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT COALESCE(SUM(status = 'queued'), 0),"
			       " COALESCE(SUM(status = 'queued' AND flagged_at IS NOT NULL), 0),"
			       " COALESCE(SUM(status = 'failed'), 0),"
			       " COALESCE(SUM(status = 'folded' AND digest IS NULL), 0),"
			       " COALESCE(SUM(status = 'sent'), 0) FROM alert",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->queued = sqlite3_column_int64(s, 0);
		out->flagged = sqlite3_column_int64(s, 1);
		out->failed = sqlite3_column_int64(s, 2);
		out->folded = sqlite3_column_int64(s, 3);
		out->sent = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The checks of a target that are not OK, for an alert's text. */
int gp_store_failing_checks(struct gp_store *st, const char *target, gp_status_fn fn, void *ctx)
{
	return list_rows(st,
			 "SELECT check_name, state, since, value, output FROM check_status"
			 " WHERE target = ?1 AND has_result AND state != 'OK' ORDER BY rowid",
			 target, true, fn, ctx);
}
