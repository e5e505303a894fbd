/*
 * incidents.c - incidents and their append-only timelines (the incident
 * and incident_event tables). The rules are contract/incidents.c's.
 */
#include "sqlite.h"
#include "util.h"

#include <string.h>

#define INCIDENT_COLUMNS                                                                      \
	"id, service, status, priority, channel, attribution, opened_at, response_due_at,"       \
	" response_breached, acknowledged_at, acknowledged_by, response_working_seconds,"      \
	" restored_at, resolved_at, closed_at, outage_start, members, text, workaround,"      \
	" resolution"

static void read_incident(sqlite3_stmt *s, struct gp_incident *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->service = sq_col_dup(s, 1);
	gp_incident_status_parse(sq_col_text(s, 2), &o->status);
	o->priority = GP_P1;
	gp_priority_parse(sq_col_text(s, 3), &o->priority);
	gp_inc_channel_parse(sq_col_text(s, 4), &o->channel);
	o->attribution = GP_ATTR_UNATTRIBUTED;
	gp_attribution_parse(sq_col_text(s, 5), &o->attribution);
	o->opened_at = sqlite3_column_int64(s, 6);
	o->response_due_at = sqlite3_column_int64(s, 7);
	o->response_breached = sqlite3_column_int(s, 8) != 0;
	o->acknowledged_at = sq_col_time(s, 9);
	o->acknowledged_by = sq_col_dup(s, 10);
	o->response_working_seconds =
		sqlite3_column_type(s, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 11);
	o->restored_at = sq_col_time(s, 12);
	o->resolved_at = sq_col_time(s, 13);
	o->closed_at = sq_col_time(s, 14);
	o->outage_start = sq_col_time(s, 15);
	o->members = sq_col_dup(s, 16);
	o->text = sq_col_dup(s, 17);
	o->workaround = sq_col_dup(s, 18);
	o->resolution = sq_col_dup(s, 19);
}

/* Binds every column but id to ?2.. in INCIDENT_COLUMNS order. */
static void bind_incident(sqlite3_stmt *s, const struct gp_incident *inc)
{
	sq_bind_text(s, 2, inc->service);
	sq_bind_text(s, 3, gp_incident_status_name(inc->status));
	sq_bind_text(s, 4, gp_priority_name(inc->priority));
	sq_bind_text(s, 5, gp_inc_channel_name(inc->channel));
	sq_bind_text(s, 6, gp_attribution_name(inc->attribution));
	sqlite3_bind_int64(s, 7, inc->opened_at);
	sqlite3_bind_int64(s, 8, inc->response_due_at);
	sqlite3_bind_int(s, 9, inc->response_breached);
	int64_t times[] = {inc->acknowledged_at, inc->restored_at, inc->resolved_at,
			   inc->closed_at, inc->outage_start};
	int at[] = {10, 13, 14, 15, 16};
	for (size_t i = 0; i < GP_ARRAY_LEN(times); i++)
		if (times[i] > 0)
			sqlite3_bind_int64(s, at[i], times[i]);
		else
			sqlite3_bind_null(s, at[i]);
	sq_bind_text(s, 11, inc->acknowledged_by);
	if (inc->response_working_seconds >= 0)
		sqlite3_bind_int64(s, 12, inc->response_working_seconds);
	else
		sqlite3_bind_null(s, 12);
	sq_bind_text(s, 17, inc->members);
	sq_bind_text(s, 18, inc->text);
	sq_bind_text(s, 19, inc->workaround);
	sq_bind_text(s, 20, inc->resolution);
}

int sq_incident_insert(struct gp_store *st, struct gp_incident *inc)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s = sq_cached(q, "INSERT INTO incident (" INCIDENT_COLUMNS ") VALUES (NULL,"
				       " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
				       " ?15, ?16, ?17, ?18, ?19, ?20)");
	if (!s)
		return -1;
	bind_incident(s, inc);
	int rc = sq_exec(q, s);
	if (rc == 0)
		inc->id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

int sq_incident_update(struct gp_store *st, const struct gp_incident *inc)
{
	struct sq *q = sq_of(st);
	sqlite3_stmt *s =
		sq_cached(q, "UPDATE incident SET service = ?2, status = ?3, priority = ?4,"
			     " channel = ?5, attribution = ?6, opened_at = ?7, response_due_at = ?8,"
			     " response_breached = ?9, acknowledged_at = ?10, acknowledged_by = ?11,"
			     " response_working_seconds = ?12, restored_at = ?13, resolved_at = ?14,"
			     " closed_at = ?15, outage_start = ?16, members = ?17, text = ?18,"
			     " workaround = ?19, resolution = ?20 WHERE id = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, inc->id);
	bind_incident(s, inc);
	return sq_exec(q, s) == 0 && sqlite3_changes(q->db) == 1 ? 0 : -1;
}

/* The first incident of a query binding ?1 (types: 't' or 'i'). */
static bool incident_query(struct gp_store *st, const char *sql, const char *types,
			   const char *text, int64_t id, struct gp_incident *out)
{
	sqlite3_stmt *s = types[0] == 't' ? sq_query(sq_of(st), sql, types, text)
					  : sq_query(sq_of(st), sql, types, id);
	if (!s)
		return false;
	bool found = sqlite3_step(s) == SQLITE_ROW;
	if (found)
		read_incident(s, out);
	sqlite3_finalize(s);
	return found;
}

bool sq_incident_get(struct gp_store *st, int64_t id, struct gp_incident *out)
{
	return incident_query(st, "SELECT " INCIDENT_COLUMNS " FROM incident WHERE id = ?1", "i",
			      NULL, id, out);
}

bool sq_incident_in_work(struct gp_store *st, const char *service, struct gp_incident *out)
{
	return incident_query(st,
			      "SELECT " INCIDENT_COLUMNS " FROM incident WHERE service = ?1"
			      " AND status IN ('open', 'acknowledged')",
			      "t", service, 0, out);
}

bool sq_incident_latest_probe(struct gp_store *st, const char *service, struct gp_incident *out)
{
	return incident_query(st,
			      "SELECT " INCIDENT_COLUMNS " FROM incident WHERE service = ?1"
			      " AND channel = 'probe' ORDER BY id DESC LIMIT 1",
			      "t", service, 0, out);
}

int sq_incident_list(struct gp_store *st, bool all, gp_incident_fn fn, void *ctx)
{
	sqlite3_stmt *s = sq_prepare(sq_of(st), all ? "SELECT " INCIDENT_COLUMNS
						      " FROM incident ORDER BY id DESC"
						    : "SELECT " INCIDENT_COLUMNS
						      " FROM incident WHERE status NOT IN"
						      " ('closed', 'voided') ORDER BY id DESC");
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_incident inc;
		read_incident(s, &inc);
		fn(ctx, &inc);
		gp_incident_clear(&inc);
	}
	return sq_finish(s, rc);
}

static const char *status_or_null(int s)
{
	return s >= 0 ? gp_incident_status_name((enum gp_incident_status)s) : NULL;
}

static int status_of(const char *name)
{
	enum gp_incident_status s;
	return name && gp_incident_status_parse(name, &s) ? (int)s : -1;
}

int sq_incident_event_add(struct gp_store *st, int64_t incident,
			  const struct gp_incident_event *ev)
{
	return sq_run(sq_of(st),
		      "INSERT INTO incident_event (incident, at, actor, kind, old_status,"
		      " new_status, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		      "iittttt", incident, ev->at, ev->actor, ev->kind,
		      status_or_null(ev->old_status), status_or_null(ev->new_status),
		      ev->text) == 1 ? 0 : -1;
}

int sq_incident_timeline(struct gp_store *st, int64_t incident, gp_incident_event_fn fn,
			 void *ctx)
{
	sqlite3_stmt *s = sq_query(sq_of(st),
				   "SELECT at, actor, kind, old_status, new_status, text"
				   " FROM incident_event WHERE incident = ?1 ORDER BY id",
				   "i", incident);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_incident_event ev = {
			.at = sqlite3_column_int64(s, 0),
			.actor = sq_col_text(s, 1),
			.kind = sq_col_text(s, 2),
			.old_status = status_of(sq_col_opt(s, 3)),
			.new_status = status_of(sq_col_opt(s, 4)),
			.text = sq_col_opt(s, 5),
		};
		fn(ctx, &ev);
	}
	return sq_finish(s, rc);
}
