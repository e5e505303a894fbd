/*
 * engine.h - the state engine: from check results to check, target and
 * service states, and outages. Pure logic: no I/O, no clock of its own.
 * Every call carries the time it happens at (UTC epoch seconds), so unit
 * tests drive it with any sequence of results and gaps, without sleeping.
 *
 * Checks: each result is OK, WARNING, CRITICAL or UNKNOWN. A non-OK result
 * is soft until `attempts` consecutive non-OK results make it hard (as in
 * Nagios); an OK result after a hard problem is a hard recovery at once.
 *
 * Targets (from the hard states of their checks):
 *   DOWN      an availability check is CRITICAL;
 *   UNKNOWN   else an availability check is UNKNOWN or has not run yet;
 *   DEGRADED  else a check is WARNING, or a non-availability check CRITICAL;
 *   UP        else.
 *
 * Services: `up_when` over the member targets (DOWN is down, UNKNOWN is
 * unknown, UP and DEGRADED are up), three-valued. Up with a member DOWN or
 * DEGRADED is DEGRADED (high availability lost). When the probe is cut off
 * (every `probe.uplink` target has just failed) every service is UNKNOWN:
 * the probe cannot tell, and unknown time is never downtime.
 *
 * Outages: an outage opens when a service turns DOWN. It is dated to the
 * first failed result of the run that became hard, not to the moment the
 * run became hard: with attempts 3 and retry 5 s the service was already
 * down ten seconds before the engine could be sure. Backdating rewrites
 * only time recorded as UP or DEGRADED: never before the service's `floor`,
 * the last moment it left DOWN or UNKNOWN or the probe (re)started. The
 * outage ends at the first result that makes the service up again.
 *
 * Every change is an event the caller drains with gp_engine_events(),
 * commits to the database, and then acts on.
 */
#ifndef GP_ENGINE_H
#define GP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector.h" /* enum gp_state */
#include "config.h"

/* Target and service states. The order is fixed: it is stored. */
enum gp_health { GP_UP = 0, GP_DEGRADED = 1, GP_DOWN = 2, GP_HEALTH_UNKNOWN = 3 };
const char *gp_health_name(enum gp_health h);
/* "UP" ... -> the state; false when not a name. */
bool gp_health_parse(const char *s, enum gp_health *out);

struct gp_check_status {
	bool has_result;        /* false until the first result */
	bool hard_known;        /* false until a first OK or a hard problem */
	enum gp_state state;    /* of the last result */
	enum gp_state hard;     /* hard state, when hard_known */
	int fails;              /* consecutive non-OK results */
	int64_t first_fail;     /* time of the first of them (0: none) */
	int64_t since;          /* hard state since */
	int64_t last;           /* time of the last result */
};

struct gp_target_status {
	enum gp_health state;
	int64_t since;
};

struct gp_service_status {
	enum gp_health state;
	int64_t since;          /* start of the current state (backdated for DOWN) */
	int64_t floor;          /* outages are never dated before this */
	int64_t outage_start;   /* of the open outage, 0 when none */
};

enum gp_event_kind {
	GP_EV_CHECK,            /* a check's hard state changed */
	GP_EV_TARGET,           /* a target's state changed */
	GP_EV_SERVICE,          /* a service's state changed (at may be backdated) */
	GP_EV_OUTAGE_OPENED,    /* a service went DOWN */
	GP_EV_OUTAGE_RESTORED,  /* it is up again */
	GP_EV_ISOLATION,        /* the probe lost (new = 1) or regained (0) its uplink */
	GP_EV_FAILOVER,         /* a node of a pair took over from another (the daemon's,
				 * never the engine's: subject "probe") */
};
const char *gp_event_kind_name(enum gp_event_kind k);
bool gp_event_kind_parse(const char *name, enum gp_event_kind *out);
/* An event's old or new state by name: a check's (OK...), a target's or
 * service's (UP...), the probe's (ISOLATED, CONNECTED); NULL for -1
 * (none). parse: false (and *out -1) for NULL or another word. */
const char *gp_event_state_name(enum gp_event_kind k, int state);
bool gp_event_state_parse(enum gp_event_kind k, const char *name, int *out);

struct gp_event {
	enum gp_event_kind kind;
	int64_t at;
	size_t index;           /* check, target or service index */
	int old_state, new_state; /* enum gp_state for checks, gp_health otherwise */
	int64_t outage_start;   /* OUTAGE_*: when it began */
	/* OUTAGE_OPENED: the DOWN members, comma-separated (who explains it);
	 * CHECK: the result's text. */
	char detail[256];
};

struct gp_engine;

/* The engine of cfg's targets, checks and services; every check pending,
 * every target and service UNKNOWN since `now`. cfg must outlive it.
 * Checks are numbered in config order, target by target. */
struct gp_engine *gp_engine_new(const struct gp_config *cfg, int64_t now);
void gp_engine_free(struct gp_engine *e);

size_t gp_engine_n_checks(const struct gp_engine *e);
size_t gp_engine_check_index(const struct gp_engine *e, size_t target, size_t check);
const struct gp_target *gp_engine_check_target(const struct gp_engine *e, size_t check);
const struct gp_check *gp_engine_check(const struct gp_engine *e, size_t check);

/* Restoring what the database kept, before the first result. Then
 * gp_engine_resume() recomputes targets and services at `now` (the probe's
 * start): a change found then is an event at `now`, and nothing is
 * backdated across the time the probe was not running. */
void gp_engine_restore_check(struct gp_engine *e, size_t check, const struct gp_check_status *s);
void gp_engine_restore_target(struct gp_engine *e, size_t target, const struct gp_target_status *s);
void gp_engine_restore_service(struct gp_engine *e, size_t service,
			       const struct gp_service_status *s);
void gp_engine_resume(struct gp_engine *e, int64_t now);

/* A target another probe polls (probe.site): its state as that probe
 * stored it, or UNKNOWN since `at` while no node of its site is active.
 * Its services follow, as after a result; no target event (the probe
 * that polls it has logged the change). Its own checks never run here. */
void gp_engine_set_target(struct gp_engine *e, size_t target, const struct gp_target_status *s,
			  int64_t at);
/* Marks target as another probe's before gp_engine_resume(): its state is
 * what was restored or set, never recomputed from check rows here. */
void gp_engine_set_remote(struct gp_engine *e, size_t target);

/* One result of a check, taken at `at` (when the collection started). Out
 * of order times across checks are fine; a service never changes at a time
 * before its last change. text: the result's message, for the event. */
void gp_engine_result(struct gp_engine *e, size_t check, enum gp_state state, int64_t at,
		      const char *text);

/* Whether the check is failing but not yet hard (the scheduler retries it
 * at retry_interval). */
bool gp_engine_check_retrying(const struct gp_engine *e, size_t check);

const struct gp_check_status *gp_engine_check_status(const struct gp_engine *e, size_t check);
const struct gp_target_status *gp_engine_target_status(const struct gp_engine *e, size_t target);
const struct gp_service_status *gp_engine_service_status(const struct gp_engine *e, size_t service);
bool gp_engine_isolated(const struct gp_engine *e);

/* Events since the last gp_engine_clear_events(), oldest first. */
const struct gp_event *gp_engine_events(const struct gp_engine *e, size_t *n);
void gp_engine_clear_events(struct gp_engine *e);

#endif
