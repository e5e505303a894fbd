/*
 * outbox.c - the alert outbox (the alert table). A row is written in the
 * transaction of the incident event that causes it, marked 'sending' in a
 * commit of its own before each hand-over and 'sent' after it; message_id
 * is the e-mail's Message-ID and the webhook's Idempotency-Key.
 *
 * As sqlite/outbox.c, statement for statement, but for what a database
 * shared by a probe pair needs: during a switch-over two nodes may both
 * be active for a moment, and both queue the same alert (add) or look for
 * the same due row (next).
 */
#include "pg.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define ALERT_COLUMNS                                                                          \
	"id, incident, event, channel, recipient, subject, body, message_id, created_at, status,"  \
	" attempts, next_attempt_at, last_error, sent_at, digest, flagged_at, attempted_at"

static void read_alert(const PGresult *r, int i, struct gp_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = pgs_col_int(r, i, 0);
	a->incident = pgs_col_int(r, i, 1);
	a->event = pgs_col_dup(r, i, 2);
	gp_alert_channel_parse(pgs_col_text(r, i, 3), &a->channel);
	a->recipient = pgs_col_dup(r, i, 4);
	a->subject = pgs_col_dup(r, i, 5);
	a->body = pgs_col_dup(r, i, 6);
	a->message_id = pgs_col_dup(r, i, 7);
	a->created_at = pgs_col_int(r, i, 8);
	gp_alert_status_parse(pgs_col_text(r, i, 9), &a->status);
	a->attempts = (int)pgs_col_int(r, i, 10);
	a->next_attempt_at = pgs_col_int(r, i, 11);
	a->last_error = pgs_col_dup(r, i, 12);
	a->sent_at = pgs_col_int(r, i, 13);
	a->digest = pgs_col_int(r, i, 14);
	a->flagged_at = pgs_col_int(r, i, 15);
	a->attempted_at = pgs_col_int(r, i, 16);
}

/* The same alert queued twice (same message_id) is one row: the second
 * insertion does nothing and gives the first row's id. Two nodes of a
 * pair both active for a moment both queue what one incident event
 * causes; sqlite's UNIQUE failure would here be an error that aborts the
 * whole transaction of that event (PostgreSQL undoes the transaction, not
 * the statement), and the message is to go once anyway. ON CONFLICT waits
 * for the other node's transaction, so when it skips, the other row is
 * committed and this statement's successor sees it. */
int pgs_alert_add(struct gp_store *st, const struct gp_alert *a, int64_t *id)
{
	struct pgs *p = pgs_of(st);
	int64_t got = 0;
	int rc = pgs_insert(p, &got,
			    "INSERT INTO alert (incident, event, channel, recipient, subject, body,"
			    " message_id, created_at, next_attempt_at, status)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
			    " ON CONFLICT (message_id) DO NOTHING RETURNING id",
			    "nttttttiit", a->incident, a->event, gp_alert_channel_name(a->channel),
			    a->recipient, a->subject, a->body, a->message_id, a->created_at,
			    a->next_attempt_at, gp_alert_status_name(a->status));
	if (rc < 0)
		return -1;
	if (rc == 1) {
		PGresult *r = pgs_query(p, "SELECT id FROM alert WHERE message_id = $1", "t",
					a->message_id);
		if (!r)
			return -1;
		bool found = PQntuples(r) > 0;
		if (found)
			got = pgs_col_int(r, 0, 0);
		PQclear(r);
		if (!found) {
			snprintf(p->err, sizeof(p->err), "alert %s: neither inserted nor found",
				 a->message_id ? a->message_id : "");
			return -1;
		}
	}
	if (id)
		*id = got;
	return 0;
}

/* Runs a query of alerts, oldest first, until the callback says stop. The
 * result is held whole: the callbacks may use the store. */
static int alert_walk(PGresult *r, gp_alert_fn fn, void *ctx)
{
	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct gp_alert a;
		read_alert(r, i, &a);
		bool more = fn(ctx, &a);
		gp_alert_clear(&a);
		if (!more)
			break;
	}
	PQclear(r);
	return 0;
}

static bool take_first(void *ctx, struct gp_alert *a)
{
	struct gp_alert *out = ctx;
	*out = *a;
	memset(a, 0, sizeof(*a));
	return false;
}

/* FOR UPDATE SKIP LOCKED: a row another node holds (marking it in its
 * transaction) is passed over for the next due one rather than waited
 * for. The lock lasts to the end of the caller's transaction, or of this
 * statement outside one; what keeps a row from being handed over twice
 * is then alert_claim's attempts check. A read-only store cannot lock
 * rows (PostgreSQL refuses FOR UPDATE in a read-only transaction): it
 * reads the row as sqlite's does. */
bool pgs_alert_next(struct gp_store *st, int64_t now, struct gp_alert *out)
{
	struct pgs *p = pgs_of(st);
	memset(out, 0, sizeof(*out));
	alert_walk(p->writable
			   ? pgs_query(p,
				       "SELECT " ALERT_COLUMNS " FROM alert"
				       " WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1"
				       " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
				       "i", now)
			   : pgs_query(p,
				       "SELECT " ALERT_COLUMNS " FROM alert"
				       " WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1"
				       " ORDER BY id LIMIT 1",
				       "i", now),
		   take_first, out);
	return out->id != 0;
}

int pgs_alert_list(struct gp_store *st, enum gp_alert_status status, const char *recipient,
		   gp_alert_fn fn, void *ctx)
{
	/* $2::text: "$2 IS NULL" alone gives the parameter no type. */
	return alert_walk(pgs_query(pgs_of(st),
				    "SELECT " ALERT_COLUMNS " FROM alert WHERE status = $1"
				    " AND ($2::text IS NULL OR recipient = $2) ORDER BY id",
				    "tt", gp_alert_status_name(status), recipient),
			  fn, ctx);
}

/* attempts = attempt only if it was attempt - 1: a row taken meanwhile
 * (by the other node of a pair) is not taken twice. $2 is cast: in
 * "$2 - 1" beside a bare literal it would be an int4. */
int pgs_alert_claim(struct gp_store *st, int64_t id, int attempt, int64_t now)
{
	return pgs_run(pgs_of(st),
		       "UPDATE alert SET status = 'sending', attempts = $2::bigint, attempted_at = $3"
		       " WHERE id = $1 AND status IN ('queued', 'sending')"
		       " AND attempts = $2::bigint - 1",
		       "iii", id, (int64_t)attempt, now) == 1 ? 0 : -1;
}

int pgs_alert_sent(struct gp_store *st, int64_t id, int64_t now)
{
	int n = pgs_run(pgs_of(st),
			"UPDATE alert SET status = 'sent', sent_at = $2, last_error = NULL"
			" WHERE id = $1 AND status IN ('queued', 'sending')",
			"ii", id, now);
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

int pgs_alert_retry(struct gp_store *st, int64_t id, int64_t next_at, const char *error)
{
	return pgs_run(pgs_of(st),
		       "UPDATE alert SET status = 'queued', next_attempt_at = $2, last_error = $3"
		       " WHERE id = $1 AND status IN ('queued', 'sending')",
		       "iit", id, next_at, error) == 1 ? 0 : -1;
}

int pgs_alert_failed(struct gp_store *st, int64_t id, const char *error)
{
	return pgs_run(pgs_of(st),
		       "UPDATE alert SET status = 'failed', last_error = $2"
		       " WHERE id = $1 AND status IN ('queued', 'sending')",
		       "it", id, error) == 1 ? 0 : -1;
}

int pgs_alert_fold(struct gp_store *st, int64_t id, int64_t digest)
{
	return pgs_run(pgs_of(st), "UPDATE alert SET status = 'folded', digest = $2 WHERE id = $1",
		       "in", id, digest) == 1 ? 0 : -1;
}

int pgs_alert_cancel(struct gp_store *st, int64_t incident, const char *event)
{
	struct pgs *p = pgs_of(st);
	int n = pgs_run(p,
			"UPDATE alert SET status = 'cancelled' WHERE incident = $1 AND event = $2"
			" AND status = 'queued'",
			"it", incident, event);
	if (n < 0)
		return -1;
	/* Folded into a root-cause mail (alerts/cause.c) not handed over yet:
	 * that mail is cancelled too, and its other rows are queued again for
	 * the next turn to fold anew. */
	PGresult *r = pgs_query(p,
				"SELECT DISTINCT a.digest FROM alert a JOIN alert d ON d.id = a.digest"
				" WHERE a.incident = $1 AND a.event = $2 AND a.status = 'folded'"
				" AND d.status = 'queued' AND d.attempts = 0"
				" AND d.event IN ('cause', 'cause-restored')",
				"it", incident, event);
	if (!r)
		return -1;
	int64_t digests[16];
	size_t nd = 0;
	for (int i = 0; i < PQntuples(r); i++)
		if (nd < GP_ARRAY_LEN(digests))
			digests[nd++] = pgs_col_int(r, i, 0);
	PQclear(r);
	for (size_t i = 0; i < nd; i++) {
		int m = pgs_run(p,
				"UPDATE alert SET status = 'cancelled' WHERE digest = $1 AND incident = $2"
				" AND event = $3 AND status = 'folded'",
				"iit", digests[i], incident, event);
		if (m < 0 ||
		    pgs_run(p, "UPDATE alert SET status = 'queued', digest = NULL WHERE digest = $1"
			       " AND status = 'folded'",
			    "i", digests[i]) < 0 ||
		    pgs_run(p, "UPDATE alert SET status = 'cancelled' WHERE id = $1", "i",
			    digests[i]) != 1)
			return -1;
		n += m;
	}
	return n;
}

int64_t pgs_alert_sent_since(struct gp_store *st, const char *recipient, int64_t since)
{
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT count(*) FROM alert WHERE recipient = $1"
				" AND status = 'sent' AND sent_at >= $2",
				"ti", recipient, since);
	if (!r)
		return -1;
	int64_t n = PQntuples(r) > 0 ? pgs_col_int(r, 0, 0) : -1;
	PQclear(r);
	return n;
}

int pgs_alert_flag(struct gp_store *st, int64_t created_before, int64_t now)
{
	return pgs_run(pgs_of(st),
		       "UPDATE alert SET flagged_at = $2 WHERE status IN ('queued', 'sending')"
		       " AND flagged_at IS NULL"
		       " AND created_at < $1",
		       "ii", created_before, now);
}

int pgs_alert_counts(struct gp_store *st, struct gp_alert_counts *out)
{
	memset(out, 0, sizeof(*out));
	/* PostgreSQL has no sum() of booleans (sqlite's are 0/1): each count
	 * is count(*) FILTER, 0 over no rows as sqlite's COALESCE gives. */
	PGresult *r = pgs_query(pgs_of(st),
				"SELECT count(*) FILTER (WHERE status = 'queued'),"
				" count(*) FILTER (WHERE status IN ('queued', 'sending')"
				"   AND flagged_at IS NOT NULL),"
				" count(*) FILTER (WHERE status = 'failed'),"
				" count(*) FILTER (WHERE status = 'folded' AND digest IS NULL),"
				" count(*) FILTER (WHERE status = 'sent'),"
				" count(*) FILTER (WHERE status = 'sending') FROM alert",
				"");
	if (!r)
		return -1;
	int rc = -1;
	if (PQntuples(r) > 0) {
		out->queued = pgs_col_int(r, 0, 0);
		out->flagged = pgs_col_int(r, 0, 1);
		out->failed = pgs_col_int(r, 0, 2);
		out->folded = pgs_col_int(r, 0, 3);
		out->sent = pgs_col_int(r, 0, 4);
		out->sending = pgs_col_int(r, 0, 5);
		rc = 0;
	}
	PQclear(r);
	return rc;
}
