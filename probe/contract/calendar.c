/*
 * calendar.c - the contract's working time (see calendar.h).
 */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Ten years of days: the bound of every walk over the calendar. */
#define MAX_DAYS 3660

/* ------------------------------------------------------------------ */
/* Dates                                                               */

/* Days from civil and back: the well-known algorithm over 400-year eras
 * (valid for every date of the Gregorian calendar). */
int64_t gp_date_days(struct gp_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct gp_date gp_date_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1;
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);
	return (struct gp_date){(int)year, (int)month, (int)day};
}

int gp_date_weekday(struct gp_date d)
{
	int64_t days = gp_date_days(d); /* 1970-01-01 was a Thursday (3) */
	int64_t w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static struct gp_date next_day(struct gp_date d, int64_t n)
{
	return gp_date_from_days(gp_date_days(d) + n);
}

/* ------------------------------------------------------------------ */
/* The zone                                                            */

static void use_zone(const struct gp_calendar *cal)
{
	const char *want = cal->timezone ? cal->timezone : "UTC";
	const char *have = getenv("TZ");
	if (!have || strcmp(have, want) != 0) {
		setenv("TZ", want, 1);
		tzset();
	}
}

struct gp_date gp_cal_local_date(const struct gp_calendar *cal, int64_t t)
{
	use_zone(cal);
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	return (struct gp_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

int64_t gp_cal_local_time(const struct gp_calendar *cal, struct gp_date d, int min)
{
	use_zone(cal);
	struct tm tm = {
		.tm_year = d.year - 1900,
		.tm_mon = d.month - 1,
		.tm_mday = d.day,
		.tm_hour = min / 60,
		.tm_min = min % 60,
		.tm_isdst = -1,
	};
	return (int64_t)mktime(&tm);
}

/* ------------------------------------------------------------------ */
/* Working days and time                                               */

static bool date_in(const struct gp_date *list, size_t n, struct gp_date d)
{
	for (size_t i = 0; i < n; i++)
		if (gp_date_cmp(&list[i], &d) == 0)
			return true;
	return false;
}

bool gp_cal_is_holiday(const struct gp_calendar *cal, struct gp_date d)
{
	return date_in(cal->holidays, cal->n_holidays, d);
}

bool gp_cal_is_working_day(const struct gp_calendar *cal, struct gp_date d)
{
	if (gp_cal_is_holiday(cal, d))
		return false;
	if (date_in(cal->working_weekend_days, cal->n_working_weekend_days, d))
		return true;
	return (cal->working_days >> gp_date_weekday(d)) & 1u;
}

/* The working window of day d, in UTC; false when d is not working. */
static bool window(const struct gp_calendar *cal, struct gp_date d, int64_t *from, int64_t *to)
{
	if (!gp_cal_is_working_day(cal, d) || cal->work_end_min <= cal->work_start_min)
		return false;
	*from = gp_cal_local_time(cal, d, cal->work_start_min);
	*to = gp_cal_local_time(cal, d, cal->work_end_min);
	return *to > *from;
}

int64_t gp_cal_working_between(const struct gp_calendar *cal, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	struct gp_date d = gp_cal_local_date(cal, a), last = gp_cal_local_date(cal, b);
	int64_t total = 0;
	for (int i = 0; i < MAX_DAYS * 10 && gp_date_cmp(&d, &last) <= 0; i++, d = next_day(d, 1)) {
		int64_t from, to;
		if (!window(cal, d, &from, &to))
			continue;
		if (from < a)
			from = a;
		if (to > b)
			to = b;
		if (to > from)
			total += to - from;
	}
	return total;
}

int64_t gp_cal_add_working(const struct gp_calendar *cal, int64_t t, int64_t seconds)
{
	if (seconds <= 0)
		return t;
	struct gp_date d = gp_cal_local_date(cal, t);
	for (int i = 0; i < MAX_DAYS; i++, d = next_day(d, 1)) {
		int64_t from, to;
		if (!window(cal, d, &from, &to))
			continue;
		if (from < t)
			from = t;
		if (from >= to)
			continue;
		if (seconds <= to - from)
			return from + seconds;
		seconds -= to - from;
	}
	return -1;
}

struct gp_date gp_cal_add_working_days(const struct gp_calendar *cal, int64_t t, int n)
{
	struct gp_date d = gp_cal_local_date(cal, t);
	for (int i = 0; i < MAX_DAYS && n > 0; i++) {
		d = next_day(d, 1);
		if (gp_cal_is_working_day(cal, d))
			n--;
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* ISO 8601 input                                                      */

static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return true;
}

bool gp_cal_parse_time(const struct gp_calendar *cal, const char *s, int64_t *out,
		       const char **why)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	*why = "expected an ISO 8601 time: 2026-11-03T14:00, optionally with :SS and an "
	       "offset (Z, +05:00)";
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	char date_text[48];
	snprintf(date_text, sizeof(date_text), "%04d-%02d-%02d", y, mo, d);
	struct gp_date date;
	const char *dwhy;
	if (!gp_parse_date(date_text, &date, &dwhy)) {
		*why = dwhy;
		return false;
	}
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return false;
		}
		if (h > 23 || mi > 59 || sec > 59) {
			*why = "hour, minute or second out of range";
			return false;
		}
	}
	int64_t secs = (int64_t)h * 3600 + mi * 60 + sec;
	if (*p == '\0') {
		/* The local minute through the zone (never midnight plus an
		 * offset: the offset may change that day). */
		*out = gp_cal_local_time(cal, date, h * 60 + mi) + sec;
		return true;
	}
	int64_t offset = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (!digits(&p, 2, &oh))
			return false;
		if (*p == ':')
			p++;
		if (*p && !digits(&p, 2, &om))
			return false;
		if (oh > 18 || om > 59) {
			*why = "offset out of range";
			return false;
		}
		offset = sign * ((int64_t)oh * 3600 + om * 60);
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	*out = gp_date_days(date) * 86400 + secs - offset;
	return true;
}
