/*
 * message.h - RFC 5322 e-mail messages for the NOC: UTF-8 text bodies in
 * base64, subjects as RFC 2047 encoded words, CRLF line ends, lines within
 * 78 characters. Pure functions; the caller frees what they return.
 */
#ifndef GP_MESSAGE_H
#define GP_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/* Base64 of n bytes, lines of at most 76 characters joined by CRLF when
 * wrap is set. */
char *gp_base64(const unsigned char *p, size_t n, int wrap);

/* A header value as RFC 2047 encoded words ("=?UTF-8?B?...?="), each at
 * most 75 characters, never splitting a UTF-8 character, folded with
 * CRLF SP. ASCII text without specials is returned as it is. */
char *gp_mail_encode_header(const char *utf8);

/* "Wed, 25 Nov 2026 09:44:10 +0000" (English names whatever the locale). */
void gp_mail_date(int64_t t, char *buf, size_t len);

struct gp_mail {
	const char *from;
	const char *const *to; /* addresses */
	size_t n_to;
	const char *subject;   /* UTF-8 */
	const char *body;      /* UTF-8 text */
	const char *message_id; /* "<...>" */
	const char *references; /* "<...>" or NULL: threads an incident's mails */
	int64_t date;
	const char *reply_to;   /* an address, or NULL: where replies go (reply.h) */
};
/* The whole message, headers and body, CRLF line ends. */
char *gp_mail_build(const struct gp_mail *m);

#endif
