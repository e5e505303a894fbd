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
 * Each call below hands on to curl.so's; a check's handle is curl.so's.
 */
#define _GNU_SOURCE /* dladdr */
#include "collector.h"
#include "http_engine.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* curl.so, once loaded; every call is on the host's one thread. */
static const struct gp_collector *engine;

struct front {
	const struct gp_host_api *host;
	char *dir;   /* the folder of curl.so, absolute (resolved at init) */
	void *inst;  /* curl.so's instance, from its init(); NULL until needed */
};

static void *front_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	Dl_info info;
	char real[PATH_MAX];
	/* Where this object was loaded from, resolved now: the engine is
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

/* curl.so loaded and started, or false with the reason in err. */
static bool engine_ready(struct front *f, char *err, size_t errlen)
{
	if (f->inst)
		return true;
	if (!engine) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", f->dir, GP_HTTP_ENGINE_FILE) >=
		    (int)sizeof(path)) {
			snprintf(err, errlen, "the HTTP collector's folder name is too long");
			return false;
		}
		/* Bound as gp_http_dlopen_mode() says; RTLD_NODELETE, as the
		 * registry loads a collector (plugin.c): libcurl's and
		 * OpenSSL's global state is kept for the life of the process. */
		void *dl = dlopen(path, gp_http_dlopen_mode());
		if (!dl) {
			const char *e = dlerror();
			snprintf(err, errlen, "cannot load the HTTP collector's transfers: %s",
				 e ? e : path);
			return false;
		}
		gp_http_engine_fn entry;
		/* POSIX allows this conversion for dlsym results. */
		*(void **)&entry = dlsym(dl, GP_HTTP_ENGINE_ENTRY);
		const struct gp_collector *e = entry ? entry() : NULL;
		if (!e || e->abi_version != GP_COLLECTOR_ABI_VERSION) {
			snprintf(err, errlen, "%s is not the HTTP transfers of this gprobe "
					      "(missing symbol or another ABI version)", path);
			dlclose(dl);
			return false;
		}
		engine = e;
	}
	f->inst = engine->init(f->host, err, errlen);
	return f->inst != NULL;
}

static void *front_check_new(void *inst, const struct gp_check_spec *spec, char *err,
			     size_t errlen)
{
	struct front *f = inst;
	if (!engine_ready(f, err, errlen))
		return NULL;
	return engine->check_new(f->inst, spec, err, errlen);
}

/* A check handle exists only once curl.so runs: the calls taking one
 * find f->inst set. */
static int front_start(void *inst, void *check, uint64_t id)
{
	struct front *f = inst;
	return engine->start(f->inst, check, id);
}

static int front_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct front *f = inst;
	if (!f->inst) {
		*timeout_ms = -1;
		return 0;
	}
	return engine->poll_fds(f->inst, fds, max, timeout_ms);
}

static void front_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct front *f = inst;
	if (f->inst)
		engine->dispatch(f->inst, fds, nfds);
}

static void front_check_free(void *inst, void *check)
{
	struct front *f = inst;
	engine->check_free(f->inst, check);
}

static void front_fini(void *inst)
{
	struct front *f = inst;
	if (f->inst)
		engine->fini(f->inst);
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
