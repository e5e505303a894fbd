/*
 * cli_report.c - the contract's commands: `gprobe report` (a month's
 * availability and penalty), `gprobe downtime` (the ledger's intervals, and
 * `downtime add` for an outage the probe did not see) and `gprobe
 * maintenance add` (planned work).
 *
 * The figures come from report.c; this file parses arguments and prints
 * them as a table (Russian headers when alerts.email.language is ru), CSV,
 * JSON or a printable HTML page (report_html.c).
 */
#include "calendar.h"
#include "cli.h"
#include "maintenance.h"
#include "report.h"
#include "report_html.h"
#include "report_pdf.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Formatting                                                          */


/* A percentage as JSON: the exact decimal as a string ("90.58", never a
 * binary float), or null. */
static json_t *json_percent(int64_t bp)
{
	char buf[32];
	return bp < 0 ? json_null() : json_string(gp_fmt_percent(bp, buf, sizeof(buf)));
}

/* The same for CSV: empty for none. */
static const char *csv_percent(int64_t bp, char *buf, size_t len)
{
	if (bp < 0) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	return gp_fmt_percent(bp, buf, len);
}

/* Pads s to `width` characters (UTF-8: Cyrillic headers are two bytes a
 * letter). */
static void cell(const char *s, int width, bool right)
{
	int chars = 0;
	for (const char *p = s; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	int pad = width > chars ? width - chars : 0;
	if (right)
		printf("%*s%s ", pad, "", s);
	else
		printf("%s%*s ", s, pad, "");
}


#define T GP_TR

static void local(const struct gp_config *cfg, int64_t t, char *buf, size_t len)
{
	gp_format_local(t, cfg->calendar.timezone, buf, len);
}

/* A flag's TIME into *out; false with why in err. */
static bool entry_time(const struct gp_config *cfg, const char *flag, const char *v,
		       int64_t *out, char *err, size_t errlen)
{
	const char *why;
	if (!v) {
		snprintf(err, errlen, "missing %s TIME", flag);
		return false;
	}
	if (!gp_cal_parse_time(&cfg->calendar, v, out, &why)) {
		snprintf(err, errlen, "%s '%s': %s", flag, v, why);
		return false;
	}
	return true;
}

static bool parse_time_flag(const struct gp_config *cfg, const char *cmd, const char *flag,
			    const char *v, int64_t *out)
{
	char err[600];
	if (!entry_time(cfg, flag, v, out, err, sizeof(err))) {
		fprintf(stderr, "gprobe %s: %s\n", cmd, err);
		return false;
	}
	return true;
}

/* The month of `now` in calendar.timezone, "YYYY-MM". */
static const char *current_month(const struct gp_config *cfg, int64_t now, char *buf, size_t len)
{
	struct gp_date d = gp_cal_local_date(&cfg->calendar, now);
	snprintf(buf, len, "%04d-%02d", d.year, d.month);
	return buf;
}

/* ------------------------------------------------------------------ */
/* report                                                              */

static json_t *report_json(const struct gp_config *cfg, const struct gp_report *r)
{
	char month[8];
	snprintf(month, sizeof(month), "%04d-%02d", r->year, r->month);
	json_t *svcs = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *sec = s->totals.seconds, *down = s->totals.down;
		json_t *o = json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "service",
			s->name, "up_seconds", (json_int_t)sec[GP_SLA_UP], "degraded_seconds",
			(json_int_t)sec[GP_SLA_DEGRADED], "down_seconds", (json_int_t)sec[GP_SLA_DOWN],
			"down_supplier_seconds", (json_int_t)down[GP_ATTR_SUPPLIER],
			"down_customer_seconds", (json_int_t)down[GP_ATTR_CUSTOMER],
			"down_third_party_seconds", (json_int_t)down[GP_ATTR_THIRD_PARTY],
			"down_unattributed_seconds", (json_int_t)down[GP_ATTR_UNATTRIBUTED],
			"maintenance_seconds", (json_int_t)sec[GP_SLA_MAINTENANCE], "voided_seconds",
			(json_int_t)sec[GP_SLA_VOIDED], "unmonitored_seconds",
			(json_int_t)sec[GP_SLA_UNMONITORED], "charged_seconds",
			(json_int_t)s->charged_seconds, "penalty_tiyn", (json_int_t)s->penalty_tiyn);
		/* Over monitored time: null, with the reason, when there was none. */
		json_object_set_new(o, "availability_percent", json_percent(s->availability_bp));
		json_object_set_new(o, "availability_note",
				    s->avail_none == GP_AVAIL_SHOWN
					    ? json_null()
					    : json_string(gp_fmt_avail_none(cfg, s->avail_none, true)));
		json_object_set_new(o, "monitored_seconds", json_integer(s->totals.monitored));
		/* Down seconds the customer reported over monitored time
		 * (downtime add --over-monitored); part of down_seconds. */
		json_object_set_new(o, "down_reported_seconds", json_integer(s->totals.reported));
		json_object_set_new(o, "monitored_percent", json_percent(s->coverage_bp));
		json_array_append_new(svcs, o);
	}
	json_t *j = json_pack("{s:s, s:o, s:o, s:b, s:o}", "month", month, "from",
			      gp_cli_jtime(cfg, r->span.start), "to", gp_cli_jtime(cfg, r->span.end),
			      "partial", r->partial, "services", svcs);
	json_object_set_new(j, "penalty_tiyn", json_integer(r->penalty_tiyn));
	json_object_set_new(j, "penalty_cumulative_tiyn", json_integer(r->cumulative_tiyn));
	json_object_set_new(j, "penalty_cap_tiyn", json_integer(r->cap_tiyn));
	json_object_set_new(j, "penalty_uncapped_tiyn", json_integer(r->pen.uncapped_tiyn));
	json_object_set_new(j, "penalty_union_tiyn", json_integer(r->pen.union_tiyn));
	json_object_set_new(j, "penalty_sum_tiyn", json_integer(r->pen.sum_tiyn));
	/* The services' own amounts added up: information, may differ from
	 * penalty_sum_tiyn (rounded once) by rounding. */
	json_object_set_new(j, "penalty_services_tiyn", json_integer(r->pen.services_tiyn));
	json_object_set_new(j, "union_seconds", json_integer(r->pen.union_seconds));
	json_object_set_new(j, "sum_seconds", json_integer(r->pen.sum_seconds));
	json_object_set_new(j, "penalty_capped", json_boolean(r->capped));
	/* The running total month by month: every month of the term up to
	 * this one, with what it was charged after the cap. */
	json_t *months = json_array();
	for (size_t i = 0; i < r->n_months; i++) {
		const struct gp_report_month *m = &r->months[i];
		char ym[16];
		snprintf(ym, sizeof(ym), "%04d-%02d", m->year, m->month);
		json_array_append_new(
			months, json_pack("{s:s, s:I, s:I, s:I, s:b}", "month", ym,
					  "penalty_uncapped_tiyn", (json_int_t)m->uncapped_tiyn,
					  "penalty_tiyn", (json_int_t)m->penalty_tiyn,
					  "penalty_cumulative_tiyn", (json_int_t)m->cumulative_tiyn,
					  "penalty_capped", m->capped));
	}
	json_object_set_new(j, "term_months", months);
	if (r->has_contract) {
		const struct gp_contract *c = &cfg->contract;
		json_object_set_new(j, "overlap",
				    json_string(c->overlap == GP_OVERLAP_SUM ? "sum" : "union"));
		json_object_set_new(j, "hour_rounding",
				    json_string(c->hour_rounding == GP_ROUND_CEIL ? "ceil" : "exact"));
		json_object_set_new(j, "monthly_payment_tiyn", json_integer(c->monthly_payment_tiyn));
		json_object_set_new(j, "penalty_hour_divisor", json_integer(c->penalty_hour_divisor));
		json_object_set_new(j, "value_excl_vat_tiyn", json_integer(c->value_excl_vat_tiyn));
	}
	return j;
}

/* A NOTE row: the text in the first column, quoted. */
static void csv_note(const char *text)
{
	printf("NOTE,\"");
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	printf("\"\n");
}

static void report_csv(const struct gp_config *cfg, const struct gp_report *r)
{
	printf("service,up_seconds,degraded_seconds,down_seconds,down_supplier_seconds,"
	       "down_customer_seconds,down_third_party_seconds,down_unattributed_seconds,"
	       "maintenance_seconds,voided_seconds,unmonitored_seconds,availability_percent,"
	       "charged_seconds,penalty_tiyn,penalty_cumulative_tiyn,penalty_cap_tiyn,"
	       "monitored_seconds,monitored_percent\n");
	struct gp_sla_totals all = {0};
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *sec = s->totals.seconds, *down = s->totals.down;
		char pc[32], cov[32];
		csv_percent(s->availability_bp, pc, sizeof(pc));
		csv_percent(s->coverage_bp, cov, sizeof(cov));
		printf("%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%lld,%lld,,,%lld,%s\n",
		       s->name,
		       (long long)sec[GP_SLA_UP], (long long)sec[GP_SLA_DEGRADED],
		       (long long)sec[GP_SLA_DOWN], (long long)down[GP_ATTR_SUPPLIER],
		       (long long)down[GP_ATTR_CUSTOMER], (long long)down[GP_ATTR_THIRD_PARTY],
		       (long long)down[GP_ATTR_UNATTRIBUTED], (long long)sec[GP_SLA_MAINTENANCE],
		       (long long)sec[GP_SLA_VOIDED], (long long)sec[GP_SLA_UNMONITORED],
		       pc, (long long)s->charged_seconds, (long long)s->penalty_tiyn,
		       (long long)s->totals.monitored, cov);
		for (int k = 0; k < GP_SLA_N; k++)
			all.seconds[k] += sec[k];
		for (int k = 0; k < GP_ATTR_N; k++)
			all.down[k] += down[k];
	}
	/* The month's figure: the configured overlap's, after the cap. */
	printf("TOTAL,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,,%lld,%lld,%lld,%lld,,\n",
	       (long long)all.seconds[GP_SLA_UP], (long long)all.seconds[GP_SLA_DEGRADED],
	       (long long)all.seconds[GP_SLA_DOWN], (long long)all.down[GP_ATTR_SUPPLIER],
	       (long long)all.down[GP_ATTR_CUSTOMER], (long long)all.down[GP_ATTR_THIRD_PARTY],
	       (long long)all.down[GP_ATTR_UNATTRIBUTED], (long long)all.seconds[GP_SLA_MAINTENANCE],
	       (long long)all.seconds[GP_SLA_VOIDED], (long long)all.seconds[GP_SLA_UNMONITORED],
	       (long long)(cfg->contract.overlap == GP_OVERLAP_SUM ? r->pen.sum_seconds
								   : r->pen.union_seconds),
	       (long long)r->penalty_tiyn, (long long)r->cumulative_tiyn, (long long)r->cap_tiyn);
	/* The term's months, for the running total: "MONTH YYYY-MM" rows
	 * with their payable amount, the total through them and the cap. */
	for (size_t i = 0; i < r->n_months; i++)
		printf("MONTH %04d-%02d,,,,,,,,,,,,,%lld,%lld,%lld,,\n", r->months[i].year,
		       r->months[i].month, (long long)r->months[i].penalty_tiyn,
		       (long long)r->months[i].cumulative_tiyn, (long long)r->cap_tiyn);
	csv_note(gp_fmt_rounding_note(cfg));
}


static void report_table(const struct gp_config *cfg, const struct gp_report *r)
{
	char a[40], b[40], t1[40], t2[40], t3[40], t4[40], t5[40], t6[40], t7[40], t8[40];
	local(cfg, r->span.start, a, sizeof(a));
	local(cfg, r->span.end, b, sizeof(b));
	printf("%s %04d-%02d: %s .. %s%s\n", T(cfg, "SLA report", "Отчёт SLA за"), r->year,
	       r->month, a, b,
	       r->partial ? T(cfg, " (the month is not over: figures so far)",
			      " (месяц не окончен: данные на текущий момент)")
			  : "");
	printf("\n");
	cell(T(cfg, "SERVICE", "СЕРВИС"), 16, false);
	cell(T(cfg, "UP", "РАБОТА"), 10, true);
	cell(T(cfg, "DEGRADED", "ДЕГРАДАЦИЯ"), 10, true);
	cell(T(cfg, "DOWN", "ПРОСТОЙ"), 10, true);
	cell(T(cfg, "MAINTENANCE", "ПЛАН.РАБОТЫ"), 11, true);
	cell(T(cfg, "VOIDED", "АННУЛИР."), 10, true);
	cell(T(cfg, "UNMONITORED", "БЕЗ МОНИТ."), 11, true);
	cell(T(cfg, "MONITORED %", "МОНИТОРИНГ %"), 12, true);
	cell(T(cfg, "AVAIL. % OF MONITORED", "ДОСТУПН. % ОТ НАБЛЮД."), 21, true);
	printf("\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *sec = s->totals.seconds;
		cell(s->name, 16, false);
		cell(gp_fmt_hms(sec[GP_SLA_UP], t1, sizeof(t1)), 10, true);
		cell(gp_fmt_hms(sec[GP_SLA_DEGRADED], t2, sizeof(t2)), 10, true);
		cell(gp_fmt_hms(sec[GP_SLA_DOWN], t3, sizeof(t3)), 10, true);
		cell(gp_fmt_hms(sec[GP_SLA_MAINTENANCE], t4, sizeof(t4)), 11, true);
		cell(gp_fmt_hms(sec[GP_SLA_VOIDED], t5, sizeof(t5)), 10, true);
		cell(gp_fmt_hms(sec[GP_SLA_UNMONITORED], t6, sizeof(t6)), 11, true);
		cell(gp_fmt_percent(s->coverage_bp, t8, sizeof(t8)), 12, true);
		cell(gp_fmt_percent(s->availability_bp, t7, sizeof(t7)), 21, true);
		printf("\n");
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->services[i].avail_none != GP_AVAIL_SHOWN)
			printf("  \u2014 %s: %s\n", r->services[i].name,
			       gp_fmt_avail_none(cfg, r->services[i].avail_none, false));
	printf("\n");
	cell(T(cfg, "DOWN BY", "ПРОСТОЙ ПО"), 16, false);
	cell(T(cfg, "SUPPLIER", "ПОСТАВЩИК"), 10, true);
	cell(T(cfg, "CUSTOMER", "ЗАКАЗЧИК"), 10, true);
	cell(T(cfg, "3RD PARTY", "ТРЕТЬИ ЛИЦА"), 11, true);
	cell(T(cfg, "UNATTRIB.", "НЕ ОТНЕСЁН"), 10, true);
	cell(T(cfg, "CHARGED", "К ОПЛАТЕ Ч"), 10, true);
	cell(T(cfg, "PENALTY KZT", "ШТРАФ ТГ"), 14, true);
	printf("\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *down = s->totals.down;
		cell(s->name, 16, false);
		cell(gp_fmt_hms(down[GP_ATTR_SUPPLIER], t1, sizeof(t1)), 10, true);
		cell(gp_fmt_hms(down[GP_ATTR_CUSTOMER], t2, sizeof(t2)), 10, true);
		cell(gp_fmt_hms(down[GP_ATTR_THIRD_PARTY], t3, sizeof(t3)), 11, true);
		cell(gp_fmt_hms(down[GP_ATTR_UNATTRIBUTED], t4, sizeof(t4)), 10, true);
		cell(gp_fmt_hms(s->charged_seconds, t5, sizeof(t5)), 10, true);
		cell(gp_fmt_money(s->penalty_tiyn, true, t6, sizeof(t6)), 14, true);
		printf("\n");
	}
	if (r->has_contract)
		printf("%s\n", gp_fmt_rounding_note(cfg));
	printf("\n");
	if (!r->has_contract) {
		printf("%s\n", T(cfg, "No contract in the config: no penalty is computed.",
				 "Договор не задан в конфигурации: штраф не рассчитывается."));
		return;
	}
	bool sum = cfg->contract.overlap == GP_OVERLAP_SUM;
	gp_fmt_money(r->pen.union_tiyn, true, t1, sizeof(t1));
	gp_fmt_money(r->pen.sum_tiyn, true, t2, sizeof(t2));
	gp_fmt_money(r->penalty_tiyn, true, t3, sizeof(t3));
	gp_fmt_money(r->cumulative_tiyn, true, t4, sizeof(t4));
	gp_fmt_money(r->cap_tiyn, true, t5, sizeof(t5));
	gp_fmt_money(r->pen.uncapped_tiyn, true, t6, sizeof(t6));
	printf("%s %s (%s)%s\n", T(cfg, "Penalty, union:", "Штраф, объединение:"), t1,
	       gp_fmt_hms(r->pen.union_seconds, a, sizeof(a)), sum ? "" : T(cfg, "  <- applied", "  <- применяется"));
	printf("%s %s (%s)%s\n", T(cfg, "Penalty, sum:  ", "Штраф, сумма:      "), t2,
	       gp_fmt_hms(r->pen.sum_seconds, b, sizeof(b)), sum ? T(cfg, "  <- applied", "  <- применяется") : "");
	printf("%s %s %s%s\n", T(cfg, "Penalty this month:", "Штраф за месяц:"), t3, T(cfg, "KZT", "тг"),
	       r->capped ? T(cfg, " (cut by the cap)", " (ограничен предельной суммой)") : "");
	if (r->capped)
		printf("  %s %s\n", T(cfg, "before the cap:", "без ограничения:"), t6);
	printf("%s %s %s %s %s\n", T(cfg, "Over the term so far:", "Нарастающим итогом за срок:"),
	       t4, T(cfg, "KZT of the cap", "тг из предельных"), t5, T(cfg, "KZT", "тг"));
	printf("\n");
	cell(T(cfg, "MONTH", "МЕСЯЦ"), 16, false);
	cell(T(cfg, "PENALTY", "ШТРАФ"), 14, true);
	cell(T(cfg, "PAYABLE", "К ОПЛАТЕ"), 14, true);
	cell(T(cfg, "RUNNING TOTAL", "НАРАСТАЮЩИМ"), 14, true);
	printf("\n");
	for (size_t i = 0; i < r->n_months; i++) {
		const struct gp_report_month *m = &r->months[i];
		char ym[16];
		snprintf(ym, sizeof(ym), "%04d-%02d", m->year, m->month);
		cell(ym, 16, false);
		cell(gp_fmt_money(m->uncapped_tiyn, true, t1, sizeof(t1)), 14, true);
		cell(gp_fmt_money(m->penalty_tiyn, true, t2, sizeof(t2)), 14, true);
		cell(gp_fmt_money(m->cumulative_tiyn, true, t3, sizeof(t3)), 14, true);
		printf("%s\n", m->capped ? T(cfg, "(cut by the cap)", "(ограничен)") : "");
	}
	printf("%s %s %s\n\n", T(cfg, "Cap over the term:", "Предел за срок:"), t5,
	       T(cfg, "KZT", "тг"));
	gp_fmt_report_rules(cfg, r, stdout);
}

int gp_cmd_report(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv)) {
		printf("usage: gprobe [-c FILE] report [--month YYYY-MM] [--json|--csv|--html FILE|\n"
		       "                                --pdf FILE]\n\n"
		       "Per service: the month's seconds up, degraded, down (by attribution), in\n"
		       "maintenance, voided and unmonitored; availability; the penalty under both\n"
		       "overlap rules, the one the contract applies, the running total over the\n"
		       "term and the cap. Months are calendar months in calendar.timezone,\n"
		       "clipped to the contract's term; money in tenge (JSON and CSV: tiyn).\n"
		       "Without --month: the current month so far, marked partial.\n");
		return 0;
	}
	const char *month = gp_cli_flag(argc, argv, "--month");
	const char *html = gp_cli_flag(argc, argv, "--html");
	const char *pdf = gp_cli_flag(argc, argv, "--pdf");
	bool as_json = gp_cli_has(argc, argv, "--json"), as_csv = gp_cli_has(argc, argv, "--csv");
	if ((as_json + as_csv + (html != NULL) + (pdf != NULL)) > 1) {
		fprintf(stderr, "usage: gprobe report [--month YYYY-MM] [--json|--csv|--html FILE|"
				"--pdf FILE]\n");
		return 1;
	}
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, false, &cfg, &st, "report") != 0)
		return 1;
	struct gp_report r;
	char err[512], cur[16];
	int rc = 0;
	int64_t now = (int64_t)time(NULL);
	if (!month)
		month = current_month(cfg, now, cur, sizeof(cur));
	if (gp_report_build(st, cfg, month, now, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "gprobe report: %s\n", err);
		rc = 1;
	} else {
		if (as_json) {
			json_t *j = report_json(cfg, &r);
			gp_cli_print_json(j);
			json_decref(j);
		} else if (as_csv) {
			report_csv(cfg, &r);
		} else if (html) {
			if (gp_report_html(st, cfg, &r, html, err, sizeof(err)) != 0) {
				fprintf(stderr, "gprobe report: %s\n", err);
				rc = 1;
			} else {
				printf("%s: %s %s\n", html, T(cfg, "SLA report", "отчёт SLA"), month);
			}
		} else if (pdf) {
			if (gp_report_pdf(st, cfg, &r, pdf, err, sizeof(err)) != 0) {
				fprintf(stderr, "gprobe report: %s\n", err);
				rc = 1;
			} else {
				printf("%s: %s %s\n", pdf, T(cfg, "SLA report", "отчёт SLA"), month);
			}
		} else {
			report_table(cfg, &r);
		}
		gp_report_free(&r);
	}
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* downtime, maintenance                                               */

static json_t *entry_json(const struct gp_config *cfg, const struct gp_ledger_entry *e,
			  bool downtime)
{
	json_t *o = json_pack("{s:I, s:s?, s:o, s:o, s:I, s:s, s:o, s:s}", "id", (json_int_t)e->id,
			      "service", e->target ? NULL : e->service, "from", gp_cli_jtime(cfg, e->start), "to",
			      gp_cli_jtime(cfg, e->end), "seconds", (json_int_t)(e->end - e->start),
			      "reason", e->reason, "created_at", gp_cli_jtime(cfg, e->created_at),
			      "created_by", e->created_by);
	if (downtime) {
		json_object_set_new(o, "attribution", json_string(gp_attribution_name(e->attribution)));
		json_object_set_new(o, "over_monitored", json_boolean(e->over_monitored));
	} else {
		json_object_set_new(o, "target", e->target ? json_string(e->target) : json_null());
		json_object_set_new(o, "retroactive", json_boolean(e->retroactive));
	}
	json_object_set_new(o, "revoked", json_boolean(e->revoked_at != 0));
	json_object_set_new(o, "revoked_at", gp_cli_jtime(cfg, e->revoked_at));
	json_object_set_new(o, "revoked_by", e->revoked_by ? json_string(e->revoked_by) : json_null());
	json_object_set_new(o, "revoke_reason",
			    e->revoke_reason ? json_string(e->revoke_reason) : json_null());
	return o;
}

/* One entry of entry_json as a line for people: who entered it, whether
 * the customer reported it over monitored time, whether it was revoked. */
static void print_entry(const struct gp_config *cfg, json_t *v, bool downtime)
{
	const char *at = json_string_value(json_object_get(v, "attribution"));
	const char *target = json_string_value(json_object_get(v, "target"));
	char on[200];
	if (target)
		snprintf(on, sizeof(on), "%s %s", T(cfg, "target", "компонент"), target);
	else
		snprintf(on, sizeof(on), "%s", json_string_value(json_object_get(v, "service")));
	printf("  #%lld %s %s .. %s%s%s: %s (%s, %s)",
	       (long long)json_integer_value(json_object_get(v, "id")), on,
	       json_string_value(json_object_get(v, "from")),
	       json_string_value(json_object_get(v, "to")), at ? " " : "", at ? at : "",
	       json_string_value(json_object_get(v, "reason")),
	       json_string_value(json_object_get(v, "created_by")),
	       json_string_value(json_object_get(v, "created_at")));
	if (json_is_true(json_object_get(v, "retroactive")))
		printf(" %s", T(cfg, "[retroactive: entered over recorded downtime]",
				"[задним числом: внесено поверх зафиксированного простоя]"));
	if (json_is_true(json_object_get(v, "over_monitored")))
		printf(" %s", T(cfg, "[reported by the customer over monitored time]",
				"[сообщён заказчиком за время под мониторингом]"));
	if (json_is_true(json_object_get(v, "revoked")))
		printf(" %s %s %s %s: %s", downtime ? T(cfg, "REVOKED", "ОТОЗВАН")
						    : T(cfg, "CANCELLED", "ОТМЕНЕНО"),
		       json_string_value(json_object_get(v, "revoked_at")), T(cfg, "by", "кем:"),
		       json_string_value(json_object_get(v, "revoked_by")),
		       json_string_value(json_object_get(v, "revoke_reason")));
	printf("\n");
}

struct entries {
	const struct gp_config *cfg;
	json_t *arr;
	bool downtime;
	const char *service; /* only those concerning it, or NULL */
};

static void collect_entry(void *ctx, const struct gp_ledger_entry *e)
{
	struct entries *x = ctx;
	/* With --service, a component's window only when the service has it. */
	if (x->service && e->target) {
		const struct gp_service *svc = NULL;
		for (size_t i = 0; i < x->cfg->n_services && !svc; i++)
			if (!strcmp(x->cfg->services[i].name, x->service))
				svc = &x->cfg->services[i];
		if (!svc || !gp_maint_concerns(svc, e->target))
			return;
	}
	json_array_append_new(x->arr, entry_json(x->cfg, e, x->downtime));
}

/* --raw: what the intervals come from, as the probe recorded it. */
struct raw_ctx {
	const struct gp_config *cfg;
	json_t *arr;
	int64_t heartbeat;
};

static void raw_period(void *ctx, const struct gp_period_row *p)
{
	struct raw_ctx *r = ctx;
	/* The open period runs to the heartbeat (never before its start). */
	int64_t end = p->end ? p->end : r->heartbeat > p->start ? r->heartbeat : p->start;
	json_array_append_new(r->arr, json_pack("{s:s, s:o, s:o, s:I, s:b}", "state",
						gp_ledger_state_name(p->state), "from",
						gp_cli_jtime(r->cfg, p->start), "to",
						gp_cli_jtime(r->cfg, end), "seconds",
						(json_int_t)(end - p->start), "open", p->end == 0));
}

static void raw_outage(void *ctx, const struct gp_outage_row *o)
{
	struct raw_ctx *r = ctx;
	json_array_append_new(r->arr,
			      json_pack("{s:o, s:o, s:s, s:o}", "from", gp_cli_jtime(r->cfg, o->start),
					"to", gp_cli_jtime(r->cfg, o->end), "members", o->members,
					"incident", o->incident ? json_integer(o->incident)
								: json_null()));
}

/* The service's periods and outages over span into svc; -1 when the store
 * fails. */
static int raw_sources(const struct gp_config *cfg, struct gp_store *st, const char *service,
		       struct gp_span span, int64_t heartbeat, json_t *svc)
{
	struct raw_ctx p = {cfg, json_array(), heartbeat}, o = {cfg, json_array(), heartbeat};
	int rc = gp_store_period_list(st, service, span.start, span.end, raw_period, &p);
	if (rc == 0)
		rc = gp_store_outage_list(st, service, span.start, span.end, raw_outage, &o);
	json_object_set_new(svc, "periods", p.arr);
	json_object_set_new(svc, "outages", o.arr);
	return rc;
}

static void print_raw(json_t *svc)
{
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(svc, "periods"), k, v) {
		char d[40];
		printf("  %s  %s  %10s  %s%s\n", json_string_value(json_object_get(v, "from")),
		       json_string_value(json_object_get(v, "to")),
		       gp_fmt_hms(json_integer_value(json_object_get(v, "seconds")), d, sizeof(d)),
		       json_string_value(json_object_get(v, "state")),
		       json_is_true(json_object_get(v, "open")) ? " (open)" : "");
	}
	json_array_foreach(json_object_get(svc, "outages"), k, v) {
		const char *to = json_string_value(json_object_get(v, "to"));
		json_t *inc = json_object_get(v, "incident");
		printf("  outage %s .. %s, down: %s", json_string_value(json_object_get(v, "from")),
		       to ? to : "(open)", json_string_value(json_object_get(v, "members")));
		if (!json_is_null(inc))
			printf(", incident #%lld", (long long)json_integer_value(inc));
		printf("\n");
	}
}

static int downtime_list(const struct gp_config *cfg, struct gp_store *st, int argc, char **argv)
{
	const char *month = gp_cli_flag(argc, argv, "--month");
	const char *only = gp_cli_flag(argc, argv, "--service");
	bool as_json = gp_cli_has(argc, argv, "--json"), as_csv = gp_cli_has(argc, argv, "--csv");
	bool raw = gp_cli_has(argc, argv, "--raw");
	int64_t now = (int64_t)time(NULL);
	char buf[16];
	if (raw && as_csv) {
		fprintf(stderr, "gprobe downtime: --raw goes with the table or --json, not --csv\n");
		return 1;
	}
	if (!month)
		month = current_month(cfg, now, buf, sizeof(buf));
	int y, m;
	if (!gp_month_parse(month, &y, &m)) {
		fprintf(stderr, "gprobe downtime: '%s' is not a month: give YYYY-MM\n", month);
		return 1;
	}
	struct gp_span span = gp_month_span(&cfg->calendar, y, m);
	if (span.start >= now) {
		fprintf(stderr, "gprobe downtime: %s has not begun yet\n", month);
		return 1;
	}
	/* The raw records are whole: those of the whole month, a period
	 * begun this very second too. */
	struct gp_span month_span = span;
	if (span.end > now)
		span.end = now;

	json_t *svcs = json_array();
	for (size_t i = 0; i < cfg->n_services; i++) {
		const char *name = cfg->services[i].name;
		if (only && strcmp(only, name))
			continue;
		struct gp_sla_segment *seg;
		long n = gp_report_segments(st, name, span.start, span.end, &seg);
		if (n < 0) {
			fprintf(stderr, "gprobe downtime: cannot read the ledger: %s\n",
				gp_store_error(st));
			json_decref(svcs);
			return 1;
		}
		json_t *iv = json_array();
		for (long k = 0; k < n; k++) {
			const struct gp_sla_segment *g = &seg[k];
			bool down = g->cls == GP_SLA_DOWN || g->cls == GP_SLA_MAINTENANCE ||
				    g->cls == GP_SLA_VOIDED;
			json_t *o = json_pack("{s:o, s:o, s:I, s:s}", "from",
					      gp_cli_jtime(cfg, g->start), "to",
					      gp_cli_jtime(cfg, g->end), "seconds",
					      (json_int_t)(g->end - g->start), "class",
					      gp_sla_class_name(g->cls));
			json_object_set_new(o, "attribution",
					    down ? json_string(gp_attribution_name(g->attribution))
						 : json_null());
			json_object_set_new(o, "incident",
					    g->incident ? json_integer(g->incident) : json_null());
			json_object_set_new(o, "entry", g->manual ? json_integer(g->manual) : json_null());
			json_object_set_new(o, "monitored", json_boolean(g->monitored));
			json_array_append_new(iv, o);
		}
		free(seg);
		json_t *svc = json_pack("{s:s, s:o}", "service", name, "intervals", iv);
		json_array_append_new(svcs, svc);
		if (raw && raw_sources(cfg, st, name, month_span, gp_store_last_heartbeat(st),
					svc) != 0) {
			fprintf(stderr, "gprobe downtime: cannot read the ledger: %s\n",
				gp_store_error(st));
			json_decref(svcs);
			return 1;
		}
	}
	struct entries manual = {cfg, json_array(), true, only},
		       maint = {cfg, json_array(), false, only};
	gp_store_entry_list(st, GP_ENTRY_DOWNTIME, only, span.start, span.end, collect_entry,
			    &manual);
	gp_store_entry_list(st, GP_ENTRY_MAINTENANCE, only, span.start, span.end, collect_entry,
			    &maint);

	if (as_json) {
		json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "month", month, "from",
				      gp_cli_jtime(cfg, span.start), "to", gp_cli_jtime(cfg, span.end),
				      "services", svcs, "entries", manual.arr, "maintenance",
				      maint.arr);
		if (raw)
			json_object_set_new(j, "heartbeat",
					    gp_cli_jtime(cfg, gp_store_last_heartbeat(st)));
		gp_cli_print_json(j);
		json_decref(j);
		return 0;
	}
	size_t i, k;
	json_t *s, *v;
	if (as_csv) {
		printf("service,from,to,seconds,class,attribution,incident,entry\n");
		json_array_foreach(svcs, i, s) {
			json_array_foreach(json_object_get(s, "intervals"), k, v) {
				json_t *inc = json_object_get(v, "incident"),
				       *ent = json_object_get(v, "entry");
				const char *at = json_string_value(json_object_get(v, "attribution"));
				printf("%s,%s,%s,%lld,%s,%s,", json_string_value(json_object_get(s, "service")),
				       json_string_value(json_object_get(v, "from")),
				       json_string_value(json_object_get(v, "to")),
				       (long long)json_integer_value(json_object_get(v, "seconds")),
				       json_string_value(json_object_get(v, "class")), at ? at : "");
				if (inc && !json_is_null(inc))
					printf("%lld", (long long)json_integer_value(inc));
				printf(",");
				if (ent && !json_is_null(ent))
					printf("%lld", (long long)json_integer_value(ent));
				printf("\n");
			}
		}
	} else {
		char a[40], b[40];
		local(cfg, span.start, a, sizeof(a));
		local(cfg, span.end, b, sizeof(b));
		printf("%s %s: %s .. %s\n", T(cfg, "Ledger", "Журнал простоев"), month, a, b);
		json_array_foreach(svcs, i, s) {
			printf("\n%s\n", json_string_value(json_object_get(s, "service")));
			json_array_foreach(json_object_get(s, "intervals"), k, v) {
				char d[40];
				const char *at = json_string_value(json_object_get(v, "attribution"));
				json_t *inc = json_object_get(v, "incident"),
				       *ent = json_object_get(v, "entry");
				printf("  %s  %s  %10s  %-12s %s", json_string_value(json_object_get(v, "from")),
				       json_string_value(json_object_get(v, "to")),
				       gp_fmt_hms(json_integer_value(json_object_get(v, "seconds")), d, sizeof(d)),
				       json_string_value(json_object_get(v, "class")), at ? at : "");
				if (inc && !json_is_null(inc))
					printf(" #%lld", (long long)json_integer_value(inc));
				if (ent && !json_is_null(ent))
					printf(" %s #%lld", T(cfg, "entry", "запись"),
					       (long long)json_integer_value(ent));
				printf("\n");
			}
			if (raw) {
				printf("  %s:\n", T(cfg, "as the probe recorded it",
						    "как записал зонд"));
				print_raw(s);
			}
		}
		json_t *lists[2] = {manual.arr, maint.arr};
		const char *titles[2] = {T(cfg, "Downtime entered by hand", "Простои, внесённые вручную"),
					 T(cfg, "Maintenance windows", "Плановые работы")};
		for (int l = 0; l < 2; l++) {
			if (json_array_size(lists[l]) == 0)
				continue;
			printf("\n%s:\n", titles[l]);
			json_array_foreach(lists[l], k, v)
				print_entry(cfg, v, l == 0);
		}
	}
	json_decref(svcs);
	json_decref(manual.arr);
	json_decref(maint.arr);
	return 0;
}

/* Commits the command's transaction when rc is 0, else rolls it back;
 * the result, with a failed commit's reason in err. */
static int end_transaction(struct gp_store *st, int rc, char *err, size_t errlen)
{
	if (rc == 0 && gp_store_commit(st) != 0) {
		snprintf(err, errlen, "database: %s", gp_store_error(st));
		rc = -1;
	}
	if (rc != 0)
		gp_store_rollback(st);
	return rc;
}

/* --repeat weekly --until DATE: how many weekly windows from start, the
 * last beginning on DATE at the latest (at most 520: ten years). */
static bool repeat_weeks(const struct gp_config *cfg, const char *repeat, const char *until,
			 int64_t start, int *weeks, char *err, size_t errlen)
{
	struct gp_date u;
	const char *why;
	if (strcmp(repeat, "weekly")) {
		snprintf(err, errlen, "--repeat '%s': only weekly", repeat);
		return false;
	}
	if (!until || !gp_parse_date(until, &u, &why)) {
		snprintf(err, errlen, "--repeat weekly needs --until YYYY-MM-DD%s%s",
			 until ? ": " : "", until ? why : "");
		return false;
	}
	struct gp_date d = gp_cal_local_date(&cfg->calendar, start);
	int64_t days = gp_date_days(u) - gp_date_days(d);
	if (days < 0 || days / 7 >= 520) {
		snprintf(err, errlen, "--until %s: %s", until,
			 days < 0 ? "before the first window" : "more than 520 weeks");
		return false;
	}
	*weeks = (int)(days / 7) + 1;
	return true;
}

int gp_entry_add(const struct gp_config *cfg, struct gp_store *st, const struct gp_entry_input *in,
		 int64_t now, struct gp_entry_added *out, char *err, size_t errlen)
{
	bool is_downtime = in->downtime;
	struct gp_ledger_entry e = {
		.service = in->service,
		.target = is_downtime ? NULL : in->target,
		.retroactive = !is_downtime && in->retroactive,
		.reason = in->reason,
		.created_at = now,
		.created_by = in->by,
		.over_monitored = is_downtime && in->over_monitored,
	};
	*out = (struct gp_entry_added){0};
	if (e.service && e.target) {
		snprintf(err, errlen, "a window is on a service (--service) or on a target "
				      "(--target), not both");
		return 1;
	}
	if ((!e.service && !e.target) || !e.reason || (is_downtime && !in->attribution)) {
		snprintf(err, errlen, "%s, --from, --to, %s--reason are required",
			 is_downtime ? "--service" : "--service S or --target T",
			 is_downtime ? "--attribution, " : "");
		return 1;
	}
	if (is_downtime && !gp_attribution_parse(in->attribution, &e.attribution)) {
		snprintf(err, errlen, "attribution '%s': give supplier, customer, third-party "
				      "or unattributed", in->attribution);
		return 1;
	}
	if (!entry_time(cfg, "--from", in->from, &e.start, err, errlen) ||
	    !entry_time(cfg, "--to", in->to, &e.end, err, errlen))
		return 1;
	/* --repeat weekly --until DATE: one window a week at the same local
	 * time (the calendar's zone), each its own row, added together. */
	int weeks = 1;
	const char *repeat = is_downtime ? NULL : in->repeat;
	if (repeat && !repeat_weeks(cfg, repeat, in->until, e.start, &weeks, err, errlen))
		return 1;
	err[0] = '\0';
	int64_t id = 0, first_id = 0;
	if (gp_store_begin(st) != 0) {
		snprintf(err, errlen, "database: %s", gp_store_error(st));
		return -1;
	}
	int rc = 0;
	if (is_downtime)
		rc = gp_report_add_downtime(st, cfg, &e, e.created_at, &id, err, errlen);
	for (int k = 0; rc == 0 && !is_downtime && k < weeks; k++) {
		struct gp_ledger_entry w = e;
		w.start = gp_cal_add_days_local(&cfg->calendar, e.start, 7 * k);
		w.end = gp_cal_add_days_local(&cfg->calendar, e.end, 7 * k);
		rc = gp_report_add_maintenance(st, cfg, &w, &id, err, errlen);
		if (k == 0)
			first_id = id;
	}
	if (rc != 0) {
		gp_store_rollback(st);
		return rc == GP_REPORT_STORE ? -1 : 1;
	}
	if (end_transaction(st, 0, err, errlen) != 0)
		return -1;
	*out = (struct gp_entry_added){.id = id, .first_id = is_downtime ? id : first_id,
				       .weeks = weeks, .start = e.start, .end = e.end};
	return 0;
}

int gp_entry_revoke(struct gp_store *st, bool downtime, int64_t id, const char *by,
		    const char *reason, int64_t now, char *err, size_t errlen)
{
	err[0] = '\0';
	if (gp_store_begin(st) != 0) {
		snprintf(err, errlen, "database: %s", gp_store_error(st));
		return -1;
	}
	int rc = gp_report_revoke_entry(st, downtime ? GP_ENTRY_DOWNTIME : GP_ENTRY_MAINTENANCE, id,
					by, reason, now, err, errlen);
	if (rc != 0) {
		gp_store_rollback(st);
		return rc == GP_REPORT_STORE ? -1 : 1;
	}
	return end_transaction(st, 0, err, errlen);
}

json_t *gp_entries_json(const struct gp_config *cfg, struct gp_store *st, bool downtime,
			const char *service)
{
	struct entries x = {cfg, json_array(), downtime, service};
	if (gp_store_entry_list(st, downtime ? GP_ENTRY_DOWNTIME : GP_ENTRY_MAINTENANCE, service,
				INT64_MIN, INT64_MAX, collect_entry, &x) != 0) {
		json_decref(x.arr);
		return NULL;
	}
	return x.arr;
}

/* downtime add / maintenance add: one entry in one transaction (or a
 * weekly series of windows). */
static int entry_add(const struct gp_config *cfg, struct gp_store *st, bool is_downtime, int argc,
		     char **argv)
{
	const char *cmd = is_downtime ? "downtime add" : "maintenance add";
	struct gp_entry_input in = {
		.downtime = is_downtime,
		.service = gp_cli_flag(argc, argv, "--service"),
		.target = is_downtime ? NULL : gp_cli_flag(argc, argv, "--target"),
		.from = gp_cli_flag(argc, argv, "--from"),
		.to = gp_cli_flag(argc, argv, "--to"),
		.attribution = is_downtime ? gp_cli_flag(argc, argv, "--attribution") : NULL,
		.reason = gp_cli_flag(argc, argv, "--reason"),
		.over_monitored = is_downtime && gp_cli_has(argc, argv, "--over-monitored"),
		.retroactive = !is_downtime && gp_cli_has(argc, argv, "--retroactive"),
		.repeat = is_downtime ? NULL : gp_cli_flag(argc, argv, "--repeat"),
		.until = gp_cli_flag(argc, argv, "--until"),
		.by = gp_cli_login_name(),
	};
	char err[600] = "";
	struct gp_entry_added a;
	int rc = gp_entry_add(cfg, st, &in, (int64_t)time(NULL), &a, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "gprobe %s: %s\n", cmd, err);
		if (is_downtime && !in.over_monitored && strstr(err, "the probe monitored"))
			fprintf(stderr, "gprobe %s: an outage the customer reported that the probe "
					"missed: add --over-monitored\n", cmd);
		return 1;
	}
	if (a.weeks > 1) {
		printf("maintenance windows #%lld..#%lld: %d, weekly\n", (long long)a.first_id,
		       (long long)a.id, a.weeks);
		return 0;
	}
	char s[40], b[40], d[40];
	local(cfg, a.start, s, sizeof(s));
	local(cfg, a.end, b, sizeof(b));
	char on[200];
	snprintf(on, sizeof(on), "%s%s", in.target ? "target " : "",
		 in.target ? in.target : in.service);
	printf("%s #%lld: %s %s .. %s (%s)%s%s%s\n",
	       is_downtime ? "downtime entry" : "maintenance window", (long long)a.id, on, s, b,
	       gp_fmt_hms(a.end - a.start, d, sizeof(d)), is_downtime ? ", " : "",
	       is_downtime ? in.attribution : "",
	       in.over_monitored ? ", reported over monitored time: it counts as down over what "
				   "the probe saw as up"
				 : "");
	return 0;
}

/* downtime list-entries / maintenance list: every entry of the kind,
 * revoked ones marked, whatever month. */
static int entry_list(const struct gp_config *cfg, struct gp_store *st, bool is_downtime,
		      int argc, char **argv)
{
	struct entries x = {cfg, gp_entries_json(cfg, st, is_downtime,
						 gp_cli_flag(argc, argv, "--service")),
			    is_downtime, NULL};
	if (!x.arr) {
		fprintf(stderr, "gprobe %s: cannot read the ledger: %s\n",
			is_downtime ? "downtime list-entries" : "maintenance list", gp_store_error(st));
		return 1;
	}
	if (gp_cli_has(argc, argv, "--json")) {
		gp_cli_print_json(x.arr);
	} else {
		size_t k;
		json_t *v;
		if (json_array_size(x.arr) == 0)
			printf("%s\n", is_downtime ? T(cfg, "No downtime entered by hand.",
							"Простоев, внесённых вручную, нет.")
						    : T(cfg, "No maintenance windows.", "Плановых работ нет."));
		json_array_foreach(x.arr, k, v)
			print_entry(cfg, v, is_downtime);
	}
	json_decref(x.arr);
	return 0;
}

/* downtime revoke ID / maintenance cancel ID --reason TEXT: audited, never
 * deleted. */
static int entry_revoke(const struct gp_config *cfg, struct gp_store *st, bool is_downtime,
			int argc, char **argv)
{
	(void)cfg;
	const char *cmd = is_downtime ? "downtime revoke" : "maintenance cancel";
	const char *reason = gp_cli_flag(argc, argv, "--reason");
	char *end = NULL;
	long long id = argc > 2 ? strtoll(argv[2], &end, 10) : 0;
	if (argc < 3 || !end || *end || id <= 0 || !reason) {
		fprintf(stderr, "usage: gprobe %s ID --reason TEXT\n", cmd);
		return 1;
	}
	char err[512] = "";
	if (gp_entry_revoke(st, is_downtime, id, gp_cli_login_name(), reason, (int64_t)time(NULL),
			    err, sizeof(err)) != 0) {
		fprintf(stderr, "gprobe %s: %s\n", cmd, err);
		return 1;
	}
	printf("%s #%lld %s: it stays in the ledger, marked, and no longer counts\n",
	       is_downtime ? "downtime entry" : "maintenance window", id,
	       is_downtime ? "revoked" : "cancelled");
	return 0;
}

/* maintenance change ID [--from TIME] [--to TIME] --reason TEXT: the
 * window is cancelled (kept, marked "replaced by #NEW") and a new one
 * entered with the changes, both in one transaction: audited, never
 * edited in place. */
struct found_window {
	int64_t id;
	bool found, revoked, retroactive;
	char *service, *target;
	int64_t start, end;
};

static void find_window(void *ctx, const struct gp_ledger_entry *e)
{
	struct found_window *f = ctx;
	if (e->id != f->id || f->found)
		return;
	f->found = true;
	f->revoked = e->revoked_at != 0;
	f->service = gp_xstrdup(e->service);
	f->target = e->target ? gp_xstrdup(e->target) : NULL;
	f->start = e->start;
	f->end = e->end;
}

static int entry_change(const struct gp_config *cfg, struct gp_store *st, int argc, char **argv)
{
	const char *cmd = "maintenance change";
	const char *reason = gp_cli_flag(argc, argv, "--reason");
	char *endp = NULL;
	long long id = argc > 2 ? strtoll(argv[2], &endp, 10) : 0;
	if (argc < 3 || !endp || *endp || id <= 0 || !reason || !*reason) {
		fprintf(stderr, "usage: gprobe %s ID [--from TIME] [--to TIME] --reason TEXT "
				"[--retroactive]\n", cmd);
		return 1;
	}
	struct found_window f = {.id = id};
	if (gp_store_entry_list(st, GP_ENTRY_MAINTENANCE, NULL, INT64_MIN, INT64_MAX, find_window,
				&f) != 0 ||
	    !f.found || f.revoked) {
		fprintf(stderr, "gprobe %s: %s #%lld\n", cmd,
			!f.found ? "no maintenance window" : "cancelled already: nothing to change in",
			id);
		free(f.service);
		free(f.target);
		return 1;
	}
	struct gp_ledger_entry e = {
		.service = f.target ? NULL : f.service,
		.target = f.target,
		.start = f.start,
		.end = f.end,
		.retroactive = gp_cli_has(argc, argv, "--retroactive"),
		.created_at = (int64_t)time(NULL),
		.created_by = gp_cli_login_name(),
	};
	const char *from = gp_cli_flag(argc, argv, "--from"), *to = gp_cli_flag(argc, argv, "--to");
	int rc = 1;
	char *why = gp_xasprintf("%s (replaces #%lld)", reason, id);
	e.reason = why;
	if ((!from || parse_time_flag(cfg, cmd, "--from", from, &e.start)) &&
	    (!to || parse_time_flag(cfg, cmd, "--to", to, &e.end))) {
		char err[512] = "";
		int64_t nid = 0;
		rc = gp_store_begin(st);
		if (rc != 0)
			snprintf(err, sizeof(err), "database: %s", gp_store_error(st));
		else
			rc = gp_report_add_maintenance(st, cfg, &e, &nid, err, sizeof(err));
		char *cancel = gp_xasprintf("replaced by #%lld: %s", (long long)nid, reason);
		if (rc == 0)
			rc = gp_report_revoke_entry(st, GP_ENTRY_MAINTENANCE, id, e.created_by, cancel,
						    e.created_at, err, sizeof(err));
		free(cancel);
		if (end_transaction(st, rc, err, sizeof(err)) != 0) {
			fprintf(stderr, "gprobe %s: %s\n", cmd, err);
			rc = 1;
		} else {
			char a[40], b[40];
			local(cfg, e.start, a, sizeof(a));
			local(cfg, e.end, b, sizeof(b));
			printf("maintenance window #%lld replaced by #%lld: %s .. %s (#%lld stays, "
			       "cancelled)\n", id, (long long)nid, a, b, id);
			rc = 0;
		}
	}
	free(why);
	free(f.service);
	free(f.target);
	return rc;
}

int gp_cmd_downtime(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv)) {
		printf("usage: gprobe [-c FILE] downtime [--month YYYY-MM] [--service S] [--raw]\n"
		       "                  [--json|--csv]\n"
		       "       gprobe downtime add --service S --from TIME --to TIME\n"
		       "                  --attribution supplier|customer|third-party|unattributed\n"
		       "                  --reason TEXT [--over-monitored]\n"
		       "       gprobe downtime list-entries [--service S] [--json]\n"
		       "       gprobe downtime revoke ID --reason TEXT\n\n"
		       "The ledger: every second of the month (this month by default) as up,\n"
		       "degraded, down, maintenance, voided or unmonitored, with the incident or\n"
		       "manual entry behind it. `add` records an outage the probe did not see\n"
		       "(before it was installed, while it was stopped): only over time the\n"
		       "probe did not monitor, never overlapping another entry; who entered\n"
		       "it, when and why are kept. With --over-monitored it records an outage\n"
		       "the customer reported over time the probe monitored (and missed): it\n"
		       "counts as down over what the probe saw as up. TIME is ISO 8601 in\n"
		       "calendar.timezone unless it has an offset.\n\n"
		       "`list-entries` lists every manual entry, revoked ones marked;\n"
		       "`revoke` withdraws one: it stays in the ledger, marked with who,\n"
		       "when and why, and stops counting.\n\n"
		       "--raw adds what the intervals come from, as the probe recorded it: its\n"
		       "periods (UP, DEGRADED, DOWN, UNKNOWN, UNMONITORED; the open one runs to\n"
		       "the daemon's heartbeat) and its outages (the DOWN members, the\n"
		       "incident), each whole even where it reaches outside the month.\n");
		return 0;
	}
	const char *sub = argc > 1 ? argv[1] : "";
	bool add = !strcmp(sub, "add"), revoke = !strcmp(sub, "revoke");
	bool list = !strcmp(sub, "list-entries");
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, add || revoke, &cfg, &st, "downtime") != 0)
		return 1;
	int rc = add	  ? entry_add(cfg, st, true, argc, argv)
		 : revoke ? entry_revoke(cfg, st, true, argc, argv)
		 : list	  ? entry_list(cfg, st, true, argc, argv)
			  : downtime_list(cfg, st, argc, argv);
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}

int gp_cmd_maintenance(struct gp_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	bool add = !strcmp(sub, "add"), cancel = !strcmp(sub, "cancel"), list = !strcmp(sub, "list");
	bool change = !strcmp(sub, "change");
	bool help = gp_cli_want_help(argc, argv);
	if (help || !(add || cancel || list || change)) {
		fprintf(help ? stdout : stderr,
			"usage: gprobe [-c FILE] maintenance add --service S | --target T\n"
			"                  --from TIME --to TIME --reason TEXT [--retroactive]\n"
			"                  [--repeat weekly --until YYYY-MM-DD]\n"
			"       gprobe maintenance list [--service S] [--json]\n"
			"       gprobe maintenance change ID [--from TIME] [--to TIME] --reason TEXT\n"
			"                  [--retroactive]\n"
			"       gprobe maintenance cancel ID --reason TEXT\n\n"
			"Planned work: down time inside the window counts as maintenance, not\n"
			"as downtime (up time stays up), and while it lasts no incident opens\n"
			"and no mail goes out; a fault still there when it ends opens the\n"
			"incident then. A window on a target (a component) covers a service\n"
			"while every component it is down for is under a window. Windows may\n"
			"lie in the future and may overlap; one entered after the fact over\n"
			"recorded downtime takes --retroactive and is marked so. Who entered\n"
			"one, when and why are kept. --repeat weekly adds one window a week at\n"
			"the same local time up to --until. `change` cancels a window and\n"
			"enters its replacement (both kept). `list` shows every\n"
			"window, cancelled ones marked; `cancel` withdraws one: it stays,\n"
			"marked with who, when and why, and stops counting.\n");
		return help ? 0 : 1;
	}
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, add || cancel || change, &cfg, &st, "maintenance") != 0)
		return 1;
	int rc = add	  ? entry_add(cfg, st, false, argc, argv)
		 : cancel ? entry_revoke(cfg, st, false, argc, argv)
		 : change ? entry_change(cfg, st, argc, argv)
			  : entry_list(cfg, st, false, argc, argv);
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}
