/*
 * copy.c - whole tables in and out, for `gprobe store migrate` (the
 * store's copy.c names the tables and columns; nothing here knows them).
 * The SQL is made from those fixed names, so it is sent unprepared
 * (PQexecParams), not cached by address.
 */
#include "pg.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pgs_table_rows(struct gp_store *st, const char *table, const char *columns, gp_row_fn fn,
		   void *ctx)
{
	struct pgs *p = pgs_of(st);
	char *sql = gp_xasprintf("SELECT %s FROM %s ORDER BY 1", columns, table);
	PGresult *r = PQexecParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(p->err, sizeof(p->err), "%s", PQerrorMessage(p->conn));
		PQclear(r);
		return -1;
	}
	int n = PQnfields(r), cb = 0;
	const char **v = gp_xcalloc((size_t)n, sizeof(*v));
	for (int row = 0; cb == 0 && row < PQntuples(r); row++) {
		for (int i = 0; i < n; i++)
			v[i] = pgs_col_opt(r, row, i);
		cb = fn(ctx, n, v);
	}
	free(v);
	PQclear(r);
	return cb;
}

int pgs_table_put(struct gp_store *st, const char *table, const char *columns, int n,
		  const char *const *values)
{
	struct pgs *p = pgs_of(st);
	char *marks = gp_xstrdup("");
	for (int i = 0; i < n; i++) {
		char *m = gp_xasprintf("%s%s$%d", marks, i ? "," : "", i + 1);
		free(marks);
		marks = m;
	}
	/* OVERRIDING SYSTEM VALUE: the ids are the source's (incidents are
	 * known by them, alerts and outages point at them). */
	char *sql = gp_xasprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE VALUES (%s)", table,
				 columns, marks);
	free(marks);
	PGresult *r = PQexecParams(p->conn, sql, n, NULL, values, NULL, NULL, 0);
	free(sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(p->err, sizeof(p->err), "%s", PQerrorMessage(p->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

int pgs_copy_finish(struct gp_store *st)
{
	/* Every identity column's sequence past the largest copied id, so
	 * the next row the daemon writes does not collide. */
	struct pgs *p = pgs_of(st);
	PGresult *r = PQexec(
		p->conn,
		"DO $$ DECLARE t record; BEGIN"
		" FOR t IN SELECT c.table_name FROM information_schema.columns c"
		"  WHERE c.table_schema = current_schema() AND c.column_name = 'id'"
		"  AND c.is_identity = 'YES' LOOP"
		"  EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''),"
		"   coalesce((SELECT max(id) FROM %I), 0) + 1, false)', t.table_name, t.table_name);"
		" END LOOP; END $$");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(p->err, sizeof(p->err), "%s", PQerrorMessage(p->conn));
	PQclear(r);
	return ok ? 0 : -1;
}
