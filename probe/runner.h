/*
 * runner.h - runs a batch of checks once, all at the same time, through
 * the collector plugins, and evaluates each result against the check's
 * `expect`, `warning` and `critical`.
 *
 * Used by `gprobe diag`, check_genesys and the daemon's cycle. The runner
 * owns the host side of the plugin ABI: it gathers every plugin's file
 * descriptors into one poll(), so a target that never answers delays
 * nobody but itself.
 */
#ifndef GP_RUNNER_H
#define GP_RUNNER_H

#include "config.h"
#include "plugin.h"

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
	int64_t duration_us;
};

struct gp_job {
	const struct gp_target *target;
	const struct gp_check *check;
	struct gp_outcome out;
	/* private to the runner */
	struct gp_plugin *plugin;
	void *handle;
	int64_t started_us;
	bool done;
};

/* A clock in microseconds; NULL means CLOCK_MONOTONIC. Tests inject one. */
typedef int64_t (*gp_clock_fn)(void *ctx);

/*
 * Runs jobs[0..n) once and fills each job's outcome. Never fails as a
 * whole: a missing plugin, a bad option or a plugin that never answers
 * becomes that job's UNKNOWN outcome.
 */
void gp_run_once(struct gp_registry *reg, struct gp_job *jobs, size_t n);
void gp_job_clear(struct gp_job *job);

/* Applies expect / critical / warning to an OK probe result. */
void gp_evaluate(const struct gp_check *c, struct gp_outcome *o);

const char *gp_state_name(enum gp_state s);

/* The options a collector gets for a check (see collector.h). The strings
 * point into t and c or into the returned array's own storage; free with
 * gp_options_free(). */
struct gp_option *gp_options_build(const struct gp_target *t, const struct gp_check *c, size_t *n);
void gp_options_free(struct gp_option *opts, size_t n);

#endif
