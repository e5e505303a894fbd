/*
 * persist.c - the state engine's states and events in the database (see
 * persist.h).
 */
#include "persist.h"
#include "incidents.h"
#include "ledger.h"
#include "runner.h"

#include <stdio.h>
#include <string.h>

const char *gp_event_subject(const struct gp_engine *e, const struct gp_config *cfg,
			     const struct gp_event *ev, char *buf, size_t len)
{
	switch (ev->kind) {
	case GP_EV_CHECK:
		snprintf(buf, len, "%s/%s", gp_engine_check_target(e, ev->index)->name,
			 gp_engine_check(e, ev->index)->name);
		return buf;
	case GP_EV_TARGET:
		return cfg->targets[ev->index].name;
	case GP_EV_ISOLATION:
	case GP_EV_FAILOVER:
		return "probe";
	default:
		return cfg->services[ev->index].name;
	}
}

const char *gp_event_state(const struct gp_event *ev, int s)
{
	return gp_event_state_name(ev->kind, s);
}

/* The engine's service states are the first ledger states, in order. */
_Static_assert((int)GP_LEDGER_UP == (int)GP_UP && (int)GP_LEDGER_DEGRADED == (int)GP_DEGRADED &&
		       (int)GP_LEDGER_DOWN == (int)GP_DOWN &&
		       (int)GP_LEDGER_UNKNOWN == (int)GP_HEALTH_UNKNOWN,
	       "ledger states extend gp_health");

static enum gp_ledger_state ledger_state(enum gp_health h)
{
	return (enum gp_ledger_state)h;
}

static int persist_event(struct gp_store *st, const struct gp_engine *e,
			 const struct gp_config *cfg, const struct gp_event *ev, int64_t now)
{
	char buf[200], err[512];
	const char *subject = gp_event_subject(e, cfg, ev, buf, sizeof(buf));
	int rc = 0;
	switch (ev->kind) {
	case GP_EV_TARGET:
		rc = gp_store_save_target(st, subject, gp_engine_target_status(e, ev->index));
		break;
	case GP_EV_SERVICE:
		rc = gp_store_save_service(st, subject, gp_engine_service_status(e, ev->index));
		if (rc == 0)
			rc = gp_ledger_set_state(st, subject,
						 ledger_state((enum gp_health)ev->new_state), ev->at);
		/* Back from DEGRADED alone: its P3, if one was opened, is
		 * restored (from DOWN, the outage's restore did it). */
		if (rc == 0 && ev->old_state == GP_DEGRADED && ev->new_state == GP_UP)
			rc = gp_inc_service_up(st, cfg, ev->index, ev->at, 0, err, sizeof(err));
		break;
	case GP_EV_OUTAGE_OPENED:
		rc = gp_store_outage_open(st, subject, ev->outage_start, ev->detail);
		if (rc == 0)
			rc = gp_inc_outage_opened(st, cfg, ev->index, ev->outage_start, ev->detail, now,
						  err, sizeof(err));
		break;
	case GP_EV_OUTAGE_RESTORED:
		rc = gp_store_save_service(st, subject, gp_engine_service_status(e, ev->index));
		if (rc == 0)
			rc = gp_store_outage_restore(st, subject, ev->at);
		if (rc == 0)
			rc = gp_inc_service_up(st, cfg, ev->index, ev->at, ev->outage_start, err,
					       sizeof(err));
		break;
	default:
		break;
	}
	if (rc == 0)
		rc = gp_store_event_add(st, &(struct gp_event_row){.at = ev->at,
								   .recorded_at = now,
								   .kind = ev->kind,
								   .subject = subject,
								   .old_state = ev->old_state,
								   .new_state = ev->new_state,
								   .detail = ev->detail});
	return rc;
}

static const struct gp_persist_scope everything = {NULL, true};

bool gp_persist_polls(const struct gp_persist_scope *sc, const struct gp_target *t)
{
	return !sc->site || (t->site && !strcmp(t->site, sc->site));
}

/* Whether the probe of sc writes ev: its own targets' and checks'
 * changes; the services' only when it keeps the ledger. */
static bool in_scope(const struct gp_persist_scope *sc, const struct gp_engine *e,
		     const struct gp_config *cfg, const struct gp_event *ev)
{
	switch (ev->kind) {
	case GP_EV_CHECK:
		return gp_persist_polls(sc, gp_engine_check_target(e, ev->index));
	case GP_EV_TARGET:
		return gp_persist_polls(sc, &cfg->targets[ev->index]);
	case GP_EV_ISOLATION:
	case GP_EV_FAILOVER:
		return true;
	default:
		return sc->ledger;
	}
}

int gp_persist_events_scoped(struct gp_store *st, const struct gp_engine *e,
			     const struct gp_config *cfg, const struct gp_persist_scope *sc,
			     int64_t now)
{
	size_t n;
	const struct gp_event *ev = gp_engine_events(e, &n);
	for (size_t i = 0; i < n; i++)
		if (in_scope(sc, e, cfg, &ev[i]) && persist_event(st, e, cfg, &ev[i], now) != 0)
			return -1;
	return 0;
}

int gp_persist_events(struct gp_store *st, const struct gp_engine *e, const struct gp_config *cfg,
		      int64_t now)
{
	return gp_persist_events_scoped(st, e, cfg, &everything, now);
}

int gp_persist_restore(struct gp_store *st, struct gp_engine *e, const struct gp_config *cfg,
		       int64_t now, long pid, int64_t *last_heartbeat)
{
	return gp_persist_restore_scoped(st, e, cfg, &everything, now, pid, last_heartbeat);
}

int gp_persist_restore_scoped(struct gp_store *st, struct gp_engine *e,
			      const struct gp_config *cfg, const struct gp_persist_scope *sc,
			      int64_t now, long pid, int64_t *last_heartbeat)
{
	/* Read under the writers' lock: a predecessor's last commit is
	 * either all in what is read here or none of it. */
	if (gp_store_begin(st) != 0)
		return -1;
	for (size_t t = 0; t < cfg->n_targets; t++) {
		const struct gp_target *tg = &cfg->targets[t];
		if (!gp_persist_polls(sc, tg))
			gp_engine_set_remote(e, t);
		struct gp_target_status ts;
		if (gp_store_load_target(st, tg->name, &ts))
			gp_engine_restore_target(e, t, &ts);
		for (size_t c = 0; c < tg->n_checks; c++) {
			struct gp_check_status cs;
			if (gp_store_load_check(st, tg->name, tg->checks[c].name, &cs))
				gp_engine_restore_check(e, gp_engine_check_index(e, t, c), &cs);
		}
	}
	for (size_t s = 0; s < cfg->n_services; s++) {
		struct gp_service_status ss;
		if (gp_store_load_service(st, cfg->services[s].name, &ss))
			gp_engine_restore_service(e, s, &ss);
	}
	/* The ledger's keeper closes the time since the last heartbeat (its
	 * predecessor's) as unmonitored; a probe that only polls its site
	 * has no heartbeat of the ledger to keep. */
	*last_heartbeat = 0;
	int rc = sc->ledger ? gp_ledger_resume(st, now, pid, last_heartbeat) : 0;
	gp_engine_resume(e, now);
	/* Every service's ledger goes on from now in its (restored) state;
	 * a service new to the config starts its ledger here. */
	for (size_t s = 0; sc->ledger && s < cfg->n_services && rc == 0; s++) {
		const struct gp_service_status *ss = gp_engine_service_status(e, s);
		rc = gp_store_save_service(st, cfg->services[s].name, ss);
		if (rc == 0)
			rc = gp_ledger_set_state(st, cfg->services[s].name, ledger_state(ss->state),
						 now);
	}
	/* Only its own targets: another site's are that site's to write. */
	for (size_t t = 0; t < cfg->n_targets && rc == 0; t++)
		if (gp_persist_polls(sc, &cfg->targets[t]))
			rc = gp_store_save_target(st, cfg->targets[t].name,
						  gp_engine_target_status(e, t));
	if (rc == 0)
		rc = gp_persist_events_scoped(st, e, cfg, sc, now);
	if (rc == 0)
		rc = gp_store_commit(st);
	if (rc != 0)
		gp_store_rollback(st);
	return rc;
}

int gp_persist_tick(struct gp_store *st, const struct gp_engine *e, const struct gp_config *cfg,
		    int64_t now, char *err, size_t errlen)
{
	for (size_t s = 0; s < cfg->n_services; s++) {
		const struct gp_service_status *ss = gp_engine_service_status(e, s);
		if (ss->state == GP_DEGRADED &&
		    gp_inc_service_degraded(st, cfg, s, ss->since, now, err, errlen) != 0)
			return -1;
		/* Down under planned work: the incident waits for its end. */
		if (ss->state == GP_DOWN && ss->outage_start != 0 &&
		    gp_inc_held_outage(st, cfg, s, ss->outage_start, now, err, errlen) != 0)
			return -1;
	}
	return gp_inc_tick(st, cfg, now, err, errlen);
}

static int plugin_state_get(void *ctx, const char *key, char *buf, size_t len)
{
	return ctx ? gp_store_state_get(ctx, key, buf, len) : -1;
}

struct gp_state_store gp_persist_plugin_state(struct gp_store *st)
{
	return (struct gp_state_store){.ctx = st, .get = plugin_state_get};
}
