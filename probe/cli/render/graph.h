/*
 * graph.h - a check's values drawn from its RRD file as a PNG, with its
 * warning and critical thresholds as lines and the outages of the services
 * its target belongs to shaded. Used by `gprobe graph` and the HTML report.
 */
#ifndef GP_GRAPH_H
#define GP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* Draws [from, to) (UTC epoch seconds) into the PNG file out; st may be
 * NULL (nothing shaded). *n_shaded: the outages shaded. 0, or -1 with the
 * reason in err. The axis is in the calendar's zone: librrd knows only the
 * process's TZ, set for the call and put back, and refused (an error) while
 * another thread of the process runs. */
int gp_graph_draw(const struct gp_config *cfg, struct gp_store *st, const char *target,
		  const char *check, int64_t from, int64_t to, const char *out, int *n_shaded,
		  char *err, size_t errlen);

/* The graph both reports show for an incident's outage: its key check (the
 * first availability check, with values, of the first member down), from
 * half an hour before the outage to half an hour after it (or now). Drawn
 * into a new temporary PNG whose path is returned (the caller unlinks and
 * frees it), with "target / check" in caption; NULL with the reason in err
 * (empty: the incident has no outage to draw). */
char *gp_graph_outage(const struct gp_config *cfg, struct gp_store *st,
		      const struct gp_incident *inc, int64_t now, char *caption, size_t caplen,
		      char *err, size_t errlen);

#endif
