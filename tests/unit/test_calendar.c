/*
 * Working time in Asia/Almaty: nights, weekends, holidays, a working
 * Saturday by decree, and the change from UTC+6 to UTC+5 on 2024-03-01.
 * Expected instants were computed independently (Python's zoneinfo) and
 * are written here as UTC epoch seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "calendar.h"
#include "testconfig.h"

#define MIN 60
#define HOUR 3600

static struct gp_calendar *kz;    /* the shipped holiday file, one working Saturday */
static struct gp_config *kz_cfg;

static int load_kz(void **state)
{
	(void)state;
	struct gp_errlist el = {0};
	kz_cfg = test_config_load(CONFIG_DIR "/good/calendar-kz.yaml", NULL, &el);
	if (!kz_cfg)
		gp_errlist_print(&el, stderr);
	gp_errlist_free(&el);
	if (!kz_cfg)
		return -1;
	kz = &kz_cfg->calendar;
	return 0;
}

static int free_kz(void **state)
{
	(void)state;
	gp_config_free(kz_cfg);
	return 0;
}

static struct gp_date D(int y, int m, int d)
{
	return (struct gp_date){y, m, d};
}

static void test_dates(void **state)
{
	(void)state;
	assert_int_equal(gp_date_days(D(1970, 1, 1)), 0);
	assert_int_equal(gp_date_days(D(2000, 1, 1)), 10957);
	assert_int_equal(gp_date_days(D(2024, 3, 1)) - gp_date_days(D(2024, 2, 28)), 2);
	struct gp_date d = gp_date_from_days(gp_date_days(D(2026, 12, 31)) + 1);
	assert_int_equal(d.year, 2027);
	assert_int_equal(d.month, 1);
	assert_int_equal(d.day, 1);
	assert_int_equal(gp_date_weekday(D(2026, 11, 25)), 2); /* a Wednesday */
	assert_int_equal(gp_date_weekday(D(2026, 3, 14)), 5); /* a Saturday */
	assert_int_equal(gp_date_weekday(D(1969, 12, 31)), 2);
}

static void test_zone_change_2024(void **state)
{
	(void)state;
	/* 12:00 local is 06:00 UTC on the 29th (UTC+6), 07:00 on the 1st. */
	assert_int_equal(gp_cal_local_time(kz, D(2024, 2, 29), 12 * 60),
			 gp_date_days(D(2024, 2, 29)) * 86400 + 6 * HOUR);
	assert_int_equal(gp_cal_local_time(kz, D(2024, 3, 1), 12 * 60),
			 gp_date_days(D(2024, 3, 1)) * 86400 + 7 * HOUR);
	/* 17:00 Thursday to 10:00 Friday across the change: one working hour
	 * each day, not one hour more or less. */
	assert_int_equal(gp_cal_working_between(kz, 1709204400, 1709269200), 2 * HOUR);
	/* 17:30 + 60 working minutes = 09:30 on Friday, UTC+5. */
	assert_int_equal(gp_cal_add_working(kz, 1709206200, 60 * MIN), 1709267400);
}

static void test_phone_request_on_friday_evening(void **state)
{
	(void)state;
	/* Friday 2026-11-27 17:55 + 15 working minutes = Monday 09:10. */
	assert_int_equal(gp_cal_add_working(kz, 1795784100, 15 * MIN), 1796011800);
	/* And back: the working time between them is the 15 minutes. */
	assert_int_equal(gp_cal_working_between(kz, 1795784100, 1796011800), 15 * MIN);
}

static void test_night_and_exact_end(void **state)
{
	(void)state;
	/* Wednesday 20:00 + 20 minutes = Thursday 09:20. */
	assert_int_equal(gp_cal_add_working(kz, 1795618800, 20 * MIN), 1795666800);
	/* A deadline that uses the day up to its last second ends at 18:00. */
	int64_t at_9 = gp_cal_local_time(kz, D(2026, 11, 26), 9 * 60);
	int64_t at_18 = gp_cal_local_time(kz, D(2026, 11, 26), 18 * 60);
	assert_int_equal(gp_cal_add_working(kz, at_9, 9 * HOUR), at_18);
	assert_int_equal(gp_cal_add_working(kz, at_9, 0), at_9);
	assert_int_equal(gp_cal_working_between(kz, at_18, at_9), 0);
}

static void test_holidays(void **state)
{
	(void)state;
	assert_true(gp_cal_is_holiday(kz, D(2026, 12, 16)));
	assert_false(gp_cal_is_working_day(kz, D(2026, 12, 16)));
	/* Tuesday 2026-12-15 17:30 + 60 minutes: Wednesday is Independence
	 * Day, so Thursday 09:30. */
	assert_int_equal(gp_cal_add_working(kz, 1797337800, 60 * MIN), 1797481800);
	/* Nauryz 2026: Friday 20 March 17:00 + 2 hours; the weekend, then
	 * 23-25 March off: Thursday 26 March 10:00. */
	assert_int_equal(gp_cal_add_working(kz, 1774008000, 2 * HOUR), 1774501200);
	/* A whole week of it: 20-27 March 2026 holds Friday 20th, Thursday
	 * 26th and Friday 27th, 9 hours each. */
	int64_t from = gp_cal_local_time(kz, D(2026, 3, 20), 0);
	int64_t to = gp_cal_local_time(kz, D(2026, 3, 28), 0);
	assert_int_equal(gp_cal_working_between(kz, from, to), 3 * 9 * HOUR);
	/* Moved days off of the shipped file: 2025-03-10 (8 March was a
	 * Saturday), 2027-01-04 (2 January), and 7 January never moves. */
	assert_true(gp_cal_is_holiday(kz, D(2025, 3, 10)));
	assert_true(gp_cal_is_holiday(kz, D(2027, 1, 4)));
	assert_false(gp_cal_is_holiday(kz, D(2027, 1, 8)));
	assert_true(gp_cal_is_holiday(kz, D(2027, 3, 24)));
}

static void test_working_saturday_by_decree(void **state)
{
	(void)state;
	assert_true(gp_cal_is_working_day(kz, D(2026, 3, 14)));
	assert_false(gp_cal_is_working_day(kz, D(2026, 3, 21)));
	/* Friday 13 March 17:50 + 15 minutes: Saturday 14th is working,
	 * so 09:05 that day. */
	assert_int_equal(gp_cal_add_working(kz, 1773406200, 15 * MIN), 1773461100);
}

static void test_working_days_after(void **state)
{
	(void)state;
	/* Resolved on Friday 11 December 2026: five working days later is
	 * Monday 21st (the 16th is a holiday). */
	int64_t t = gp_cal_local_time(kz, D(2026, 12, 11), 15 * 60);
	struct gp_date d = gp_cal_add_working_days(kz, t, 5);
	assert_int_equal(gp_date_cmp(&d, &(struct gp_date){2026, 12, 21}), 0);
}

static void test_no_working_time_at_all(void **state)
{
	(void)state;
	struct gp_calendar none = *kz;
	none.working_days = 0;
	none.n_working_weekend_days = 0;
	assert_int_equal(gp_cal_add_working(&none, 1795618800, MIN), -1);
	assert_int_equal(gp_cal_working_between(&none, 1795618800, 1795618800 + 30 * 86400), 0);
}

static void test_parse_time(void **state)
{
	(void)state;
	int64_t t;
	const char *why;
	assert_true(gp_cal_parse_time(kz, "2026-11-03T14:00", &t, &why));
	assert_int_equal(t, 1793696400);
	assert_true(gp_cal_parse_time(kz, "2026-11-03 14:00:30", &t, &why));
	assert_int_equal(t, 1793696430);
	assert_true(gp_cal_parse_time(kz, "2026-11-03T09:00Z", &t, &why));
	assert_int_equal(t, 1793696400);
	assert_true(gp_cal_parse_time(kz, "2026-11-03T14:00+05:00", &t, &why));
	assert_int_equal(t, 1793696400);
	assert_true(gp_cal_parse_time(kz, "2026-11-03T15:00+0600", &t, &why));
	assert_int_equal(t, 1793696400);
	assert_true(gp_cal_parse_time(kz, "2024-03-01", &t, &why));
	assert_int_equal(t, gp_date_days(D(2024, 3, 1)) * 86400 - 5 * HOUR);
	assert_false(gp_cal_parse_time(kz, "2026-02-30T10:00", &t, &why));
	assert_false(gp_cal_parse_time(kz, "2026-11-03T24:00", &t, &why));
	assert_string_equal(why, "hour, minute or second out of range");
	assert_false(gp_cal_parse_time(kz, "03.11.2026 14:00", &t, &why));
	assert_false(gp_cal_parse_time(kz, "2026-11-03T14:00 tomorrow", &t, &why));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_zone_change_2024),
		cmocka_unit_test(test_phone_request_on_friday_evening),
		cmocka_unit_test(test_night_and_exact_end),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_working_saturday_by_decree),
		cmocka_unit_test(test_working_days_after),
		cmocka_unit_test(test_no_working_time_at_all),
		cmocka_unit_test(test_parse_time),
	};
	return cmocka_run_group_tests(tests, load_kz, free_kz);
}
