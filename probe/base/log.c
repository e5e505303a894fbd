/*
 * log.c - timestamped, levelled log lines (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void gp_log(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gp_logv(lg, level, fmt, ap);
	va_end(ap);
}

void gp_log_hold_init(struct gp_log_hold *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->stamp_sec = (time_t)-1;
}

void gp_log_hold_done(struct gp_log_hold *h)
{
	pthread_mutex_destroy(&h->lock);
}

static FILE *out_of(const struct gp_logger *lg)
{
	return lg->out ? lg->out : stderr;
}

static void put(FILE *out, const char *text, size_t n)
{
	flockfile(out);
	fwrite(text, 1, n, out);
	fflush(out);
	funlockfile(out);
}

/* With h->lock held. */
static void flush_held(const struct gp_logger *lg, struct gp_log_hold *h)
{
	if (h->n)
		put(out_of(lg), h->data, h->n);
	h->n = 0;
}

void gp_log_flush(const struct gp_logger *lg)
{
	if (!lg || !lg->hold)
		return;
	pthread_mutex_lock(&lg->hold->lock);
	flush_held(lg, lg->hold);
	pthread_mutex_unlock(&lg->hold->lock);
}

static void stamp(time_t now, char *ts, size_t size)
{
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void gp_logv(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
	if (!lg || level > lg->level)
		return;
	struct gp_log_hold *h = lg->hold;
	time_t now = time(NULL);
	char ts[24];
	if (h) {
		/* One strftime a second, not a line. */
		pthread_mutex_lock(&h->lock);
		if (h->stamp_sec != now) {
			stamp(now, h->stamp, sizeof(h->stamp));
			h->stamp_sec = now;
		}
		memcpy(ts, h->stamp, sizeof(ts));
		pthread_mutex_unlock(&h->lock);
	} else {
		stamp(now, ts, sizeof(ts));
	}
	/* The whole line formatted first and written at once: stderr is
	 * unbuffered, and three writes a line cost a busy daemon's debug log
	 * a system call each (about 7 us a value at 10,000 values a second). */
	char line[2048];
	int head = snprintf(line, sizeof(line), "%s %s ", ts,
			    names[level <= GP_LOG_DEBUG ? level : GP_LOG_DEBUG]);
	va_list again;
	va_copy(again, ap);
	int body = vsnprintf(line + head, sizeof(line) - (size_t)head, fmt, ap);
	char *big = NULL, *text = line;
	size_t n = (size_t)head + (body > 0 ? (size_t)body : 0);
	if (body >= 0 && n + 1 >= sizeof(line)) {
		big = malloc(n + 2);
		if (big) {
			memcpy(big, line, (size_t)head);
			vsnprintf(big + head, (size_t)body + 1, fmt, again);
			text = big;
		} else {
			n = sizeof(line) - 2; /* cut, still a line */
		}
	}
	va_end(again);
	text[n++] = '\n';
	if (!h) {
		put(out_of(lg), text, n);
		free(big);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (level != GP_LOG_DEBUG || h->n + n > sizeof(h->data))
		flush_held(lg, h);
	if (level == GP_LOG_DEBUG && n <= sizeof(h->data)) {
		memcpy(h->data + h->n, text, n);
		h->n += n;
	} else {
		put(out_of(lg), text, n);
	}
	pthread_mutex_unlock(&h->lock);
	free(big);
}
