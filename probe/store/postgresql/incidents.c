/*
 * incidents.c - incidents and their append-only timelines (the incident
 * and incident_event tables). The rules are contract/incidents.c's.
 */
#include "pg.h"

#include <stdio.h>
#include <string.h>

#define INCIDENT_COLUMNS                                                                      \
	"id, service, status, priority, channel, attribution, opened_at, response_due_at,"       \
	" response_breached, acknowledged_at, acknowledged_by, response_working_seconds,"      \
	" restored_at, resolved_at, closed_at, outage_start, members, text, workaround,"      \
	" resolution"

/* Every column but id, as $1..$19 in INCIDENT_COLUMNS order: its types
 * and its values. The id is left to its identity on insert and is $20 of
 * an update, so both bind the same list. response_working_seconds ($11)
 * may be 0 (acknowledged at once), which 'n' would make NULL: it is bound
 * 'i' with -1 for none, and the SQL's nullif($11::bigint, -1) makes that
 * NULL (cast: beside the bare -1 alone, $11 would be an int4). */
#define INCIDENT_TYPES "tttttiiintinnnntttt"
#define INCIDENT_VALUES(inc)                                                                  \
	(inc)->service, gp_incident_status_name((inc)->status),                               \
		gp_priority_name((inc)->priority), gp_inc_channel_name((inc)->channel),       \
		gp_attribution_name((inc)->attribution), (inc)->opened_at,                    \
		(inc)->response_due_at, (int64_t)(inc)->response_breached,                    \
		time_or_none((inc)->acknowledged_at), (inc)->acknowledged_by,                 \
		(inc)->response_working_seconds >= 0 ? (inc)->response_working_seconds        \
						     : (int64_t)-1,                           \
		time_or_none((inc)->restored_at), time_or_none((inc)->resolved_at),           \
		time_or_none((inc)->closed_at), time_or_none((inc)->outage_start),            \
		(inc)->members, (inc)->text, (inc)->workaround, (inc)->resolution

/* A time bound 'n' is NULL at 0 only; sqlite's binds NULL for any time
 * not after 0, and so does this. */
static int64_t time_or_none(int64_t t)
{
	return t > 0 ? t : 0;
}

static void read_incident(const PGresult *r, int i, struct gp_incident *o)
{
	memset(o, 0, sizeof(*o));
	o->id = pgs_col_int(r, i, 0);
	o->service = pgs_col_dup(r, i, 1);
	gp_incident_status_parse(pgs_col_text(r, i, 2), &o->status);
	o->priority = GP_P1;
	gp_priority_parse(pgs_col_text(r, i, 3), &o->priority);
	gp_inc_channel_parse(pgs_col_text(r, i, 4), &o->channel);
	o->attribution = GP_ATTR_UNATTRIBUTED;
	gp_attribution_parse(pgs_col_text(r, i, 5), &o->attribution);
	o->opened_at = pgs_col_int(r, i, 6);
	o->response_due_at = pgs_col_int(r, i, 7);
	o->response_breached = pgs_col_int(r, i, 8) != 0;
	o->acknowledged_at = pgs_col_int(r, i, 9);
	o->acknowledged_by = pgs_col_dup(r, i, 10);
	o->response_working_seconds = PQgetisnull(r, i, 11) ? -1 : pgs_col_int(r, i, 11);
	o->restored_at = pgs_col_int(r, i, 12);
	o->resolved_at = pgs_col_int(r, i, 13);
	o->closed_at = pgs_col_int(r, i, 14);
	o->outage_start = pgs_col_int(r, i, 15);
	o->members = pgs_col_dup(r, i, 16);
	o->text = pgs_col_dup(r, i, 17);
	o->workaround = pgs_col_dup(r, i, 18);
	o->resolution = pgs_col_dup(r, i, 19);
}

int pgs_incident_insert(struct gp_store *st, struct gp_incident *inc)
{
	struct pgs *p = pgs_of(st);
	/* Another incident of the service in work is a conflict on
	 * incident_one_open, skipped rather than raised: a failed statement
	 * would abort PostgreSQL's whole transaction, where sqlite's undoes
	 * the statement only. The caller gets -1 either way. (The skipped
	 * row still took a number from the identity: ids may have gaps, as
	 * a rolled-back insert leaves in PostgreSQL anyway.) */
	int64_t id = 0;
	int rc = pgs_insert(p, &id,
			    "INSERT INTO incident (service, status, priority, channel, attribution,"
			    " opened_at, response_due_at, response_breached, acknowledged_at,"
			    " acknowledged_by, response_working_seconds, restored_at, resolved_at,"
			    " closed_at, outage_start, members, text, workaround, resolution)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11::bigint, -1),"
			    " $12, $13, $14, $15, $16, $17, $18, $19)"
			    " ON CONFLICT (service) WHERE status IN ('open', 'acknowledged')"
			    " DO NOTHING RETURNING id",
			    INCIDENT_TYPES, INCIDENT_VALUES(inc));
	if (rc == 1)
		snprintf(p->err, sizeof(p->err), "another incident of %s is in work",
			 inc->service ? inc->service : "the service");
	if (rc != 0)
		return -1;
	inc->id = id;
	return 0;
}

int pgs_incident_update(struct gp_store *st, const struct gp_incident *inc)
{
	return pgs_run(pgs_of(st),
		       "UPDATE incident SET service = $1, status = $2, priority = $3,"
		       " channel = $4, attribution = $5, opened_at = $6, response_due_at = $7,"
		       " response_breached = $8, acknowledged_at = $9, acknowledged_by = $10,"
		       " response_working_seconds = nullif($11::bigint, -1), restored_at = $12,"
		       " resolved_at = $13, closed_at = $14, outage_start = $15, members = $16,"
		       " text = $17, workaround = $18, resolution = $19 WHERE id = $20",
		       INCIDENT_TYPES "i", INCIDENT_VALUES(inc), inc->id) == 1 ? 0 : -1;
}

/* The first incident of a query binding $1 (types: 't' or 'i'). */
static bool incident_query(struct gp_store *st, const char *sql, const char *types,
			   const char *text, int64_t id, struct gp_incident *out)
{
	PGresult *r = types[0] == 't' ? pgs_query(pgs_of(st), sql, types, text)
				      : pgs_query(pgs_of(st), sql, types, id);
	if (!r)
		return false;
	bool found = PQntuples(r) > 0;
	if (found)
		read_incident(r, 0, out);
	PQclear(r);
	return found;
}

bool pgs_incident_get(struct gp_store *st, int64_t id, struct gp_incident *out)
{
	return incident_query(st, "SELECT " INCIDENT_COLUMNS " FROM incident WHERE id = $1", "i",
			      NULL, id, out);
}

bool pgs_incident_in_work(struct gp_store *st, const char *service, struct gp_incident *out)
{
	return incident_query(st,
			      "SELECT " INCIDENT_COLUMNS " FROM incident WHERE service = $1"
			      " AND status IN ('open', 'acknowledged')",
			      "t", service, 0, out);
}

bool pgs_incident_latest_probe(struct gp_store *st, const char *service, struct gp_incident *out)
{
	return incident_query(st,
			      "SELECT " INCIDENT_COLUMNS " FROM incident WHERE service = $1"
			      " AND channel = 'probe' ORDER BY id DESC LIMIT 1",
			      "t", service, 0, out);
}

int pgs_incident_list(struct gp_store *st, bool all, gp_incident_fn fn, void *ctx)
{
	PGresult *r = pgs_query(pgs_of(st),
				all ? "SELECT " INCIDENT_COLUMNS " FROM incident ORDER BY id DESC"
				    : "SELECT " INCIDENT_COLUMNS " FROM incident WHERE status NOT IN"
				      " ('closed', 'voided') ORDER BY id DESC",
				"");
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_incident inc;
		read_incident(r, i, &inc);
		fn(ctx, &inc);
		gp_incident_clear(&inc);
	}
	PQclear(r);
	return 0;
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

int pgs_incident_event_add(struct gp_store *st, int64_t incident,
			   const struct gp_incident_event *ev)
{
	return pgs_run(pgs_of(st),
		       "INSERT INTO incident_event (incident, at, actor, kind, old_status,"
		       " new_status, text) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		       "iittttt", incident, ev->at, ev->actor, ev->kind,
		       status_or_null(ev->old_status), status_or_null(ev->new_status),
		       ev->text) == 1 ? 0 : -1;
}

int pgs_incident_timeline(struct gp_store *st, int64_t incident, gp_incident_event_fn fn,
			  void *ctx)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT at, actor, kind, old_status, new_status, text"
				" FROM incident_event WHERE incident = $1 ORDER BY id",
				"i", incident);
	if (!r)
		return -1;
	/* The result is held whole: the callbacks may use the store. */
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_incident_event ev = {
			.at = pgs_col_int(r, i, 0),
			.actor = pgs_col_text(r, i, 1),
			.kind = pgs_col_text(r, i, 2),
			.old_status = status_of(pgs_col_opt(r, i, 3)),
			.new_status = status_of(pgs_col_opt(r, i, 4)),
			.text = pgs_col_opt(r, i, 5),
		};
		fn(ctx, &ev);
	}
	PQclear(r);
	return 0;
}
