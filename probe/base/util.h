/*
 * util.h - small helpers shared by every gprobe module: checked allocation,
 * formatted strings, and strict parsers for the scalar types of the config
 * (integers, durations, money, dates).
 *
 * Parsers never print; they return false and leave a reason in `why`
 * (a static string), so the caller can place the error where it belongs.
 */
#ifndef GP_UTIL_H
#define GP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* How many bytes of s, at most max, end on a whole UTF-8 character: for
 * "%.*s", so that a cut text stays valid UTF-8. */
int gp_utf8_prefix(const char *s, int max);

/* Allocation that aborts on exhaustion: a monitoring probe out of memory
 * cannot do anything useful, and checking every small string would hide
 * the real error paths. */
void *gp_xmalloc(size_t n);
void *gp_xcalloc(size_t n, size_t size);
void *gp_xrealloc(void *p, size_t n);
char *gp_xstrdup(const char *s);
char *gp_xstrndup(const char *s, size_t n);
char *gp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Formats a reason into err and returns -1: `return gp_errf(err, len, ...)`. */
int gp_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *gp_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grows *v (of *cap elements of size sz) so that index n fits. */
void gp_grow(void **v, size_t *cap, size_t n, size_t sz);

/* Decimal integer, whole string, within [min, max]. */
bool gp_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out, const char **why);

/* "500ms", "10s", "5m", "2h", "1d" -> milliseconds (> 0). */
bool gp_parse_duration_ms(const char *s, int64_t *out_ms, const char **why);

/* Decimal money "1250000.00" (at most two decimals, no sign, no exponent)
 * -> integer minor units (tiyn). Never goes through floating point. */
bool gp_parse_money(const char *s, int64_t *out_tiyn, const char **why);

/* A calendar date. */
struct gp_date {
	int year, month, day;
};
/* "YYYY-MM-DD", checked against the real calendar (no 2026-02-30). */
bool gp_parse_date(const char *s, struct gp_date *out, const char **why);
int gp_date_cmp(const struct gp_date *a, const struct gp_date *b);
/* Date arithmetic on the proleptic Gregorian calendar. */
int64_t gp_date_days(struct gp_date d); /* days since 1970-01-01 */
struct gp_date gp_date_from_days(int64_t days);
int gp_date_weekday(struct gp_date d); /* 0 = Monday .. 6 = Sunday */

/* "HH:MM" -> minutes since midnight (0..1440; 24:00 allowed as an end). */
bool gp_parse_hhmm(const char *s, int *out_min, const char **why);

/* UTC epoch seconds as ISO 8601 "2026-11-25T05:40:01Z". */
/* Reads a whole regular file of at most max bytes (a FIFO, a device or a
 * directory is refused without reading from it: nothing can hang the
 * reader). Returns malloc'd, NUL-terminated text and its length, or NULL
 * with the reason in err. */
char *gp_read_text_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* A number as people and monitoring tools read it: an integer as an
 * integer (697202257, never 6.97202e+08), anything else with the fewest
 * digits that read back to the same double, never in exponent form; NaN
 * and infinities as "NaN", "Inf", "-Inf" (callers that must not print them
 * check isfinite() first). buf: at least GP_NUMBER_MAX bytes. */
#define GP_NUMBER_MAX 400
const char *gp_format_number(double v, char *buf, size_t len);

/* Monotonic microseconds: the one clock for timers and timings. */
int64_t gp_monotonic_us(void);

void gp_format_utc(int64_t t, char *buf, size_t len);
/* Time zones of the tz database, applied explicitly: nothing here reads
 * or sets the process's TZ (setenv at run time races the getenv of other
 * threads: libcurl's in the alert sender). A gp_tz is the zone's TZif file
 * (TZDIR, default /usr/share/zoneinfo) read once: its transitions and the
 * TZ string in force after them; its owner passes it where times are
 * converted, from any thread (it is read only). NULL stands for UTC. */
struct gp_tz;
/* NULL with the reason in err: not a zone name ("Asia/Almaty"; no "..", no
 * absolute path), no such file, or not a TZif file gprobe reads. */
struct gp_tz *gp_tz_load(const char *name, char *err, size_t errlen);
void gp_tz_free(struct gp_tz *z);
const char *gp_tz_name(const struct gp_tz *z);
/* The UTC offset (seconds east) at UTC moment t: local = t + offset. */
int32_t gp_tz_offset(const struct gp_tz *z, int64_t t);
/* The first moment after t at which the zone's offset may change; false
 * when it never does again. */
bool gp_tz_next_change(const struct gp_tz *z, int64_t t, int64_t *at);
/* The UTC moment of a local time, given as seconds since 1970-01-01T00:00
 * on the zone's clock (gp_date_days(d) * 86400 + seconds of the day).
 * Clocks set back (Asia/Almaty at 2024-03-01 00:00 +06, Berlin's autumn):
 * the earlier of the two moments. Clocks set forward (02:30 in Berlin's
 * spring gap): the offset before the change, so the moment reads as late
 * as the gap is long (03:30 CEST), as glibc's mktime with tm_isdst = -1
 * does for a summer-time gap. */
int64_t gp_tz_utc(const struct gp_tz *z, int64_t local);
/* The same moment in a zone, with its offset: "2026-11-25T10:40:01+05:00". */
void gp_format_tz(int64_t t, const struct gp_tz *z, char *buf, size_t len);
/* gp_format_tz in the zone of that name, read for the call (UTC's "Z" form
 * when it cannot be read, or tz is NULL). */
void gp_format_local(int64_t t, const char *tz, char *buf, size_t len);

/* Formats a duration in ms the way the config writes it ("10s", "1500ms"). */
void gp_format_duration(int64_t ms, char *buf, size_t len);

#endif
