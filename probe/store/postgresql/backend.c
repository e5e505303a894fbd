/*
 * backend.c - the postgresql backend: a libpq connection to the URI of
 * probe.store, its table of functions, and the statement helpers of the
 * area files (pg.h).
 *
 * The password is never in the URI of a config (which is not a secret
 * file): it comes from probe.store_password_file (mode 0600 or 0400) or
 * from libpq's own PGPASSFILE. TLS is libpq's sslmode, in the URI.
 */
#include "pg.h"
#include "secret.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpq prints server notices to stderr by default; a daemon's stderr is
 * its log, and a notice is not the store's business to print. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void set_err(struct pgs *p, const char *what)
{
	const char *m = p->conn ? PQerrorMessage(p->conn) : "no connection";
	snprintf(p->err, sizeof(p->err), "%s%s%s", what ? what : "", what && *m ? ": " : "", m);
	/* libpq's messages end in a newline; the caller's sentence does not. */
	size_t n = strlen(p->err);
	while (n && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
		p->err[--n] = '\0';
}

static bool is_uri(const char *s)
{
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

/* A URI whose userinfo holds a password (user:secret@) would put the
 * secret into a config file and into `ps` of whoever prints it. */
static bool uri_has_password(const char *uri)
{
	if (strstr(uri, "password="))
		return true;
	const char *auth = strstr(uri, "://") + 3;
	const char *at = strchr(auth, '@');
	const char *slash = strchr(auth, '/');
	if (!at || (slash && slash < at))
		return false;
	return memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

/* Runs one statement without parameters; 0 or -1 (error in p->err). */
static int exec_simple(struct pgs *p, const char *sql)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0 : -1;
	if (rc)
		set_err(p, NULL);
	PQclear(r);
	return rc;
}

/* After a connection is made (or made again): the session's settings. */
static int session_setup(struct pgs *p)
{
	p->setup_ok = false;
	p->n_cache = 0; /* prepared statements belong to the old session */
	PQsetNoticeProcessor(p->conn, quiet_notice, NULL);
	if (exec_simple(p, "SET TIME ZONE 'UTC'") != 0)
		return -1;
	/* A daemon node says who it is: the schema's fencing triggers refuse
	 * its ledger and outbox writes unless it holds the lease. */
	if (p->node) {
		const char *v[1] = {p->node};
		PGresult *r = PQexecParams(p->conn, "SELECT set_config('gprobe.node', $1, false)", 1,
					   NULL, v, NULL, NULL, 0);
		bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		if (!ok) {
			set_err(p, "cannot name the node");
			return -1;
		}
	}
	if (!p->writable &&
	    exec_simple(p, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY") != 0)
		return -1;
	/* No gprobe session sits in a transaction: one that does (a command
	 * cut off half-way) would hold the writers' lock for everyone. A
	 * node waits for that lock a few seconds at most, then fails the
	 * batch, rather than outliving its lease in the wait. */
	if (exec_simple(p, "SET idle_in_transaction_session_timeout = '300s'") != 0 ||
	    (p->node && exec_simple(p, "SET lock_timeout = '4s'") != 0))
		return -1;
	p->setup_ok = true;
	return 0;
}

static struct gp_store *pgs_open(const struct gp_store_where *w, bool writable, char *err,
				 size_t errlen)
{
	const char *uri = w->store;
	if (!is_uri(uri)) {
		snprintf(err, errlen, "not a postgresql:// URI: '%s'", uri);
		return NULL;
	}
	if (!gp_pq_load(err, errlen))
		return NULL;
	if (uri_has_password(uri)) {
		snprintf(err, errlen, "the store's URI holds a password: put it in "
				      "probe.store_password_file (mode 0600) or PGPASSFILE");
		return NULL;
	}
	char *password = NULL;
	if (w->password_file) {
		char serr[256];
		password = gp_read_secret(w->password_file, serr, sizeof(serr));
		if (!password) {
			snprintf(err, errlen, "store password: %s", serr);
			return NULL;
		}
	}
	/* A daemon node must learn of a lost server within a fraction of its
	 * lease, not after TCP's minutes: a short connect timeout, keepalives
	 * and a bound on unacknowledged data. A command may wait longer. */
	const char *keys[12], *vals[12];
	int k = 0;
	keys[k] = "dbname", vals[k++] = uri;
	if (password)
		keys[k] = "password", vals[k++] = password;
	keys[k] = "application_name", vals[k++] = w->node ? w->node : "gprobe";
	keys[k] = "connect_timeout", vals[k++] = w->node ? "3" : "10";
	if (w->node) {
		keys[k] = "keepalives_idle", vals[k++] = "5";
		keys[k] = "keepalives_interval", vals[k++] = "2";
		keys[k] = "keepalives_count", vals[k++] = "2";
		keys[k] = "tcp_user_timeout", vals[k++] = "5000";
	}
	keys[k] = NULL, vals[k] = NULL;
	struct pgs *p = gp_xcalloc(1, sizeof(*p));
	p->base.be = &gp_store_postgresql;
	p->writable = writable;
	p->node = w->node ? gp_xstrdup(w->node) : NULL;
	/* expand_dbname: the first dbname is the URI, its keys the defaults. */
	p->conn = PQconnectdbParams(keys, vals, 1);
	gp_secret_free(password);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		set_err(p, NULL);
		snprintf(err, errlen, "cannot connect to the store: %s", p->err);
		PQfinish(p->conn);
		free(p->node);
		free(p);
		return NULL;
	}
	if (session_setup(p) != 0) {
		snprintf(err, errlen, "store session: %s", p->err);
		goto fail;
	}
	if (writable) {
		if (pgs_migrate(p, err, errlen) != 0)
			goto fail;
	} else if (pgs_user_version(p) < 1) {
		snprintf(err, errlen, "the database has no schema yet (has the daemon run?)");
		goto fail;
	}
	return &p->base;
fail:
	PQfinish(p->conn);
	free(p->node);
	free(p);
	return NULL;
}

static void pgs_close(struct gp_store *st)
{
	struct pgs *p = pgs_of(st);
	/* A batch never committed ends with the session, as a crash's would. */
	PQfinish(p->conn);
	free(p->node);
	free(p);
}

const char *pgs_error(struct gp_store *st)
{
	struct pgs *p = pgs_of(st);
	return p->err[0] ? p->err : PQerrorMessage(p->conn);
}

/* A lost connection (the server restarted, the session was terminated)
 * is made again at the next transaction's start, never in the middle of
 * one: what a transaction wrote before the loss is gone, and its caller
 * has been told by the failed statement. */
static int ensure_connected(struct pgs *p)
{
	/* A session whose set-up failed half-way (no node named: unfenced)
	 * is never used: it is set up again, or made again. */
	if (PQstatus(p->conn) == CONNECTION_OK && p->setup_ok)
		return 0;
	if (PQstatus(p->conn) == CONNECTION_OK)
		return session_setup(p);
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		set_err(p, "store connection lost");
		return -1;
	}
	return session_setup(p);
}

/* Writers are serialised by one transaction-scoped advisory lock, as the
 * sqlite backend's BEGIN IMMEDIATE serialises them: the layers above read,
 * decide and write in one transaction (an incident's next state, a
 * ledger period's end) and were written for that. A transaction-scoped
 * lock is released by COMMIT or by the session's end, so a killed node
 * leaves none behind. A pooler in transaction mode is not supported: the
 * node's name (the fence's) and the prepared statements are the
 * session's. A reader's
 * transaction is one snapshot (REPEATABLE READ), as WAL gives sqlite's. */
#define GP_PG_WRITE_LOCK "7320450001"

int pgs_begin(struct gp_store *st)
{
	struct pgs *p = pgs_of(st);
	if (!p->in_tx && ensure_connected(p) != 0)
		return -1;
	const char *sql = p->writable
		? "BEGIN; SELECT pg_advisory_xact_lock(" GP_PG_WRITE_LOCK ")"
		: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
	if (exec_simple(p, sql) != 0) {
		exec_simple(p, "ROLLBACK");
		return -1;
	}
	p->in_tx = true;
	return 0;
}

int pgs_commit(struct gp_store *st)
{
	struct pgs *p = pgs_of(st);
	p->in_tx = false;
	/* COMMIT of a transaction that failed half-way reports ROLLBACK as
	 * its command tag without an error: that is a failed commit. */
	PGresult *r = PQexec(p->conn, "COMMIT");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
	if (!ok) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			snprintf(p->err, sizeof(p->err), "the transaction failed and was rolled back");
		else
			set_err(p, "commit");
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static void pgs_rollback(struct gp_store *st)
{
	struct pgs *p = pgs_of(st);
	p->in_tx = false;
	if (PQstatus(p->conn) == CONNECTION_OK)
		PQclear(PQexec(p->conn, "ROLLBACK"));
}

#define PG_MEMBER(ret, name, params, args) .name = pgs_##name,
const struct gp_store_backend gp_store_postgresql = {
	.name = "postgresql",
	.handles = is_uri,
	.open = pgs_open,
	.close = pgs_close,
	.rollback = pgs_rollback,
	GP_STORE_FUNCTIONS(PG_MEMBER)
};
#undef PG_MEMBER

/* ------------------------------------------------------------------ */
/* Statement helpers                                                   */

#define PG_MAX_PARAMS 24

/* The parameters of `types` as text (libpq's text format), in bufs. */
struct params {
	int n;
	const char *v[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
};

static int bind_params(struct params *ps, const char *types, va_list ap)
{
	ps->n = 0;
	for (int i = 0; types[i]; i++) {
		if (i == PG_MAX_PARAMS)
			return -1;
		if (types[i] == 't') {
			ps->v[i] = va_arg(ap, const char *);
		} else {
			int64_t v = va_arg(ap, int64_t);
			if (types[i] == 'n' && v == 0) {
				ps->v[i] = NULL;
			} else {
				snprintf(ps->num[i], sizeof(ps->num[i]), "%" PRId64, v);
				ps->v[i] = ps->num[i];
			}
		}
		ps->n = i + 1;
	}
	return 0;
}

/* The name of sql's statement on this connection, preparing it on first
 * use; NULL when it does not prepare (error in p->err). With a full cache
 * the statement is sent unnamed, every time. */
static const char *prepared(struct pgs *p, const char *sql, int nparams)
{
	for (size_t i = 0; i < p->n_cache; i++)
		if (p->cache[i].sql == sql)
			return p->cache[i].name;
	static const char unnamed[] = "";
	const char *name = unnamed;
	if (p->n_cache < GP_ARRAY_LEN(p->cache)) {
		snprintf(p->cache[p->n_cache].name, sizeof(p->cache[0].name), "s%zu", p->n_cache);
		name = p->cache[p->n_cache].name;
	}
	PGresult *r = PQprepare(p->conn, name, sql, nparams, NULL);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_err(p, NULL);
	PQclear(r);
	if (!ok)
		return NULL;
	if (name != unnamed)
		p->cache[p->n_cache++].sql = sql;
	return name;
}

/* Runs sql with its parameters: the result, whatever its status. */
static PGresult *execv_(struct pgs *p, const char *sql, const char *types, va_list ap)
{
	struct params ps;
	if (bind_params(&ps, types, ap) != 0) {
		snprintf(p->err, sizeof(p->err), "too many parameters");
		return NULL;
	}
	/* Outside a transaction the statement is its own; the connection
	 * may have been lost since the last one. */
	if (!p->in_tx && ensure_connected(p) != 0)
		return NULL;
	const char *name = prepared(p, sql, ps.n);
	if (!name)
		return NULL;
	PGresult *r = PQexecPrepared(p->conn, name, ps.n, ps.v, NULL, NULL, 0);
	return r;
}

int pgs_run(struct pgs *p, const char *sql, const char *types, ...)
{
	if (!p->writable) {
		snprintf(p->err, sizeof(p->err), "the store is open read-only");
		return -1;
	}
	va_list ap;
	va_start(ap, types);
	PGresult *r = execv_(p, sql, types, ap);
	va_end(ap);
	int rc = -1;
	if (r && PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = atoi(PQcmdTuples(r));
	else if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		rc = PQntuples(r); /* a write with RETURNING */
	else
		set_err(p, NULL);
	PQclear(r);
	return rc;
}

PGresult *pgs_query(struct pgs *p, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	PGresult *r = execv_(p, sql, types, ap);
	va_end(ap);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	set_err(p, NULL);
	PQclear(r);
	return NULL;
}

int pgs_insert(struct pgs *p, int64_t *id, const char *sql, const char *types, ...)
{
	if (!p->writable) {
		snprintf(p->err, sizeof(p->err), "the store is open read-only");
		return -1;
	}
	va_list ap;
	va_start(ap, types);
	PGresult *r = execv_(p, sql, types, ap);
	va_end(ap);
	int rc = -1;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
		rc = PQntuples(r) > 0 ? 0 : 1;
		if (rc == 0 && id)
			*id = pgs_col_int(r, 0, 0);
	} else {
		set_err(p, NULL);
	}
	PQclear(r);
	return rc;
}

const char *pgs_col_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

const char *pgs_col_opt(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

char *pgs_col_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : gp_xstrdup(PQgetvalue(r, row, col));
}

int64_t pgs_col_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}
