/*
 * smtp.c - the e-mail channel: one message per alert through libcurl's
 * SMTP (smtp:// with optional STARTTLS, smtps://, AUTH with a password
 * file, TLS verification on: the system's trust store, or ca_file).
 * libcurl dot-stuffs the body.
 */
#include "channel.h"
#include "message.h"
#include "reply.h"
#include "secret.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}


static int smtp_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a,
			char *err, size_t errlen, bool *permanent)
{
	(void)ctx;
	const struct gp_email *e = &cfg->email;
	*permanent = false;
	const char *to[] = {a->recipient};
	const char *at = strchr(e->from, '@');
	char *thread = a->incident ? gp_xasprintf("<gprobe.incident.%lld@%s>", (long long)a->incident,
						  at ? at + 1 : "gprobe.invalid")
				   : NULL;
	/* Replies carry the token of this incident and event (reply.h). */
	char *reply = NULL;
	if (e->reply_to && e->reply_secret_file && a->incident > 0 && a->event) {
		char why[256];
		char *secret = gp_read_secret(e->reply_secret_file, why, sizeof(why));
		if (!secret) {
			free(thread);
			return gp_errf(err, errlen, "alerts.email.reply_secret_file: %s", why);
		}
		reply = gp_reply_address(e->reply_to, secret, a->incident, a->event);
		gp_secret_free(secret);
	}
	struct gp_mail m = {
		.reply_to = reply,
		.from = e->from,
		.to = to,
		.n_to = 1,
		.subject = a->subject ? a->subject : "",
		.body = a->body,
		.message_id = a->message_id,
		.references = thread,
		.date = a->created_at,
	};
	char *msg = gp_mail_build(&m);
	free(thread);
	free(reply);
	struct upload up = {msg, strlen(msg)};

	CURL *c = curl_easy_init();
	if (!c) {
		free(msg);
		return gp_errf(err, errlen, "curl_easy_init failed");
	}
	char *from = gp_xasprintf("<%s>", e->from);
	char *rcpt_addr = gp_xasprintf("<%s>", a->recipient);
	struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_addr);
	char *password = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, e->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(e->timeout_ms < 10000 ? e->timeout_ms : 10000));
	if (e->starttls)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (e->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
	int rc = 0;
	if (e->user) {
		char why[256];
		password = gp_read_secret(e->password_file, why, sizeof(why));
		if (!password) {
			rc = gp_errf(err, errlen, "alerts.email.password_file: %s", why);
			goto done;
		}
		curl_easy_setopt(c, CURLOPT_USERNAME, e->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	}
	CURLcode res = curl_easy_perform(c);
	if (res != CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		/* 5xx: the server refuses this message for good (no such
		 * mailbox, rejected); anything else may pass later. */
		*permanent = code >= 500 && code < 600;
		const char *why = cerr[0] ? cerr : curl_easy_strerror(res);
		if (code)
			rc = gp_errf(err, errlen, "SMTP %s: %s (server said %ld)", e->smtp_url, why,
				     code);
		else
			rc = gp_errf(err, errlen, "SMTP %s: %s", e->smtp_url, why);
	}
done:
	gp_secret_free(password);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(from);
	free(rcpt_addr);
	free(msg);
	return rc;
}

const struct gp_channel gp_channel_smtp = {"email", smtp_deliver, NULL};
