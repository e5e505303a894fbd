/*
 * cli_mailin.c - `gprobe mail-in`: one RFC 5322 message on stdin, a reply
 * to an alert (from a Postfix alias or procmail, as xymon-mailack). The
 * message is read (alerts/inmail.h), judged (alerts/mailin.h: the token,
 * the sender, the command) and carried out through the incident API, the
 * sender's address as the actor of the timeline row.
 *
 * Exit status, for the mail system: 0 when the message was dealt with,
 * accepted or refused (a refusal is logged with its reason; a bounce
 * would only tell a forger what failed); 75 (EX_TEMPFAIL) when it could
 * not be dealt with now (the config, the secret or the database is not
 * usable): the mail system keeps it and tries again.
 */
#include "cli.h"
#include "incidents.h"
#include "inmail.h"
#include "mailin.h"
#include "secret.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

int gp_cmd_mailin(struct gp_cli *cli, int argc, char **argv);

#define EX_TEMPFAIL_ 75

/* A line for the log (stderr) and the system's mail log (syslog, which
 * the journal keeps: a command run by the mail system has no terminal). */
static void say(const struct gp_logger *log, enum gp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const struct gp_logger *log, enum gp_log_level level, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	gp_log(log, level, "mail-in: %s", line);
	syslog(LOG_MAIL | (level <= GP_LOG_WARN ? LOG_WARNING : LOG_INFO), "%s", line);
}

/* The message on stdin, at most GP_INMAIL_MAX bytes (*too_big past it). */
static char *read_stdin(size_t *len, bool *too_big)
{
	size_t cap = 65536, n = 0;
	char *buf = gp_xmalloc(cap);
	*too_big = false;
	for (;;) {
		if (n == cap) {
			if (cap > GP_INMAIL_MAX) {
				*too_big = true;
				break;
			}
			cap *= 2;
			buf = gp_xrealloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, stdin);
		n += r;
		if (r == 0)
			break;
	}
	if (n > GP_INMAIL_MAX)
		*too_big = true;
	*len = n;
	return buf;
}

/* The message's Message-ID for the log, made safe to print. */
static void id_for_log(const struct gp_inmail *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", m->message_id ? m->message_id : "(no Message-ID)");
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p == 127)
			*p = '?';
}

static int apply(struct gp_store *st, const struct gp_config *cfg,
		 const struct gp_mailin_action *a, char *err, size_t errlen)
{
	int64_t now = (int64_t)time(NULL);
	enum gp_inc_cmd cmd = a->cmd == GP_MAILIN_ACK	   ? GP_INC_ACK
			      : a->cmd == GP_MAILIN_CONFIRM ? GP_INC_CONFIRM
							    : GP_INC_REJECT;
	const char *arg = a->cmd == GP_MAILIN_ACK ? a->actor : a->cmd == GP_MAILIN_REJECT ? a->text : "";
	if (gp_store_begin(st) != 0)
		return gp_errf(err, errlen, "database: %s", gp_store_error(st));
	int rc = gp_inc_command(st, cfg, a->incident, cmd, arg, NULL, a->actor, now, 0, err, errlen);
	if (rc == 0 && a->cmd == GP_MAILIN_ACK && a->text) {
		char *note = gp_xasprintf("by e-mail: %s", a->text);
		rc = gp_inc_command(st, cfg, a->incident, GP_INC_NOTE, note, NULL, a->actor, now, 0, err,
				    errlen);
		free(note);
	}
	if (rc == 0 && gp_store_commit(st) != 0)
		rc = gp_errf(err, errlen, "database: %s", gp_store_error(st));
	if (rc != 0)
		gp_store_rollback(st);
	return rc;
}

int gp_cmd_mailin(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv) || argc > 1) {
		FILE *out = argc > 1 && !gp_cli_want_help(argc, argv) ? stderr : stdout;
		fprintf(out,
			"usage: gprobe mail-in < MESSAGE\n\n"
			"Reads one e-mail, a reply to a gprobe alert, and carries out its first line:\n"
			"  ack [COMMENT] | принято [КОММЕНТАРИЙ]    the NOC takes the incident into work\n"
			"  confirm | подтверждаю                   a contact confirms the resolution\n"
			"  reject: REASON | отклоняю: ПРИЧИНА      a contact rejects it\n"
			"Only replies carrying the alert's reply token (alerts.email.reply_to) and\n"
			"sent by an allowed address are accepted; every outcome is logged.\n"
			"Exit: 0 accepted or refused, 75 not possible now (the mail system retries).\n");
		return out == stdout ? 0 : EX_TEMPFAIL_;
	}
	openlog("gprobe-mail-in", LOG_PID, LOG_MAIL);
	size_t len;
	bool too_big;
	char *buf = read_stdin(&len, &too_big);
	int rc = 0;
	struct gp_config *cfg = NULL;
	struct gp_store *st = NULL;
	char *secret = NULL;
	struct gp_inmail m = {0};
	struct gp_mailin_action a = {0};
	char err[600] = "", mid[200];
	if (too_big) {
		say(&cli->log, GP_LOG_WARN, "refused: the message is larger than %d bytes",
		    GP_INMAIL_MAX);
		goto out;
	}
	cfg = gp_cli_load_config(cli);
	if (!cfg) {
		say(&cli->log, GP_LOG_ERROR, "the config cannot be loaded: the message waits");
		rc = EX_TEMPFAIL_;
		goto out;
	}
	if (!cfg->email.reply_to || !cfg->email.reply_secret_file) {
		say(&cli->log, GP_LOG_ERROR, "refused: replies are not configured "
					     "(alerts.email.reply_to, reply_secret_file)");
		goto out;
	}
	secret = gp_read_secret(cfg->email.reply_secret_file, err, sizeof(err));
	if (!secret) {
		say(&cli->log, GP_LOG_ERROR, "alerts.email.reply_secret_file: %s: the message waits",
		    err);
		rc = EX_TEMPFAIL_;
		goto out;
	}
	if (gp_inmail_parse(buf, len, &m, err, sizeof(err)) != 0) {
		say(&cli->log, GP_LOG_WARN, "refused: a broken message: %s", err);
		goto out;
	}
	id_for_log(&m, mid, sizeof(mid));
	if (gp_mailin_decide(cfg, secret, &m, &a, err, sizeof(err)) != 0) {
		say(&cli->log, GP_LOG_WARN, "refused %s from %s: %s", mid, m.from ? m.from : "?", err);
		goto out;
	}
	char serr[512];
	st = gp_store_open_probe(&cfg->probe, NULL, true, serr, sizeof(serr));
	if (!st) {
		say(&cli->log, GP_LOG_ERROR, "the database: %s: the message waits", serr);
		rc = EX_TEMPFAIL_;
		goto out;
	}
	if (apply(st, cfg, &a, err, sizeof(err)) != 0) {
		bool db = !strncmp(err, "database:", 9);
		say(&cli->log, db ? GP_LOG_ERROR : GP_LOG_WARN, "%s %s of incident #%lld from %s: %s",
		    db ? "could not carry out" : "refused", gp_mailin_cmd_name(a.cmd),
		    (long long)a.incident, a.actor, err);
		rc = db ? EX_TEMPFAIL_ : 0;
		goto out;
	}
	say(&cli->log, GP_LOG_INFO, "accepted %s of incident #%lld from %s (%s)",
	    gp_mailin_cmd_name(a.cmd), (long long)a.incident, a.actor, mid);
out:
	gp_mailin_action_free(&a);
	gp_inmail_free(&m);
	gp_secret_free(secret);
	if (st)
		gp_store_close(st);
	gp_config_free(cfg);
	free(buf);
	closelog();
	return rc;
}
