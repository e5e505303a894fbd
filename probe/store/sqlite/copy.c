/*
 * copy.c - whole tables in and out, for `gprobe store migrate` (the
 * store's copy.c names the tables and columns; nothing here knows them).
 * The SQL is made from those fixed names, so it is prepared afresh each
 * call, not cached by address.
 */
#include "sqlite.h"
#include "util.h"

#include <stdlib.h>

int sq_table_rows(struct gp_store *st, const char *table, const char *columns, gp_row_fn fn,
		  void *ctx)
{
	char *sql = gp_xasprintf("SELECT %s FROM %s ORDER BY 1", columns, table);
	sqlite3_stmt *s = sq_prepare(sq_of(st), sql);
	free(sql);
	if (!s)
		return -1;
	int n = sqlite3_column_count(s), rc, cb = 0;
	const char **v = gp_xcalloc((size_t)n, sizeof(*v));
	while (cb == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			v[i] = sq_col_opt(s, i);
		cb = fn(ctx, n, v);
	}
	free(v);
	if (cb != 0) {
		sqlite3_finalize(s);
		return cb;
	}
	return sq_finish(s, rc);
}

int sq_table_put(struct gp_store *st, const char *table, const char *columns, int n,
		 const char *const *values)
{
	struct sq *q = sq_of(st);
	if (!q->writable)
		return -1;
	char *marks = gp_xcalloc((size_t)n * 2 + 1, 1);
	for (int i = 0; i < n; i++)
		marks[2 * i] = '?', marks[2 * i + 1] = i + 1 < n ? ',' : '\0';
	char *sql = gp_xasprintf("INSERT INTO %s (%s) VALUES (%s)", table, columns, marks);
	free(marks);
	sqlite3_stmt *s = sq_prepare(q, sql);
	free(sql);
	if (!s)
		return -1;
	/* Text into INTEGER columns: sqlite's affinity stores numbers. */
	for (int i = 0; i < n; i++)
		sq_bind_text(s, i + 1, values[i]);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int sq_copy_finish(struct gp_store *st)
{
	(void)st; /* INTEGER PRIMARY KEY goes on from the largest id */
	return 0;
}
