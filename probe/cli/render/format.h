/*
 * format.h - how figures look to people, the same in every rendering
 * (text tables, CSV, HTML): money in tenge from integer tiyn, durations
 * exact to the second, the report's rounding rules, the language.
 */
#ifndef GP_FORMAT_H
#define GP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "report.h"

/* Reports for people speak alerts.email.language (ru by default). */
bool gp_fmt_russian(const struct gp_config *cfg);
#define GP_TR(cfg, en, ru) (gp_fmt_russian(cfg) ? (ru) : (en))
/* A duration exact to the second, hours past 24: "743:05:09". */
const char *gp_fmt_hms(int64_t seconds, char *buf, size_t len);
/* Tiyn as tenge: "1 736.11" (grouped) or "1736.11". */
const char *gp_fmt_money(int64_t tiyn, bool group, char *buf, size_t len);
/* Hundredths of a percent as an exact decimal, "90.58"; "\u2014" (an em
 * dash) for a negative value (none). */
const char *gp_fmt_percent(int64_t bp, char *buf, size_t len);
/* Why a service has no availability, in the report's language; "" when it
 * has one. english: the English text whatever the language (JSON). */
const char *gp_fmt_avail_none(const struct gp_config *cfg, enum gp_avail_none why, bool english);
/* One sentence: the per-service amounts are information and may differ
 * from the month's penalty by rounding. */
const char *gp_fmt_rounding_note(const struct gp_config *cfg);
/* How each figure of r was rounded, in the report's language. */
void gp_fmt_report_rules(const struct gp_config *cfg, const struct gp_report *r, FILE *out);
/* The same as a string (the caller frees it); NULL when out of memory. */
char *gp_fmt_report_rules_text(const struct gp_config *cfg, const struct gp_report *r);

#endif
