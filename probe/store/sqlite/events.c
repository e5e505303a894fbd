/*
 * events.c - the event log (the event table): every change the engine
 * made, with when it happened and when the probe knew.
 */
#include "sqlite.h"

int sq_event_add(struct gp_store *st, const struct gp_event_row *ev)
{
	return sq_run(sq_of(st),
		      "INSERT INTO event (at, recorded_at, kind, subject, old_state, new_state,"
		      " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		      "iittttt", ev->at, ev->recorded_at, gp_event_kind_name(ev->kind), ev->subject,
		      gp_event_state_name(ev->kind, ev->old_state),
		      gp_event_state_name(ev->kind, ev->new_state),
		      ev->detail && *ev->detail ? ev->detail : NULL) == 1 ? 0 : -1;
}

int sq_event_list(struct gp_store *st, const char *subject, int64_t since, size_t limit,
		  gp_event_fn fn, void *ctx)
{
	/* The last `limit` rows, then in their order. One subject's through
	 * its index (an "?1 IS NULL OR" would scan the whole log). */
	sqlite3_stmt *s =
		subject ? sq_query(sq_of(st),
				   "SELECT * FROM (SELECT id, at, recorded_at, kind, subject,"
				   " old_state, new_state, detail FROM event"
				   " WHERE subject = ?1 AND at >= ?2"
				   " ORDER BY id DESC LIMIT ?3) ORDER BY id",
				   "tii", subject, since, limit ? (int64_t)limit : (int64_t)-1)
			: sq_query(sq_of(st),
				   "SELECT * FROM (SELECT id, at, recorded_at, kind, subject,"
				   " old_state, new_state, detail FROM event"
				   " WHERE at >= ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
				   "ii", since, limit ? (int64_t)limit : (int64_t)-1);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_event_row ev = {
			.id = sqlite3_column_int64(s, 0),
			.at = sqlite3_column_int64(s, 1),
			.recorded_at = sqlite3_column_int64(s, 2),
			.subject = sq_col_text(s, 4),
			.old_state = -1,
			.new_state = -1,
			.detail = sq_col_opt(s, 7),
		};
		if (!gp_event_kind_parse(sq_col_text(s, 3), &ev.kind))
			continue;
		gp_event_state_parse(ev.kind, sq_col_opt(s, 5), &ev.old_state);
		gp_event_state_parse(ev.kind, sq_col_opt(s, 6), &ev.new_state);
		fn(ctx, &ev);
	}
	return sq_finish(s, rc);
}
