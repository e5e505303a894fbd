/*
 * runner.c - one concurrent pass over a batch of checks (see runner.h).
 */
#include "runner.h"
#include "secret.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_us(void *ctx)
{
	(void)ctx;
	return gp_monotonic_us();
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? gp_xstrdup(src) : NULL;
}

/* "2 (stopped)" when the check names the value, else "'2'". */
static char *shown_value(const struct gp_check *c, const char *v)
{
	const char *name = gp_check_value_name(c, v);
	return name ? gp_xasprintf("%s (%s)", v, name) : gp_xasprintf("'%s'", v);
}

#define TR(ru, en_text, ru_text) ((ru) ? (ru_text) : (en_text))

void gp_evaluate_in(const struct gp_check *c, struct gp_outcome *o, bool ru)
{
	o->state = o->probe_state;
	if (o->probe_state != GP_STATE_OK)
		return;
	if (c->expect) {
		char *got = shown_value(c, o->text ? o->text : "");
		char *want = shown_value(c, c->expect);
		free(o->evaluation);
		if (!o->text || strcmp(o->text, c->expect) != 0) {
			o->state = GP_STATE_CRITICAL;
			o->evaluation = gp_xasprintf(TR(ru, "value %s is not the expected %s",
							"значение %s, ожидалось %s"),
						     got, want);
			free(got);
			free(want);
			return;
		}
		o->evaluation = gp_xasprintf(TR(ru, "value %s is the expected %s",
						"значение %s, как ожидалось (%s)"),
					     got, want);
		free(got);
		free(want);
	}
	if (!c->critical.set && !c->warning.set)
		return;
	/* NaN compares false with every bound, so a range would call it
	 * outside (or, for "@", inside): neither is a judgement. */
	if (!o->has_value || isnan(o->value)) {
		o->state = GP_STATE_UNKNOWN;
		free(o->evaluation);
		o->evaluation = gp_xasprintf(TR(ru, "value '%s' is not a number; thresholds cannot apply",
						"значение '%s' не число: пороги неприменимы"),
					     o->text ? o->text : "");
		return;
	}
	char w[2 * GP_NUMBER_MAX], cr[2 * GP_NUMBER_MAX], v[GP_NUMBER_MAX];
	gp_range_format(&c->warning, w, sizeof(w));
	gp_range_format(&c->critical, cr, sizeof(cr));
	gp_format_number(o->value, v, sizeof(v));
	free(o->evaluation);
	if (gp_range_alerts(&c->critical, o->value)) {
		o->state = GP_STATE_CRITICAL;
		o->evaluation = gp_xasprintf(TR(ru, "%s is outside the critical range '%s'",
						"%s вне критического диапазона '%s'"),
					     v, cr);
	} else if (gp_range_alerts(&c->warning, o->value)) {
		o->state = GP_STATE_WARNING;
		o->evaluation = gp_xasprintf(TR(ru, "%s is outside the warning range '%s'",
						"%s вне диапазона предупреждения '%s'"),
					     v, w);
	} else {
		o->evaluation = gp_xasprintf(
			TR(ru, "%s is within the thresholds (warning '%s', critical '%s')",
			   "%s в пределах порогов (предупреждение '%s', критический '%s')"),
			v, w, cr);
	}
}

void gp_evaluate(const struct gp_check *c, struct gp_outcome *o)
{
	gp_evaluate_in(c, o, false);
}

/* ------------------------------------------------------------------ */
/* The runner: the host side of the ABI                                */

/* A plugin must complete every request within its timeout; past that and
 * this grace the runner completes it itself, so a broken plugin cannot
 * hang a diag, a check_genesys run or the daemon's checks. */
#define RUNNER_GRACE_US (2 * 1000 * 1000)

/* request_id = job << 24 | generation: a completion for an earlier
 * collection of the same job (one the runner already gave up on) is
 * recognised and dropped. */
#define GEN_BITS 24
#define GEN_MASK ((1u << GEN_BITS) - 1)

struct job {
	const struct gp_target *target;
	const struct gp_check *check;
	struct gp_plugin *plugin;
	void *handle;
	char *setup_error;
	uint32_t gen;
	bool in_flight;
	int64_t started_us, give_up_us;
};

struct gp_runner {
	struct gp_registry *reg;
	const struct gp_logger *log;
	struct gp_host_api host;
	struct gp_state_store store;
	gp_outcome_fn done;
	void *done_ctx;
	struct job *jobs;
	size_t n_jobs, cap_jobs;
	size_t in_flight;
	struct gp_pollfd *pfds;
	struct pollfd *sys;
	size_t cap_fds;
	size_t *first; /* per plugin: its first descriptor in pfds */
	/* Give-ups are a safety net: looked for every GIVE_UP_SCAN_US, not on
	 * every turn of a loop over thousands of jobs. */
	int64_t next_give_up_scan_us;
	bool russian; /* the evaluation's text (gp_runner_set_language) */
};

#define GIVE_UP_SCAN_US 100000

static void deliver(struct gp_runner *r, size_t i, const struct gp_result *res)
{
	struct job *j = &r->jobs[i];
	j->in_flight = false;
	r->in_flight--;
	struct gp_outcome o = {0};
	o.probe_state = res->state <= GP_STATE_UNKNOWN ? res->state : GP_STATE_UNKNOWN;
	o.has_value = res->has_value;
	o.value = res->value;
	set_str(&o.text, res->text);
	set_str(&o.message, res->message);
	set_str(&o.hint, res->hint);
	set_str(&o.request, res->request);
	if (res->state_key && res->state_value) {
		set_str(&o.state_key, res->state_key);
		set_str(&o.state_value, res->state_value);
	}
	o.n_metrics = res->n_metrics > GP_MAX_METRICS ? GP_MAX_METRICS : res->n_metrics;
	for (size_t k = 0; k < o.n_metrics; k++) {
		snprintf(o.metrics[k].name, sizeof(o.metrics[k].name), "%s",
			 res->metrics[k].name ? res->metrics[k].name : "");
		snprintf(o.metrics[k].uom, sizeof(o.metrics[k].uom), "%s",
			 res->metrics[k].uom ? res->metrics[k].uom : "");
		o.metrics[k].value = res->metrics[k].value;
	}
	o.started_us = j->started_us;
	o.duration_us = gp_monotonic_us() - j->started_us;
	gp_evaluate_in(j->check, &o, r->russian);
	if (r->done)
		r->done(r->done_ctx, i, &o);
	gp_outcome_clear(&o);
}

static void host_complete(void *ctx, uint64_t id, const struct gp_result *res)
{
	struct gp_runner *r = ctx;
	size_t i = (size_t)(id >> GEN_BITS);
	if (i >= r->n_jobs || !r->jobs[i].in_flight || (id & GEN_MASK) != r->jobs[i].gen)
		return; /* stray, late or repeated: the plugin's bug, not ours */
	deliver(r, i, res);
}

static void host_log(void *ctx, enum gp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void host_log(void *ctx, enum gp_log_level level, const char *fmt, ...)
{
	struct gp_runner *r = ctx;
	if (!r->log)
		return; /* one-shot runs: plugins report through their results */
	va_list ap;
	va_start(ap, fmt);
	gp_logv(r->log, level, fmt, ap);
	va_end(ap);
}

void gp_runner_set_log(struct gp_runner *r, const struct gp_logger *log)
{
	r->log = log;
}

static char *host_read_secret(void *ctx, const char *path, char *err, size_t errlen)
{
	(void)ctx;
	return gp_read_secret(path, err, errlen);
}

static int host_state_get(void *ctx, const char *key, char *buf, size_t len)
{
	struct gp_runner *r = ctx;
	return r->store.get ? r->store.get(r->store.ctx, key, buf, len) : -1;
}

void gp_runner_set_language(struct gp_runner *r, const char *language)
{
	r->russian = language && !strcmp(language, "ru");
}

struct gp_runner *gp_runner_new(struct gp_registry *reg, const struct gp_state_store *store,
				gp_outcome_fn done, void *done_ctx, struct gp_errlist *el)
{
	struct gp_runner *r = gp_xcalloc(1, sizeof(*r));
	r->reg = reg;
	r->done = done;
	r->done_ctx = done_ctx;
	if (store)
		r->store = *store;
	r->host = (struct gp_host_api){
		.abi_version = GP_COLLECTOR_ABI_VERSION,
		.ctx = r,
		.complete = host_complete,
		.log = host_log,
		.now_us = mono_us,
		.state_get = host_state_get,
		.read_secret = host_read_secret,
	};
	r->first = gp_xcalloc(reg->n + 1, sizeof(*r->first));
	gp_registry_init(reg, &r->host, el);
	return r;
}

size_t gp_runner_add(struct gp_runner *r, const struct gp_target *t, const struct gp_check *c)
{
	gp_grow((void **)&r->jobs, &r->cap_jobs, r->n_jobs, sizeof(*r->jobs));
	size_t i = r->n_jobs++;
	struct job *j = &r->jobs[i];
	memset(j, 0, sizeof(*j));
	j->target = t;
	j->check = c;
	const char *kind = c->kind;
	j->plugin = gp_registry_for_kind(r->reg, kind);
	if (!j->plugin) {
		j->setup_error = gp_xasprintf("no collector plugin serves '%s'", kind);
		return i;
	}
	if (!j->plugin->inst) {
		j->setup_error = gp_xasprintf("the '%s' collector failed to start (see the log)",
					      j->plugin->c->name);
		return i;
	}
	struct gp_spec_buf sb;
	gp_spec_build(&sb, t, c);
	char err[512] = "";
	j->handle = j->plugin->c->check_new(j->plugin->inst, &sb.spec, err, sizeof(err));
	gp_spec_free(&sb);
	if (!j->handle)
		j->setup_error = gp_xstrdup(err[0] ? err : "the collector refused the check");
	return i;
}

bool gp_runner_start(struct gp_runner *r, size_t i)
{
	struct job *j = &r->jobs[i];
	if (j->in_flight)
		return false;
	j->gen = (j->gen + 1) & GEN_MASK;
	j->in_flight = true;
	r->in_flight++;
	j->started_us = gp_monotonic_us();
	j->give_up_us = j->started_us + j->check->timeout_ms * 1000 + RUNNER_GRACE_US;
	if (!j->handle) {
		bool missing = j->setup_error && strncmp(j->setup_error, "no collector", 12) == 0;
		struct gp_result res = {
			.state = GP_STATE_UNKNOWN,
			.message = j->setup_error,
			.hint = missing ? "install the collector plugins, or set GPROBE_PLUGIN_DIR" : NULL,
		};
		deliver(r, i, &res);
		return true;
	}
	uint64_t id = ((uint64_t)i << GEN_BITS) | j->gen;
	if (j->plugin->c->start(j->plugin->inst, j->handle, id) != 0 && j->in_flight) {
		struct gp_result res = {.state = GP_STATE_UNKNOWN,
					.message = "the collector could not start the request"};
		deliver(r, i, &res);
	}
	return true;
}

size_t gp_runner_in_flight(const struct gp_runner *r)
{
	return r->in_flight;
}

void gp_runner_poll(struct gp_runner *r, int timeout_ms)
{
	struct gp_registry *reg = r->reg;
	size_t total = 0;
	int64_t wait_ms = timeout_ms;
	for (size_t p = 0; p < reg->n; p++) {
		r->first[p] = total;
		if (!reg->v[p].inst)
			continue;
		int64_t t = -1;
		int room = (int)(r->cap_fds - total);
		int need = reg->v[p].c->poll_fds(reg->v[p].inst, r->pfds + total, room, &t);
		if (need > room) {
			gp_grow((void **)&r->pfds, &r->cap_fds, total + (size_t)need, sizeof(*r->pfds));
			r->sys = gp_xrealloc(r->sys, r->cap_fds * sizeof(*r->sys));
			room = (int)(r->cap_fds - total);
			need = reg->v[p].c->poll_fds(reg->v[p].inst, r->pfds + total, room, &t);
			if (need > room)
				need = room;
		}
		total += (size_t)(need > 0 ? need : 0);
		if (t >= 0 && (wait_ms < 0 || t < wait_ms))
			wait_ms = t;
	}
	r->first[reg->n] = total;

	/* Never sleep past a give-up scan while anything is in flight. */
	int64_t now = gp_monotonic_us();
	if (r->in_flight > 0) {
		int64_t left = (r->next_give_up_scan_us - now + 999) / 1000;
		if (left < 0)
			left = 0;
		if (wait_ms < 0 || left < wait_ms)
			wait_ms = left;
	}
	if (wait_ms < 0 || wait_ms > 60000)
		wait_ms = 60000;

	for (size_t k = 0; k < total; k++)
		r->sys[k] = (struct pollfd){.fd = r->pfds[k].fd, .events = r->pfds[k].events};
	int rc = poll(r->sys, total, (int)wait_ms);
	for (size_t k = 0; k < total; k++)
		r->pfds[k].revents = rc > 0 ? r->sys[k].revents : 0;
	for (size_t p = 0; p < reg->n; p++)
		if (reg->v[p].inst)
			reg->v[p].c->dispatch(reg->v[p].inst, r->pfds + r->first[p],
					      (int)(r->first[p + 1] - r->first[p]));

	now = gp_monotonic_us();
	if (now < r->next_give_up_scan_us)
		return;
	r->next_give_up_scan_us = now + GIVE_UP_SCAN_US;
	for (size_t i = 0; i < r->n_jobs && r->in_flight > 0; i++) {
		if (r->jobs[i].in_flight && now >= r->jobs[i].give_up_us) {
			struct gp_result res = {
				.state = GP_STATE_UNKNOWN,
				.message = "the collector did not complete the request within its timeout",
				.hint = "a collector plugin bug: report it with `gprobe diag` output",
			};
			deliver(r, i, &res);
		}
	}
}

void gp_runner_free(struct gp_runner *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_jobs; i++) {
		struct job *j = &r->jobs[i];
		if (j->handle)
			j->plugin->c->check_free(j->plugin->inst, j->handle);
		free(j->setup_error);
	}
	/* Plugin instances hold a pointer to this runner's host API: end them
	 * with it. */
	for (size_t p = 0; p < r->reg->n; p++) {
		if (r->reg->v[p].inst)
			r->reg->v[p].c->fini(r->reg->v[p].inst);
		r->reg->v[p].inst = NULL;
	}
	free(r->jobs);
	free(r->pfds);
	free(r->sys);
	free(r->first);
	free(r);
}

/* ------------------------------------------------------------------ */
/* One-shot runs                                                       */

static void once_done(void *ctx, size_t i, const struct gp_outcome *o)
{
	struct gp_job *jobs = ctx;
	gp_outcome_clear(&jobs[i].out);
	gp_outcome_copy(&jobs[i].out, o);
}

void gp_run_once(struct gp_registry *reg, const struct gp_state_store *store, struct gp_job *jobs,
		 size_t n)
{
	struct gp_errlist el = {0};
	struct gp_runner *r = gp_runner_new(reg, store, once_done, jobs, &el);
	for (size_t i = 0; i < n; i++) {
		memset(&jobs[i].out, 0, sizeof(jobs[i].out));
		gp_runner_add(r, jobs[i].target, jobs[i].check);
	}
	for (size_t i = 0; i < n; i++)
		gp_runner_start(r, i);
	while (gp_runner_in_flight(r) > 0)
		gp_runner_poll(r, -1);
	gp_runner_free(r);
	gp_errlist_free(&el);
}

void gp_outcome_copy(struct gp_outcome *dst, const struct gp_outcome *src)
{
	*dst = *src;
	dst->text = src->text ? gp_xstrdup(src->text) : NULL;
	dst->message = src->message ? gp_xstrdup(src->message) : NULL;
	dst->hint = src->hint ? gp_xstrdup(src->hint) : NULL;
	dst->request = src->request ? gp_xstrdup(src->request) : NULL;
	dst->evaluation = src->evaluation ? gp_xstrdup(src->evaluation) : NULL;
	dst->state_key = src->state_key ? gp_xstrdup(src->state_key) : NULL;
	dst->state_value = src->state_value ? gp_xstrdup(src->state_value) : NULL;
}

void gp_outcome_clear(struct gp_outcome *o)
{
	free(o->text);
	free(o->message);
	free(o->hint);
	free(o->request);
	free(o->evaluation);
	free(o->state_key);
	free(o->state_value);
	memset(o, 0, sizeof(*o));
}

void gp_job_clear(struct gp_job *job)
{
	gp_outcome_clear(&job->out);
}
