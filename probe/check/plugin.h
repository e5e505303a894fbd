/*
 * plugin.h - the collector plugin registry: loads collector shared objects
 * (collectors/collector.h) and finds the one serving a check kind.
 *
 * The registry and main() are the only places holding process-wide state.
 */
#ifndef GP_PLUGIN_H
#define GP_PLUGIN_H

#include "collector.h"
#include "config.h"
#include "errlist.h"

struct gp_plugin {
	char *path;
	void *dl;
	const struct gp_collector *c;
	void *inst; /* from init(); NULL until gp_registry_init() */
};

struct gp_registry {
	struct gp_plugin *v;
	size_t n;
	/* Loading on demand (gp_registry_kinds): the directory, the files
	 * already tried, whether all of it is loaded, and what went wrong. */
	char *dir;
	char **tried;
	size_t n_tried;
	bool all_loaded;
	struct gp_errlist errors;
};

/* The plugin directory: $GPROBE_PLUGIN_DIR, else the config's
 * probe.plugin_dir, else the build tree's when the program runs from it,
 * else the installed one. */
const char *gp_plugin_dir(const char *configured);

/* Loads one shared object. A missing entry symbol, a wrong ABI version or a
 * kind served twice is an error naming the file. Returns 0 or -1. */
int gp_registry_load_file(struct gp_registry *r, const char *path, struct gp_errlist *el);
/* Loads every *.so in dir (sorted by name). Returns the number of errors. */
int gp_registry_load_dir(struct gp_registry *r, const char *dir, struct gp_errlist *el);
/* Calls init() of every plugin. Returns 0, or -1 with errors in el. */
int gp_registry_init(struct gp_registry *r, const struct gp_host_api *host, struct gp_errlist *el);
struct gp_plugin *gp_registry_for_kind(struct gp_registry *r, const char *kind);
const struct gp_kind_decl *gp_registry_kind(struct gp_registry *r, const char *kind);
const struct gp_block_decl *gp_registry_block(struct gp_registry *r, const char *block);

/*
 * The registry as the config loader's source of declarations (config.h):
 * collectors are loaded from the plugin directory as the config names
 * their kinds and blocks, so a one-shot run loads only what it uses. A
 * kind's collector is first looked for in the file named by the kind's
 * first word (snmp_get: snmp.so), a block's in the file of its name; what
 * is found nowhere else makes the whole directory load. Load errors wait
 * in r->errors for the caller to show.
 */
struct gp_kinds gp_registry_kinds(struct gp_registry *r);
/* Loads every collector of the registry's directory (set by the config,
 * or gp_plugin_dir(NULL)). */
void gp_registry_load_all(struct gp_registry *r);
/* Unloads the plugins that serve none of kinds[0..n) (before
 * gp_registry_init: their init() is never called), so a one-shot run starts
 * only the collectors its checks use. Their declarations stay mapped
 * (RTLD_NODELETE): a loaded config may keep pointing into them. */
void gp_registry_retain_kinds(struct gp_registry *r, const char *const *kinds, size_t n);
void gp_registry_free(struct gp_registry *r);

#endif
