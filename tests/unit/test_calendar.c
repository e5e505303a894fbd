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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* ------------------------------------------------------------------ */
/* The zone, converted explicitly                                      */

static void test_berlin_gap_and_overlap(void **state)
{
	(void)state;
	char berlin_name[] = "Europe/Berlin";
	struct gp_calendar berlin = *kz;
	berlin.timezone = berlin_name;
	/* Expected values: Python's zoneinfo, fold=0. Spring: 02:30 does not
	 * exist; read with the offset before (+01:00), it is 03:30 CEST. */
	assert_int_equal(gp_cal_local_time(&berlin, D(2026, 3, 29), 150), 1774747800);
	/* Autumn: 02:30 occurs twice; the earlier (+02:00). */
	assert_int_equal(gp_cal_local_time(&berlin, D(2026, 10, 25), 150), 1792888200);
	/* Summer working hours. */
	assert_int_equal(gp_cal_local_time(&berlin, D(2026, 7, 1), 9 * 60), 1782889200);
	assert_int_equal(gp_cal_working_between(&berlin, 1782889200 - HOUR, 1782921600 + HOUR),
			 9 * HOUR);
	/* Almaty's 23:30 on 2024-02-29 occurred at +06:00 and again at +05:00. */
	int64_t t;
	const char *why;
	assert_true(gp_cal_parse_time(kz, "2024-02-29T23:30", &t, &why));
	assert_int_equal(t, 1709227800);
	struct gp_date d = gp_cal_local_date(kz, 1709231400); /* the second 23:30 */
	assert_int_equal(gp_date_cmp(&d, &(struct gp_date){2024, 2, 29}), 0);
	d = gp_cal_local_date(kz, 1709233200); /* 19:00Z: midnight at +05:00 */
	assert_int_equal(gp_date_cmp(&d, &(struct gp_date){2024, 3, 1}), 0);

	char buf[40];
	gp_format_local(1709227800, "Asia/Almaty", buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T23:30:00+06:00");
	gp_format_local(1709231400, "Asia/Almaty", buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T23:30:00+05:00");
	gp_format_local(1792891800, "Europe/Berlin", buf, sizeof(buf));
	assert_string_equal(buf, "2026-10-25T02:30:00+01:00");
	gp_format_local(-1, "America/St_Johns", buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T20:29:59-03:30");
	gp_format_local(1709227800, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T17:30:00Z");
}

static void test_zone_load_errors(void **state)
{
	(void)state;
	char err[512];
	assert_null(gp_tz_load("../../etc/passwd", err, sizeof(err)));
	assert_non_null(strstr(err, "not a zone name"));
	assert_null(gp_tz_load("/etc/localtime", err, sizeof(err)));
	assert_null(gp_tz_load("Asia/Nowhere", err, sizeof(err)));
	assert_non_null(strstr(err, "Asia/Nowhere"));
	assert_null(gp_tz_load("zone.tab", err, sizeof(err)));
	assert_non_null(strstr(err, "not a TZif file"));
	struct gp_tz *z = gp_tz_load("Asia/Almaty", err, sizeof(err));
	assert_non_null(z);
	assert_string_equal(gp_tz_name(z), "Asia/Almaty");
	gp_tz_free(z);
	/* NULL is UTC. */
	assert_int_equal(gp_tz_offset(NULL, 1709227800), 0);
	assert_int_equal(gp_tz_utc(NULL, 1709227800), 1709227800);
}

/* Nothing of the process's environment changes while times are formatted,
 * parsed and walked in two zones: not TZ, not environ (its array or any
 * entry), not what tzset() made of TZ. */
static void test_no_environment_change(void **state)
{
	(void)state;
	extern char **environ;
	const char *tz0 = getenv("TZ");
	char *saved_tz = tz0 ? strdup(tz0) : NULL;
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0); /* not a zone used below */
	tzset();
	char **env = environ;
	size_t n = 0;
	while (env[n])
		n++;
	char **ptrs = malloc((n + 1) * sizeof(*ptrs));
	char **copy = malloc((n + 1) * sizeof(*copy));
	for (size_t i = 0; i <= n; i++) {
		ptrs[i] = env[i];
		copy[i] = env[i] ? strdup(env[i]) : NULL;
	}
	const char *tz_value = getenv("TZ");
	char name0[16], name1[16];
	snprintf(name0, sizeof(name0), "%s", tzname[0]);
	snprintf(name1, sizeof(name1), "%s", tzname[1]);
	long tz_timezone = timezone;

	char berlin_name[] = "Europe/Berlin";
	struct gp_calendar berlin = *kz;
	berlin.timezone = berlin_name;
	const struct gp_calendar *cals[] = {kz, &berlin};
	const char *zones[] = {"Asia/Almaty", "Europe/Berlin"};
	for (int k = 0; k < 2; k++) {
		char buf[40];
		int64_t t;
		const char *why;
		gp_format_local(1709227800, zones[k], buf, sizeof(buf));
		assert_true(gp_cal_parse_time(cals[k], "2026-03-29T02:30", &t, &why));
		assert_true(gp_cal_parse_time(cals[k], "2024-03-01", &t, &why));
		gp_cal_working_between(cals[k], t, t + 40 * 86400);
		gp_cal_add_working(cals[k], t, 20 * HOUR);
		gp_cal_add_working_days(cals[k], t, 5);
		gp_cal_local_date(cals[k], t);
	}

	assert_ptr_equal(environ, env);
	for (size_t i = 0; i <= n; i++) {
		assert_ptr_equal(environ[i], ptrs[i]);
		if (copy[i])
			assert_string_equal(environ[i], copy[i]);
	}
	assert_ptr_equal(getenv("TZ"), tz_value);
	assert_string_equal(getenv("TZ"), "America/New_York");
	assert_string_equal(tzname[0], name0);
	assert_string_equal(tzname[1], name1);
	assert_int_equal(timezone, tz_timezone);
	assert_string_equal(name0, "EST");
	for (size_t i = 0; i <= n; i++)
		free(copy[i]);
	free(copy);
	free(ptrs);
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
}

/* glibc's answers in a child with TZ=zone: for each UTC moment its offset
 * and local clock (localtime_r), for each local clock mktime's moment
 * (tm_isdst = -1; INT64_MIN when it fails). */
#define MKTIME_FAILED INT64_MIN
static int64_t glibc_local_seconds(const struct tm *tm)
{
	return gp_date_days((struct gp_date){tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday}) *
		       86400 +
	       tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}

static bool glibc_answers(const char *zone, const int64_t *utc, size_t n_utc,
			  const int64_t *local, size_t n_local, int64_t *out)
{
	int fd[2];
	if (pipe(fd) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	size_t n_out = 2 * n_utc + n_local;
	if (pid == 0) {
		close(fd[0]);
		setenv("TZ", zone, 1); /* the child's own environment */
		tzset();
		int64_t *res = malloc(n_out * sizeof(*res));
		for (size_t i = 0; i < n_utc; i++) {
			time_t tt = (time_t)utc[i];
			struct tm tm;
			localtime_r(&tt, &tm);
			res[2 * i] = tm.tm_gmtoff;
			res[2 * i + 1] = glibc_local_seconds(&tm);
		}
		for (size_t i = 0; i < n_local; i++) {
			time_t tt = (time_t)local[i];
			struct tm tm;
			gmtime_r(&tt, &tm);
			tm.tm_isdst = -1;
			errno = 0;
			time_t r = mktime(&tm);
			res[2 * n_utc + i] = r == (time_t)-1 && errno ? MKTIME_FAILED : (int64_t)r;
		}
		const char *p = (const char *)res;
		size_t left = n_out * sizeof(*res);
		while (left > 0) {
			ssize_t w = write(fd[1], p, left);
			if (w <= 0)
				_exit(1);
			p += w;
			left -= (size_t)w;
		}
		_exit(0);
	}
	close(fd[1]);
	char *p = (char *)out;
	size_t left = n_out * sizeof(*out);
	while (left > 0) {
		ssize_t r = read(fd[0], p, left);
		if (r <= 0)
			break;
		p += r;
		left -= (size_t)r;
	}
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	return left == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct instants {
	int64_t *v;
	size_t n, cap;
};

static void add(struct instants *s, int64_t t)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = t;
}

struct verdicts {
	size_t utc, plain, overlap_same, overlap_later, gap_same, gap_other, gap_failed, wrong;
	size_t gap_other_since_1993;
};

static bool reads(const struct gp_tz *z, int64_t u, int64_t local)
{
	return u + gp_tz_offset(z, u) == local;
}

/* From lo (UTC) to 2100. */
static void compare_zone(const char *zone, int64_t lo, struct verdicts *v)
{
	char err[512];
	struct gp_tz *z = gp_tz_load(zone, err, sizeof(err));
	if (!z)
		fail_msg("%s", err);
	const int64_t hi = 4102444800LL;  /* 2100-01-01 */
	struct instants utc = {0}, local = {0};
	/* Around every change: both sides, to the second. */
	int64_t at = lo;
	while (gp_tz_next_change(z, at, &at) && at < hi) {
		int32_t before = gp_tz_offset(z, at - 1), after = gp_tz_offset(z, at);
		for (int d = -2; d <= 2; d++)
			add(&utc, at + d * (d == -2 || d == 2 ? 1800 : 1));
		const int64_t sides[] = {at + before, at + after, at + (before + after) / 2};
		for (size_t s = 0; s < GP_ARRAY_LEN(sides); s++)
			for (int d = -1; d <= 1; d++)
				add(&local, sides[s] + d);
	}
	/* Every three hours of 2023..2026 (the Almaty change), then scattered
	 * moments of lo..2100 (the TZ string after 2037). */
	for (int64_t t = 1672531200; t < 1798761600; t += 3 * HOUR) {
		add(&utc, t);
		add(&local, t);
	}
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		int64_t t = lo + (int64_t)((seed >> 11) % (uint64_t)(hi - lo));
		add(&utc, t);
		add(&local, t);
	}
	int64_t *g = malloc((2 * utc.n + local.n) * sizeof(*g));
	assert_true(glibc_answers(zone, utc.v, utc.n, local.v, local.n, g));
	int shown = 0;
	for (size_t i = 0; i < utc.n; i++) {
		int32_t off = gp_tz_offset(z, utc.v[i]);
		v->utc++;
		if (g[2 * i] != off || g[2 * i + 1] != utc.v[i] + off) {
			v->wrong++;
			if (shown++ < 5)
				print_message("%s: UTC %lld: glibc offset %lld, ours %d\n", zone,
					      (long long)utc.v[i], (long long)g[2 * i], off);
		}
	}
	for (size_t i = 0; i < local.n; i++) {
		int64_t l = local.v[i], ours = gp_tz_utc(z, l), theirs = g[2 * utc.n + i];
		bool ok;
		if (reads(z, ours, l)) {
			int64_t next;
			bool twice = gp_tz_next_change(z, ours, &next) &&
				     reads(z, l - gp_tz_offset(z, next), l) &&
				     l - gp_tz_offset(z, next) > ours;
			/* Twice: ours is the earlier; glibc's mktime takes either
			 * (it starts from the offset of its previous call). */
			ok = theirs == ours || (twice && reads(z, theirs, l) && theirs > ours);
			if (!twice)
				v->plain++;
			else if (theirs == ours)
				v->overlap_same++;
			else
				v->overlap_later++;
		} else {
			/* Skipped: ours reads later by the gap. glibc's mktime
			 * does the same for a gap into summer time; where both
			 * sides are standard (Almaty's +05 -> +06 of 1930 and
			 * 1992), both summer (Berlin's 1945) or "summer" is
			 * winter (Dublin's negative DST) it may read earlier,
			 * or fail. */
			int64_t other = l - gp_tz_offset(z, ours);
			ok = theirs == ours || theirs == other || theirs == MKTIME_FAILED;
			if (theirs == ours)
				v->gap_same++;
			else if (theirs == other) {
				v->gap_other++;
				v->gap_other_since_1993 += l >= 725846400;
			}
			else
				v->gap_failed++;
		}
		if (!ok) {
			v->wrong++;
			if (shown++ < 5)
				print_message("%s: local %lld: glibc %lld, ours %lld\n", zone,
					      (long long)l, (long long)theirs, (long long)ours);
		}
	}
	free(g);
	free(utc.v);
	free(local.v);
	gp_tz_free(z);
}

static void test_zones_agree_with_glibc(void **state)
{
	(void)state;
	static const char *const zones[] = {
		"Asia/Almaty",	      "Europe/Berlin",	     "America/New_York",
		"Australia/Sydney",   "Australia/Lord_Howe", "Pacific/Chatham",
		"Europe/Dublin",      "Africa/Casablanca",   "Pacific/Apia",
		"America/Sao_Paulo",  "Asia/Tehran",	     "Antarctica/Troll",
		"America/Nuuk",	      "Asia/Kolkata",	     "Pacific/Kiritimati",
		"America/Santiago",   "Asia/Gaza",	     "America/St_Johns",
		"Europe/Moscow",      "UTC",
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(zones); i++) {
		struct verdicts v = {0};
		compare_zone(zones[i], -3786825600LL /* 1850 */, &v);
		print_message("%-20s %zu UTC moments; local: %zu plain, %zu twice (%zu glibc later), "
			      "%zu skipped (%zu glibc other way, %zu glibc failed)\n",
			      zones[i], v.utc, v.plain, v.overlap_same + v.overlap_later,
			      v.overlap_later, v.gap_same + v.gap_other + v.gap_failed, v.gap_other,
			      v.gap_failed);
		assert_int_equal(v.wrong, 0);
		if (i < 2) {
			/* Almaty and Berlin have both kinds, and every gap
			 * since 1993 is read as glibc reads it. */
			assert_true(v.overlap_same + v.overlap_later > 0);
			assert_true(v.gap_same > 0);
			assert_int_equal(v.gap_other_since_1993, 0);
		}
	}
}

/* A TZif file of one zone, written as zic would for a zone whose rules
 * are all in its TZ string: one change to standard time in 1900, then
 * the string. */
static void write_tzif(const char *path, int32_t std_off, const char *rule)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	unsigned char h[44] = "TZif2";
	fwrite(h, 1, 44, f); /* version 1 block: no data */
	h[35] = 1;	     /* timecnt */
	h[39] = 1;	     /* typecnt */
	h[43] = 4;	     /* charcnt */
	fwrite(h, 1, 44, f);
	const int64_t at = -2208988800LL; /* 1900-01-01 */
	for (int i = 7; i >= 0; i--)
		fputc((int)((uint64_t)at >> (8 * i)) & 0xff, f);
	fputc(0, f); /* its type */
	for (int i = 3; i >= 0; i--)
		fputc((int)((uint32_t)std_off >> (8 * i)) & 0xff, f);
	fputc(0, f);
	fputc(0, f);
	fwrite("STD", 1, 4, f);
	fprintf(f, "\n%s\n", rule);
	fclose(f);
}

/* The TZ string's rules (a zone past its table, and the whole of a slim
 * file's recent years) against glibc's own reading of them, and slim
 * files of real zones compiled by zic. TZDIR points both readers there. */
static void test_tz_strings_agree_with_glibc(void **state)
{
	(void)state;
	char dir[] = "/tmp/gprobe-tz-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	setenv("TZDIR", dir, 1);
	static const struct {
		int32_t std_off;
		const char *rule;
	} strings[] = {
		{3600, "CET-1CEST,M3.5.0,M10.5.0/3"},
		{-18000, "EST5EDT,M3.2.0,M11.1.0"},
		{36000, "AEST-10AEDT,M10.1.0,M4.1.0/3"},		/* DST over New Year */
		{37800, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"},	/* half-hour DST */
		{45900, "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"},
		{12600, "<+0330>-3:30<+0430>,J79/24,J263/24"},	/* Julian days */
		{-7200, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"},		/* negative times */
		{3600, "IST-1GMT0,M10.5.0,M3.5.0/1"},		/* negative DST */
		{7200, "EET-2EEST,59/0,300/0"},			/* zero-based days */
		{18000, "<+05>-5"},
		{14400, "<+04>-4<+05>,J60/0,J300"},
	};
	struct verdicts v = {0};
	for (size_t i = 0; i < GP_ARRAY_LEN(strings); i++) {
		char *path = gp_xasprintf("%s/Rule%zu", dir, i);
		write_tzif(path, strings[i].std_off, strings[i].rule);
		free(path);
		char name[16];
		snprintf(name, sizeof(name), "Rule%zu", i);
		/* From 1971: glibc reads a TZ string's year before 1971 as 1970. */
		compare_zone(name, 31536000, &v);
		assert_int_equal(v.wrong, 0);
	}
	/* Summer time all year (RFC 8536's example): ours says so on New
	 * Year's night too, where glibc, reading the rule for the UTC year,
	 * says standard time. */
	char *path = gp_xasprintf("%s/AllYear", dir);
	write_tzif(path, -18000, "EST5EDT,0/0,J365/25");
	free(path);
	char err[512];
	struct gp_tz *z = gp_tz_load("AllYear", err, sizeof(err));
	assert_non_null(z);
	assert_int_equal(gp_tz_offset(z, 63086400), -4 * HOUR); /* 1972-01-01T00:00Z */
	assert_int_equal(gp_tz_offset(z, 78796800), -4 * HOUR); /* 1972-07-01 */
	gp_tz_free(z);
	/* Real zones, slim: Berlin's table ends in 1996, Sydney's in 2008. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("zic", "zic", "-b", "slim", "-d", dir, "/usr/share/zoneinfo/tzdata.zi",
		       (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		static const char *const zones[] = {"Asia/Almaty", "Europe/Berlin",
						    "Australia/Sydney", "America/Nuuk",
						    "Europe/Dublin", "America/Santiago"};
		for (size_t i = 0; i < GP_ARRAY_LEN(zones); i++)
			compare_zone(zones[i], -3786825600LL, &v);
		assert_int_equal(v.wrong, 0);
	} else {
		print_message("no zic: slim files not compared\n");
	}
	char *rm = gp_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
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
		cmocka_unit_test(test_berlin_gap_and_overlap),
		cmocka_unit_test(test_zone_load_errors),
		cmocka_unit_test(test_no_environment_change),
		cmocka_unit_test(test_zones_agree_with_glibc),
		cmocka_unit_test(test_tz_strings_agree_with_glibc),
	};
	return cmocka_run_group_tests(tests, load_kz, free_kz);
}
