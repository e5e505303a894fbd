/*
 * ledger.c - the ledger at a glance: GET /ledger[?month=YYYY-MM] (this
 * month by default, in calendar.timezone), per service a month as a
 * calendar strip, one cell a day coloured by what the day was, with a bar
 * of the day's time in order (midnight at the top) and each class's
 * seconds in its title; beside it the month's availability and down time
 * as `gprobe report` gives them. GET /api/ledger?month=YYYY-MM: the same
 * days as JSON.
 *
 * The figures are the report's (report.h, gp_report_build): the same
 * segments `gprobe downtime` lists and the same totals `gprobe report`
 * adds, from one snapshot of the store; this file only cuts the segments
 * at the local midnights (the tz database's, gp_cal_local_time: a day may
 * be 23 or 25 hours long) and lays them out.
 */
#include "calendar.h"
#include "report.h"
#include "util.h"
#include "web.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TR(r, en, ru) ((r)->english ? (en) : (ru))

/* The state of a day with no second in the report's span: a day to come,
 * or one outside the contract's term. Drawn blank. */
#define DAY_NONE (-1)

/* Unmonitored time colours a day otherwise up when it is at least this
 * share of the day's elapsed seconds (an hour of a whole day): a restart
 * of the daemon does not, a night without the probe does. */
#define UNMONITORED_SHARE 24

struct day {
	struct gp_date date;
	struct gp_span span;        /* the local day, UTC */
	int64_t seconds[GP_SLA_N];  /* per class, within the report's span */
	int64_t elapsed;            /* the day's seconds within the report's span */
	int state;                  /* enum gp_sla_class, or DAY_NONE */
};

/* The colour of a day, the worst thing in it first (the bar shows the
 * mix): any second down makes it down; else any degraded, degraded; else
 * any maintenance, maintenance; else any voided (down time of a false
 * alarm), voided; else unmonitored when that was at least 1/24 of it; else
 * up. A day with no second in the span is DAY_NONE. */
static int day_state(const struct day *d)
{
	static const enum gp_sla_class worst_first[] = {GP_SLA_DOWN, GP_SLA_DEGRADED,
							GP_SLA_MAINTENANCE, GP_SLA_VOIDED};
	if (d->elapsed <= 0)
		return DAY_NONE;
	for (size_t i = 0; i < GP_ARRAY_LEN(worst_first); i++)
		if (d->seconds[worst_first[i]] > 0)
			return worst_first[i];
	if (d->seconds[GP_SLA_UNMONITORED] * UNMONITORED_SHARE >= d->elapsed)
		return GP_SLA_UNMONITORED;
	return d->seconds[GP_SLA_UP] > 0 ? GP_SLA_UP : GP_SLA_UNMONITORED;
}

static int64_t overlap(struct gp_span a, int64_t start, int64_t end)
{
	int64_t s = a.start > start ? a.start : start, e = a.end < end ? a.end : end;
	return e > s ? e - s : 0;
}

/* The month's days (28 to 31) into days[]; returns how many. */
static size_t month_days(const struct gp_config *cfg, int year, int month, struct day days[31])
{
	const struct gp_calendar *cal = &cfg->calendar;
	int64_t first = gp_date_days((struct gp_date){year, month, 1});
	size_t n = 0;
	for (; n < 31; n++) {
		struct gp_date d = gp_date_from_days(first + (int64_t)n);
		if (d.month != month)
			break;
		struct gp_date next = gp_date_from_days(first + (int64_t)n + 1);
		days[n] = (struct day){.date = d,
				       .span = {gp_cal_local_time(cal, d, 0),
						gp_cal_local_time(cal, next, 0)}};
	}
	return n;
}

/* One service's seconds per day per class. */
static void fill_days(const struct gp_report *rep, const struct gp_report_service *s,
		      struct day *days, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct day *d = &days[i];
		memset(d->seconds, 0, sizeof(d->seconds));
		d->elapsed = overlap(d->span, rep->span.start, rep->span.end);
		for (size_t k = 0; k < s->n_seg; k++)
			d->seconds[s->seg[k].cls] += overlap(d->span, s->seg[k].start, s->seg[k].end);
		d->state = day_state(d);
	}
}

static const char *state_name(int state)
{
	return state == DAY_NONE ? "none" : gp_sla_class_name((enum gp_sla_class)state);
}

/* The classes as a person reads them, in the bar's legend order. */
static const enum gp_sla_class legend_order[] = {GP_SLA_UP, GP_SLA_DEGRADED, GP_SLA_DOWN,
						 GP_SLA_MAINTENANCE, GP_SLA_VOIDED,
						 GP_SLA_UNMONITORED};

static const char *class_label(const struct gp_web_req *r, enum gp_sla_class c)
{
	switch (c) {
	case GP_SLA_UP:
		return TR(r, "UP", "работал");
	case GP_SLA_DEGRADED:
		return TR(r, "DEGRADED", "деградация");
	case GP_SLA_DOWN:
		return TR(r, "DOWN", "простой");
	case GP_SLA_MAINTENANCE:
		return TR(r, "MAINTENANCE", "плановые работы");
	case GP_SLA_VOIDED:
		return TR(r, "VOIDED", "ложная тревога");
	case GP_SLA_UNMONITORED:
		return TR(r, "UNMONITORED", "без мониторинга");
	case GP_SLA_N:
		break;
	}
	return "?";
}

/* The month asked for, or this one; a term already over shows its last
 * month by default. */
static const char *pick_month(const struct gp_config *cfg, const struct gp_web_req *r,
			      int64_t now, char *buf, size_t len)
{
	const char *m = r->arg(r, "month");
	if (m && *m)
		return m;
	int64_t t = now;
	if (cfg->contract.set) {
		struct gp_span term = gp_contract_term(&cfg->contract, &cfg->calendar);
		if (t >= term.end)
			t = term.end - 1;
	}
	struct gp_date d = gp_cal_local_date(&cfg->calendar, t);
	snprintf(buf, len, "%04d-%02d", d.year, d.month);
	return buf;
}

/* The report of the month for this request, or false after filling the
 * error (400: a malformed month, one outside the term or not begun). */
static bool build(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		  bool api, struct gp_report *rep)
{
	char buf[16], err[512];
	int64_t now = (int64_t)time(NULL);
	const char *month = pick_month(w->cfg, r, now, buf, sizeof(buf));
	struct gp_store *st = gp_web_store(w, false, api ? NULL : resp);
	if (!st) {
		if (api)
			gp_api_error(resp, 503, "the store cannot be read");
		return false;
	}
	int rc = gp_report_build(st, w->cfg, month, now, rep, err, sizeof(err));
	bool store_failed = rc != 0 && strstr(err, "cannot read the ledger") != NULL;
	gp_store_close(st);
	if (rc == 0)
		return true;
	if (api)
		gp_api_error(resp, store_failed ? 503 : 400, err);
	else
		gp_page_error(r, resp, store_failed ? 503 : 400, err);
	return false;
}

/* ------------------------------------------------------------------ */
/* GET /api/ledger                                                     */

static json_t *percent_json(int64_t bp)
{
	char buf[32];
	return bp < 0 ? json_null() : json_string(gp_fmt_percent(bp, buf, sizeof(buf)));
}

static void api_ledger(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	struct gp_report rep;
	if (!build(w, r, resp, true, &rep))
		return;
	const struct gp_config *cfg = w->cfg;
	struct day days[31];
	size_t nd = month_days(cfg, rep.year, rep.month, days);
	json_t *svcs = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const struct gp_report_service *s = &rep.services[i];
		const int64_t *sec = s->totals.seconds;
		fill_days(&rep, s, days, nd);
		json_t *dj = json_array();
		for (size_t k = 0; k < nd; k++) {
			char date[16];
			snprintf(date, sizeof(date), "%04d-%02d-%02d", days[k].date.year,
				 days[k].date.month, days[k].date.day);
			json_t *secs = json_object();
			for (int c = 0; c < GP_SLA_N; c++)
				json_object_set_new(secs, gp_sla_class_name((enum gp_sla_class)c),
						    json_integer(days[k].seconds[c]));
			json_array_append_new(
				dj, json_pack("{s:s, s:o, s:o, s:o, s:I, s:o}", "date", date, "from",
					      gp_cli_jtime(cfg, days[k].span.start), "to",
					      gp_cli_jtime(cfg, days[k].span.end), "state",
					      days[k].state == DAY_NONE
						      ? json_null()
						      : json_string(state_name(days[k].state)),
					      "elapsed_seconds", (json_int_t)days[k].elapsed,
					      "seconds", secs));
		}
		json_t *o = json_pack("{s:s, s:s*, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "service",
				      s->name, "title", s->title, "up_seconds",
				      (json_int_t)sec[GP_SLA_UP], "degraded_seconds",
				      (json_int_t)sec[GP_SLA_DEGRADED], "down_seconds",
				      (json_int_t)sec[GP_SLA_DOWN], "maintenance_seconds",
				      (json_int_t)sec[GP_SLA_MAINTENANCE], "voided_seconds",
				      (json_int_t)sec[GP_SLA_VOIDED], "unmonitored_seconds",
				      (json_int_t)sec[GP_SLA_UNMONITORED], "monitored_seconds",
				      (json_int_t)s->totals.monitored);
		json_object_set_new(o, "availability_percent", percent_json(s->availability_bp));
		json_object_set_new(o, "availability_note",
				    s->avail_none == GP_AVAIL_SHOWN
					    ? json_null()
					    : json_string(gp_fmt_avail_none(cfg, s->avail_none, true)));
		json_object_set_new(o, "monitored_percent", percent_json(s->coverage_bp));
		json_object_set_new(o, "days", dj);
		json_array_append_new(svcs, o);
	}
	char month[8];
	snprintf(month, sizeof(month), "%04d-%02d", rep.year, rep.month);
	json_t *j = json_pack("{s:s, s:o, s:o, s:b, s:o}", "month", month, "from",
			      gp_cli_jtime(cfg, rep.span.start), "to", gp_cli_jtime(cfg, rep.span.end),
			      "partial", rep.partial, "services", svcs);
	gp_report_free(&rep);
	char *text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	resp->status = 200;
	resp->type = "application/json";
	gp_sb_add(&resp->body, "%s\n", text ? text : "null");
	free(text);
}

/* ------------------------------------------------------------------ */
/* GET /ledger                                                         */

static const char css[] =
	".strip{overflow-x:auto;background:#fff}"
	"table.ledger{width:auto;min-width:100%}"
	"table.ledger th,table.ledger td{padding:.2em .3em;white-space:nowrap}"
	"table.ledger th.d,table.ledger td.day{padding:1px;text-align:center;min-width:1.3em}"
	"table.ledger th.d{font-weight:normal;font-size:.8em}"
	"table.ledger th.we{color:#a33}table.ledger th.today{background:#1d2b3a;color:#fff}"
	"th.svc{position:sticky;left:0;background:#fff;z-index:1}"
	"table.ledger th.tot{white-space:normal;min-width:7em}"
	".bar{display:flex;flex-direction:column;height:2.4em;background:#eee}"
	".bar i{display:block;min-height:0}"
	".bar i.down,.bar i.degraded,.bar i.maintenance{min-height:2px}"
	"i.up,.key.up{background:#2e9e4f}i.degraded,.key.degraded{background:#f5c542}"
	"i.down,.key.down{background:#c0392b}i.maintenance,.key.maintenance{background:#3b7dd8}"
	"i.voided,.key.voided{background:#9aa5b1}"
	"i.unmonitored,.key.unmonitored{background:#b9a7d6}i.none{background:#eee}"
	"td.day.down{outline:2px solid #c0392b;outline-offset:-2px}"
	".legend span{display:inline-block;margin-right:1em}"
	".key{display:inline-block;width:1em;height:1em;vertical-align:middle;margin-right:.3em}"
	"nav.months{display:flex;gap:1em;margin:.5em 0}";

/* "0:12:00" of seconds, for the title. */
static void day_title(const struct gp_web_req *r, const struct day *d, struct gp_sb *b)
{
	gp_sb_add(b, "%04d-%02d-%02d", d->date.year, d->date.month, d->date.day);
	if (d->state == DAY_NONE) {
		gp_sb_add(b, ": %s", TR(r, "no data", "нет данных"));
		return;
	}
	const char *sep = ": ";
	/* Worst first, as the colour is chosen. */
	static const enum gp_sla_class order[] = {GP_SLA_DOWN,	 GP_SLA_DEGRADED,
						  GP_SLA_MAINTENANCE, GP_SLA_VOIDED,
						  GP_SLA_UNMONITORED, GP_SLA_UP};
	for (size_t i = 0; i < GP_ARRAY_LEN(order); i++) {
		if (!d->seconds[order[i]])
			continue;
		char hms[40];
		gp_sb_add(b, "%s%s %s", sep, class_label(r, order[i]),
			  gp_fmt_hms(d->seconds[order[i]], hms, sizeof(hms)));
		sep = ", ";
	}
}

/* The day's bar: its segments in order, each as tall as its share of the
 * day (flex-grow in seconds); the time before the span (outside the term)
 * and after it (still to come) blank. Neighbours of one class merged
 * (segments also part where the attribution changes). */
static void day_bar(const struct gp_report *rep, const struct gp_report_service *s,
		    const struct day *d, struct gp_sb *b)
{
	gp_sb_add(b, "<div class=\"bar\">");
	int64_t lead = overlap(d->span, d->span.start,
			       rep->span.start < d->span.end ? rep->span.start : d->span.end);
	if (lead > 0)
		gp_sb_add(b, "<i class=\"none\" style=\"flex:%lld 0 0\"></i>", (long long)lead);
	int cls = -1;
	int64_t run = 0;
	for (size_t k = 0; k < s->n_seg; k++) {
		int64_t sec = overlap(d->span, s->seg[k].start, s->seg[k].end);
		if (!sec)
			continue;
		if ((int)s->seg[k].cls != cls && run > 0)
			gp_sb_add(b, "<i class=\"%s\" style=\"flex:%lld 0 0\"></i>",
				  gp_sla_class_name((enum gp_sla_class)cls), (long long)run);
		if ((int)s->seg[k].cls != cls)
			run = 0;
		cls = (int)s->seg[k].cls;
		run += sec;
	}
	if (run > 0)
		gp_sb_add(b, "<i class=\"%s\" style=\"flex:%lld 0 0\"></i>",
			  gp_sla_class_name((enum gp_sla_class)cls), (long long)run);
	int64_t tail = overlap(d->span, rep->span.end > d->span.start ? rep->span.end
								      : d->span.start,
			       d->span.end);
	if (tail > 0)
		gp_sb_add(b, "<i class=\"none\" style=\"flex:%lld 0 0\"></i>", (long long)tail);
	gp_sb_add(b, "</div>");
}

/* A neighbouring month's link, when the ledger has it: begun, and within
 * the term. */
static void month_link(const struct gp_config *cfg, struct gp_sb *b, int year, int month,
		       int step, const char *label, int64_t now)
{
	month += step;
	if (month < 1)
		month = 12, year--;
	if (month > 12)
		month = 1, year++;
	struct gp_span sp = gp_month_span(&cfg->calendar, year, month);
	bool ok = sp.start < now;
	if (cfg->contract.set) {
		struct gp_span term = gp_contract_term(&cfg->contract, &cfg->calendar);
		ok = ok && sp.end > term.start && sp.start < term.end;
	}
	if (ok)
		gp_sb_add(b, "<a id=\"%s\" href=\"/ledger?month=%04d-%02d\">%s %04d-%02d</a>",
			  step < 0 ? "prev" : "next", year, month, label, year, month);
}

static void page_ledger(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	struct gp_report rep;
	if (!build(w, r, resp, false, &rep))
		return;
	const struct gp_config *cfg = w->cfg;
	int64_t now = (int64_t)time(NULL);
	char title[64];
	snprintf(title, sizeof(title), "%s %04d-%02d", TR(r, "Ledger", "Учёт простоев"), rep.year,
		 rep.month);
	resp->status = 200;
	gp_page_head(r, resp, title);
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<style>%s</style><h1>%s%s</h1><nav class=\"months\">", css, title,
		  rep.partial ? TR(r, " (so far)", " (на текущий момент)") : "");
	month_link(cfg, b, rep.year, rep.month, -1, "&larr;", now);
	gp_sb_add(b, "<a href=\"/report?month=%04d-%02d&amp;format=html\">%s</a>", rep.year,
		  rep.month, TR(r, "The month's report", "Отчёт за месяц"));
	month_link(cfg, b, rep.year, rep.month, +1, "&rarr;", now);
	gp_sb_add(b, "</nav><p class=\"legend\">");
	for (size_t i = 0; i < GP_ARRAY_LEN(legend_order); i++)
		gp_sb_add(b, "<span><i class=\"key %s\"></i>%s</span>",
			  gp_sla_class_name(legend_order[i]), class_label(r, legend_order[i]));
	gp_sb_add(b, "<span><i class=\"key none\"></i>%s</span></p>",
		  TR(r, "no data (to come, or outside the term)",
		     "нет данных (ещё не наступило или вне срока договора)"));

	struct day days[31];
	size_t nd = month_days(cfg, rep.year, rep.month, days);
	struct gp_date today = gp_cal_local_date(&cfg->calendar, now);
	static const char *const wd_en[] = {"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"};
	static const char *const wd_ru[] = {"пн", "вт", "ср", "чт", "пт", "сб", "вс"};
	gp_sb_add(b, "<div class=\"strip\"><table class=\"ledger\" id=\"ledger-table\"><thead><tr>"
		     "<th class=\"svc\">%s</th>",
		  TR(r, "Service", "Сервис"));
	for (size_t k = 0; k < nd; k++) {
		int wd = gp_date_weekday(days[k].date);
		bool is_today = gp_date_days(days[k].date) == gp_date_days(today);
		gp_sb_add(b, "<th class=\"d%s%s\">%d<br>%s</th>",
			  gp_cal_is_working_day(&cfg->calendar, days[k].date) ? "" : " we",
			  is_today ? " today" : "", days[k].date.day,
			  r->english ? wd_en[wd] : wd_ru[wd]);
	}
	gp_sb_add(b, "<th class=\"tot\">%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>"
		     "</thead><tbody>\n",
		  TR(r, "Availability, %<br><small>of monitored time</small>",
		     "Доступность, %<br><small>от времени мониторинга</small>"),
		  TR(r, "Down", "Простой"), TR(r, "Maintenance", "Плановые работы"),
		  TR(r, "Unmonitored", "Без мониторинга"), TR(r, "Monitored", "Под мониторингом"));
	for (size_t i = 0; i < rep.n; i++) {
		const struct gp_report_service *s = &rep.services[i];
		fill_days(&rep, s, days, nd);
		gp_sb_add(b, "<tr id=\"ledger-");
		gp_sb_esc(b, s->name);
		gp_sb_add(b, "\"><th class=\"svc\">");
		gp_sb_esc(b, s->title ? s->title : s->name);
		if (s->title) {
			gp_sb_add(b, " <small>(");
			gp_sb_esc(b, s->name);
			gp_sb_add(b, ")</small>");
		}
		gp_sb_add(b, "</th>");
		for (size_t k = 0; k < nd; k++) {
			const struct day *d = &days[k];
			gp_sb_add(b, "<td id=\"day-");
			gp_sb_esc(b, s->name);
			gp_sb_add(b, "-%04d-%02d-%02d\" class=\"day %s\" title=\"", d->date.year,
				  d->date.month, d->date.day, state_name(d->state));
			struct gp_sb t = {0};
			day_title(r, d, &t);
			gp_sb_esc(b, t.s ? t.s : "");
			free(t.s);
			gp_sb_add(b, "\">");
			if (d->state != DAY_NONE)
				day_bar(&rep, s, d, b);
			gp_sb_add(b, "</td>");
		}
		char pct[32], down[40], maint[40], unmon[40], cov[32];
		gp_sb_add(b, "<td class=\"avail\">%s",
			  gp_fmt_percent(s->availability_bp, pct, sizeof(pct)));
		if (s->avail_none != GP_AVAIL_SHOWN) {
			gp_sb_add(b, " <small>");
			gp_sb_esc(b, gp_fmt_avail_none(cfg, s->avail_none, r->english));
			gp_sb_add(b, "</small>");
		}
		gp_sb_add(b, "</td><td class=\"down\">%s</td><td>%s</td><td>%s</td><td>%s%%</td></tr>\n",
			  gp_fmt_hms(s->totals.seconds[GP_SLA_DOWN], down, sizeof(down)),
			  gp_fmt_hms(s->totals.seconds[GP_SLA_MAINTENANCE], maint, sizeof(maint)),
			  gp_fmt_hms(s->totals.seconds[GP_SLA_UNMONITORED], unmon, sizeof(unmon)),
			  gp_fmt_percent(s->coverage_bp, cov, sizeof(cov)));
	}
	gp_sb_add(b, "</tbody></table></div>");
	char from[40], to[40];
	gp_format_local(rep.span.start, cfg->calendar.timezone, from, sizeof(from));
	gp_format_local(rep.span.end, cfg->calendar.timezone, to, sizeof(to));
	gp_sb_add(b, "<p><small>%s %s .. %s (%s). %s</small></p>",
		  TR(r, "Counted", "Учтено"), from, to, cfg->calendar.timezone
							   ? cfg->calendar.timezone
							   : "UTC",
		  TR(r, "A day is down if any of it was, else degraded, maintenance or a false "
			"alarm if any of it was; unmonitored if an hour's share of it was; else "
			"up. Its bar shows the day from midnight (top) in order; its title, each "
			"kind's time.",
		     "День — простой, если простой в нём был; иначе деградация, плановые работы "
		     "или ложная тревога, если они были; без мониторинга, если так прошла "
		     "двадцать четвёртая часть дня или больше; иначе работал. Полоса показывает "
		     "день от полуночи (сверху) по порядку, подсказка — время каждого вида."));
	gp_page_foot(resp);
	gp_report_free(&rep);
}

bool gp_ledger_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	if (!get)
		return false;
	if (!strcmp(r->path, "/ledger"))
		page_ledger(w, r, resp);
	else if (!strcmp(r->path, "/api/ledger"))
		api_ledger(w, r, resp);
	else
		return false;
	return true;
}
