/*
 * example.c - the smallest collector plugin: a starting point for a new
 * one, and the test double of the ABI (not installed).
 *
 * It declares the kind "example", whose value (`value`, an integer, as in
 * `{name: x, example: 7}`) is the result of each collection, delivered
 * after the option `delay` (a duration, default 0) using only the host's
 * timer. A real collector does the same with sockets: poll_fds() names
 * them, dispatch() reads them. The host has checked the types before
 * check_new() sees them: `example: seven` never gets this far.
 *
 * Build:  cc -shared -fPIC -I collectors -o example.so collectors/example.c
 */
#include "collector.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef EXAMPLE_ABI_VERSION
#define EXAMPLE_ABI_VERSION GP_COLLECTOR_ABI_VERSION
#endif

struct ex_check {
	double value;
	int64_t delay_us;
};

struct ex_req {
	uint64_t id;
	struct ex_check *check;
	int64_t due_us;
};

struct ex_inst {
	const struct gp_host_api *host;
	struct ex_req *reqs;
	size_t n, cap;
};

static const struct gp_option_decl ex_options[] = {
	{.name = "delay", .type = GP_OPT_DURATION, .def = "0ms",
	 .doc = "how long a collection takes"},
	{0},
};

static const struct gp_kind_decl ex_kinds[] = {
	{.name = "example",
	 .arg = {.name = "value", .type = GP_OPT_INTEGER, .flags = GP_OPT_REQUIRED,
		 .doc = "the value every collection gives"},
	 .options = ex_options,
	 .doc = "a fixed value: the template of a collector"},
	{0},
};

static void *ex_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	struct ex_inst *in = calloc(1, sizeof(*in));
	if (!in)
		snprintf(err, errlen, "out of memory");
	else
		in->host = host;
	return in;
}

static void *ex_check_new(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen)
{
	(void)inst;
	if (!spec->arg) {
		snprintf(err, errlen, "no value");
		return NULL;
	}
	struct ex_check *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->value = (double)spec->arg_number;
	const struct gp_option *d = gp_spec_find(spec, "delay");
	c->delay_us = d ? d->number * 1000 : 0;
	return c;
}

static void complete(struct ex_inst *in, const struct ex_req *r)
{
	char text[64];
	snprintf(text, sizeof(text), "%g", r->check->value);
	struct gp_result res = {
		.state = GP_STATE_OK,
		.text = text,
		.has_value = true,
		.value = r->check->value,
		.message = "example value",
		.request = "example",
	};
	in->host->complete(in->host->ctx, r->id, &res);
}

static int ex_start(void *inst, void *check, uint64_t id)
{
	struct ex_inst *in = inst;
	if (in->n == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 8;
		struct ex_req *v = realloc(in->reqs, nc * sizeof(*v));
		if (!v)
			return -1;
		in->reqs = v;
		in->cap = nc;
	}
	struct ex_check *c = check;
	in->reqs[in->n++] = (struct ex_req){id, c, in->host->now_us(in->host->ctx) + c->delay_us};
	return 0;
}

static int ex_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	(void)fds;
	(void)max;
	struct ex_inst *in = inst;
	int64_t now = in->host->now_us(in->host->ctx), wait = -1;
	for (size_t i = 0; i < in->n; i++) {
		int64_t left = in->reqs[i].due_us - now;
		left = left <= 0 ? 0 : (left + 999) / 1000;
		if (wait < 0 || left < wait)
			wait = left;
	}
	*timeout_ms = wait;
	return 0; /* no descriptors: only a timer */
}

static void ex_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	(void)fds;
	(void)nfds;
	struct ex_inst *in = inst;
	int64_t now = in->host->now_us(in->host->ctx);
	size_t i = 0;
	while (i < in->n) {
		if (in->reqs[i].due_us > now) {
			i++;
			continue;
		}
		struct ex_req r = in->reqs[i];
		in->reqs[i] = in->reqs[--in->n];
		complete(in, &r);
	}
}

static void ex_check_free(void *inst, void *check)
{
	(void)inst;
	free(check);
}

static void ex_fini(void *inst)
{
	struct ex_inst *in = inst;
	free(in->reqs);
	free(in);
}

static const struct gp_collector example_collector = {
	.abi_version = EXAMPLE_ABI_VERSION,
	.name = "example",
	.kinds = ex_kinds,
	.init = ex_init,
	.check_new = ex_check_new,
	.start = ex_start,
	.poll_fds = ex_poll_fds,
	.dispatch = ex_dispatch,
	.check_free = ex_check_free,
	.fini = ex_fini,
};

#ifndef EXAMPLE_NO_ENTRY
GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
{
	return &example_collector;
}
#else
/* Built without the entry point: what the loader must refuse. */
GP_COLLECTOR_EXPORT const struct gp_collector *not_the_entry(void)
{
	return &example_collector;
}
#endif
