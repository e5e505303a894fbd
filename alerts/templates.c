/*
 * templates.c - the NOC's messages (see templates.h).
 */
#include "templates.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gp_alert_event_name(enum gp_alert_event e)
{
	static const char *const names[] = {"opened",   "reopened",   "restored",
					    "resolved", "escalation", "auto-closed"};
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

/* «Монитор статистики» (stat-monitor), or the name alone. */
static char *service_name(const struct gp_alert_facts *f)
{
	if (f->title && *f->title && strcmp(f->title, f->service))
		return gp_xasprintf(TR(f, "\"%s\" (%s)", "«%s» (%s)"), f->title, f->service);
	return gp_xstrdup(f->service);
}

char *gp_alert_subject(const struct gp_alert_facts *f)
{
	static const char *const en[] = {"DOWN", "DOWN again", "restored", "resolved",
					 "no response", "closed"};
	static const char *const ru[] = {"Недоступен сервис", "Снова недоступен сервис",
					 "Восстановлен сервис", "Решён инцидент по сервису",
					 "Нет реакции на инцидент по сервису",
					 "Закрыт инцидент по сервису"};
	char *svc = service_name(f);
	char *s = f->russian ? gp_xasprintf("[%s #%lld] %s %s", f->priority, (long long)f->incident,
					    ru[f->event], svc)
			     : gp_xasprintf("[%s #%lld] %s %s", f->priority, (long long)f->incident,
					    svc, en[f->event]);
	free(svc);
	return s;
}

char *gp_alert_text(const struct gp_alert_facts *f)
{
	char since[80], at[80], due[80], dur[40];
	when(f, f->since, since, sizeof(since));
	when(f, f->at, at, sizeof(at));
	when(f, f->response_due, due, sizeof(due));
	duration(f, f->down_seconds, dur, sizeof(dur));
	char *svc = service_name(f);
	char *head = NULL;
	switch (f->event) {
	case GP_ALERT_OPENED:
	case GP_ALERT_REOPENED:
		head = gp_xasprintf(TR(f, "Service %s is DOWN since %s.%s\n",
				       "Сервис %s недоступен с %s.%s\n"),
				    svc, since,
				    f->event == GP_ALERT_REOPENED
					    ? TR(f, " It was restored shortly before: the same incident.",
						 " Незадолго до этого он восстанавливался: инцидент тот же.")
					    : "");
		break;
	case GP_ALERT_RESTORED:
		head = gp_xasprintf(TR(f, "Service %s is up again since %s; it was down for %s.\n",
				       "Сервис %s снова доступен с %s; простой длился %s.\n"),
				    svc, at, dur);
		break;
	case GP_ALERT_RESOLVED:
		head = gp_xasprintf(TR(f, "The incident of service %s is resolved (%s):\n  %s\n"
					  "Please confirm, or reject it with a reason.\n",
				       "Инцидент по сервису %s решён (%s):\n  %s\n"
				       "Просим подтвердить решение или отклонить его с причиной.\n"),
				    svc, at, f->text ? f->text : "");
		break;
	case GP_ALERT_ESCALATION:
		head = gp_xasprintf(TR(f, "Nobody has taken the incident of service %s into work: "
					  "the response target passed at %s.\n",
				       "Инцидент по сервису %s никто не взял в работу: срок реакции "
				       "истёк %s.\n"),
				    svc, due);
		break;
	case GP_ALERT_AUTO_CLOSED:
	default:
		head = gp_xasprintf(TR(f, "The incident of service %s was resolved and neither "
					  "confirmed nor rejected in time: it is closed (%s).\n",
				       "Инцидент по сервису %s решён, решение не подтверждено и не "
				       "отклонено в срок: инцидент закрыт (%s).\n"),
				    svc, at);
		break;
	}
	char *members = gp_xstrdup("");
	if (f->members && *f->members && f->event != GP_ALERT_RESOLVED &&
	    f->event != GP_ALERT_AUTO_CLOSED) {
		free(members);
		members = gp_xasprintf(TR(f, "\nDOWN components: %s\n%s", "\nНедоступные компоненты: %s\n%s"),
				       f->members, f->checks && *f->checks ? f->checks : "");
	}
	char *diag = gp_xstrdup("");
	if (f->members && *f->members &&
	    (f->event == GP_ALERT_OPENED || f->event == GP_ALERT_REOPENED ||
	     f->event == GP_ALERT_ESCALATION)) {
		size_t n = strcspn(f->members, ",");
		free(diag);
		diag = gp_xasprintf(TR(f, "\nTo diagnose: gprobe diag %.*s\n",
				       "\nДиагностика: gprobe diag %.*s\n"),
				    (int)n, f->members);
	}
	char *text = gp_xasprintf(
		TR(f,
		   "%s%s\nIncident #%lld, priority %s, status %s, attribution: %s.\n"
		   "Response due: %s.\n%s\nThe incident: gprobe incident show %lld\n"
		   "-- \ngprobe\n",
		   "%s%s\nИнцидент #%lld, приоритет %s, статус %s, ответственность: %s.\n"
		   "Срок реакции: %s.\n%s\nИнцидент: gprobe incident show %lld\n"
		   "-- \ngprobe\n"),
		head, members, (long long)f->incident, f->priority, f->status, owner(f), due, diag,
		(long long)f->incident);
	free(head);
	free(members);
	free(diag);
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
	json_object_set_new(inc, "members",
			    f->members && *f->members ? json_string(f->members) : json_null());
	json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "idempotency_key", idempotency_key, "event",
			      gp_alert_event_name(f->event), "at", jtime(f, f->at), "incident", inc);
	if (f->event == GP_ALERT_RESTORED)
		json_object_set_new(j, "down_seconds", json_integer(f->down_seconds));
	if (f->text)
		json_object_set_new(j, "text", json_string(f->text));
	return j;
}
