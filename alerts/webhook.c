/*
 * webhook.c - the ticket system's channel: the alert's JSON POSTed to
 * alerts.webhook.url with an Idempotency-Key header (the alert's stable
 * id) and, when a secret file is configured, X-Gprobe-Signature:
 * sha256=HEX, the HMAC-SHA256 of the body under the secret.
 */
#include "channel.h"
#include "secret.h"
#include "util.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reply's body is not needed; it is read and dropped. */
static size_t drop(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}


static int webhook_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a,
			   char *err, size_t errlen, bool *permanent)
{
	(void)ctx;
	const struct gp_webhook *w = &cfg->webhook;
	*permanent = false;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char *key = gp_xasprintf("Idempotency-Key: %s", a->message_id);
	h = curl_slist_append(h, key);
	free(key);
	if (w->secret_file) {
		char why[256];
		char *secret = gp_read_secret(w->secret_file, why, sizeof(why));
		if (!secret) {
			curl_slist_free_all(h);
			return gp_errf(err, errlen, "alerts.webhook.secret_file: %s", why);
		}
		size_t klen = strlen(secret);
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		HMAC(EVP_sha256(), secret, (int)klen, (const unsigned char *)a->body,
		     strlen(a->body), md, &mdlen);
		gp_secret_free(secret);
		char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
		for (unsigned i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		char *sig = gp_xasprintf("X-Gprobe-Signature: sha256=%s", hex);
		h = curl_slist_append(h, sig);
		free(sig);
	}
	CURL *c = curl_easy_init();
	if (!c) {
		curl_slist_free_all(h);
		return gp_errf(err, errlen, "curl_easy_init failed");
	}
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, a->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(a->body));
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gprobe");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)w->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(w->timeout_ms < 10000 ? w->timeout_ms : 10000));
	CURLcode res = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	int rc = 0;
	if (res != CURLE_OK) {
		rc = gp_errf(err, errlen, "POST %s: %s", w->url,
			     cerr[0] ? cerr : curl_easy_strerror(res));
	} else if (code < 200 || code > 299) {
		/* A 4xx says this request will never do, except a timeout
		 * (408) or being asked to slow down (429). */
		*permanent = code >= 400 && code < 500 && code != 408 && code != 429;
		rc = gp_errf(err, errlen, "POST %s: HTTP %ld", w->url, code);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return rc;
}

const struct gp_channel gp_channel_webhook = {"webhook", webhook_deliver, NULL};
