/*
 * daemon.c - `gprobe run`: the scheduler and what it feeds.
 *
 *   scheduler -> runner (plugins, all at once in one poll loop)
 *             -> results, batched per loop turn
 *             -> state engine -> one SQLite transaction with the states,
 *                ledger periods, outages and events the batch caused
 *             -> then logs and RRD writes (never before the commit)
 *
 * Each check is due every `interval`, its first run spread over the
 * interval so a thousand checks do not start in the same second, and at
 * `retry_interval` while it fails softly. A target that never answers
 * delays nobody: its checks only wait for their own timeout.
 */
#include "daemon.h"
#include "pair.h"
#include "cause.h"
#include "engine.h"
#include "health.h"
#include "persist.h"
#include "reloadcheck.h"
#include "plugin.h"
#include "rrdstore.h"
#include "rrdwriter.h"
#include "sender.h"
#include "sdnotify.h"
#include "runner.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A result waiting for the end of the loop turn. */
struct pending {
	size_t job;
	enum gp_state state;
	int64_t at;          /* wall clock, UTC seconds, when it was started */
	int64_t started_us;  /* monotonic, the same moment */
	char *value;         /* text of the value, or NULL */
	char *output;        /* message (and evaluation) */
	char *state_key, *state_value; /* the plugin's, stored with the result */
	bool has_value;
	double numeric;
	struct gp_rrd_value metrics[GP_MAX_METRICS + 1];
	size_t n_metrics;
};

struct daemon {
	struct gp_config *cfg;
	struct gp_registry reg;
	struct gp_runner *runner;
	struct gp_store *store;
	struct gp_engine *engine;
	struct gp_rrd_writer *rrd; /* RRD writes, on their own thread */
	struct gp_sender_thread *sender; /* delivers the alert outbox */
	/* Deliveries whose record the database refused: the senders' one
	 * after the other, handed to the next daemon at a reload. */
	struct gp_sender_unrecorded unrecorded;
	const struct gp_logger *log;
	size_t n;
	struct gp_due_heap due; /* the checks not in flight, by their next run */
	/* The newest row of each check with results since the last commit:
	 * written in the commit's short transaction, so the write lock is
	 * never held between turns and the CLI's writes get their turn. */
	struct unsaved {
		size_t job;
		char *value, *output;
		char *state_key, *state_value; /* the plugin's newest, or NULL */
	} *unsaved;
	size_t n_unsaved, cap_unsaved;
	size_t *unsaved_slot;     /* per job: index + 1 in unsaved, 0 if none */
	struct pending *batch;
	size_t n_batch, cap_batch;
	int64_t last_heartbeat;
	unsigned long db_failures;
	/* What this probe writes (probe.site: its site's targets; the ledger
	 * only while it holds the ledger's lease), and when it last read the
	 * other sites' targets. */
	struct gp_persist_scope scope;
	int64_t remote_read_us;
	int64_t targets_saved_us; /* sites: its targets' rows written again */
	bool restart;             /* a commit failed on a shared store */
	/* The last minute, for check_genesys --self (health.h), written
	 * beside the heartbeat every 10 s. */
	struct gp_health_window health;
	int64_t health_saved_us;
	int64_t log_flushed_us; /* the held debug lines (log.h) last written */
	/* Results of the second under way and of the last whole one: a busy
	 * daemon's turns rest (schedule.h). */
	int64_t results_second;
	size_t results_this_second, results_last_second;
	/* Since the last stats line: how well the schedule is kept. */
	struct {
		int64_t since_us;
		unsigned long started, late, results;
		int64_t max_late_us;
	} stats;
};

/* How the probe keeps up: logged every 10 minutes and at stop (the
 * benchmark reads the last one). */
static void log_stats(struct daemon *d, int64_t now_us)
{
	struct gp_rrd_writer_stats rw = {0};
	if (d->rrd)
		gp_rrd_writer_stats(d->rrd, &rw);
	struct gp_rrd_stats rs = rw.rrd;
	double secs = (double)(now_us - d->stats.since_us) / 1e6;
	gp_log(d->log, GP_LOG_INFO,
	       "stats: %.0f s, %lu checks started (%lu more than 1 s late, latest by %lld ms), "
	       "%lu results, %.1f results/s; rrd %lu updates, %lu failed, %lu created, %lu dropped "
	       "(queue %zu of %zu); database %lu failed",
	       secs, d->stats.started, d->stats.late, (long long)(d->stats.max_late_us / 1000),
	       d->stats.results, secs > 0 ? (double)d->stats.results / secs : 0.0, rs.updates,
	       rs.failures, rs.created, rw.dropped, rw.queued, rw.capacity, d->db_failures);
	memset(&d->stats, 0, sizeof(d->stats));
	d->stats.since_us = now_us;
}

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char *p = gp_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0750) != 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

/* The held debug lines go out four times a second (or when the hold is
 * full): a write a turn was still most of a verbose daemon's log cost,
 * each one journalling the file's new mtime. */
#define LOG_FLUSH_US 250000

static void flush_log(struct daemon *d)
{
	int64_t now = gp_monotonic_us();
	if (now - d->log_flushed_us < LOG_FLUSH_US)
		return;
	gp_log_flush(d->log);
	d->log_flushed_us = now;
}

/* Results of the second under way, and of the last whole one. */
static void count_results(struct daemon *d, size_t n)
{
	int64_t sec = gp_monotonic_us() / 1000000;
	if (sec != d->results_second) {
		d->results_last_second = sec == d->results_second + 1 ? d->results_this_second : 0;
		d->results_this_second = 0;
		d->results_second = sec;
	}
	d->results_this_second += n;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static void on_outcome(void *ctx, size_t job, const struct gp_outcome *o)
{
	struct daemon *d = ctx;
	gp_grow((void **)&d->batch, &d->cap_batch, d->n_batch, sizeof(*d->batch));
	struct pending *p = &d->batch[d->n_batch++];
	memset(p, 0, sizeof(*p));
	p->job = job;
	p->state = o->state;
	int64_t age_s = (gp_monotonic_us() - o->started_us) / 1000000;
	p->at = wall_now() - (age_s > 0 ? age_s : 0);
	p->started_us = o->started_us;
	p->value = o->text ? gp_xstrdup(o->text) : NULL;
	p->state_key = o->state_key ? gp_xstrdup(o->state_key) : NULL;
	p->state_value = o->state_value ? gp_xstrdup(o->state_value) : NULL;
	p->output = gp_xasprintf("%s%s%s", o->message ? o->message : "",
				 o->evaluation && o->message ? "; " : "",
				 o->evaluation ? o->evaluation : "");
	p->has_value = o->has_value;
	p->numeric = o->value;
	for (size_t i = 0; i < o->n_metrics && i < GP_MAX_METRICS; i++) {
		snprintf(p->metrics[i].name, sizeof(p->metrics[i].name), "%s", o->metrics[i].name);
		p->metrics[i].value = o->metrics[i].value;
		p->n_metrics++;
	}

	const struct gp_check *c = gp_engine_check(d->engine, job);
	gp_log(d->log, GP_LOG_DEBUG, "%s/%s %s: %s", gp_engine_check_target(d->engine, job)->name,
	       c->name, gp_state_name(o->state), p->output);
}

static void log_event(struct daemon *d, const struct gp_event *ev)
{
	/* A probe that does not keep the ledger says nothing of services:
	 * the one that does decides them. */
	if (!d->scope.ledger && ev->kind != GP_EV_CHECK && ev->kind != GP_EV_TARGET &&
	    ev->kind != GP_EV_ISOLATION)
		return;
	if (d->scope.site && ev->kind == GP_EV_TARGET &&
	    !gp_persist_polls(&d->scope, &d->cfg->targets[ev->index]))
		return;
	char buf[200], at[32], from[32];
	const char *subject = gp_event_subject(d->engine, d->cfg, ev, buf, sizeof(buf));
	gp_format_utc(ev->at, at, sizeof(at));
	const char *old = gp_event_state(ev, ev->old_state);
	const char *new = gp_event_state(ev, ev->new_state);
	switch (ev->kind) {
	case GP_EV_CHECK:
		/* A first OK is no news; anything else is. */
		gp_log(d->log, old || ev->new_state != GP_STATE_OK ? GP_LOG_INFO : GP_LOG_DEBUG,
		       "check %s: %s -> %s since %s: %s", subject,
		       old ? old : "PENDING", new, at, ev->detail);
		break;
	case GP_EV_OUTAGE_OPENED:
		gp_log(d->log, GP_LOG_WARN, "outage of %s opened, since %s (down: %s)", subject, at,
		       ev->detail);
		break;
	case GP_EV_OUTAGE_RESTORED:
		gp_format_utc(ev->outage_start, from, sizeof(from));
		gp_log(d->log, GP_LOG_WARN, "outage of %s restored at %s (began %s, %lld s)", subject,
		       at, from, (long long)(ev->at - ev->outage_start));
		break;
	case GP_EV_ISOLATION:
		gp_log(d->log, GP_LOG_WARN,
		       ev->new_state ? "probe cut off (every uplink failed) at %s: services UNKNOWN"
				     : "probe connected again at %s",
		       at);
		break;
	default:
		gp_log(d->log, GP_LOG_INFO, "%s %s: %s -> %s since %s", gp_event_kind_name(ev->kind),
		       subject, old, new, at);
	}
}

/* Keeps the newest value and output of a check until the commit. */
static void remember_unsaved(struct daemon *d, struct pending *p)
{
	size_t slot = d->unsaved_slot[p->job];
	if (slot == 0) {
		gp_grow((void **)&d->unsaved, &d->cap_unsaved, d->n_unsaved, sizeof(*d->unsaved));
		d->unsaved[d->n_unsaved] = (struct unsaved){.job = p->job};
		slot = d->unsaved_slot[p->job] = ++d->n_unsaved;
	}
	struct unsaved *u = &d->unsaved[slot - 1];
	free(u->value);
	free(u->output);
	u->value = p->value;
	u->output = p->output;
	p->value = p->output = NULL;
	if (p->state_key) {
		free(u->state_key);
		free(u->state_value);
		u->state_key = p->state_key;
		u->state_value = p->state_value;
		p->state_key = p->state_value = NULL;
	}
}

static void forget_unsaved(struct daemon *d)
{
	for (size_t i = 0; i < d->n_unsaved; i++) {
		d->unsaved_slot[d->unsaved[i].job] = 0;
		free(d->unsaved[i].value);
		free(d->unsaved[i].output);
		free(d->unsaved[i].state_key);
		free(d->unsaved[i].state_value);
	}
	d->n_unsaved = 0;
}

/* One short transaction: the checks' rows, the engine's events (ledger,
 * outages, incidents) and the heartbeat. Then the events are logged. A
 * failed commit (the database busy beyond its timeout, a full disk) is
 * logged and counted; the check rows are kept and written with the next
 * commit, and the engine's state, which the next commit writes again,
 * stays right in memory. */
static void commit_batch(struct daemon *d, int64_t now)
{
	size_t n;
	const struct gp_event *ev = gp_engine_events(d->engine, &n);
	char err[512] = "";
	int rc = gp_store_begin(d->store);
	for (size_t i = 0; rc == 0 && i < d->n_unsaved; i++) {
		const struct unsaved *u = &d->unsaved[i];
		rc = gp_store_save_check(d->store, gp_engine_check_target(d->engine, u->job)->name,
					 gp_engine_check(d->engine, u->job)->name,
					 gp_engine_check_status(d->engine, u->job), u->value,
					 u->output);
		/* A plugin's place (a log offset) with the result it led to. */
		if (rc == 0 && u->state_key)
			rc = gp_store_state_put(d->store, u->state_key, u->state_value);
	}
	if (rc == 0)
		rc = gp_persist_events_scoped(d->store, d->engine, d->cfg, &d->scope, now);
	bool ledger = d->scope.ledger;
	if (rc == 0 && ledger && now != d->last_heartbeat)
		rc = gp_persist_tick(d->store, d->engine, d->cfg, now, err, sizeof(err));
	/* The mails of this turn that one component's fault caused go as
	 * one, before the sender can see them (this transaction). */
	if (rc == 0 && ledger)
		rc = gp_outbox_causes(d->store, d->cfg, now, err, sizeof(err));
	if (rc == 0 && ledger)
		rc = gp_store_heartbeat(d->store, now);
	int64_t mono = gp_monotonic_us();
	if (rc == 0 && ledger && mono - d->health_saved_us >= GP_HEALTH_BUCKET_US) {
		struct gp_rrd_writer_stats rw = {0};
		if (d->rrd)
			gp_rrd_writer_stats(d->rrd, &rw);
		gp_health_rrd(&d->health, mono, rw.rrd.failures, rw.dropped);
		struct gp_probe_health h;
		gp_health_sum(&d->health, mono, &h);
		h.at = now;
		rc = gp_store_health_put(d->store, &h);
		d->health_saved_us = mono;
	}
	/* Sites: its targets' rows written again every 10 s, so a row the
	 * ledger's keeper marked UNKNOWN just as this node came back (a race
	 * between its reading the nodes and its write) is right again soon. */
	if (rc == 0 && d->scope.site && mono - d->targets_saved_us >= 10 * 1000000LL) {
		for (size_t t = 0; rc == 0 && t < d->cfg->n_targets; t++)
			if (gp_persist_polls(&d->scope, &d->cfg->targets[t]))
				rc = gp_store_save_target(d->store, d->cfg->targets[t].name,
							  gp_engine_target_status(d->engine, t));
		d->targets_saved_us = mono;
	}
	if (rc == 0)
		rc = gp_store_commit(d->store);
	if (rc != 0) {
		d->db_failures++;
		gp_log(d->log, GP_LOG_ERROR, "database write failed (%lu so far): %s%s%s",
		       d->db_failures, gp_store_error(d->store), err[0] ? "; " : "", err);
		gp_store_rollback(d->store);
		/* On a shared store a failed commit is routine (a restarted
		 * server, a terminated session, the fence) and its events,
		 * cleared below, would be lost: the ledger would miss a state
		 * change. The node starts over from what the store holds. */
		if (strcmp(gp_store_backend_name(d->store), "sqlite") != 0)
			d->restart = true;
	} else {
		forget_unsaved(d);
	}
	for (size_t i = 0; i < n; i++)
		log_event(d, &ev[i]);
	gp_engine_clear_events(d->engine);
	d->last_heartbeat = now;
}

/* Results go into the engine; their checks' rows wait in memory. They
 * are committed at once when the batch changed a state (a change is on
 * disk before it is logged or acted on), else once a second with the
 * heartbeat: last values need not cost a disk sync each. */
static void process_batch(struct daemon *d, bool force)
{
	int64_t now = wall_now();
	d->stats.results += d->n_batch;
	for (size_t i = 0; i < d->n_batch; i++) {
		struct pending *p = &d->batch[i];
		const struct gp_check *c = gp_engine_check(d->engine, p->job);
		gp_engine_result(d->engine, p->job, p->state, p->at, p->output);
		remember_unsaved(d, p);
		bool retry = gp_engine_check_retrying(d->engine, p->job);
		gp_due_push(&d->due,
			    gp_sched_next_us(p->started_us, retry, c->interval_ms, c->retry_interval_ms),
			    p->job);
	}
	size_t n_events;
	gp_engine_events(d->engine, &n_events);
	if (gp_sched_commit_now(n_events, now, d->last_heartbeat, force))
		commit_batch(d, now);
	for (size_t i = 0; i < d->n_batch; i++) {
		struct pending *p = &d->batch[i];
		if (d->rrd && p->has_value)
			gp_rrd_writer_put(d->rrd, gp_engine_check_target(d->engine, p->job)->name,
					  gp_engine_check(d->engine, p->job), p->at, p->numeric,
					  p->metrics, p->n_metrics);
	}
	d->n_batch = 0;
	char err[256];
	while (d->rrd && gp_rrd_writer_error(d->rrd, err, sizeof(err)))
		gp_log(d->log, GP_LOG_WARN, "rrd: %s", err);
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                      */

/* Back to the config and the store only (a node stepping down): the
 * delivery in flight finishes (within the channel's timeout), the checks
 * in flight are dropped with their results, RRD writes queued finish. */
static void daemon_deactivate(struct daemon *d)
{
	gp_sender_stop(d->sender);
	d->sender = NULL;
	gp_runner_free(d->runner);
	d->runner = NULL;
	for (size_t i = 0; i < d->n_batch; i++) {
		free(d->batch[i].value);
		free(d->batch[i].output);
		free(d->batch[i].state_key);
		free(d->batch[i].state_value);
	}
	free(d->batch);
	d->batch = NULL;
	d->n_batch = d->cap_batch = 0;
	forget_unsaved(d);
	free(d->unsaved);
	d->unsaved = NULL;
	d->cap_unsaved = 0;
	free(d->unsaved_slot);
	d->unsaved_slot = NULL;
	gp_engine_free(d->engine);
	d->engine = NULL;
	gp_rrd_writer_stop(d->rrd); /* writes what is queued: before the config goes */
	d->rrd = NULL;
	gp_due_free(&d->due);
	d->n = 0;
}

static void daemon_free(struct daemon *d)
{
	daemon_deactivate(d);
	gp_store_close(d->store);
	gp_registry_free(&d->reg);
	gp_config_free(d->cfg);
	gp_sender_unrecorded_free(&d->unrecorded);
	free(d);
}

/* The acceptances not recorded yet go with the process's running daemon
 * (a reload, or one that failed to start and gives them back): only its
 * sender records them, and none is handed over again meanwhile. */
static void move_unrecorded(struct daemon *to, struct daemon *from)
{
	gp_sender_unrecorded_free(&to->unrecorded); /* empty: a daemon just loaded */
	to->unrecorded = from->unrecorded;
	memset(&from->unrecorded, 0, sizeof(from->unrecorded));
}

/* Loads the config against the collectors of reg (loaded as the config
 * names their kinds); what failed to load is logged. */
static struct gp_config *load_config(const struct gp_daemon_opts *o, struct gp_registry *reg,
				     const struct gp_logger *log, struct gp_errlist *el)
{
	struct gp_kinds kinds = gp_registry_kinds(reg);
	struct gp_config_opts opts = {.default_profile_dir = o->profile_dir, .kinds = &kinds};
	struct gp_config *cfg = gp_config_load(o->config_path, &opts, el);
	for (size_t i = 0; i < reg->errors.n; i++) {
		char *m = gp_errlist_format(&reg->errors, i);
		gp_log(log, GP_LOG_ERROR, "%s", m);
		free(m);
	}
	gp_errlist_free(&reg->errors);
	return cfg;
}

/* The config and the store: all a standby node needs. */
static struct daemon *daemon_load(const struct gp_daemon_opts *o)
{
	struct daemon *d = gp_xcalloc(1, sizeof(*d));
	d->log = o->log;
	struct gp_errlist cel = {0};
	d->cfg = load_config(o, &d->reg, d->log, &cel);
	if (!d->cfg)
		gp_errlist_print(&cel, stderr);
	gp_errlist_free(&cel);
	if (!d->cfg)
		goto fail;
	if (make_dirs(d->cfg->probe.data_dir) != 0) {
		gp_log(d->log, GP_LOG_ERROR, "cannot create data_dir %s: %s", d->cfg->probe.data_dir,
		       strerror(errno));
		goto fail;
	}
	char err[512];
	d->store = gp_store_open_probe(&d->cfg->probe, d->cfg->probe.node, true, err, sizeof(err));
	if (!d->store) {
		gp_log(d->log, GP_LOG_ERROR, "%s", err);
		goto fail;
	}
	return d;
fail:
	daemon_free(d);
	return NULL;
}

/* What an active probe adds: RRD files, the engine with the states
 * restored (the time since the last heartbeat, whoever wrote it, is
 * unmonitored), the checks scheduled, the sender. -1 when it cannot. */
static int daemon_activate(struct daemon *d, bool ledger)
{
	char err[512];
	d->scope = (struct gp_persist_scope){d->cfg->probe.site, ledger};
	d->remote_read_us = 0;
	d->targets_saved_us = gp_monotonic_us();
	d->restart = false;
	if (d->cfg->probe.rrd) {
		struct gp_rrd *rrd = gp_rrd_open(d->cfg->probe.data_dir, d->cfg->probe.rrdcached,
						 err, sizeof(err));
		if (rrd && !(d->rrd = gp_rrd_writer_start(rrd, GP_RRD_QUEUE_DEFAULT, err,
							  sizeof(err))))
			gp_rrd_close(rrd);
		if (!d->rrd)
			gp_log(d->log, GP_LOG_ERROR, "rrd storage off: %s", err);
	}
	int64_t now = wall_now();
	d->engine = gp_engine_new(d->cfg, now);
	int64_t hb = 0;
	if (gp_persist_restore_scoped(d->store, d->engine, d->cfg, &d->scope, now, (long)getpid(),
				      &hb) != 0) {
		gp_log(d->log, GP_LOG_ERROR, "cannot restore states: %s", gp_store_error(d->store));
		return -1;
	}
	size_t n_ev;
	const struct gp_event *ev = gp_engine_events(d->engine, &n_ev);
	for (size_t i = 0; i < n_ev; i++)
		log_event(d, &ev[i]);
	gp_engine_clear_events(d->engine);
	d->last_heartbeat = now;
	if (hb > 0 && now > hb)
		gp_log(d->log, GP_LOG_WARN,
		       "not running for %lld s since the last heartbeat: unmonitored time for "
		       "every service",
		       (long long)(now - hb));

	struct gp_errlist el = {0};
	struct gp_state_store ss = gp_persist_plugin_state(d->store);
	d->runner = gp_runner_new(&d->reg, &ss, on_outcome, d, &el);
	gp_runner_set_log(d->runner, d->log);
	/* What the checks say is quoted in the NOC's mails: their language. */
	gp_runner_set_language(d->runner, d->cfg->email.language);
	for (size_t i = 0; i < el.n; i++) {
		char *m = gp_errlist_format(&el, i);
		gp_log(d->log, GP_LOG_ERROR, "%s", m);
		free(m);
	}
	gp_errlist_free(&el);

	d->n = gp_engine_n_checks(d->engine);
	d->unsaved_slot = gp_xcalloc(d->n ? d->n : 1, sizeof(*d->unsaved_slot));
	int64_t mono = gp_monotonic_us();
	d->stats.since_us = mono;
	for (size_t k = 0; k < d->n; k++) {
		const struct gp_check *c = gp_engine_check(d->engine, k);
		const struct gp_target *t = gp_engine_check_target(d->engine, k);
		/* A job for every check (the runner's jobs are the engine's
		 * checks, by index); another site's are never due here. */
		gp_runner_add(d->runner, t, c);
		if (!gp_persist_polls(&d->scope, t))
			continue;
		/* A target's checks together (one SNMP PDU for all of its
		 * OIDs), the targets spread over the interval. */
		gp_due_push(&d->due,
			    gp_sched_first_us(mono, (size_t)(t - d->cfg->targets), d->cfg->n_targets,
					      c->interval_ms),
			    k);
	}
	/* Only the ledger's keeper sends: it queued them. */
	if (ledger) {
		d->sender = gp_sender_start(d->cfg, &d->unrecorded, d->log, err, sizeof(err));
		if (!d->sender && (d->cfg->email.set || d->cfg->webhook.set))
			gp_log(d->log, GP_LOG_ERROR, "alerts stay queued: %s", err);
	}
	return 0;
}

/*
 * Loads the config again, the file having passed its check in a child
 * (reloadcheck.h): the running collections finish and their results land,
 * then the daemon starts over with the new file; the states are in the
 * database, so nothing is lost. Returns the daemon to go on with.
 */
static struct daemon *reload(struct daemon *d, const struct gp_daemon_opts *o)
{
	gp_sd_notify("RELOADING=1");
	while (gp_runner_in_flight(d->runner) > 0)
		gp_runner_poll(d->runner, -1);
	process_batch(d, true);
	/* One sender at a time: two would race for the same alert and send
	 * it twice. */
	gp_sender_stop(d->sender);
	d->sender = NULL;
	/* The same part in the ledger: a site's node that does not keep it
	 * must not restore it (the fence would refuse) nor send. */
	struct daemon *next = daemon_load(o);
	if (next) {
		/* Before its sender starts: what was accepted but not recorded
		 * is recorded by it, never sent again. */
		move_unrecorded(next, d);
		if (daemon_activate(next, d->scope.ledger) != 0) {
			move_unrecorded(d, next);
			daemon_free(next);
			next = NULL;
		}
	}
	if (next) {
		daemon_free(d);
		d = next;
		gp_log(d->log, GP_LOG_INFO, "config reloaded: %zu checks", d->n);
	} else {
		/* The file changed again since its check: keep what runs. */
		gp_log(d->log, GP_LOG_ERROR, "config reload failed; keeping the running config");
		char err[512];
		if (d->scope.ledger)
			d->sender = gp_sender_start(d->cfg, &d->unrecorded, d->log, err,
						    sizeof(err));
	}
	gp_sd_notify("READY=1\nSTATUS=polling");
	return d;
}

/* A reload's check may take this long; past it the child is killed. */
#define RELOAD_CHECK_LIMIT_US (20 * 1000000LL)

/* ------------------------------------------------------------------ */
/* Sites: the other sites' targets, for the ledger's keeper             */

struct remote_ctx {
	struct daemon *d;
	char live[32][64]; /* sites with an active node */
	size_t n_live;
	int64_t now;
};

static int live_site(void *ctx, const struct gp_node_info *n)
{
	struct remote_ctx *rc = ctx;
	if (n->active && rc->n_live < GP_ARRAY_LEN(rc->live))
		snprintf(rc->live[rc->n_live++], sizeof(rc->live[0]), "%s", n->site);
	return 0;
}

static bool site_live(const struct remote_ctx *rc, const char *site)
{
	for (size_t i = 0; site && i < rc->n_live; i++)
		if (!strcmp(rc->live[i], site))
			return true;
	return false;
}

static void remote_row(void *ctx, const struct gp_status_row *row)
{
	struct remote_ctx *rc = ctx;
	struct daemon *d = rc->d;
	const struct gp_target *t = gp_config_target(d->cfg, row->name);
	if (!t || gp_persist_polls(&d->scope, t) || !site_live(rc, t->site))
		return;
	struct gp_target_status ts = {.state = row->state, .since = row->since};
	gp_engine_set_target(d->engine, (size_t)(t - d->cfg->targets), &ts, rc->now);
}

/* Once a second: each target of another site as its probe last stored
 * it, UNKNOWN while no node of that site is active (nobody polls it; its
 * stored state is old news). The services follow in the engine; what
 * changes is committed with the turn. */
static void refresh_remote(struct daemon *d)
{
	int64_t mono = gp_monotonic_us();
	if (mono - d->remote_read_us < 1000000)
		return;
	d->remote_read_us = mono;
	struct remote_ctx rc = {.d = d, .now = wall_now()};
	if (gp_store_node_list(d->store, live_site, &rc) != 0) {
		gp_log(d->log, GP_LOG_WARN, "sites: cannot read the nodes: %s",
		       gp_store_error(d->store));
		return;
	}
	for (size_t i = 0; i < d->cfg->n_targets; i++) {
		const struct gp_target *t = &d->cfg->targets[i];
		if (gp_persist_polls(&d->scope, t) || site_live(&rc, t->site))
			continue;
		if (gp_engine_target_status(d->engine, i)->state == GP_HEALTH_UNKNOWN)
			continue;
		struct gp_target_status unknown = {.state = GP_HEALTH_UNKNOWN, .since = rc.now};
		gp_engine_set_target(d->engine, i, &unknown, rc.now);
		/* Said in the store too, for `gprobe status`: the site's node
		 * writes its state again when it is back. */
		if (gp_store_save_target(d->store, t->name, &unknown) != 0)
			gp_log(d->log, GP_LOG_WARN, "sites: %s: %s", t->name, gp_store_error(d->store));
		else
			gp_log(d->log, GP_LOG_WARN, "target %s UNKNOWN: no node of site %s is active",
			       t->name, t->site ? t->site : "(none)");
	}
	if (gp_store_list_targets(d->store, remote_row, &rc) != 0)
		gp_log(d->log, GP_LOG_WARN, "sites: cannot read the targets: %s",
		       gp_store_error(d->store));
}

/* ------------------------------------------------------------------ */
/* The probe pair (pair.h)                                             */

/* Says in the event log and the daemon's log that this node took over
 * from another: the unmonitored time the restore just wrote, from the
 * other's last heartbeat, is a failover's. */
static void record_failover(struct daemon *d, const struct gp_pair *p, const char *from,
			    int64_t age_ms)
{
	int64_t now = wall_now();
	char *detail = gp_xasprintf("node %s took over from %s (its lease %lld ms old)", p->node,
				    from, (long long)age_ms);
	struct gp_event_row ev = {.at = now, .recorded_at = now, .kind = GP_EV_FAILOVER,
				  .subject = "probe", .old_state = -1, .new_state = -1,
				  .detail = detail};
	gp_log(d->log, GP_LOG_WARN, "failover: %s", detail);
	if (gp_store_begin(d->store) != 0 || gp_store_event_add(d->store, &ev) != 0 ||
	    gp_store_commit(d->store) != 0) {
		gp_log(d->log, GP_LOG_ERROR, "cannot record the failover: %s",
		       gp_store_error(d->store));
		gp_store_rollback(d->store);
	}
	free(detail);
}

/* Waits, renewing its claim every third of the lease, until this node
 * holds the lease or *term; a SIGHUP loads the config again. Returns the
 * daemon to go on with (NULL: a reload failed to open the store). */
static struct daemon *standby(struct daemon *d, const struct gp_daemon_opts *o, struct gp_pair *p,
			      struct gp_watchdog *wd, volatile sig_atomic_t *term,
			      volatile sig_atomic_t *hup)
{
	gp_sd_notify("READY=1\nSTATUS=standby");
	char told[64] = "\001";
	while (!*term) {
		if (*hup) {
			*hup = 0;
			struct daemon *next = daemon_load(o);
			if (next) {
				/* What was accepted before stepping down but not
				 * recorded: still this process's to record. */
				move_unrecorded(next, d);
				daemon_free(d);
				d = next;
				gp_log(d->log, GP_LOG_INFO, "config reloaded (standby)");
			} else {
				gp_log(d->log, GP_LOG_ERROR, "config reload failed; keeping the running "
							     "config");
			}
		}
		int64_t now = gp_monotonic_us();
		if (gp_pair_due(p, now)) {
			if (gp_pair_turn(p, d->store, now) == GP_PAIR_TAKE) {
				gp_log(d->log, GP_LOG_WARN, "node %s is active", p->node);
				return d;
			}
			if (strcmp(told, p->holder) != 0) {
				if (p->holder[0])
					gp_log(d->log, GP_LOG_INFO,
					       "standby: node %s is active (its lease %lld ms old)",
					       p->holder, (long long)p->holder_age_ms);
				else
					gp_log(d->log, GP_LOG_WARN, "standby: the store cannot be "
								    "asked for the lease: %s",
					       gp_store_error(d->store));
				snprintf(told, sizeof(told), "%s", p->holder);
			}
		}
		if (gp_watchdog_turn(wd, gp_monotonic_us()))
			gp_sd_notify("WATCHDOG=1");
		flush_log(d);
		int64_t rest = p->next_us - gp_monotonic_us();
		if (rest > 100000)
			rest = 100000;
		if (rest > 0) {
			struct timespec ts = {0, (long)rest * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return d;
}

/* Polls until *term (false) or until the node must step down (true):
 * it lost the lease, or could not renew it in time. *dp may be replaced
 * by a reload. */
/* Why active() returned. */
/* ACTIVE_RESTART: its part in the ledger changed, or a commit failed on a
 * shared store: it starts over from the store, still holding its lease. */
enum active_end { ACTIVE_STOP, ACTIVE_STEP_DOWN, ACTIVE_RESTART };

static enum active_end active(struct daemon **dp, const struct gp_daemon_opts *o,
			      struct gp_pair *pair, struct gp_pair *ledger, struct gp_watchdog *wd,
			      volatile sig_atomic_t *term, volatile sig_atomic_t *hup)
{
	struct daemon *d = *dp;
	struct gp_reload_check *check = NULL; /* of a reload's file, while it runs */
	while (!*term) {
		/* Sites: the ledger's lease, taken by a site's active node
		 * when free or expired, renewed while kept; either change
		 * starts the node over in its new part. */
		if (ledger) {
			int64_t m = gp_monotonic_us();
			enum gp_pair_verdict v = gp_pair_due(ledger, m)
							 ? gp_pair_turn(ledger, d->store, m)
						 : ledger->active ? GP_PAIR_KEEP : GP_PAIR_WAIT;
			bool lost = d->scope.ledger && (v == GP_PAIR_STEP_DOWN ||
							!gp_pair_may_act(ledger, gp_monotonic_us()));
			if (lost || (!d->scope.ledger && v == GP_PAIR_TAKE)) {
				gp_log(d->log, lost ? GP_LOG_ERROR : GP_LOG_WARN,
				       lost ? "node %s lost the ledger's lease: it polls its site only"
					    : "node %s keeps the ledger",
				       ledger->node);
				ledger->active = !lost;
				gp_reload_check_free(check);
				*dp = d;
				return ACTIVE_RESTART;
			}
		}
		if (d->scope.ledger && d->scope.site)
			refresh_remote(d);
		if (pair) {
			int64_t m = gp_monotonic_us();
			if (gp_pair_due(pair, m) &&
			    gp_pair_turn(pair, d->store, m) == GP_PAIR_STEP_DOWN) {
				/* The holder is the last one the store named: this
				 * node itself when the renewal failed. */
				bool other = pair->holder[0] && strcmp(pair->holder, pair->node) != 0;
				const char *why = gp_store_error(d->store);
				gp_log(d->log, GP_LOG_ERROR, "node %s lost the lease %s%s%s: stepping down",
				       pair->node, other ? "to " : "(", other ? pair->holder
					       : why && *why ? why : "not renewed in time",
				       other ? "" : ")");
				gp_reload_check_free(check);
				*dp = d;
				return ACTIVE_STEP_DOWN;
			}
			/* Not renewed in time (the store hangs): stop before the
			 * standby may start. */
			if (!gp_pair_may_act(pair, gp_monotonic_us())) {
				gp_log(d->log, GP_LOG_ERROR, "node %s could not renew its lease in "
							     "time: stepping down", pair->node);
				gp_reload_check_free(check);
				*dp = d;
				return ACTIVE_STEP_DOWN;
			}
		}
		if (*hup && !check) {
			*hup = 0;
			char err[256];
			check = gp_reload_check_start(o->config_path, gp_monotonic_us(),
						      RELOAD_CHECK_LIMIT_US, err, sizeof(err));
			if (!check)
				gp_log(d->log, GP_LOG_ERROR,
				       "config reload: %s; keeping the running config", err);
		}
		enum gp_reload_verdict v = check ? gp_reload_check_poll(check, gp_monotonic_us())
						 : GP_RELOAD_PENDING;
		if (check && v != GP_RELOAD_PENDING) {
			if (v == GP_RELOAD_OK) {
				d = reload(d, o);
			} else {
				char *out = gp_xstrdup(gp_reload_check_output(check));
				for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
					gp_log(d->log, GP_LOG_ERROR, "%s", l);
				free(out);
				gp_log(d->log, GP_LOG_ERROR, "config reload failed (%s); keeping the "
							     "running config",
				       v == GP_RELOAD_TIMEOUT ? "the file did not load within 20 s"
				       : v == GP_RELOAD_INVALID ? "errors above"
								 : "the check could not run");
			}
			gp_reload_check_free(check);
			check = NULL;
		}
		int64_t now = gp_monotonic_us();
		if (now - d->stats.since_us >= 600 * 1000000LL)
			log_stats(d, now);
		struct gp_due e;
		while (gp_due_pop(&d->due, now, &e)) {
			/* False only for a job already in flight: its result
			 * schedules it again. */
			if (gp_runner_start(d->runner, e.job)) {
				int64_t late = now - e.at_us;
				gp_health_started(&d->health, now, late);
				d->stats.started++;
				d->stats.late += late > 1000000;
				if (late > d->stats.max_late_us)
					d->stats.max_late_us = late;
			}
		}
		gp_runner_poll(d->runner, gp_sched_poll_ms(&d->due, gp_monotonic_us()));
		count_results(d, d->n_batch);
		/* A result that came after the node may act no more is not
		 * written (the fence would refuse it anyway). */
		if (!pair || gp_pair_may_act(pair, gp_monotonic_us()))
			process_batch(d, false);
		if (d->restart) {
			gp_log(d->log, GP_LOG_WARN, "starting over from the store after the failed "
						    "commit");
			gp_reload_check_free(check);
			*dp = d;
			return ACTIVE_RESTART;
		}
		/* A turn completed: the one place the watchdog hears from, so a
		 * loop stuck anywhere (a plugin call, the database, a reload)
		 * goes silent and systemd restarts it. */
		if (gp_watchdog_turn(wd, gp_monotonic_us()))
			gp_sd_notify("WATCHDOG=1");
		flush_log(d);
		int64_t rest = gp_sched_rest_us(now, gp_monotonic_us(), d->results_last_second);
		if (rest > 0 && !*term && !*hup) {
			struct timespec ts = {0, (long)rest * 1000};
			nanosleep(&ts, NULL);
		}
	}
	gp_reload_check_free(check);
	*dp = d;
	return ACTIVE_STOP;
}

int gp_daemon_run(const struct gp_daemon_opts *o, volatile sig_atomic_t *term, volatile sig_atomic_t *hup)
{
	/* Sockets and connections are descriptors: as many as allowed. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		rlim_t soft = nofile.rlim_cur;
		nofile.rlim_cur = nofile.rlim_max;
		if (soft < nofile.rlim_max && setrlimit(RLIMIT_NOFILE, &nofile) != 0)
			nofile.rlim_cur = soft;
		gp_log(o->log, GP_LOG_INFO, "open files: up to %llu (RLIMIT_NOFILE, hard limit %llu)",
		       (unsigned long long)nofile.rlim_cur, (unsigned long long)nofile.rlim_max);
	}
	struct daemon *d = daemon_load(o);
	if (!d)
		return 1;
	struct gp_watchdog wd;
	gp_watchdog_init(&wd, gp_sd_watchdog_usec());
	if (wd.every_us > 0)
		gp_log(d->log, GP_LOG_INFO, "systemd watchdog on: WATCHDOG=1 every %lld ms of turning",
		       (long long)(wd.every_us / 1000));
	/* A node of a pair waits for the lease before it polls. */
	struct gp_pair pair, ledger;
	bool paired = d->cfg->probe.node != NULL;
	bool sites = d->cfg->probe.site != NULL;
	if (paired) {
		gp_pair_init(&pair, &d->cfg->probe, (long)getpid(), wall_now());
		gp_log(d->log, GP_LOG_INFO, "node %s%s%s: lease of %lld ms", pair.node,
		       pair.site[0] ? " of site " : "", pair.site, (long long)pair.ttl_ms);
	}
	/* Sites: one of their active nodes also keeps the ledger, by the
	 * lease of the site '*'. */
	if (sites) {
		ledger = pair;
		snprintf(ledger.site, sizeof(ledger.site), "*");
	}
	bool resume = false;  /* still holding the site's lease: no standby */
	bool started = false; /* activated once: a later failure is retried */
	while (!*term) {
		if (paired && !resume) {
			d = standby(d, o, &pair, &wd, term, hup);
			if (*term)
				break;
		}
		resume = false;
		/* The ledger's keeper: the node itself (a pair), or whoever of
		 * the sites' active nodes holds the ledger's lease. */
		bool keeps = true;
		struct gp_pair *lp = sites ? &ledger : &pair;
		if (sites) {
			if (!ledger.active)
				gp_pair_turn(&ledger, d->store, gp_monotonic_us());
			keeps = ledger.active;
		}
		/* Taken over from another node: a failover of the ledger (said
		 * once: took_from is cleared once told). */
		char from[64] = "";
		if (paired && keeps)
			snprintf(from, sizeof(from), "%s", lp->took_from);
		int64_t from_age = lp->took_from_age_ms;
		if (daemon_activate(d, keeps) != 0) {
			/* A node that took the lease and cannot start on it (the
			 * database went away meanwhile) waits again; the lease
			 * expires or is renewed by its next ask. */
			if (!paired && !started) {
				daemon_free(d);
				return 1;
			}
			if (!paired) {
				/* A probe alone that started over after a failed
				 * commit: it tries again each second until the store
				 * is back (the time between is unmonitored). */
				daemon_deactivate(d);
				struct timespec ts = {1, 0};
				nanosleep(&ts, NULL);
				continue;
			}
			gp_log(d->log, GP_LOG_ERROR, "node %s could not start on its lease: stepping "
						     "down, waiting as a standby", pair.node);
			daemon_deactivate(d);
			pair.active = false;
			/* Off the ledger's lease too, or another site could never
			 * take it while this node retries. */
			if (sites && ledger.active) {
				gp_store_lease_release(d->store, ledger.site, ledger.node);
				ledger.active = false;
			}
			continue;
		}
		started = true;
		if (from[0])
			record_failover(d, &pair, from, from_age);
		if (paired)
			lp->took_from[0] = '\0';
		gp_log(d->log, GP_LOG_INFO, "gprobe started: %zu targets, %zu checks, %zu services%s",
		       d->cfg->n_targets, d->n, d->cfg->n_services,
		       sites ? (keeps ? "; keeps the ledger" : "; polls its site only") : "");
		gp_sd_notify("READY=1\nSTATUS=polling");
		enum active_end end = active(&d, o, paired ? &pair : NULL, sites ? &ledger : NULL, &wd,
					     term, hup);
		if (end == ACTIVE_STOP)
			break;
		/* Stepped down, or its part in the ledger changed: nothing more
		 * is sent or written in the old part; the config and the store
		 * stay (its connection is made again when the database is
		 * back). */
		daemon_deactivate(d);
		if (end == ACTIVE_RESTART) {
			resume = true;
			continue;
		}
		/* Off its site's lease, off the ledger's too: another site's
		 * active node takes it over at once. */
		if (sites && ledger.active) {
			gp_store_lease_release(d->store, ledger.site, ledger.node);
			ledger.active = false;
		}
	}
	gp_log(d->log, GP_LOG_INFO, "stopping");
	gp_sd_notify("STOPPING=1");
	if (d->runner) {
		while (gp_runner_in_flight(d->runner) > 0)
			gp_runner_poll(d->runner, -1);
		if (!paired || gp_pair_may_act(&pair, gp_monotonic_us()))
			process_batch(d, true);
		log_stats(d, gp_monotonic_us());
	}
	/* A clean stop hands over at once: the standby need not wait for the
	 * lease to expire. The sender is stopped first (daemon_free would
	 * only then), so nothing is sent after the release. */
	if (paired && pair.active) {
		gp_sender_stop(d->sender);
		d->sender = NULL;
		if (sites && ledger.active)
			gp_store_lease_release(d->store, ledger.site, ledger.node);
		gp_store_lease_release(d->store, pair.site, pair.node);
	}
	daemon_free(d);
	return 0;
}
