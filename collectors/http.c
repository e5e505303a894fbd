/*
 * http.c - the `http_get` collector: what a config may say to it, and the
 * loading of its transfers (http/curl.so: libcurl, jansson) when the first
 * check is set up. See http_engine.h.
 *
 * This object links no library. The registry loads it for the config's
 * declarations wherever a config names an HTTP check or an http: block;
 * a run that sets up no HTTP check (check_genesys on an SNMP check of such
 * a config, `gprobe config check`) thus never maps libcurl and the ~30
 * libraries it brings, and a check without `xpath` never maps libxml2.
 *
 * Each call below hands on to an engine: curl.so, or plain.so for a
 * one-shot run's plain http:// checks (http_engine.h). A request plain.so
 * hands back is started again in curl.so, whose check is then made from
 * the copy of the spec kept for that.
 */
#define _GNU_SOURCE /* dladdr */
#include "collector.h"
#include "http_answer.h" /* the hints, shared */
#include "http_engine.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The engines, once loaded; every call is on the host's one thread. */
static const struct gp_collector *engine;
static const struct gp_http_plain *plain;

struct front {
	const struct gp_host_api *host;
	char *dir;        /* the folder of the engines, absolute (resolved at init) */
	void *inst;       /* curl.so's instance, from its init(); NULL until needed */
	void *plain_inst; /* plain.so's, likewise */
	int n_curl_fds;   /* of the last poll_fds: the first n are curl.so's */
};

/* A check: its handle in plain.so, in curl.so, or both once plain.so has
 * handed a request over. */
struct front_check {
	void *curl, *plain;
	struct gp_check_spec *spec; /* plain.so's checks: for curl.so, on a handover */
};

static void *front_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	Dl_info info;
	char real[PATH_MAX];
	/* Where this object was loaded from, resolved now: the engines are
	 * loaded later, and a relative plugin folder names nothing once the
	 * working directory changes. */
	if (!dladdr((void *)&engine, &info) || !info.dli_fname ||
	    !realpath(info.dli_fname, real)) {
		snprintf(err, errlen, "cannot tell the folder the HTTP collector was loaded from");
		return NULL;
	}
	char *slash = strrchr(real, '/');
	*slash = '\0';
	struct front *f = calloc(1, sizeof(*f));
	size_t n = strlen(real) + sizeof("/" GP_HTTP_SUBDIR);
	char *dir = malloc(n);
	if (!f || !dir) {
		free(f);
		free(dir);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(dir, n, "%s/%s", real, GP_HTTP_SUBDIR);
	f->host = host;
	f->dir = dir;
	return f;
}

/* The table an engine's file exports through its entry symbol, or NULL
 * with the reason in err. */
static const void *load_engine(struct front *f, const char *file, const char *symbol, char *err,
			       size_t errlen)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", f->dir, file) >= (int)sizeof(path)) {
		snprintf(err, errlen, "the HTTP collector's folder name is too long");
		return NULL;
	}
	/* Bound as gp_http_dlopen_mode() says; RTLD_NODELETE, as the
	 * registry loads a collector (plugin.c): libcurl's and OpenSSL's
	 * global state is kept for the life of the process. */
	void *dl = dlopen(path, gp_http_dlopen_mode());
	if (!dl) {
		const char *e = dlerror();
		snprintf(err, errlen, "cannot load the HTTP collector's transfers: %s", e ? e : path);
		return NULL;
	}
	const void *(*entry)(void);
	/* POSIX allows this conversion for dlsym results. */
	*(void **)&entry = dlsym(dl, symbol);
	const void *table = entry ? entry() : NULL;
	if (!table) {
		snprintf(err, errlen, "%s is not the HTTP transfers of this gprobe (no %s)", path,
			 symbol);
		dlclose(dl);
	}
	return table;
}

/* curl.so loaded and started, or false with the reason in err. */
static bool engine_ready(struct front *f, char *err, size_t errlen)
{
	if (f->inst)
		return true;
	if (!engine) {
		const struct gp_collector *e =
			load_engine(f, GP_HTTP_ENGINE_FILE, GP_HTTP_ENGINE_ENTRY, err, errlen);
		if (!e)
			return false;
		if (e->abi_version != GP_COLLECTOR_ABI_VERSION) {
			snprintf(err, errlen, "%s/%s is of another ABI version", f->dir,
				 GP_HTTP_ENGINE_FILE);
			return false;
		}
		engine = e;
	}
	f->inst = engine->init(f->host, err, errlen);
	return f->inst != NULL;
}

static void handover(void *ctx, void *token, uint64_t id, int64_t left_ms);

/* plain.so loaded and started, or false with the reason in err. */
static bool plain_ready(struct front *f, char *err, size_t errlen)
{
	if (f->plain_inst)
		return true;
	if (!plain && !(plain = load_engine(f, GP_HTTP_PLAIN_FILE, GP_HTTP_PLAIN_ENTRY, err, errlen)))
		return false;
	f->plain_inst = plain->init(f->host, handover, f, err, errlen);
	return f->plain_inst != NULL;
}

/* ------------------------------------------------------------------ */
/* A spec kept for a handover                                          */

static void spec_free(struct gp_check_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_options; i++) {
		free((char *)s->options[i].key);
		free((char *)s->options[i].value);
		free((char *)s->options[i].file);
	}
	free((struct gp_option *)s->options);
	free((char *)s->target);
	free((char *)s->host);
	free((char *)s->check);
	free((char *)s->kind);
	free((char *)s->arg);
	free(s);
}

static const char *dup_or_null(const char *v, bool *oom)
{
	char *d = v ? strdup(v) : NULL;
	*oom |= v && !d;
	return d;
}

/* A deep copy of s, or NULL when memory is short. */
static struct gp_check_spec *spec_copy(const struct gp_check_spec *s)
{
	struct gp_check_spec *c = calloc(1, sizeof(*c));
	struct gp_option *o = calloc(s->n_options ? s->n_options : 1, sizeof(*o));
	if (!c || !o) {
		free(c);
		free(o);
		return NULL;
	}
	bool oom = false;
	*c = *s;
	c->options = o;
	c->target = dup_or_null(s->target, &oom);
	c->host = dup_or_null(s->host, &oom);
	c->check = dup_or_null(s->check, &oom);
	c->kind = dup_or_null(s->kind, &oom);
	c->arg = dup_or_null(s->arg, &oom);
	for (size_t i = 0; i < s->n_options; i++) {
		o[i] = s->options[i];
		o[i].key = dup_or_null(s->options[i].key, &oom);
		o[i].value = dup_or_null(s->options[i].value, &oom);
		o[i].file = dup_or_null(s->options[i].file, &oom);
	}
	if (oom) {
		spec_free(c);
		return NULL;
	}
	return c;
}

/* ------------------------------------------------------------------ */
/* The calls                                                           */

/* Whether the check's URL is http:// (plain.so then looks closer). */
static bool plain_scheme(const struct gp_check_spec *spec)
{
	const char *arg = spec->arg ? spec->arg : "", *base = gp_spec_option(spec, "http.base_url");
	return strncmp(arg, "http://", 7) == 0 ||
	       (arg[0] == '/' && base && strncmp(base, "http://", 7) == 0);
}

static void *front_check_new(void *inst, const struct gp_check_spec *spec, char *err,
			     size_t errlen)
{
	struct front *f = inst;
	struct front_check *fc = calloc(1, sizeof(*fc));
	if (!fc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Without plain.so (a plugin folder copied in part), curl.so does
	 * every check: plain.so only makes one-shot runs cheaper. */
	if (gp_http_use_plain() && plain_scheme(spec) && plain_ready(f, err, errlen)) {
		err[0] = '\0';
		fc->plain = plain->check_new(f->plain_inst, spec, fc, err, errlen);
		if (fc->plain && !(fc->spec = spec_copy(spec))) {
			plain->check_free(f->plain_inst, fc->plain);
			snprintf(err, errlen, "out of memory");
			free(fc);
			return NULL;
		}
		if (fc->plain)
			return fc;
		if (err[0]) { /* the check's own problem: curl.so would say the same */
			free(fc);
			return NULL;
		}
	}
	if (!engine_ready(f, err, errlen) || !(fc->curl = engine->check_new(f->inst, spec, err, errlen))) {
		free(fc);
		return NULL;
	}
	return fc;
}

/* Request id, which plain.so gave up, started again in curl.so from its
 * first URL, with the time it has left: a curl.so check made for this
 * handover (its timeout is a check's own), the last one's freed. */
static void handover(void *ctx, void *token, uint64_t id, int64_t left_ms)
{
	struct front *f = ctx;
	struct front_check *fc = token;
	char err[512] = "";
	struct gp_result res = {.state = GP_STATE_UNKNOWN};
	if (left_ms <= 0) {
		res.state = GP_STATE_CRITICAL;
		res.message = "Operation timed out before the redirect could be followed";
		res.hint = HTTP_HINT_TIMEOUT;
		f->host->complete(f->host->ctx, id, &res);
		return;
	}
	if (fc->curl)
		engine->check_free(f->inst, fc->curl);
	fc->curl = NULL;
	fc->spec->timeout_ms = left_ms;
	if (engine_ready(f, err, sizeof(err)) &&
	    (fc->curl = engine->check_new(f->inst, fc->spec, err, sizeof(err))) &&
	    engine->start(f->inst, fc->curl, id) == 0)
		return;
	res.message = err[0] ? err : "the HTTP transfer could not be started";
	f->host->complete(f->host->ctx, id, &res);
}

/* A check handle exists only once its engine runs: the calls taking one
 * find its instance set. */
static int front_start(void *inst, void *check, uint64_t id)
{
	struct front *f = inst;
	struct front_check *fc = check;
	if (fc->plain)
		return plain->start(f->plain_inst, fc->plain, id);
	return engine->start(f->inst, fc->curl, id);
}

/* curl.so's descriptors first, then plain.so's; each says how many it
 * needs, which may be more than the room it got (the host then asks again
 * with more). */
static int front_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct front *f = inst;
	int nc = 0, np = 0;
	int64_t t = -1, tp = -1;
	if (f->inst)
		nc = engine->poll_fds(f->inst, fds, max, &t);
	f->n_curl_fds = nc;
	if (f->plain_inst) {
		int used = nc < max ? nc : max;
		np = plain->poll_fds(f->plain_inst, fds + used, max - used, &tp);
		if (tp >= 0 && (t < 0 || tp < t))
			t = tp;
	}
	*timeout_ms = t;
	return nc + np;
}

static void front_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct front *f = inst;
	int nc = f->n_curl_fds < nfds ? f->n_curl_fds : nfds;
	if (f->inst)
		engine->dispatch(f->inst, fds, nc);
	if (f->plain_inst)
		plain->dispatch(f->plain_inst, fds + nc, nfds - nc);
}

static void front_check_free(void *inst, void *check)
{
	struct front *f = inst;
	struct front_check *fc = check;
	if (fc->plain)
		plain->check_free(f->plain_inst, fc->plain);
	if (fc->curl)
		engine->check_free(f->inst, fc->curl);
	spec_free(fc->spec);
	free(fc);
}

static void front_fini(void *inst)
{
	struct front *f = inst;
	if (f->inst)
		engine->fini(f->inst);
	if (f->plain_inst)
		plain->fini(f->plain_inst);
	free(f->dir);
	free(f);
}

/* ------------------------------------------------------------------ */
/* What a config may say to this collector                             */

static bool is_web_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
}

static const struct gp_option_decl http_block_options[] = {
	{.name = "base_url", .type = GP_OPT_STRING,
	 .doc = "http(s):// URL that relative check paths start from"},
	{.name = "tls_verify", .type = GP_OPT_BOOLEAN, .def = "true",
	 .doc = "verify the server's certificate and name"},
	{.name = "ca_file", .type = GP_OPT_FILE,
	 .doc = "CA certificates (PEM) instead of the system's"},
	{.name = "user", .type = GP_OPT_STRING, .doc = "basic authentication user"},
	{.name = "password_file", .type = GP_OPT_SECRET_FILE,
	 .doc = "basic authentication password, from a private file"},
	{0},
};

static void http_validate_block(const struct gp_check_spec *s, const struct gp_problems *p)
{
	const char *base = gp_spec_option(s, "http.base_url");
	if (base && !is_web_url(base))
		p->at_value(p->ctx, "http.base_url", "'%s' must start with http:// or https://", base);
	bool user = gp_spec_option(s, "http.user"), pass = gp_spec_option(s, "http.password_file");
	if (user && !pass)
		p->at_key(p->ctx, NULL,
			  "'user' needs 'password_file' (passwords never stand in the config)");
	if (!user && pass)
		p->at_key(p->ctx, "http.password_file", "'password_file' needs 'user'");
}

static const char *const http_methods[] = {"GET", "POST", NULL};

static const struct gp_option_decl get_options[] = {
	{.name = "expect_status", .type = GP_OPT_INTEGER, .min = 100, .max = 599,
	 .doc = "the HTTP status the answer must have (default: any 2xx)"},
	{.name = "json", .type = GP_OPT_STRING,
	 .doc = "RFC 6901 JSON pointer: the value is what it names in the body"},
	{.name = "xpath", .type = GP_OPT_STRING,
	 .doc = "XPath: the value is what it selects in an XML body"},
	{.name = "match", .type = GP_OPT_REGEX, .flags = GP_OPT_VARS,
	 .doc = "POSIX ERE the value (or the body) must match"},
	{.name = "method", .type = GP_OPT_ENUM, .def = "GET", .values = http_methods,
	 .doc = "GET or POST"},
	{.name = "body", .type = GP_OPT_STRING, .doc = "the body of a POST"},
	{.name = "allow_downgrade", .type = GP_OPT_BOOLEAN, .def = "false",
	 .doc = "follow a redirect from https:// to plain http://"},
	{0},
};

static void http_validate_check(const struct gp_check_spec *s, const struct gp_problems *p)
{
	const char *arg = s->arg;
	if (!is_web_url(arg) && arg[0] != '/')
		p->at_value(p->ctx, "",
			    "'%s' must be a path starting with '/' or a full http(s):// URL", arg);
	else if (arg[0] == '/' && !s->has_block)
		p->at_key(p->ctx, "", "the target has no http: block");
	else if (arg[0] == '/' && !gp_spec_option(s, "http.base_url"))
		p->at_value(p->ctx, "", "a relative path needs http.base_url on the target");
	const char *json = gp_spec_option(s, "json");
	if (json && gp_spec_option(s, "xpath"))
		p->at_key(p->ctx, "xpath", "give json or xpath, not both");
	if (json && json[0] != '\0' && json[0] != '/')
		p->at_value(p->ctx, "json",
			    "'%s' is not a JSON pointer (RFC 6901: empty or starting with '/')", json);
	if (gp_spec_option(s, "body") && strcmp(gp_spec_option(s, "method"), "POST") != 0)
		p->at_key(p->ctx, "body", "needs method: POST");
}

static const struct gp_kind_decl http_kinds[] = {
	{.name = "http_get",
	 .block = "http",
	 /* A full URL needs no http: block; validate says when one is needed. */
	 .flags = GP_KIND_BLOCK_OPTIONAL,
	 .arg = {.name = "url", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .doc = "path under http.base_url, or a full http(s):// URL"},
	 .options = get_options,
	 .doc = "a request; the value is the status, a JSON or XPath value, or the body",
	 .validate = http_validate_check},
	{0},
};

static const struct gp_block_decl http_blocks[] = {
	{.name = "http",
	 .options = http_block_options,
	 .doc = "the target's web server",
	 .validate = http_validate_block},
	{0},
};

static const struct gp_collector http_collector = {
	.abi_version = GP_COLLECTOR_ABI_VERSION,
	.name = "http",
	.kinds = http_kinds,
	.blocks = http_blocks,

	.init = front_init,
	.check_new = front_check_new,
	.start = front_start,
	.poll_fds = front_poll_fds,
	.dispatch = front_dispatch,
	.check_free = front_check_free,
	.fini = front_fini,
};

GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
{
	return &http_collector;
}
