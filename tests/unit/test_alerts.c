/*
 * Alerts without a network: the message format (base64, RFC 2047
 * subjects, CRLF, line lengths), the templates, what the outbox queues for
 * each incident event (a held "restored" cancelled by a reopen), and the
 * sender's rules on a real database with a recording channel: retries with
 * backoff, permanent failures, the rate limit folding into one digest,
 * flagging what stays undelivered; an outbox row's states (marked
 * 'sending', committed, before the hand-over; one left 'sending' by a
 * crash handed over again with its Message-ID, never folded or cancelled;
 * one accepted whose record the database refused recorded later, never
 * handed over again).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "incidents.h"
#include "message.h"
#include "outbox.h"
#include "sender.h"
#include "sqlite/sqlite.h"
#include "templates.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static void test_base64(void **state)
{
	(void)state;
	const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *b = gp_base64((const unsigned char *)in[i], strlen(in[i]), 1);
		assert_string_equal(b, out[i]);
		free(b);
	}
	/* 76 characters a line. */
	unsigned char big[100];
	memset(big, 'a', sizeof(big));
	char *b = gp_base64(big, sizeof(big), 1);
	assert_int_equal(strcspn(b, "\r"), 76);
	assert_string_equal(b + 76, "\r\nYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYQ==");
	free(b);
}

static void test_subject_encoding(void **state)
{
	(void)state;
	char *s = gp_mail_encode_header("[P1 #42] Недоступен сервис «Монитор статистики» "
					"(stat-monitor)");
	assert_string_equal(s, "=?UTF-8?B?W1AxICM0Ml0g0J3QtdC00L7RgdGC0YPQv9C10L0g0YHQtdGA0LI=?=\r\n"
			       " =?UTF-8?B?0LjRgSDCq9Cc0L7QvdC40YLQvtGAINGB0YLQsNGC0LjRgdGC0Lg=?=\r\n"
			       " =?UTF-8?B?0LrQuMK7IChzdGF0LW1vbml0b3Ip?=");
	free(s);
	s = gp_mail_encode_header("[P1 #42] stat-monitor DOWN");
	assert_string_equal(s, "[P1 #42] stat-monitor DOWN");
	free(s);
	/* A question mark is special in encoded words: encoded. */
	s = gp_mail_encode_header("what?");
	assert_string_equal(s, "=?UTF-8?B?d2hhdD8=?=");
	free(s);
}

static void test_mail_build(void **state)
{
	(void)state;
	const char *to[] = {"noc@example.kz"};
	char body[8000] = "Сервис недоступен.\n.\nline with a dot above\n";
	for (int i = 0; i < 40; i++)
		strcat(body, "Длинная строка текста о состоянии компонентов. ");
	struct gp_mail m = {"gprobe@example.kz", to, 1, "[P1 #7] Недоступен сервис", body,
			    "<gprobe.opened.1@example.kz>", "<gprobe.incident.7@example.kz>",
			    1764063850, NULL};
	char *msg = gp_mail_build(&m);
	assert_non_null(strstr(msg, "Date: Tue, 25 Nov 2025 09:44:10 +0000\r\n"));
	assert_non_null(strstr(msg, "From: gprobe@example.kz\r\nTo: noc@example.kz\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <gprobe.opened.1@example.kz>\r\n"));
	assert_non_null(strstr(msg, "References: <gprobe.incident.7@example.kz>\r\n"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\r\n"
				    "Content-Transfer-Encoding: base64\r\n"));
	/* Every line ends in CRLF and keeps within 78 characters. */
	for (const char *p = msg; *p;) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		assert_true(nl > p ? nl[-1] == '\r' : 0);
		assert_true(nl - p - 1 <= 78);
		p = nl + 1;
	}
	free(msg);
}

static void test_templates(void **state)
{
	(void)state;
	const struct gp_alert_member down[] = {
		{"stat-1", "10.0.0.1", "port: CRITICAL - connection refused\nprocess: CRITICAL - 0\n"},
		{"stat-2", "10.0.0.2", NULL},
	};
	struct gp_alert_facts f = {
		.event = GP_ALERT_OPENED, .russian = true, .tz = "Asia/Almaty", .incident = 42,
		.priority = "P1", .service = "stat-monitor", .title = "Монитор статистики",
		.status = "open", .attribution = "supplier", .since = 1764063850,
		.at = 1764063912, .response_due = 1764067452, .members = down, .n_members = 2,
	};
	char *s = gp_alert_subject(&f);
	assert_string_equal(s, "[P1 #42] Недоступен сервис «Монитор статистики» (stat-monitor)");
	free(s);
	char *t = gp_alert_text(&f);
	assert_non_null(strstr(t, "Сервис «Монитор статистики» (stat-monitor) недоступен с "
				  "2025-11-25 14:44:10 (Asia/Almaty) (1 мин 02 с)."));
	/* Every component DOWN, each with its host, checks and diag line. */
	assert_non_null(strstr(t, "Недоступные компоненты:\n"
				  "  stat-1 (10.0.0.1)\n"
				  "    port: CRITICAL - connection refused\n"
				  "    process: CRITICAL - 0\n"
				  "    Диагностика: gprobe diag stat-1\n"
				  "  stat-2 (10.0.0.2)\n"
				  "    Диагностика: gprobe diag stat-2\n"));
	assert_non_null(strstr(t, "статус: открыт, ответственность: поставщик"));
	assert_null(strstr(t, " open"));
	free(t);

	f.russian = false;
	f.event = GP_ALERT_RESTORED;
	f.down_seconds = 3725;
	f.status = "restored";
	s = gp_alert_subject(&f);
	assert_string_equal(s, "[P1 #42] \"Монитор статистики\" (stat-monitor) restored");
	free(s);
	t = gp_alert_text(&f);
	assert_non_null(strstr(t, "it was down for 1 h 02 min (since 2025-11-25 14:44:10"));
	/* Back, not DOWN: named without checks or diag lines. */
	assert_non_null(strstr(t, "Restored components:\n  stat-1 (10.0.0.1)\n  stat-2 (10.0.0.2)\n"));
	assert_null(strstr(t, "DOWN"));
	assert_null(strstr(t, "diag"));
	free(t);

	f.event = GP_ALERT_ESCALATION;
	s = gp_alert_subject(&f);
	assert_string_equal(s, "[P1 #42] \"Монитор статистики\" (stat-monitor) no response");
	free(s);

	/* Lost redundancy is not an outage: the service is up. */
	f.event = GP_ALERT_DEGRADED;
	f.russian = true;
	f.priority = "P3";
	f.status = "open";
	f.n_members = 1;
	s = gp_alert_subject(&f);
	assert_string_equal(s, "[P3 #42] Избыточность потеряна: сервис «Монитор статистики» "
			       "(stat-monitor)");
	free(s);
	t = gp_alert_text(&f);
	assert_non_null(strstr(t, "(stat-monitor) работает, но с 2025-11-25 14:44:10 (Asia/Almaty) "
				  "потеряна избыточность"));
	assert_null(strstr(t, "недоступен с"));
	assert_non_null(strstr(t, "  stat-1 (10.0.0.1)\n    port: CRITICAL"));
	assert_non_null(strstr(t, "Диагностика: gprobe diag stat-1\n"));
	free(t);
}

/* ------------------------------------------------------------------ */
/* The outbox and the sender on a database                             */

struct fx {
	struct gp_config *cfg;
	struct gp_store *st;
	char dir[64];
	char err[512];
	size_t n_to; /* tests narrow the list; teardown puts it back */
	struct gp_sender_unrecorded unrec; /* the daemon's, for each pass */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	testdb_open(CONFIG_DIR "/good/alerts.yaml", "alerts", f->dir, &f->cfg, &f->st);
	f->n_to = f->cfg->email.n_to;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = f->n_to;
	gp_sender_unrecorded_free(&f->unrec);
	testdb_close(f->dir, f->cfg, f->st);
	free(f);
	return 0;
}

/* A channel that records and answers as told. */
struct rec {
	int calls;
	int fail_first;  /* that many temporary failures first */
	bool permanent;
	char subjects[16][256];
};

static int rec_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a, char *err,
		       size_t errlen, bool *permanent)
{
	(void)cfg;
	struct rec *r = ctx;
	int i = r->calls++;
	if (i < 16)
		snprintf(r->subjects[i], sizeof(r->subjects[i]), "%s", a->subject ? a->subject : "");
	if (r->permanent || i < r->fail_first) {
		*permanent = r->permanent;
		snprintf(err, errlen, "refused");
		return -1;
	}
	return 0;
}

static struct gp_incident incident(int64_t id, enum gp_incident_status status)
{
	return (struct gp_incident){.id = id, .service = "ha", .status = status,
				    .priority = GP_P1, .channel = GP_CHANNEL_PROBE,
				    .attribution = GP_ATTR_SUPPLIER, .opened_at = 1000,
				    .response_due_at = 4600, .outage_start = 990,
				    .members = "a"};
}

static int64_t count(struct fx *f, const char *status)
{
	struct gp_alert_counts c;
	assert_int_equal(gp_store_alert_counts(f->st, &c), 0);
	return !strcmp(status, "queued") ? c.queued
	       : !strcmp(status, "sent") ? c.sent
	       : !strcmp(status, "failed") ? c.failed
	       : !strcmp(status, "held") ? c.folded
					   : c.flagged;
}

/* One sender pass at now with one e-mail channel. */
static struct gp_sender_stats pass_with(struct fx *f, const struct gp_channel *ch, int64_t now)
{
	const struct gp_channel *chs[] = {ch};
	struct gp_sender_stats stats = {0};
	gp_sender_pass(f->st, f->cfg, chs, 1, now, &f->unrec, NULL, &stats, NULL);
	return stats;
}

static void pass(struct fx *f, struct rec *r, int64_t now)
{
	pass_with(f, &(struct gp_channel){"email", rec_deliver, r}, now);
}

/* Insert an incident row so the outbox's foreign key holds. */
static int64_t new_incident(struct fx *f)
{
	struct gp_incident inc = incident(0, GP_INCIDENT_OPEN);
	inc.service = "ha";
	assert_int_equal(gp_store_incident_insert(f->st, &inc), 0);
	return inc.id;
}

static void test_outbox_restored_held_and_cancelled(void **state)
{
	struct fx *f = *state;
	struct gp_incident inc = incident(new_incident(f), GP_INCIDENT_OPEN);
	/* Opened: to both addresses of `to` at once. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "opened", "x", 1000, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(count(f, "queued"), 2);
	/* Restored: held for restore_delay (60 s); a reopen within it cancels
	 * it and sends nothing. */
	inc.restored_at = 1100;
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "restored", "up", 1100, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(count(f, "queued"), 4);
	struct rec r = {0};
	pass(f, &r, 1101);
	assert_int_equal(r.calls, 2); /* the opened ones only */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "reopened", "down", 1120, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(count(f, "queued"), 0);
	/* Once the restore was told, a reopen is told too. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "restored", "up", 1200, 0, f->err,
					    sizeof(f->err)),
			 0);
	pass(f, &r, 1260);
	assert_int_equal(r.calls, 4);
	assert_string_equal(r.subjects[2], "[P1 #1] ha restored");
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "reopened", "down", 1300, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(count(f, "queued"), 2);
	/* Escalations go to escalate_to; notes and acks send nothing. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "escalation", "late", 1400, 0,
					    f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "note", "n", 1400, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "ack", "n", 1400, 0, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(count(f, "queued"), 3);
}

static void test_sender_retries_and_failures(void **state)
{
	struct fx *f = *state;
	assert_int_equal(gp_sender_backoff(1), 5);
	assert_int_equal(gp_sender_backoff(2), 10);
	assert_int_equal(gp_sender_backoff(3), 20);
	assert_int_equal(gp_sender_backoff(20), 900);

	struct gp_incident inc = incident(new_incident(f), GP_INCIDENT_OPEN);
	f->cfg->email.n_to = 1;
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "opened", "x", 1000, 0, f->err,
					    sizeof(f->err)),
			 0);
	struct rec r = {.fail_first = 2};
	pass(f, &r, 1000);
	assert_int_equal(r.calls, 1);
	pass(f, &r, 1004); /* not due before 1000 + 5 */
	assert_int_equal(r.calls, 1);
	pass(f, &r, 1005);
	assert_int_equal(r.calls, 2);
	pass(f, &r, 1014); /* the next after 10 more */
	assert_int_equal(r.calls, 2);
	pass(f, &r, 1015);
	assert_int_equal(r.calls, 3);
	assert_int_equal(count(f, "sent"), 1);
	pass(f, &r, 2000);
	assert_int_equal(r.calls, 3); /* never twice */

	/* Refused for good: kept as failed, not retried. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "restored", "x", 3000, 0, f->err,
					    sizeof(f->err)),
			 0);
	struct rec bad = {.permanent = true};
	pass(f, &bad, 3100);
	pass(f, &bad, 9000);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(count(f, "failed"), 1);

	/* Undelivered for a day: flagged, and still tried. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "escalation", "x", 10000, 0, f->err,
					    sizeof(f->err)),
			 0);
	struct rec down = {.fail_first = 1000};
	pass(f, &down, 10000);
	pass(f, &down, 10000 + 86401);
	assert_int_equal(count(f, "flagged"), 1);
	assert_int_equal(down.calls, 2);
}

/* rate_limit 3 an hour: of five mails to one address in an hour, three go
 * and two are held; when the hour allows, the two go as one digest. */
static void test_rate_limit_digest(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	f->cfg->email.rate_limit = 3;
	struct gp_incident inc = incident(new_incident(f), GP_INCIDENT_OPEN);
	const char *kinds[] = {"opened", "restored", "reopened", "resolve", "auto-closed"};
	struct rec r = {0};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, kinds[i], "x", 1000 + i, 0,
						    f->err, sizeof(f->err)),
				 0);
		pass(f, &r, 1100 + i);
	}
	assert_int_equal(r.calls, 3);
	assert_int_equal(count(f, "held"), 2);
	pass(f, &r, 1100 + 1800);
	assert_int_equal(r.calls, 3);
	pass(f, &r, 1100 + 3601);
	assert_int_equal(r.calls, 4);
	assert_string_equal(r.subjects[3], "[gprobe] 2 messages held back");
	assert_int_equal(count(f, "held"), 0);
	pass(f, &r, 9000);
	assert_int_equal(r.calls, 4);
}

/* ------------------------------------------------------------------ */
/* An outbox row's states                                              */

/* A row as a second connection sees it: what is committed. */
struct seen {
	enum gp_alert_status status;
	int attempts;
	int64_t attempted_at, sent_at;
	char message_id[128];
};

static bool find_one(void *ctx, struct gp_alert *a)
{
	struct seen *s = ctx;
	s->status = a->status;
	s->attempts = a->attempts;
	s->attempted_at = a->attempted_at;
	s->sent_at = a->sent_at;
	snprintf(s->message_id, sizeof(s->message_id), "%s", a->message_id);
	return false;
}

static bool seen_in(const char *dir, enum gp_alert_status status, struct seen *out)
{
	char err[256];
	struct gp_store *other = gp_store_open_dir(dir, false, err, sizeof(err));
	assert_non_null(other);
	memset(out, 0, sizeof(*out));
	out->attempts = -1;
	assert_int_equal(gp_store_alert_list(other, status, NULL, find_one, out), 0);
	gp_store_close(other);
	return out->attempts >= 0;
}

/* A channel that looks, from another connection, at what is committed
 * while it holds the alert, then answers as told. */
struct peek {
	const char *dir;
	int calls;
	int fail_first;
	struct seen during[8];
	char ids[8][128];
};

static int peek_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a,
			char *err, size_t errlen, bool *permanent)
{
	(void)cfg;
	struct peek *p = ctx;
	int i = p->calls++;
	assert_true(i < 8);
	assert_true(seen_in(p->dir, GP_ALERT_SENDING, &p->during[i]));
	snprintf(p->ids[i], sizeof(p->ids[i]), "%s", a->message_id);
	if (i < p->fail_first) {
		*permanent = false;
		snprintf(err, errlen, "timed out");
		return -1;
	}
	return 0;
}

static struct gp_sender_stats peek_pass(struct fx *f, struct peek *p, int64_t now)
{
	return pass_with(f, &(struct gp_channel){"email", peek_deliver, p}, now);
}

/* An open incident whose "opened" is queued at 1000. */
static struct gp_incident opened_at_1000(struct fx *f)
{
	struct gp_incident inc = incident(new_incident(f), GP_INCIDENT_OPEN);
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "opened", "x", 1000, 0, f->err,
					    sizeof(f->err)),
			 0);
	return inc;
}

/* queued -> sending (committed, attempt 1) -> queued (not delivered) ->
 * sending (attempt 2, over the rate limit all the same) -> sent. */
static void test_row_sending_before_handover(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	opened_at_1000(f);
	struct seen s;
	assert_true(seen_in(f->dir, GP_ALERT_QUEUED, &s));
	assert_int_equal(s.attempts, 0);

	struct peek p = {.dir = f->dir, .fail_first = 1};
	peek_pass(f, &p, 1000);
	assert_int_equal(p.calls, 1);
	/* While the channel held it: 'sending', its attempt and time
	 * committed (another connection saw them). */
	assert_int_equal(p.during[0].status, GP_ALERT_SENDING);
	assert_int_equal(p.during[0].attempts, 1);
	assert_int_equal(p.during[0].attempted_at, 1000);
	assert_true(seen_in(f->dir, GP_ALERT_QUEUED, &s));
	assert_int_equal(s.attempts, 1);
	assert_false(seen_in(f->dir, GP_ALERT_SENDING, &s));

	/* Handed over once, it is never folded into a digest (the receiver
	 * may have it under its own Message-ID), over the rate limit too. */
	f->cfg->email.rate_limit = 0;
	peek_pass(f, &p, 1005);
	assert_int_equal(p.calls, 2);
	assert_int_equal(p.during[1].attempts, 2);
	assert_int_equal(p.during[1].attempted_at, 1005);
	assert_true(seen_in(f->dir, GP_ALERT_SENT, &s));
	assert_int_equal(s.attempts, 2);
	assert_string_equal(p.ids[0], p.ids[1]);
	assert_string_equal(s.message_id, p.ids[0]);
	assert_int_equal(count(f, "queued"), 0);
	peek_pass(f, &p, 5000);
	assert_int_equal(p.calls, 2);
}

/* A crash in the hand-over leaves the row 'sending': the next sender
 * hands it over again, at once, with the same Message-ID, as the next
 * attempt; not folded by the rate limit, not cancelled, still flagged. */
static void test_row_left_sending_by_a_crash(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	f->cfg->email.rate_limit = 1;
	struct gp_incident inc = opened_at_1000(f);
	struct rec r = {0};
	pass(f, &r, 1000); /* sent: the rate limit (1 an hour) is used up */
	assert_int_equal(count(f, "sent"), 1);
	inc.restored_at = 1100;
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "restored", "up", 1100, 0, f->err,
					    sizeof(f->err)),
			 0);
	/* The crash: marked for try 1 (restored_delay passed), then nothing. */
	struct seen s;
	assert_true(seen_in(f->dir, GP_ALERT_QUEUED, &s));
	int64_t id = 0;
	struct gp_alert a;
	assert_true(gp_store_alert_next(f->st, 1200, &a));
	id = a.id;
	gp_alert_clear(&a);
	assert_int_equal(gp_store_alert_claim(f->st, id, 2, 1200), -1); /* not attempt 2 */
	assert_int_equal(gp_store_alert_claim(f->st, id, 1, 1200), 0);
	assert_int_equal(gp_store_alert_claim(f->st, id, 1, 1200), -1); /* taken */
	assert_true(seen_in(f->dir, GP_ALERT_SENDING, &s));
	assert_int_equal(s.attempts, 1);
	char mid[128];
	snprintf(mid, sizeof(mid), "%s", s.message_id);
	struct gp_alert_counts c;
	assert_int_equal(gp_store_alert_counts(f->st, &c), 0);
	assert_int_equal(c.sending, 1);
	assert_int_equal(c.queued, 0);

	/* A reopen cancels a held "restored", not one the receiver may have. */
	assert_int_equal(gp_store_alert_cancel(f->st, inc.id, "restored"), 0);
	/* Undelivered for too long: flagged while 'sending' too. */
	assert_int_equal(gp_store_alert_flag(f->st, 1100 + 1, 1300), 1);

	/* The restarted sender: over the rate limit, yet handed over again,
	 * same Message-ID, attempt 2. */
	struct peek p = {.dir = f->dir};
	struct gp_sender_stats st = peek_pass(f, &p, 1300);
	assert_int_equal(p.calls, 1);
	assert_int_equal(st.resumed, 1);
	assert_int_equal(st.folded, 0);
	assert_int_equal(p.during[0].attempts, 2);
	assert_string_equal(p.ids[0], mid);
	assert_true(seen_in(f->dir, GP_ALERT_SENT, &s)); /* the first sent row */
	assert_int_equal(gp_store_alert_counts(f->st, &c), 0);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.sending + c.queued + c.folded, 0);

	/* A crash again, then a permanent refusal: sending -> failed. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "escalation", "late", 1400, 0,
					    f->err, sizeof(f->err)),
			 0);
	assert_true(gp_store_alert_next(f->st, 1400, &a));
	assert_int_equal(gp_store_alert_claim(f->st, a.id, 1, 1400), 0);
	gp_alert_clear(&a);
	struct rec bad = {.permanent = true};
	pass(f, &bad, 1401);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(count(f, "failed"), 1);
	assert_true(seen_in(f->dir, GP_ALERT_FAILED, &s));
	assert_int_equal(s.attempts, 2);
}

/* From another connection: the database refuses to record an alert as
 * sent (as when the server ends the sender's connection right after the
 * mail server's 250), or takes it again. */
static void refuse_sent(const char *dir, bool refuse)
{
	char *path = gp_xasprintf("%s/gprobe.db", dir), err[256] = "";
	assert_true(gp_sq_load(err, sizeof(err))); /* the store's to load (libsqlite.h) */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	free(path);
	const char *sql = refuse ? "CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON alert"
				   " WHEN NEW.status = 'sent'"
				   " BEGIN SELECT RAISE(ABORT, 'connection ended'); END"
				 : "DROP TRIGGER refuse_sent";
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A channel that accepts each alert; at the first, the database starts
 * refusing the record. */
struct refusing {
	const char *dir;
	int calls;
	char ids[8][128];
};

static int refusing_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a,
			    char *err, size_t errlen, bool *permanent)
{
	(void)cfg, (void)err, (void)errlen, (void)permanent;
	struct refusing *r = ctx;
	assert_true(r->calls < 8);
	snprintf(r->ids[r->calls], sizeof(r->ids[0]), "%s", a->message_id);
	if (r->calls++ == 0)
		refuse_sent(r->dir, true);
	return 0;
}

static struct gp_sender_stats refusing_pass(struct fx *f, struct refusing *r, int64_t now)
{
	return pass_with(f, &(struct gp_channel){"email", refusing_deliver, r}, now);
}

/* Accepted, but the record refused: the process remembers it, hands
 * nothing over while the database refuses, and records it (at the time
 * of its acceptance) once the database takes it; never sent twice. */
static void test_accepted_but_not_recorded(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	struct gp_incident inc = opened_at_1000(f);
	struct refusing r = {.dir = f->dir};
	refusing_pass(f, &r, 1000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(f->unrec.n, 1);
	struct seen s;
	assert_true(seen_in(f->dir, GP_ALERT_SENDING, &s));
	assert_int_equal(s.attempts, 1);

	/* The next passes, and a second alert due: nothing handed over while
	 * the record is refused (the row is 'sending', due again). */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "escalation", "late", 1001, 0,
					    f->err, sizeof(f->err)),
			 0);
	refusing_pass(f, &r, 1001);
	refusing_pass(f, &r, 1002);
	assert_int_equal(r.calls, 1);
	assert_int_equal(f->unrec.n, 1);

	/* The database takes records again: the first is recorded as sent
	 * at 1000, attempt 1, then the second goes. */
	refuse_sent(f->dir, false);
	struct gp_sender_stats st = refusing_pass(f, &r, 1010);
	assert_int_equal(st.recorded_late, 1);
	assert_int_equal(st.resumed, 0);
	assert_int_equal(f->unrec.n, 0);
	assert_int_equal(r.calls, 2);
	assert_string_not_equal(r.ids[0], r.ids[1]);
	assert_true(seen_in(f->dir, GP_ALERT_SENT, &s));
	assert_string_equal(s.message_id, r.ids[0]);
	assert_int_equal(s.attempts, 1);
	assert_int_equal(s.sent_at, 1000);
	assert_int_equal(count(f, "sent"), 2);
	assert_int_equal(count(f, "queued"), 0);

	assert_int_equal(st.recorded_by_other, 0);
}

/* While a record is refused the sender says so in its log once a
 * minute, not at each pass (a pass a second). */
static void test_refused_record_told_once_a_minute(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	opened_at_1000(f);
	struct refusing r = {.dir = f->dir};
	const struct gp_channel ch = {"email", refusing_deliver, &r};
	const struct gp_channel *chs[] = {&ch};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	struct gp_logger lg = {.out = out, .level = GP_LOG_INFO};
	struct gp_sender_stats stats = {0};
	for (int64_t now = 1000; now <= 1130; now++)
		gp_sender_pass(f->st, f->cfg, chs, 1, now, &f->unrec, &lg, &stats, NULL);
	fclose(out);
	assert_int_equal(r.calls, 1);
	int told = 0;
	for (const char *p = text; (p = strstr(p, "accepted but not recorded yet")); p++)
		told++;
	/* At 1001 (the first pass that finds it waiting), 1061 and 1121. */
	assert_int_equal(told, 3);
	free(text);
	refuse_sent(f->dir, false);
}

/* From another connection, as another node's try: the alert's outcome
 * recorded while this sender hands it over. */
static int other_try_deliver(void *ctx, const struct gp_config *cfg, const struct gp_alert *a,
			     char *err, size_t errlen, bool *permanent)
{
	(void)cfg, (void)err, (void)errlen, (void)permanent;
	const char *dir = ctx;
	char *path = gp_xasprintf("%s/gprobe.db", dir), *sql;
	char e[256] = "";
	assert_true(gp_sq_load(e, sizeof(e)));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	free(path);
	sql = gp_xasprintf("UPDATE alert SET status = 'failed' WHERE id = %lld", (long long)a->id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(db);
	return 0;
}

/* Accepted here while another try recorded the outcome: that record
 * stands, counted and logged apart; nothing is kept to record later. */
static void test_accepted_while_recorded_elsewhere(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	opened_at_1000(f);
	struct gp_sender_stats st =
		pass_with(f, &(struct gp_channel){"email", other_try_deliver, f->dir}, 1000);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.recorded_by_other, 1);
	assert_int_equal(f->unrec.n, 0);
	assert_int_equal(count(f, "failed"), 1);
	assert_int_equal(count(f, "sent"), 0);
}

/* Accepted, the record refused, and meanwhile another node's try: the
 * alerts are still flagged while the sender waits; one queued again by
 * that try's failure is recorded as sent, not handed over again; one
 * that try recorded (here: failed for good) is left as it is. */
static void test_accepted_then_tried_elsewhere(void **state)
{
	struct fx *f = *state;
	f->cfg->email.n_to = 1;
	f->cfg->alerts.undelivered_after_ms = 30 * 1000;
	struct gp_incident inc = opened_at_1000(f);
	struct refusing r = {.dir = f->dir};
	refusing_pass(f, &r, 1000);
	assert_int_equal(f->unrec.n, 1);
	struct gp_alert a;
	assert_true(gp_store_alert_next(f->st, 1001, &a)); /* 'sending', due */
	int64_t id = a.id;
	gp_alert_clear(&a);
	/* Waiting for the record: the due alert is flagged all the same. */
	refusing_pass(f, &r, 1100);
	assert_int_equal(r.calls, 1);
	assert_int_equal(count(f, "flagged"), 1);
	/* The other node's try, failed: queued again for later. */
	assert_int_equal(gp_store_alert_claim(f->st, id, 2, 1101), 0);
	assert_int_equal(gp_store_alert_retry(f->st, id, 1200, "timed out"), 0);
	refuse_sent(f->dir, false);
	struct gp_sender_stats st = refusing_pass(f, &r, 1300);
	assert_int_equal(st.recorded_late, 1);
	assert_int_equal(r.calls, 1);
	struct seen s;
	assert_true(seen_in(f->dir, GP_ALERT_SENT, &s));
	assert_int_equal(s.sent_at, 1000);
	assert_int_equal(count(f, "queued"), 0);

	/* Failed for good by the other node's try: left failed. */
	assert_int_equal(gp_outbox_incident(f->st, f->cfg, &inc, "escalation", "late", 1400, 0,
					    f->err, sizeof(f->err)),
			 0);
	assert_true(gp_store_alert_next(f->st, 1400, &a));
	id = a.id;
	gp_alert_clear(&a);
	assert_int_equal(gp_store_alert_claim(f->st, id, 1, 1400), 0);
	assert_int_equal(gp_store_alert_failed(f->st, id, "refused"), 0);
	gp_grow((void **)&f->unrec.v, &f->unrec.cap, f->unrec.n, sizeof(*f->unrec.v));
	f->unrec.v[f->unrec.n++] = (struct gp_unrecorded_alert){id, 1400};
	st = refusing_pass(f, &r, 1401);
	assert_int_equal(st.recorded_by_other, 1);
	assert_int_equal(st.recorded_late, 0);
	assert_int_equal(f->unrec.n, 0);
	assert_int_equal(r.calls, 1);
	assert_true(seen_in(f->dir, GP_ALERT_FAILED, &s));
	assert_int_equal(s.attempts, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_subject_encoding),
		cmocka_unit_test(test_mail_build),
		cmocka_unit_test(test_templates),
		cmocka_unit_test_setup_teardown(test_outbox_restored_held_and_cancelled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sender_retries_and_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_but_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_then_tried_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_record_told_once_a_minute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accepted_while_recorded_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_sending_before_handover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_left_sending_by_a_crash, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
