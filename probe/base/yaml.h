/*
 * yaml.h - a YAML file read into a small tree whose every node knows its
 * line and column.
 *
 * libfyaml parses; we keep our own tree because the config loader must
 * place every error (a wrong type, a missing key, an unknown key) at the
 * exact position of the mapping, key or value it is about. Aliases are
 * refused (a config has no need of them, and they are how a "billion
 * laughs" document grows), and so are duplicate keys.
 */
#ifndef GP_YAML_H
#define GP_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"

enum gp_ynode_type { GP_Y_SCALAR, GP_Y_MAP, GP_Y_SEQ };

struct gp_ynode {
	enum gp_ynode_type type;
	int line, col;     /* 1-based position of the node's first character */
	char *text;        /* scalar: its value (NUL-terminated) */
	bool quoted;       /* scalar: written in quotes (so "null" is a string) */
	size_t n;          /* map: pairs; seq: items */
	struct gp_ynode **keys;  /* map: key scalars */
	struct gp_ynode **items; /* map: values; seq: items */
};

/* A config or profile larger than this is refused. */
#define GP_YAML_MAX_BYTES (16 * 1024 * 1024)

/* Reads FILE: a regular file of at most GP_YAML_MAX_BYTES of UTF-8 text.
 * On failure returns NULL and adds positioned errors to el. */
struct gp_ynode *gp_yaml_load(const char *file, struct gp_errlist *el);
/* The same for text held in memory; name stands for the file in errors. */
struct gp_ynode *gp_yaml_load_text(const char *name, const char *text, size_t len,
				   struct gp_errlist *el);
void gp_ynode_free(struct gp_ynode *n);

/* A plain empty, "~" or "null" scalar. */
bool gp_ynode_is_null(const struct gp_ynode *n);
/* The value of key in a map, or NULL; *key_node gets the key when asked. */
struct gp_ynode *gp_ymap_get(const struct gp_ynode *map, const char *key);
const char *gp_ynode_type_name(const struct gp_ynode *n);

#endif
