/*
 * calendar.h - the contract's working time: working days and hours in the
 * calendar's time zone, holidays, and weekend days made working by decree.
 *
 * Functions over UTC epoch seconds (reading only the zone's file). Local dates and times go through
 * the tz database (never a fixed offset: Asia/Almaty was UTC+6 until
 * 2024-02-29 and is UTC+5 from 2024-03-01), read from its TZif file and
 * applied explicitly (gp_tz, util.h): the process's TZ is never read nor
 * set, so these are safe while other threads run. A local time that
 * occurs twice (clocks set back) is the earlier moment; one that a gap
 * skips (clocks set forward) is read with the offset before the change.
 *
 * A day is working when it is a working weekday (or listed in
 * working_weekend_days) and not a holiday. Working time is the part of a
 * working day between working_hours' start and end, local time.
 */
#ifndef GP_CALENDAR_H
#define GP_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Local date of a UTC moment, and back. */
struct gp_date gp_cal_local_date(const struct gp_calendar *cal, int64_t t);
/* UTC of local date d at minute-of-day min (0..1440). */
int64_t gp_cal_local_time(const struct gp_calendar *cal, struct gp_date d, int min);

/* The same local clock time `days` days after t (a weekly window keeps its
 * 02:00 across an offset change of the zone). */
int64_t gp_cal_add_days_local(const struct gp_calendar *cal, int64_t t, int days);

bool gp_cal_is_holiday(const struct gp_calendar *cal, struct gp_date d);
bool gp_cal_is_working_day(const struct gp_calendar *cal, struct gp_date d);

/* Working seconds in [a, b) (0 when b <= a). */
int64_t gp_cal_working_between(const struct gp_calendar *cal, int64_t a, int64_t b);

/* The moment `seconds` of working time after t: a working-time deadline
 * (t plus 15 working minutes of a request that came at 17:55 on a Friday
 * is 09:10 on Monday). -1 when the calendar has no working time in the
 * next ten years. */
int64_t gp_cal_add_working(const struct gp_calendar *cal, int64_t t, int64_t seconds);

/* The date `n` working days after the day of t (auto-closing). */
struct gp_date gp_cal_add_working_days(const struct gp_calendar *cal, int64_t t, int n);

/* Date arithmetic (gp_date_days, gp_date_from_days, gp_date_weekday): util.h. */

/* ISO 8601 local time "2026-11-03T14:00[:SS]" in the calendar's zone, or
 * with an offset ("...+05:00", "...Z"); a date alone is its midnight.
 * false with a reason when it is not one. */
bool gp_cal_parse_time(const struct gp_calendar *cal, const char *s, int64_t *out,
		       const char **why);

#endif
