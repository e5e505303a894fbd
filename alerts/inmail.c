/*
 * inmail.c - reading one incoming message (see inmail.h).
 */
#include "inmail.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADERS 1000
#define MAX_DEPTH 8
#define MAX_PARTS 200
#define MAX_ADDRESSES 500

/* ------------------------------------------------------------------ */
/* A growing buffer                                                    */

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = gp_xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void putc_(struct buf *b, char c)
{
	put(b, &c, 1);
}

static char *done(struct buf *b)
{
	if (!b->p)
		return gp_xstrdup("");
	return b->p;
}

/* ------------------------------------------------------------------ */
/* Transfer encodings and charsets                                     */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *gp_inmail_qp_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = gp_xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			out[k++] = s[i];
			continue;
		}
		/* A soft line break: "=", maybe trailing blanks, then the line end. */
		size_t j = i + 1;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < n && (s[j] == '\n' || s[j] == '\r')) {
			if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
				j++;
			i = j;
			continue;
		}
		if (j == n && j > i + 1) { /* "=" and blanks at the very end */
			i = j - 1;
			continue;
		}
		int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi >= 0 && lo >= 0) {
			out[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[k++] = '='; /* not an escape: kept as written */
		}
	}
	out[k] = '\0';
	*outlen = k;
	return out;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *gp_inmail_b64_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = gp_xmalloc(n / 4 * 3 + 4);
	size_t k = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)(acc >> bits & 0xFF);
		}
	}
	out[k] = '\0';
	*outlen = k;
	return out;
}

/* The length of a valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
						    : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
		return 0; /* overlong, surrogate */
	if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
		return 0;
	return len;
}

/* UTF-8 as it is, each invalid byte and NUL replaced by U+FFFD. */
static char *utf8_clean(const char *s, size_t n)
{
	struct buf b = {0};
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = u[i] ? utf8_seq(u + i, n - i) : 0;
		if (!k) {
			put(&b, "\xEF\xBF\xBD", 3);
			i++;
		} else {
			put(&b, s + i, k);
			i += k;
		}
	}
	return done(&b);
}

static bool is_utf8_name(const char *cs)
{
	return !*cs || !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8") ||
	       !strcasecmp(cs, "us-ascii") || !strcasecmp(cs, "ascii");
}

/* n bytes of charset cs as UTF-8 (what cannot be converted becomes
 * U+FFFD); NULL when iconv knows no such charset. */
static char *to_utf8(const char *s, size_t n, const char *cs)
{
	if (is_utf8_name(cs))
		return utf8_clean(s, n);
	if (strlen(cs) > 40 || strpbrk(cs, "/ \t"))
		return NULL; /* iconv's "//TRANSLIT"-style suffixes are not names */
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = n * 4 + 16;
	char *out = gp_xmalloc(cap);
	char *in = (char *)s, *op = out;
	size_t inleft = n, outleft = cap - 1;
	while (inleft > 0) {
		size_t r = iconv(cd, &in, &inleft, &op, &outleft);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			size_t used = (size_t)(op - out);
			cap *= 2;
			out = gp_xrealloc(out, cap);
			op = out + used;
			outleft = cap - used - 1;
		} else { /* EILSEQ, EINVAL: skip the byte */
			in++;
			inleft--;
			if (outleft < 4) {
				size_t used = (size_t)(op - out);
				cap *= 2;
				out = gp_xrealloc(out, cap);
				op = out + used;
				outleft = cap - used - 1;
			}
			memcpy(op, "\xEF\xBF\xBD", 3);
			op += 3;
			outleft -= 3;
		}
	}
	iconv_close(cd);
	/* Whatever iconv made, it must be clean UTF-8 without NUL. */
	char *clean = utf8_clean(out, (size_t)(op - out));
	free(out);
	return clean;
}

/* ------------------------------------------------------------------ */
/* RFC 2047 encoded words                                              */

/* Decodes the word at s ("=?cs?B?text?="): its UTF-8 and its length in
 * *used, or NULL. */
static char *decode_word(const char *s, size_t *used)
{
	if (s[0] != '=' || s[1] != '?')
		return NULL;
	const char *cs = s + 2;
	const char *q1 = strchr(cs, '?');
	if (!q1 || q1 == cs || q1 - cs > 60 || !q1[1] || q1[2] != '?')
		return NULL;
	char enc = (char)toupper((unsigned char)q1[1]);
	const char *text = q1 + 3;
	const char *end = strstr(text, "?=");
	if (!end || (enc != 'B' && enc != 'Q') || memchr(text, ' ', (size_t)(end - text)))
		return NULL;
	char charset[64];
	size_t cl = (size_t)(q1 - cs);
	memcpy(charset, cs, cl);
	charset[cl] = '\0';
	char *star = strchr(charset, '*'); /* RFC 2231 language */
	if (star)
		*star = '\0';
	size_t n = (size_t)(end - text), len = 0;
	char *raw;
	if (enc == 'B') {
		raw = gp_inmail_b64_decode(text, n, &len);
	} else {
		char *t = gp_xstrndup(text, n);
		for (char *p = t; *p; p++)
			if (*p == '_')
				*p = ' ';
		raw = gp_inmail_qp_decode(t, n, &len);
		free(t);
	}
	char *utf = to_utf8(raw, len, charset);
	free(raw);
	if (utf)
		*used = (size_t)(end + 2 - s);
	return utf;
}

char *gp_inmail_decode_words(const char *s)
{
	struct buf b = {0};
	bool after_word = false;
	size_t i = 0, n = strlen(s);
	while (i < n) {
		if (s[i] == '=' && s[i + 1] == '?') {
			size_t used = 0;
			char *w = decode_word(s + i, &used);
			if (w) {
				put(&b, w, strlen(w));
				free(w);
				i += used;
				after_word = true;
				continue;
			}
		}
		if (after_word && (s[i] == ' ' || s[i] == '\t')) {
			/* Blanks between two encoded words are dropped. */
			size_t j = i;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			size_t used = 0;
			char *w = j < n ? decode_word(s + j, &used) : NULL;
			if (w) {
				free(w);
				i = j;
				continue;
			}
		}
		after_word = false;
		putc_(&b, s[i++]);
	}
	char *raw = done(&b);
	char *clean = utf8_clean(raw, strlen(raw));
	free(raw);
	return clean;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

static bool addr_spec_ok(const char *a)
{
	size_t n = strlen(a);
	const char *at = strrchr(a, '@');
	if (n == 0 || n > 254 || !at || at == a || !at[1] || strchr(a, '@') != at)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[],;:\"\\", *p))
			return false;
	return true;
}

static void add_address(char ***out, size_t *n, size_t *cap, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	/* A source route "@a,@b:user@host" keeps what follows its colon. */
	const char *colon = memchr(s, ':', len);
	if (len && *s == '@' && colon) {
		len -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	char *a = gp_xstrndup(s, len);
	if (*n >= MAX_ADDRESSES || !addr_spec_ok(a)) {
		free(a);
		return;
	}
	gp_grow((void **)out, cap, *n, sizeof(**out));
	(*out)[(*n)++] = a;
}

size_t gp_inmail_addresses(const char *value, char ***out)
{
	*out = NULL;
	size_t n = 0, cap = 0;
	struct buf plain = {0}; /* the element without comments and quotes */
	struct buf angle = {0}; /* the last <...> */
	bool in_quote = false, in_angle = false, have_angle = false;
	int comment = 0;
	for (const char *p = value;; p++) {
		char c = *p;
		if (c == '\0' || (!in_quote && !comment && !in_angle && (c == ',' || c == ';'))) {
			if (have_angle)
				add_address(out, &n, &cap, angle.p ? angle.p : "", angle.n);
			else
				add_address(out, &n, &cap, plain.p ? plain.p : "", plain.n);
			plain.n = angle.n = 0;
			have_angle = in_angle = false;
			if (c == '\0')
				break;
			continue;
		}
		if (c == '\\' && (in_quote || comment) && p[1]) {
			p++;
			continue;
		}
		if (in_quote) {
			if (c == '"')
				in_quote = false;
			continue;
		}
		if (comment) {
			comment += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (in_angle) {
			if (c == '>')
				in_angle = false;
			else
				putc_(&angle, c);
			continue;
		}
		if (c == '"') {
			in_quote = true;
			plain.n = 0; /* a display name, not an address */
			if (plain.p)
				plain.p[0] = '\0';
		} else if (c == '(') {
			comment = 1;
		} else if (c == '<') {
			in_angle = have_angle = true;
			angle.n = 0;
		} else if (c == ':') {
			plain.n = 0; /* a group's name */
		} else {
			putc_(&plain, c);
		}
	}
	free(plain.p);
	free(angle.p);
	return n;
}

/* ------------------------------------------------------------------ */
/* Headers                                                             */

struct hdr {
	char *name, *value;
};
struct hdrs {
	struct hdr *v;
	size_t n, cap;
};

static void hdrs_free(struct hdrs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

static const char *hget(const struct hdrs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcasecmp(h->v[i].name, name))
			return h->v[i].value;
	return NULL;
}

static size_t hcount(const struct hdrs *h, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < h->n; i++)
		k += !strcasecmp(h->v[i].name, name);
	return k;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return gp_xstrndup(s, n);
}

/* The header section of p[0..len): its headers, and where the body
 * starts. top: the message itself (an mbox "From " line may come first). */
static int parse_headers(const char *p, size_t len, bool top, struct hdrs *h, size_t *body,
			 char *err, size_t errlen)
{
	size_t i = 0, lineno = 0;
	struct buf cur = {0};
	char *cur_name = NULL;
	int rc = 0;
	*body = len;
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len;
		size_t next = nl ? end + 1 : len;
		size_t l = end - i;
		if (l && p[i + l - 1] == '\r')
			l--;
		const char *line = p + i;
		lineno++;
		if (memchr(line, '\0', l)) {
			rc = gp_errf(err, errlen, "header line %zu holds a NUL byte", lineno);
			break;
		}
		if (l == 0) {
			*body = next;
			break;
		}
		if (top && lineno == 1 && l >= 5 && !memcmp(line, "From ", 5)) {
			i = next;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!cur_name) {
				rc = gp_errf(err, errlen, "header line %zu continues no header", lineno);
				break;
			}
			put(&cur, line, l); /* unfolding: the line end goes, the blank stays */
			i = next;
			continue;
		}
		const char *colon = memchr(line, ':', l);
		size_t nlen = colon ? (size_t)(colon - line) : 0;
		bool name_ok = nlen > 0 && nlen <= 76;
		for (size_t k = 0; name_ok && k < nlen; k++)
			name_ok = (unsigned char)line[k] > 32 && (unsigned char)line[k] < 127;
		if (!name_ok) {
			rc = gp_errf(err, errlen, "header line %zu is not a header (NAME: VALUE)",
				     lineno);
			break;
		}
		if (cur_name) {
			gp_grow((void **)&h->v, &h->cap, h->n, sizeof(*h->v));
			h->v[h->n++] = (struct hdr){cur_name, trimmed(cur.p ? cur.p : "", cur.n)};
			cur_name = NULL;
		}
		if (h->n >= MAX_HEADERS) {
			rc = gp_errf(err, errlen, "more than %d headers", MAX_HEADERS);
			break;
		}
		cur_name = gp_xstrndup(line, nlen);
		cur.n = 0;
		put(&cur, colon + 1, l - nlen - 1);
		i = next;
	}
	if (rc == 0 && cur_name) {
		gp_grow((void **)&h->v, &h->cap, h->n, sizeof(*h->v));
		h->v[h->n++] = (struct hdr){cur_name, trimmed(cur.p ? cur.p : "", cur.n)};
		cur_name = NULL;
	}
	free(cur_name);
	free(cur.p);
	if (rc != 0)
		hdrs_free(h);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Content-Type                                                        */

struct ctype {
	char type[32], sub[64], charset[48], boundary[128];
};

static const char *skip_cfws(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s != '(')
			return s;
		int depth = 0;
		do {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '(')
				depth++;
			else if (*s == ')')
				depth--;
			s++;
		} while (*s && depth > 0);
	}
}

/* A token (RFC 2045) into out, lowercased when asked. */
static const char *token(const char *s, char *out, size_t outlen, bool lower)
{
	size_t k = 0;
	while (*s && !strchr(" \t\r\n()<>@,;:\\\"/[]?=", *s) && (unsigned char)*s > 32 &&
	       (unsigned char)*s < 127) {
		if (k + 1 < outlen)
			out[k++] = lower ? (char)tolower((unsigned char)*s) : *s;
		s++;
	}
	out[k] = '\0';
	return s;
}

static void parse_ctype(const char *v, struct ctype *c)
{
	memset(c, 0, sizeof(*c));
	if (!v) {
		snprintf(c->type, sizeof(c->type), "text");
		snprintf(c->sub, sizeof(c->sub), "plain");
		return;
	}
	const char *s = skip_cfws(v);
	s = token(s, c->type, sizeof(c->type), true);
	s = skip_cfws(s);
	if (*s == '/')
		s = token(skip_cfws(s + 1), c->sub, sizeof(c->sub), true);
	for (int guard = 0; guard < 64; guard++) {
		s = skip_cfws(s);
		while (*s && *s != ';')
			s++;
		if (*s != ';')
			break;
		s = skip_cfws(s + 1);
		char name[48], value[256];
		s = token(s, name, sizeof(name), true);
		s = skip_cfws(s);
		if (*s != '=')
			continue;
		s = skip_cfws(s + 1);
		size_t k = 0;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (k + 1 < sizeof(value))
					value[k++] = *s;
			}
			if (*s == '"')
				s++;
			value[k] = '\0';
		} else {
			s = token(s, value, sizeof(value), false);
		}
		/* Too long to be one (a cut boundary would match wrong lines):
		 * an unknown charset, no boundary. */
		size_t vl = strlen(value);
		if (!strcmp(name, "charset"))
			memcpy(c->charset, vl < sizeof(c->charset) ? value : "?",
			       vl < sizeof(c->charset) ? vl + 1 : 2);
		else if (!strcmp(name, "boundary") && vl < sizeof(c->boundary))
			memcpy(c->boundary, value, vl + 1);
	}
}

/* ------------------------------------------------------------------ */
/* Bodies                                                              */

/* The text as LF lines (CRLF and lone CR become LF). */
static char *lf_lines(const char *s)
{
	struct buf b = {0};
	for (; *s; s++) {
		if (*s == '\r') {
			putc_(&b, '\n');
			if (s[1] == '\n')
				s++;
		} else {
			putc_(&b, *s);
		}
	}
	return done(&b);
}

static int decode_text(const struct hdrs *h, const struct ctype *ct, const char *body,
		       size_t n, char **text, char *err, size_t errlen)
{
	char cte[32] = "";
	const char *v = hget(h, "Content-Transfer-Encoding");
	if (v)
		token(skip_cfws(v), cte, sizeof(cte), true);
	char *raw;
	size_t len;
	if (!*cte || !strcmp(cte, "7bit") || !strcmp(cte, "8bit") || !strcmp(cte, "binary")) {
		/* Copied whole: a NUL inside is replaced later, not an end. */
		raw = gp_xmalloc(n + 1);
		memcpy(raw, body, n);
		raw[n] = '\0';
		len = n;
	} else if (!strcmp(cte, "quoted-printable")) {
		raw = gp_inmail_qp_decode(body, n, &len);
	} else if (!strcmp(cte, "base64")) {
		raw = gp_inmail_b64_decode(body, n, &len);
	} else {
		return gp_errf(err, errlen, "unknown Content-Transfer-Encoding '%.40s'", v);
	}
	char *utf = to_utf8(raw, len, ct->charset);
	free(raw);
	if (!utf)
		return gp_errf(err, errlen, "unknown charset '%.40s'", ct->charset);
	*text = lf_lines(utf);
	free(utf);
	return 0;
}

/* Finds the first text/plain part under h/body: 1 with *text, 0 none, -1
 * error. */
static int find_text(const struct hdrs *h, const char *body, size_t n, int depth, int *parts,
		     char **text, char *err, size_t errlen)
{
	struct ctype ct;
	parse_ctype(hget(h, "Content-Type"), &ct);
	if (!strcmp(ct.type, "text") && !strcmp(ct.sub, "plain")) {
		const char *disp = hget(h, "Content-Disposition");
		if (disp && !strncasecmp(skip_cfws(disp), "attachment", 10))
			return 0;
		return decode_text(h, &ct, body, n, text, err, errlen) == 0 ? 1 : -1;
	}
	if (strcmp(ct.type, "multipart") != 0)
		return 0;
	if (depth >= MAX_DEPTH)
		return gp_errf(err, errlen, "MIME parts nested deeper than %d", MAX_DEPTH);
	if (!ct.boundary[0])
		return gp_errf(err, errlen, "a multipart body without a boundary");
	size_t bl = strlen(ct.boundary);
	/* Delimiter lines: "--BOUNDARY" (then blanks), the last "--BOUNDARY--". */
	size_t start = 0; /* of the current part, 0 before the first delimiter */
	bool in_part = false;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(body + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - body) : n;
		size_t next = nl ? end + 1 : n;
		const char *line = body + i;
		size_t l = end - i;
		bool delim = l >= bl + 2 && line[0] == '-' && line[1] == '-' &&
			     !memcmp(line + 2, ct.boundary, bl);
		bool last = false;
		if (delim) {
			size_t k = bl + 2;
			if (l >= k + 2 && line[k] == '-' && line[k + 1] == '-') {
				last = true;
				k += 2;
			}
			while (k < l && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
				k++;
			delim = k == l;
		}
		if (delim) {
			if (in_part) {
				/* The line end before the delimiter belongs to it. */
				size_t pend = i;
				if (pend > start && body[pend - 1] == '\n')
					pend--;
				if (pend > start && body[pend - 1] == '\r')
					pend--;
				if (++*parts > MAX_PARTS)
					return gp_errf(err, errlen, "more than %d MIME parts", MAX_PARTS);
				struct hdrs ph = {0};
				size_t pb;
				if (parse_headers(body + start, pend - start, false, &ph, &pb, err,
						  errlen) != 0)
					return -1;
				int r = find_text(&ph, body + start + pb, pend - start - pb, depth + 1,
						  parts, text, err, errlen);
				hdrs_free(&ph);
				if (r != 0)
					return r;
			}
			if (last)
				return 0;
			in_part = true;
			start = next;
		}
		i = next;
	}
	if (in_part && start < n) { /* no closing delimiter: the rest is the part */
		if (++*parts > MAX_PARTS)
			return gp_errf(err, errlen, "more than %d MIME parts", MAX_PARTS);
		struct hdrs ph = {0};
		size_t pb;
		if (parse_headers(body + start, n - start, false, &ph, &pb, err, errlen) != 0)
			return -1;
		int r = find_text(&ph, body + start + pb, n - start - pb, depth + 1, parts, text, err,
				  errlen);
		hdrs_free(&ph);
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s ? gp_xstrdup(s) : NULL;
}

static void add_rcpts(struct gp_inmail *m, size_t *cap, const struct hdrs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcasecmp(h->v[i].name, name) != 0)
			continue;
		char **a;
		size_t n = gp_inmail_addresses(h->v[i].value, &a);
		for (size_t k = 0; k < n; k++) {
			bool seen = m->n_rcpts >= MAX_ADDRESSES;
			for (size_t j = 0; !seen && j < m->n_rcpts; j++)
				seen = !strcasecmp(m->rcpts[j], a[k]);
			if (seen) {
				free(a[k]);
				continue;
			}
			gp_grow((void **)&m->rcpts, cap, m->n_rcpts, sizeof(*m->rcpts));
			m->rcpts[m->n_rcpts++] = a[k];
		}
		free(a);
	}
}

int gp_inmail_parse(const char *buf, size_t len, struct gp_inmail *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (len > GP_INMAIL_MAX)
		return gp_errf(err, errlen, "the message is larger than %d bytes", GP_INMAIL_MAX);
	if (len == 0)
		return gp_errf(err, errlen, "the message is empty");
	struct hdrs h = {0};
	size_t body;
	if (parse_headers(buf, len, true, &h, &body, err, errlen) != 0)
		return -1;
	int rc = 0;
	if (h.n == 0) {
		rc = gp_errf(err, errlen, "the message has no headers");
		goto out;
	}
	if (hcount(&h, "From") != 1) {
		rc = gp_errf(err, errlen, "the message has %zu From headers, not one",
			     hcount(&h, "From"));
		goto out;
	}
	char **from;
	size_t nf = gp_inmail_addresses(hget(&h, "From"), &from);
	if (nf != 1) {
		for (size_t i = 0; i < nf; i++)
			free(from[i]);
		free(from);
		rc = gp_errf(err, errlen, "its From names %s", nf ? "more than one address"
								  : "no valid address");
		goto out;
	}
	m->from = from[0];
	free(from);
	const char *subj = hget(&h, "Subject");
	m->subject = subj ? gp_inmail_decode_words(subj) : NULL;
	m->message_id = dup_or_null(hget(&h, "Message-ID"));
	m->in_reply_to = dup_or_null(hget(&h, "In-Reply-To"));
	m->references = dup_or_null(hget(&h, "References"));
	m->auto_submitted = dup_or_null(hget(&h, "Auto-Submitted"));
	m->precedence = dup_or_null(hget(&h, "Precedence"));
	m->return_path = dup_or_null(hget(&h, "Return-Path"));
	size_t cap = 0;
	add_rcpts(m, &cap, &h, "X-Original-To");
	add_rcpts(m, &cap, &h, "Delivered-To");
	add_rcpts(m, &cap, &h, "To");
	add_rcpts(m, &cap, &h, "Cc");
	int parts = 0;
	int r = find_text(&h, buf + body, len - body, 0, &parts, &m->text, err, errlen);
	if (r < 0) {
		rc = -1;
		goto out;
	}
	if (!m->text)
		m->text = gp_xstrdup("");
out:
	hdrs_free(&h);
	if (rc != 0)
		gp_inmail_free(m);
	return rc;
}

void gp_inmail_free(struct gp_inmail *m)
{
	free(m->from);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->return_path);
	for (size_t i = 0; i < m->n_rcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m->text);
	memset(m, 0, sizeof(*m));
}
