/*
 * calendar.c - the contract's working time (see calendar.h).
 */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ten years of days: the bound of every walk over the calendar. */
#define MAX_DAYS 3660

static struct gp_date next_day(struct gp_date d, int64_t n)
{
	return gp_date_from_days(gp_date_days(d) + n);
}

/* ------------------------------------------------------------------ */
/* The zone                                                            */

/* The calendar's zone, read from the tz database for one call and passed
 * down: converting explicitly never touches the process's TZ, which the
 * other threads read (see util.h). A zone that cannot be read is UTC, as
 * it was for the C library; the config loader has checked it is there. */
static struct gp_tz *open_zone(const struct gp_calendar *cal)
{
	char err[256];
	return gp_tz_load(cal->timezone ? cal->timezone : "UTC", err, sizeof(err));
}

static struct gp_date local_date(const struct gp_tz *z, int64_t t)
{
	int64_t local = t + gp_tz_offset(z, t);
	int64_t days = local / 86400 - (local % 86400 < 0);
	return gp_date_from_days(days);
}

static int64_t local_time(const struct gp_tz *z, struct gp_date d, int min)
{
	return gp_tz_utc(z, gp_date_days(d) * 86400 + (int64_t)min * 60);
}

struct gp_date gp_cal_local_date(const struct gp_calendar *cal, int64_t t)
{
	struct gp_tz *z = open_zone(cal);
	struct gp_date d = local_date(z, t);
	gp_tz_free(z);
	return d;
}

int64_t gp_cal_local_time(const struct gp_calendar *cal, struct gp_date d, int min)
{
	struct gp_tz *z = open_zone(cal);
	int64_t t = local_time(z, d, min);
	gp_tz_free(z);
	return t;
}

int64_t gp_cal_add_days_local(const struct gp_calendar *cal, int64_t t, int days)
{
	struct gp_tz *z = open_zone(cal);
	int64_t local = t + gp_tz_offset(z, t) + (int64_t)days * 86400;
	int64_t out = gp_tz_utc(z, local);
	gp_tz_free(z);
	return out;
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
static bool window(const struct gp_calendar *cal, const struct gp_tz *z, struct gp_date d,
		   int64_t *from, int64_t *to)
{
	if (!gp_cal_is_working_day(cal, d) || cal->work_end_min <= cal->work_start_min)
		return false;
	*from = local_time(z, d, cal->work_start_min);
	*to = local_time(z, d, cal->work_end_min);
	return *to > *from;
}

int64_t gp_cal_working_between(const struct gp_calendar *cal, int64_t a, int64_t b)
{
	if (b <= a)
		return 0;
	struct gp_tz *z = open_zone(cal);
	struct gp_date d = local_date(z, a), last = local_date(z, b);
	int64_t total = 0;
	for (int i = 0; i < MAX_DAYS * 10 && gp_date_cmp(&d, &last) <= 0; i++, d = next_day(d, 1)) {
		int64_t from, to;
		if (!window(cal, z, d, &from, &to))
			continue;
		if (from < a)
			from = a;
		if (to > b)
			to = b;
		if (to > from)
			total += to - from;
	}
	gp_tz_free(z);
	return total;
}

int64_t gp_cal_add_working(const struct gp_calendar *cal, int64_t t, int64_t seconds)
{
	if (seconds <= 0)
		return t;
	struct gp_tz *z = open_zone(cal);
	struct gp_date d = local_date(z, t);
	int64_t due = -1;
	bool found = false;
	for (int i = 0; i < MAX_DAYS && !found; i++, d = next_day(d, 1)) {
		int64_t from, to;
		if (!window(cal, z, d, &from, &to))
			continue;
		if (from < t)
			from = t;
		if (from >= to)
			continue;
		if ((found = seconds <= to - from))
			due = from + seconds;
		else
			seconds -= to - from;
	}
	gp_tz_free(z);
	return due;
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
