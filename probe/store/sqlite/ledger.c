/*
 * ledger.c - the ledger's rows: the heartbeat, the services' periods
 * (service_period), outages, maintenance windows and downtime entered by
 * hand. The rules over them are contract/ledger.c's.
 */
#include "sqlite.h"
#include "util.h"

#include <stdlib.h>

int sq_heartbeat_get(struct gp_store *st, struct gp_heartbeat *out)
{
	*out = (struct gp_heartbeat){0};
	sqlite3_stmt *s =
		sq_cached(sq_of(st), "SELECT at, started_at, pid FROM heartbeat WHERE id = 1");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->at = sqlite3_column_int64(s, 0);
		out->started_at = sqlite3_column_int64(s, 1);
		out->pid = (long)sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int sq_heartbeat_put(struct gp_store *st, const struct gp_heartbeat *hb)
{
	if (hb->started_at == 0)
		return sq_run(sq_of(st), "UPDATE heartbeat SET at = ?1 WHERE id = 1", "i",
			      hb->at) == 1 ? 0 : -1;
	return sq_run(sq_of(st),
		      "INSERT INTO heartbeat (id, at, started_at, pid) VALUES (1, ?1, ?2, ?3)"
		      " ON CONFLICT (id) DO UPDATE SET at = ?1, started_at = ?2, pid = ?3",
		      "iii", hb->at, hb->started_at, (int64_t)hb->pid) == 1 ? 0 : -1;
}

int sq_health_get(struct gp_store *st, struct gp_probe_health *out)
{
	*out = (struct gp_probe_health){0};
	sqlite3_stmt *s = sq_cached(sq_of(st), "SELECT health_at, lag_ms, late_checks, rrd_failed,"
					       " rrd_dropped FROM heartbeat WHERE id = 1");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = (struct gp_probe_health){
			sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
			sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
			sqlite3_column_int64(s, 4)};
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* On the heartbeat's row, which the restore made: before it, nothing. */
int sq_health_put(struct gp_store *st, const struct gp_probe_health *h)
{
	return sq_run(sq_of(st),
		      "UPDATE heartbeat SET health_at = ?1, lag_ms = ?2, late_checks = ?3,"
		      " rrd_failed = ?4, rrd_dropped = ?5 WHERE id = 1",
		      "iiiii", h->at, h->lag_ms, h->late, h->rrd_failed, h->rrd_dropped) < 0 ? -1
											    : 0;
}

int sq_period_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
		   gp_period_fn fn, void *ctx)
{
	sqlite3_stmt *s =
		service ? sq_query(sq_of(st),
				   "SELECT id, service, start, end_at, state FROM service_period"
				   " WHERE service = ?1 AND start < ?3"
				   " AND (end_at IS NULL OR end_at > ?2) ORDER BY start, id",
				   "tii", service, from, to)
			: sq_query(sq_of(st),
				   "SELECT id, service, start, end_at, state FROM service_period"
				   " WHERE end_at IS NULL ORDER BY service, start, id",
				   "");
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_period_row p = {
			.id = sqlite3_column_int64(s, 0),
			.service = sq_col_text(s, 1),
			.start = sqlite3_column_int64(s, 2),
			.end = sq_col_time(s, 3),
			.state = GP_LEDGER_UNMONITORED,
		};
		gp_ledger_state_parse(sq_col_text(s, 4), &p.state);
		fn(ctx, &p);
	}
	return sq_finish(s, rc);
}

int sq_period_insert(struct gp_store *st, const char *service, enum gp_ledger_state state,
		     int64_t start, int64_t end)
{
	return sq_run(sq_of(st),
		      "INSERT INTO service_period (service, state, start, end_at)"
		      " VALUES (?1, ?2, ?3, ?4)",
		      "ttin", service, gp_ledger_state_name(state), start, end) == 1 ? 0 : -1;
}

int sq_period_set_end(struct gp_store *st, int64_t id, int64_t end)
{
	return sq_run(sq_of(st), "UPDATE service_period SET end_at = ?2 WHERE id = ?1", "in", id,
		      end) == 1 ? 0 : -1;
}

int sq_period_delete(struct gp_store *st, int64_t id)
{
	return sq_run(sq_of(st), "DELETE FROM service_period WHERE id = ?1", "i", id) == 1 ? 0 : -1;
}

int sq_outage_open(struct gp_store *st, const char *service, int64_t start, const char *members)
{
	return sq_run(sq_of(st), "INSERT INTO outage (service, start, members) VALUES (?1, ?2, ?3)",
		      "tit", service, start, members ? members : "") == 1 ? 0 : -1;
}

int sq_outage_restore(struct gp_store *st, const char *service, int64_t end)
{
	return sq_run(sq_of(st), "UPDATE outage SET end_at = ?2 WHERE service = ?1 AND end_at IS NULL",
		      "ti", service, end) >= 0 ? 0 : -1;
}

int sq_outage_link(struct gp_store *st, const char *service, int64_t start, int64_t incident,
		   enum gp_attribution attribution)
{
	return sq_run(sq_of(st),
		      "UPDATE outage SET incident = ?3, attribution = ?4, attributed_by = NULL,"
		      " attributed_at = NULL WHERE service = ?1 AND start = ?2 AND end_at IS NULL",
		      "tiit", service, start, incident, gp_attribution_name(attribution)) >= 0
		       ? 0
		       : -1;
}

int sq_outage_attribute(struct gp_store *st, int64_t incident, int n,
			enum gp_attribution attribution, const char *by, int64_t at, int64_t *start,
			bool *latest)
{
	/* n-th by start, 1-based; 0: the latest. */
	sqlite3_stmt *s = sq_query(sq_of(st),
				   "SELECT id, start, start = (SELECT max(start) FROM outage"
				   " WHERE incident = ?1) FROM outage WHERE incident = ?1"
				   " ORDER BY start LIMIT 1 OFFSET (CASE WHEN ?2 > 0 THEN ?2 - 1 ELSE"
				   " max((SELECT count(*) FROM outage WHERE incident = ?1) - 1, 0) END)",
				   "ii", incident, (int64_t)n);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		return sq_finish(s, rc) == 0 ? 1 : -1;
	int64_t id = sqlite3_column_int64(s, 0);
	*start = sqlite3_column_int64(s, 1);
	*latest = sqlite3_column_int(s, 2) != 0;
	sq_finish(s, SQLITE_DONE);
	/* Who and when go together (a CHECK says so): no one, no time. */
	return sq_run(sq_of(st),
		      "UPDATE outage SET attribution = ?2, attributed_by = ?3, attributed_at = ?4"
		      " WHERE id = ?1",
		      "ittn", id, gp_attribution_name(attribution), by, by ? at : 0) == 1
		       ? 0
		       : -1;
}

int sq_outage_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
		   gp_outage_fn fn, void *ctx)
{
	sqlite3_stmt *s = sq_query(sq_of(st),
				   "SELECT o.start, o.end_at, o.members, o.incident,"
				   " coalesce(o.attribution, i.attribution),"
				   " i.status, o.attributed_by, o.attributed_at"
				   " FROM outage o LEFT JOIN incident i ON i.id = o.incident"
				   " WHERE o.service = ?1 AND o.start < ?3"
				   " AND (o.end_at IS NULL OR o.end_at > ?2) ORDER BY o.start",
				   "tii", service, from, to);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_outage_row o = {
			.start = sqlite3_column_int64(s, 0),
			.end = sq_col_time(s, 1),
			.members = sq_col_text(s, 2),
			.incident = sq_col_time(s, 3),
			.attribution = GP_ATTR_UNATTRIBUTED,
			.attributed_by = sq_col_opt(s, 6),
			.attributed_at = sq_col_time(s, 7),
		};
		o.has_incident = gp_attribution_parse(sq_col_opt(s, 4), &o.attribution) &&
				 gp_incident_status_parse(sq_col_opt(s, 5), &o.incident_status);
		fn(ctx, &o);
	}
	return sq_finish(s, rc);
}

/* maintenance and manual_downtime share their shape; maintenance has no
 * attribution. */
int sq_entry_add(struct gp_store *st, enum gp_entry_kind kind, const struct gp_ledger_entry *e,
		 int64_t *id)
{
	struct sq *q = sq_of(st);
	int rc = kind == GP_ENTRY_DOWNTIME
			 ? sq_run(q,
				  "INSERT INTO manual_downtime (service, start, end_at, reason,"
				  " created_at, created_by, attribution, over_monitored)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
				  "tiititti", e->service, e->start, e->end, e->reason, e->created_at,
				  e->created_by, gp_attribution_name(e->attribution),
				  (int64_t)e->over_monitored)
			 : sq_run(q,
				  "INSERT INTO maintenance (service, start, end_at, reason,"
				  " created_at, created_by, target, retroactive)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
				  "tiititti", e->target ? "" : e->service, e->start, e->end, e->reason,
				  e->created_at, e->created_by, e->target, (int64_t)e->retroactive);
	if (rc != 1)
		return -1;
	*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

int sq_entry_list(struct gp_store *st, enum gp_entry_kind kind, const char *service,
		  int64_t from, int64_t to, gp_ledger_entry_fn fn, void *ctx)
{
	bool manual = kind == GP_ENTRY_DOWNTIME;
	sqlite3_stmt *s =
		manual ? sq_query(sq_of(st),
				  "SELECT e.id, e.service, e.start, e.end_at, e.reason, e.created_at,"
				  " e.created_by, e.attribution, e.over_monitored, r.revoked_at,"
				  " r.revoked_by, r.reason FROM manual_downtime e"
				  " LEFT JOIN entry_revocation r ON r.kind = 'downtime' AND r.entry = e.id"
				  " WHERE (?1 IS NULL OR e.service = ?1) AND e.start < ?3 AND e.end_at > ?2"
				  " ORDER BY e.service, e.start, e.id",
				  "tii", service, from, to)
		       : sq_query(sq_of(st),
				  "SELECT e.id, e.service, e.start, e.end_at, e.reason, e.created_at,"
				  " e.created_by, NULL, 0, r.revoked_at, r.revoked_by, r.reason,"
				  " e.target, e.retroactive"
				  " FROM maintenance e LEFT JOIN entry_revocation r"
				  " ON r.kind = 'maintenance' AND r.entry = e.id"
				  " WHERE (?1 IS NULL OR e.service = ?1 OR e.target IS NOT NULL)"
				  " AND e.start < ?3 AND e.end_at > ?2"
				  " ORDER BY e.service, e.target, e.start, e.id",
				  "tii", service, from, to);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_ledger_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.service = sq_col_text(s, 1),
			.start = sqlite3_column_int64(s, 2),
			.end = sqlite3_column_int64(s, 3),
			.reason = sq_col_text(s, 4),
			.created_at = sqlite3_column_int64(s, 5),
			.created_by = sq_col_text(s, 6),
			.attribution = GP_ATTR_UNATTRIBUTED,
			.over_monitored = sqlite3_column_int64(s, 8) != 0,
			.revoked_at = sq_col_time(s, 9),
			.revoked_by = sq_col_opt(s, 10),
			.revoke_reason = sq_col_opt(s, 11),
		};
		if (manual) {
			gp_attribution_parse(sq_col_opt(s, 7), &e.attribution);
		} else {
			e.target = sq_col_opt(s, 12);
			e.retroactive = sqlite3_column_int64(s, 13) != 0;
		}
		fn(ctx, &e);
	}
	return sq_finish(s, rc);
}

int sq_entry_revoke(struct gp_store *st, enum gp_entry_kind kind, int64_t id, int64_t at,
		    const char *by, const char *reason)
{
	return sq_run(sq_of(st),
		      "INSERT INTO entry_revocation (kind, entry, revoked_at, revoked_by, reason)"
		      " VALUES (?1, ?2, ?3, ?4, ?5)",
		      "tiitt", kind == GP_ENTRY_DOWNTIME ? "downtime" : "maintenance", id, at, by,
		      reason) == 1 ? 0 : -1;
}
