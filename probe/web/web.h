/*
 * web.h - what the web console's files share (internal to probe/web):
 * the server's state, one request as the handlers see it, the response
 * they fill, and a growing text buffer.
 *
 *   server.c  the libmicrohttpd daemon, sessions on requests, routing
 *   auth.c    users, hashes, sessions, CSRF, throttling (pure logic)
 *   pages.c   the HTML pages (ru/en)
 *   api.c     the JSON API, and the incident actions both share
 *   report.c  the month's report to download (HTML, PDF)
 *   ledger.c  the ledger at a glance: a month per service as a calendar
 *             strip
 *   graphs.c  the graphs of a check (the PNGs `gprobe graph` draws)
 *   manage.c  the manager's forms: maintenance windows, ledger entries
 */
#ifndef GP_WEB_H
#define GP_WEB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cli.h"

struct gp_webd {
	struct gp_cli *cli;
	struct gp_config *cfg;
	bool tls;
	char *dummy_hash; /* verified against for an unknown user */
	struct gp_web_sessions sessions;
	struct gp_web_throttle throttle;
	/* The server's threads answer one request at a time under this lock
	 * (the sessions, the throttle, the store and the config are not made
	 * for more); graphs.c lets it go while its child draws, so that a
	 * drawing holds nobody back. */
	pthread_mutex_t lock;
	int drawing; /* graphs.c: the drawings under way (under the lock) */
};

struct gp_sb {
	char *s;
	size_t n, cap;
};
void gp_sb_add(struct gp_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n bytes as they are (a PNG's, say: NULs and all). */
void gp_sb_put(struct gp_sb *b, const void *data, size_t n);
/* s with & < > " ' escaped for HTML text and attribute values. */
void gp_sb_esc(struct gp_sb *b, const char *s);

struct gp_web_req {
	const char *method, *path;
	const struct gp_web_session *session; /* NULL: none */
	bool english;
	bool wall;
	char *(*form)(const struct gp_web_req *r, const char *key); /* malloc'd or NULL */
	/* A query argument of the URL (?key=value), or NULL; the request's. */
	const char *(*arg)(const struct gp_web_req *r, const char *key);
	void *ctx;
};

struct gp_web_resp {
	int status;
	struct gp_sb body;
	const char *type;   /* Content-Type; text/html by default */
	char *location;     /* a redirect's */
	char *cookie;       /* Set-Cookie */
	char *disposition;  /* Content-Disposition (a download's), or NULL */
	int64_t retry_after;
};

/* The store for one request: read (a snapshot begun) or write (the
 * caller begins); NULL after filling a 503. */
struct gp_store *gp_web_store(struct gp_webd *w, bool writable, struct gp_web_resp *resp);

/* An incident action from a form or the API, by the session's user:
 * "ack", "note", "resolve" (operator and manager), "attribute" and
 * "void" (manager; its reason in `reason`). Returns the HTTP status: 200, or 403 (role), 404 (no such
 * action or incident), 400 (missing text), 409 (refused transition) or
 * 503, with why in err. */
int gp_web_action(struct gp_webd *w, const struct gp_web_session *ss, int64_t id,
		  const char *action, const char *text, const char *reason, char *err,
		  size_t errlen);

/* "/incidents/12/ack" with prefix "/incidents/" -> id 12, *rest "/ack";
 * false when not that shape (server.c). */
bool gp_web_id_path(const char *p, const char *prefix, int64_t *id, const char **rest);
/* j (taken) as the response's JSON body (api.c). */
struct json_t;
void gp_web_json(struct gp_web_resp *resp, int status, struct json_t *j);

/* pages.c */
/* The page's start (doctype, style, the header's links and the user) and
 * end; the page's own HTML goes between. */
void gp_page_head(const struct gp_web_req *r, struct gp_web_resp *resp, const char *title);
void gp_page_foot(struct gp_web_resp *resp);
void gp_page_login(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		   const char *error);
void gp_page_board(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp);
void gp_page_incidents(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp);
void gp_page_incident(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		      int64_t id, const char *error);
void gp_page_error(const struct gp_web_req *r, struct gp_web_resp *resp, int status,
		   const char *text);

/* report.c: the month's report (NULL: this month) as html or pdf. */
void gp_page_report(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		    const char *month, const char *format);

/* ledger.c, graphs.c, manage.c: each serves the paths it knows (GET or
 * POST; a POST's CSRF token is checked before) and returns true, or
 * false for a path not its own. */
bool gp_ledger_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp);
bool gp_graphs_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp);
bool gp_manage_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp);

/* api.c */
void gp_api_status(struct gp_webd *w, struct gp_web_resp *resp);
void gp_api_incidents(struct gp_webd *w, bool all, struct gp_web_resp *resp);
void gp_api_incident(struct gp_webd *w, int64_t id, struct gp_web_resp *resp);
void gp_api_error(struct gp_web_resp *resp, int status, const char *error);

/* server.c: serves until SIGTERM or SIGINT; 0, or 1 when it could not
 * start (said on stderr). */
int gp_web_serve(struct gp_webd *w);

#endif
