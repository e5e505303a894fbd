/*
 * log.h - the daemon's and the CLI's log lines on stderr:
 *   2026-11-25T05:40:01Z INFO  message
 * The logger is a value owned by main() and passed to who needs it.
 */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "collector.h" /* enum gp_log_level */

struct gp_logger {
	FILE *out;
	enum gp_log_level level; /* lines above it are dropped */
};

void gp_log(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gp_logv(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
