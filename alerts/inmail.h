/*
 * inmail.h - reading one incoming RFC 5322 message (a reply, for
 * `gprobe mail-in`): the headers it needs, unfolded, RFC 2047 encoded
 * words decoded; the addresses of From and of the recipient headers; and
 * the text of its first text/plain part (MIME multipart, quoted-printable
 * or base64, any charset iconv knows), as UTF-8 with LF line ends.
 * CRLF or LF line ends, an mbox "From " line first.
 *
 * Knows nothing of incidents. A hostile or broken message is refused with
 * the reason; nothing in it can make the parser read past its input, loop
 * or grow without bound (GP_INMAIL_MAX bytes, bounded header count and
 * MIME depth). Pure functions; the caller frees.
 */
#ifndef GP_INMAIL_H
#define GP_INMAIL_H

#include <stddef.h>

#define GP_INMAIL_MAX (1024 * 1024) /* a larger message is refused */

struct gp_inmail {
	char *from;           /* the From address (addr-spec), or NULL */
	char *subject;        /* decoded, or NULL */
	char *message_id, *in_reply_to, *references; /* unfolded, or NULL */
	char *auto_submitted, *precedence, *return_path; /* or NULL */
	/* The addresses of X-Original-To, Delivered-To, To and Cc, in that
	 * order (duplicates kept once). */
	char **rcpts;
	size_t n_rcpts;
	char *text;           /* the first text/plain part, UTF-8, LF ends; "" if none */
};

/* 0, or -1 with the reason in err (m then holds nothing to free). */
int gp_inmail_parse(const char *buf, size_t len, struct gp_inmail *m, char *err, size_t errlen);
void gp_inmail_free(struct gp_inmail *m);

/* The parts, for tests and the fuzz target. */
/* A header value with its RFC 2047 encoded words decoded to UTF-8
 * (a word that cannot be decoded stays as written). */
char *gp_inmail_decode_words(const char *s);
/* The addr-specs of an address list ("A <a@x>, b@y (B), "C, D" <c@z>"),
 * lowercased domain kept as written; what is not an address is skipped. */
size_t gp_inmail_addresses(const char *value, char ***out);
/* Quoted-printable and base64 bodies: the decoded bytes (NUL terminated,
 * *outlen without it); base64 skips what is not of its alphabet. */
char *gp_inmail_qp_decode(const char *s, size_t n, size_t *outlen);
char *gp_inmail_b64_decode(const char *s, size_t n, size_t *outlen);

#endif
