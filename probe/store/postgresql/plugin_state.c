/*
 * plugin_state.c - collector plugins' small persistent values (the
 * plugin_state table).
 */
#include "pg.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int pgs_state_get(struct gp_store *st, const char *key, char *buf, size_t len)
{
	if (len == 0)
		return -1;
	PGresult *r = pgs_query(pgs_of(st), "SELECT value FROM plugin_state WHERE key = $1", "t",
				key);
	if (!r)
		return -1;
	int n = -1;
	if (PQntuples(r) > 0) {
		snprintf(buf, len, "%s", pgs_col_text(r, 0, 0));
		n = (int)strlen(buf);
	}
	PQclear(r);
	return n;
}

int pgs_state_put(struct gp_store *st, const char *key, const char *value)
{
	struct pgs *p = pgs_of(st);
	if (!p->writable)
		return 0;
	/* EXCLUDED rather than the parameters again: each $n then has one
	 * use, its type the column's. */
	return pgs_run(p,
		       "INSERT INTO plugin_state (key, value, updated_at) VALUES ($1, $2, $3)"
		       " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
		       " updated_at = EXCLUDED.updated_at",
		       "tti", key, value, (int64_t)time(NULL)) == 1 ? 0 : -1;
}
