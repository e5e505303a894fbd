/*
 * plugin.h - the collector plugin registry: loads collector shared objects
 * (collectors/collector.h) and finds the one serving a check kind.
 *
 * The registry and main() are the only places holding process-wide state.
 */
#ifndef GP_PLUGIN_H
#define GP_PLUGIN_H

#include "collector.h"
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
void gp_registry_free(struct gp_registry *r);

#endif
