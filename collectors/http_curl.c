/*
 * http_curl.c - http/curl.so: the transfers of the `http_get` collector
 * (libcurl, jansson). http.so (http.c) declares the kind and loads this
 * when the first check is set up; see http_engine.h.
 *
 * One curl easy handle per check, kept between polls, all in one curl
 * multi handle: connections are reused, and every transfer runs in the
 * host's poll loop through curl's socket and timer callbacks.
 *
 * What an answer means is http_answer.c's, shared with http/plain.so.
 */
#include "collector.h"
#include "http_answer.h"
#include "http_engine.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_inst;

struct http_check {
	struct http_inst *in;
	CURL *easy;
	struct http_conf conf;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	/* the transfer in flight */
	bool busy;
	uint64_t id;
	char *buf;
	size_t len, cap;
	bool oversized;
};

struct sock {
	curl_socket_t fd;
	int what; /* CURL_POLL_IN / OUT / INOUT */
};

struct http_inst {
	const struct gp_host_api *host;
	CURLM *multi;
	struct sock *socks;
	size_t n_socks, cap_socks;
	int64_t timer_due_us; /* -1: no timer */
};

static bool library_ready; /* curl_global_init, once */

static int64_t now_us(struct http_inst *in)
{
	return in->host->now_us(in->host->ctx);
}

/* ------------------------------------------------------------------ */
/* curl's callbacks                                                    */

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)e;
	(void)socketp;
	struct http_inst *in = userp;
	size_t i;
	for (i = 0; i < in->n_socks; i++)
		if (in->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < in->n_socks)
			in->socks[i] = in->socks[--in->n_socks];
		return 0;
	}
	if (i == in->n_socks) {
		if (in->n_socks == in->cap_socks) {
			size_t nc = in->cap_socks ? in->cap_socks * 2 : 16;
			struct sock *v = realloc(in->socks, nc * sizeof(*v));
			if (!v)
				return -1;
			in->socks = v;
			in->cap_socks = nc;
		}
		in->n_socks++;
	}
	in->socks[i] = (struct sock){.fd = fd, .what = what};
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http_inst *in = userp;
	in->timer_due_us = timeout_ms < 0 ? -1 : now_us(in) + (int64_t)timeout_ms * 1000;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_check *c = userp;
	size_t n = size * nmemb;
	if (c->len + n > HTTP_BODY_MAX) {
		c->oversized = true;
		return 0; /* curl aborts the transfer */
	}
	/* Grown by doubling: a realloc of the whole body for each 16 KB
	 * that comes copied a 4 MiB one 256 times, and held the daemon's
	 * loop for a second under the sanitizers. */
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *b = realloc(c->buf, cap);
		if (!b)
			return 0;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return n;
}

/* ------------------------------------------------------------------ */
/* Turning an answer into a result                                     */

static const char *curl_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return HTTP_HINT_NOT_LISTENING;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_HINT_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return "the host name does not resolve from the probe: check DNS";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "the certificate is not trusted: set http.ca_file to the site's CA, or check "
		       "the certificate's name and dates";
	case CURLE_SSL_CONNECT_ERROR:
		return "the TLS handshake failed: check the server's TLS setup";
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "a redirect from https:// to plain http:// is refused (a downgrade); "
		       "fix the server's redirect, or set allow_downgrade: true on the check";
	case CURLE_TOO_MANY_REDIRECTS:
		return HTTP_HINT_REDIRECT_LOOP;
	default:
		return NULL;
	}
}

/* Whether the transfer failed on a redirect to a scheme the check does
 * not follow (curl says only 'Protocol "http" not supported or disabled in
 * libcurl', as if curl lacked HTTP); where: the URL it was sent to. */
static bool refused_redirect(struct http_check *c, CURLcode rc, char *where, size_t size)
{
	long hops = 0;
	char *url = NULL;
	if (rc != CURLE_UNSUPPORTED_PROTOCOL ||
	    curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_COUNT, &hops) != CURLE_OK || hops <= 0 ||
	    curl_easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || !url)
		return false;
	snprintf(where, size, "%s", url);
	return true;
}

static void finish(struct http_inst *in, struct http_check *c, CURLcode rc)
{
	char where[1200] = "";
	struct http_answer a = {.body = c->buf, .len = c->len};
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &a.status);
	char *ct = NULL;
	curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ct);
	a.content_type = ct;
	static const CURLINFO timings[HTTP_TIMINGS] = {
		[HTTP_T_DNS] = CURLINFO_NAMELOOKUP_TIME_T, [HTTP_T_CONNECT] = CURLINFO_CONNECT_TIME_T,
		[HTTP_T_TLS] = CURLINFO_APPCONNECT_TIME_T, [HTTP_T_FIRST_BYTE] = CURLINFO_STARTTRANSFER_TIME_T,
		[HTTP_T_TOTAL] = CURLINFO_TOTAL_TIME_T,
	};
	for (size_t i = 0; i < HTTP_TIMINGS; i++) {
		curl_off_t us = -1;
		if (curl_easy_getinfo(c->easy, timings[i], &us) != CURLE_OK)
			us = -1;
		a.us[i] = us;
	}
	/* Over the cap: announced (Content-Length, curl stops at once) or
	 * found while reading (our write callback stops). */
	a.oversized = c->oversized || rc == CURLE_FILESIZE_EXCEEDED;
	if (rc != CURLE_OK) {
		a.failure = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
		a.failure_hint = curl_hint(rc);
		if (refused_redirect(c, rc, where, sizeof(where)))
			a.refused_redirect = where;
	}
	c->busy = false;
	http_report(in->host, c->id, &c->conf, &a);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static void drain(struct http_inst *in)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(in->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct http_check *c = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
		curl_multi_remove_handle(in->multi, e);
		if (c)
			finish(in, c, rc);
	}
}

/* ------------------------------------------------------------------ */
/* The ABI                                                             */

static void *http_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	if (!library_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "curl_global_init failed");
			return NULL;
		}
		library_ready = true;
	}
	struct http_inst *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->host = host;
	in->timer_due_us = -1;
	in->multi = curl_multi_init();
	if (!in->multi) {
		free(in);
		snprintf(err, errlen, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(in->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(in->multi, CURLMOPT_SOCKETDATA, in);
	curl_multi_setopt(in->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(in->multi, CURLMOPT_TIMERDATA, in);
	/* Keep one connection per target alive between polls. */
	curl_multi_setopt(in->multi, CURLMOPT_MAXCONNECTS, 1024L);
	return in;
}

static void check_release(struct http_check *c)
{
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	http_conf_free(&c->conf);
	free(c->buf);
	free(c);
}

static void *http_check_new(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen)
{
	struct http_inst *in = inst;
	struct http_check *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in = in;
	if (!http_conf_init(&c->conf, spec, in->host, err, errlen)) {
		free(c);
		return NULL;
	}
	const struct http_conf *k = &c->conf;
	CURL *e = c->easy = curl_easy_init();
	if (!e) {
		snprintf(err, errlen, "curl_easy_init failed");
		check_release(c);
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_URL, k->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)spec->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)spec->timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* An https:// check never follows a redirect to plain http (a
	 * downgrade anyone on the path could fake) unless it says so. */
	bool https = strncmp(k->url, "https:", 6) == 0;
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
			 https && !k->allow_downgrade ? "https" : "http,https");
	/* Whatever the server compresses, decoded (the body cap applies to
	 * what is decoded); health pages asked fresh, past any cache. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	c->headers = curl_slist_append(NULL, "Cache-Control: no-cache");
	c->headers = curl_slist_append(c->headers, "Pragma: no-cache");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gprobe");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, k->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, k->tls_verify ? 2L : 0L);
	if (k->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, k->ca_file);
	if (k->user) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, k->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, k->password);
	}
	if (k->body_to_send) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body_to_send);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(k->body_to_send));
	}
	return c;
}

static int http_start(void *inst, void *check, uint64_t id)
{
	struct http_inst *in = inst;
	struct http_check *c = check;
	if (c->busy)
		return -1;
	c->id = id;
	c->busy = true;
	c->len = 0;
	c->oversized = false;
	c->errbuf[0] = '\0';
	if (curl_multi_add_handle(in->multi, c->easy) != CURLM_OK) {
		c->busy = false;
		return -1;
	}
	return 0;
}

static int http_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct http_inst *in = inst;
	for (size_t i = 0; i < in->n_socks && (int)i < max; i++) {
		short ev = 0;
		if (in->socks[i].what & CURL_POLL_IN)
			ev |= POLLIN;
		if (in->socks[i].what & CURL_POLL_OUT)
			ev |= POLLOUT;
		fds[i] = (struct gp_pollfd){.fd = in->socks[i].fd, .events = ev};
	}
	if (in->timer_due_us < 0) {
		*timeout_ms = -1;
	} else {
		int64_t left = in->timer_due_us - now_us(in);
		*timeout_ms = left <= 0 ? 0 : (left + 999) / 1000;
	}
	return (int)in->n_socks;
}

static void http_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct http_inst *in = inst;
	int running;
	for (int i = 0; i < nfds; i++) {
		if (!fds[i].revents)
			continue;
		int ev = 0;
		if (fds[i].revents & POLLIN)
			ev |= CURL_CSELECT_IN;
		if (fds[i].revents & POLLOUT)
			ev |= CURL_CSELECT_OUT;
		if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			ev |= CURL_CSELECT_ERR;
		curl_multi_socket_action(in->multi, fds[i].fd, ev, &running);
	}
	if (in->timer_due_us >= 0 && now_us(in) >= in->timer_due_us) {
		in->timer_due_us = -1;
		curl_multi_socket_action(in->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	drain(in);
}

static void http_check_free(void *inst, void *check)
{
	struct http_inst *in = inst;
	struct http_check *c = check;
	if (c->busy)
		curl_multi_remove_handle(in->multi, c->easy);
	check_release(c);
}

static void http_fini(void *inst)
{
	struct http_inst *in = inst;
	curl_multi_cleanup(in->multi);
	free(in->socks);
	free(in);
}
/* ------------------------------------------------------------------ */
/* What http.so calls                                                  */

static const struct gp_collector http_engine = {
	.abi_version = GP_COLLECTOR_ABI_VERSION,
	.name = "http",
	.init = http_init,
	.check_new = http_check_new,
	.start = http_start,
	.poll_fds = http_poll_fds,
	.dispatch = http_dispatch,
	.check_free = http_check_free,
	.fini = http_fini,
};

GP_COLLECTOR_EXPORT const struct gp_collector *gp_http_engine_entry(void)
{
	return &http_engine;
}
