/*
 * outbox.c - the alert outbox (the alert table). A row is written in the
 * transaction of the incident event that causes it, marked 'sending' in a
 * commit of its own before each hand-over and 'sent' after it; message_id
 * is the e-mail's Message-ID and the webhook's Idempotency-Key.
 */
#include "sqlite.h"
#include "util.h"

#include <string.h>

#define ALERT_COLUMNS                                                                          \
	"id, incident, event, channel, recipient, subject, body, message_id, created_at, status,"  \
	" attempts, next_attempt_at, last_error, sent_at, digest, flagged_at, attempted_at"

static void read_alert(sqlite3_stmt *s, struct gp_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->incident = sq_col_time(s, 1);
	a->event = sq_col_dup(s, 2);
	gp_alert_channel_parse(sq_col_text(s, 3), &a->channel);
	a->recipient = sq_col_dup(s, 4);
	a->subject = sq_col_dup(s, 5);
	a->body = sq_col_dup(s, 6);
	a->message_id = sq_col_dup(s, 7);
	a->created_at = sqlite3_column_int64(s, 8);
	gp_alert_status_parse(sq_col_text(s, 9), &a->status);
	a->attempts = sqlite3_column_int(s, 10);
	a->next_attempt_at = sqlite3_column_int64(s, 11);
	a->last_error = sq_col_dup(s, 12);
	a->sent_at = sq_col_time(s, 13);
	a->digest = sq_col_time(s, 14);
	a->flagged_at = sq_col_time(s, 15);
	a->attempted_at = sq_col_time(s, 16);
}

int sq_alert_add(struct gp_store *st, const struct gp_alert *a, int64_t *id)
{
	struct sq *q = sq_of(st);
	int rc = sq_run(q,
			"INSERT INTO alert (incident, event, channel, recipient, subject, body,"
			" message_id, created_at, next_attempt_at, status)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
			"nttttttiit", a->incident, a->event, gp_alert_channel_name(a->channel),
			a->recipient, a->subject, a->body, a->message_id, a->created_at,
			a->next_attempt_at, gp_alert_status_name(a->status));
	if (rc != 1)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(q->db);
	return 0;
}

/* Runs a query of alerts, oldest first, until the callback says stop. */
static int alert_walk(sqlite3_stmt *s, gp_alert_fn fn, void *ctx)
{
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gp_alert a;
		read_alert(s, &a);
		bool more = fn(ctx, &a);
		gp_alert_clear(&a);
		if (!more) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return sq_finish(s, rc);
}

static bool take_first(void *ctx, struct gp_alert *a)
{
	struct gp_alert *out = ctx;
	*out = *a;
	memset(a, 0, sizeof(*a));
	return false;
}

bool sq_alert_next(struct gp_store *st, int64_t now, struct gp_alert *out)
{
	memset(out, 0, sizeof(*out));
	alert_walk(sq_query(sq_of(st),
			    "SELECT " ALERT_COLUMNS " FROM alert WHERE status IN ('queued', 'sending')"
			    " AND next_attempt_at <= ?1 ORDER BY id LIMIT 1",
			    "i", now),
		   take_first, out);
	return out->id != 0;
}

int sq_alert_list(struct gp_store *st, enum gp_alert_status status, const char *recipient,
		  gp_alert_fn fn, void *ctx)
{
	return alert_walk(sq_query(sq_of(st),
				   "SELECT " ALERT_COLUMNS " FROM alert WHERE status = ?1"
				   " AND (?2 IS NULL OR recipient = ?2) ORDER BY id",
				   "tt", gp_alert_status_name(status), recipient),
			  fn, ctx);
}

/* attempts = attempt only if it was attempt - 1: a row taken meanwhile
 * (by nobody today; by a second node some day) is not taken twice. */
int sq_alert_claim(struct gp_store *st, int64_t id, int attempt, int64_t now)
{
	return sq_run(sq_of(st),
		      "UPDATE alert SET status = 'sending', attempts = ?2, attempted_at = ?3"
		      " WHERE id = ?1 AND status IN ('queued', 'sending') AND attempts = ?2 - 1",
		      "iii", id, (int64_t)attempt, now) == 1 ? 0 : -1;
}

int sq_alert_sent(struct gp_store *st, int64_t id, int64_t now)
{
	int n = sq_run(sq_of(st),
		       "UPDATE alert SET status = 'sent', sent_at = ?2, last_error = NULL"
		       " WHERE id = ?1 AND status IN ('queued', 'sending')",
		       "ii", id, now);
	return n < 0 ? -1 : n == 1 ? 0 : 1;
}

int sq_alert_retry(struct gp_store *st, int64_t id, int64_t next_at, const char *error)
{
	return sq_run(sq_of(st),
		      "UPDATE alert SET status = 'queued', next_attempt_at = ?2, last_error = ?3"
		      " WHERE id = ?1 AND status IN ('queued', 'sending')",
		      "iit", id, next_at, error) == 1 ? 0 : -1;
}

int sq_alert_failed(struct gp_store *st, int64_t id, const char *error)
{
	return sq_run(sq_of(st),
		      "UPDATE alert SET status = 'failed', last_error = ?2"
		      " WHERE id = ?1 AND status IN ('queued', 'sending')",
		      "it", id, error) == 1 ? 0 : -1;
}

int sq_alert_fold(struct gp_store *st, int64_t id, int64_t digest)
{
	return sq_run(sq_of(st), "UPDATE alert SET status = 'folded', digest = ?2 WHERE id = ?1",
		      "in", id, digest) == 1 ? 0 : -1;
}

int sq_alert_cancel(struct gp_store *st, int64_t incident, const char *event)
{
	struct sq *q = sq_of(st);
	int n = sq_run(q,
		       "UPDATE alert SET status = 'cancelled' WHERE incident = ?1 AND event = ?2"
		       " AND status = 'queued'",
		       "it", incident, event);
	if (n < 0)
		return -1;
	/* Folded into a root-cause mail (alerts/cause.c) not handed over yet:
	 * that mail is cancelled too, and its other rows are queued again for
	 * the next turn to fold anew. */
	sqlite3_stmt *s = sq_query(q,
				   "SELECT DISTINCT a.digest FROM alert a JOIN alert d ON d.id = a.digest"
				   " WHERE a.incident = ?1 AND a.event = ?2 AND a.status = 'folded'"
				   " AND d.status = 'queued' AND d.attempts = 0"
				   " AND d.event IN ('cause', 'cause-restored')",
				   "it", incident, event);
	if (!s)
		return -1;
	int64_t digests[16];
	size_t nd = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (nd < GP_ARRAY_LEN(digests))
			digests[nd++] = sqlite3_column_int64(s, 0);
	if (sq_finish(s, rc) != 0)
		return -1;
	for (size_t i = 0; i < nd; i++) {
		int m = sq_run(q,
			       "UPDATE alert SET status = 'cancelled' WHERE digest = ?1 AND incident = ?2"
			       " AND event = ?3 AND status = 'folded'",
			       "iit", digests[i], incident, event);
		if (m < 0 ||
		    sq_run(q, "UPDATE alert SET status = 'queued', digest = NULL WHERE digest = ?1"
			      " AND status = 'folded'",
			   "i", digests[i]) < 0 ||
		    sq_run(q, "UPDATE alert SET status = 'cancelled' WHERE id = ?1", "i",
			   digests[i]) != 1)
			return -1;
		n += m;
	}
	return n;
}

int64_t sq_alert_sent_since(struct gp_store *st, const char *recipient, int64_t since)
{
	sqlite3_stmt *s = sq_cached(sq_of(st), "SELECT COUNT(*) FROM alert WHERE recipient = ?1"
						" AND status = 'sent' AND sent_at >= ?2");
	if (!s)
		return -1;
	sq_bind_text(s, 1, recipient);
	sqlite3_bind_int64(s, 2, since);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

int sq_alert_flag(struct gp_store *st, int64_t created_before, int64_t now)
{
	return sq_run(sq_of(st),
		      "UPDATE alert SET flagged_at = ?2 WHERE status IN ('queued', 'sending')"
		      " AND flagged_at IS NULL"
		      " AND created_at < ?1",
		      "ii", created_before, now);
}

int sq_alert_counts(struct gp_store *st, struct gp_alert_counts *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s = sq_cached(sq_of(st),
				    "SELECT COALESCE(SUM(status = 'queued'), 0),"
				    " COALESCE(SUM(status IN ('queued', 'sending')"
				    "   AND flagged_at IS NOT NULL), 0),"
				    " COALESCE(SUM(status = 'failed'), 0),"
				    " COALESCE(SUM(status = 'folded' AND digest IS NULL), 0),"
				    " COALESCE(SUM(status = 'sent'), 0),"
				    " COALESCE(SUM(status = 'sending'), 0) FROM alert");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->queued = sqlite3_column_int64(s, 0);
		out->flagged = sqlite3_column_int64(s, 1);
		out->failed = sqlite3_column_int64(s, 2);
		out->folded = sqlite3_column_int64(s, 3);
		out->sent = sqlite3_column_int64(s, 4);
		out->sending = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}
