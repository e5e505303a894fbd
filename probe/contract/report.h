/*
 * report.h - a month of the contract: per service, what its seconds
 * counted as, its availability and its penalty; the month's penalty under
 * both overlap rules, and the running total over the term against the cap.
 *
 * Reads the database (store.h) and applies the rules of ledger.h and
 * penalty.h; prints nothing (cli_report.c shows it). Also the checks of
 * the manual ledger entries (`downtime add`, `maintenance add`), which
 * need the same view of the ledger.
 */
#ifndef GP_REPORT_H
#define GP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ledger.h"
#include "penalty.h"
#include "store.h"

struct gp_report_service {
	const char *name, *title;       /* the config's */
	struct gp_sla_segment *seg;     /* the month, second by second */
	size_t n_seg;
	struct gp_sla_totals totals;
	/* Availability over the time monitored outside maintenance (outages
	 * entered by hand included), in hundredths of a percent; -1 when
	 * there is none, and avail_none says why. */
	int64_t availability_bp;
	enum gp_avail_none {
		GP_AVAIL_SHOWN,            /* availability_bp >= 0 */
		GP_AVAIL_UNMONITORED,      /* the probe watched no second of the month */
		GP_AVAIL_ONLY_MAINTENANCE, /* every second it watched was maintenance */
	} avail_none;
	int64_t coverage_bp;            /* share of the month monitored, hundredths of a percent */
	int64_t charged_seconds;        /* supplier's down seconds, as rounded */
	int64_t penalty_tiyn;           /* this service alone, rounded half up */
};

/* A month of the term, for the running total: what it was charged. */
struct gp_report_month {
	int year, month;
	int64_t uncapped_tiyn;          /* its penalty before the cap */
	int64_t penalty_tiyn;           /* payable: what the cap left of it */
	int64_t cumulative_tiyn;        /* the term through this month */
	bool capped;
};

struct gp_report {
	int year, month;
	struct gp_span month_span;     /* the calendar month */
	struct gp_span span;           /* clipped to the term and to now */
	bool partial;                  /* the month is not over yet */
	bool has_contract;
	struct gp_span term;
	size_t n;
	struct gp_report_service *services;
	struct gp_penalty_month pen;   /* union and sum figures, before the cap */
	int64_t penalty_tiyn;          /* this month's, after the cap */
	int64_t cumulative_before_tiyn;/* the term's earlier months */
	int64_t cumulative_tiyn;       /* through this month */
	int64_t cap_tiyn;
	bool capped;                   /* the cap cut this month's penalty */
	/* Every month of the term from its first through this one, in order
	 * (this one last): the running total, month by month. */
	struct gp_report_month *months;
	size_t n_months;
};

/* Builds the report of YYYY-MM `month` as of `now`. -1 with the reason in
 * err: a malformed month, a month outside the term, a month not begun,
 * the database failing. */
int gp_report_build(struct gp_store *st, const struct gp_config *cfg, const char *month,
		    int64_t now, struct gp_report *out, char *err, size_t errlen);
void gp_report_free(struct gp_report *r);

/* One service over [from, to): its segments (malloc'd; count returned),
 * or -1 when the database fails. */
long gp_report_segments(struct gp_store *st, const char *service, int64_t from, int64_t to,
			struct gp_sla_segment **out);

/* Records a manual entry after checking it: a known service, from < to,
 * not in the future (downtime), and for downtime no overlap with another
 * entry in force nor, unless e->over_monitored (an outage the customer
 * reported that the probe missed), with time the probe monitored. *id:
 * the new row. The caller holds the transaction. */
/* These three: 0; -1 refused (the reason in err); GP_REPORT_STORE when the
 * store failed (err says so). */
#define GP_REPORT_STORE (-2)
int gp_report_add_downtime(struct gp_store *st, const struct gp_config *cfg,
			   const struct gp_ledger_entry *e, int64_t now, int64_t *id, char *err,
			   size_t errlen);
int gp_report_add_maintenance(struct gp_store *st, const struct gp_config *cfg,
			      const struct gp_ledger_entry *e, int64_t *id, char *err,
			      size_t errlen);
/* Revokes a downtime entry or cancels a maintenance window: never deleted,
 * the entry stays, marked with when, by whom and why, and stops counting.
 * -1 with the reason: no reason given, no such entry, revoked already. */
int gp_report_revoke_entry(struct gp_store *st, enum gp_entry_kind kind, int64_t id,
			   const char *by, const char *reason, int64_t now, char *err,
			   size_t errlen);

#endif
