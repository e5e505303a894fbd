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
/* The same moment in a tz database zone, with its offset:
 * "2026-11-25T10:40:01+05:00". For commands, not the daemon: it sets the
 * process's TZ. */
void gp_format_local(int64_t t, const char *tz, char *buf, size_t len);

/* Formats a duration in ms the way the config writes it ("10s", "1500ms"). */
void gp_format_duration(int64_t ms, char *buf, size_t len);

#endif
