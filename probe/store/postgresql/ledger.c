/*
 * ledger.c - the ledger's rows: the heartbeat, the services' periods
 * (service_period), outages, maintenance windows and downtime entered by
 * hand, and their revocations. The rules over them are contract/ledger.c's.
 *
 * As sqlite/ledger.c, statement for statement. Where the two differ:
 * names are ordered COLLATE "C" (byte by byte, as sqlite's BINARY, not by
 * the database's locale); NULLs are ordered first, as sqlite's are (in
 * PostgreSQL they come last by default); ties that sqlite breaks by its
 * index's rowid are broken by id, said in the ORDER BY.
 */
#include "pg.h"

#include <stdio.h>
#include <string.h>

int pgs_heartbeat_get(struct gp_store *st, struct gp_heartbeat *out)
{
	*out = (struct gp_heartbeat){0};
	PGresult *r = pgs_query(pgs_of(st), "SELECT at, started_at, pid FROM heartbeat WHERE id = 1",
				"");
	if (!r)
		return -1;
	if (PQntuples(r) > 0) {
		out->at = pgs_col_int(r, 0, 0);
		out->started_at = pgs_col_int(r, 0, 1);
		out->pid = (long)pgs_col_int(r, 0, 2);
	}
	PQclear(r);
	return 0;
}

int pgs_heartbeat_put(struct gp_store *st, const struct gp_heartbeat *hb)
{
	if (hb->started_at == 0)
		return pgs_run(pgs_of(st), "UPDATE heartbeat SET at = $1 WHERE id = 1", "i",
			       hb->at) == 1 ? 0 : -1;
	/* EXCLUDED rather than the parameters again, as states.c's upserts. */
	return pgs_run(pgs_of(st),
		       "INSERT INTO heartbeat (id, at, started_at, pid) VALUES (1, $1, $2, $3)"
		       " ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at,"
		       " started_at = EXCLUDED.started_at, pid = EXCLUDED.pid",
		       "iii", hb->at, hb->started_at, (int64_t)hb->pid) == 1 ? 0 : -1;
}

int pgs_health_get(struct gp_store *st, struct gp_probe_health *out)
{
	*out = (struct gp_probe_health){0};
	PGresult *r = pgs_query(pgs_of(st), "SELECT health_at, lag_ms, late_checks, rrd_failed,"
					    " rrd_dropped FROM heartbeat WHERE id = 1", "");
	if (!r)
		return -1;
	if (PQntuples(r) > 0)
		*out = (struct gp_probe_health){pgs_col_int(r, 0, 0), pgs_col_int(r, 0, 1),
						pgs_col_int(r, 0, 2), pgs_col_int(r, 0, 3),
						pgs_col_int(r, 0, 4)};
	PQclear(r);
	return 0;
}

int pgs_health_put(struct gp_store *st, const struct gp_probe_health *h)
{
	return pgs_run(pgs_of(st),
		       "UPDATE heartbeat SET health_at = $1, lag_ms = $2, late_checks = $3,"
		       " rrd_failed = $4, rrd_dropped = $5 WHERE id = 1",
		       "iiiii", h->at, h->lag_ms, h->late, h->rrd_failed, h->rrd_dropped) < 0 ? -1
											     : 0;
}

int pgs_period_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
		    gp_period_fn fn, void *ctx)
{
	PGresult *r =
		service ? pgs_query(pgs_of(st),
				    "SELECT id, service, start, end_at, state FROM service_period"
				    " WHERE service = $1 AND start < $3"
				    " AND (end_at IS NULL OR end_at > $2) ORDER BY start, id",
				    "tii", service, from, to)
			: pgs_query(pgs_of(st),
				    "SELECT id, service, start, end_at, state FROM service_period"
				    " WHERE end_at IS NULL ORDER BY service COLLATE \"C\", start, id",
				    "");
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_period_row p = {
			.id = pgs_col_int(r, i, 0),
			.service = pgs_col_text(r, i, 1),
			.start = pgs_col_int(r, i, 2),
			.end = pgs_col_int(r, i, 3),
			.state = GP_LEDGER_UNMONITORED,
		};
		gp_ledger_state_parse(pgs_col_text(r, i, 4), &p.state);
		fn(ctx, &p);
	}
	PQclear(r);
	return 0;
}

int pgs_period_insert(struct gp_store *st, const char *service, enum gp_ledger_state state,
		      int64_t start, int64_t end)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO service_period (service, state, start, end_at)"
		       " VALUES ($1, $2, $3, $4)",
		       "ttin", service, gp_ledger_state_name(state), start, end) == 1 ? 0 : -1;
}

int pgs_period_set_end(struct gp_store *st, int64_t id, int64_t end)
{
	return pgs_run(pgs_of(st), "UPDATE service_period SET end_at = $2 WHERE id = $1", "in", id,
		       end) == 1 ? 0 : -1;
}

int pgs_period_delete(struct gp_store *st, int64_t id)
{
	return pgs_run(pgs_of(st), "DELETE FROM service_period WHERE id = $1", "i", id) == 1 ? 0
											       : -1;
}

int pgs_outage_open(struct gp_store *st, const char *service, int64_t start, const char *members)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO outage (service, start, members) VALUES ($1, $2, $3)", "tit",
		       service, start, members ? members : "") == 1 ? 0 : -1;
}

int pgs_outage_restore(struct gp_store *st, const char *service, int64_t end)
{
	return pgs_run(pgs_of(st),
		       "UPDATE outage SET end_at = $2 WHERE service = $1 AND end_at IS NULL", "ti",
		       service, end) >= 0 ? 0 : -1;
}

int pgs_outage_link(struct gp_store *st, const char *service, int64_t start, int64_t incident,
		    enum gp_attribution attribution)
{
	return pgs_run(pgs_of(st),
		       "UPDATE outage SET incident = $3, attribution = $4, attributed_by = NULL,"
		       " attributed_at = NULL WHERE service = $1 AND start = $2 AND end_at IS NULL",
		       "tiit", service, start, incident, gp_attribution_name(attribution)) >= 0
		       ? 0
		       : -1;
}

int pgs_outage_attribute(struct gp_store *st, int64_t incident, int n,
			 enum gp_attribution attribution, const char *by, int64_t at,
			 int64_t *start, bool *latest)
{
	struct pgs *p = pgs_of(st);
	/* n-th by start, 1-based; 0: the latest. $2 is cast: compared with
	 * bare literals only, it would be an int4 (OFFSET wants a bigint).
	 * The "is it the latest" comparison is a boolean in PostgreSQL ('t'
	 * or 'f' as text): cast to 0/1, as sqlite gives it. Ties of start
	 * go by id, as sqlite's index (incident, start) orders them. */
	PGresult *r = pgs_query(p,
				"SELECT id, start, (start = (SELECT max(start) FROM outage"
				" WHERE incident = $1))::int FROM outage WHERE incident = $1"
				" ORDER BY start, id LIMIT 1 OFFSET (CASE WHEN $2::bigint > 0"
				" THEN $2::bigint - 1 ELSE greatest((SELECT count(*) FROM outage"
				" WHERE incident = $1) - 1, 0) END)",
				"ii", incident, (int64_t)n);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	int64_t id = pgs_col_int(r, 0, 0);
	*start = pgs_col_int(r, 0, 1);
	*latest = pgs_col_int(r, 0, 2) != 0;
	PQclear(r);
	/* Who and when go together (a CHECK says so): no one, no time. */
	return pgs_run(p,
		       "UPDATE outage SET attribution = $2, attributed_by = $3, attributed_at = $4"
		       " WHERE id = $1",
		       "ittn", id, gp_attribution_name(attribution), by, by ? at : 0) == 1 ? 0
											 : -1;
}

int pgs_outage_list(struct gp_store *st, const char *service, int64_t from, int64_t to,
		    gp_outage_fn fn, void *ctx)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT o.start, o.end_at, o.members, o.incident,"
				" coalesce(o.attribution, i.attribution),"
				" i.status, o.attributed_by, o.attributed_at"
				" FROM outage o LEFT JOIN incident i ON i.id = o.incident"
				" WHERE o.service = $1 AND o.start < $3"
				" AND (o.end_at IS NULL OR o.end_at > $2) ORDER BY o.start, o.id",
				"tii", service, from, to);
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_outage_row o = {
			.start = pgs_col_int(r, i, 0),
			.end = pgs_col_int(r, i, 1),
			.members = pgs_col_text(r, i, 2),
			.incident = pgs_col_int(r, i, 3),
			.attribution = GP_ATTR_UNATTRIBUTED,
			.attributed_by = pgs_col_opt(r, i, 6),
			.attributed_at = pgs_col_int(r, i, 7),
		};
		o.has_incident = gp_attribution_parse(pgs_col_opt(r, i, 4), &o.attribution) &&
				 gp_incident_status_parse(pgs_col_opt(r, i, 5), &o.incident_status);
		fn(ctx, &o);
	}
	PQclear(r);
	return 0;
}

/* maintenance and manual_downtime share their shape; maintenance has no
 * attribution. The new id comes back by RETURNING (no last_insert_rowid
 * in PostgreSQL). */
int pgs_entry_add(struct gp_store *st, enum gp_entry_kind kind, const struct gp_ledger_entry *e,
		  int64_t *id)
{
	struct pgs *p = pgs_of(st);
	int rc = kind == GP_ENTRY_DOWNTIME
			 ? pgs_insert(p, id,
				      "INSERT INTO manual_downtime (service, start, end_at, reason,"
				      " created_at, created_by, attribution, over_monitored)"
				      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
				      "tiititti", e->service, e->start, e->end, e->reason,
				      e->created_at, e->created_by,
				      gp_attribution_name(e->attribution),
				      (int64_t)e->over_monitored)
			 : pgs_insert(p, id,
				      "INSERT INTO maintenance (service, start, end_at, reason,"
				      " created_at, created_by, target, retroactive)"
				      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
				      "tiititti", e->target ? "" : e->service, e->start, e->end,
				      e->reason, e->created_at, e->created_by, e->target,
				      (int64_t)e->retroactive);
	return rc == 0 ? 0 : -1;
}

int pgs_entry_list(struct gp_store *st, enum gp_entry_kind kind, const char *service,
		   int64_t from, int64_t to, gp_ledger_entry_fn fn, void *ctx)
{
	bool manual = kind == GP_ENTRY_DOWNTIME;
	/* $1::text: "$1 IS NULL" alone gives the parameter no type. The bare
	 * NULL and 0 of maintenance's attribution and over_monitored keep
	 * the columns where the downtime query has them. A service's windows
	 * have target NULL, which sqlite orders before the targets' windows:
	 * NULLS FIRST says so (PostgreSQL's default puts them last). */
	PGresult *r =
		manual ? pgs_query(pgs_of(st),
				   "SELECT e.id, e.service, e.start, e.end_at, e.reason, e.created_at,"
				   " e.created_by, e.attribution, e.over_monitored, r.revoked_at,"
				   " r.revoked_by, r.reason FROM manual_downtime e"
				   " LEFT JOIN entry_revocation r ON r.kind = 'downtime' AND r.entry = e.id"
				   " WHERE ($1::text IS NULL OR e.service = $1) AND e.start < $3"
				   " AND e.end_at > $2"
				   " ORDER BY e.service COLLATE \"C\", e.start, e.id",
				   "tii", service, from, to)
		       : pgs_query(pgs_of(st),
				   "SELECT e.id, e.service, e.start, e.end_at, e.reason, e.created_at,"
				   " e.created_by, NULL, 0, r.revoked_at, r.revoked_by, r.reason,"
				   " e.target, e.retroactive"
				   " FROM maintenance e LEFT JOIN entry_revocation r"
				   " ON r.kind = 'maintenance' AND r.entry = e.id"
				   " WHERE ($1::text IS NULL OR e.service = $1 OR e.target IS NOT NULL)"
				   " AND e.start < $3 AND e.end_at > $2"
				   " ORDER BY e.service COLLATE \"C\", e.target COLLATE \"C\" NULLS FIRST,"
				   " e.start, e.id",
				   "tii", service, from, to);
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_ledger_entry e = {
			.id = pgs_col_int(r, i, 0),
			.service = pgs_col_text(r, i, 1),
			.start = pgs_col_int(r, i, 2),
			.end = pgs_col_int(r, i, 3),
			.reason = pgs_col_text(r, i, 4),
			.created_at = pgs_col_int(r, i, 5),
			.created_by = pgs_col_text(r, i, 6),
			.attribution = GP_ATTR_UNATTRIBUTED,
			.over_monitored = pgs_col_int(r, i, 8) != 0,
			.revoked_at = pgs_col_int(r, i, 9),
			.revoked_by = pgs_col_opt(r, i, 10),
			.revoke_reason = pgs_col_opt(r, i, 11),
		};
		if (manual) {
			gp_attribution_parse(pgs_col_opt(r, i, 7), &e.attribution);
		} else {
			e.target = pgs_col_opt(r, i, 12);
			e.retroactive = pgs_col_int(r, i, 13) != 0;
		}
		fn(ctx, &e);
	}
	PQclear(r);
	return 0;
}

/* No such entry, or one revoked already, is -1 as in sqlite, but is not
 * raised: a failed statement aborts PostgreSQL's whole transaction, where
 * sqlite's undoes the statement only. The row is inserted only when its
 * entry exists (so the schema's trigger has nothing to refuse) and skipped
 * on the (kind, entry) conflict. The select list's parameters are cast:
 * there they have no column to take a type from. */
int pgs_entry_revoke(struct gp_store *st, enum gp_entry_kind kind, int64_t id, int64_t at,
		     const char *by, const char *reason)
{
	struct pgs *p = pgs_of(st);
	int n = pgs_run(p,
			"INSERT INTO entry_revocation (kind, entry, revoked_at, revoked_by, reason)"
			" SELECT $1::text, $2::bigint, $3::bigint, $4::text, $5::text"
			" WHERE ($1 = 'downtime' AND EXISTS"
			"        (SELECT 1 FROM manual_downtime WHERE id = $2))"
			"    OR ($1 = 'maintenance' AND EXISTS"
			"        (SELECT 1 FROM maintenance WHERE id = $2))"
			" ON CONFLICT (kind, entry) DO NOTHING",
			"tiitt", kind == GP_ENTRY_DOWNTIME ? "downtime" : "maintenance", id, at, by,
			reason);
	if (n != 0)
		return n == 1 ? 0 : -1;
	/* Which of the two, for the message (sqlite's trigger's, or its
	 * UNIQUE failure's). */
	PGresult *r = pgs_query(p, "SELECT 1 FROM entry_revocation WHERE kind = $1 AND entry = $2",
				"ti", kind == GP_ENTRY_DOWNTIME ? "downtime" : "maintenance", id);
	bool revoked = r && PQntuples(r) > 0;
	PQclear(r);
	snprintf(p->err, sizeof(p->err), revoked ? "entry %lld was revoked already"
						 : "no such entry to revoke (%lld)",
		 (long long)id);
	return -1;
}
