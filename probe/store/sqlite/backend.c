/*
 * backend.c - the sqlite backend: DATA_DIR/gprobe.db in WAL mode (the CLI
 * reads while the daemon writes), synchronous writes; its table of
 * functions, and the statement helpers of the area files (sqlite.h).
 */
#include "sqlite.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gp_store *sq_open(const struct gp_store_where *w, bool writable, char *err,
				size_t errlen)
{
	if (!gp_sq_load(err, errlen))
		return NULL;
	char *path = gp_xasprintf("%s/gprobe.db", w->data_dir);
	sqlite3 *db = NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		free(path);
		return NULL;
	}
	free(path);
	sqlite3_busy_timeout(db, 5000);
	if (writable) {
		/* Only writes are checked against foreign keys: a reader
		 * (check_genesys --service, the CLI) has nothing to set. */
		sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
		sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		if (sq_migrate(db, err, errlen) != 0) {
			sqlite3_close(db);
			return NULL;
		}
	} else if (sq_user_version(db) < 1) {
		snprintf(err, errlen, "the database has no schema yet (has the daemon run?)");
		sqlite3_close(db);
		return NULL;
	}
	struct sq *q = gp_xcalloc(1, sizeof(*q));
	q->base.be = &gp_store_sqlite;
	q->db = db;
	q->writable = writable;
	return &q->base;
}

static void sq_close(struct gp_store *st)
{
	struct sq *q = sq_of(st);
	for (size_t i = 0; i < q->n_cache; i++)
		sqlite3_finalize(q->cache[i].stmt);
	/* A reader's snapshot ends here; a writer's batch never committed is
	 * rolled back, as a crash would. */
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(q->db);
	free(q);
}

const char *sq_error(struct gp_store *st)
{
	return sqlite3_errmsg(sq_of(st)->db);
}

/* A writer takes the write lock at once (BEGIN IMMEDIATE), so a batch
 * never fails half-way on a busy database. A reader's transaction is a
 * snapshot (WAL): from its first read to commit it sees one state of the
 * ledger, so periods, outages and the heartbeat read one after another
 * agree with each other while the daemon goes on writing. */
int sq_begin(struct gp_store *st)
{
	struct sq *q = sq_of(st);
	const char *sql = q->writable ? "BEGIN IMMEDIATE" : "BEGIN";
	return sqlite3_exec(q->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int sq_commit(struct gp_store *st)
{
	return sqlite3_exec(sq_of(st)->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void sq_rollback(struct gp_store *st)
{
	sqlite3_exec(sq_of(st)->db, "ROLLBACK", NULL, NULL, NULL);
}

#define SQ_MEMBER(ret, name, params, args) .name = sq_##name,
const struct gp_store_backend gp_store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.rollback = sq_rollback,
	GP_STORE_FUNCTIONS(SQ_MEMBER)
};
#undef SQ_MEMBER

/* ------------------------------------------------------------------ */
/* Statement helpers                                                   */

sqlite3_stmt *sq_cached(struct sq *q, const char *sql)
{
	size_t i = 0;
	while (i < q->n_cache && q->cache[i].sql != sql)
		i++;
	if (i == q->n_cache) {
		sqlite3_stmt *s;
		if (i == GP_ARRAY_LEN(q->cache) ||
		    sqlite3_prepare_v2(q->db, sql, -1, &s, NULL) != SQLITE_OK)
			return NULL;
		q->cache[q->n_cache].sql = sql;
		q->cache[q->n_cache++].stmt = s;
	}
	sqlite3_reset(q->cache[i].stmt);
	sqlite3_clear_bindings(q->cache[i].stmt);
	return q->cache[i].stmt;
}

sqlite3_stmt *sq_prepare(struct sq *q, const char *sql)
{
	sqlite3_stmt *s;
	return sqlite3_prepare_v2(q->db, sql, -1, &s, NULL) == SQLITE_OK ? s : NULL;
}

void sq_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bindv(sqlite3_stmt *s, const char *types, va_list ap, sqlite3_destructor_type how)
{
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't') {
			const char *v = va_arg(ap, const char *);
			if (v)
				sqlite3_bind_text(s, i + 1, v, -1, how);
			else
				sqlite3_bind_null(s, i + 1);
		} else {
			int64_t v = va_arg(ap, int64_t);
			if (types[i] == 'n' && v == 0)
				sqlite3_bind_null(s, i + 1);
			else
				sqlite3_bind_int64(s, i + 1, v);
		}
	}
}

void sq_bindv(sqlite3_stmt *s, const char *types, va_list ap)
{
	bindv(s, types, ap, SQLITE_TRANSIENT);
}

int sq_run(struct sq *q, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = q->writable ? sq_cached(q, sql) : NULL;
	if (!s)
		return -1;
	va_list ap;
	va_start(ap, types);
	/* The caller's strings outlive the step below, and sq_cached clears
	 * the bindings before the statement's next use: no copies. */
	bindv(s, types, ap, SQLITE_STATIC);
	va_end(ap);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? sqlite3_changes(q->db) : -1;
}

sqlite3_stmt *sq_query(struct sq *q, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = sq_prepare(q, sql);
	if (!s)
		return NULL;
	va_list ap;
	va_start(ap, types);
	sq_bindv(s, types, ap);
	va_end(ap);
	return s;
}

int sq_exec(struct sq *q, sqlite3_stmt *s)
{
	if (!s || !q->writable)
		return -1;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

const char *sq_col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

const char *sq_col_opt(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

char *sq_col_dup(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? gp_xstrdup(t) : NULL;
}

int64_t sq_col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

int sq_finish(sqlite3_stmt *s, int rc)
{
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}
