/*
 * sqlite.h - the sqlite backend's own header: its handle, the statement
 * helpers every area file shares, and the areas' functions for the table
 * in backend.c. Nothing above the store sees it.
 *
 * Files, one per area of the schema:
 *   backend.c       open, close, transactions, the table, the helpers
 *   schema.c        the versioned schema and its forward migrations
 *   plugin_state.c  collector plugins' small values
 *   states.c        the engine's check, target and service states
 *   ledger.c        the heartbeat, ledger periods, outages, manual entries
 *   events.c        the event log
 *   incidents.c     incidents and their timelines
 *   outbox.c        the alert outbox
 *
 * The database keeps states and statuses as their names (domain.h,
 * engine.h), so that a person reading it needs no table of codes; times
 * are UTC epoch seconds, NULL for none.
 */
#ifndef GP_STORE_SQLITE_H
#define GP_STORE_SQLITE_H

#include "backend.h"
#include "libsqlite.h"

#include <stdarg.h>

struct sq {
	struct gp_store base;
	sqlite3 *db;
	bool writable;
	/* Statements prepared once, by the address of their SQL text. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[48];
	size_t n_cache;
};

static inline struct sq *sq_of(struct gp_store *st)
{
	return (struct sq *)st;
}

/* schema.c */
int sq_user_version(sqlite3 *db);
int sq_migrate(sqlite3 *db, char *err, size_t errlen);
/* The same, up to schema version `target` only: for the tests of a
 * migration, which build a database as an older gprobe left it. */
int sq_migrate_to(sqlite3 *db, int target, char *err, size_t errlen);

/* backend.c: statements.
 * sq_cached: the statement of `sql` (a string literal: its address is the
 * key), prepared on first use, reset and unbound; NULL when it does not
 * prepare. For statements that call no callback while stepping.
 * sq_prepare: a fresh statement, for queries whose callbacks may use the
 * store meanwhile; the caller finalizes it. */
sqlite3_stmt *sq_cached(struct sq *q, const char *sql);
sqlite3_stmt *sq_prepare(struct sq *q, const char *sql);
/* Binds in order from `types`: 'i' an int64_t, 'n' an int64_t time (0 is
 * NULL), 't' a string (NULL is NULL). */
void sq_bindv(sqlite3_stmt *s, const char *types, va_list ap);
/* Runs a write with its parameters (sq_bindv): the rows it changed, or
 * -1 (also on a read-only store). */
int sq_run(struct sq *q, const char *sql, const char *types, ...);
/* A query with its parameters; NULL when it does not prepare. Fresh:
 * finalize it. */
sqlite3_stmt *sq_query(struct sq *q, const char *sql, const char *types, ...);
/* Steps a written statement of sq_cached: 0 when done, else -1. */
int sq_exec(struct sq *q, sqlite3_stmt *s);
void sq_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Column i as text ("" for NULL), as text or NULL, as a malloc'd copy
 * (NULL for NULL), as a time (0 for NULL). */
const char *sq_col_text(sqlite3_stmt *s, int i);
const char *sq_col_opt(sqlite3_stmt *s, int i);
char *sq_col_dup(sqlite3_stmt *s, int i);
int64_t sq_col_time(sqlite3_stmt *s, int i);
/* Steps a query to its end: 0, or -1 when it failed on the way. */
int sq_finish(sqlite3_stmt *s, int rc);

/* The backend's functions, one per function of the table (backend.h),
 * named sq_NAME, in the area files above. */
#define SQ_DECLARE(ret, name, params, args) ret sq_##name params;
GP_STORE_FUNCTIONS(SQ_DECLARE)
#undef SQ_DECLARE

#endif
