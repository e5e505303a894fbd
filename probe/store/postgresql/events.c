/*
 * events.c - the event log (the event table): every change the engine
 * made, with when it happened and when the probe knew.
 */
#include "pg.h"

int pgs_event_add(struct gp_store *st, const struct gp_event_row *ev)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO event (at, recorded_at, kind, subject, old_state, new_state,"
		       " detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		       "iittttt", ev->at, ev->recorded_at, gp_event_kind_name(ev->kind),
		       ev->subject, gp_event_state_name(ev->kind, ev->old_state),
		       gp_event_state_name(ev->kind, ev->new_state),
		       ev->detail && *ev->detail ? ev->detail : NULL) == 1 ? 0 : -1;
}

int pgs_event_list(struct gp_store *st, const char *subject, int64_t since, size_t limit,
		   gp_event_fn fn, void *ctx)
{
	/* The last `limit` rows, then in their order. One subject's through
	 * its index (a "$1 IS NULL OR" would scan the whole log). sqlite's
	 * LIMIT -1 is no limit; PostgreSQL refuses a negative one and takes
	 * LIMIT NULL as none: the limit is bound 'n', so 0 is NULL. A
	 * subquery in FROM needs its alias (before PostgreSQL 16). */
	PGresult *r =
		subject ? pgs_query(pgs_of(st),
				    "SELECT * FROM (SELECT id, at, recorded_at, kind, subject,"
				    " old_state, new_state, detail FROM event"
				    " WHERE subject = $1 AND at >= $2"
				    " ORDER BY id DESC LIMIT $3) AS recent ORDER BY id",
				    "tin", subject, since, (int64_t)limit)
			: pgs_query(pgs_of(st),
				    "SELECT * FROM (SELECT id, at, recorded_at, kind, subject,"
				    " old_state, new_state, detail FROM event"
				    " WHERE at >= $1 ORDER BY id DESC LIMIT $2) AS recent ORDER BY id",
				    "in", since, (int64_t)limit);
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_event_row ev = {
			.id = pgs_col_int(r, i, 0),
			.at = pgs_col_int(r, i, 1),
			.recorded_at = pgs_col_int(r, i, 2),
			.subject = pgs_col_text(r, i, 4),
			.old_state = -1,
			.new_state = -1,
			.detail = pgs_col_opt(r, i, 7),
		};
		if (!gp_event_kind_parse(pgs_col_text(r, i, 3), &ev.kind))
			continue;
		gp_event_state_parse(ev.kind, pgs_col_opt(r, i, 5), &ev.old_state);
		gp_event_state_parse(ev.kind, pgs_col_opt(r, i, 6), &ev.new_state);
		fn(ctx, &ev);
	}
	PQclear(r);
	return 0;
}
