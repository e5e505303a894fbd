/*
 * load.c - the config loader's typed readers (see loader.h): every value
 * read through here is checked for its shape and type, and every problem
 * is reported at the position of the node it is about, with the key path.
 */
#include "loader.h"
#include "secret.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
/* ------------------------------------------------------------------ */
/* Loader context and error helpers                                    */



void gp_ld_err(struct gp_ld *L, const struct gp_ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = gp_xvasprintf(fmt, ap);
	va_end(ap);
	gp_errlist_add(L->el, L->file, n ? n->line : 0, n ? n->col : 0, "%s", msg);
	free(msg);
}

/* "path.key", or "key" at the top level. */
char *gp_ld_path(const char *path, const char *key)
{
	return *path ? gp_xasprintf("%s.%s", path, key) : gp_xstrdup(key);
}

/* Reports keys of map that are not in allowed (a NULL-terminated list). */
void gp_ld_check_keys(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		       const char *const *allowed)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->text;
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, k) == 0)
				ok = true;
		if (!ok) {
			if (*path)
				gp_ld_err(L, map->keys[i], "unknown key '%s' in %s", k, path);
			else
				gp_ld_err(L, map->keys[i], "unknown key '%s' at the top level", k);
		}
	}
}

/* The key node of key in map (for errors that point at a key). */
const struct gp_ynode *gp_ld_key_node(const struct gp_ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->keys[i];
	return map;
}

/* The value of key as a non-empty scalar; NULL when absent (reported when
 * required) or of the wrong shape (always reported). */
const struct gp_ynode *gp_ld_scalar(struct gp_ld *L, const struct gp_ynode *map, const char *path,
				     const char *key, bool required)
{
	const struct gp_ynode *v = gp_ymap_get(map, key);
	if (!v || gp_ynode_is_null(v)) {
		if (required) {
			char *p = gp_ld_path(path, key);
			if (v)
				gp_ld_err(L, v, "%s: a value is required", p);
			else if (*path)
				gp_ld_err(L, map, "%s: missing required key '%s'", path, key);
			else
				gp_ld_err(L, map, "missing required key '%s' at the top level", key);
			free(p);
		}
		return NULL;
	}
	if (v->type != GP_Y_SCALAR) {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, v, "%s: expected a single value, got %s", p, gp_ynode_type_name(v));
		free(p);
		return NULL;
	}
	return v;
}

/* The value of key as a node of type want; see gp_ld_mapping(). */
static const struct gp_ynode *container(struct gp_ld *L, const struct gp_ynode *parent,
					const char *path, const char *key, bool required,
					enum gp_ynode_type want, const char *want_name)
{
	const struct gp_ynode *v = gp_ymap_get(parent, key);
	if (!v || gp_ynode_is_null(v)) {
		if (required) {
			if (*path)
				gp_ld_err(L, parent, "%s: missing required key '%s'", path, key);
			else
				gp_ld_err(L, parent, "missing required key '%s' at the top level", key);
		}
		return NULL;
	}
	if (v->type != want) {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, v, "%s: expected %s, got %s", p, want_name, gp_ynode_type_name(v));
		free(p);
		return NULL;
	}
	return v;
}

const struct gp_ynode *gp_ld_mapping(struct gp_ld *L, const struct gp_ynode *parent,
				     const char *path, const char *key, bool required)
{
	return container(L, parent, path, key, required, GP_Y_MAP, "a mapping");
}

const struct gp_ynode *gp_ld_sequence(struct gp_ld *L, const struct gp_ynode *parent,
				      const char *path, const char *key, bool required)
{
	return container(L, parent, path, key, required, GP_Y_SEQ, "a list");
}

void gp_ld_str(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		    bool required, char **out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, required);
	if (v) {
		free(*out);
		*out = gp_xstrdup(v->text);
	}
}

void gp_ld_int(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		    int64_t min, int64_t max, int64_t *out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, false);
	if (!v)
		return;
	const char *why;
	int64_t x;
	if (!gp_parse_int64(v->text, min, max, &x, &why)) {
		char *p = gp_ld_path(path, key);
		if (strcmp(why, "out of range") == 0)
			gp_ld_err(L, v, "%s: %s is out of range (%lld..%lld)", p, v->text, (long long)min,
			       (long long)max);
		else
			gp_ld_err(L, v, "%s: expected an integer, got '%s'", p, v->text);
		free(p);
		return;
	}
	*out = x;
}

void gp_ld_intv(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     int min, int max, int *out)
{
	int64_t x = *out;
	gp_ld_int(L, map, path, key, min, max, &x);
	*out = (int)x;
}

void gp_ld_duration(struct gp_ld *L, const struct gp_ynode *map, const char *path,
			 const char *key, int64_t *out_ms)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, false);
	if (!v)
		return;
	const char *why;
	if (!gp_parse_duration_ms(v->text, out_ms, &why)) {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, v, "%s: '%s': %s", p, v->text, why);
		free(p);
	}
}

void gp_ld_bool(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     bool *out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, false);
	if (!v)
		return;
	if (!v->quoted && strcmp(v->text, "true") == 0)
		*out = true;
	else if (!v->quoted && strcmp(v->text, "false") == 0)
		*out = false;
	else {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, v, "%s: expected true or false, got '%s'", p, v->text);
		free(p);
	}
}

/* One of names (NULL-terminated); *out gets its index. */
void gp_ld_enum(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     const char *const *names, int *out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, false);
	if (!v)
		return;
	for (int i = 0; names[i]; i++) {
		if (strcmp(names[i], v->text) == 0) {
			*out = i;
			return;
		}
	}
	char alts[256] = "";
	for (int i = 0; names[i]; i++) {
		strncat(alts, i ? ", " : "", sizeof(alts) - strlen(alts) - 1);
		strncat(alts, names[i], sizeof(alts) - strlen(alts) - 1);
	}
	char *p = gp_ld_path(path, key);
	gp_ld_err(L, v, "%s: '%s' is not one of: %s", p, v->text, alts);
	free(p);
}

void gp_ld_money(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		      bool required, int64_t *out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, required);
	if (!v)
		return;
	const char *why;
	int64_t t;
	char *p = gp_ld_path(path, key);
	if (!gp_parse_money(v->text, &t, &why))
		gp_ld_err(L, v, "%s: '%s': %s", p, v->text, why);
	else if (t > MONEY_MAX_TIYN)
		gp_ld_err(L, v, "%s: '%s': amount too large (at most 10000000000000.00)", p, v->text);
	else
		*out = t;
	free(p);
}

bool gp_ld_date_node(struct gp_ld *L, const struct gp_ynode *v, const char *p, struct gp_date *out)
{
	const char *why;
	if (v->type != GP_Y_SCALAR) {
		gp_ld_err(L, v, "%s: expected a date (YYYY-MM-DD), got %s", p, gp_ynode_type_name(v));
		return false;
	}
	if (!gp_parse_date(v->text, out, &why)) {
		gp_ld_err(L, v, "%s: '%s': %s", p, v->text, why);
		return false;
	}
	return true;
}

void gp_ld_date_list(struct gp_ld *L, const struct gp_ynode *map, const char *path,
			  const char *key, struct gp_date **out, size_t *n)
{
	const struct gp_ynode *seq = gp_ld_sequence(L, map, path, key, false);
	if (!seq)
		return;
	for (size_t i = 0; i < seq->n; i++) {
		char *p = gp_xasprintf("%s.%s[%zu]", path, key, i);
		struct gp_date d;
		if (gp_ld_date_node(L, seq->items[i], p, &d)) {
			*out = gp_xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = d;
		}
		free(p);
	}
}

void gp_ld_str_list(struct gp_ld *L, const struct gp_ynode *map, const char *path,
			 const char *key, bool required, char ***out, size_t *n)
{
	const struct gp_ynode *seq = gp_ld_sequence(L, map, path, key, required);
	if (!seq)
		return;
	if (required && seq->n == 0) {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, seq, "%s: the list is empty", p);
		free(p);
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct gp_ynode *v = seq->items[i];
		if (v->type != GP_Y_SCALAR || gp_ynode_is_null(v)) {
			gp_ld_err(L, v, "%s.%s[%zu]: expected a single value", path, key, i);
			continue;
		}
		*out = gp_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = gp_xstrdup(v->text);
	}
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

/* Relative paths in the config are relative to the config file. */
char *gp_ld_resolve(struct gp_ld *L, const char *p)
{
	if (p[0] == '/' || !L->base_dir)
		return gp_xstrdup(p);
	return gp_xasprintf("%s/%s", L->base_dir, p);
}



/* A path key: resolved, and checked to exist (and, for secrets, to be
 * private). Stores the resolved path in *out even when the check fails, so
 * later stages see what was meant. */
char *gp_ld_file_problem(const char *file, enum gp_ld_file_kind fk)
{
	struct stat st;
	if (fk == GP_LD_SECRET)
		return gp_secret_file_problem(file);
	if (stat(file, &st) != 0)
		return gp_xasprintf("'%s': %s", file, strerror(errno));
	if (fk == GP_LD_DIR && !S_ISDIR(st.st_mode))
		return gp_xasprintf("'%s' is not a directory", file);
	if (fk == GP_LD_PLAIN && !S_ISREG(st.st_mode))
		return gp_xasprintf("'%s' is not a regular file", file);
	return NULL;
}

void gp_ld_file(struct gp_ld *L, const struct gp_ynode *map, const char *path, const char *key,
		bool required, enum gp_ld_file_kind fk, char **out)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, key, required);
	if (!v)
		return;
	free(*out);
	*out = gp_ld_resolve(L, v->text);
	char *why = gp_ld_file_problem(*out, fk);
	if (why) {
		char *p = gp_ld_path(path, key);
		gp_ld_err(L, v, "%s: %s", p, why);
		free(p);
		free(why);
	}
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

bool gp_ld_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* Reads the required name key; checks its syntax. */
char *gp_ld_name(struct gp_ld *L, const struct gp_ynode *map, const char *path,
		      const struct gp_ynode **vnode)
{
	const struct gp_ynode *v = gp_ld_scalar(L, map, path, "name", true);
	*vnode = v;
	if (!v)
		return NULL;
	if (!gp_ld_valid_name(v->text)) {
		gp_ld_err(L, v, "%s.name: '%s' is not a valid name (1-64 of a-z, 0-9, '_', '.', '-')",
		       path, v->text);
		return NULL;
	}
	return gp_xstrdup(v->text);
}

bool gp_ld_plain_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}
