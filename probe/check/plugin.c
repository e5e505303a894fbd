/*
 * plugin.c - collector plugin registry (see plugin.h).
 */
#include "plugin.h"
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GPROBE_BUILD_PLUGIN_DIR
#define GPROBE_BUILD_PLUGIN_DIR ""
#endif
#ifndef GPROBE_INSTALL_PLUGIN_DIR
#define GPROBE_INSTALL_PLUGIN_DIR "/usr/lib/gprobe/collectors"
#endif

const char *gp_plugin_dir(const char *configured)
{
	const char *env = getenv("GPROBE_PLUGIN_DIR");
	if (env && *env)
		return env;
	if (configured)
		return configured;
	/* A program run from the build tree uses the plugins built with it. */
	if (GPROBE_BUILD_PLUGIN_DIR[0] && access(GPROBE_BUILD_PLUGIN_DIR, R_OK) == 0 &&
	    access(GPROBE_INSTALL_PLUGIN_DIR, R_OK) != 0)
		return GPROBE_BUILD_PLUGIN_DIR;
	return GPROBE_INSTALL_PLUGIN_DIR;
}

int gp_registry_load_file(struct gp_registry *r, const char *path, struct gp_errlist *el)
{
	/* RTLD_NODELETE: a plugin and its libraries stay mapped for the life
	 * of the process. Protocol libraries keep global state (net-snmp's
	 * MIB tree, libcurl's and OpenSSL's init) that unloading would leave
	 * dangling, and leak reports can still name the plugin's frames. */
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!dl) {
		gp_errlist_add(el, path, 0, 0, "cannot load collector plugin: %s", dlerror());
		return -1;
	}
	gp_collector_entry_fn entry;
	/* POSIX allows this conversion for dlsym results. */
	*(void **)&entry = dlsym(dl, GP_COLLECTOR_ENTRY);
	if (!entry) {
		gp_errlist_add(el, path, 0, 0,
			       "not a gprobe collector plugin: missing symbol '%s'", GP_COLLECTOR_ENTRY);
		dlclose(dl);
		return -1;
	}
	const struct gp_collector *c = entry();
	if (!c || c->abi_version != GP_COLLECTOR_ABI_VERSION) {
		gp_errlist_add(el, path, 0, 0,
			       "collector plugin built for ABI version %u, this gprobe has version %u; "
			       "rebuild the plugin against this collector.h",
			       c ? c->abi_version : 0u, (unsigned)GP_COLLECTOR_ABI_VERSION);
		dlclose(dl);
		return -1;
	}
	if (!c->name || !c->kinds || !c->init || !c->check_new || !c->start || !c->poll_fds ||
	    !c->dispatch || !c->check_free || !c->fini) {
		gp_errlist_add(el, path, 0, 0, "collector plugin leaves a required call empty");
		dlclose(dl);
		return -1;
	}
	for (const struct gp_kind_decl *k = c->kinds; k->name; k++) {
		struct gp_plugin *other = gp_registry_for_kind(r, k->name);
		if (other) {
			gp_errlist_add(el, path, 0, 0, "check kind '%s' is already served by %s",
				       k->name, other->path);
			dlclose(dl);
			return -1;
		}
	}
	for (const struct gp_block_decl *b = c->blocks; b && b->name; b++) {
		if (gp_registry_block(r, b->name)) {
			gp_errlist_add(el, path, 0, 0, "target block '%s' is already declared by another "
						       "collector", b->name);
			dlclose(dl);
			return -1;
		}
	}
	r->v = gp_xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n++] = (struct gp_plugin){.path = gp_xstrdup(path), .dl = dl, .c = c};
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gp_registry_load_dir(struct gp_registry *r, const char *dir, struct gp_errlist *el)
{
	DIR *d = opendir(dir);
	if (!d) {
		gp_errlist_add(el, dir, 0, 0, "cannot open the collector plugin directory");
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 3 && strcmp(de->d_name + len - 3, ".so") == 0) {
			gp_grow((void **)&names, &cap, n, sizeof(*names));
			names[n++] = gp_xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	int errors = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < r->n && !seen; k++)
			seen = strcmp(r->v[k].path, names[i]) == 0;
		for (size_t k = 0; k < r->n_tried && !seen; k++)
			seen = strcmp(r->tried[k], names[i]) == 0;
		if (!seen && gp_registry_load_file(r, names[i], el) != 0)
			errors++;
		free(names[i]);
	}
	free(names);
	return errors;
}

int gp_registry_init(struct gp_registry *r, const struct gp_host_api *host, struct gp_errlist *el)
{
	int rc = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].inst)
			continue;
		char err[256] = "";
		r->v[i].inst = r->v[i].c->init(host, err, sizeof(err));
		if (!r->v[i].inst) {
			gp_errlist_add(el, r->v[i].path, 0, 0, "collector '%s' failed to start: %s",
				       r->v[i].c->name, err[0] ? err : "no reason given");
			rc = -1;
		}
	}
	return rc;
}

struct gp_plugin *gp_registry_for_kind(struct gp_registry *r, const char *kind)
{
	for (size_t i = 0; i < r->n; i++)
		for (const struct gp_kind_decl *k = r->v[i].c->kinds; k->name; k++)
			if (strcmp(k->name, kind) == 0)
				return &r->v[i];
	return NULL;
}

const struct gp_kind_decl *gp_registry_kind(struct gp_registry *r, const char *kind)
{
	for (size_t i = 0; i < r->n; i++)
		for (const struct gp_kind_decl *k = r->v[i].c->kinds; k->name; k++)
			if (strcmp(k->name, kind) == 0)
				return k;
	return NULL;
}

const struct gp_block_decl *gp_registry_block(struct gp_registry *r, const char *block)
{
	for (size_t i = 0; i < r->n; i++)
		for (const struct gp_block_decl *b = r->v[i].c->blocks; b && b->name; b++)
			if (strcmp(b->name, block) == 0)
				return b;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Loading on demand                                                   */

static const char *reg_dir(struct gp_registry *r)
{
	if (!r->dir)
		r->dir = gp_xstrdup(gp_plugin_dir(NULL));
	return r->dir;
}

/* Loads dir/NAME.so once, when it exists. */
static void try_file(struct gp_registry *r, const char *name, size_t len)
{
	if (r->all_loaded || len == 0 || len > 64)
		return;
	char *path = gp_xasprintf("%s/%.*s.so", reg_dir(r), (int)len, name);
	for (size_t i = 0; i < r->n_tried; i++)
		if (strcmp(r->tried[i], path) == 0) {
			free(path);
			return;
		}
	r->tried = gp_xrealloc(r->tried, (r->n_tried + 1) * sizeof(*r->tried));
	r->tried[r->n_tried++] = path;
	if (access(path, F_OK) == 0)
		gp_registry_load_file(r, path, &r->errors);
}

void gp_registry_load_all(struct gp_registry *r)
{
	if (r->all_loaded)
		return;
	gp_registry_load_dir(r, reg_dir(r), &r->errors);
	r->all_loaded = true;
}

static void kinds_set_dir(void *ctx, const char *configured)
{
	struct gp_registry *r = ctx;
	char *dir = gp_xstrdup(gp_plugin_dir(configured));
	if (r->dir && strcmp(r->dir, dir) != 0)
		r->all_loaded = false;
	free(r->dir);
	r->dir = dir;
}

static const struct gp_kind_decl *kinds_kind(void *ctx, const char *name)
{
	struct gp_registry *r = ctx;
	const struct gp_kind_decl *k = gp_registry_kind(r, name);
	if (!k) {
		try_file(r, name, strcspn(name, "_"));
		k = gp_registry_kind(r, name);
	}
	return k;
}

static const struct gp_block_decl *kinds_block(void *ctx, const char *name)
{
	struct gp_registry *r = ctx;
	const struct gp_block_decl *b = gp_registry_block(r, name);
	if (!b) {
		try_file(r, name, strlen(name));
		b = gp_registry_block(r, name);
	}
	if (!b) {
		gp_registry_load_all(r);
		b = gp_registry_block(r, name);
	}
	return b;
}

static const struct gp_kind_decl *kinds_nth(void *ctx, size_t n)
{
	struct gp_registry *r = ctx;
	gp_registry_load_all(r);
	for (size_t i = 0; i < r->n; i++)
		for (const struct gp_kind_decl *k = r->v[i].c->kinds; k->name; k++)
			if (n-- == 0)
				return k;
	return NULL;
}

static const char *kinds_where(void *ctx)
{
	return reg_dir(ctx);
}

struct gp_kinds gp_registry_kinds(struct gp_registry *r)
{
	return (struct gp_kinds){
		.ctx = r,
		.set_dir = kinds_set_dir,
		.kind = kinds_kind,
		.block = kinds_block,
		.nth_kind = kinds_nth,
		.where = kinds_where,
	};
}

void gp_registry_retain_kinds(struct gp_registry *r, const char *const *kinds, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n; i++) {
		bool used = false;
		for (const struct gp_kind_decl *k = r->v[i].c->kinds; k->name && !used; k++)
			for (size_t j = 0; j < n && !used; j++)
				used = strcmp(k->name, kinds[j]) == 0;
		if (used) {
			r->v[kept++] = r->v[i];
			continue;
		}
		if (r->v[i].inst)
			r->v[i].c->fini(r->v[i].inst);
		dlclose(r->v[i].dl); /* RTLD_NODELETE: it stays mapped */
		free(r->v[i].path);
	}
	r->n = kept;
}

void gp_registry_free(struct gp_registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].inst)
			r->v[i].c->fini(r->v[i].inst);
		dlclose(r->v[i].dl); /* RTLD_NODELETE: it stays mapped */
		free(r->v[i].path);
	}
	free(r->v);
	for (size_t i = 0; i < r->n_tried; i++)
		free(r->tried[i]);
	free(r->tried);
	free(r->dir);
	gp_errlist_free(&r->errors);
	memset(r, 0, sizeof(*r));
}
