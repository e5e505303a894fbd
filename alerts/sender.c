/*
 * sender.c - delivers the outbox (see sender.h).
 */
#include "sender.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t gp_sender_backoff(int attempts)
{
	int64_t d = 5;
	for (int i = 1; i < attempts && d < 900; i++)
		d *= 2;
	return d < 900 ? d : 900;
}

static const struct gp_channel *channel_of(const struct gp_channel *const *ch, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ch[i]->name, name))
			return ch[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Digests: e-mails held back by the rate limit, sent as one            */

struct held {
	struct gp_alert *v;
	size_t n, cap;
};

static bool collect_held(void *ctx, struct gp_alert *a)
{
	struct held *h = ctx;
	if (a->digest != 0 || a->channel != GP_ALERT_EMAIL)
		return true;
	gp_grow((void **)&h->v, &h->cap, h->n, sizeof(*h->v));
	h->v[h->n++] = *a;
	memset(a, 0, sizeof(*a));
	return true;
}

static void digest_for(struct gp_store *st, const struct gp_config *cfg, struct held *h,
		       const char *rcpt, int64_t now, const struct gp_logger *log,
		       struct gp_sender_stats *stats)
{
	bool ru = cfg->email.language && !strcmp(cfg->email.language, "ru");
	size_t n = 0;
	char *body = ru ? gp_xasprintf("Сообщения, задержанные ограничением частоты (не более %d "
				       "в час на адресата):\n",
				       cfg->email.rate_limit)
			: gp_xasprintf("Messages held back by the rate limit (at most %d an hour to "
				       "one recipient):\n",
				       cfg->email.rate_limit);
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->v[i].recipient, rcpt))
			continue;
		char at[40];
		gp_format_utc(h->v[i].created_at, at, sizeof(at));
		char *next = gp_xasprintf("%s\n========================================\n%s\n%s\n\n%s",
					  body, at, h->v[i].subject ? h->v[i].subject : "", h->v[i].body);
		free(body);
		body = next;
		n++;
	}
	char *subject = gp_xasprintf(ru ? "[gprobe] %zu задержанных сообщений"
					: "[gprobe] %zu messages held back",
				     n);
	char *mid = gp_xasprintf("<gprobe.digest.%lld.%lld@%s>", (long long)now,
				 (long long)h->v[0].id,
				 strchr(cfg->email.from, '@') ? strchr(cfg->email.from, '@') + 1
							      : "gprobe.invalid");
	struct gp_alert d = {.event = "digest", .channel = GP_ALERT_EMAIL, .recipient = (char *)rcpt,
			     .subject = subject, .body = body, .message_id = mid,
			     .created_at = now, .next_attempt_at = now};
	int64_t id = 0;
	int rc = gp_store_begin(st);
	if (rc == 0)
		rc = gp_store_alert_add(st, &d, &id);
	for (size_t i = 0; rc == 0 && i < h->n; i++)
		if (!strcmp(h->v[i].recipient, rcpt))
			rc = gp_store_alert_fold(st, h->v[i].id, id);
	if (rc == 0)
		rc = gp_store_commit(st);
	if (rc != 0) {
		gp_log(log, GP_LOG_ERROR, "alerts: cannot queue a digest to %s: %s", rcpt,
		       gp_store_error(st));
		gp_store_rollback(st);
	} else {
		stats->digests++;
		gp_log(log, GP_LOG_INFO, "alerts: %zu held-back messages to %s go as one digest", n,
		       rcpt);
	}
	free(subject);
	free(body);
	free(mid);
}

static void make_digests(struct gp_store *st, const struct gp_config *cfg, int64_t now,
			 const struct gp_logger *log, struct gp_sender_stats *stats)
{
	struct held h = {0};
	gp_store_alert_list(st, GP_ALERT_FOLDED, NULL, collect_held, &h);
	for (size_t i = 0; i < h.n; i++) {
		const char *r = h.v[i].recipient;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(h.v[j].recipient, r);
		if (seen || gp_store_alert_sent_since(st, r, now - 3600) >= cfg->email.rate_limit)
			continue;
		digest_for(st, cfg, &h, r, now, log, stats);
	}
	for (size_t i = 0; i < h.n; i++)
		gp_alert_clear(&h.v[i]);
	free(h.v);
}

/* ------------------------------------------------------------------ */
/* Acceptances the database did not take                               */

void gp_sender_unrecorded_free(struct gp_sender_unrecorded *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}

static bool is_unrecorded(const struct gp_sender_unrecorded *u, int64_t id)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].id == id)
			return true;
	return false;
}

/* gp_store_alert_sent found the row no longer 'queued' or 'sending':
 * another node's try (or this one's, before a restart) recorded an
 * outcome while this acceptance was on its way or waiting. */
static void told_recorded_by_other(const struct gp_logger *log, struct gp_sender_stats *stats,
				   int64_t id, int64_t accepted_at)
{
	char at[40];
	gp_format_utc(accepted_at, at, sizeof(at));
	stats->recorded_by_other++;
	gp_log(log, GP_LOG_WARN,
	       "alerts: #%lld accepted at %s: its outcome was recorded meanwhile by another try",
	       (long long)id, at);
}

/* Records each as sent at its acceptance. false while the database still
 * refuses one: the pass ends there, for nothing else would be recorded
 * either, and a row handed over again would be a copy. */
static bool record_unrecorded(struct gp_store *st, struct gp_sender_unrecorded *u,
			      const struct gp_logger *log, struct gp_sender_stats *stats)
{
	size_t keep = 0;
	for (size_t i = 0; i < u->n; i++) {
		struct gp_unrecorded_alert a = u->v[i];
		int rc = gp_store_alert_sent(st, a.id, a.sent_at);
		if (rc < 0) {
			u->v[keep++] = a;
		} else if (rc == 0) {
			char at[40];
			gp_format_utc(a.sent_at, at, sizeof(at));
			stats->recorded_late++;
			gp_log(log, GP_LOG_INFO, "alerts: #%lld accepted at %s: recorded as sent now",
			       (long long)a.id, at);
		} else {
			told_recorded_by_other(log, stats, a.id, a.sent_at);
		}
	}
	u->n = keep;
	return keep == 0;
}

/* ------------------------------------------------------------------ */

/* Marks a 'sending' for its next attempt, committed, then hands it to
 * the channel and records the outcome. false when the mark did not take
 * (the database busy): nothing was handed over. */
static bool deliver_one(struct gp_store *st, const struct gp_config *cfg,
			const struct gp_channel *ch, struct gp_alert *a, int64_t now,
			struct gp_sender_unrecorded *unrec, const struct gp_logger *log,
			struct gp_sender_stats *stats)
{
	int attempt = a->attempts + 1;
	if (gp_store_alert_claim(st, a->id, attempt, now) != 0) {
		gp_log(log, GP_LOG_ERROR, "alerts: #%lld cannot be marked sending: %s",
		       (long long)a->id, gp_store_error(st));
		return false;
	}
	if (a->status == GP_ALERT_SENDING) {
		stats->resumed++;
		gp_log(log, GP_LOG_WARN,
		       "alerts: #%lld %s to %s was left sending by try %d (the probe stopped "
		       "during the hand-over, or its outcome was not recorded); the receiver "
		       "may have it: again with the same id %s",
		       (long long)a->id, gp_alert_channel_name(a->channel), a->recipient,
		       a->attempts, a->message_id);
	}
	a->attempts = attempt;
	a->status = GP_ALERT_SENDING;
	char err[512] = "";
	bool permanent = false;
	int rc = ch->deliver(ch->ctx, cfg, a, err, sizeof(err), &permanent);
	int64_t done = now; /* the pass's clock: tests set it */
	if (rc == 0) {
		int marked = gp_store_alert_sent(st, a->id, done);
		if (marked < 0) {
			gp_grow((void **)&unrec->v, &unrec->cap, unrec->n, sizeof(*unrec->v));
			unrec->v[unrec->n++] = (struct gp_unrecorded_alert){a->id, done};
			gp_log(log, GP_LOG_ERROR, "alerts: #%lld sent but not recorded (%s): recorded "
						  "at the next pass, not sent again",
			       (long long)a->id, gp_store_error(st));
		} else if (marked > 0) {
			told_recorded_by_other(log, stats, a->id, done);
		}
		stats->sent++;
		gp_log(log, GP_LOG_INFO, "alerts: #%lld %s %s to %s sent", (long long)a->id, a->event,
		       gp_alert_channel_name(a->channel), a->recipient);
	} else if (permanent) {
		gp_store_alert_failed(st, a->id, err);
		stats->failed++;
		gp_log(log, GP_LOG_ERROR, "alerts: #%lld %s to %s failed for good: %s",
		       (long long)a->id, gp_alert_channel_name(a->channel), a->recipient, err);
	} else {
		int64_t wait = gp_sender_backoff(attempt);
		gp_store_alert_retry(st, a->id, done + wait, err);
		stats->retried++;
		gp_log(log, GP_LOG_WARN, "alerts: #%lld %s to %s not delivered (try %d, next in %llds): %s",
		       (long long)a->id, gp_alert_channel_name(a->channel), a->recipient,
		       attempt, (long long)wait, err);
	}
	return true;
}

void gp_sender_pass(struct gp_store *st, const struct gp_config *cfg,
		    const struct gp_channel *const *channels, size_t n_channels, int64_t now,
		    struct gp_sender_unrecorded *unrec, const struct gp_logger *log,
		    struct gp_sender_stats *stats, const atomic_bool *stop)
{
	int flagged = gp_store_alert_flag(st, now - cfg->alerts.undelivered_after_ms / 1000, now);
	if (flagged > 0) {
		stats->flagged += (unsigned long)flagged;
		gp_log(log, GP_LOG_ERROR, "alerts: %d undelivered for longer than allowed: flagged "
					  "(gprobe status)",
		       flagged);
	}
	if (!record_unrecorded(st, unrec, log, stats)) {
		/* Nothing is handed over until then: said once a minute. */
		if (now - unrec->stall_told_at >= 60) {
			unrec->stall_told_at = now;
			gp_log(log, GP_LOG_ERROR, "alerts: %zu accepted but not recorded yet (%s): "
						  "nothing more is sent until the database takes "
						  "the record",
			       unrec->n, gp_store_error(st));
		}
		return;
	}
	if (cfg->email.set)
		make_digests(st, cfg, now, log, stats);
	struct gp_alert a;
	int64_t last = 0;
	while (!(stop && atomic_load(stop)) && gp_store_alert_next(st, now, &a)) {
		if (a.id == last || is_unrecorded(unrec, a.id)) {
			/* Its mark as sending did not take (the database
			 * busy), or it was accepted and its record did not
			 * take (unrec): never handed over again, next pass. */
			gp_alert_clear(&a);
			break;
		}
		last = a.id;
		const struct gp_channel *ch = channel_of(channels, n_channels,
							 gp_alert_channel_name(a.channel));
		if (!ch) {
			/* Not configured now (a reload): it waits for a config
			 * that has it, and is flagged if that never comes. */
			gp_store_alert_retry(st, a.id, now + 60, "channel not configured");
		} else if (a.channel == GP_ALERT_EMAIL && a.attempts == 0 &&
			   strcmp(a.event, "digest") &&
			   gp_store_alert_sent_since(st, a.recipient, now - 3600) >=
				   cfg->email.rate_limit) {
			/* Never one handed over before (left 'sending', or a
			 * timeout after DATA): the receiver may have it, and a
			 * copy must keep its Message-ID, not go in a digest's. */
			gp_store_alert_fold(st, a.id, 0);
			stats->folded++;
		} else if (!deliver_one(st, cfg, ch, &a, now, unrec, log, stats)) {
			gp_alert_clear(&a);
			break;
		}
		gp_alert_clear(&a);
	}
}

/* ------------------------------------------------------------------ */
/* The daemon's thread                                                 */

struct gp_sender_thread {
	pthread_t th;
	const struct gp_config *cfg;
	const struct gp_logger *log;
	struct gp_store *st;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct gp_channel *channels[2];
	size_t n_channels;
	struct gp_sender_unrecorded *unrec; /* the caller's, lent */
	struct gp_sender_stats stats;
};

static void *sender_main(void *arg)
{
	struct gp_sender_thread *t = arg;
	while (!atomic_load(&t->stop)) {
		gp_sender_pass(t->st, t->cfg, t->channels, t->n_channels, (int64_t)time(NULL),
			       t->unrec, t->log, &t->stats, &t->stop);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&t->mu);
		if (!atomic_load(&t->stop))
			pthread_cond_timedwait(&t->cv, &t->mu, &until);
		pthread_mutex_unlock(&t->mu);
	}
	return NULL;
}

struct gp_sender_thread *gp_sender_start(const struct gp_config *cfg,
					 struct gp_sender_unrecorded *unrec,
					 const struct gp_logger *log, char *err, size_t errlen)
{
	if (!cfg->email.set && !cfg->webhook.set)
		return NULL;
	struct gp_sender_thread *t = gp_xcalloc(1, sizeof(*t));
	t->cfg = cfg;
	t->unrec = unrec;
	t->log = log;
	t->st = gp_store_open_probe(&cfg->probe, cfg->probe.node, true, err, errlen);
	if (!t->st) {
		free(t);
		return NULL;
	}
	/* Once, before the thread: the HTTP collector uses curl too. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (cfg->email.set)
		t->channels[t->n_channels++] = &gp_channel_smtp;
	if (cfg->webhook.set)
		t->channels[t->n_channels++] = &gp_channel_webhook;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	/* Signals are the main thread's: the thread starts with them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&t->th, NULL, sender_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		gp_errf(err, errlen, "cannot start the alert sender thread");
		gp_store_close(t->st);
		curl_global_cleanup();
		free(t);
		return NULL;
	}
	return t;
}

void gp_sender_stop(struct gp_sender_thread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stop, true);
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	/* Recorded now or told: a node stepping down leaves them to the one
	 * taking over, which would send them again. */
	if (!record_unrecorded(t->st, t->unrec, t->log, &t->stats))
		for (size_t i = 0; i < t->unrec->n; i++)
			gp_log(t->log, GP_LOG_ERROR,
			       "alerts: #%lld was accepted but the database refused its record "
			       "(%s): unless it takes it before this process stops, the alert is "
			       "handed over again (by the next start or another node), with the "
			       "same id",
			       (long long)t->unrec->v[i].id, gp_store_error(t->st));
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	gp_store_close(t->st);
	curl_global_cleanup();
	free(t);
}
