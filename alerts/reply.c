/*
 * reply.c - reply tokens and addresses (see reply.h). The HMAC is
 * OpenSSL's, as the webhook's signature (webhook.c).
 */
#include "reply.h"
#include "util.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void gp_reply_token(const char *secret, int64_t incident, const char *event,
		    char out[GP_REPLY_TOKEN_HEX + 1])
{
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "gprobe-reply/1 %lld %s", (long long)incident,
			 event ? event : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, (size_t)n,
		  md, &mdlen) ||
	    mdlen < GP_REPLY_TOKEN_HEX / 2) {
		/* Never expected; an all-zero token matches no genuine one
		 * (gp_reply_token_ok refuses it). */
		memset(out, '0', GP_REPLY_TOKEN_HEX);
		out[GP_REPLY_TOKEN_HEX] = '\0';
		return;
	}
	for (unsigned i = 0; i < GP_REPLY_TOKEN_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(msg, sizeof(msg));
}

bool gp_reply_token_ok(const char *secret, int64_t incident, const char *event,
		       const char *token)
{
	if (!secret || !*secret || !token || strlen(token) != GP_REPLY_TOKEN_HEX)
		return false;
	char want[GP_REPLY_TOKEN_HEX + 1];
	gp_reply_token(secret, incident, event, want);
	bool ok = strspn(want, "0") != GP_REPLY_TOKEN_HEX &&
		  CRYPTO_memcmp(want, token, GP_REPLY_TOKEN_HEX) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static bool event_name_ok(const char *e)
{
	size_t n = strlen(e);
	return n > 0 && n < GP_REPLY_EVENT_MAX && strspn(e, "abcdefghijklmnopqrstuvwxyz-") == n;
}

char *gp_reply_address(const char *reply_to, const char *secret, int64_t incident,
		       const char *event)
{
	const char *at = reply_to ? strchr(reply_to, '@') : NULL;
	if (!at || at == reply_to || !at[1] || incident <= 0 || !event || !event_name_ok(event))
		return NULL;
	char token[GP_REPLY_TOKEN_HEX + 1];
	gp_reply_token(secret, incident, event, token);
	return gp_xasprintf("%.*s+%lld.%s.%s%s", (int)(at - reply_to), reply_to, (long long)incident,
			    event, token, at);
}

int gp_reply_address_parse(const char *reply_to, const char *addr, int64_t *incident,
			   char event[GP_REPLY_EVENT_MAX], char token[GP_REPLY_TOKEN_HEX + 1],
			   char *err, size_t errlen)
{
	const char *rat = reply_to ? strchr(reply_to, '@') : NULL;
	const char *aat = addr ? strrchr(addr, '@') : NULL;
	if (!rat || !aat)
		return 0;
	size_t local = (size_t)(rat - reply_to);
	if (strcasecmp(rat + 1, aat + 1) != 0 || (size_t)(aat - addr) <= local + 1 ||
	    strncasecmp(addr, reply_to, local) != 0 || addr[local] != '+')
		return 0;
	/* The tag: ID.EVENT.TOKEN */
	const char *tag = addr + local + 1;
	size_t taglen = (size_t)(aat - tag);
	char buf[128];
	if (taglen >= sizeof(buf))
		return gp_errf(err, errlen, "the reply address's tag is too long");
	memcpy(buf, tag, taglen);
	buf[taglen] = '\0';
	char *d1 = strchr(buf, '.');
	char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return gp_errf(err, errlen, "the reply address's tag is not ID.EVENT.TOKEN");
	*d1 = *d2 = '\0';
	const char *why;
	int64_t id;
	if (buf[0] == '\0' || strspn(buf, "0123456789") != strlen(buf) ||
	    !gp_parse_int64(buf, 1, INT64_MAX, &id, &why))
		return gp_errf(err, errlen, "the reply address's incident number is not a number");
	for (char *p = d1 + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!event_name_ok(d1 + 1))
		return gp_errf(err, errlen, "the reply address's event is not an event name");
	char *tk = d2 + 1;
	for (char *p = tk; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strlen(tk) != GP_REPLY_TOKEN_HEX || strspn(tk, "0123456789abcdef") != GP_REPLY_TOKEN_HEX)
		return gp_errf(err, errlen, "the reply address's token is not %d hex digits",
			       GP_REPLY_TOKEN_HEX);
	*incident = id;
	snprintf(event, GP_REPLY_EVENT_MAX, "%s", d1 + 1);
	snprintf(token, GP_REPLY_TOKEN_HEX + 1, "%s", tk);
	return 1;
}
