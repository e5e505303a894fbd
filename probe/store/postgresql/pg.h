/*
 * pg.h - the postgresql backend's own header: its handle, the statement
 * helpers every area file shares, and the areas' functions for the table
 * in backend.c. Nothing above the store sees it.
 *
 * Files, one per area of the schema, as the sqlite backend's:
 *   backend.c       connect (URI, password file), transactions, the table,
 *                   the helpers
 *   schema.c        the versioned schema and its forward migrations
 *   plugin_state.c  collector plugins' small values
 *   states.c        the engine's check, target and service states
 *   ledger.c        the heartbeat, ledger periods, outages, manual entries
 *   events.c        the event log
 *   incidents.c     incidents and their timelines
 *   outbox.c        the alert outbox
 *   nodes.c         the probe pair's lease and its nodes
 *
 * The tables and columns are the sqlite backend's (same names, states as
 * their names, times as UTC epoch seconds in BIGINT, NULL for none), so a
 * person reading either database, and `gprobe store migrate`, need no
 * table of differences.
 *
 * Every query is sent with its parameters apart from its text (never
 * formatted into SQL), prepared once per connection by the address of
 * its text, and its result read whole before any callback runs, so a
 * callback may use the store meanwhile.
 */
#ifndef GP_STORE_PG_H
#define GP_STORE_PG_H

#include "backend.h"

#include "libpq.h" /* libpq-fe.h, its calls through the loaded table */
#include <stdarg.h>

struct pgs {
	struct gp_store base;
	PGconn *conn;
	bool writable;
	bool in_tx;
	bool setup_ok; /* the session's settings (node, timeouts) are made */
	/* Set when a daemon node writes: its name, which the schema's
	 * triggers check against the lease (fencing). NULL: an engineer's
	 * command, whose writes no lease governs. */
	char *node;
	char err[512];
	/* Statements prepared on this connection, by the address of their
	 * SQL text; forgotten when the connection is reset. */
	struct {
		const char *sql;
		char name[16];
	} cache[96];
	size_t n_cache;
};

static inline struct pgs *pgs_of(struct gp_store *st)
{
	return (struct pgs *)st;
}

/* schema.c */
int pgs_user_version(struct pgs *p);
int pgs_migrate(struct pgs *p, char *err, size_t errlen);

/* backend.c: statements. Parameters are bound in order from `types`:
 * 'i' an int64_t, 'n' an int64_t time (0 is NULL), 't' a string (NULL is
 * NULL); the SQL names them $1, $2...
 *
 * pgs_run: a write; the rows it changed, or -1 (also on a read-only store;
 * the error is in pgs_error()).
 * pgs_query: a query; its result (PGRES_TUPLES_OK) or NULL. PQclear it.
 * pgs_insert: an INSERT ... RETURNING id; 0 with *id set (id may be NULL),
 * 1 when the statement inserted nothing (ON CONFLICT DO NOTHING), -1 on
 * error. */
int pgs_run(struct pgs *p, const char *sql, const char *types, ...);
PGresult *pgs_query(struct pgs *p, const char *sql, const char *types, ...);
int pgs_insert(struct pgs *p, int64_t *id, const char *sql, const char *types, ...);

/* A result's cell as text ("" for NULL), as text or NULL, as a malloc'd
 * copy (NULL for NULL), as an integer (0 for NULL). */
const char *pgs_col_text(const PGresult *r, int row, int col);
const char *pgs_col_opt(const PGresult *r, int row, int col);
char *pgs_col_dup(const PGresult *r, int row, int col);
int64_t pgs_col_int(const PGresult *r, int row, int col);

/* The backend's functions, one per function of the table (backend.h),
 * named pgs_NAME, in the area files above. */
#define PG_DECLARE(ret, name, params, args) ret pgs_##name params;
GP_STORE_FUNCTIONS(PG_DECLARE)
#undef PG_DECLARE

#endif
