/*
 * copy.c - one store into another (`gprobe store migrate`): every table
 * of the schema that holds history, ids and all, then a check of the
 * copy read back from the destination.
 *
 * The tables and their columns are named here once, in an order that
 * satisfies every reference (an incident before its timeline, outages
 * and alerts; an entry before its revocation). An alert's digest points
 * at a later alert: it is set once every alert is in. The pair's nodes
 * and lease are not copied: they belong to the installation that runs.
 */
#include "backend.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

static const struct {
	const char *table, *columns;
} tables[] = {
	{"plugin_state", "key, value, updated_at"},
	{"check_status", "target, check_name, has_result, hard_known, state, hard, fails,"
			 " first_fail, since, last, value, output"},
	{"target_status", "target, state, since"},
	{"service_status", "service, state, since, floor, outage_start"},
	{"heartbeat", "id, at, started_at, pid"},
	{"service_period", "id, service, state, start, end_at"},
	{"event", "id, at, recorded_at, kind, subject, old_state, new_state, detail"},
	{"incident", "id, service, status, priority, channel, opened_at, response_due_at,"
		     " response_breached, acknowledged_at, acknowledged_by,"
		     " response_working_seconds, restored_at, resolved_at, closed_at, attribution,"
		     " outage_start, members, text, workaround, resolution"},
	{"incident_event", "id, incident, at, actor, kind, old_status, new_status, text"},
	{"outage", "id, service, start, end_at, members, incident, attribution, attributed_by,"
		   " attributed_at"},
	{"maintenance", "id, service, start, end_at, reason, created_at, created_by, target,"
			" retroactive"},
	{"manual_downtime", "id, service, start, end_at, attribution, reason, created_at,"
			    " created_by, over_monitored"},
	{"entry_revocation", "id, kind, entry, revoked_at, revoked_by, reason"},
	{"alert", "id, incident, event, channel, recipient, subject, body, message_id, created_at,"
		  " status, attempts, next_attempt_at, last_error, sent_at, flagged_at, attempted_at"},
};

struct put_ctx {
	struct gp_store *dst;
	const char *table, *columns;
	long rows;
};

static int put_row(void *ctx, int n, const char *const *v)
{
	struct put_ctx *c = ctx;
	c->rows++;
	return gp_store_table_put(c->dst, c->table, c->columns, n, v);
}

static int count_row(void *ctx, int n, const char *const *v)
{
	(void)n, (void)v;
	(*(long *)ctx)++;
	return 0;
}

/* An alert folded into a digest points at it: set, as the sender does,
 * with alert_fold once both rows are in. */
struct digest_ctx {
	struct gp_store *dst;
	long n;
};

static int fold_row(void *ctx, int n, const char *const *v)
{
	struct digest_ctx *c = ctx;
	if (n != 2 || !v[1])
		return 0;
	c->n++;
	return gp_store_alert_fold(c->dst, strtoll(v[0], NULL, 10), strtoll(v[1], NULL, 10));
}

/* Seconds of each ledger state per service and UTC month, from the
 * periods' rows (an open period runs to the heartbeat). */
struct total {
	char key[160]; /* service|YYYY-MM|STATE */
	int64_t seconds;
};
struct totals {
	struct total *v;
	size_t n, cap;
	int64_t heartbeat;
};

static void add_total(struct totals *t, const char *key, int64_t s)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].key, key)) {
			t->v[i].seconds += s;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = gp_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	snprintf(t->v[t->n].key, sizeof(t->v[0].key), "%s", key);
	t->v[t->n++].seconds = s;
}

static int64_t next_month(int64_t at, char *name, size_t len)
{
	time_t tt = (time_t)at;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(name, len, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	tm.tm_mday = 1, tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	return (int64_t)timegm(&tm);
}

static int total_row(void *ctx, int n, const char *const *v)
{
	struct totals *t = ctx;
	if (n != 4)
		return -1;
	int64_t start = strtoll(v[2], NULL, 10);
	int64_t end = v[3] ? strtoll(v[3], NULL, 10) : t->heartbeat;
	while (start < end) {
		char month[32], key[160];
		int64_t next = next_month(start, month, sizeof(month));
		int64_t to = next < end ? next : end;
		snprintf(key, sizeof(key), "%s|%s|%s", v[0], month, v[1]);
		add_total(t, key, to - start);
		start = to;
	}
	return 0;
}

static int totals_of(struct gp_store *st, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->heartbeat = gp_store_last_heartbeat(st);
	return gp_store_table_rows(st, "service_period", "service, state, start, end_at", total_row,
				   t);
}

static void say(gp_line_fn fn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(gp_line_fn fn, void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(ctx, line);
}

static int fail(char *err, size_t errlen, const char *what, struct gp_store *st)
{
	snprintf(err, errlen, "%s: %s", what, gp_store_error(st));
	return -1;
}

static int copy_tables(struct gp_store *src, struct gp_store *dst, gp_line_fn fn, void *ctx,
		       char *err, size_t errlen)
{
	for (size_t i = 0; i < GP_ARRAY_LEN(tables); i++) {
		long n = 0;
		if (gp_store_table_rows(dst, tables[i].table, "1", count_row, &n) != 0)
			return fail(err, errlen, "cannot read the destination", dst);
		if (n > 0) {
			snprintf(err, errlen, "the destination is not empty (%s has %ld rows)",
				 tables[i].table, n);
			return -1;
		}
	}
	for (size_t i = 0; i < GP_ARRAY_LEN(tables); i++) {
		struct put_ctx c = {dst, tables[i].table, tables[i].columns, 0};
		if (gp_store_table_rows(src, c.table, c.columns, put_row, &c) != 0) {
			snprintf(err, errlen, "copying %s (row %ld): %s / %s", c.table, c.rows,
				 gp_store_error(src), gp_store_error(dst));
			return -1;
		}
		say(fn, ctx, "copied %-17s %ld rows", c.table, c.rows);
	}
	struct digest_ctx dc = {dst, 0};
	if (gp_store_table_rows(src, "alert", "id, digest", fold_row, &dc) != 0)
		return fail(err, errlen, "copying the alerts' digests", dst);
	if (gp_store_copy_finish(dst) != 0)
		return fail(err, errlen, "after the copy", dst);
	return 0;
}

/* The copy read back: each table's rows, and the ledger's totals. */
static int check_copy(struct gp_store *src, struct gp_store *dst, gp_line_fn fn, void *ctx,
		      char *err, size_t errlen)
{
	for (size_t i = 0; i < GP_ARRAY_LEN(tables); i++) {
		long a = 0, b = 0;
		if (gp_store_table_rows(src, tables[i].table, "1", count_row, &a) != 0 ||
		    gp_store_table_rows(dst, tables[i].table, "1", count_row, &b) != 0)
			return fail(err, errlen, "counting the rows", dst);
		if (a != b) {
			snprintf(err, errlen, "the copy of %s has %ld rows, the source %ld",
				 tables[i].table, b, a);
			return -1;
		}
	}
	struct totals ta, tb;
	int rc = 0;
	if (totals_of(src, &ta) != 0 || totals_of(dst, &tb) != 0) {
		rc = fail(err, errlen, "reading the ledger", dst);
	} else if (ta.n != tb.n) {
		snprintf(err, errlen, "the ledger's totals differ: %zu figures in the source, %zu in "
				      "the copy", ta.n, tb.n);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < ta.n; i++) {
		const struct total *x = &ta.v[i], *y = NULL;
		for (size_t k = 0; k < tb.n && !y; k++)
			if (!strcmp(tb.v[k].key, x->key))
				y = &tb.v[k];
		if (!y || y->seconds != x->seconds) {
			snprintf(err, errlen, "the ledger differs for %s: %lld s in the source, %lld "
					      "in the copy", x->key, (long long)x->seconds,
				 (long long)(y ? y->seconds : 0));
			rc = -1;
		}
	}
	if (rc == 0) {
		say(fn, ctx, "checked: every table's rows equal; %zu ledger totals (service, month, "
			     "state) equal", ta.n);
		for (size_t i = 0; i < ta.n; i++)
			say(fn, ctx, "  %s %lld s", ta.v[i].key, (long long)ta.v[i].seconds);
	}
	free(ta.v);
	free(tb.v);
	return rc;
}

int gp_store_copy(struct gp_store *src, struct gp_store *dst, gp_line_fn fn, void *ctx,
		  char *err, size_t errlen)
{
	/* The source one snapshot (a daemon may be writing it), the
	 * destination one transaction: all of it or nothing. */
	if (gp_store_begin(src) != 0)
		return fail(err, errlen, "cannot read the source", src);
	if (gp_store_begin(dst) != 0) {
		gp_store_rollback(src);
		return fail(err, errlen, "cannot write the destination", dst);
	}
	int rc = copy_tables(src, dst, fn, ctx, err, errlen);
	if (rc == 0 && gp_store_commit(dst) != 0)
		rc = fail(err, errlen, "cannot commit the copy", dst);
	if (rc != 0)
		gp_store_rollback(dst);
	/* Checked after the commit, from what the destination holds. */
	if (rc == 0)
		rc = check_copy(src, dst, fn, ctx, err, errlen);
	gp_store_rollback(src);
	return rc;
}
