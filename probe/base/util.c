/*
 * util.c - allocation helpers and strict scalar parsers (see util.h).
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void oom(void)
{
	fputs("gprobe: out of memory\n", stderr);
	abort();
}

void *gp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *gp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *gp_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *gp_xstrdup(const char *s)
{
	return gp_xstrndup(s, strlen(s));
}

char *gp_xstrndup(const char *s, size_t n)
{
	char *p = gp_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *gp_xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	char *p = gp_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *gp_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = gp_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void gp_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return;
	size_t nc = *cap ? *cap * 2 : 8;
	while (nc <= n)
		nc *= 2;
	*v = gp_xrealloc(*v, nc * sz);
	*cap = nc;
}

bool gp_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out, const char **why)
{
	if (!s || !*s || isspace((unsigned char)*s)) {
		*why = "expected an integer";
		return false;
	}
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*why = "expected an integer";
		return false;
	}
	if (errno == ERANGE || v < min || v > max) {
		*why = "out of range";
		return false;
	}
	*out = v;
	return true;
}

bool gp_parse_duration_ms(const char *s, int64_t *out_ms, const char **why)
{
	*why = "invalid duration (expected a number and a unit: 500ms, 10s, 5m, 2h, 1d)";
	if (!s || !isdigit((unsigned char)*s))
		return false;
	int64_t n = 0;
	const char *p = s;
	while (isdigit((unsigned char)*p)) {
		if (n > (INT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (*p++ - '0');
	}
	int64_t mult;
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(p, "d") == 0)
		mult = 86400 * 1000;
	else
		return false;
	if (n == 0) {
		*why = "duration must be greater than zero";
		return false;
	}
	/* A year is plenty for any interval or window the probe knows. */
	if (n > (int64_t)366 * 86400 * 1000 / mult) {
		*why = "duration too long (at most 366d)";
		return false;
	}
	*out_ms = n * mult;
	return true;
}

bool gp_parse_money(const char *s, int64_t *out_tiyn, const char **why)
{
	*why = "invalid amount (expected a decimal like \"1250000.00\", at most two decimals)";
	if (!s || !isdigit((unsigned char)*s))
		return false;
	int64_t whole = 0;
	const char *p = s;
	while (isdigit((unsigned char)*p)) {
		if (whole > (INT64_MAX / 100 - 9) / 10) {
			*why = "amount too large";
			return false;
		}
		whole = whole * 10 + (*p++ - '0');
	}
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int digits = 0;
		while (isdigit((unsigned char)*p) && digits < 2) {
			frac = frac * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0)
			return false;
		if (digits == 1)
			frac *= 10;
	}
	if (*p != '\0')
		return false;
	*out_tiyn = whole * 100 + frac;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

bool gp_parse_date(const char *s, struct gp_date *out, const char **why)
{
	*why = "invalid date (expected YYYY-MM-DD)";
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
		*why = "no such date";
		return false;
	}
	out->year = y;
	out->month = m;
	out->day = d;
	return true;
}

int gp_date_cmp(const struct gp_date *a, const struct gp_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

bool gp_parse_hhmm(const char *s, int *out_min, const char **why)
{
	*why = "invalid time of day (expected HH:MM)";
	if (!s || strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return false;
	*out_min = h * 60 + m;
	return true;
}

void gp_format_duration(int64_t ms, char *buf, size_t len)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
	for (size_t i = 0; i < GP_ARRAY_LEN(units); i++) {
		if (ms > 0 && ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ms / units[i].ms, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}

void gp_format_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

void gp_format_local(int64_t t, const char *tz, char *buf, size_t len)
{
	if (!tz || setenv("TZ", tz, 1) != 0) {
		gp_format_utc(t, buf, len);
		return;
	}
	tzset();
	time_t tt = (time_t)t;
	struct tm tm;
	char zone[8];
	if (!localtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		gp_format_utc(t, buf, len);
		return;
	}
	size_t used = strlen(buf);
	/* ISO 8601 wants the colon in the offset: +0500 -> +05:00. */
	snprintf(buf + used, len - used, "%.3s:%.2s", zone, zone + 3);
}

int gp_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int64_t gp_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *gp_read_text_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO does not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		gp_errf(err, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		gp_errf(err, errlen, "not a regular file");
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		gp_errf(err, errlen, "too large (%lld bytes; at most %zu)", (long long)st.st_size, max);
		close(fd);
		return NULL;
	}
	char *buf = gp_xmalloc((size_t)st.st_size + 1);
	size_t n = 0;
	/* The file may grow while read: never past what was allocated. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			gp_errf(err, errlen, "cannot read: %s", strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

const char *gp_format_number(double v, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		/* Exactly an integer (below 2^53 every one is exact). */
		snprintf(buf, len, "%.0f", v);
	} else {
		/* The shortest fixed-point text that reads back to v. */
		for (int prec = 1; prec <= 340; prec++) {
			snprintf(buf, len, "%.*f", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		/* No trailing zeros ("0.5", not "0.500"). */
		char *dot = strchr(buf, '.');
		if (dot) {
			char *e = buf + strlen(buf);
			while (e > dot + 1 && e[-1] == '0')
				*--e = '\0';
			if (e == dot + 1)
				*dot = '\0';
		}
	}
	return buf;
}
