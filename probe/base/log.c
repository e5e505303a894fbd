/*
 * log.c - timestamped, levelled log lines (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <time.h>

void gp_log(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gp_logv(lg, level, fmt, ap);
	va_end(ap);
}

void gp_logv(const struct gp_logger *lg, enum gp_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
	if (!lg || level > lg->level)
		return;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	FILE *out = lg->out ? lg->out : stderr;
	/* One line at a time: the alert sender logs from its own thread. */
	flockfile(out);
	fprintf(out, "%s %s ", ts, names[level <= GP_LOG_DEBUG ? level : GP_LOG_DEBUG]);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
	funlockfile(out);
}
