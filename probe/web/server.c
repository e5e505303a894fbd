/*
 * server.c - `gprobe web`: the libmicrohttpd daemon (one internal polling
 * thread, so the session and throttle tables are one thread's), the
 * session cookie, CSRF on every POST, login and logout, and routing to
 * pages.c and api.c.
 *
 * Without a session only GET/POST /login and GET /healthz answer; a path
 * under /api/ says 401 in JSON, a page redirects (303) to /login.
 */
#include "secret.h"
#include "web.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define BODY_MAX (64 * 1024)
#define COOKIE_NAME "gp_session"

/* ------------------------------------------------------------------ */
/* Text buffer                                                         */

void gp_sb_add(struct gp_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if (b->n + (size_t)n + 1 > b->cap) {
		b->cap = (b->n + (size_t)n + 1) * 2;
		b->s = gp_xrealloc(b->s, b->cap);
	}
	vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->n += (size_t)n;
}

void gp_sb_put(struct gp_sb *b, const void *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = gp_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, data, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void gp_sb_esc(struct gp_sb *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': gp_sb_add(b, "&amp;"); break;
		case '<': gp_sb_add(b, "&lt;"); break;
		case '>': gp_sb_add(b, "&gt;"); break;
		case '"': gp_sb_add(b, "&quot;"); break;
		case '\'': gp_sb_add(b, "&#39;"); break;
		default: gp_sb_add(b, "%c", *s);
		}
	}
}

/* ------------------------------------------------------------------ */
/* One request                                                         */

struct conn {
	struct gp_sb body;
	bool too_big;
};

struct req_ctx {
	struct MHD_Connection *c;
	struct conn *conn;
	bool json_body;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The value of key in an application/x-www-form-urlencoded body. */
static char *form_value(const char *body, size_t len, const char *key)
{
	size_t klen = strlen(key);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq && (size_t)(eq - p) == klen && !memcmp(p, key, klen)) {
			char *out = gp_xcalloc(1, (size_t)(e - eq) + 1);
			size_t n = 0;
			for (const char *q = eq + 1; q < e; q++) {
				if (*q == '+') {
					out[n++] = ' ';
				} else if (*q == '%' && e - q >= 3 && hexval(q[1]) >= 0 &&
					   hexval(q[2]) >= 0) {
					out[n++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
					q += 2;
				} else {
					out[n++] = *q;
				}
			}
			out[n] = '\0';
			if (strlen(out) != n) { /* an encoded NUL */
				free(out);
				return NULL;
			}
			return out;
		}
		p = e + 1;
	}
	return NULL;
}

static char *req_form(const struct gp_web_req *r, const char *key)
{
	const struct req_ctx *rc = r->ctx;
	const struct gp_sb *b = &rc->conn->body;
	if (rc->json_body) {
		json_error_t je;
		json_t *j = json_loadb(b->s ? b->s : "", b->n, 0, &je);
		/* A JSON true or false as the form's checkbox would say it. */
		json_t *jv = json_object_get(j, key);
		const char *v = json_string_value(jv);
		char *out = v ? gp_xstrdup(v)
			      : json_is_boolean(jv) ? gp_xstrdup(json_is_true(jv) ? "true" : "false")
						    : NULL;
		json_decref(j);
		return out;
	}
	return form_value(b->s ? b->s : "", b->n, key);
}

/* A session holds while its user is still in web.users_file with the
 * same role: `gprobe web passwd USER --remove` (or a new role) ends the
 * user's sessions at their next request. The file is small; read at each
 * request with a session. Unreadable: no session holds. */
static bool session_user_current(struct gp_webd *w, const struct gp_web_session *ss)
{
	struct gp_web_users users = {0};
	char err[256];
	if (gp_web_users_load(w->cfg->web.users_file, false, &users, err, sizeof(err)) != 0) {
		gp_log(&w->cli->log, GP_LOG_WARN, "web: sessions refused: %s", err);
		return false;
	}
	const struct gp_web_user *u = gp_web_users_find(&users, ss->user);
	bool ok = u && u->role == ss->role;
	gp_web_users_free(&users);
	return ok;
}

static const char *req_arg(const struct gp_web_req *r, const char *key)
{
	const struct req_ctx *rc = r->ctx;
	return MHD_lookup_connection_value(rc->c, MHD_GET_ARGUMENT_KIND, key);
}

static bool english(struct gp_webd *w, struct MHD_Connection *c)
{
	const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
	if (al) {
		/* The first of ru and en the browser names. */
		for (const char *p = al; *p; p++) {
			if ((p == al || p[-1] == ',' || p[-1] == ' ') && !strncasecmp(p, "ru", 2))
				return false;
			if ((p == al || p[-1] == ',' || p[-1] == ' ') && !strncasecmp(p, "en", 2))
				return true;
		}
	}
	return !gp_fmt_russian(w->cfg);
}

static void client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(buf, len, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* ------------------------------------------------------------------ */
/* Routes                                                              */

static char *session_cookie(struct gp_webd *w, const char *token, bool clear)
{
	return gp_xasprintf(COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=%lld",
			    clear ? "" : token, w->tls ? "; Secure" : "",
			    clear ? 0LL : (long long)w->sessions.max_s);
}

static void redirect(struct gp_web_resp *resp, const char *to)
{
	resp->status = 303;
	free(resp->location);
	resp->location = gp_xstrdup(to);
	resp->type = "text/plain; charset=utf-8";
	gp_sb_add(&resp->body, "see %s\n", to);
}

static void login(struct gp_webd *w, struct gp_web_req *r, struct MHD_Connection *c,
		  struct gp_web_resp *resp)
{
	char addr[64];
	client_addr(c, addr, sizeof(addr));
	char *user = r->form(r, "user"), *pass = r->form(r, "password");
	int64_t now = (int64_t)time(NULL), retry;
	if (!user || !pass || !gp_web_valid_user(user)) {
		resp->status = 400;
		gp_page_login(w, r, resp, r->english ? "Enter a user name and a password."
						     : "Введите имя и пароль.");
	} else if (gp_web_throttle_blocked(&w->throttle, user, addr, now, &retry)) {
		gp_log(&w->cli->log, GP_LOG_WARN, "web: login of '%s' from %s refused: throttled",
		       user, addr);
		resp->status = 429;
		resp->retry_after = retry;
		gp_page_login(w, r, resp, r->english
						  ? "Too many failed logins: try again later."
						  : "Слишком много неудачных попыток: повторите позже.");
	} else {
		struct gp_web_users users;
		char err[512];
		const struct gp_web_user *u = NULL;
		if (gp_web_users_load(w->cfg->web.users_file, true, &users, err, sizeof(err)) != 0) {
			gp_log(&w->cli->log, GP_LOG_ERROR, "web: %s", err);
			users = (struct gp_web_users){0};
		}
		u = gp_web_users_find(&users, user);
		/* An unknown user costs a hash too: no timing tells who exists. */
		bool ok = gp_web_verify(u ? u->hash : w->dummy_hash, pass) && u;
		const struct gp_web_session *ss = ok ? gp_web_session_new(&w->sessions, user,
									  u->role, now)
						     : NULL;
		if (ss) {
			gp_web_throttle_ok(&w->throttle, user);
			gp_log(&w->cli->log, GP_LOG_INFO, "web: %s (%s) logged in from %s", user,
			       gp_web_role_name(u->role), addr);
			resp->cookie = session_cookie(w, ss->token, false);
			redirect(resp, "/");
		} else {
			gp_web_throttle_fail(&w->throttle, user, addr, now);
			gp_log(&w->cli->log, GP_LOG_WARN, "web: failed login of '%s' from %s", user,
			       addr);
			resp->status = 401;
			gp_page_login(w, r, resp, r->english ? "Wrong user name or password."
							     : "Неверное имя или пароль.");
		}
		gp_web_users_free(&users);
	}
	if (pass)
		explicit_bzero(pass, strlen(pass));
	free(user);
	free(pass);
}

static void healthz(struct gp_webd *w, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, resp);
	resp->type = "text/plain; charset=utf-8";
	if (st) {
		resp->status = 200;
		gp_sb_add(&resp->body, "ok\n");
		gp_store_close(st);
	}
}

bool gp_web_id_path(const char *p, const char *prefix, int64_t *id, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(p, prefix, n) != 0)
		return false;
	p += n;
	char num[24];
	size_t k = 0;
	while (isdigit((unsigned char)p[k]) && k < sizeof(num) - 1) {
		num[k] = p[k];
		k++;
	}
	num[k] = '\0';
	const char *why;
	if (!k || !gp_parse_int64(num, 1, INT64_MAX, id, &why))
		return false;
	*rest = p + k;
	return true;
}

static void route(struct gp_webd *w, struct gp_web_req *r, struct MHD_Connection *c,
		  struct gp_web_resp *resp)
{
	const char *p = r->path;
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	bool post = !strcmp(r->method, "POST");
	bool api = !strncmp(p, "/api/", 5);
	if (!get && !post) {
		resp->status = 405;
		gp_sb_add(&resp->body, "method not allowed\n");
		resp->type = "text/plain; charset=utf-8";
		return;
	}
	if (!strcmp(p, "/healthz") && get)
		return healthz(w, resp);
	if (!strcmp(p, "/login")) {
		if (get && r->session)
			return redirect(resp, "/");
		if (get) {
			resp->status = 200;
			return gp_page_login(w, r, resp, NULL);
		}
		return login(w, r, c, resp);
	}
	if (!r->session) {
		if (api)
			return gp_api_error(resp, 401, "not logged in");
		return redirect(resp, "/login");
	}
	/* Every POST carries the session's CSRF token: a form field, or the
	 * X-CSRF-Token header. */
	if (post) {
		const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
		char *f = h ? NULL : r->form(r, "csrf");
		bool ok = gp_web_csrf_ok(r->session, h ? h : f);
		free(f);
		if (!ok) {
			if (api)
				return gp_api_error(resp, 403, "missing or wrong CSRF token");
			return gp_page_error(r, resp, 403,
					     r->english ? "Missing or wrong CSRF token."
							: "Нет или неверен токен CSRF.");
		}
	}
	if (!strcmp(p, "/logout") && post) {
		gp_web_session_drop(&w->sessions, r->session->token);
		r->session = NULL;
		resp->cookie = session_cookie(w, "", true);
		return redirect(resp, "/login");
	}
	if (gp_ledger_route(w, r, resp) || gp_graphs_route(w, r, resp) ||
	    gp_manage_route(w, r, resp))
		return;
	int64_t id;
	const char *rest;
	if (get) {
		if (!strcmp(p, "/"))
			return gp_page_board(w, r, resp);
		if (!strcmp(p, "/incidents"))
			return gp_page_incidents(w, r, resp);
		if (!strcmp(p, "/report"))
			return gp_page_report(
				w, r, resp,
				MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "month"),
				MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format"));
		if (gp_web_id_path(p, "/incidents/", &id, &rest) && !*rest)
			return gp_page_incident(w, r, resp, id, NULL);
		if (!strcmp(p, "/api/status"))
			return gp_api_status(w, resp);
		if (!strcmp(p, "/api/incidents")) {
			const char *all = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "all");
			return gp_api_incidents(w, all && strcmp(all, "0"), resp);
		}
		if (gp_web_id_path(p, "/api/incidents/", &id, &rest) && !*rest)
			return gp_api_incident(w, id, resp);
	} else if ((gp_web_id_path(p, "/incidents/", &id, &rest) ||
		    gp_web_id_path(p, "/api/incidents/", &id, &rest)) &&
		   rest[0] == '/' && rest[1]) {
		char *text = r->form(r, "text"), *reason = r->form(r, "reason");
		char *attribution = r->form(r, "attribution");
		char err[512];
		bool attr = !strcmp(rest + 1, "attribute");
		int status = gp_web_action(w, r->session, id, rest + 1, attr ? attribution : text,
					   reason, err, sizeof(err));
		free(text);
		free(reason);
		free(attribution);
		if (api) {
			if (status == 200)
				return gp_api_incident(w, id, resp);
			return gp_api_error(resp, status, err);
		}
		if (status == 200) {
			char *to = gp_xasprintf("/incidents/%lld", (long long)id);
			redirect(resp, to);
			free(to);
			return;
		}
		if (status == 409 || status == 400) {
			resp->status = status;
			return gp_page_incident(w, r, resp, id, err);
		}
		return gp_page_error(r, resp, status, err);
	}
	if (api)
		return gp_api_error(resp, 404, "no such path");
	gp_page_error(r, resp, 404, r->english ? "No such page." : "Нет такой страницы.");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)version;
	struct gp_webd *w = cls;
	struct conn *conn = *con_cls;
	if (!conn) {
		*con_cls = gp_xcalloc(1, sizeof(struct conn));
		return MHD_YES;
	}
	if (*upload_size) {
		if (conn->body.n + *upload_size > BODY_MAX)
			conn->too_big = true;
		else
			gp_sb_add(&conn->body, "%.*s", (int)*upload_size, upload);
		*upload_size = 0;
		return MHD_YES;
	}
	struct gp_web_resp resp = {.status = 500};
	pthread_mutex_lock(&w->lock);
	int64_t now = (int64_t)time(NULL);
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	struct req_ctx rc = {c, conn, ct && !strncasecmp(ct, "application/json", 16)};
	struct gp_web_req r = {
		.method = method,
		.path = url,
		.session = gp_web_session_find(
			&w->sessions, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE_NAME),
			now),
		.english = english(w, c),
		.form = req_form,
		.arg = req_arg,
		.ctx = &rc,
	};
	if (r.session && !session_user_current(w, r.session)) {
		gp_web_session_drop(&w->sessions, r.session->token);
		r.session = NULL;
	}
	const char *wall = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wall");
	r.wall = wall && strcmp(wall, "0");
	if (conn->too_big) {
		resp.status = 413;
		resp.type = "text/plain; charset=utf-8";
		gp_sb_add(&resp.body, "request body too large\n");
	} else {
		route(w, &r, c, &resp);
	}
	pthread_mutex_unlock(&w->lock);
	struct MHD_Response *mr = MHD_create_response_from_buffer(
		resp.body.n, resp.body.s ? resp.body.s : (void *)"", MHD_RESPMEM_MUST_COPY);
	free(resp.body.s);
	MHD_add_response_header(mr, "Content-Type",
				resp.type ? resp.type : "text/html; charset=utf-8");
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	MHD_add_response_header(mr, "Referrer-Policy", "same-origin");
	MHD_add_response_header(mr, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; "
				"script-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	if (w->tls)
		MHD_add_response_header(mr, "Strict-Transport-Security", "max-age=31536000");
	if (resp.location)
		MHD_add_response_header(mr, "Location", resp.location);
	if (resp.cookie)
		MHD_add_response_header(mr, "Set-Cookie", resp.cookie);
	if (resp.disposition)
		MHD_add_response_header(mr, "Content-Disposition", resp.disposition);
	if (resp.retry_after > 0) {
		char ra[24];
		snprintf(ra, sizeof(ra), "%lld", (long long)resp.retry_after);
		MHD_add_response_header(mr, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp.status, mr);
	MHD_destroy_response(mr);
	free(resp.location);
	free(resp.cookie);
	free(resp.disposition);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *conn = *con_cls;
	if (conn) {
		if (conn->body.s)
			explicit_bzero(conn->body.s, conn->body.cap);
		free(conn->body.s);
		free(conn);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct gp_webd *w = cls;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	gp_log(&w->cli->log, GP_LOG_WARN, "web: %s", buf);
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		gp_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct gp_sb b = {0};
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.n < 1024 * 1024)
		gp_sb_add(&b, "%.*s", (int)n, buf);
	fclose(f);
	if (!b.s)
		gp_errf(err, errlen, "'%s' is empty", path);
	return b.s;
}

int gp_web_serve(struct gp_webd *w)
{
	const struct gp_webd *cw = w;
	const struct gp_config *cfg = cw->cfg;
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%d", cfg->web.port);
	int gai = getaddrinfo(cfg->web.host, port, &hints, &ai);
	if (gai != 0) {
		fprintf(stderr, "gprobe web: web.listen '%s': %s\n", cfg->web.listen,
			gai_strerror(gai));
		return 1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	char *cert = NULL, *key = NULL, err[512];
	w->tls = cfg->web.tls_cert != NULL;
	if (w->tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "gprobe web: this libmicrohttpd has no TLS\n");
			freeaddrinfo(ai);
			return 1;
		}
		cert = read_file(cfg->web.tls_cert, err, sizeof(err));
		key = cert ? gp_read_secret(cfg->web.tls_key, err, sizeof(err)) : NULL;
		if (!key) {
			fprintf(stderr, "gprobe web: %s\n", err);
			free(cert);
			freeaddrinfo(ai);
			return 1;
		}
		flags |= MHD_USE_TLS;
	}
	/* A few threads, so that a graph's drawing (graphs.c, the lock let go
	 * meanwhile) and the requests behind it go on side by side. */
	const unsigned WEB_THREADS = 4;
	/* SIGTERM and SIGINT are taken by sigwait below; blocked before the
	 * server's thread starts, so it inherits the mask. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	struct MHD_Daemon *d;
	if (w->tls)
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, w,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w, MHD_OPTION_SOCK_ADDR,
				     ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, completed, w,
				     MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_CONNECTION_LIMIT,
				     128U, MHD_OPTION_THREAD_POOL_SIZE, WEB_THREADS,
				     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY,
				     key, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, w,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w, MHD_OPTION_SOCK_ADDR,
				     ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, completed, w,
				     MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_CONNECTION_LIMIT,
				     128U, MHD_OPTION_THREAD_POOL_SIZE, WEB_THREADS, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d) {
		fprintf(stderr, "gprobe web: cannot listen on %s: %s\n", cfg->web.listen,
			strerror(errno));
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		free(cert);
		gp_secret_free(key);
		return 1;
	}
	gp_log(&w->cli->log, GP_LOG_INFO, "web: listening on %s://%s", w->tls ? "https" : "http",
	       cfg->web.listen);
	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	gp_log(&w->cli->log, GP_LOG_INFO, "web: stopping (signal %d)", sig);
	MHD_stop_daemon(d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(cert);
	gp_secret_free(key);
	return 0;
}
