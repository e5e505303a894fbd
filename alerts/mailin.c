/*
 * mailin.c - what a reply asks, and whether it may (see mailin.h).
 */
#include "mailin.h"
#include "util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *gp_mailin_cmd_name(enum gp_mailin_cmd c)
{
	return c == GP_MAILIN_ACK ? "ack" : c == GP_MAILIN_CONFIRM ? "confirm" : "reject";
}

/* Lowercases ASCII and Russian letters (UTF-8) of s[0..n) into out. */
static void lower_utf8(const unsigned char *s, size_t n, char *out, size_t outlen)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 3 < outlen; i++) {
		unsigned char c = s[i];
		if (c == 0xD0 && i + 1 < n) {
			unsigned char d = s[i + 1];
			if (d >= 0x90 && d <= 0x9F) { /* А..П -> а..п */
				out[k++] = (char)0xD0;
				out[k++] = (char)(d + 0x20);
			} else if (d >= 0xA0 && d <= 0xAF) { /* Р..Я -> р..я */
				out[k++] = (char)0xD1;
				out[k++] = (char)(d - 0x20);
			} else if (d == 0x81) { /* Ё -> ё */
				out[k++] = (char)0xD1;
				out[k++] = (char)0x91;
			} else {
				out[k++] = (char)c;
				out[k++] = (char)d;
			}
			i++;
		} else {
			out[k++] = (char)tolower(c);
		}
	}
	out[k] = '\0';
}

int gp_mailin_command(const char *text, enum gp_mailin_cmd *cmd, char **rest)
{
	static const struct {
		const char *word;
		enum gp_mailin_cmd cmd;
	} words[] = {
		{"ack", GP_MAILIN_ACK},		 {"принято", GP_MAILIN_ACK},
		{"confirm", GP_MAILIN_CONFIRM}, {"подтверждаю", GP_MAILIN_CONFIRM},
		{"reject", GP_MAILIN_REJECT},	 {"отклоняю", GP_MAILIN_REJECT},
	};
	const char *p = text ? text : "";
	if (!strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	/* The first line that is not blank. */
	for (;;) {
		size_t l = strcspn(p, "\n");
		size_t k = strspn(p, " \t\r");
		if (k < l || !p[l]) {
			p += k;
			break;
		}
		p += l + 1;
	}
	if (*p == '>' || !*p || *p == '\n')
		return -1; /* only the quoted original */
	size_t wl = 0;
	while (p[wl] && (isalpha((unsigned char)p[wl]) || (unsigned char)p[wl] >= 0x80))
		wl++;
	if (wl == 0 || wl > 40)
		return -1;
	char word[64];
	lower_utf8((const unsigned char *)p, wl, word, sizeof(word));
	for (size_t i = 0; i < GP_ARRAY_LEN(words); i++) {
		if (strcmp(word, words[i].word) != 0)
			continue;
		const char *r = p + wl;
		size_t end = strcspn(r, "\n");
		size_t s = strspn(r, " \t");
		if (s < end && strchr(":,.;!-", r[s]))
			s++;
		while (s < end && (r[s] == ' ' || r[s] == '\t'))
			s++;
		while (end > s && (r[end - 1] == ' ' || r[end - 1] == '\t' || r[end - 1] == '\r'))
			end--;
		*cmd = words[i].cmd;
		*rest = gp_xstrndup(r + s, end - s);
		return 0;
	}
	return -1;
}

static bool address_listed(const char *addr, char *const *list, size_t n)
{
	const char *at = strrchr(addr, '@');
	for (size_t i = 0; i < n; i++) {
		if (list[i][0] == '@' ? at && !strcasecmp(at, list[i]) : !strcasecmp(addr, list[i]))
			return true;
	}
	return false;
}

static bool may_ack(const struct gp_config *cfg, const char *addr)
{
	const struct gp_email *e = &cfg->email;
	if (e->n_ack_from > 0)
		return address_listed(addr, e->ack_from, e->n_ack_from);
	return address_listed(addr, e->to, e->n_to) ||
	       address_listed(addr, e->escalate_to, e->n_escalate_to);
}

static bool is_contact(const struct gp_config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->n_contacts; i++)
		if (cfg->contacts[i].email && !strcasecmp(cfg->contacts[i].email, addr))
			return true;
	return false;
}

/* An automatic message: it asks nothing, and answering it could loop. */
static const char *automatic(const struct gp_inmail *m)
{
	if (m->auto_submitted && strncasecmp(m->auto_submitted, "no", 2) != 0)
		return "Auto-Submitted";
	if (m->precedence && (!strncasecmp(m->precedence, "bulk", 4) ||
			      !strncasecmp(m->precedence, "junk", 4) ||
			      !strncasecmp(m->precedence, "list", 4)))
		return "Precedence";
	if (m->return_path && !strcmp(m->return_path, "<>"))
		return "an empty Return-Path (a bounce)";
	return NULL;
}

/* The incident of a thread header's <gprobe.incident.N@...>, 0 when
 * none, -1 when it names two. */
static int64_t thread_incident(const char *h)
{
	int64_t found = 0;
	for (const char *p = h ? strstr(h, "<gprobe.incident.") : NULL; p;
	     p = strstr(p + 1, "<gprobe.incident.")) {
		const char *d = p + strlen("<gprobe.incident.");
		int64_t v = 0;
		size_t k = 0;
		while (isdigit((unsigned char)d[k]) && k < 18)
			v = v * 10 + (d[k++] - '0');
		if (k == 0 || d[k] != '@')
			continue;
		if (found && found != v)
			return -1;
		found = v;
	}
	return found;
}

int gp_mailin_decide(const struct gp_config *cfg, const char *secret, const struct gp_inmail *m,
		     struct gp_mailin_action *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	const struct gp_email *e = &cfg->email;
	if (!e->reply_to || !secret)
		return gp_errf(err, errlen, "replies are not configured (alerts.email.reply_to)");
	const char *autom = automatic(m);
	if (autom)
		return gp_errf(err, errlen, "an automatic message (%s), not a person's reply", autom);
	if (!m->from)
		return gp_errf(err, errlen, "the message has no sender address");

	/* The token, among the recipients. */
	bool valid = false, forged = false;
	char bad[200] = "";
	for (size_t i = 0; i < m->n_rcpts; i++) {
		int64_t id;
		char event[GP_REPLY_EVENT_MAX], token[GP_REPLY_TOKEN_HEX + 1], why[160];
		int r = gp_reply_address_parse(e->reply_to, m->rcpts[i], &id, event, token, why,
					       sizeof(why));
		if (r < 0 && !bad[0])
			snprintf(bad, sizeof(bad), "%s", why);
		if (r <= 0)
			continue;
		if (!gp_reply_token_ok(secret, id, event, token)) {
			forged = true;
			continue;
		}
		if (valid && (a->incident != id || strcmp(a->event, event) != 0))
			return gp_errf(err, errlen, "the message carries reply tokens of two alerts "
						    "(#%lld %s and #%lld %s)",
				       (long long)a->incident, a->event, (long long)id, event);
		valid = true;
		a->incident = id;
		snprintf(a->event, sizeof(a->event), "%s", event);
	}
	if (!valid) {
		if (forged)
			return gp_errf(err, errlen, "the reply token does not match its incident and "
						    "event: forged, altered or of another secret");
		if (bad[0])
			return gp_errf(err, errlen, "%s", bad);
		return gp_errf(err, errlen, "no reply token: not a reply to a gprobe alert (no "
					    "address of alerts.email.reply_to with a tag among "
					    "X-Original-To, Delivered-To, To and Cc)");
	}
	int64_t t1 = thread_incident(m->in_reply_to), t2 = thread_incident(m->references);
	if (t1 < 0 || t2 < 0 || (t1 > 0 && t1 != a->incident) || (t2 > 0 && t2 != a->incident))
		return gp_errf(err, errlen, "the reply's thread (In-Reply-To, References) is not "
					    "incident #%lld's, whose token it carries",
			       (long long)a->incident);

	char *rest = NULL;
	if (gp_mailin_command(m->text, &a->cmd, &rest) != 0)
		return gp_errf(err, errlen, "its first line is no command (ack or принято; confirm or "
					    "подтверждаю; reject: REASON or отклоняю: ПРИЧИНА)");
	if (a->cmd == GP_MAILIN_ACK && !may_ack(cfg, m->from)) {
		free(rest);
		return gp_errf(err, errlen, "%s may not acknowledge: not among the NOC's addresses "
					    "(alerts.email.%s)",
			       m->from, e->n_ack_from ? "ack_from" : "to, escalate_to or ack_from");
	}
	if (a->cmd != GP_MAILIN_ACK && !is_contact(cfg, m->from)) {
		free(rest);
		return gp_errf(err, errlen, "%s may not %s a resolution: not among the customer's "
					    "contacts",
			       m->from, gp_mailin_cmd_name(a->cmd));
	}
	bool resolved = !strcmp(a->event, "resolved");
	if (a->cmd == GP_MAILIN_ACK ? resolved || !strcmp(a->event, "auto-closed") : !resolved) {
		free(rest);
		return gp_errf(err, errlen, "'%s' does not answer the \"%s\" mail of incident #%lld "
					    "(%s)",
			       gp_mailin_cmd_name(a->cmd), a->event, (long long)a->incident,
			       a->cmd == GP_MAILIN_ACK ? "ack answers an alert"
						       : "confirm and reject answer the \"resolved\" mail");
	}
	if (a->cmd == GP_MAILIN_REJECT && !*rest) {
		free(rest);
		return gp_errf(err, errlen, "a rejection needs its reason on the same line "
					    "(reject: REASON, отклоняю: ПРИЧИНА)");
	}
	if (a->cmd == GP_MAILIN_CONFIRM || !*rest) {
		free(rest);
		rest = NULL;
	}
	a->text = rest;
	a->actor = gp_xstrdup(m->from);
	return 0;
}

void gp_mailin_action_free(struct gp_mailin_action *a)
{
	free(a->actor);
	free(a->text);
	memset(a, 0, sizeof(*a));
}
