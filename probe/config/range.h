/*
 * range.h - Nagios threshold ranges, as the Monitoring Plugins development
 * guidelines define them:
 *
 *   10      alert if value < 0 or > 10
 *   10:     alert if value < 10
 *   ~:10    alert if value > 10
 *   10:20   alert if value < 10 or > 20
 *   @10:20  alert if 10 <= value <= 20
 *
 * Used by the config loader (validation), the daemon and check_genesys.
 * Metric values are measurements, not money or time, so double is right.
 */
#ifndef GP_RANGE_H
#define GP_RANGE_H

#include <stdbool.h>
#include <stddef.h>

struct gp_range {
	double start, end;
	bool start_inf; /* "~" : no lower bound */
	bool end_inf;   /* "10:" : no upper bound */
	bool inside;    /* "@" : alert inside the range */
	bool set;
};

/* Parses text; on error returns false with a static reason in *why. */
bool gp_range_parse(const char *text, struct gp_range *r, const char **why);
/* True when value must raise the alert this range stands for. */
bool gp_range_alerts(const struct gp_range *r, double value);
/* Back to the guidelines' text form (for perfdata). */
void gp_range_format(const struct gp_range *r, char *buf, size_t len);

#endif
