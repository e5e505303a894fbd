/*
 * states.c - the engine's check, target and service states (check_status,
 * target_status, service_status), kept across restarts and read by
 * `gprobe status`.
 */
#include "sqlite.h"
#include "state.h"

int sq_save_check(struct gp_store *st, const char *target, const char *check,
		  const struct gp_check_status *c, const char *value, const char *output)
{
	return sq_run(sq_of(st),
		      "INSERT INTO check_status (target, check_name, has_result, hard_known, state,"
		      " hard, fails, first_fail, since, last, value, output)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		      " ON CONFLICT (target, check_name) DO UPDATE SET has_result = ?3,"
		      " hard_known = ?4, state = ?5, hard = ?6, fails = ?7, first_fail = ?8,"
		      " since = ?9, last = ?10, value = ?11, output = ?12",
		      "ttiittiiiitt", target, check, (int64_t)c->has_result, (int64_t)c->hard_known,
		      gp_state_name(c->state), gp_state_name(c->hard), (int64_t)c->fails,
		      c->first_fail, c->since, c->last, value, output) == 1 ? 0 : -1;
}

bool sq_load_check(struct gp_store *st, const char *target, const char *check,
		   struct gp_check_status *out)
{
	sqlite3_stmt *s = sq_cached(sq_of(st), "SELECT has_result, hard_known, state, hard, fails,"
						" first_fail, since, last FROM check_status"
						" WHERE target = ?1 AND check_name = ?2");
	if (!s)
		return false;
	sq_bind_text(s, 1, target);
	sq_bind_text(s, 2, check);
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		*out = (struct gp_check_status){
			.has_result = sqlite3_column_int(s, 0) != 0,
			.hard_known = sqlite3_column_int(s, 1) != 0,
			.fails = sqlite3_column_int(s, 4),
			.first_fail = sqlite3_column_int64(s, 5),
			.since = sqlite3_column_int64(s, 6),
			.last = sqlite3_column_int64(s, 7),
		};
		found = gp_state_parse(sq_col_text(s, 2), &out->state) &&
			gp_state_parse(sq_col_text(s, 3), &out->hard);
	}
	sqlite3_reset(s);
	return found;
}

int sq_save_target(struct gp_store *st, const char *target, const struct gp_target_status *t)
{
	return sq_run(sq_of(st),
		      "INSERT INTO target_status (target, state, since) VALUES (?1, ?2, ?3)"
		      " ON CONFLICT (target) DO UPDATE SET state = ?2, since = ?3",
		      "tti", target, gp_health_name(t->state), t->since) == 1 ? 0 : -1;
}

bool sq_load_target(struct gp_store *st, const char *target, struct gp_target_status *out)
{
	sqlite3_stmt *s =
		sq_cached(sq_of(st), "SELECT state, since FROM target_status WHERE target = ?1");
	if (!s)
		return false;
	sq_bind_text(s, 1, target);
	bool found = sqlite3_step(s) == SQLITE_ROW && gp_health_parse(sq_col_text(s, 0), &out->state);
	if (found)
		out->since = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return found;
}

int sq_save_service(struct gp_store *st, const char *service, const struct gp_service_status *v)
{
	return sq_run(sq_of(st),
		      "INSERT INTO service_status (service, state, since, floor, outage_start)"
		      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (service) DO UPDATE SET state = ?2,"
		      " since = ?3, floor = ?4, outage_start = ?5",
		      "ttiii", service, gp_health_name(v->state), v->since, v->floor,
		      v->outage_start) == 1 ? 0 : -1;
}

bool sq_load_service(struct gp_store *st, const char *service, struct gp_service_status *out)
{
	sqlite3_stmt *s = sq_cached(sq_of(st), "SELECT state, since, floor, outage_start"
						" FROM service_status WHERE service = ?1");
	if (!s)
		return false;
	sq_bind_text(s, 1, service);
	bool found = sqlite3_step(s) == SQLITE_ROW && gp_health_parse(sq_col_text(s, 0), &out->state);
	if (found) {
		out->since = sqlite3_column_int64(s, 1);
		out->floor = sqlite3_column_int64(s, 2);
		out->outage_start = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	return found;
}

static int list_health(struct gp_store *st, const char *sql, gp_status_fn fn, void *ctx)
{
	sqlite3_stmt *s = sq_prepare(sq_of(st), sql);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_status_row row = {.name = sq_col_text(s, 0),
					    .state = GP_HEALTH_UNKNOWN,
					    .since = sqlite3_column_int64(s, 2)};
		gp_health_parse(sq_col_text(s, 1), &row.state);
		fn(ctx, &row);
	}
	return sq_finish(s, rc);
}

int sq_list_services(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_health(st, "SELECT service, state, since FROM service_status ORDER BY service",
			   fn, ctx);
}

int sq_list_targets(struct gp_store *st, gp_status_fn fn, void *ctx)
{
	return list_health(st, "SELECT target, state, since FROM target_status ORDER BY target", fn,
			   ctx);
}

int sq_list_checks(struct gp_store *st, const char *target, bool failing_only, gp_check_fn fn,
		   void *ctx)
{
	sqlite3_stmt *s = sq_query(sq_of(st),
				   "SELECT check_name, has_result, state, since, value, output"
				   " FROM check_status WHERE target = ?1"
				   " AND (?2 = 0 OR (has_result AND state != 'OK')) ORDER BY rowid",
				   "ti", target, (int64_t)failing_only);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_check_row row = {
			.name = sq_col_text(s, 0),
			.has_result = sqlite3_column_int(s, 1) != 0,
			.state = GP_STATE_UNKNOWN,
			.since = sqlite3_column_int64(s, 3),
			.value = sq_col_opt(s, 4),
			.output = sq_col_opt(s, 5),
		};
		gp_state_parse(sq_col_text(s, 2), &row.state);
		fn(ctx, &row);
	}
	return sq_finish(s, rc);
}
