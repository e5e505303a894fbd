/*
 * runner.c - one concurrent pass over a batch of checks (see runner.h).
 */
#include "runner.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A plugin must complete every request within its timeout; past that and
 * this grace the runner gives up on it, so a broken plugin cannot hang a
 * diag or a check_genesys run. */
#define RUNNER_GRACE_US (2 * 1000 * 1000)

const char *gp_state_name(enum gp_state s)
{
	switch (s) {
	case GP_STATE_OK:
		return "OK";
	case GP_STATE_WARNING:
		return "WARNING";
	case GP_STATE_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

static int64_t mono_us(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ */
/* Options handed to collectors                                        */

struct optbuf {
	struct gp_option *v;
	size_t n, cap;
};

static void opt_add(struct optbuf *b, const char *key, const char *value)
{
	if (!value)
		return;
	gp_grow((void **)&b->v, &b->cap, b->n, sizeof(*b->v));
	/* Keys are static strings; values are copied so every option can be
	 * freed alike. */
	b->v[b->n++] = (struct gp_option){.key = key, .value = gp_xstrdup(value)};
}

static void opt_addi(struct optbuf *b, const char *key, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	opt_add(b, key, buf);
}

struct gp_option *gp_options_build(const struct gp_target *t, const struct gp_check *c, size_t *n)
{
	struct optbuf b = {0};
	if (t->snmp.set) {
		static const char *const ver[] = {"", "1", "2c", "3"};
		static const char *const lvl[] = {"noAuthNoPriv", "authNoPriv", "authPriv"};
		opt_addi(&b, "snmp.port", t->snmp.port);
		opt_add(&b, "snmp.version", ver[t->snmp.version]);
		opt_add(&b, "snmp.community", t->snmp.community);
		opt_add(&b, "snmp.community_file", t->snmp.community_file);
		opt_add(&b, "snmp.user", t->snmp.user);
		if (t->snmp.version == 3)
			opt_add(&b, "snmp.security_level", lvl[t->snmp.security_level]);
		opt_add(&b, "snmp.auth_protocol", t->snmp.auth_protocol);
		opt_add(&b, "snmp.auth_password_file", t->snmp.auth_password_file);
		opt_add(&b, "snmp.priv_protocol", t->snmp.priv_protocol);
		opt_add(&b, "snmp.priv_password_file", t->snmp.priv_password_file);
		opt_addi(&b, "snmp.retries", t->snmp.retries);
	}
	if (t->ssh.set) {
		opt_addi(&b, "ssh.port", t->ssh.port);
		opt_add(&b, "ssh.user", t->ssh.user);
		opt_add(&b, "ssh.key", t->ssh.key);
		opt_add(&b, "ssh.known_hosts", t->ssh.known_hosts);
	}
	if (t->http.set) {
		opt_add(&b, "http.base_url", t->http.base_url);
		opt_add(&b, "http.tls_verify", t->http.tls_verify ? "true" : "false");
		opt_add(&b, "http.ca_file", t->http.ca_file);
		opt_add(&b, "http.user", t->http.user);
		opt_add(&b, "http.password_file", t->http.password_file);
	}
	if (t->genesys_dbid >= 0)
		opt_addi(&b, "genesys_dbid", t->genesys_dbid);
	opt_add(&b, "match", c->match);
	opt_add(&b, "json", c->json);
	opt_add(&b, "xpath", c->xpath);
	if (c->expect_status)
		opt_addi(&b, "expect_status", c->expect_status);
	opt_add(&b, "method", c->method);
	opt_add(&b, "body", c->body);
	*n = b.n;
	return b.v;
}

void gp_options_free(struct gp_option *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)opts[i].value);
	free(opts);
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? gp_xstrdup(src) : NULL;
}

void gp_evaluate(const struct gp_check *c, struct gp_outcome *o)
{
	o->state = o->probe_state;
	if (o->probe_state != GP_STATE_OK)
		return;
	if (c->expect) {
		if (!o->text || strcmp(o->text, c->expect) != 0) {
			o->state = GP_STATE_CRITICAL;
			char *e = gp_xasprintf("value '%s' is not the expected '%s'",
					       o->text ? o->text : "", c->expect);
			free(o->evaluation);
			o->evaluation = e;
			return;
		}
		free(o->evaluation);
		o->evaluation = gp_xasprintf("value '%s' is the expected '%s'", o->text, c->expect);
	}
	if (!c->critical.set && !c->warning.set)
		return;
	if (!o->has_value) {
		o->state = GP_STATE_UNKNOWN;
		free(o->evaluation);
		o->evaluation = gp_xasprintf("value '%s' is not a number; thresholds cannot apply",
					     o->text ? o->text : "");
		return;
	}
	char w[64], cr[64];
	gp_range_format(&c->warning, w, sizeof(w));
	gp_range_format(&c->critical, cr, sizeof(cr));
	free(o->evaluation);
	if (gp_range_alerts(&c->critical, o->value)) {
		o->state = GP_STATE_CRITICAL;
		o->evaluation = gp_xasprintf("%g is outside the critical range '%s'", o->value, cr);
	} else if (gp_range_alerts(&c->warning, o->value)) {
		o->state = GP_STATE_WARNING;
		o->evaluation = gp_xasprintf("%g is outside the warning range '%s'", o->value, w);
	} else {
		o->evaluation = gp_xasprintf("%g is within the thresholds (warning '%s', critical '%s')",
					     o->value, w, cr);
	}
}

/* ------------------------------------------------------------------ */
/* The host side of the ABI                                            */

struct run {
	struct gp_job *jobs;
	size_t n;
	size_t pending;
};

static void host_complete(void *ctx, uint64_t id, const struct gp_result *r)
{
	struct run *run = ctx;
	if (id >= run->n || run->jobs[id].done)
		return; /* a plugin bug: ignore a stray or second completion */
	struct gp_job *j = &run->jobs[id];
	struct gp_outcome *o = &j->out;
	j->done = true;
	run->pending--;
	o->probe_state = r->state <= GP_STATE_UNKNOWN ? r->state : GP_STATE_UNKNOWN;
	o->has_value = r->has_value;
	o->value = r->value;
	set_str(&o->text, r->text);
	set_str(&o->message, r->message);
	set_str(&o->hint, r->hint);
	set_str(&o->request, r->request);
	o->n_metrics = r->n_metrics > GP_MAX_METRICS ? GP_MAX_METRICS : r->n_metrics;
	for (size_t i = 0; i < o->n_metrics; i++) {
		snprintf(o->metrics[i].name, sizeof(o->metrics[i].name), "%s",
			 r->metrics[i].name ? r->metrics[i].name : "");
		snprintf(o->metrics[i].uom, sizeof(o->metrics[i].uom), "%s",
			 r->metrics[i].uom ? r->metrics[i].uom : "");
		o->metrics[i].value = r->metrics[i].value;
	}
	o->duration_us = mono_us(NULL) - j->started_us;
}

static void host_log(void *ctx, enum gp_log_level level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
	/* One-shot runs report through outcomes; plugin chatter is dropped. */
}

static int host_state_get(void *ctx, const char *key, char *buf, size_t len)
{
	(void)ctx;
	(void)key;
	(void)buf;
	(void)len;
	return -1;
}

static int host_state_put(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	(void)key;
	(void)value;
	return 0;
}

static void fail_job(struct run *run, size_t i, enum gp_state st, const char *msg, const char *hint)
{
	struct gp_result r = {.state = st, .message = msg, .hint = hint};
	host_complete(run, i, &r);
}

void gp_run_once(struct gp_registry *reg, struct gp_job *jobs, size_t n)
{
	struct run run = {.jobs = jobs, .n = n, .pending = n};
	struct gp_host_api host = {
		.abi_version = GP_COLLECTOR_ABI_VERSION,
		.ctx = &run,
		.complete = host_complete,
		.log = host_log,
		.now_us = mono_us,
		.state_get = host_state_get,
		.state_put = host_state_put,
	};
	struct gp_errlist el = {0};
	gp_registry_init(reg, &host, &el);
	/* The registry keeps the host pointer only for this run's plugin
	 * instances; they are finished before we return. */

	int64_t max_timeout_us = 0;
	for (size_t i = 0; i < n; i++) {
		struct gp_job *j = &jobs[i];
		memset(&j->out, 0, sizeof(j->out));
		j->done = false;
		j->handle = NULL;
		j->started_us = mono_us(NULL);
		const char *kind = gp_check_kind_name(j->check->kind);
		j->plugin = gp_registry_for_kind(reg, kind);
		if (!j->plugin || !j->plugin->inst) {
			char *m = gp_xasprintf("no collector plugin serves '%s'", kind);
			fail_job(&run, i, GP_STATE_UNKNOWN, m,
				 "install the collector plugins, or set GPROBE_PLUGIN_DIR");
			free(m);
			continue;
		}
		size_t nopt;
		struct gp_option *opts = gp_options_build(j->target, j->check, &nopt);
		struct gp_check_spec spec = {
			.target = j->target->name,
			.host = j->target->host,
			.check = j->check->name,
			.kind = kind,
			.arg = j->check->arg,
			.timeout_ms = j->check->timeout_ms,
			.options = opts,
			.n_options = nopt,
		};
		char err[512] = "";
		j->handle = j->plugin->c->check_new(j->plugin->inst, &spec, err, sizeof(err));
		gp_options_free(opts, nopt);
		if (!j->handle) {
			fail_job(&run, i, GP_STATE_UNKNOWN, err[0] ? err : "the collector refused the check",
				 NULL);
			continue;
		}
		if (j->check->timeout_ms * 1000 > max_timeout_us)
			max_timeout_us = j->check->timeout_ms * 1000;
		if (j->plugin->c->start(j->plugin->inst, j->handle, i) != 0)
			fail_job(&run, i, GP_STATE_UNKNOWN, "the collector could not start the request",
				 NULL);
	}

	int64_t give_up = mono_us(NULL) + max_timeout_us + RUNNER_GRACE_US;
	struct gp_pollfd *pfds = NULL;
	struct pollfd *sys = NULL;
	size_t cap = 0;
	while (run.pending > 0 && mono_us(NULL) < give_up) {
		/* Collect every plugin's descriptors into one poll set. */
		size_t total = 0;
		int64_t wait_ms = 1000;
		size_t *first = gp_xcalloc(reg->n + 1, sizeof(size_t));
		for (size_t p = 0; p < reg->n; p++) {
			first[p] = total;
			if (!reg->v[p].inst)
				continue;
			int64_t t = -1;
			int room = (int)(cap - total);
			int need = reg->v[p].c->poll_fds(reg->v[p].inst, pfds + total, room, &t);
			if (need > room) {
				gp_grow((void **)&pfds, &cap, total + (size_t)need, sizeof(*pfds));
				sys = gp_xrealloc(sys, cap * sizeof(*sys));
				room = (int)(cap - total);
				need = reg->v[p].c->poll_fds(reg->v[p].inst, pfds + total, room, &t);
			}
			total += (size_t)(need > 0 ? need : 0);
			if (t >= 0 && t < wait_ms)
				wait_ms = t;
		}
		first[reg->n] = total;
		if (cap > 0 && !sys)
			sys = gp_xrealloc(sys, cap * sizeof(*sys));
		for (size_t k = 0; k < total; k++)
			sys[k] = (struct pollfd){.fd = pfds[k].fd, .events = pfds[k].events};
		int rc = poll(sys, total, (int)wait_ms);
		if (rc < 0 && errno != EINTR)
			wait_ms = 10;
		for (size_t k = 0; k < total; k++)
			pfds[k].revents = rc > 0 ? sys[k].revents : 0;
		for (size_t p = 0; p < reg->n; p++)
			if (reg->v[p].inst)
				reg->v[p].c->dispatch(reg->v[p].inst, pfds + first[p],
						      (int)(first[p + 1] - first[p]));
		free(first);
	}
	free(pfds);
	free(sys);

	for (size_t i = 0; i < n; i++)
		if (!jobs[i].done)
			fail_job(&run, i, GP_STATE_UNKNOWN,
				 "the collector did not complete the request within its timeout",
				 "a collector plugin bug: report it with `gprobe diag` output");

	for (size_t i = 0; i < n; i++) {
		gp_evaluate(jobs[i].check, &jobs[i].out);
		if (jobs[i].handle)
			jobs[i].plugin->c->check_free(jobs[i].plugin->inst, jobs[i].handle);
		jobs[i].handle = NULL;
	}
	/* Plugin instances hold a pointer to this run's host API: end them. */
	for (size_t p = 0; p < reg->n; p++) {
		if (reg->v[p].inst)
			reg->v[p].c->fini(reg->v[p].inst);
		reg->v[p].inst = NULL;
	}
	gp_errlist_free(&el);
}

void gp_job_clear(struct gp_job *job)
{
	struct gp_outcome *o = &job->out;
	free(o->text);
	free(o->message);
	free(o->hint);
	free(o->request);
	free(o->evaluation);
	memset(o, 0, sizeof(*o));
}
