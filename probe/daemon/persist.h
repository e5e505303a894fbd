/*
 * persist.h - the state engine's states and events in the database: what
 * the daemon commits after each batch of results, and what it restores at
 * start. Shared by the daemon and the ledger's tests, so both run the same
 * code.
 */
#ifndef GP_PERSIST_H
#define GP_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "runner.h"
#include "store.h"

/* What one probe writes (probe.site): the states of its site's targets,
 * and, when it keeps the ledger, the services, their ledger, outages,
 * incidents, alerts and the heartbeat. The functions without _scoped
 * write everything (a probe of no site, keeping the ledger). */
struct gp_persist_scope {
	const char *site; /* NULL: every target is this probe's */
	bool ledger;
};
/* Whether the probe of scope polls target t. */
bool gp_persist_polls(const struct gp_persist_scope *sc, const struct gp_target *t);

/* Loads what the database kept into e, then (in one transaction) marks
 * the time since the last heartbeat UNMONITORED, resumes the engine at now
 * and writes its states and their events. *last_heartbeat: the previous
 * heartbeat (0 on a first start). 0, or -1 (rolled back). */
int gp_persist_restore(struct gp_store *st, struct gp_engine *e, const struct gp_config *cfg,
		       int64_t now, long pid, int64_t *last_heartbeat);
int gp_persist_restore_scoped(struct gp_store *st, struct gp_engine *e,
			      const struct gp_config *cfg, const struct gp_persist_scope *sc,
			      int64_t now, long pid, int64_t *last_heartbeat);

/* Writes the engine's pending events and the states and ledger periods
 * they change, inside the caller's transaction. Does not clear them. */
int gp_persist_events(struct gp_store *st, const struct gp_engine *e, const struct gp_config *cfg,
		      int64_t now);
int gp_persist_events_scoped(struct gp_store *st, const struct gp_engine *e,
			     const struct gp_config *cfg, const struct gp_persist_scope *sc,
			     int64_t now);

/* Once a second, in the daemon's transaction: the incidents' clocks
 * (escalation, auto-close) and services DEGRADED for too long. */
int gp_persist_tick(struct gp_store *st, const struct gp_engine *e, const struct gp_config *cfg,
		    int64_t now, char *err, size_t errlen);

/* "target/check", a target's or a service's name, or "probe". */
const char *gp_event_subject(const struct gp_engine *e, const struct gp_config *cfg,
			     const struct gp_event *ev, char *buf, size_t len);
/* The event's old or new state by name; NULL for none. */
const char *gp_event_state(const struct gp_event *ev, int state);

/* The plugins' persistent values (collector.h state_get; written with the results) kept
 * in the store; a NULL store keeps none. */
struct gp_state_store gp_persist_plugin_state(struct gp_store *st);

#endif
