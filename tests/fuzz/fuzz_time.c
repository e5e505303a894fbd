/*
 * fuzz_time.c - the time and scalar parsers: ISO 8601 times
 * (gp_cal_parse_time, in Asia/Almaty and in UTC), dates, HH:MM, durations,
 * money and integers (util.h), all on the same text.
 *
 * Beyond "no crash, no hang": what is accepted is in range, and reads back
 * the same when written the way gprobe writes it (a time as UTC ISO 8601, a
 * duration as the config writes it).
 */
#include "fuzz.h"

#include <inttypes.h>

#include "calendar.h"
#include "util.h"

/* What the calendar needs for parsing: the zone. */
static const struct gp_calendar almaty = {.timezone = (char *)"Asia/Almaty"};
static const struct gp_calendar utc = {.timezone = (char *)"UTC"};

/* 1970-01-01 to 9999-12-31, the years gp_parse_date takes. */
#define MIN_T ((int64_t)-18 * 3600 - 86400)
#define MAX_T ((int64_t)253402300799 + 18 * 3600 + 86400)

static void check_time(const struct gp_calendar *cal, const char *s)
{
	int64_t t;
	const char *why = NULL;
	if (!gp_cal_parse_time(cal, s, &t, &why)) {
		FUZZ_CHECK(why && why[0], "'%s' refused without a reason", s);
		return;
	}
	FUZZ_CHECK(t >= MIN_T && t <= MAX_T, "'%s' is %" PRId64, s, t);
	/* Written as UTC and read again: the same second. gp_format_utc
	 * writes four-digit years only. */
	char buf[64];
	gp_format_utc(t, buf, sizeof(buf));
	if (t < 0 || t > (int64_t)253402300799)
		return;
	int64_t back;
	FUZZ_CHECK(gp_cal_parse_time(cal, buf, &back, &why), "'%s' written as '%s', refused: %s",
		   s, buf, why);
	FUZZ_CHECK(back == t, "'%s' is %" PRId64 ", '%s' is %" PRId64, s, t, buf, back);
}

static void check_date(const char *s)
{
	struct gp_date d;
	const char *why;
	if (!gp_parse_date(s, &d, &why))
		return;
	FUZZ_CHECK(d.year >= 1970 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
			   d.day >= 1 && d.day <= 31,
		   "'%s' is %d-%d-%d", s, d.year, d.month, d.day);
	struct gp_date back = gp_date_from_days(gp_date_days(d));
	FUZZ_CHECK(gp_date_cmp(&d, &back) == 0, "'%s' comes back as %d-%02d-%02d", s, back.year,
		   back.month, back.day);
	int wd = gp_date_weekday(d);
	FUZZ_CHECK(wd >= 0 && wd <= 6, "'%s' is weekday %d", s, wd);
}

static void check_duration(const char *s)
{
	int64_t ms;
	const char *why;
	if (!gp_parse_duration_ms(s, &ms, &why))
		return;
	FUZZ_CHECK(ms > 0 && ms <= (int64_t)366 * 86400 * 1000, "'%s' is %" PRId64 " ms", s, ms);
	char buf[32];
	gp_format_duration(ms, buf, sizeof(buf));
	int64_t back;
	FUZZ_CHECK(gp_parse_duration_ms(buf, &back, &why) && back == ms,
		   "'%s' (%" PRId64 " ms) written as '%s'", s, ms, buf);
}

static void check_money(const char *s)
{
	int64_t tiyn;
	const char *why;
	if (!gp_parse_money(s, &tiyn, &why))
		return;
	FUZZ_CHECK(tiyn >= 0, "'%s' is %" PRId64 " tiyn", s, tiyn);
	/* Whole units then at most two decimals, as the text says. */
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64 ".%02" PRId64, tiyn / 100, tiyn % 100);
	int64_t back;
	FUZZ_CHECK(gp_parse_money(buf, &back, &why) && back == tiyn, "'%s' written as '%s'", s,
		   buf);
}

static void check_small(const char *s)
{
	int min;
	const char *why;
	if (gp_parse_hhmm(s, &min, &why))
		FUZZ_CHECK(min >= 0 && min <= 1440, "'%s' is minute %d", s, min);
	int64_t v;
	if (gp_parse_int64(s, -1000, 1000, &v, &why))
		FUZZ_CHECK(v >= -1000 && v <= 1000, "'%s' is %" PRId64, s, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	check_time(&almaty, s);
	check_time(&utc, s);
	check_date(s);
	check_duration(s);
	check_money(s);
	check_small(s);
	free(s);
	return 0;
}
