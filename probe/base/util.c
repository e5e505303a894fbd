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
		/* Exactly an integer (below 2^53 every one is exact): written
		 * by hand, since this runs for every value a daemon gets and
		 * printf's floating-point path was a tenth of its time. */
		char digits[24];
		size_t n = 0;
		unsigned long long u = (unsigned long long)fabs(v);
		do {
			digits[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (signbit(v))
			digits[n++] = '-'; /* -0 stays "-0", as printf wrote it */
		size_t i = 0;
		for (; i < n && i + 1 < len; i++)
			buf[i] = digits[n - 1 - i];
		if (len)
			buf[i] = '\0';
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

/* ------------------------------------------------------------------ */
/* Time zones: TZif files read and applied here (see util.h)           */

/* Why not the C library: glibc converts only in the process's zone, the
 * TZ environment variable, and changing it at run time (setenv + tzset)
 * races every getenv of the other threads (libcurl's proxy variables in
 * the alert sender, getaddrinfo's in curl's resolver threads): undefined
 * behaviour. glibc has no localtime_rz/mktime_z. A zone is small (a few
 * hundred transitions and one rule), so it is read once into a gp_tz and
 * converted explicitly, the way glibc's tzfile.c does, with the choices
 * glibc makes (before the first transition: the first standard-time
 * type; from the last one on: the file's TZ string). */

struct gp_tz_change {
	int64_t at;  /* UTC */
	int32_t off; /* seconds east of UTC from `at` on */
};

/* A date of a POSIX TZ rule: Jn (1..365, Feb 29 never counted), n
 * (0..365) or Mm.w.d (weekday d of week w of month m; w = 5: the last). */
struct gp_tz_rule {
	char kind;           /* 'J', 'n', 'M' */
	int day, month, week;
	int32_t secs;        /* local time of the change (may be < 0 or > 24 h) */
};

struct gp_tz {
	char *name;
	struct gp_tz_change *v;
	size_t n;
	int32_t first_off; /* before v[0] */
	/* The TZ string of the file's footer, in force from v[n - 1] on. */
	bool rule;
	bool rule_dst;
	int32_t std_off, dst_off;
	struct gp_tz_rule start, end; /* into and out of DST */
	int32_t max_abs; /* the largest |offset|: bounds local -> UTC */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A zone abbreviation: three or more letters, or <...> of letters, digits
 * and signs. */
static bool tz_abbr(const char **p)
{
	const char *s = *p;
	if (*s == '<') {
		size_t n = 1;
		while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-')
			n++;
		if (s[n] != '>' || n < 4)
			return false;
		*p = s + n + 1;
		return true;
	}
	size_t n = 0;
	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 3)
		return false;
	*p = s + n;
	return true;
}

/* [+-]hh[:mm[:ss]], hours at most max_h. */
static bool tz_hms(const char **p, int max_h, int32_t *out)
{
	const char *s = *p;
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	int part[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		int digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			part[i] = part[i] * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || (i > 0 && (digits != 2 || part[i] > 59)))
			return false;
	}
	if (part[0] > max_h)
		return false;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return true;
}

static bool tz_number(const char **p, int lo, int hi, int *out)
{
	int v = 0, digits = 0;
	while (isdigit((unsigned char)**p) && digits < 3) {
		v = v * 10 + (*(*p)++ - '0');
		digits++;
	}
	*out = v;
	return digits > 0 && v >= lo && v <= hi;
}

static bool tz_rule_date(const char **p, struct gp_tz_rule *r)
{
	r->kind = **p;
	bool ok;
	if (r->kind == 'M') {
		(*p)++;
		ok = tz_number(p, 1, 12, &r->month) && *(*p)++ == '.' &&
		     tz_number(p, 1, 5, &r->week) && *(*p)++ == '.' && tz_number(p, 0, 6, &r->day);
	} else if (r->kind == 'J') {
		(*p)++;
		ok = tz_number(p, 1, 365, &r->day);
	} else {
		r->kind = 'n';
		ok = tz_number(p, 0, 365, &r->day);
	}
	if (!ok)
		return false;
	r->secs = 2 * 3600;
	if (**p == '/') {
		(*p)++;
		return tz_hms(p, 167, &r->secs); /* RFC 8536's extension */
	}
	return true;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3", "<+05>-5": POSIX offsets count west. A DST
 * part without rules (the C library would guess the US ones) is refused. */
static bool tz_parse_rule(struct gp_tz *z, const char *s)
{
	int32_t w;
	if (!tz_abbr(&s) || !tz_hms(&s, 24, &w))
		return false;
	z->std_off = z->dst_off = -w;
	z->rule = true;
	if (*s == '\0')
		return true;
	if (!tz_abbr(&s))
		return false;
	z->dst_off = z->std_off + 3600;
	if (*s != ',') {
		if (!tz_hms(&s, 24, &w))
			return false;
		z->dst_off = -w;
	}
	z->rule_dst = true;
	return *s++ == ',' && tz_rule_date(&s, &z->start) && *s++ == ',' &&
	       tz_rule_date(&s, &z->end) && *s == '\0';
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The UTC moment rule r changes the clock in year y, from offset `from`. */
static int64_t tz_rule_at(const struct gp_tz_rule *r, int y, int32_t from)
{
	int64_t day;
	if (r->kind == 'J') {
		day = gp_date_days((struct gp_date){y, 1, 1}) + r->day - 1 +
		      (leap_year(y) && r->day >= 60);
	} else if (r->kind == 'n') {
		day = gp_date_days((struct gp_date){y, 1, 1}) + r->day;
	} else {
		struct gp_date first = {y, r->month, 1};
		int64_t d1 = gp_date_days(first);
		int sunday_based = (gp_date_weekday(first) + 1) % 7;
		day = d1 + (r->day - sunday_based + 7) % 7 + 7 * (r->week - 1);
		int next_month = r->month == 12 ? 1 : r->month + 1;
		int64_t end = gp_date_days((struct gp_date){r->month == 12 ? y + 1 : y, next_month, 1});
		while (day >= end)
			day -= 7;
	}
	return day * 86400 + r->secs - from;
}

/* The rule's changes around t (UTC years y-1 .. y+2), in time order: at
 * most eight. Returns how many. */
static size_t tz_rule_changes(const struct gp_tz *z, int64_t t, struct gp_tz_change *out)
{
	int y = gp_date_from_days(floor_div(t, 86400)).year;
	size_t n = 0;
	for (int k = y - 1; k <= y + 2; k++) {
		out[n++] = (struct gp_tz_change){tz_rule_at(&z->start, k, z->std_off), z->dst_off};
		out[n++] = (struct gp_tz_change){tz_rule_at(&z->end, k, z->dst_off), z->std_off};
	}
	for (size_t i = 1; i < n; i++) /* insertion sort of eight */
		for (size_t j = i; j > 0 && out[j].at < out[j - 1].at; j--) {
			struct gp_tz_change c = out[j];
			out[j] = out[j - 1];
			out[j - 1] = c;
		}
	return n;
}

static bool tz_by_rule(const struct gp_tz *z, int64_t t)
{
	return z->rule && z->n > 0 && t >= z->v[z->n - 1].at;
}

int32_t gp_tz_offset(const struct gp_tz *z, int64_t t)
{
	if (!z)
		return 0;
	if (z->n == 0 || t < z->v[0].at)
		return z->first_off;
	if (tz_by_rule(z, t)) {
		if (!z->rule_dst)
			return z->std_off;
		struct gp_tz_change c[8];
		size_t n = tz_rule_changes(z, t, c);
		int32_t off = c[0].off == z->dst_off ? z->std_off : z->dst_off;
		for (size_t i = 0; i < n && c[i].at <= t; i++)
			off = c[i].off;
		return off;
	}
	size_t lo = 0, hi = z->n; /* the last change at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->v[mid].at <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->v[lo].off;
}

bool gp_tz_next_change(const struct gp_tz *z, int64_t t, int64_t *at)
{
	if (!z || z->n == 0)
		return false;
	if (t < z->v[0].at) {
		*at = z->v[0].at;
		return true;
	}
	if (tz_by_rule(z, t)) {
		if (!z->rule_dst)
			return false;
		struct gp_tz_change c[8];
		size_t n = tz_rule_changes(z, t, c);
		for (size_t i = 0; i < n; i++)
			if (c[i].at > t) {
				*at = c[i].at;
				return true;
			}
		return false;
	}
	size_t lo = 0, hi = z->n; /* the first change after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->v[mid].at <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == z->n)
		return false;
	*at = z->v[lo].at;
	return true;
}

int64_t gp_tz_utc(const struct gp_tz *z, int64_t local)
{
	if (!z)
		return local;
	/* Every moment that reads `local`, and every change whose gap holds
	 * it, lies within max_abs of it: walk the spans of one offset in
	 * there, in time order. */
	int64_t start = local - z->max_abs, end = local + z->max_abs, gap = 0;
	bool in_gap = false;
	int32_t off = gp_tz_offset(z, start);
	for (;;) {
		int64_t next;
		bool more = gp_tz_next_change(z, start, &next) && next <= end;
		int64_t u = local - off;
		if (u >= start && (!more || u < next))
			return u; /* the earliest moment that reads `local` */
		if (!more)
			break;
		int32_t after = gp_tz_offset(z, next);
		if (!in_gap && after > off && local >= next + off && local < next + after) {
			in_gap = true; /* skipped: the offset before the change */
			gap = local - off;
		}
		start = next;
		off = after;
	}
	return in_gap ? gap : local - off;
}

static bool tzif_parse(struct gp_tz *z, const unsigned char *p, size_t len, const char **why)
{
	*why = "not a TZif file";
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	size_t tsize = 4, at = 0;
	for (int pass = 0;; pass++) {
		if (len - at < 44 || memcmp(p + at, "TZif", 4) != 0)
			return false;
		const unsigned char *h = p + at;
		uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28),
			 timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
		if (isut > len || isstd > len || leap > len || timecnt > len || typecnt > len ||
		    charcnt > len)
			return false;
		size_t body = (size_t)timecnt * (tsize + 1) + (size_t)typecnt * 6 + charcnt +
			      (size_t)leap * (tsize + 4) + isstd + isut;
		at += 44;
		if (len - at < body)
			return false;
		if (pass == 0 && h[4] >= '2') {
			at += body; /* the 32-bit data: the 64-bit block follows */
			tsize = 8;
			continue;
		}
		if (leap != 0) {
			*why = "a zone with leap seconds (right/...), which gprobe does not take";
			return false;
		}
		if (typecnt == 0 || (isut && isut != typecnt) || (isstd && isstd != typecnt)) {
			*why = "a TZif file with inconsistent counts";
			return false;
		}
		const unsigned char *times = p + at, *idx = times + (size_t)timecnt * tsize,
				    *types = idx + timecnt;
		*why = "a TZif file with bad local time types";
		int32_t first = INT32_MIN;
		z->max_abs = 0;
		for (uint32_t i = 0; i < typecnt; i++) {
			int32_t off = (int32_t)be32(types + 6 * i);
			if (off < -89999 || off > 93599 || types[6 * i + 4] > 1 ||
			    types[6 * i + 5] >= charcnt)
				return false;
			if (first == INT32_MIN && types[6 * i + 4] == 0)
				first = off; /* glibc: the first standard-time type */
			if ((off < 0 ? -off : off) > z->max_abs)
				z->max_abs = off < 0 ? -off : off;
		}
		z->first_off = first != INT32_MIN ? first : (int32_t)be32(types);
		z->v = gp_xcalloc(timecnt ? timecnt : 1, sizeof(*z->v));
		for (uint32_t i = 0; i < timecnt; i++) {
			int64_t t = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
			if (idx[i] >= typecnt || (i > 0 && t <= z->v[i - 1].at)) {
				*why = "a TZif file with bad transitions";
				return false;
			}
			z->v[i] = (struct gp_tz_change){t, (int32_t)be32(types + 6 * idx[i])};
		}
		z->n = timecnt;
		at += body;
		break;
	}
	if (tsize == 4)
		return true; /* version 1: no footer */
	const char *foot = (const char *)p + at;
	const char *nl = at < len && foot[0] == '\n' ? memchr(foot + 1, '\n', len - at - 1) : NULL;
	if (!nl) {
		*why = "a TZif file without its TZ string";
		return false;
	}
	if (nl == foot + 1)
		return true; /* empty: the last type stays */
	char rule[128];
	size_t rlen = (size_t)(nl - foot - 1);
	if (rlen >= sizeof(rule) || memchr(foot + 1, '\0', rlen)) {
		*why = "a TZif file with a bad TZ string";
		return false;
	}
	memcpy(rule, foot + 1, rlen);
	rule[rlen] = '\0';
	if (!tz_parse_rule(z, rule)) {
		*why = "a TZif file whose TZ string gprobe does not understand";
		return false;
	}
	int32_t rule_abs[2] = {z->std_off < 0 ? -z->std_off : z->std_off,
			       z->dst_off < 0 ? -z->dst_off : z->dst_off};
	for (int i = 0; i < 2; i++)
		if (rule_abs[i] > z->max_abs)
			z->max_abs = rule_abs[i];
	return true;
}

struct gp_tz *gp_tz_load(const char *name, char *err, size_t errlen)
{
	if (!name || !*name || name[0] == '/' || strstr(name, "..")) {
		gp_errf(err, errlen, "'%s' is not a zone name of the tz database",
			name ? name : "");
		return NULL;
	}
	const char *dir = getenv("TZDIR");
	char *path = gp_xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	char why[256];
	size_t len;
	char *data = gp_read_text_file(path, 1 << 20, &len, why, sizeof(why));
	if (!data) {
		gp_errf(err, errlen, "time zone %s: %s: %s", name, path, why);
		free(path);
		return NULL;
	}
	struct gp_tz *z = gp_xcalloc(1, sizeof(*z));
	const char *reason;
	if (!tzif_parse(z, (const unsigned char *)data, len, &reason)) {
		gp_errf(err, errlen, "time zone %s: %s is %s", name, path, reason);
		gp_tz_free(z);
		z = NULL;
	} else {
		z->name = gp_xstrdup(name);
	}
	free(data);
	free(path);
	return z;
}

void gp_tz_free(struct gp_tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->v);
	free(z);
}

const char *gp_tz_name(const struct gp_tz *z)
{
	return z ? z->name : "UTC";
}

void gp_format_tz(int64_t t, const struct gp_tz *z, char *buf, size_t len)
{
	int32_t off = gp_tz_offset(z, t);
	time_t lt = (time_t)(t + off);
	struct tm tm;
	if (!gmtime_r(&lt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		gp_format_utc(t, buf, len);
		return;
	}
	/* ISO 8601 with the colon: +05:00 (seconds of an old local mean
	 * time are cut, as strftime's %z cuts them). */
	int32_t m = (off < 0 ? -off : off) / 60;
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(m / 60),
		 (int)(m % 60));
}

void gp_format_local(int64_t t, const char *tz, char *buf, size_t len)
{
	char err[256];
	struct gp_tz *z = tz ? gp_tz_load(tz, err, sizeof(err)) : NULL;
	if (!z) {
		gp_format_utc(t, buf, len);
		return;
	}
	gp_format_tz(t, z, buf, len);
	gp_tz_free(z);
}

int gp_utf8_prefix(const char *s, int max)
{
	int n = 0;
	while (n < max && s[n])
		n++;
	if (s[n] == '\0' || n == 0)
		return n;
	/* s[n] is where the cut falls: back off while it is a continuation
	 * byte, so the character it belongs to is left out whole. */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}
