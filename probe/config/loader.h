/*
 * loader.h - what the config loader's sections share (internal to
 * probe/config): the loader's context and its typed readers.
 *
 * Each reader takes the mapping, the key path of that mapping
 * ("targets[2].snmp") and the key; it reports a wrong shape or type at the
 * node it is about and leaves *out as it was, so one pass reports every
 * error of the file.
 */
#ifndef GP_CONFIG_LOADER_H
#define GP_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"
#include "yaml.h"

/* Money in the config is bounded so that every later product (hours x
 * payment x term) stays far inside int64: 10^15 tiyn = 10^13 KZT. */
#define MONEY_MAX_TIYN 1000000000000000LL

struct gp_ld {
	const char *file;     /* the file being walked (config or a profile) */
	char *base_dir;       /* of the main config: relative paths start here */
	struct gp_errlist *el;
	struct gp_config *cfg;
	const struct gp_config_opts *opts;
	bool told_no_collectors; /* "no collector plugin is installed" said once */
};

void gp_ld_err(struct gp_ld *L, const struct gp_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "path.key", or "key" at the top level (malloc'd). */
char *gp_ld_path(const char *path, const char *key);
/* Reports keys of map that are not in allowed (a NULL-terminated list). */
void gp_ld_check_keys(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		      const char *const *allowed);
/* The key node of key in map (for errors that point at a key), else map. */
const struct gp_ynode *gp_ld_key_node(const struct gp_ynode *map, const char *key);

/* The value of key as a non-empty scalar / a mapping / a list; NULL when
 * absent (reported when required) or of the wrong shape (reported). */
const struct gp_ynode *gp_ld_scalar(struct gp_ld *L, const struct gp_ynode *map, const char *path,
				    const char *key, bool required);
const struct gp_ynode *gp_ld_mapping(struct gp_ld *L, const struct gp_ynode *parent,
				     const char *path, const char *key, bool required);
const struct gp_ynode *gp_ld_sequence(struct gp_ld *L, const struct gp_ynode *parent,
				      const char *path, const char *key, bool required);

void gp_ld_str(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
	       bool required, char **out);
void gp_ld_int(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
	       int64_t min, int64_t max, int64_t *out);
void gp_ld_intv(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		int min, int max, int *out);
void gp_ld_duration(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		    const char *key, int64_t *out_ms);
void gp_ld_bool(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		bool *out);
/* One of names (NULL-terminated); *out gets its index. */
void gp_ld_enum(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		const char *const *names, int *out);
void gp_ld_money(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		 bool required, int64_t *out);
bool gp_ld_date_node(struct gp_ld *L, const struct gp_ynode *v, const char *p,
		     struct gp_date *out);
void gp_ld_date_list(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		     const char *key, struct gp_date **out, size_t *n);
void gp_ld_str_list(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		    const char *key, bool required, char ***out, size_t *n);

/* Relative paths in the config are relative to the config file. */
char *gp_ld_resolve(struct gp_ld *L, const char *p);
/* A node's or site's name: it goes into the store, the status and mail,
 * so up to 63 letters, digits and . _ - only. */
bool gp_ld_plain_name(const char *s);

enum gp_ld_file_kind { GP_LD_PLAIN, GP_LD_SECRET, GP_LD_DIR };
/* A path key: resolved, and checked to exist (and, for secrets, to be
 * private). Stores the resolved path in *out even when the check fails. */
void gp_ld_file(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		bool required, enum gp_ld_file_kind fk, char **out);
/* A file's problem as a GP_LD_* kind (malloc'd reason), or NULL. */
char *gp_ld_file_problem(const char *file, enum gp_ld_file_kind fk);

/* 1-64 of a-z, 0-9, '_', '.', '-'. */
bool gp_ld_valid_name(const char *s);
/* Reads the required name key; checks its syntax. */
char *gp_ld_name(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		 const struct gp_ynode **vnode);

/* The sections (targets.c). */
void gp_ld_targets(struct gp_ld *L, const struct gp_ynode *root);
void gp_ld_target_free(struct gp_target *t);

#endif
