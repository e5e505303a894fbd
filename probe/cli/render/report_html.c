/*
 * report_html.c - the printable monthly SLA report (see report_html.h).
 */
#include "report_html.h"
#include "format.h"
#include "graph.h"
#include "incidents.h"
#include "message.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T GP_TR

/* Text into HTML: & < > " escaped. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}


static const char *when(const struct gp_config *cfg, int64_t t, char *buf, size_t len)
{
	if (t <= 0)
		snprintf(buf, len, "-");
	else
		gp_format_local(t, cfg->calendar.timezone, buf, len);
	return buf;
}

/* A file's bytes as base64 into f (an embedded image). */
static int embed_base64(FILE *f, const char *file)
{
	FILE *in = fopen(file, "rb");
	if (!in)
		return -1;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, got;
	do {
		gp_grow((void **)&buf, &cap, n + 65536, 1);
		got = fread(buf + n, 1, cap - n, in);
		n += got;
	} while (got > 0);
	fclose(in);
	char *b64 = gp_base64(buf, n, 0);
	fputs(b64, f);
	free(b64);
	free(buf);
	return 0;
}

/* ------------------------------------------------------------------ */

static void summary(FILE *f, const struct gp_config *cfg, const struct gp_report *r)
{
	char a[40], b[40], c[40], d[40], e[40], g[40], h[40];
	fprintf(f, "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
		   "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
		T(cfg, "Service", "Сервис"), T(cfg, "Up", "Работа"),
		T(cfg, "Degraded", "Деградация"), T(cfg, "Down: supplier", "Простой: поставщик"),
		T(cfg, "customer", "заказчик"), T(cfg, "third party", "третьи лица"),
		T(cfg, "unattributed", "не отнесён"), T(cfg, "Maintenance", "Плановые работы"),
		T(cfg, "Voided", "Аннулировано"), T(cfg, "Unmonitored", "Без мониторинга"),
		T(cfg, "Monitored, % of the month / availability, % of monitored time",
		  "Мониторинг, % месяца / доступность, % наблюдаемого времени"),
		T(cfg, "Charged, h", "К расчёту, ч"),
		T(cfg, "Penalty, KZT", "Штраф, тг"));
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *sec = s->totals.seconds, *dn = s->totals.down;
		fprintf(f, "<tr><td>");
		esc(f, s->title ? s->title : s->name);
		fprintf(f, "<br><small>");
		esc(f, s->name);
		fprintf(f, "</small></td><td>%s</td><td>%s</td>", gp_fmt_hms(sec[GP_SLA_UP], a, sizeof(a)),
			gp_fmt_hms(sec[GP_SLA_DEGRADED], b, sizeof(b)));
		fprintf(f, "<td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
			gp_fmt_hms(dn[GP_ATTR_SUPPLIER], c, sizeof(c)), gp_fmt_hms(dn[GP_ATTR_CUSTOMER], d, sizeof(d)),
			gp_fmt_hms(dn[GP_ATTR_THIRD_PARTY], e, sizeof(e)),
			gp_fmt_hms(dn[GP_ATTR_UNATTRIBUTED], g, sizeof(g)));
		fprintf(f, "<td>%s</td>", gp_fmt_hms(sec[GP_SLA_MAINTENANCE], a, sizeof(a)));
		fprintf(f, "<td>%s</td>", gp_fmt_hms(sec[GP_SLA_VOIDED], b, sizeof(b)));
		fprintf(f, "<td>%s</td>", gp_fmt_hms(sec[GP_SLA_UNMONITORED], c, sizeof(c)));
		fprintf(f, "<td>%s / %s", gp_fmt_percent(s->coverage_bp, a, sizeof(a)),
			gp_fmt_percent(s->availability_bp, b, sizeof(b)));
		if (s->avail_none != GP_AVAIL_SHOWN) {
			fprintf(f, "<br><small>");
			esc(f, gp_fmt_avail_none(cfg, s->avail_none, false));
			fprintf(f, "</small>");
		}
		fprintf(f, "</td>");
		fprintf(f, "<td>%s</td><td>%s</td></tr>\n", gp_fmt_hms(s->charged_seconds, d, sizeof(d)),
			gp_fmt_money(s->penalty_tiyn, true, h, sizeof(h)));
	}
	fprintf(f, "</table>\n");
	if (!r->has_contract)
		return;
	fprintf(f, "<p class=\"note\">");
	esc(f, gp_fmt_rounding_note(cfg));
	fprintf(f, "</p>\n");
	char u[40], sm[40], ap[40], cu[40], cap[40], due[40];
	gp_fmt_money(r->pen.union_tiyn, true, u, sizeof(u));
	gp_fmt_money(r->pen.sum_tiyn, true, sm, sizeof(sm));
	gp_fmt_money(r->penalty_tiyn, true, ap, sizeof(ap));
	gp_fmt_money(r->cumulative_tiyn, true, cu, sizeof(cu));
	gp_fmt_money(r->cap_tiyn, true, cap, sizeof(cap));
	gp_fmt_money(r->pen.uncapped_tiyn, true, due, sizeof(due));
	bool sum = cfg->contract.overlap == GP_OVERLAP_SUM;
	fprintf(f, "<table class=\"pen\">\n");
	fprintf(f, "<tr><td>%s</td><td>%s (%s)%s</td></tr>\n",
		T(cfg, "Penalty, union (an instant once)", "Штраф, объединение (момент один раз)"), u,
		gp_fmt_hms(r->pen.union_seconds, a, sizeof(a)), sum ? "" : " &#10003;");
	fprintf(f, "<tr><td>%s</td><td>%s (%s)%s</td></tr>\n",
		T(cfg, "Penalty, sum (once per service)", "Штраф, сумма (по каждому сервису)"), sm,
		gp_fmt_hms(r->pen.sum_seconds, b, sizeof(b)), sum ? " &#10003;" : "");
	fprintf(f, "<tr><th>%s</th><th>%s", T(cfg, "Penalty this month", "Штраф за месяц"), ap);
	if (r->capped)
		fprintf(f, " (%s %s)", T(cfg, "cut by the cap; before it:", "ограничен; без ограничения:"),
			due);
	fprintf(f, "</th></tr>\n");
	fprintf(f, "<tr><td>%s</td><td>%s / %s</td></tr>\n</table>\n",
		T(cfg, "Over the term so far / cap", "Нарастающим итогом / предел"), cu, cap);
	fprintf(f, "<table class=\"months\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
		T(cfg, "Month of the term", "Месяц срока"), T(cfg, "Penalty", "Штраф"),
		T(cfg, "Payable", "К оплате"), T(cfg, "Running total", "Нарастающим итогом"));
	for (size_t i = 0; i < r->n_months; i++) {
		const struct gp_report_month *m = &r->months[i];
		char p1[40], p2[40], p3[40];
		fprintf(f, "<tr><td>%04d-%02d</td><td>%s</td><td>%s%s</td><td>%s</td></tr>\n", m->year,
			m->month, gp_fmt_money(m->uncapped_tiyn, true, p1, sizeof(p1)),
			gp_fmt_money(m->penalty_tiyn, true, p2, sizeof(p2)),
			m->capped ? T(cfg, " (cut by the cap)", " (ограничен)") : "",
			gp_fmt_money(m->cumulative_tiyn, true, p3, sizeof(p3)));
	}
	fprintf(f, "<tr><th>%s</th><th></th><th></th><th>%s</th></tr>\n</table>\n",
		T(cfg, "Cap over the term", "Предел за срок"), cap);
	fprintf(f, "<pre class=\"rules\">");
	char *rules = gp_fmt_report_rules_text(cfg, r);
	if (rules)
		esc(f, rules);
	free(rules);
	fprintf(f, "</pre>\n");
}

/* ------------------------------------------------------------------ */
/* Incidents                                                           */

struct incidents {
	struct gp_incident *v;
	size_t n, cap;
	struct gp_span span;
};

static void collect(void *ctx, const struct gp_incident *inc)
{
	struct incidents *x = ctx;
	if (!gp_inc_within(inc, x->span.start, x->span.end))
		return;
	gp_grow((void **)&x->v, &x->cap, x->n, sizeof(*x->v));
	gp_incident_copy(&x->v[x->n++], inc);
}

struct tl {
	FILE *f;
	const struct gp_config *cfg;
};

static void timeline_row(void *ctx, const struct gp_incident_event *ev)
{
	struct tl *t = ctx;
	char at[40];
	fprintf(t->f, "<tr><td>%s</td><td>", when(t->cfg, ev->at, at, sizeof(at)));
	esc(t->f, ev->kind);
	fprintf(t->f, "</td><td>");
	esc(t->f, ev->actor);
	fprintf(t->f, "</td><td>");
	if (ev->new_status >= 0 && ev->old_status != ev->new_status) {
		if (ev->old_status >= 0)
			esc(t->f, gp_incident_status_name((enum gp_incident_status)ev->old_status));
		fprintf(t->f, " &rarr; ");
		esc(t->f, gp_incident_status_name((enum gp_incident_status)ev->new_status));
	}
	fprintf(t->f, "</td><td>");
	esc(t->f, ev->text);
	fprintf(t->f, "</td></tr>\n");
}

/* The outage's graph (gp_graph_outage), embedded; or why there is none. */
static void outage_graph(FILE *f, struct gp_store *st, const struct gp_config *cfg,
			 const struct gp_incident *inc, int64_t now)
{
	if (!inc->members || !*inc->members || inc->outage_start <= 0)
		return;
	char caption[256], err[512];
	char *png = gp_graph_outage(cfg, st, inc, now, caption, sizeof(caption), err, sizeof(err));
	if (png) {
		fprintf(f, "<p><img alt=\"");
		esc(f, caption);
		fprintf(f, "\" src=\"data:image/png;base64,");
		embed_base64(f, png);
		fprintf(f, "\"></p>\n");
		unlink(png);
		free(png);
		return;
	}
	fprintf(f, "<p class=\"note\">%s ", T(cfg, "No graph:", "Нет графика:"));
	esc(f, err[0] ? err : T(cfg, "no values recorded", "значения не записаны"));
	fprintf(f, "</p>\n");
}

static void incidents(FILE *f, struct gp_store *st, const struct gp_config *cfg,
		      const struct gp_report *r)
{
	struct incidents x = {.span = r->span};
	gp_store_incident_list(st, true, collect, &x);
	fprintf(f, "<h2>%s</h2>\n", T(cfg, "Incidents", "Инциденты"));
	if (x.n == 0)
		fprintf(f, "<p>%s</p>\n", T(cfg, "None this month.", "В этом месяце не было."));
	int64_t now = (int64_t)time(NULL);
	/* Oldest first: the listing is newest first. */
	for (size_t k = x.n; k-- > 0;) {
		const struct gp_incident *inc = &x.v[k];
		char a[40], b[40], c[40], d[40];
		fprintf(f, "<div class=\"inc\"><h3>#%lld ", (long long)inc->id);
		esc(f, inc->service);
		fprintf(f, " &middot; %s &middot; %s</h3>\n<p>", gp_priority_name(inc->priority),
			gp_incident_status_name(inc->status));
		esc(f, inc->text);
		fprintf(f, "</p>\n<table class=\"kv\">");
		fprintf(f, "<tr><td>%s</td><td>%s</td></tr>", T(cfg, "Attribution", "Ответственность"),
			gp_attribution_name(inc->attribution));
		if (inc->members) {
			fprintf(f, "<tr><td>%s</td><td>", T(cfg, "Down components", "Недоступные компоненты"));
			esc(f, inc->members);
			fprintf(f, "</td></tr>");
		}
		fprintf(f, "<tr><td>%s</td><td>%s (%s)</td></tr>",
			T(cfg, "Registered", "Зарегистрирован"), when(cfg, inc->opened_at, a, sizeof(a)),
			gp_inc_channel_name(inc->channel));
		fprintf(f, "<tr><td>%s</td><td>%s%s</td></tr>", T(cfg, "Response due", "Срок реакции"),
			when(cfg, inc->response_due_at, b, sizeof(b)),
			inc->response_breached ? T(cfg, " &mdash; BREACHED", " &mdash; НАРУШЕН") : "");
		fprintf(f, "<tr><td>%s</td><td>%s</td></tr>", T(cfg, "Outage", "Простой"),
			inc->outage_start > 0 ? when(cfg, inc->outage_start, c, sizeof(c)) : "-");
		fprintf(f, "<tr><td>%s</td><td>%s</td></tr>", T(cfg, "Restored", "Восстановлен"),
			when(cfg, inc->restored_at, d, sizeof(d)));
		fprintf(f, "<tr><td>%s</td><td>%s</td></tr>", T(cfg, "Resolved", "Решён"),
			when(cfg, inc->resolved_at, a, sizeof(a)));
		fprintf(f, "<tr><td>%s</td><td>%s</td></tr></table>\n", T(cfg, "Closed", "Закрыт"),
			when(cfg, inc->closed_at, b, sizeof(b)));
		fprintf(f, "<table class=\"tl\"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
			   "<th>%s</th></tr>\n",
			T(cfg, "When", "Когда"), T(cfg, "What", "Что"), T(cfg, "Who", "Кто"),
			T(cfg, "Status", "Статус"), T(cfg, "Text", "Текст"));
		struct tl t = {f, cfg};
		gp_store_incident_timeline(st, inc->id, timeline_row, &t);
		fprintf(f, "</table>\n");
		outage_graph(f, st, cfg, inc, now);
		fprintf(f, "</div>\n");
		gp_incident_clear(&x.v[k]);
	}
	free(x.v);
}

struct entries {
	FILE *f;
	const struct gp_config *cfg;
	int n;
	bool downtime;
};

static void entry_row(void *ctx, const struct gp_ledger_entry *e)
{
	struct entries *x = ctx;
	char a[40], b[40], c[40];
	fprintf(x->f, "<tr><td>#%lld</td><td>", (long long)e->id);
	if (e->target)
		fprintf(x->f, "%s ", T(x->cfg, "target", "компонент"));
	esc(x->f, e->target ? e->target : e->service);
	fprintf(x->f, "</td><td>%s &ndash; %s</td><td>", when(x->cfg, e->start, a, sizeof(a)),
		when(x->cfg, e->end, b, sizeof(b)));
	esc(x->f, x->downtime ? gp_attribution_name(e->attribution) : "");
	if (e->retroactive)
		fprintf(x->f, "<br><small>%s</small>",
			T(x->cfg, "retroactive: entered over recorded downtime",
			  "задним числом: внесено поверх зафиксированного простоя"));
	if (e->over_monitored)
		fprintf(x->f, "<br><small>%s</small>",
			T(x->cfg, "reported by the customer over monitored time",
			  "сообщён заказчиком за время под мониторингом"));
	fprintf(x->f, "</td><td>");
	esc(x->f, e->reason);
	fprintf(x->f, "</td><td>");
	esc(x->f, e->created_by);
	fprintf(x->f, ", %s", when(x->cfg, e->created_at, c, sizeof(c)));
	if (e->revoked_at) {
		fprintf(x->f, "<br><b>%s</b> %s, ",
			x->downtime ? T(x->cfg, "Revoked, not counted:", "Отозван, не учитывается:")
				    : T(x->cfg, "Cancelled, not counted:", "Отменено, не учитывается:"),
			when(x->cfg, e->revoked_at, a, sizeof(a)));
		esc(x->f, e->revoked_by);
		fprintf(x->f, ": ");
		esc(x->f, e->revoke_reason);
	}
	fprintf(x->f, "</td></tr>\n");
	x->n++;
}

static void entries(FILE *f, struct gp_store *st, const struct gp_config *cfg,
		    const struct gp_report *r)
{
	for (int kind = 0; kind < 2; kind++) {
		fprintf(f, "<h2>%s</h2>\n<table>",
			kind ? T(cfg, "Maintenance windows", "Плановые работы")
			     : T(cfg, "Downtime entered by hand", "Простои, внесённые вручную"));
		struct entries x = {f, cfg, 0, kind == 0};
		gp_store_entry_list(st, kind ? GP_ENTRY_MAINTENANCE : GP_ENTRY_DOWNTIME, NULL,
				    r->span.start, r->span.end, entry_row, &x);
		fprintf(f, "</table>\n");
		if (x.n == 0)
			fprintf(f, "<p>%s</p>\n", T(cfg, "None.", "Нет."));
	}
}

int gp_report_html(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		   const char *path, char *err, size_t errlen)
{
	char *tmp = gp_xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	char a[40], b[40];
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
		   "<title>SLA %04d-%02d</title>\n<style>\n"
		   "body{font-family:sans-serif;font-size:11pt;margin:2em}\n"
		   "table{border-collapse:collapse;margin:.5em 0}\n"
		   "td,th{border:1px solid #888;padding:2px 6px;text-align:right}\n"
		   "td:first-child,th:first-child,.tl td,.kv td{text-align:left}\n"
		   ".inc{page-break-inside:avoid;margin-top:1.5em}\n"
		   ".note{color:#666}img{max-width:100%%}\n"
		   ".sign td{border:none;padding:2em 3em 0 0;text-align:left}\n"
		   "@media print{body{margin:0}}\n</style></head><body>\n",
		gp_fmt_russian(cfg) ? "ru" : "en", r->year, r->month);
	fprintf(f, "<h1>%s %04d-%02d</h1>\n",
		T(cfg, "Service level report for", "Отчёт об уровне обслуживания за"), r->year,
		r->month);
	fprintf(f, "<p>%s: %s &ndash; %s (%s)%s</p>\n", T(cfg, "Period", "Период"),
		when(cfg, r->span.start, a, sizeof(a)), when(cfg, r->span.end, b, sizeof(b)),
		cfg->calendar.timezone,
		r->partial ? T(cfg, " &mdash; the month is not over: figures so far",
			       " &mdash; месяц не окончен: данные на текущий момент")
			   : "");
	summary(f, cfg, r);
	incidents(f, st, cfg, r);
	entries(f, st, cfg, r);
	fprintf(f, "<table class=\"sign\"><tr><td>%s<br><br>____________________</td>"
		   "<td>%s<br><br>____________________</td></tr></table>\n</body></html>\n",
		T(cfg, "For the customer", "От заказчика"), T(cfg, "For the supplier", "От поставщика"));
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
