/*
 * http_answer.c - a check's configuration and the reading of its answer,
 * compiled into both HTTP transfer engines (http_answer.h).
 *
 * A result says what the component answered:
 *   - a transfer failure (refused, timed out, TLS) is CRITICAL with the
 *     engine's reason;
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
 * XPath is http/xpath.so's (libxml2), loaded only for a check that has
 * one: XML is parsed there without network access and without expanding
 * entities, so an XXE payload stays inert.
 */
#define _GNU_SOURCE /* dladdr */
#include "http_answer.h"
#include "http_engine.h"
#include "json_pointer.h"
#include "text.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 1024

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


/* ------------------------------------------------------------------ */
/* A check's configuration                                             */

static char *dup_option(const struct gp_check_spec *spec, const char *key, bool *oom)
{
	const char *v = gp_spec_option(spec, key);
	char *d = v ? strdup(v) : NULL;
	if (v && !d)
		*oom = true;
	return d;
}

bool http_conf_init(struct http_conf *c, const struct gp_check_spec *spec,
		    const struct gp_host_api *host, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	bool oom = false;
	const char *base = gp_spec_option(spec, "http.base_url");
	const char *arg = spec->arg ? spec->arg : "";
	if (strncmp(arg, "http://", 7) == 0 || strncmp(arg, "https://", 8) == 0) {
		c->url = strdup(arg);
	} else if (base) {
		size_t bl = strlen(base);
		while (bl > 0 && base[bl - 1] == '/')
			bl--;
		size_t n = bl + strlen(arg) + 1;
		if ((c->url = malloc(n)))
			snprintf(c->url, n, "%.*s%s", (int)bl, base, arg);
	} else {
		snprintf(err, errlen, "'%s' is a path and the target has no http.base_url", arg);
		return false;
	}
	oom |= !c->url;
	const char *tv = gp_spec_option(spec, "http.tls_verify");
	c->tls_verify = !tv || strcmp(tv, "false") != 0;
	const struct gp_option *down = gp_spec_find(spec, "allow_downgrade");
	c->allow_downgrade = down && down->number;
	const char *st = gp_spec_option(spec, "expect_status");
	c->expect_status = st ? atol(st) : 0;
	c->json = dup_option(spec, "json", &oom);
	c->ca_file = dup_option(spec, "http.ca_file", &oom);
	const char *v;
	if ((v = gp_spec_option(spec, "xpath"))) {
		if (!load_xpath(err, errlen)) {
			http_conf_free(c);
			return false;
		}
		c->xpath = dup_option(spec, "xpath", &oom);
	}
	if ((v = gp_spec_option(spec, "match"))) {
		int rc = regcomp(&c->re, v, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &c->re, err, errlen);
			http_conf_free(c);
			return false;
		}
		c->has_re = true;
		c->match = dup_option(spec, "match", &oom);
	}
	const char *method = gp_spec_option(spec, "method");
	if (method && strcmp(method, "POST") == 0) {
		v = gp_spec_option(spec, "body");
		oom |= !(c->body_to_send = strdup(v ? v : ""));
	}
	if (!oom && (c->user = dup_option(spec, "http.user", &oom))) {
		c->password = host->read_secret(host->ctx, gp_spec_option(spec, "http.password_file"),
						err, errlen);
		if (!c->password) {
			http_conf_free(c);
			return false;
		}
	}
	if (oom) {
		snprintf(err, errlen, "out of memory");
		http_conf_free(c);
		return false;
	}
	return true;
}

void http_conf_free(struct http_conf *c)
{
	if (c->password) {
		memset(c->password, 0, strlen(c->password));
		free(c->password);
	}
	if (c->has_re)
		regfree(&c->re);
	free(c->url);
	free(c->user);
	free(c->body_to_send);
	free(c->json);
	free(c->xpath);
	free(c->match);
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* Reading a body                                                      */

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
static void error_excerpt(const struct http_answer *a, char *out, size_t size)
{
	const char *b = a->body ? a->body : "";
	size_t n = a->len;
	const char *ct = a->content_type;
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
static bool json_value(const struct http_conf *c, const struct http_answer *a, char *text,
		       size_t size, char *why, size_t whylen)
{
	json_error_t err;
	json_t *root = json_loadb(a->body ? a->body : "", a->len, JSON_DECODE_ANY, &err);
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

static bool xpath_value(const struct http_conf *c, const struct http_answer *a, char *text,
			size_t size, char *why, size_t whylen)
{
	char *v = NULL;
	if (!xpath_eval(a->body ? a->body : "", a->len, c->xpath, &v, why, whylen))
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


/* ------------------------------------------------------------------ */
/* Turning an answer into a result                                     */

void http_report(const struct gp_host_api *host, uint64_t id, const struct http_conf *c,
		 const struct http_answer *a)
{
	char text[VALUE_MAX], request[1200], why[600], where[1200] = "",
		msg[sizeof(request) + sizeof(where) + 512 + VALUE_MAX];
	long status = a->status;
	snprintf(request, sizeof(request), "%s %s", c->body_to_send ? "POST" : "GET", c->url);

	struct gp_result res = {.state = GP_STATE_OK, .message = msg, .request = request};
	static const char *const timing_names[HTTP_TIMINGS] = {
		[HTTP_T_DNS] = "dns_ms", [HTTP_T_CONNECT] = "connect_ms", [HTTP_T_TLS] = "tls_ms",
		[HTTP_T_FIRST_BYTE] = "first_byte_ms", [HTTP_T_TOTAL] = "total_ms",
	};
	for (size_t i = 0; i < HTTP_TIMINGS; i++)
		if (a->us[i] >= 0)
			res.metrics[res.n_metrics++] =
				(struct gp_metric){timing_names[i], (double)a->us[i] / 1000.0, "ms"};
	/* The body's size as received (decoded), as check_http reports it. */
	res.metrics[res.n_metrics++] = (struct gp_metric){"size", (double)a->len, "B"};

	if (a->refused_redirect)
		clean_copy(a->refused_redirect, strlen(a->refused_redirect), where, sizeof(where));
	if (a->failure || a->oversized) {
		res.state = GP_STATE_CRITICAL;
		if (a->oversized)
			snprintf(msg, sizeof(msg), "the body is larger than %d MiB; transfer stopped",
				 HTTP_BODY_MAX / (1024 * 1024));
		else if (where[0])
			snprintf(msg, sizeof(msg), "%s failed: the redirect to %s is refused (%s)",
				 request, where,
				 strncmp(where, "http:", 5) == 0 ? "https:// to plain http://, a downgrade"
								  : "only http:// and https:// are followed");
		else
			snprintf(msg, sizeof(msg), "%s failed: %s", request, a->failure);
		res.hint = a->oversized ? "check that the URL is the health page, not a data export"
			   : !where[0] ? a->failure_hint
			   : strncmp(where, "http:", 5) == 0
				   ? "a redirect from https:// to plain http:// is refused (a downgrade); "
				     "fix the server's redirect, or set allow_downgrade: true on the check"
				   : "the server redirects the probe away from the web: check its "
				     "redirect rules";
		gp_text_clean(msg);
	} else if (c->expect_status ? status != c->expect_status : status >= 400) {
		res.state = GP_STATE_CRITICAL;
		char body[200];
		error_excerpt(a, body, sizeof(body));
		if (c->expect_status)
			snprintf(msg, sizeof(msg), "HTTP %ld (expected %ld)%s%s", status, c->expect_status,
				 body[0] ? ": " : "", body);
		else
			snprintf(msg, sizeof(msg), "HTTP %ld%s%s", status, body[0] ? ": " : "", body);
		res.hint = status_hint(status);
	} else if (c->has_re && regexec(&c->re, a->body ? a->body : "", 0, NULL, 0) != 0) {
		res.state = GP_STATE_CRITICAL;
		snprintf(msg, sizeof(msg), "HTTP %ld, but the body does not match '%s'", status, c->match);
	} else {
		bool ok = true;
		if (c->json)
			ok = json_value(c, a, text, sizeof(text), why, sizeof(why));
		else if (c->xpath)
			ok = xpath_value(c, a, text, sizeof(text), why, sizeof(why));
		else
			excerpt(a->body ? a->body : "", a->len, text, sizeof(text));
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
			int64_t total = a->us[HTTP_T_TOTAL] > 0 ? a->us[HTTP_T_TOTAL] : 0;
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
	host->complete(host->ctx, id, &res);
}
