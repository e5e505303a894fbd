/*
 * http_answer.h - what both HTTP transfer engines share (internal to
 * collectors/http*.c): a check's configuration read from its spec, and the
 * turning of an answer into a result. The engines differ only in how the
 * bytes travel: http/curl.so through libcurl (every URL), http/plain.so
 * over a plain socket (http:// to an address, one-shot runs; see
 * http_engine.h). Both compile http_answer.c in, so the same answer reads
 * the same whichever engine fetched it.
 */
#ifndef GP_HTTP_ANSWER_H
#define GP_HTTP_ANSWER_H

#include "collector.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_MAX (4 * 1024 * 1024)
#define HTTP_MAX_REDIRECTS 3

/* What to check next, for the failures both engines meet. */
#define HTTP_HINT_NOT_LISTENING "nothing listens there: the web server or the component is down"
#define HTTP_HINT_TIMEOUT                                                                        \
	"no answer in time: the component hangs, or a firewall drops the packets"
#define HTTP_HINT_REDIRECT_LOOP "the server redirects in a loop: check its redirect rules"

/* A check's configuration, from its spec (http_conf_init). */
struct http_conf {
	char *url;          /* absolute: the arg, or http.base_url + the arg's path */
	char *user;         /* basic auth user, or NULL */
	char *password;     /* basic auth, from its file; never logged */
	char *body_to_send; /* a POST's body, or NULL for a GET */
	char *json, *xpath, *match;
	regex_t re;
	bool has_re;
	long expect_status; /* 0: any status below 400 */
	bool tls_verify;
	bool allow_downgrade;
	char *ca_file;
};

/* c filled from spec (the password read through host now), or false with
 * the reason in err and c left empty. A check with `xpath` loads
 * http/xpath.so here. */
bool http_conf_init(struct http_conf *c, const struct gp_check_spec *spec,
		    const struct gp_host_api *host, char *err, size_t errlen);
void http_conf_free(struct http_conf *c);

enum http_timing { HTTP_T_DNS, HTTP_T_CONNECT, HTTP_T_TLS, HTTP_T_FIRST_BYTE, HTTP_T_TOTAL, HTTP_TIMINGS };

/* What one transfer gave. */
struct http_answer {
	/* The transfer failed: the engine's reason, and what to check next
	 * (or NULL). NULL: an answer came (status and body below). */
	const char *failure, *failure_hint;
	bool oversized;                /* the body passed HTTP_BODY_MAX */
	const char *refused_redirect;  /* a redirect not followed: its URL */
	long status;
	const char *content_type;      /* or NULL */
	const char *body;              /* decoded, NUL-terminated; or NULL */
	size_t len;
	int64_t us[HTTP_TIMINGS];      /* from the start; -1: not measured */
};

/* The result the answer makes for request id, delivered to host. */
void http_report(const struct gp_host_api *host, uint64_t id, const struct http_conf *c,
		 const struct http_answer *a);

#endif
