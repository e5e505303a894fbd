/*
 * plugin_state.c - collector plugins' small persistent values (the
 * plugin_state table).
 */
#include "sqlite.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int sq_state_get(struct gp_store *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = sq_cached(sq_of(st), "SELECT value FROM plugin_state WHERE key = ?1");
	if (!s || len == 0)
		return -1;
	sq_bind_text(s, 1, key);
	int n = -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(buf, len, "%s", sq_col_text(s, 0));
		n = (int)strlen(buf);
	}
	sqlite3_reset(s);
	return n;
}

int sq_state_put(struct gp_store *st, const char *key, const char *value)
{
	struct sq *q = sq_of(st);
	if (!q->writable)
		return 0;
	return sq_run(q,
		      "INSERT INTO plugin_state (key, value, updated_at) VALUES (?1, ?2, ?3)"
		      " ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3",
		      "tti", key, value, (int64_t)time(NULL)) == 1 ? 0 : -1;
}
