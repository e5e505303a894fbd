/*
 * testconfig.h - loading a config in a unit test as the programs do:
 * against the declarations of the built collector plugins
 * ($GPROBE_PLUGIN_DIR, set by tests/CMakeLists.txt).
 */
#ifndef GP_TESTCONFIG_H
#define GP_TESTCONFIG_H

#include "config.h"
#include "plugin.h"

static inline struct gp_config *test_config_load(const char *path, const char *profile_dir,
						 struct gp_errlist *el)
{
	struct gp_registry reg = {0};
	struct gp_kinds kinds = gp_registry_kinds(&reg);
	struct gp_config_opts opts = {.default_profile_dir = profile_dir, .kinds = &kinds};
	struct gp_config *cfg = gp_config_load(path, &opts, el);
	if (reg.errors.n)
		gp_errlist_print(&reg.errors, stderr);
	/* The config keeps no pointer into a plugin. */
	gp_registry_free(&reg);
	return cfg;
}

#endif
