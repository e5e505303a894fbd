/*
 * graph.h - a check's values drawn from its RRD file as a PNG, with its
 * warning and critical thresholds as lines and outages shaded. Used by
 * `gprobe graph` and the reports. Every text in the image (title, legend,
 * time axis) is in the report's language, alerts.email.language
 * (format.h's gp_fmt_russian); target and check names stay as they are.
 */
#ifndef GP_GRAPH_H
#define GP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

#define GP_GRAPH_LEGEND_MAX 8

/* What was drawn, for the callers that show or test it. */
struct gp_graph_info {
	int n_shaded;           /* the outages shaded */
	bool has_values;        /* the check has a value in the window */
	int64_t from, to;       /* the window drawn */
	char title[512];        /* the image's title */
	char legend[GP_GRAPH_LEGEND_MAX][128]; /* its legend, as librrd laid it out */
	int n_legend;
};

/* Draws [from, to) (UTC epoch seconds) into the PNG file out ("-":
 * standard output, the PNG alone). Shaded: the
 * outages of shade_service alone, or (NULL) of every service whose up_when
 * names the target; none when st is NULL. info may be NULL. 0, or -1 with
 * the reason in err (an operator's message: paths and hints). The axis is
 * in the calendar's zone: librrd knows only the process's TZ, set for the
 * call and put back, and refused (an error) while another thread of the
 * process runs. */
int gp_graph_draw(const struct gp_config *cfg, struct gp_store *st, const char *target,
		  const char *check, const char *shade_service, int64_t from, int64_t to,
		  const char *out, struct gp_graph_info *info, char *err, size_t errlen);

/* The graph of one outage of one service, as the reports show it: the
 * check that failed in it, from half an hour before `start` to half an
 * hour after `end` (0: not over; then up to now), with only `service`'s
 * outages shaded. members: the targets at fault, comma-separated, as the
 * outage row holds them.
 *
 * The check is the one the event log shows failing: of the members'
 * checks, those not OK at `start` (their last change at or before it);
 * availability checks gone CRITICAL first (what makes a component DOWN),
 * else any other not OK (CRITICAL, then WARNING, then UNKNOWN); among
 * equals the one that changed last before `start` (the one that tipped
 * the service over), then the members' and the checks' order. The first
 * of them with values in the window is drawn. Only when the log shows no
 * check of a member not OK at `start` is it the first availability
 * check, with values, of the members in order.
 *
 * Returns a new temporary PNG path (the caller unlinks and frees it), with
 * "target / check" in caption; NULL with err holding one plain sentence in
 * the report's language, fit for a signed document (caption: the check
 * that could not be drawn, or empty), or err empty when there is nothing
 * to draw (no members, no start). info may be NULL. */
char *gp_graph_of_outage(const struct gp_config *cfg, struct gp_store *st, const char *service,
			 const char *members, int64_t start, int64_t end, int64_t now,
			 char *caption, size_t caplen, char *err, size_t errlen);
char *gp_graph_of_outage_info(const struct gp_config *cfg, struct gp_store *st,
			      const char *service, const char *members, int64_t start,
			      int64_t end, int64_t now, char *caption, size_t caplen,
			      struct gp_graph_info *info, char *err, size_t errlen);

/* gp_graph_of_outage of an incident's latest outage (inc->outage_start to
 * inc->restored_at, inc->members, inc->service). */
char *gp_graph_outage(const struct gp_config *cfg, struct gp_store *st,
		      const struct gp_incident *inc, int64_t now, char *caption, size_t caplen,
		      char *err, size_t errlen);

#endif
