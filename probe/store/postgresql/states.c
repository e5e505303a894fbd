/*
 * states.c - the engine's check, target and service states (check_status,
 * target_status, service_status), kept across restarts and read by
 * `gprobe status`.
 */
#include "pg.h"
#include "state.h"

/* The upserts set the row from EXCLUDED rather than from the parameters
 * again: each $n then has one use, its type the column's. */

int pgs_save_check(struct gp_store *st, const char *target, const char *check,
		   const struct gp_check_status *c, const char *value, const char *output)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO check_status (target, check_name, has_result, hard_known, state,"
		       " hard, fails, first_fail, since, last, value, output)"
		       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
		       " ON CONFLICT (target, check_name) DO UPDATE SET"
		       " has_result = EXCLUDED.has_result, hard_known = EXCLUDED.hard_known,"
		       " state = EXCLUDED.state, hard = EXCLUDED.hard, fails = EXCLUDED.fails,"
		       " first_fail = EXCLUDED.first_fail, since = EXCLUDED.since,"
		       " last = EXCLUDED.last, value = EXCLUDED.value, output = EXCLUDED.output",
		       "ttiittiiiitt", target, check, (int64_t)c->has_result,
		       (int64_t)c->hard_known, gp_state_name(c->state), gp_state_name(c->hard),
		       (int64_t)c->fails, c->first_fail, c->since, c->last, value,
		       output) == 1 ? 0 : -1;
}

bool pgs_load_check(struct gp_store *st, const char *target, const char *check,
		    struct gp_check_status *out)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT has_result, hard_known, state, hard, fails, first_fail,"
				" since, last FROM check_status WHERE target = $1 AND check_name = $2",
				"tt", target, check);
	if (!r)
		return false;
	bool found = PQntuples(r) > 0;
	if (found) {
		*out = (struct gp_check_status){
			.has_result = pgs_col_int(r, 0, 0) != 0,
			.hard_known = pgs_col_int(r, 0, 1) != 0,
			.fails = (int)pgs_col_int(r, 0, 4),
			.first_fail = pgs_col_int(r, 0, 5),
			.since = pgs_col_int(r, 0, 6),
			.last = pgs_col_int(r, 0, 7),
		};
		found = gp_state_parse(pgs_col_text(r, 0, 2), &out->state) &&
			gp_state_parse(pgs_col_text(r, 0, 3), &out->hard);
	}
	PQclear(r);
	return found;
}

int pgs_save_target(struct gp_store *st, const char *target, const struct gp_target_status *t)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO target_status (target, state, since) VALUES ($1, $2, $3)"
		       " ON CONFLICT (target) DO UPDATE SET state = EXCLUDED.state,"
		       " since = EXCLUDED.since",
		       "tti", target, gp_health_name(t->state), t->since) == 1 ? 0 : -1;
}

bool pgs_load_target(struct gp_store *st, const char *target, struct gp_target_status *out)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT state, since FROM target_status WHERE target = $1", "t",
				target);
	if (!r)
		return false;
	bool found = PQntuples(r) > 0 && gp_health_parse(pgs_col_text(r, 0, 0), &out->state);
	if (found)
		out->since = pgs_col_int(r, 0, 1);
	PQclear(r);
	return found;
}

int pgs_save_service(struct gp_store *st, const char *service, const struct gp_service_status *v)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO service_status (service, state, since, floor, outage_start)"
		       " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service) DO UPDATE SET"
		       " state = EXCLUDED.state, since = EXCLUDED.since, floor = EXCLUDED.floor,"
		       " outage_start = EXCLUDED.outage_start",
		       "ttiii", service, gp_health_name(v->state), v->since, v->floor,
		       v->outage_start) == 1 ? 0 : -1;
}

bool pgs_load_service(struct gp_store *st, const char *service, struct gp_service_status *out)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT state, since, floor, outage_start FROM service_status"
				" WHERE service = $1",
				"t", service);
	if (!r)
		return false;
	bool found = PQntuples(r) > 0 && gp_health_parse(pgs_col_text(r, 0, 0), &out->state);
	if (found) {
		out->since = pgs_col_int(r, 0, 1);
		out->floor = pgs_col_int(r, 0, 2);
		out->outage_start = pgs_col_int(r, 0, 3);
	}
	PQclear(r);
	return found;
}

/* The result is held whole before the first callback, which may then use
 * the store. Names are ordered COLLATE "C", byte by byte as sqlite's
 * BINARY: the database's own collation (a locale's) orders them
 * otherwise. */
static int list_health(struct gp_store *st, const char *sql, gp_status_fn fn, void *ctx)
{
	PGresult *r = pgs_query(pgs_of(st), sql, "");
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_status_row row = {.name = pgs_col_text(r, i, 0),
					    .state = GP_HEALTH_UNKNOWN,
					    .since = pgs_col_int(r, i, 2)};
		gp_health_parse(pgs_col_text(r, i, 1), &row.state);
		fn(ctx, &row);
	}
	PQclear(r);
	return 0;
}

int pgs_list_services(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_health(st,
			   "SELECT service, state, since FROM service_status"
			   " ORDER BY service COLLATE \"C\"",
			   fn, ctx);
}

int pgs_list_targets(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_health(st,
			   "SELECT target, state, since FROM target_status"
			   " ORDER BY target COLLATE \"C\"",
			   fn, ctx);
}

int pgs_list_checks(struct gp_store *st, const char *target, bool failing_only, gp_check_fn fn,
		    void *ctx)
{
	/* sqlite orders by rowid, the order the checks were first saved in
	 * (an upsert keeps it). PostgreSQL has no such order: a row's ctid
	 * moves with each update, and check_status has no id column. The
	 * checks come by name (COLLATE "C", as list_health's), which is at
	 * least the same every time.
	 * has_result is a BIGINT 0/1, not a boolean: compared, not tested;
	 * $2 is cast, being compared with a bare literal only. */
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT check_name, has_result, state, since, value, output"
				" FROM check_status WHERE target = $1"
				" AND ($2::bigint = 0 OR (has_result <> 0 AND state <> 'OK'))"
				" ORDER BY check_name COLLATE \"C\"",
				"ti", target, (int64_t)failing_only);
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_check_row row = {
			.name = pgs_col_text(r, i, 0),
			.has_result = pgs_col_int(r, i, 1) != 0,
			.state = GP_STATE_UNKNOWN,
			.since = pgs_col_int(r, i, 3),
			.value = pgs_col_opt(r, i, 4),
			.output = pgs_col_opt(r, i, 5),
		};
		gp_state_parse(pgs_col_text(r, i, 2), &row.state);
		fn(ctx, &row);
	}
	PQclear(r);
	return 0;
}
