/*
 * format.c - how figures look to people: money, durations, the
 * report's rounding rules (see format.h).
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gp_fmt_russian(const struct gp_config *cfg)
{
	return cfg->email.language && !strcmp(cfg->email.language, "ru");
}

const char *gp_fmt_hms(int64_t s, char *buf, size_t len)
{
	int64_t a = s < 0 ? -s : s;
	snprintf(buf, len, "%s%lld:%02lld:%02lld", s < 0 ? "-" : "", (long long)(a / 3600),
		 (long long)(a / 60 % 60), (long long)(a % 60));
	return buf;
}

/* Tiyn as tenge: "1 736.11" (grouped) or "1736.11". */
const char *gp_fmt_money(int64_t tiyn, bool group, char *buf, size_t len)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", (long long)(llabs(tiyn) / 100));
	size_t n = strlen(digits), k = 0;
	char out[64];
	if (tiyn < 0)
		out[k++] = '-';
	for (size_t i = 0; i < n; i++) {
		if (group && i > 0 && (n - i) % 3 == 0)
			out[k++] = ' ';
		out[k++] = digits[i];
	}
	snprintf(out + k, sizeof(out) - k, ".%02lld", (long long)(llabs(tiyn) % 100));
	snprintf(buf, len, "%s", out);
	return buf;
}

const char *gp_fmt_percent(int64_t bp, char *buf, size_t len)
{
	if (bp < 0)
		snprintf(buf, len, "\u2014");
	else
		snprintf(buf, len, "%lld.%02lld", (long long)(bp / 100), (long long)(bp % 100));
	return buf;
}

const char *gp_fmt_avail_none(const struct gp_config *cfg, enum gp_avail_none why, bool english)
{
	bool ru = !english && gp_fmt_russian(cfg);
	switch (why) {
	case GP_AVAIL_UNMONITORED:
		return ru ? "в этом месяце мониторинга не было: доступность не определена"
			  : "not monitored at all this month: no availability to give";
	case GP_AVAIL_ONLY_MAINTENANCE:
		return ru ? "всё время под мониторингом пришлось на плановые работы"
			  : "all the time monitored was maintenance";
	case GP_AVAIL_SHOWN:
		break;
	}
	return "";
}

const char *gp_fmt_rounding_note(const struct gp_config *cfg)
{
	return GP_TR(cfg,
		     "Per-service amounts are each rounded to the tiyn, for information; they "
		     "may differ from the month's penalty (its charged hours x the rate, rounded "
		     "once) by rounding.",
		     "Суммы по сервисам округлены каждая до тиына и даны для сведения; они могут "
		     "отличаться от штрафа за месяц (его часы x ставка, округлено один раз) на "
		     "округление.");
}

/* How each figure was rounded, in the report's language. */
void gp_fmt_report_rules(const struct gp_config *cfg, const struct gp_report *r, FILE *out)
{
	const struct gp_contract *c = &cfg->contract;
	char pay[40], cap[40], val[40];
	gp_fmt_money(c->monthly_payment_tiyn, true, pay, sizeof(pay));
	gp_fmt_money(r->cap_tiyn, true, cap, sizeof(cap));
	gp_fmt_money(c->value_excl_vat_tiyn, true, val, sizeof(val));
	bool ceil = c->hour_rounding == GP_ROUND_CEIL;
	if (gp_fmt_russian(cfg)) {
		fprintf(out,
			"Правила расчёта:\n"
			"  штраф за месяц = часы простоя по вине поставщика за месяц x %s / %d,\n"
			"    округлён один раз до тиына (половина вверх); суммы по сервисам\n"
			"    округлены каждая отдельно, даны для сведения и могут отличаться\n"
			"    от итога на округление;\n"
			"  часы: %s;\n"
			"  одновременный простой нескольких сервисов: %s (в отчёте обе цифры);\n"
			"  итог за срок договора не более %d%% стоимости без НДС (%s): %s;\n"
			"  доступность = (работа + деградация + аннулировано) / (время под\n"
			"    мониторингом вне плановых работ, с простоями, внесёнными вручную),\n"
			"    отброшено до сотых; «—», если такого времени не было;\n"
			"  мониторинг = доля месяца, когда зонд наблюдал сервис, отброшено до сотых.\n",
			pay, c->penalty_hour_divisor,
			ceil ? "каждый простой (его часть в месяце) округлён вверх до целого часа"
			     : "точно, по секундам",
			c->overlap == GP_OVERLAP_SUM ? "по каждому сервису (сумма)"
						     : "один раз (объединение)",
			c->penalty_cap_percent, val, cap);
	} else {
		fprintf(out,
			"How the figures are computed:\n"
			"  the month's penalty = the month's supplier-attributed down hours x %s / %d,\n"
			"    rounded once, half up, to the tiyn; the per-service amounts are each\n"
			"    rounded on their own, shown for information, and may differ from\n"
			"    the total by rounding;\n"
			"  hours: %s;\n"
			"  several services down at once: %s (both figures shown);\n"
			"  the term's total is capped at %d%% of the value excluding VAT (%s): %s;\n"
			"  availability = (up + degraded + voided) / (monitored time outside\n"
			"    maintenance, outages entered by hand included), truncated to\n"
			"    hundredths; \u2014 when there was no such time;\n"
			"  monitored = the share of the month the probe watched the service,\n"
			"    truncated to hundredths.\n",
			pay, c->penalty_hour_divisor,
			ceil ? "each outage (its part within the month) rounded up to a whole hour"
			     : "exact, by the second",
			c->overlap == GP_OVERLAP_SUM ? "counted once per service (sum)"
						     : "counted once (union)",
			c->penalty_cap_percent, val, cap);
	}
}

char *gp_fmt_report_rules_text(const struct gp_config *cfg, const struct gp_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	gp_fmt_report_rules(cfg, r, m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
