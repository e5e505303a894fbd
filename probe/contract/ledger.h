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
 *                    outage the probe could not see (`downtime add`), or
 *                    one the customer reported over time the probe saw
 *                    as up (`downtime add --over-monitored`); with the
 *                    attribution of the outage's incident or the entry
 *   maintenance      down time inside a planned window (`maintenance add`)
 *   voided           down time whose incident was voided (a false alarm)
 *   unmonitored      the probe did not run, was cut off (UNKNOWN), or the
 *                    time lies before its first start
 *
 * Rules, in order: a ledger period gives the probe's view (none: not
 * monitored); a manual entry turns unmonitored time into down time, and
 * one over monitored time (over_monitored) up and degraded time too (what
 * the probe saw DOWN stays its outage's); down time inside a maintenance
 * window is maintenance; else the outage it belongs to gives its
 * incident's attribution, or voided. Revoked entries are not given here.
 *
 * The periods themselves are kept by the rules at the end of this file,
 * the only writer of them (the store keeps rows, store.h): a service is
 * in one period at each second from its first start on, the open one
 * running to the heartbeat.
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

/* A half-open span [start, end) of UTC epoch seconds. */
struct gp_span {
	int64_t start, end;
};

/* A ledger period as the probe recorded it (store.h), the open one ended
 * at the heartbeat. */
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
	bool over_monitored;    /* it also counts over time the probe saw as up */
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
	bool monitored;                  /* the probe watched (an UP, DEGRADED or DOWN period) */
};

/* Cuts [from, to) into segments (contiguous, in order, neighbours of the
 * same kind merged). *out is malloc'd; returns how many. */
size_t gp_sla_classify(const struct gp_sla_input *in, int64_t from, int64_t to,
		       struct gp_sla_segment **out);

struct gp_sla_totals {
	int64_t seconds[GP_SLA_N];
	int64_t down[GP_ATTR_N]; /* down seconds by attribution */
	int64_t monitored;       /* seconds the probe watched, whatever they count as */
	int64_t reported;        /* down seconds of entries over monitored time */
};
void gp_sla_add_totals(const struct gp_sla_segment *seg, size_t n, struct gp_sla_totals *t);

/* Availability in hundredths of a percent: (up + degraded + voided) over
 * monitored time outside maintenance (up + degraded + down + voided),
 * truncated (never shown as 100.00 when a second was lost). -1 when no
 * second was monitored. */
int64_t gp_sla_availability_bp(const struct gp_sla_totals *t);
/* Coverage in hundredths of a percent: the share of `seconds` the probe
 * monitored, truncated (100.00 only when it watched every second). -1
 * for an empty window. */
int64_t gp_sla_coverage_bp(const struct gp_sla_totals *t, int64_t seconds);

/* Merges overlapping or touching spans (sorted by start) in place;
 * returns the new count. */
size_t gp_span_merge(struct gp_span *v, size_t n);

/* ------------------------------------------------------------------ */
/* The periods in the store                                            */

/* The cut rule, pure: a service is in a new state from `from` on. Of its
 * periods that reach past `from` (cut->rows), those that start at or
 * after it are dropped (the engine only moves `from` back over UP or
 * DEGRADED time: engine.h, "floor"), the one running over it ends there,
 * and a new open period begins at `from`. */
enum gp_cut_action { GP_CUT_KEEP, GP_CUT_DROP, GP_CUT_END };
enum gp_cut_action gp_ledger_cut(int64_t start, int64_t end, int64_t from);

/* The service is in `state` from `from` on (the cut rule, in the store). */
int gp_ledger_set_state(struct gp_store *st, const char *service, enum gp_ledger_state state,
			int64_t from);

/* At the daemon's start: the time since the last heartbeat is UNMONITORED
 * for every service that has a ledger (none when the clock went back),
 * then the heartbeat restarts at now. *last_heartbeat: the previous one,
 * 0 on a first start. In the caller's transaction. */
int gp_ledger_resume(struct gp_store *st, int64_t now, long pid, int64_t *last_heartbeat);

/* The service's periods overlapping [from, to), by start, the open one
 * ended at the heartbeat (never before its start). *out malloc'd; the
 * count, or -1 when the store fails. */
long gp_ledger_periods(struct gp_store *st, const char *service, int64_t from, int64_t to,
		       struct gp_sla_period **out);

/* Seconds of a service in each ledger state, from its first period to the
 * heartbeat; contiguous is false if periods overlap or leave a gap. */
struct gp_ledger_totals {
	int64_t seconds[GP_LEDGER_N];
	int64_t first, last; /* first period's start; the heartbeat */
	size_t n_periods;
	bool contiguous;
};
int gp_ledger_totals(struct gp_store *st, const char *service, struct gp_ledger_totals *out);
/* The same within [from, to) only (a month, a gap): seconds per state. */
int gp_ledger_window(struct gp_store *st, const char *service, int64_t from, int64_t to,
		     int64_t seconds[GP_LEDGER_N]);

#endif
