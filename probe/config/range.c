/*
 * range.c - Nagios threshold ranges (see range.h).
 */
#include "range.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest number a range takes, as written back (write_number): a
 * range of two such fits the 64 bytes its users give gp_range_format. */
#define MAX_NUMBER 24

/* The shortest decimal without an exponent that reads back as v: what
 * parse_number takes (so never %g's "1e+06"), with every digit the
 * threshold has (never %g's six: 10.123456789 stays itself). False when
 * there is none of at most MAX_NUMBER characters. */
static bool write_number(double v, char *buf, size_t len)
{
	char tmp[GP_NUMBER_MAX];
	gp_format_number(v, tmp, sizeof(tmp));
	size_t n = strlen(tmp);
	if (n > MAX_NUMBER || n >= len)
		return false;
	memcpy(buf, tmp, n + 1);
	return true;
}

/* A number as the guidelines allow it: optional sign, digits, a fraction;
 * one that write_number can write back (".5" is "0.5", 0000001 is 1). */
static bool parse_number(const char *s, size_t len, double *out)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (!(isdigit((unsigned char)c) || c == '.' || ((c == '-' || c == '+') && i == 0)))
			return false;
	}
	char *end;
	errno = 0;
	*out = strtod(buf, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) && write_number(*out, buf, sizeof(buf));
}

bool gp_range_parse(const char *text, struct gp_range *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	*why = "invalid range (expected N, N:, ~:N, N:M or @N:M)";
	if (!text || !*text)
		return false;
	const char *p = text;
	if (*p == '@') {
		r->inside = true;
		p++;
	}
	const char *colon = strchr(p, ':');
	if (!colon) {
		/* "10" means 0:10. */
		if (!parse_number(p, strlen(p), &r->end))
			return false;
		r->start = 0;
	} else {
		size_t sl = (size_t)(colon - p);
		if (sl == 1 && p[0] == '~')
			r->start_inf = true;
		else if (sl == 0)
			r->start = 0;
		else if (!parse_number(p, sl, &r->start))
			return false;
		const char *e = colon + 1;
		if (*e == '\0')
			r->end_inf = true;
		else if (!parse_number(e, strlen(e), &r->end))
			return false;
	}
	if (!r->start_inf && !r->end_inf && r->start > r->end) {
		*why = "invalid range: start is greater than end";
		return false;
	}
	r->set = true;
	return true;
}

bool gp_range_alerts(const struct gp_range *r, double v)
{
	if (!r->set)
		return false;
	bool in = (r->start_inf || v >= r->start) && (r->end_inf || v <= r->end);
	return r->inside ? in : !in;
}

void gp_range_format(const struct gp_range *r, char *buf, size_t len)
{
	if (!r->set) {
		snprintf(buf, len, "%s", "");
		return;
	}
	char s[GP_NUMBER_MAX] = "", e[GP_NUMBER_MAX] = "";
	if (r->start_inf)
		snprintf(s, sizeof(s), "~");
	else
		gp_format_number(r->start, s, sizeof(s));
	if (!r->end_inf)
		gp_format_number(r->end, e, sizeof(e));
	if (!r->inside && !r->start_inf && r->start == 0 && !r->end_inf)
		snprintf(buf, len, "%s", e);
	else
		snprintf(buf, len, "%s%s:%s", r->inside ? "@" : "", s, e);
}
