/*
 * runner.h - drives the collector plugins: configures checks once, starts
 * collections, and gathers every plugin's file descriptors into one poll()
 * so that many requests run at once in one thread. A target that never
 * answers delays nobody but itself.
 *
 * The runner keeps plugin instances and check handles alive between
 * collections, so a plugin can reuse its sessions and compare a counter
 * with its previous sample. gp_run_once() wraps it for one-shot use
 * (`gprobe diag`, check_genesys); the daemon's scheduler drives it with
 * gp_runner_start() and gp_runner_poll().
 *
 * Each result is evaluated against the check's `expect`, `warning` and
 * `critical` before it is handed on.
 */
#ifndef GP_RUNNER_H
#define GP_RUNNER_H

#include "config.h"
#include "log.h"
#include "plugin.h"
#include "state.h"

struct gp_outcome {
	enum gp_state state;       /* final state, after expect and thresholds */
	enum gp_state probe_state; /* what the collector said */
	bool has_value;
	double value;
	char *text;       /* raw value as text, or NULL */
	char *message;    /* the collector's account, or the setup error */
	char *hint;       /* what to look at next, or NULL */
	char *request;    /* what was asked */
	char *evaluation; /* how the value was judged ("4 = expected 4") */
	struct {
		char name[32];
		double value;
		char uom[8];
	} metrics[GP_MAX_METRICS];
	size_t n_metrics;
	int64_t started_us;   /* monotonic */
	int64_t duration_us;
	char *state_key, *state_value; /* plugin state to store with it, or NULL */
};

/* Called once per started collection, with the evaluated outcome. The
 * outcome's strings belong to the runner: copy what you keep. */
typedef void (*gp_outcome_fn)(void *ctx, size_t job, const struct gp_outcome *o);

struct gp_runner;

/* Persistent values for plugins (collector.h state_get; what they store
 * comes with their results); NULL for none. */
struct gp_state_store {
	void *ctx;
	int (*get)(void *ctx, const char *key, char *buf, size_t len);
};

/* Starts every plugin of reg. Errors of plugins that failed to start go to
 * el; their checks run as UNKNOWN with the reason. */
struct gp_runner *gp_runner_new(struct gp_registry *reg, const struct gp_state_store *store,
				gp_outcome_fn done, void *done_ctx, struct gp_errlist *el);
/* Where the plugins' own log lines go (collector.h host->log); none until
 * set. The logger must outlive the runner. */
void gp_runner_set_log(struct gp_runner *r, const struct gp_logger *log);
/* Configures a check with its plugin; returns its job number. A check no
 * plugin can take still gets a job, whose collections end UNKNOWN saying
 * why. t and c must outlive the runner. */
size_t gp_runner_add(struct gp_runner *r, const struct gp_target *t, const struct gp_check *c);
/* Starts a collection of job; false when one is already in flight. */
bool gp_runner_start(struct gp_runner *r, size_t job);
size_t gp_runner_in_flight(const struct gp_runner *r);
/* Waits at most timeout_ms (-1: until the plugins' next timer) for I/O,
 * then lets the plugins progress; outcomes are delivered from here. */
void gp_runner_poll(struct gp_runner *r, int timeout_ms);
void gp_runner_free(struct gp_runner *r);

/* One-shot: runs each job once, all at once, and fills its outcome. */
struct gp_job {
	const struct gp_target *target;
	const struct gp_check *check;
	struct gp_outcome out;
};
/* store: plugin state to read (and write), or NULL. */
void gp_run_once(struct gp_registry *reg, const struct gp_state_store *store, struct gp_job *jobs,
		 size_t n);
void gp_job_clear(struct gp_job *job);
void gp_outcome_clear(struct gp_outcome *o);
void gp_outcome_copy(struct gp_outcome *dst, const struct gp_outcome *src);

/* Applies expect / critical / warning to an OK probe result. */
void gp_evaluate(const struct gp_check *c, struct gp_outcome *o);
/* The same, its text in Russian when ru; a value the check names (its
 * value_names) is shown with its name: "2 (stopped), expected 4 (running)". */
void gp_evaluate_in(const struct gp_check *c, struct gp_outcome *o, bool ru);
/* The evaluation text's language, "ru" or "en" (default): the daemon's is
 * that of the NOC's mails, since they quote it. */
void gp_runner_set_language(struct gp_runner *r, const char *language);


#endif
