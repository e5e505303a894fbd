/*
 * http_plain.c - http/plain.so: a small HTTP/1.1 client over a plain
 * socket, for the requests of a one-shot run (check_genesys) to an http://
 * URL whose host is an address. See http_engine.h for when http.so picks
 * it over curl.so.
 *
 * Why it exists: a one-shot run pays for every library it loads, and
 * libcurl brings some thirty (Kerberos, LDAP, GnuTLS, nghttp2, librtmp...):
 * loading and binding them was 5 of the 7 ms of CPU an HTTP check_genesys
 * took, against 2.2 ms for check_http. This engine links only
 * libhttp-parser (the response's syntax, Node.js's parser) and zlib, and
 * jansson through http_answer.c. The daemon loads libcurl once and keeps
 * its connections open between polls, so it stays with curl.so.
 *
 * What it does: GET or POST with the same headers as curl.so (basic auth,
 * no-cache, a gzip or deflate body decoded), redirects to http:// at an
 * address followed up to HTTP_MAX_REDIRECTS (a POST becomes a GET after a
 * 301, 302 or 303, as curl does), 1xx answers skipped, one deadline for the
 * whole request, the body capped at HTTP_BODY_MAX as it is decoded.
 *
 * What it hands back to curl.so (gp_http_plain.check_new declines, or the
 * handover call restarts the request there from its first URL): a host
 * name (resolving would block), a proxy in the environment, credentials in
 * the URL, a redirect to https:// or to a host name, an encoding other than
 * gzip and deflate. The answer is read by http_answer.c either way, so a
 * check reads the same whichever engine fetched it.
 */
#include "collector.h"
#include "http_answer.h"
#include "http_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK 16384
#define HEADER_VALUE_MAX 2048

/* Where a URL points, when this engine can go there. */
struct place {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char authority[300]; /* host[:port] as written: the Host header */
	char *path;          /* malloc'd: path and query, from '/' */
};

enum phase { CONNECTING, SENDING, READING };
enum header { H_OTHER, H_TYPE, H_LOCATION, H_ENCODING };

struct plain_inst;

struct plain_check {
	struct plain_inst *in;
	struct http_conf conf;
	void *token; /* http.so's, for a handover */
	int64_t timeout_ms;
	char *auth;  /* "Basic ..." for the first URL's authority; wiped on free */
	char origin[300]; /* that authority */

	/* the request in flight */
	bool busy;
	size_t slot; /* in in->busy, while busy */
	uint64_t id;
	int fd;
	enum phase phase;
	int hops;
	bool post;
	struct place at;
	char *req;
	size_t req_len, req_sent;
	http_parser parser;
	enum header header;
	bool in_value;
	char field[32];
	size_t field_len;
	char *type, *location;
	char value[HEADER_VALUE_MAX];
	size_t value_len;
	bool encoded, inflating, done, failed_decode, decline, cut, oom;
	int interim; /* 1xx answers so far */
	z_stream z;
	char *buf;
	size_t len, cap;
	bool oversized;
	long status;
	int64_t t0, deadline;
	int64_t us[HTTP_TIMINGS];
	size_t received;
};

struct plain_inst {
	const struct gp_host_api *host;
	gp_http_handover_fn handover;
	void *handover_ctx;
	struct plain_check **busy; /* a slot is NULL once its request ends */
	size_t n_busy, cap_busy;
};

static int64_t now_us(struct plain_inst *in)
{
	return in->host->now_us(in->host->ctx);
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */

/* url as a place this engine can reach: "http://" an IPv4 address or a
 * bracketed IPv6 one, an optional port, a path of printable ASCII. False
 * for anything else (curl.so's then). */
static bool place_of(const char *url, struct place *p)
{
	memset(p, 0, sizeof(*p));
	if (strncmp(url, "http://", 7) != 0)
		return false;
	const char *a = url + 7, *end = a + strcspn(a, "/?#");
	size_t alen = (size_t)(end - a);
	if (alen == 0 || alen >= sizeof(p->authority) || memchr(a, '@', alen))
		return false;
	memcpy(p->authority, a, alen);
	char host[64];
	const char *port = NULL;
	if (a[0] == '[') {
		const char *close = memchr(a, ']', alen);
		if (!close || (size_t)(close - a - 1) >= sizeof(host))
			return false;
		memcpy(host, a + 1, (size_t)(close - a - 1));
		host[close - a - 1] = '\0';
		if (close + 1 < end && close[1] != ':')
			return false;
		port = close + 1 < end ? close + 2 : NULL;
	} else {
		const char *colon = memchr(a, ':', alen);
		size_t hl = colon ? (size_t)(colon - a) : alen;
		if (hl >= sizeof(host))
			return false;
		memcpy(host, a, hl);
		host[hl] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	long pn = 80;
	if (port) {
		if (port == end)
			return false;
		pn = 0;
		for (const char *q = port; q < end; q++) {
			if (*q < '0' || *q > '9' || (pn = pn * 10 + (*q - '0')) > 65535)
				return false;
		}
		if (pn == 0)
			return false;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&p->addr;
	if (a[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)pn);
		p->addrlen = sizeof(*v4);
	} else if (a[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)pn);
		p->addrlen = sizeof(*v6);
	} else {
		return false; /* a name: resolving it would block */
	}
	size_t plen = strcspn(end, "#");
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)end[i] <= 0x20 || (unsigned char)end[i] >= 0x7f)
			return false;
	p->path = malloc(plen + 2);
	if (!p->path)
		return false;
	snprintf(p->path, plen + 2, "%s%.*s", end[0] == '/' ? "" : "/", (int)plen, end);
	return true;
}

/* Whether s starts with a URI scheme and ':' (RFC 3986 3.1), before any
 * '/', '?' or '#'. */
static bool has_scheme(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s && !strchr("/?#", *s); s++) {
		if (*s == ':')
			return true;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))
			return false;
	}
	return false;
}

/* A Location header resolved against the URL it came from (RFC 3986
 * 5.2.2, dot segments left to the server): malloc'd, or NULL. */
static char *resolve(const struct place *from, const char *loc)
{
	size_t n = strlen(loc) + strlen(from->authority) + strlen(from->path) + 16;
	char *u = malloc(n);
	if (!u)
		return NULL;
	size_t path_len = strcspn(from->path, "?");
	if (has_scheme(loc))
		snprintf(u, n, "%s", loc);
	else if (loc[0] == '/' && loc[1] == '/')
		snprintf(u, n, "http:%s", loc);
	else if (loc[0] == '/')
		snprintf(u, n, "http://%s%s", from->authority, loc);
	else if (loc[0] == '?') /* the same path, another query */
		snprintf(u, n, "http://%s%.*s%s", from->authority, (int)path_len, from->path, loc);
	else {
		size_t dir = path_len;
		while (dir > 0 && from->path[dir - 1] != '/')
			dir--;
		snprintf(u, n, "http://%s%.*s%s", from->authority, (int)dir, from->path, loc);
	}
	return u;
}

/* The statuses whose Location is followed, as curl follows them. */
static bool is_redirect(long s)
{
	return s == 300 || s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* "Basic " and base64 (RFC 4648) of user:password; malloc'd. */
static char *basic_auth(const char *user, const char *password)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t ul = strlen(user), pl = strlen(password), n = ul + 1 + pl;
	unsigned char *raw = malloc(n);
	char *out = malloc(6 + (n + 2) / 3 * 4 + 1);
	if (!raw || !out) {
		free(raw);
		free(out);
		return NULL;
	}
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, password, pl);
	char *o = out + 6;
	memcpy(out, "Basic ", 6);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0) |
			     (i + 2 < n ? raw[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	memset(raw, 0, n);
	free(raw);
	return out;
}

/* ------------------------------------------------------------------ */
/* A request's life                                                    */

static void reset_answer(struct plain_check *c)
{
	free(c->type);
	free(c->location);
	c->type = c->location = NULL;
	if (c->inflating)
		inflateEnd(&c->z);
	c->inflating = c->encoded = c->failed_decode = false;
	c->len = 0;
	c->header = H_OTHER;
	c->in_value = false;
	c->cut = false;
	c->field_len = c->value_len = 0;
	c->status = 0;
}

static void close_fd(struct plain_check *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void end_request(struct plain_check *c)
{
	close_fd(c);
	reset_answer(c);
	free(c->at.path);
	c->at.path = NULL;
	free(c->req);
	c->req = NULL;
	if (c->busy)
		c->in->busy[c->slot] = NULL;
	c->busy = false;
}

static void fail(struct plain_check *c, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Completes the request as a transfer failure. */
static void fail(struct plain_check *c, const char *hint, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	struct http_answer a = {.failure = why, .failure_hint = hint, .oversized = c->oversized,
				.len = c->len};
	memcpy(a.us, c->us, sizeof(a.us));
	a.us[HTTP_T_TOTAL] = now_us(c->in) - c->t0;
	uint64_t id = c->id;
	end_request(c);
	http_report(c->in->host, id, &c->conf, &a);
}

/* The request goes to curl.so, from its first URL, with the time it has
 * left (a POST is then sent again). */
static void hand_over(struct plain_check *c)
{
	uint64_t id = c->id;
	int64_t left_ms = (c->deadline - now_us(c->in)) / 1000;
	end_request(c);
	c->in->handover(c->in->handover_ctx, c->token, id, left_ms);
}

/* Completes the request: its connection failed with errno e. */
static void connect_failed(struct plain_check *c, int e)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&c->at.addr;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&c->at.addr;
	bool is4 = c->at.addr.ss_family == AF_INET;
	inet_ntop(c->at.addr.ss_family, is4 ? (const void *)&v4->sin_addr : (const void *)&v6->sin6_addr,
		  host, sizeof(host));
	fail(c, HTTP_HINT_NOT_LISTENING, "Failed to connect to %s port %u after %lld ms: %s", host,
	     ntohs(is4 ? v4->sin_port : v6->sin6_port),
	     (long long)((now_us(c->in) - c->t0) / 1000), strerror(e));
}

/* The request for c->at, made and connecting; false: completed already. */
static bool connect_to(struct plain_check *c)
{
	struct plain_inst *in = c->in;
	bool same_host = strcmp(c->at.authority, c->origin) == 0;
	const char *method = c->post ? "POST" : "GET";
	const char *body = c->post ? c->conf.body_to_send : "";
	size_t blen = strlen(body);
	size_t n = strlen(c->at.path) + strlen(c->at.authority) + (c->auth ? strlen(c->auth) : 0) +
		   blen + 512;
	free(c->req);
	c->req = malloc(n);
	if (!c->req) {
		fail(c, NULL, "out of memory");
		return false;
	}
	/* As curl.so asks: fresh, past any cache; credentials only to the
	 * host they were given for, as curl keeps them on a redirect. */
	int k = snprintf(c->req, n,
			 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gprobe\r\nAccept: */*\r\n"
			 "Accept-Encoding: gzip, deflate\r\nCache-Control: no-cache\r\n"
			 "Pragma: no-cache\r\nConnection: close\r\n",
			 method, c->at.path, c->at.authority);
	if (c->auth && same_host)
		k += snprintf(c->req + k, n - (size_t)k, "Authorization: %s\r\n", c->auth);
	if (c->post)
		k += snprintf(c->req + k, n - (size_t)k,
			      "Content-Length: %zu\r\n"
			      "Content-Type: application/x-www-form-urlencoded\r\n",
			      blen);
	k += snprintf(c->req + k, n - (size_t)k, "\r\n");
	memcpy(c->req + k, body, blen);
	c->req_len = (size_t)k + blen;
	c->req_sent = 0;

	c->fd = socket(c->at.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail(c, NULL, "cannot open a socket: %s", strerror(errno));
		return false;
	}
	c->phase = CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&c->at.addr, c->at.addrlen) == 0) {
		c->phase = SENDING;
		c->us[HTTP_T_CONNECT] = now_us(in) - c->t0;
	} else if (errno != EINPROGRESS) {
		connect_failed(c, errno);
		return false;
	}
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
	c->received = 0;
	c->done = false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The answer, as libhttp-parser reads it                              */

static void keep_header(struct plain_check *c)
{
	if (!c->in_value)
		return;
	while (c->value_len > 0 && (c->value[c->value_len - 1] == ' ' ||
				    c->value[c->value_len - 1] == '\t'))
		c->value_len--;
	c->value[c->value_len] = '\0';
	/* A Location cut to fit would send the probe elsewhere: curl.so
	 * takes it whole. */
	if (c->header == H_LOCATION && c->cut)
		c->decline = true;
	char **slot = c->header == H_TYPE ? &c->type : c->header == H_LOCATION ? &c->location : NULL;
	if (slot) {
		free(*slot);
		*slot = strdup(c->value);
	} else if (c->header == H_ENCODING) {
		/* gzip or deflate, once: decoded here; any other, or a list
		 * of them, is curl.so's to decode. */
		if (strcasecmp(c->value, "gzip") == 0 || strcasecmp(c->value, "x-gzip") == 0 ||
		    strcasecmp(c->value, "deflate") == 0)
			c->encoded = true;
		else if (strcasecmp(c->value, "identity") != 0 && c->value[0])
			c->decline = true;
	}
	c->in_value = false;
	c->cut = false;
	c->field_len = c->value_len = 0;
}

static int on_message_begin(http_parser *p)
{
	reset_answer(p->data);
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	struct plain_check *c = p->data;
	keep_header(c);
	size_t room = sizeof(c->field) - 1 - c->field_len;
	memcpy(c->field + c->field_len, at, n < room ? n : room);
	c->field_len += n < room ? n : room;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	struct plain_check *c = p->data;
	if (!c->in_value) {
		c->field[c->field_len] = '\0';
		c->header = strcasecmp(c->field, "content-type") == 0       ? H_TYPE
			    : strcasecmp(c->field, "location") == 0         ? H_LOCATION
			    : strcasecmp(c->field, "content-encoding") == 0 ? H_ENCODING
									    : H_OTHER;
		c->in_value = true;
	}
	size_t room = sizeof(c->value) - 1 - c->value_len;
	memcpy(c->value + c->value_len, at, n < room ? n : room);
	c->value_len += n < room ? n : room;
	c->cut |= n > room;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct plain_check *c = p->data;
	keep_header(c);
	c->status = p->status_code;
	if (c->decline)
		return 1; /* the body is not read: curl.so fetches it again */
	if (c->status == 204 || c->status == 304)
		return 1; /* no body, whatever Content-Length says */
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > HTTP_BODY_MAX && !c->encoded) {
		c->oversized = true;
		http_parser_pause(p, 1);
		return 0;
	}
	if (c->encoded) {
		memset(&c->z, 0, sizeof(c->z));
		/* 15 + 32: a gzip or a zlib header, whichever comes. */
		if (inflateInit2(&c->z, 15 + 32) != Z_OK) {
			c->failed_decode = true;
			http_parser_pause(p, 1);
			return 0;
		}
		c->inflating = true;
	}
	return 0;
}

static bool append(struct plain_check *c, const char *at, size_t n)
{
	if (c->len + n > HTTP_BODY_MAX) {
		c->oversized = true;
		return false;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : READ_CHUNK;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *b = realloc(c->buf, cap);
		if (!b) {
			c->oom = true;
			return false;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, at, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return true;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct plain_check *c = p->data;
	if (c->status < 200 || (is_redirect(c->status) && c->location && c->location[0]))
		return 0; /* an interim or a redirect's body: not the answer */
	bool ok = true;
	if (!c->inflating) {
		ok = append(c, at, n);
	} else {
		char out[READ_CHUNK];
		c->z.next_in = (unsigned char *)(uintptr_t)at;
		c->z.avail_in = (unsigned)n;
		while (ok && c->z.avail_in > 0) {
			c->z.next_out = (unsigned char *)out;
			c->z.avail_out = sizeof(out);
			int rc = inflate(&c->z, Z_NO_FLUSH);
			if (rc == Z_DATA_ERROR && c->z.total_out == 0) {
				/* No zlib or gzip header: raw deflate (IIS
				 * sends it so), which curl.so decodes. */
				c->decline = true;
				ok = false;
				break;
			}
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				c->failed_decode = true;
				ok = false;
				break;
			}
			ok = append(c, out, sizeof(out) - c->z.avail_out);
			if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && c->z.avail_out != 0))
				break;
		}
	}
	if (!ok)
		http_parser_pause(p, 1);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct plain_check *c = p->data;
	/* An interim answer (100 Continue, 102, 103): the real one follows
	 * on the same connection. */
	if (c->status >= 100 && c->status < 200 && c->status != 101 && ++c->interim <= 10)
		return 0;
	c->done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_message_begin = on_message_begin,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* A whole answer read: a redirect followed, or the result. */
static void answered(struct plain_check *c)
{
	struct plain_inst *in = c->in;
	long s = c->status;
	if (s >= 100 && s < 200) {
		fail(c, "the server does not answer as HTTP/1.1: see its set-up",
		     s == 101 ? "the server switched protocols (101) on a plain request"
			      : "more than 10 interim (1xx) answers");
		return;
	}
	if (is_redirect(s) && c->location && c->location[0]) {
		if (c->hops >= HTTP_MAX_REDIRECTS) {
			fail(c, HTTP_HINT_REDIRECT_LOOP, "Maximum (%d) redirects followed",
			     HTTP_MAX_REDIRECTS);
			return;
		}
		char *next = resolve(&c->at, c->location);
		struct place to;
		if (!next || !place_of(next, &to)) {
			free(next);
			hand_over(c);
			return;
		}
		free(next);
		close_fd(c);
		reset_answer(c);
		free(c->at.path);
		c->at = to;
		c->hops++;
		/* As curl: a POST answered 301, 302 or 303 goes on as a GET. */
		if (s == 301 || s == 302 || s == 303)
			c->post = false;
		connect_to(c);
		return;
	}
	/* The answer taken out, the request ended, then reported: complete()
	 * may start this check again, or free it. */
	struct http_answer a = {.status = s, .content_type = c->type, .body = c->buf,
				.len = c->len};
	c->type = NULL;
	c->buf = NULL;
	c->cap = 0;
	memcpy(a.us, c->us, sizeof(a.us));
	a.us[HTTP_T_TOTAL] = now_us(in) - c->t0;
	uint64_t id = c->id;
	const struct gp_host_api *host = in->host;
	end_request(c);
	http_report(host, id, &c->conf, &a);
	free((char *)a.content_type);
	free((char *)a.body);
}

/* What the bytes read so far (n of them at buf; 0 at the end of the
 * stream) make of the request. */
static void feed(struct plain_check *c, const char *buf, size_t n)
{
	/* What it leaves unread comes after a pause: the answer's end. */
	http_parser_execute(&c->parser, &parser_settings, buf, n);
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	if (c->decline) {
		hand_over(c);
	} else if (c->oversized) {
		fail(c, NULL, "the body is larger than %d MiB", HTTP_BODY_MAX / (1024 * 1024));
	} else if (c->failed_decode) {
		fail(c, "the server's compressed body is broken: see its web server's set-up",
		     "the body's %s encoding cannot be decoded", "gzip or deflate");
	} else if (c->oom) {
		fail(c, NULL, "out of memory for the body");
	} else if (c->done) {
		answered(c);
	} else if (n == 0 && c->received > 0 &&
		   (e == HPE_OK || e == HPE_PAUSED || e == HPE_INVALID_EOF_STATE)) {
		if (c->parser.flags & F_CONTENTLENGTH)
			fail(c, NULL, "Transfer closed with %llu bytes remaining to read",
			     (unsigned long long)c->parser.content_length);
		else
			fail(c, NULL, "Transfer closed with outstanding read data remaining");
	} else if (e != HPE_OK && e != HPE_PAUSED) {
		fail(c, "the server does not speak HTTP/1.x there: check the port and the scheme",
		     "the answer is not HTTP (%s) after %zu bytes", http_errno_description(e),
		     c->received);
	} else if (n == 0) {
		fail(c, "the server closes connections unanswered: see its log",
		     "Empty reply from server");
	}
}

/* One step of c's request, as its socket says. */
static void step(struct plain_check *c, short revents)
{
	struct plain_inst *in = c->in;
	if (c->phase == CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0)
			err = errno;
		if (err == 0 && !(revents & POLLOUT)) {
			if (revents & (POLLHUP | POLLERR))
				connect_failed(c, ECONNRESET);
			return;
		}
		if (err) {
			connect_failed(c, err);
			return;
		}
		c->us[HTTP_T_CONNECT] = now_us(in) - c->t0;
		c->phase = SENDING;
	}
	if (c->phase == SENDING) {
		ssize_t k = send(c->fd, c->req + c->req_sent, c->req_len - c->req_sent, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			fail(c, NULL, "Failed sending the request: %s", strerror(errno));
			return;
		}
		if (k > 0)
			c->req_sent += (size_t)k;
		if (c->req_sent == c->req_len)
			c->phase = READING;
		return;
	}
	char buf[READ_CHUNK];
	ssize_t k = recv(c->fd, buf, sizeof(buf), 0);
	if (k < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fail(c, NULL, "Recv failure: %s", strerror(errno));
		return;
	}
	if (k > 0 && c->received == 0)
		c->us[HTTP_T_FIRST_BYTE] = now_us(in) - c->t0;
	c->received += (size_t)k;
	feed(c, buf, (size_t)k);
}

/* ------------------------------------------------------------------ */
/* What http.so calls                                                  */

static void *plain_init(const struct gp_host_api *host, gp_http_handover_fn handover, void *ctx,
			char *err, size_t errlen)
{
	struct plain_inst *in = calloc(1, sizeof(*in));
	if (!in) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->host = host;
	in->handover = handover;
	in->handover_ctx = ctx;
	return in;
}

static bool proxied(void)
{
	/* curl honours these for an http:// URL: such a check is its. */
	static const char *const vars[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && v[0])
			return true;
	}
	return false;
}

static void check_release(struct plain_check *c)
{
	if (c->busy)
		end_request(c);
	reset_answer(c);
	http_conf_free(&c->conf);
	if (c->auth) {
		memset(c->auth, 0, strlen(c->auth));
		free(c->auth);
	}
	free(c->buf);
	free(c);
}

static void *plain_check_new(void *inst, const struct gp_check_spec *spec, void *token, char *err,
			     size_t errlen)
{
	struct plain_inst *in = inst;
	err[0] = '\0';
	if (proxied())
		return NULL;
	struct plain_check *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->in = in;
	c->fd = -1;
	c->token = token;
	c->timeout_ms = spec->timeout_ms;
	if (!http_conf_init(&c->conf, spec, in->host, err, errlen)) {
		free(c);
		return NULL;
	}
	struct place p;
	bool ours = place_of(c->conf.url, &p);
	free(p.path);
	if (!ours) {
		check_release(c); /* err stays empty: curl.so's */
		return NULL;
	}
	if (c->conf.user && !(c->auth = basic_auth(c->conf.user, c->conf.password))) {
		snprintf(err, errlen, "out of memory");
		check_release(c);
		return NULL;
	}
	return c;
}

static int plain_start(void *inst, void *check, uint64_t id)
{
	struct plain_inst *in = inst;
	struct plain_check *c = check;
	if (c->busy)
		return -1;
	if (in->n_busy == in->cap_busy) {
		size_t cap = in->cap_busy ? in->cap_busy * 2 : 8;
		struct plain_check **v = realloc(in->busy, cap * sizeof(*v));
		if (!v)
			return -1;
		in->busy = v;
		in->cap_busy = cap;
	}
	if (!place_of(c->conf.url, &c->at))
		return -1;
	memcpy(c->origin, c->at.authority, sizeof(c->origin));
	c->busy = true;
	c->id = id;
	c->hops = 0;
	c->post = c->conf.body_to_send != NULL;
	c->oversized = c->done = c->decline = c->oom = false;
	c->interim = 0;
	c->t0 = now_us(in);
	c->deadline = c->t0 + c->timeout_ms * 1000;
	for (size_t i = 0; i < HTTP_TIMINGS; i++)
		c->us[i] = -1;
	c->us[HTTP_T_DNS] = 0; /* an address: nothing to look up */
	c->us[HTTP_T_TLS] = 0; /* plain http: no handshake, as curl reports it */
	c->slot = in->n_busy;
	in->busy[in->n_busy++] = c;
	connect_to(c); /* a failure completes at once */
	return 0;
}

/* Drops the slots of the requests that have ended. Never during
 * dispatch(), which walks the slots as they were polled. */
static void sweep(struct plain_inst *in)
{
	size_t k = 0;
	for (size_t i = 0; i < in->n_busy; i++)
		if (in->busy[i]) {
			in->busy[k] = in->busy[i];
			in->busy[k]->slot = k;
			k++;
		}
	in->n_busy = k;
}

/* As every collector's poll_fds: fills up to max, returns how many it
 * needs (the host asks again with room for them). */
static int plain_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct plain_inst *in = inst;
	sweep(in);
	int64_t now = now_us(in), soonest = -1;
	for (size_t i = 0; i < in->n_busy; i++) {
		struct plain_check *c = in->busy[i];
		if ((int)i < max)
			fds[i] = (struct gp_pollfd){.fd = c->fd,
						    .events = c->phase == READING ? POLLIN : POLLOUT};
		int64_t left = c->deadline - now;
		left = left <= 0 ? 0 : (left + 999) / 1000;
		if (soonest < 0 || left < soonest)
			soonest = left;
	}
	*timeout_ms = soonest;
	return (int)in->n_busy;
}

static void plain_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct plain_inst *in = inst;
	/* The slots as they were polled: fds[i] is slot i's (poll_fds swept
	 * them). A completion may end, free or start requests: an ended
	 * slot is NULL, a started one comes after n. */
	size_t n = in->n_busy;
	for (int i = 0; i < nfds && (size_t)i < n; i++) {
		struct plain_check *c = in->busy[i];
		if (fds[i].revents && c && c->fd == fds[i].fd)
			step(c, fds[i].revents);
	}
	int64_t now = now_us(in);
	for (size_t j = 0; j < n; j++) {
		struct plain_check *c = in->busy[j];
		if (!c || now < c->deadline)
			continue;
		if (c->phase == CONNECTING)
			fail(c, HTTP_HINT_TIMEOUT, "Connection timed out after %lld milliseconds",
			     (long long)((now - c->t0) / 1000));
		else
			fail(c, HTTP_HINT_TIMEOUT,
			     "Operation timed out after %lld milliseconds with %zu bytes received",
			     (long long)((now - c->t0) / 1000), c->len);
	}
	sweep(in);
}

static void plain_check_free(void *inst, void *check)
{
	(void)inst;
	check_release(check); /* a request in flight ends: its slot is NULL now */
}

static void plain_fini(void *inst)
{
	struct plain_inst *in = inst;
	free(in->busy);
	free(in);
}

static const struct gp_http_plain plain_engine = {
	.init = plain_init,
	.check_new = plain_check_new,
	.start = plain_start,
	.poll_fds = plain_poll_fds,
	.dispatch = plain_dispatch,
	.check_free = plain_check_free,
	.fini = plain_fini,
};

GP_COLLECTOR_EXPORT const struct gp_http_plain *gp_http_plain_entry(void)
{
	return &plain_engine;
}
