/*
 * templates.c - the NOC's messages (see templates.h).
 */
#include "templates.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gp_alert_event_name(enum gp_alert_event e)
{
	static const char *const names[] = {"opened",	   "reopened",	  "restored", "resolved",
					    "escalation", "auto-closed", "degraded"};
	return (unsigned)e < GP_ALERT_N ? names[e] : "?";
}

#define TR(f, en, ru) ((f)->russian ? (ru) : (en))

/* "2026-11-25 14:44:10 (Asia/Almaty)" */
static void when(const struct gp_alert_facts *f, int64_t t, char *buf, size_t len)
{
	char iso[40];
	gp_format_local(t, f->tz, iso, sizeof(iso));
	iso[10] = ' ';
	iso[19] = '\0'; /* the offset goes: the zone is named */
	snprintf(buf, len, "%s (%s)", iso, f->tz);
}

static void duration(const struct gp_alert_facts *f, int64_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, TR(f, "%lld h %02lld min", "%lld ч %02lld мин"), (long long)(s / 3600),
			 (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, TR(f, "%lld min %02lld s", "%lld мин %02lld с"), (long long)(s / 60),
			 (long long)(s % 60));
	else
		snprintf(buf, len, TR(f, "%lld s", "%lld с"), (long long)s);
}

static const char *owner(const struct gp_alert_facts *f)
{
	const char *a = f->attribution ? f->attribution : "unattributed";
	if (!f->russian)
		return a;
	return !strcmp(a, "supplier")	 ? "поставщик"
	       : !strcmp(a, "customer")	 ? "заказчик"
	       : !strcmp(a, "third-party") ? "третья сторона"
					   : "не определена";
}

/* The incident's status as the reader's language says it. */
static const char *status_text(const struct gp_alert_facts *f)
{
	static const char *const words[][3] = {
		{"open", "open", "открыт"},
		{"acknowledged", "acknowledged (in work)", "принят в работу"},
		{"restored", "restored (awaiting resolution)", "восстановлен (ожидает решения)"},
		{"resolved", "resolved (awaiting confirmation)", "решён (ожидает подтверждения)"},
		{"closed", "closed", "закрыт"},
		{"voided", "voided", "аннулирован"},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(words); i++)
		if (f->status && !strcmp(f->status, words[i][0]))
			return words[i][f->russian ? 2 : 1];
	return f->status ? f->status : "?";
}

/* «Монитор статистики» (stat-monitor), or the name alone. */
static char *service_name(const struct gp_alert_facts *f)
{
	if (f->title && *f->title && strcmp(f->title, f->service))
		return gp_xasprintf(TR(f, "\"%s\" (%s)", "«%s» (%s)"), f->title, f->service);
	return gp_xstrdup(f->service);
}

char *gp_alert_subject(const struct gp_alert_facts *f)
{
	static const char *const en[] = {"DOWN",	"DOWN again",  "restored",
					 "resolved",	"no response", "closed",
					 "redundancy lost"};
	static const char *const ru[] = {"Недоступен сервис",
					 "Снова недоступен сервис",
					 "Восстановлен сервис",
					 "Решён инцидент по сервису",
					 "Нет реакции на инцидент по сервису",
					 "Закрыт инцидент по сервису",
					 "Избыточность потеряна: сервис"};
	char *svc = service_name(f);
	unsigned e = (unsigned)f->event < GP_ALERT_N ? (unsigned)f->event : GP_ALERT_OPENED;
	char *s = f->russian ? gp_xasprintf("[%s #%lld] %s %s", f->priority, (long long)f->incident,
					    ru[e], svc)
			     : gp_xasprintf("[%s #%lld] %s %s", f->priority, (long long)f->incident,
					    svc, en[e]);
	free(svc);
	return s;
}

/* The customer's side: what was done, how to confirm or reject it, and
 * when it counts as closed without an answer. */
static char *resolved_text(const struct gp_alert_facts *f, const char *svc, const char *at)
{
	char *how;
	const char *noc = f->noc ? f->noc : "NOC";
	if (f->by_reply)
		how = gp_xasprintf(TR(f, "To confirm, reply to this mail with this first line:\n"
					 "  confirm\n"
					 "To reject, reply with the reason on the first line:\n"
					 "  reject: REASON\n"
					 "(or tell the NOC: %s).\n",
				      "Чтобы подтвердить, ответьте на это письмо, написав первой "
				      "строкой:\n"
				      "  подтверждаю\n"
				      "Чтобы отклонить, напишите первой строкой ответа причину:\n"
				      "  отклоняю: ПРИЧИНА\n"
				      "(или сообщите дежурной смене: %s).\n"),
				   noc);
	else
		how = gp_xasprintf(TR(f, "Please tell the NOC (%s).\n",
				      "Просим сообщить дежурной смене (%s).\n"),
				   noc);
	char *close = gp_xstrdup("");
	if (f->auto_close_at > 0 && f->auto_close_at < INT64_MAX) {
		char t[80];
		when(f, f->auto_close_at, t, sizeof(t));
		free(close);
		close = gp_xasprintf(TR(f, "Unless it is confirmed or rejected, the incident counts "
					   "as closed at %s (after %d working days).\n",
					"Если решение не будет ни подтверждено, ни отклонено, инцидент "
					"будет считаться закрытым %s (через %d рабочих дн.).\n"),
				     t, f->auto_close_days);
	}
	char *out = gp_xasprintf(TR(f, "The incident of service %s is resolved (%s):\n  %s\n\n"
				       "Please confirm the resolution, or reject it with a reason.\n"
				       "%s%s",
				    "Инцидент по сервису %s решён (%s):\n  %s\n\n"
				    "Просим подтвердить решение или отклонить его с указанием "
				    "причины.\n%s%s"),
				 svc, at, f->text ? f->text : "", how, close);
	free(how);
	free(close);
	return out;
}

/* How the NOC takes an incident into work by replying. */
static const char *ack_hint(const struct gp_alert_facts *f)
{
	if (!f->by_reply || f->event == GP_ALERT_RESOLVED || f->event == GP_ALERT_AUTO_CLOSED)
		return "";
	return TR(f, "\nTo take it into work, reply to this mail with \"ack\" as its first line "
		     "(a comment may follow on that line).\n",
		  "\nЧтобы принять в работу, ответьте на это письмо, написав первой строкой "
		  "«принято» (или ack), можно с комментарием.\n");
}

/* The opening lines: what happened to the service. */
static char *headline(const struct gp_alert_facts *f, const char *svc)
{
	char since[80], at[80], due[80], dur[40];
	when(f, f->since, since, sizeof(since));
	when(f, f->at, at, sizeof(at));
	when(f, f->response_due, due, sizeof(due));
	switch (f->event) {
	case GP_ALERT_OPENED:
	case GP_ALERT_REOPENED:
		/* How long already, when the retries took a while. */
		dur[0] = '\0';
		if (f->at > f->since) {
			char d[32];
			duration(f, f->at - f->since, d, sizeof(d));
			snprintf(dur, sizeof(dur), " (%s)", d);
		}
		return gp_xasprintf(TR(f, "Service %s is DOWN since %s%s.%s\n",
				       "Сервис %s недоступен с %s%s.%s\n"),
				    svc, since, dur,
				    f->event == GP_ALERT_REOPENED
					    ? TR(f, "\nIt was restored shortly before: the same incident.",
						 "\nНезадолго до этого он восстанавливался: инцидент "
						 "тот же.")
					    : "");
	case GP_ALERT_DEGRADED:
		return gp_xasprintf(TR(f, "Service %s is UP, but its redundancy is lost since %s: "
					  "a component is down. If the rest fail too, the service "
					  "goes down.\n",
				       "Сервис %s работает, но с %s потеряна избыточность: "
				       "компонент недоступен. Если откажут и остальные, сервис "
				       "станет недоступен.\n"),
				    svc, since);
	case GP_ALERT_RESTORED:
		duration(f, f->down_seconds, dur, sizeof(dur));
		return gp_xasprintf(TR(f, "Service %s is up again since %s; it was down for %s "
					  "(since %s).\n",
				       "Сервис %s снова доступен с %s; простой длился %s "
				       "(с %s).\n"),
				    svc, at, dur, since);
	case GP_ALERT_RESOLVED:
		return resolved_text(f, svc, at);
	case GP_ALERT_ESCALATION:
		return gp_xasprintf(TR(f, "Nobody has taken the incident of service %s into work: "
					  "the response target passed at %s.\n",
				       "Инцидент по сервису %s никто не взял в работу: срок реакции "
				       "истёк %s.\n"),
				    svc, due);
	case GP_ALERT_AUTO_CLOSED:
	default:
		return gp_xasprintf(TR(f, "The incident of service %s was resolved and neither "
					  "confirmed nor rejected in time: it is closed (%s).\n",
				       "Инцидент по сервису %s решён, решение не подтверждено и не "
				       "отклонено в срок: инцидент закрыт (%s).\n"),
				    svc, at);
	}
}

/* The components: those DOWN now, each with its host, failing checks and
 * the command that diagnoses it; or, for a restore, those back. */
static char *components(const struct gp_alert_facts *f)
{
	bool down = f->event == GP_ALERT_OPENED || f->event == GP_ALERT_REOPENED ||
		    f->event == GP_ALERT_ESCALATION || f->event == GP_ALERT_DEGRADED;
	if (f->n_members == 0 || (!down && f->event != GP_ALERT_RESTORED))
		return gp_xstrdup("");
	char *out = gp_xstrdup(down ? TR(f, "\nDOWN components:\n", "\nНедоступные компоненты:\n")
				    : TR(f, "\nRestored components:\n",
					 "\nВосстановленные компоненты:\n"));
	for (size_t i = 0; i < f->n_members; i++) {
		const struct gp_alert_member *m = &f->members[i];
		char *checks = gp_xstrdup("");
		if (down && m->checks && *m->checks) {
			/* Each line indented under its component. */
			free(checks);
			checks = gp_xstrdup("");
			for (const char *p = m->checks; *p;) {
				size_t n = strcspn(p, "\n");
				char *next = gp_xasprintf("%s    %.*s\n", checks, (int)n, p);
				free(checks);
				checks = next;
				p += n + (p[n] == '\n');
			}
		}
		char *diag = down ? gp_xasprintf(TR(f, "    To diagnose: gprobe diag %s\n",
						    "    Диагностика: gprobe diag %s\n"),
						 m->name)
				  : gp_xstrdup("");
		char *next = gp_xasprintf("%s  %s (%s)\n%s%s", out, m->name,
					  m->host && *m->host ? m->host : "?", checks, diag);
		free(out);
		free(checks);
		free(diag);
		out = next;
	}
	return out;
}

char *gp_alert_text(const struct gp_alert_facts *f)
{
	char due[80];
	when(f, f->response_due, due, sizeof(due));
	char *svc = service_name(f);
	char *head = headline(f, svc);
	char *members = components(f);
	char *text = gp_xasprintf(
		TR(f,
		   "%s%s%s\nIncident #%lld, priority %s, status: %s, attribution: %s.\n"
		   "Response due: %s.\nThe incident: gprobe incident show %lld\n"
		   "-- \ngprobe\n",
		   "%s%s%s\nИнцидент #%lld, приоритет %s, статус: %s, ответственность: %s.\n"
		   "Срок реакции: %s.\nИнцидент: gprobe incident show %lld\n"
		   "-- \ngprobe\n"),
		head, members, ack_hint(f), (long long)f->incident, f->priority, status_text(f),
		owner(f), due, (long long)f->incident);
	free(head);
	free(members);
	free(svc);
	return text;
}

static json_t *jtime(const struct gp_alert_facts *f, int64_t t)
{
	if (t <= 0)
		return json_null();
	char buf[40];
	gp_format_local(t, f->tz, buf, sizeof(buf));
	return json_string(buf);
}

json_t *gp_alert_json(const struct gp_alert_facts *f, const char *idempotency_key)
{
	json_t *inc = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
				(json_int_t)f->incident, "service", f->service, "priority", f->priority,
				"status", f->status, "attribution",
				f->attribution ? f->attribution : "unattributed", "channel",
				f->channel ? f->channel : "probe", "since", jtime(f, f->since),
				"response_due_at", jtime(f, f->response_due));
	json_object_set_new(inc, "title", f->title ? json_string(f->title) : json_null());
	/* members: the components' names, comma separated, as before;
	 * components: each with its host. */
	json_t *comps = json_array();
	char *names = gp_xstrdup("");
	for (size_t i = 0; i < f->n_members; i++) {
		json_array_append_new(comps, json_pack("{s:s, s:s?}", "name", f->members[i].name,
						       "host", f->members[i].host));
		char *next = gp_xasprintf("%s%s%s", names, i ? "," : "", f->members[i].name);
		free(names);
		names = next;
	}
	json_object_set_new(inc, "members", *names ? json_string(names) : json_null());
	json_object_set_new(inc, "components", comps);
	free(names);
	json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "idempotency_key", idempotency_key, "event",
			      gp_alert_event_name(f->event), "at", jtime(f, f->at), "incident", inc);
	if (f->event == GP_ALERT_RESTORED)
		json_object_set_new(j, "down_seconds", json_integer(f->down_seconds));
	if (f->text)
		json_object_set_new(j, "text", json_string(f->text));
	return j;
}

/* ------------------------------------------------------------------ */
/* A root cause                                                        */

/* "[P1 #3 #4 #5]": the highest priority, every incident. */
static char *cause_tag(const struct gp_cause_facts *f)
{
	const char *best = "P4";
	for (size_t i = 0; i < f->n_services; i++)
		if (f->services[i].priority && strcmp(f->services[i].priority, best) < 0)
			best = f->services[i].priority;
	char *tag = gp_xasprintf("[%s", best);
	for (size_t i = 0; i < f->n_services; i++) {
		char *next = gp_xasprintf("%s #%lld", tag, (long long)f->services[i].incident);
		free(tag);
		tag = next;
	}
	char *out = gp_xasprintf("%s]", tag);
	free(tag);
	return out;
}

char *gp_cause_subject(const struct gp_cause_facts *f)
{
	char *tag = cause_tag(f);
	char *s = f->russian
			  ? gp_xasprintf(f->restored ? "%s Восстановлен компонент %s: сервисов %zu"
						     : "%s Недоступен компонент %s: сервисов %zu",
					 tag, f->component.name, f->n_services)
			  : gp_xasprintf(f->restored ? "%s Component %s restored: %zu services"
						     : "%s Component %s DOWN: %zu services",
					 tag, f->component.name, f->n_services);
	free(tag);
	return s;
}

char *gp_cause_text(const struct gp_cause_facts *f)
{
	struct gp_alert_facts tf = {.russian = f->russian, .tz = f->tz};
	char since[80], at[80], dur[40];
	when(&tf, f->since, since, sizeof(since));
	when(&tf, f->at, at, sizeof(at));
	duration(&tf, f->at > f->since ? f->at - f->since : 0, dur, sizeof(dur));
	const char *host = f->component.host && *f->component.host ? f->component.host : "?";
	char *text = f->restored
			     ? gp_xasprintf(TR(&tf, "Component %s (%s) is up again since %s; it was "
						    "down for %s (since %s). The services back with it:\n",
					       "Компонент %s (%s) снова доступен с %s; простой длился "
					       "%s (с %s). Вместе с ним восстановлены сервисы:\n"),
					    f->component.name, host, at, dur, since)
			     : gp_xasprintf(TR(&tf, "Component %s (%s) is DOWN since %s. The services "
						    "down because of it, one incident each:\n",
					       "Компонент %s (%s) недоступен с %s. Из-за него "
					       "недоступны сервисы (у каждого свой инцидент):\n"),
					    f->component.name, host, since);
	for (size_t i = 0; i < f->n_services; i++) {
		const struct gp_cause_service *c = &f->services[i];
		struct gp_alert_facts sf = {.russian = f->russian, .service = c->service,
					    .title = c->title};
		char *name = service_name(&sf);
		char *next = gp_xasprintf(TR(&tf, "%s  %s: incident #%lld, %s\n",
					     "%s  %s: инцидент #%lld, %s\n"),
					  text, name, (long long)c->incident,
					  c->priority ? c->priority : "?");
		if (!f->restored) {
			/* One mail for several incidents has no reply token:
			 * each is taken into work by its own command. */
			char *ack = gp_xasprintf(TR(&tf, "%s      to take it: gprobe incident ack %lld "
							 "--by NAME\n",
						    "%s      принять: gprobe incident ack %lld --by ИМЯ\n"),
						 next, (long long)c->incident);
			free(next);
			next = ack;
		}
		free(name);
		free(text);
		text = next;
	}
	if (!f->restored) {
		char *next = gp_xasprintf("%s\n", text);
		free(text);
		text = next;
		for (const char *p = f->component.checks ? f->component.checks : ""; *p;) {
			size_t n = strcspn(p, "\n");
			next = gp_xasprintf("%s  %.*s\n", text, (int)n, p);
			free(text);
			text = next;
			p += n + (p[n] == '\n');
		}
		next = gp_xasprintf(TR(&tf, "%sTo diagnose: gprobe diag %s\n",
				       "%sДиагностика: gprobe diag %s\n"),
				    text, f->component.name);
		free(text);
		text = next;
	}
	char *out = gp_xasprintf(TR(&tf, "%s\nEach incident: gprobe incident show ID\n-- \ngprobe\n",
				    "%s\nКаждый инцидент: gprobe incident show ID\n-- \ngprobe\n"),
				 text);
	free(text);
	return out;
}
