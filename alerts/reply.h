/*
 * reply.h - the token that makes a reply to an alert unforgeable. Each
 * alert mail carries
 *
 *   Reply-To: LOCAL+ID.EVENT.TOKEN@DOMAIN        (reply_to = LOCAL@DOMAIN)
 *
 * where TOKEN is the HMAC-SHA256 (OpenSSL) of "gprobe-reply/1 ID EVENT"
 * under the secret of alerts.email.reply_secret_file, its first 12 bytes
 * in lowercase hex. A mail client's reply goes to that address, so the
 * reply carries the token in its To (and, delivered by Postfix, in
 * Delivered-To / X-Original-To); nobody who did not receive the alert can
 * make one, nor move a token to another incident or event.
 * Pure functions; no secret is ever part of an error.
 */
#ifndef GP_REPLY_H
#define GP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_REPLY_TOKEN_HEX 24
#define GP_REPLY_EVENT_MAX 32 /* an event name's buffer */

/* The token of incident and event under secret (NUL terminated hex). */
void gp_reply_token(const char *secret, int64_t incident, const char *event,
		    char out[GP_REPLY_TOKEN_HEX + 1]);
/* Whether token is that of incident and event (compared in constant time). */
bool gp_reply_token_ok(const char *secret, int64_t incident, const char *event,
		       const char *token);

/* "gprobe+42.opened.TOKEN@example.kz" for reply_to "gprobe@example.kz";
 * NULL when reply_to is not LOCAL@DOMAIN or event not [a-z-]+. */
char *gp_reply_address(const char *reply_to, const char *secret, int64_t incident,
		       const char *event);

/* Reads addr as a reply address of reply_to (local part and domain
 * compared without case): 1 with its incident, event and token filled
 * (token lowercased); 0 when addr is not one (another address); -1 when
 * it is LOCAL+...@DOMAIN but its tag is malformed (the reason in err). */
int gp_reply_address_parse(const char *reply_to, const char *addr, int64_t *incident,
			   char event[GP_REPLY_EVENT_MAX], char token[GP_REPLY_TOKEN_HEX + 1],
			   char *err, size_t errlen);

#endif
