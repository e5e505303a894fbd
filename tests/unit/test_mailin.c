/*
 * test_mailin.c - replies to alerts: the reply token and address
 * (alerts/reply.c), the incoming message's parser (alerts/inmail.c) on
 * what mail clients send (folded headers, encoded words, quoted-printable
 * and base64, multipart, koi8-r, CRLF or LF) and on broken messages, and
 * the judgement of a reply (alerts/mailin.c): token, sender, command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "inmail.h"
#include "mailin.h"
#include "reply.h"
#include "testconfig.h"
#include "util.h"

static const char *const SECRET = "s3cret-of-the-probe";

/* ------------------------------------------------------------------ */
/* Tokens and addresses                                                */

static void test_token(void **state)
{
	(void)state;
	char a[GP_REPLY_TOKEN_HEX + 1], b[GP_REPLY_TOKEN_HEX + 1];
	gp_reply_token(SECRET, 42, "opened", a);
	gp_reply_token(SECRET, 42, "opened", b);
	assert_int_equal(strlen(a), GP_REPLY_TOKEN_HEX);
	assert_string_equal(a, b);
	assert_true(gp_reply_token_ok(SECRET, 42, "opened", a));
	/* Bound to the incident, the event and the secret. */
	assert_false(gp_reply_token_ok(SECRET, 43, "opened", a));
	assert_false(gp_reply_token_ok(SECRET, 42, "resolved", a));
	assert_false(gp_reply_token_ok("another secret", 42, "opened", a));
	gp_reply_token(SECRET, 43, "opened", b);
	assert_string_not_equal(a, b);
	char c[GP_REPLY_TOKEN_HEX + 1];
	memcpy(c, a, sizeof(c));
	c[5] = c[5] == '0' ? '1' : '0';
	assert_false(gp_reply_token_ok(SECRET, 42, "opened", c));
	assert_false(gp_reply_token_ok(SECRET, 42, "opened", ""));
	assert_false(gp_reply_token_ok(SECRET, 42, "opened", "0123"));
	/* The known answer: HMAC-SHA256("s3cret-of-the-probe",
	 * "gprobe-reply/1 42 opened"), first 12 bytes (openssl dgst). */
	FILE *p = popen("printf 'gprobe-reply/1 42 opened' | openssl dgst -sha256 -hmac "
			"'s3cret-of-the-probe' -r 2>/dev/null",
			"r");
	char line[200] = "";
	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = '\0';
		pclose(p);
	}
	if (strlen(line) >= GP_REPLY_TOKEN_HEX)
		assert_memory_equal(line, a, GP_REPLY_TOKEN_HEX);
}

static void test_address(void **state)
{
	(void)state;
	char *addr = gp_reply_address("gprobe@example.kz", SECRET, 42, "auto-closed");
	assert_non_null(addr);
	char tok[GP_REPLY_TOKEN_HEX + 1];
	gp_reply_token(SECRET, 42, "auto-closed", tok);
	char *want = gp_xasprintf("gprobe+42.auto-closed.%s@example.kz", tok);
	assert_string_equal(addr, want);
	assert_true(strchr(addr, '@') - addr <= 64);
	int64_t id = 0;
	char ev[GP_REPLY_EVENT_MAX], token[GP_REPLY_TOKEN_HEX + 1], err[200];
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", addr, &id, ev, token, err,
						sizeof(err)),
			 1);
	assert_int_equal(id, 42);
	assert_string_equal(ev, "auto-closed");
	assert_string_equal(token, tok);
	/* Case does not matter: some mail systems change it. */
	for (char *q = addr; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 32);
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", addr, &id, ev, token, err,
						sizeof(err)),
			 1);
	assert_string_equal(token, tok);
	assert_string_equal(ev, "auto-closed");
	/* Not ours, or ours and broken. */
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", "noc@example.kz", &id, ev,
						token, err, sizeof(err)),
			 0);
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", "gprobe@example.kz", &id, ev,
						token, err, sizeof(err)),
			 0);
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", "gprobe+1.opened.abc@other.kz",
						&id, ev, token, err, sizeof(err)),
			 0);
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", "gprobe+x.opened.abc@example.kz",
						&id, ev, token, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "number"));
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz", "gprobe+1.opened@example.kz",
						&id, ev, token, err, sizeof(err)),
			 -1);
	assert_int_equal(gp_reply_address_parse("gprobe@example.kz",
						"gprobe+1.opened.0123zz@example.kz", &id, ev, token,
						err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "hex"));
	assert_null(gp_reply_address("gprobe@example.kz", SECRET, 1, "Bad Event"));
	assert_null(gp_reply_address("gprobe", SECRET, 1, "opened"));
	free(addr);
	free(want);
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */

static struct gp_inmail parse_ok(const char *msg)
{
	struct gp_inmail m;
	char err[300] = "";
	int rc = gp_inmail_parse(msg, strlen(msg), &m, err, sizeof(err));
	if (rc != 0)
		fail_msg("parse: %s", err);
	return m;
}

static void parse_fails(const char *msg, size_t len, const char *why)
{
	struct gp_inmail m;
	char err[300] = "";
	if (gp_inmail_parse(msg, len, &m, err, sizeof(err)) != -1)
		fail_msg("parsed: %.200s", msg);
	if (!strstr(err, why))
		fail_msg("expected '%s' in '%s'", why, err);
}

static void test_parse_plain_lf(void **state)
{
	(void)state;
	struct gp_inmail m = parse_ok("From ivan@example.kz Mon Nov 30 10:00:00 2026\n"
				      "From: Ivan Petrov <Ivan@Example.kz>\n"
				      "To: gprobe+1.opened.aa@example.kz\n"
				      "Subject: Re: [P1 #1] down\n"
				      "Message-ID: <r1@mail>\n"
				      "In-Reply-To: <gprobe.opened.x@example.kz>\n"
				      "References: <gprobe.incident.1@example.kz>\n"
				      "  <gprobe.opened.x@example.kz>\n"
				      "\n"
				      "ack looking\n"
				      "\n"
				      "> quoted\n");
	assert_string_equal(m.from, "Ivan@Example.kz");
	assert_string_equal(m.subject, "Re: [P1 #1] down");
	assert_string_equal(m.message_id, "<r1@mail>");
	/* Folded: the line end goes, the blanks stay. */
	assert_string_equal(m.references,
			    "<gprobe.incident.1@example.kz>  <gprobe.opened.x@example.kz>");
	assert_int_equal(m.n_rcpts, 1);
	assert_string_equal(m.rcpts[0], "gprobe+1.opened.aa@example.kz");
	assert_string_equal(m.text, "ack looking\n\n> quoted\n");
	gp_inmail_free(&m);
}

static void test_parse_encoded(void **state)
{
	(void)state;
	/* CRLF, an encoded subject in two words (UTF-8 base64, koi8-r Q),
	 * a quoted-printable UTF-8 body with a soft break, recipients in
	 * every header, display names with commas. */
	struct gp_inmail m = parse_ok(
		"Delivered-To: gprobe+7.opened.bb@example.kz\r\n"
		"From: \"Petrov, Ivan\" <ivan@example.kz>\r\n"
		"To: \"NOC, duty\" <noc@example.kz>, gprobe+7.opened.bb@example.kz (gprobe)\r\n"
		"Cc: team: a@example.kz, b@example.kz;\r\n"
		"Subject: =?UTF-8?B?0J/RgNC40L3Rj9GC0L4=?=\r\n"
		" =?koi8-r?Q?=F0=D2=C9=CE=D1=D4=CF?=\r\n"
		"Content-Type: text/plain; charset=\"utf-8\"; format=flowed\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"=D0=BF=D1=80=D0=B8=D0=BD=D1=8F=D1=82=D0=BE, =D1=81=D0=BC=D0=BE=D1=82=\r\n"
		"=D1=80=D1=8E\r\n"
		"> =D0=A1=D0=B5=D1=80=D0=B2=D0=B8=D1=81\r\n");
	assert_string_equal(m.from, "ivan@example.kz");
	assert_string_equal(m.subject, "ПринятоПринято");
	assert_int_equal(m.n_rcpts, 4);
	assert_string_equal(m.rcpts[0], "gprobe+7.opened.bb@example.kz"); /* Delivered-To first */
	assert_string_equal(m.rcpts[1], "noc@example.kz");
	assert_string_equal(m.rcpts[2], "a@example.kz");
	assert_string_equal(m.rcpts[3], "b@example.kz");
	assert_string_equal(m.text, "принято, смотрю\n> Сервис\n");
	gp_inmail_free(&m);
}

static void test_parse_multipart(void **state)
{
	(void)state;
	/* Outlook's reply: multipart/alternative with a base64 windows-1251
	 * text part after a preamble, an HTML part, an attachment. */
	struct gp_inmail m = parse_ok(
		"From: ivan@example.kz\r\n"
		"To: gprobe+3.resolved.cc@example.kz\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed;\r\n"
		"\tboundary=\"outer\"\r\n"
		"\r\n"
		"This is a multi-part message in MIME format.\r\n"
		"--outer\r\n"
		"Content-Type: multipart/alternative; boundary=inner\r\n"
		"\r\n"
		"--inner\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n"
		"<p>html first</p>\r\n"
		"--inner\r\n"
		"Content-Type: text/plain; charset=windows-1251\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"7vLq6+7t//46IO3lIPDg4e7y4OXy\r\n"
		"--inner--\r\n"
		"--outer\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Disposition: attachment; filename=x.txt\r\n"
		"\r\n"
		"not this\r\n"
		"--outer--\r\n");
	assert_string_equal(m.text, "отклоняю: не работает");
	gp_inmail_free(&m);

	/* No text part at all: no text, not an error. */
	m = parse_ok("From: a@b.kz\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
		     "Content-Type: image/png\n\nPNG\n--x--\n");
	assert_string_equal(m.text, "");
	gp_inmail_free(&m);
}

static void test_parse_broken(void **state)
{
	(void)state;
	parse_fails("", sizeof("") - 1, "empty");
	parse_fails("no header here\n\nack\n", sizeof("no header here\n\nack\n") - 1, "not a header");
	parse_fails(" continued\nFrom: a@b.kz\n\nack\n", sizeof(" continued\nFrom: a@b.kz\n\nack\n") - 1, "continues no header");
	parse_fails("To: x@y.kz\n\nack\n", sizeof("To: x@y.kz\n\nack\n") - 1, "From");
	parse_fails("From: a@b.kz\nFrom: c@d.kz\n\nack\n", sizeof("From: a@b.kz\nFrom: c@d.kz\n\nack\n") - 1, "2 From");
	parse_fails("From: Nobody\n\nack\n", sizeof("From: Nobody\n\nack\n") - 1, "no valid address");
	parse_fails("From: a@b.kz, c@d.kz\n\nack\n", sizeof("From: a@b.kz, c@d.kz\n\nack\n") - 1, "more than one");
	const char nul[] = "From: a@b.kz\nSubject: a\0b\n\nack\n";
	parse_fails(nul, sizeof(nul) - 1, "NUL");
	parse_fails("From: a@b.kz\nContent-Transfer-Encoding: x-uuencode\n\nack\n", sizeof("From: a@b.kz\nContent-Transfer-Encoding: x-uuencode\n\nack\n") - 1,
		    "Content-Transfer-Encoding");
	parse_fails("From: a@b.kz\nContent-Type: text/plain; charset=x-no-such\n\nack\n", sizeof("From: a@b.kz\nContent-Type: text/plain; charset=x-no-such\n\nack\n") - 1,
		    "charset");
	parse_fails("From: a@b.kz\nContent-Type: multipart/mixed\n\nack\n", sizeof("From: a@b.kz\nContent-Type: multipart/mixed\n\nack\n") - 1, "boundary");
	/* Nesting without end. */
	char *deep = gp_xstrdup("From: a@b.kz\nContent-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 0; i < 20; i++) {
		char *next = gp_xasprintf("%s--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n",
					  deep, i, i + 1);
		free(deep);
		deep = next;
	}
	parse_fails(deep, strlen(deep), "deeper");
	free(deep);
	/* Too large. */
	size_t big = GP_INMAIL_MAX + 1;
	char *huge = gp_xcalloc(big + 1, 1);
	memset(huge, 'a', big);
	parse_fails(huge, big, "larger");
	free(huge);
	/* Invalid UTF-8 and stray bytes never reach the text as such. */
	struct gp_inmail m = parse_ok("From: a@b.kz\nSubject: =?utf-8?B?/w==?= x\n\nack \xff\xfe\n");
	assert_string_equal(m.text, "ack \xEF\xBF\xBD\xEF\xBF\xBD\n");
	assert_string_equal(m.subject, "\xEF\xBF\xBD x");
	gp_inmail_free(&m);
	/* A header section without a body is a message without text. */
	m = parse_ok("From: a@b.kz\nSubject: only");
	assert_string_equal(m.text, "");
	assert_string_equal(m.subject, "only");
	gp_inmail_free(&m);
}

static void test_decoders(void **state)
{
	(void)state;
	size_t n;
	char *s = gp_inmail_qp_decode("a=3Db=\nc=zz=", 13, &n);
	assert_string_equal(s, "a=bc=zz=");
	free(s);
	s = gp_inmail_b64_decode("0J/R\r\ngA==", 10, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(s, "\xD0\x9F\xD1\x80", 4);
	free(s);
	char *w = gp_inmail_decode_words("=?UTF-8?Q?a_b?= =?UTF-8?Q?c?= d =?bogus");
	assert_string_equal(w, "a bc d =?bogus");
	free(w);
	char **a;
	size_t k = gp_inmail_addresses("\"x, <y@z>\" <real@a.kz>, (c) plain@b.kz, junk, <@r1,@r2:"
				       "routed@c.kz>",
				       &a);
	assert_int_equal(k, 3);
	assert_string_equal(a[0], "real@a.kz");
	assert_string_equal(a[1], "plain@b.kz");
	assert_string_equal(a[2], "routed@c.kz");
	for (size_t i = 0; i < k; i++)
		free(a[i]);
	free(a);
}

/* ------------------------------------------------------------------ */
/* Commands and the judgement                                          */

static void test_command(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		enum gp_mailin_cmd cmd;
		const char *rest;
	} cases[] = {
		{"ack\n", 0, GP_MAILIN_ACK, ""},
		{"\n  \r\nACK: on it  \n> quoted", 0, GP_MAILIN_ACK, "on it"},
		{"Принято, смотрю\n", 0, GP_MAILIN_ACK, "смотрю"},
		{"ПРИНЯТО", 0, GP_MAILIN_ACK, ""},
		{"Подтверждаю.", 0, GP_MAILIN_CONFIRM, ""},
		{"confirm", 0, GP_MAILIN_CONFIRM, ""},
		{"reject: the report still fails\nmore", 0, GP_MAILIN_REJECT, "the report still fails"},
		{"Отклоняю - отчёт не строится", 0, GP_MAILIN_REJECT, "отчёт не строится"},
		{"\xEF\xBB\xBF" "ack", 0, GP_MAILIN_ACK, ""},
		{"acknowledged", -1, GP_MAILIN_ACK, NULL},
		{"hello\nack", -1, GP_MAILIN_ACK, NULL},
		{"> ack\n", -1, GP_MAILIN_ACK, NULL},
		{"", -1, GP_MAILIN_ACK, NULL},
		{"   \n\n", -1, GP_MAILIN_ACK, NULL},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(cases); i++) {
		enum gp_mailin_cmd c = GP_MAILIN_ACK;
		char *rest = NULL;
		int rc = gp_mailin_command(cases[i].text, &c, &rest);
		if (rc != cases[i].rc)
			fail_msg("'%s': %d", cases[i].text, rc);
		if (rc == 0) {
			assert_int_equal(c, cases[i].cmd);
			assert_string_equal(rest, cases[i].rest);
		}
		free(rest);
	}
}

struct fx {
	char dir[64];
	struct gp_config *cfg;
};

static int setup(void **state)
{
	struct fx *f = gp_xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/gp-mailin-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	char *secret = gp_xasprintf("%s/reply.secret", f->dir);
	FILE *s = fopen(secret, "w");
	fprintf(s, "%s\n", SECRET);
	fclose(s);
	chmod(secret, 0600);
	char *text = gp_xasprintf(
		"probe: {data_dir: %s}\n"
		"targets:\n"
		"  - {name: t, host: 127.0.0.1, owner: supplier, checks: [{name: p, tcp_connect: 1}]}\n"
		"alerts:\n"
		"  email:\n"
		"    smtp_url: smtp://127.0.0.1:25\n"
		"    from: gprobe@example.kz\n"
		"    to: [noc@example.kz]\n"
		"    escalate_to: [lead@example.kz]\n"
		"    reply_to: gprobe@example.kz\n"
		"    reply_secret_file: %s\n"
		"contacts:\n"
		"  - {name: Айгуль Сериккызы, email: aigul@customer.kz}\n",
		f->dir, secret);
	struct gp_errlist el = {0};
	char *path = gp_xasprintf("%s/gprobe.yaml", f->dir);
	FILE *c = fopen(path, "w");
	fputs(text, c);
	fclose(c);
	f->cfg = test_config_load(path, NULL, &el);
	free(path);
	if (!f->cfg)
		gp_errlist_print(&el, stderr);
	gp_errlist_free(&el);
	free(text);
	free(secret);
	*state = f;
	return f->cfg ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	gp_config_free(f->cfg);
	char *cmd = gp_xasprintf("rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

/* A reply from `from` to the alert of (incident, event), first line `line`. */
static int judge(struct fx *f, const char *from, int64_t incident, const char *event,
		 const char *token_of_event, const char *line, const char *extra,
		 struct gp_mailin_action *a, char *err, size_t errlen)
{
	char *to = gp_reply_address("gprobe@example.kz", SECRET, incident,
				    token_of_event ? token_of_event : event);
	char *msg = gp_xasprintf("From: %s\nTo: %s\nSubject: Re: x\n"
				 "References: <gprobe.incident.%lld@example.kz>\n%s\n%s\n> quoted\n",
				 from, to, (long long)incident, extra ? extra : "", line);
	if (token_of_event) { /* the address claims event, the token is of another */
		char tok[GP_REPLY_TOKEN_HEX + 1];
		gp_reply_token(SECRET, incident, token_of_event, tok);
		char *fake = gp_xasprintf("gprobe+%lld.%s.%s@example.kz", (long long)incident, event,
					  tok);
		free(msg);
		msg = gp_xasprintf("From: %s\nTo: %s\n\n%s\n", from, fake, line);
		free(fake);
	}
	struct gp_inmail m;
	int rc = gp_inmail_parse(msg, strlen(msg), &m, err, errlen);
	if (rc == 0) {
		rc = gp_mailin_decide(f->cfg, SECRET, &m, a, err, errlen);
		gp_inmail_free(&m);
	}
	free(msg);
	free(to);
	return rc;
}

static void refused(struct fx *f, const char *from, int64_t incident, const char *event,
		    const char *token_of, const char *line, const char *extra, const char *why)
{
	struct gp_mailin_action a;
	char err[400] = "";
	assert_int_equal(judge(f, from, incident, event, token_of, line, extra, &a, err,
			       sizeof(err)),
			 -1);
	if (!strstr(err, why))
		fail_msg("expected '%s' in '%s'", why, err);
}

static void test_decide(void **state)
{
	struct fx *f = *state;
	struct gp_mailin_action a;
	char err[400] = "";
	assert_int_equal(judge(f, "NOC <NOC@example.kz>", 5, "opened", NULL, "Ack: on it", NULL, &a,
			       err, sizeof(err)),
			 0);
	assert_int_equal(a.cmd, GP_MAILIN_ACK);
	assert_int_equal(a.incident, 5);
	assert_string_equal(a.event, "opened");
	assert_string_equal(a.actor, "NOC@example.kz");
	assert_string_equal(a.text, "on it");
	gp_mailin_action_free(&a);
	/* escalate_to may ack as well; a contact confirms. */
	assert_int_equal(judge(f, "lead@example.kz", 5, "escalation", NULL, "принято", NULL, &a, err,
			       sizeof(err)),
			 0);
	assert_null(a.text);
	gp_mailin_action_free(&a);
	assert_int_equal(judge(f, "aigul@customer.kz", 9, "resolved", NULL, "Подтверждаю", NULL, &a,
			       err, sizeof(err)),
			 0);
	assert_int_equal(a.cmd, GP_MAILIN_CONFIRM);
	gp_mailin_action_free(&a);
	assert_int_equal(judge(f, "aigul@customer.kz", 9, "resolved", NULL, "reject: still down",
			       NULL, &a, err, sizeof(err)),
			 0);
	assert_int_equal(a.cmd, GP_MAILIN_REJECT);
	assert_string_equal(a.text, "still down");
	gp_mailin_action_free(&a);

	/* Refusals, each with its reason. */
	refused(f, "stranger@evil.kz", 5, "opened", NULL, "ack", NULL, "may not acknowledge");
	refused(f, "aigul@customer.kz", 5, "opened", NULL, "ack", NULL, "may not acknowledge");
	refused(f, "noc@example.kz", 9, "resolved", NULL, "confirm", NULL, "not among the customer");
	refused(f, "aigul@customer.kz", 9, "opened", NULL, "confirm", NULL, "does not answer");
	refused(f, "noc@example.kz", 9, "resolved", NULL, "ack", NULL, "does not answer");
	refused(f, "aigul@customer.kz", 9, "resolved", NULL, "reject", NULL, "needs its reason");
	refused(f, "noc@example.kz", 5, "opened", NULL, "hello there", NULL, "no command");
	refused(f, "noc@example.kz", 5, "opened", NULL, "ack", "Auto-Submitted: auto-replied\n",
		"automatic");
	refused(f, "noc@example.kz", 5, "opened", NULL, "ack", "Precedence: bulk\n", "automatic");
	refused(f, "noc@example.kz", 5, "opened", NULL, "ack", "Return-Path: <>\n", "bounce");
	/* A token moved to another event of the same incident. */
	refused(f, "noc@example.kz", 5, "opened", "resolved", "ack", NULL, "does not match");
	/* A thread of another incident. */
	refused(f, "noc@example.kz", 5, "opened", NULL, "ack",
		"In-Reply-To: <gprobe.incident.6@example.kz>\n", "thread");
}

static void test_decide_tokens(void **state)
{
	struct fx *f = *state;
	struct gp_mailin_action a;
	char err[400] = "";
	struct {
		const char *to, *why;
	} cases[] = {
		{"noc@example.kz", "no reply token"},
		{"gprobe@example.kz", "no reply token"},
		{"gprobe+5.opened.000000000000000000000000@example.kz", "does not match"},
		{"gprobe+5.opened.12@example.kz", "hex"},
		{"gprobe+5@example.kz", "not ID.EVENT.TOKEN"},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(cases); i++) {
		char *msg = gp_xasprintf("From: noc@example.kz\nTo: %s\n\nack\n", cases[i].to);
		struct gp_inmail m;
		assert_int_equal(gp_inmail_parse(msg, strlen(msg), &m, err, sizeof(err)), 0);
		assert_int_equal(gp_mailin_decide(f->cfg, SECRET, &m, &a, err, sizeof(err)), -1);
		if (!strstr(err, cases[i].why))
			fail_msg("%s: expected '%s' in '%s'", cases[i].to, cases[i].why, err);
		/* The refusal never shows the token. */
		assert_null(strstr(err, "0000000000"));
		gp_inmail_free(&m);
		free(msg);
	}
	/* The token of another incident, under its own number. */
	char tok[GP_REPLY_TOKEN_HEX + 1];
	gp_reply_token(SECRET, 6, "opened", tok);
	char *msg = gp_xasprintf("From: noc@example.kz\nTo: gprobe+5.opened.%s@example.kz\n\nack\n",
				 tok);
	struct gp_inmail m;
	assert_int_equal(gp_inmail_parse(msg, strlen(msg), &m, err, sizeof(err)), 0);
	assert_int_equal(gp_mailin_decide(f->cfg, SECRET, &m, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match"));
	assert_null(strstr(err, tok));
	gp_inmail_free(&m);
	free(msg);
	/* A genuine token under another secret. */
	char *addr = gp_reply_address("gprobe@example.kz", "other secret", 5, "opened");
	msg = gp_xasprintf("From: noc@example.kz\nTo: %s\n\nack\n", addr);
	assert_int_equal(gp_inmail_parse(msg, strlen(msg), &m, err, sizeof(err)), 0);
	assert_int_equal(gp_mailin_decide(f->cfg, SECRET, &m, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not match"));
	gp_inmail_free(&m);
	free(msg);
	free(addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_parse_plain_lf),
		cmocka_unit_test(test_parse_encoded),
		cmocka_unit_test(test_parse_multipart),
		cmocka_unit_test(test_parse_broken),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_command),
		cmocka_unit_test_setup_teardown(test_decide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide_tokens, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
