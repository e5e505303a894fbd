/*
 * store.c - the SQLite backend of gprobe's database (see store.h).
 */
#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gp_store {
	sqlite3 *db;
	bool writable;
	sqlite3_stmt *state_get, *state_put;
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
