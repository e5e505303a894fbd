/*
 * http_curl.c - http/curl.so: the transfers of the `http_get` collector
 * (libcurl, jansson). http.so (http.c) declares the kind and loads this
 * when the first check is set up; see http_engine.h.
 *
 * One curl easy handle per check, kept between polls, all in one curl
 * multi handle: connections are reused, and every transfer runs in the
 * host's poll loop through curl's socket and timer callbacks.
 *
 * A result says what the component answered:
 *   - a transfer failure (refused, timed out, TLS) is CRITICAL with curl's
 *     reason;
 *   - a status other than `expect_status` (or, without it, 400 and above)
 *     is CRITICAL;
 *   - the value is what `json` (an RFC 6901 pointer) or `xpath` selects in
 *     the body, else the body itself (trimmed); `match` must find its
 *     regular expression in the body;
 *   - what a result says is UTF-8 whatever the server sent (a cp1251 byte
 *     becomes '?', a cut never splits a character), an HTML error page in
 *     its <title> rather than its markup, a refused redirect as such;
 *   - the timings (name lookup, connect, TLS, first byte, total) are the
 *     result's metrics.
 * Bodies are capped at 4 MiB. XPath is http/xpath.so's (libxml2), loaded
 * only for a check that has one: XML is parsed there without network
 * access and without expanding entities, so an XXE payload stays inert.
 */
#define _GNU_SOURCE /* dladdr */
#include "collector.h"
#include "http_engine.h"
#include "text.h"
#include "json_pointer.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (4 * 1024 * 1024)
#define VALUE_MAX 1024
#define MAX_REDIRECTS 3

struct http_inst;

struct http_check {
	struct http_inst *in;
	CURL *easy;
	char *url;
	char *password; /* basic auth, from its file; never logged */
	char *body_to_send;
	char *json;
	char *xpath;
	char *match;
	regex_t re;
	bool has_re;
	long expect_status; /* 0: any status below 400 */
	bool tls_verify;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	/* the transfer in flight */
	bool busy;
	uint64_t id;
	char *buf;
	size_t len;
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
	if (c->len + n > BODY_MAX) {
		c->oversized = true;
		return 0; /* curl aborts the transfer */
	}
	char *b = realloc(c->buf, c->len + n + 1);
	if (!b)
		return 0;
	c->buf = b;
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return n;
}

/* ------------------------------------------------------------------ */
/* Turning an answer into a result                                     */

/* s[0..n) into out as printable UTF-8: control characters become spaces,
 * a byte that begins no UTF-8 character (a cp1251 page) becomes '?', and
 * what does not fit is cut at a character's start. A result's text must
 * be UTF-8: JSON (diag, status, the web API) cannot carry anything else. */
static void clean_copy(const char *s, size_t n, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t o = 0;
	while (p < end) {
		const unsigned char *bad = gp_utf8_bad(p, (size_t)(end - p));
		const unsigned char *stop = bad ? bad : end;
		size_t k = (size_t)(stop - p);
		if (o + k > size - 1) {
			k = size - 1 - o;
			while (k > 0 && (p[k] & 0xc0) == 0x80)
				k--; /* not inside a character */
			memcpy(out + o, p, k);
			o += k;
			break;
		}
		memcpy(out + o, p, k);
		o += k;
		p = stop;
		if (bad) {
			if (o + 1 > size - 1)
				break;
			out[o++] = '?';
			p++;
		}
	}
	out[o] = '\0';
	gp_text_clean(out);
}

/* The trimmed, printable head of s into out. */
static void excerpt(const char *s, size_t len, char *out, size_t size)
{
	while (len > 0 && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' ||
			   s[len - 1] == '\t'))
		len--;
	clean_copy(s, len, out, size);
}

/* Whether s (n bytes) starts with the ASCII word w, in any case. */
static bool starts_nocase(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);
	if (n < wl)
		return false;
	for (size_t i = 0; i < wl; i++)
		if (tolower((unsigned char)s[i]) != w[i])
			return false;
	return true;
}

/* What an error page says, for the result's message: of an HTML page
 * (nginx's, Apache's, a Java container's) its <title> or, without one,
 * its text without the tags, rather than the markup; else the body's
 * head. */
static void error_excerpt(struct http_check *c, char *out, size_t size)
{
	const char *b = c->buf ? c->buf : "";
	size_t n = c->len;
	char *ct = NULL;
	curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &ct);
	size_t lead = 0;
	while (lead < n && strchr(" \t\r\n", b[lead]))
		lead++;
	bool html = (ct && starts_nocase(ct, strlen(ct), "text/html")) ||
		    starts_nocase(b + lead, n - lead, "<!doctype html") ||
		    starts_nocase(b + lead, n - lead, "<html");
	if (!html) {
		excerpt(b, n, out, size);
		return;
	}
	for (size_t i = 0; i + 7 <= n; i++) {
		if (b[i] != '<' || !starts_nocase(b + i, n - i, "<title"))
			continue;
		const char *open = memchr(b + i, '>', n - i);
		if (!open)
			break;
		size_t from = (size_t)(open + 1 - b);
		for (size_t j = from; j + 8 <= n; j++)
			if (b[j] == '<' && starts_nocase(b + j, n - j, "</title")) {
				excerpt(b + from, j - from, out, size);
				if (out[0])
					return;
				break;
			}
		break;
	}
	/* No title: the text between the tags, each run of space as one. */
	char *text = malloc(n + 1);
	if (!text) {
		excerpt(b, n, out, size);
		return;
	}
	size_t t = 0;
	bool in_tag = false, space = false;
	for (size_t i = 0; i < n; i++) {
		char ch = b[i];
		if (in_tag) {
			in_tag = ch != '>';
			if (!in_tag)
				space = true;
			continue;
		}
		if (ch == '<') {
			in_tag = true;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = true;
			continue;
		}
		if (space && t > 0)
			text[t++] = ' ';
		space = false;
		text[t++] = ch;
	}
	excerpt(text, t, out, size);
	free(text);
}

/* The value the JSON pointer names, as text. */
static bool json_value(struct http_check *c, char *text, size_t size, char *why, size_t whylen)
{
	json_error_t err;
	json_t *root = json_loadb(c->buf ? c->buf : "", c->len, JSON_DECODE_ANY, &err);
	if (!root) {
		snprintf(why, whylen, "the body is not valid JSON (line %d, column %d: %s)", err.line,
			 err.column, err.text);
		return false;
	}
	size_t bad;
	json_t *v = gp_json_pointer(root, c->json, &bad);
	if (!v) {
		snprintf(why, whylen, "JSON pointer '%s' names nothing in the body (at '%s')", c->json,
			 c->json + bad);
		json_decref(root);
		return false;
	}
	if (json_is_string(v)) {
		clean_copy(json_string_value(v), json_string_length(v), text, size);
	} else if (json_is_integer(v)) {
		snprintf(text, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		/* The fewest digits that read back as the same number: 0.1,
		 * not 0.10000000000000001. */
		double d = json_real_value(v);
		for (int digits = 15; digits <= 17; digits++) {
			snprintf(text, size, "%.*g", digits, d);
			if (strtod(text, NULL) == d)
				break;
		}
	} else if (json_is_true(v)) {
		snprintf(text, size, "true");
	} else if (json_is_false(v)) {
		snprintf(text, size, "false");
	} else if (json_is_null(v)) {
		snprintf(text, size, "null");
	} else {
		char *dump = json_dumps(v, JSON_COMPACT);
		clean_copy(dump ? dump : "", dump ? strlen(dump) : 0, text, size);
		free(dump);
	}
	json_decref(root);
	return true;
}

/* xpath.so's evaluation, once loaded (load_xpath). */
static gp_http_xpath_fn xpath_eval;

/* name in the folder this object was loaded from, into path. */
static bool sibling_path(const char *name, char *path, size_t size, char *err, size_t errlen)
{
	Dl_info info;
	const char *self = NULL;
	if (dladdr((void *)&xpath_eval, &info) && info.dli_fname)
		self = info.dli_fname;
	const char *slash = self ? strrchr(self, '/') : NULL;
	if (!slash) {
		snprintf(err, errlen, "cannot tell the folder of the HTTP collector's modules");
		return false;
	}
	if (snprintf(path, size, "%.*s/%s", (int)(slash - self), self, name) >= (int)size) {
		snprintf(err, errlen, "the HTTP collector's folder name is too long");
		return false;
	}
	return true;
}

/* Loads xpath.so (libxml2) the first time a check needs it. */
static bool load_xpath(char *err, size_t errlen)
{
	if (xpath_eval)
		return true;
	char path[PATH_MAX];
	if (!sibling_path(GP_HTTP_XPATH_FILE, path, sizeof(path), err, errlen))
		return false;
	/* Bound as gp_http_dlopen_mode() says; RTLD_NODELETE: libxml2's
	 * global state stays with the process, as the registry keeps the
	 * collectors' libraries (plugin.c). */
	void *dl = dlopen(path, gp_http_dlopen_mode());
	if (!dl) {
		const char *e = dlerror();
		snprintf(err, errlen, "xpath needs the HTTP collector's XPath module: %s",
			 e ? e : path);
		return false;
	}
	/* POSIX allows this conversion for dlsym results. */
	*(void **)&xpath_eval = dlsym(dl, GP_HTTP_XPATH_ENTRY);
	if (!xpath_eval) {
		snprintf(err, errlen, "%s lacks the symbol '%s'", path, GP_HTTP_XPATH_ENTRY);
		dlclose(dl);
		return false;
	}
	return true;
}

static bool xpath_value(struct http_check *c, char *text, size_t size, char *why, size_t whylen)
{
	char *v = NULL;
	if (!xpath_eval(c->buf, c->len, c->xpath, &v, why, whylen))
		return false;
	clean_copy(v, strlen(v), text, size);
	free(v);
	return true;
}

static const char *status_hint(long status)
{
	if (status == 401 || status == 403)
		return "the server refuses the probe's credentials: check http.user and its "
		       "password_file";
	if (status == 404)
		return "no such path on this server: check the URL (http.base_url and the check's path)";
	if (status == 502 || status == 504)
		return "a proxy or load balancer cannot reach the component behind it";
	if (status == 503)
		return "the component answers but reports itself unavailable: check its own health "
		       "and its back ends (Configuration Server, database, Stat Server)";
	if (status >= 500)
		return "the component fails internally: see its log";
	return NULL;
}

static const char *curl_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return "nothing listens there: the web server or the component is down";
	case CURLE_OPERATION_TIMEDOUT:
		return "no answer in time: the component hangs, or a firewall drops the packets";
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
		return "the server redirects in a loop: check its redirect rules";
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
	clean_copy(url, strlen(url), where, size);
	return true;
}

static void finish(struct http_inst *in, struct http_check *c, CURLcode rc)
{
	char text[VALUE_MAX], request[1200], why[600], where[1200] = "",
		msg[sizeof(request) + sizeof(where) + CURL_ERROR_SIZE + VALUE_MAX];
	long status = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	snprintf(request, sizeof(request), "%s %s", c->body_to_send ? "POST" : "GET", c->url);

	struct gp_result res = {.state = GP_STATE_OK, .message = msg, .request = request};
	static const struct {
		CURLINFO info;
		const char *name;
	} timings[] = {
		{CURLINFO_NAMELOOKUP_TIME_T, "dns_ms"},    {CURLINFO_CONNECT_TIME_T, "connect_ms"},
		{CURLINFO_APPCONNECT_TIME_T, "tls_ms"},    {CURLINFO_STARTTRANSFER_TIME_T, "first_byte_ms"},
		{CURLINFO_TOTAL_TIME_T, "total_ms"},
	};
	for (size_t i = 0; i < sizeof(timings) / sizeof(timings[0]); i++) {
		curl_off_t us = 0;
		if (curl_easy_getinfo(c->easy, timings[i].info, &us) == CURLE_OK && us >= 0) {
			res.metrics[res.n_metrics++] =
				(struct gp_metric){timings[i].name, (double)us / 1000.0, "ms"};
		}
	}
	/* The body's size as received (decoded), as check_http reports it. */
	res.metrics[res.n_metrics++] = (struct gp_metric){"size", (double)c->len, "B"};

	/* Over the cap: announced (Content-Length, curl stops at once) or
	 * found while reading (our write callback stops). */
	if (rc == CURLE_FILESIZE_EXCEEDED)
		c->oversized = true;
	if (rc != CURLE_OK) {
		res.state = GP_STATE_CRITICAL;
		if (c->oversized)
			snprintf(msg, sizeof(msg), "the body is larger than %d MiB; transfer stopped",
				 BODY_MAX / (1024 * 1024));
		else if (refused_redirect(c, rc, where, sizeof(where)))
			snprintf(msg, sizeof(msg), "%s failed: the redirect to %s is refused (%s)",
				 request, where,
				 strncmp(where, "http:", 5) == 0 ? "https:// to plain http://, a downgrade"
								  : "only http:// and https:// are followed");
		else
			snprintf(msg, sizeof(msg), "%s failed: %s", request,
				 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		res.hint = c->oversized ? "check that the URL is the health page, not a data export"
			   : where[0] && strncmp(where, "http:", 5) != 0
				   ? "the server redirects the probe away from the web: check its "
				     "redirect rules"
				   : curl_hint(rc);
		gp_text_clean(msg);
	} else if (c->expect_status ? status != c->expect_status : status >= 400) {
		res.state = GP_STATE_CRITICAL;
		char body[200];
		error_excerpt(c, body, sizeof(body));
		if (c->expect_status)
			snprintf(msg, sizeof(msg), "HTTP %ld (expected %ld)%s%s", status, c->expect_status,
				 body[0] ? ": " : "", body);
		else
			snprintf(msg, sizeof(msg), "HTTP %ld%s%s", status, body[0] ? ": " : "", body);
		res.hint = status_hint(status);
	} else if (c->has_re && regexec(&c->re, c->buf ? c->buf : "", 0, NULL, 0) != 0) {
		res.state = GP_STATE_CRITICAL;
		snprintf(msg, sizeof(msg), "HTTP %ld, but the body does not match '%s'", status, c->match);
	} else {
		bool ok = true;
		if (c->json)
			ok = json_value(c, text, sizeof(text), why, sizeof(why));
		else if (c->xpath)
			ok = xpath_value(c, text, sizeof(text), why, sizeof(why));
		else
			excerpt(c->buf ? c->buf : "", c->len, text, sizeof(text));
		if (!ok) {
			res.state = GP_STATE_CRITICAL;
			snprintf(msg, sizeof(msg), "HTTP %ld, but %s", status, why);
			res.hint = "the component answers with something other than its health document";
		} else {
			res.text = text;
			char *end;
			errno = 0;
			double d = strtod(text, &end);
			if (text[0] && end != text && *end == '\0' && errno == 0) {
				res.has_value = true;
				res.value = d;
			}
			curl_off_t total = 0;
			curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &total);
			snprintf(msg, sizeof(msg), "HTTP %ld in %.1f ms%s%s%s%.200s", status,
				 (double)total / 1000.0, c->json || c->xpath ? ", " : "",
				 c->json ? c->json : c->xpath ? c->xpath : "", c->json || c->xpath ? " = " : "",
				 c->json || c->xpath ? text : "");
			if (!c->tls_verify && strncmp(c->url, "https:", 6) == 0)
				res.hint = "warning: TLS certificates are not verified for this target "
					   "(http.tls_verify: false): a man in the middle would go "
					   "unnoticed";
		}
	}
	c->busy = false;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	in->host->complete(in->host->ctx, c->id, &res);
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
	if (c->password) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	if (c->has_re)
		regfree(&c->re);
	free(c->url);
	free(c->body_to_send);
	free(c->json);
	free(c->xpath);
	free(c->match);
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
	const char *base = gp_spec_option(spec, "http.base_url");
	const char *arg = spec->arg ? spec->arg : "";
	if (strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0) {
		c->url = strdup(arg);
	} else if (base) {
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		size_t n = bl + strlen(arg) + 1;
		c->url = malloc(n);
		snprintf(c->url, n, "%.*s%s", (int)bl, base, arg);
	} else {
		snprintf(err, errlen, "'%s' is a path and the target has no http.base_url", arg);
		check_release(c);
		return NULL;
	}
	const char *tv = gp_spec_option(spec, "http.tls_verify");
	c->tls_verify = !tv || strcmp(tv, "false") != 0;
	const char *st = gp_spec_option(spec, "expect_status");
	c->expect_status = st ? atol(st) : 0;
	const char *v;
	if ((v = gp_spec_option(spec, "json")))
		c->json = strdup(v);
	if ((v = gp_spec_option(spec, "xpath"))) {
		if (!load_xpath(err, errlen)) {
			check_release(c);
			return NULL;
		}
		c->xpath = strdup(v);
	}
	if ((v = gp_spec_option(spec, "match"))) {
		int rc = regcomp(&c->re, v, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &c->re, err, errlen);
			check_release(c);
			return NULL;
		}
		c->has_re = true;
		c->match = strdup(v);
	}
	const char *method = gp_spec_option(spec, "method");
	if (method && strcmp(method, "POST") == 0) {
		v = gp_spec_option(spec, "body");
		c->body_to_send = strdup(v ? v : "");
	}

	CURL *e = c->easy = curl_easy_init();
	if (!e) {
		snprintf(err, errlen, "curl_easy_init failed");
		check_release(c);
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)spec->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)spec->timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* An https:// check never follows a redirect to plain http (a
	 * downgrade anyone on the path could fake) unless it says so. */
	const struct gp_option *down = gp_spec_find(spec, "allow_downgrade");
	bool https = strncmp(c->url, "https:", 6) == 0;
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
			 https && !(down && down->number) ? "https" : "http,https");
	/* Whatever the server compresses, decoded (the body cap applies to
	 * what is decoded); health pages asked fresh, past any cache. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	c->headers = curl_slist_append(NULL, "Cache-Control: no-cache");
	c->headers = curl_slist_append(c->headers, "Pragma: no-cache");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "gprobe");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	if ((v = gp_spec_option(spec, "http.ca_file")))
		curl_easy_setopt(e, CURLOPT_CAINFO, v);
	const char *user = gp_spec_option(spec, "http.user");
	if (user) {
		c->password = in->host->read_secret(in->host->ctx, gp_spec_option(spec, "http.password_file"), err, errlen);
		if (!c->password) {
			check_release(c);
			return NULL;
		}
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->password);
	}
	if (c->body_to_send) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body_to_send);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body_to_send));
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
