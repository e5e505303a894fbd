/*
 * ledger.h - what each second of a service's contract term counts as.
 *
 * Pure functions: the caller (the report, `gprobe downtime`) loads what
 * the database holds for one service and a window, and gets back the
 * window cut into segments, each second in exactly one class:
 *
 *   up, degraded     the probe saw the service up (degraded: redundancy
 *                    lost, still up)
 *   down             the probe saw it DOWN, or an operator recorded an
 *                    outage the probe could not see (`downtime add`);
 *                    with the attribution of the outage's incident
 *   maintenance      down time inside a planned window (`maintenance add`)
 *   voided           down time whose incident was voided (a false alarm)
 *   unmonitored      the probe did not run, was cut off (UNKNOWN), or the
 *                    time lies before its first start
 *
 * Rules, in order: a ledger period gives the probe's view (none: not
 * monitored); a manual entry turns unmonitored time into down time; down
 * time inside a maintenance window is maintenance; else the outage it
 * belongs to gives its incident's attribution, or voided.
 */
#ifndef GP_LEDGER_H
#define GP_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum gp_sla_class {
	GP_SLA_UP, GP_SLA_DEGRADED, GP_SLA_DOWN, GP_SLA_MAINTENANCE, GP_SLA_VOIDED,
	GP_SLA_UNMONITORED, GP_SLA_N
};
const char *gp_sla_class_name(enum gp_sla_class c); /* "up", "down", ... */

enum gp_attribution {
	GP_ATTR_SUPPLIER, GP_ATTR_CUSTOMER, GP_ATTR_THIRD_PARTY, GP_ATTR_UNATTRIBUTED, GP_ATTR_N
};
const char *gp_attribution_name(enum gp_attribution a); /* "supplier", "third-party"... */
/* false for a name that is none of them. */
bool gp_attribution_parse(const char *name, enum gp_attribution *out);

/* A half-open span [start, end) of UTC epoch seconds. */
struct gp_span {
	int64_t start, end;
};

/* A ledger period as the probe recorded it (store.h service_period). */
struct gp_sla_period {
	int64_t start, end;
	enum gp_ledger_state state;
};

/* An outage the probe saw, with what its incident says. end: INT64_MAX
 * while it is open. */
struct gp_sla_outage {
	int64_t start, end;
	int64_t incident;              /* 0: none linked */
	enum gp_attribution attribution;
	bool voided;
};

/* An outage entered by hand. */
struct gp_sla_manual {
	int64_t start, end;
	int64_t id;
	enum gp_attribution attribution;
};

/* Everything known of one service. Each array sorted by start; periods,
 * outages and manual entries do not overlap among themselves;
 * maintenance windows may. */
struct gp_sla_input {
	const struct gp_sla_period *periods;
	size_t n_periods;
	const struct gp_sla_outage *outages;
	size_t n_outages;
	const struct gp_sla_manual *manual;
	size_t n_manual;
	const struct gp_span *maintenance;
	size_t n_maintenance;
};

struct gp_sla_segment {
	int64_t start, end;
	enum gp_sla_class cls;
	enum gp_attribution attribution; /* down only */
	int64_t incident;                /* down, maintenance, voided: the probe's outage's */
	int64_t manual;                  /* a manual entry's id, or 0 */
};

/* Cuts [from, to) into segments (contiguous, in order, neighbours of the
 * same kind merged). *out is malloc'd; returns how many. */
size_t gp_sla_classify(const struct gp_sla_input *in, int64_t from, int64_t to,
		       struct gp_sla_segment **out);

struct gp_sla_totals {
	int64_t seconds[GP_SLA_N];
	int64_t down[GP_ATTR_N]; /* down seconds by attribution */
};
void gp_sla_add_totals(const struct gp_sla_segment *seg, size_t n, struct gp_sla_totals *t);

/* Availability in hundredths of a percent: (up + degraded + voided) over
 * monitored time outside maintenance (up + degraded + down + voided),
 * truncated (never shown as 100.00 when a second was lost). -1 when no
 * second was monitored. */
int64_t gp_sla_availability_bp(const struct gp_sla_totals *t);

/* Merges overlapping or touching spans (sorted by start) in place;
 * returns the new count. */
size_t gp_span_merge(struct gp_span *v, size_t n);

#endif
