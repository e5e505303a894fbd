/*
 * message.c - RFC 5322 e-mail messages (see message.h).
 */
#include "message.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *gp_base64(const unsigned char *p, size_t n, int wrap)
{
	size_t chars = (n + 2) / 3 * 4;
	char *out = gp_xcalloc(chars + chars / 76 * 2 + 3, 1);
	size_t k = 0, line = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		if (wrap && line == 76) {
			out[k++] = '\r';
			out[k++] = '\n';
			line = 0;
		}
		out[k++] = b64[v >> 18 & 63];
		out[k++] = b64[v >> 12 & 63];
		out[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? b64[v & 63] : '=';
		line += 4;
	}
	out[k] = '\0';
	return out;
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '=' || *s == '?')
			return false;
	return true;
}

/* Length of the UTF-8 character starting at s (1 for a stray byte). */
static size_t utf8_len(const unsigned char *s)
{
	if (*s >= 0xF0 && s[1] && s[2] && s[3])
		return 4;
	if (*s >= 0xE0 && s[1] && s[2])
		return 3;
	if (*s >= 0xC0 && s[1])
		return 2;
	return 1;
}

char *gp_mail_encode_header(const char *utf8)
{
	if (plain(utf8) && strlen(utf8) <= 900)
		return gp_xstrdup(utf8);
	/* An encoded word is at most 75 characters, and the first shares its
	 * line with "Subject: ": 39 bytes of text make 52 characters of
	 * base64, a word of 64, a line of 73. */
	char *out = gp_xstrdup("");
	const unsigned char *s = (const unsigned char *)utf8;
	while (*s) {
		size_t n = 0;
		while (s[n]) {
			size_t c = utf8_len(s + n);
			if (n + c > 39)
				break;
			n += c;
		}
		char *word = gp_base64(s, n, 0);
		char *next = gp_xasprintf("%s%s=?UTF-8?B?%s?=", out, *out ? "\r\n " : "", word);
		free(word);
		free(out);
		out = next;
		s += n;
	}
	return out;
}

void gp_mail_date(int64_t t, char *buf, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body's lines with CRLF ends (a lone LF or CR becomes CRLF). */
static char *crlf(const char *s)
{
	size_t n = strlen(s);
	char *out = gp_xcalloc(n * 2 + 3, 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n' || s[i] == '\r') {
			out[k++] = '\r';
			out[k++] = '\n';
		} else {
			out[k++] = s[i];
		}
	}
	if (k < 2 || out[k - 1] != '\n') {
		out[k++] = '\r';
		out[k++] = '\n';
	}
	out[k] = '\0';
	return out;
}

char *gp_mail_build(const struct gp_mail *m)
{
	char date[64];
	gp_mail_date(m->date, date, sizeof(date));
	char *to = gp_xstrdup("");
	for (size_t i = 0; i < m->n_to; i++) {
		char *next = gp_xasprintf("%s%s%s", to, i ? ",\r\n " : "", m->to[i]);
		free(to);
		to = next;
	}
	char *subject = gp_mail_encode_header(m->subject);
	char *text = crlf(m->body);
	char *body = gp_base64((const unsigned char *)text, strlen(text), 1);
	char *refs = m->references ? gp_xasprintf("In-Reply-To: %s\r\nReferences: %s\r\n",
						  m->references, m->references)
				   : gp_xstrdup("");
	char *msg = gp_xasprintf("Date: %s\r\n"
				 "From: %s\r\n"
				 "To: %s\r\n"
				 "Subject: %s\r\n"
				 "Message-ID: %s\r\n"
				 "%s%s%s%s"
				 "MIME-Version: 1.0\r\n"
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: base64\r\n"
				 "Auto-Submitted: auto-generated\r\n"
				 "\r\n"
				 "%s\r\n",
				 date, m->from, to, subject, m->message_id, refs,
				 m->reply_to ? "Reply-To: " : "", m->reply_to ? m->reply_to : "",
				 m->reply_to ? "\r\n" : "", body);
	free(to);
	free(subject);
	free(text);
	free(body);
	free(refs);
	return msg;
}
