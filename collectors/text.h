/*
 * text.h - text helpers every collector shares (header-only, so a plugin
 * needs nothing but this folder to build).
 */
#ifndef GP_COLLECTOR_TEXT_H
#define GP_COLLECTOR_TEXT_H

#include <stddef.h>

/* Makes s printable in place: control characters become spaces, so no
 * text a peer sent can break a log line, a mail or a Nagios status. */
static inline void gp_text_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* The first byte of p[0..n) that does not begin a valid UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or
 * NULL when all of it is UTF-8. A NUL byte is valid UTF-8 (U+0000). */
static inline const unsigned char *gp_utf8_bad(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	while (p < end) {
		unsigned c = *p, min;
		size_t k;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, min = 0x10000, c &= 0x07;
		} else {
			return p;
		}
		if ((size_t)(end - p) <= k)
			return p;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return p;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return p;
		p += k + 1;
	}
	return NULL;
}

/*
 * An SNMP octet string as text, the way net-snmp's tools print it: text
 * when it is printable UTF-8 (tabs and line breaks allowed, one trailing
 * NUL of a C string dropped), else every byte in hex, "68 99 CD A5". So
 * what gprobe prints, stores, mails and serves as JSON is always UTF-8,
 * binary values (MAC addresses, dates, cp1251 text) keep every byte, and
 * an `expect:` can be written for either. Text longer than size is cut at
 * a character's start. Returns whether the value was text.
 */
static inline int gp_octets_text(const unsigned char *s, size_t n, int may_be_text, char *text,
				 size_t size)
{
	size_t m = n > 0 && s[n - 1] == '\0' ? n - 1 : n;
	int printable = may_be_text && !gp_utf8_bad(s, m);
	for (size_t i = 0; printable && i < m; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
			printable = 0;
	size_t off = 0;
	if (size == 0)
		return printable;
	if (printable) {
		off = m < size - 1 ? m : size - 1;
		while (off > 0 && off < m && (s[off] & 0xc0) == 0x80)
			off--; /* not inside a character */
		for (size_t i = 0; i < off; i++)
			text[i] = (char)s[i];
		text[off] = '\0';
		return 1;
	}
	static const char hex[] = "0123456789ABCDEF";
	text[0] = '\0';
	for (size_t i = 0; i < n && off + (i ? 3 : 2) + 1 <= size; i++) {
		if (i)
			text[off++] = ' ';
		text[off++] = hex[s[i] >> 4];
		text[off++] = hex[s[i] & 15];
		text[off] = '\0';
	}
	return 0;
}

#endif
