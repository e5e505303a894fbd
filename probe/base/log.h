/*
 * log.h - the daemon's and the CLI's log lines on stderr:
 *   2026-11-25T05:40:01Z INFO  message
 * The logger is a value owned by main() and passed to who needs it.
 */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "collector.h" /* enum gp_log_level */

/* Debug lines held back and written together: a verbose daemon logs a
 * line per value, and a write(2) per line was a tenth of its CPU. Only
 * DEBUG lines wait; any other line first writes what is held, then
 * itself, so order is kept and nothing of consequence waits. The owner
 * flushes (gp_log_flush) at least once a second and before it exits; a
 * crash loses what is held. */
struct gp_log_hold {
	pthread_mutex_t lock; /* the alert sender logs from its own thread */
	size_t n;
	time_t stamp_sec; /* the second stamp[] was made for */
	char stamp[24];
	char data[65536];
};

struct gp_logger {
	FILE *out;
	enum gp_log_level level; /* lines above it are dropped */
	struct gp_log_hold *hold; /* NULL: every line written at once */
};

void gp_log(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gp_logv(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Writes the held lines, if any. */
void gp_log_flush(const struct gp_logger *lg);

/* A hold ready for gp_logger.hold; gp_log_hold_done flushes nothing. */
void gp_log_hold_init(struct gp_log_hold *h);
void gp_log_hold_done(struct gp_log_hold *h);

#endif
