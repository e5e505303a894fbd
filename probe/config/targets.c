/*
 * targets.c - targets:, their blocks and checks, and the profiles that
 * add checks to them.
 *
 * The loader knows no protocol. A check is a mapping with exactly one key
 * that names a kind some collector declares ("snmp_get: OID"), the
 * generic keys every check has (expect, warning, critical, interval, ...)
 * and the options its kind declares ("match", "json"). A target's other
 * mappings ("snmp:", "ssh:") are blocks that collectors declare. Every
 * value is read against its declaration, defaults are filled in, and the
 * collector's validate hooks get the validated values to reject what
 * types cannot say, naming the key; their problems are placed like the
 * loader's own, at FILE:LINE:COL.
 */
#include "loader.h"
#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keys every check has, whatever its kind. */
static const char *const generic_check_keys[] = {
	"name", "expect", "value_names", "uom", "warning", "critical", "availability", "interval",
	"retry_interval", "timeout", "attempts", NULL,
};

/* value_names: {VALUE: NAME, ...}, scalars both ("2": stopped). */
static void read_value_names(struct gp_ld *L, const struct gp_ynode *m, const char *path,
			     struct gp_check *c)
{
	const struct gp_ynode *v = gp_ymap_get(m, "value_names");
	if (!v)
		return;
	if (v->type != GP_Y_MAP) {
		gp_ld_err(L, v, "%s.value_names: expected a mapping of values to names "
			  "({\"2\": stopped, \"4\": running})", path);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct gp_ynode *name = v->items[i];
		if (name->type != GP_Y_SCALAR || !*name->text) {
			gp_ld_err(L, name, "%s.value_names.%s: expected the value's name", path,
				  v->keys[i]->text);
			continue;
		}
		c->value_names = gp_xrealloc(c->value_names,
					     (c->n_value_names + 1) * sizeof(*c->value_names));
		c->value_names[c->n_value_names++] = (struct gp_value_name){
			gp_xstrdup(v->keys[i]->text), gp_xstrdup(name->text)};
	}
}

const char *gp_check_value_name(const struct gp_check *c, const char *value)
{
	for (size_t i = 0; value && i < c->n_value_names; i++)
		if (!strcmp(c->value_names[i].value, value))
			return c->value_names[i].name;
	return NULL;
}

static bool is_generic_check_key(const char *k)
{
	for (const char *const *g = generic_check_keys; *g; g++)
		if (strcmp(*g, k) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Declarations, through the registry's view (config.h struct gp_kinds) */

static const struct gp_kind_decl *kind_decl(struct gp_ld *L, const char *name)
{
	const struct gp_kinds *k = L->opts ? L->opts->kinds : NULL;
	return k && k->kind ? k->kind(k->ctx, name) : NULL;
}

static const struct gp_block_decl *block_decl(struct gp_ld *L, const char *name)
{
	const struct gp_kinds *k = L->opts ? L->opts->kinds : NULL;
	return k && k->block ? k->block(k->ctx, name) : NULL;
}

static const struct gp_kind_decl *nth_kind(struct gp_ld *L, size_t i)
{
	const struct gp_kinds *k = L->opts ? L->opts->kinds : NULL;
	return k && k->nth_kind ? k->nth_kind(k->ctx, i) : NULL;
}

static const struct gp_option_decl *option_decl(const struct gp_option_decl *list,
						const char *name)
{
	for (const struct gp_option_decl *o = list; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every declared kind, sorted: "a, b, c" (malloc'd). */
static char *kind_list(struct gp_ld *L)
{
	const char **names = NULL;
	size_t n = 0;
	for (const struct gp_kind_decl *k; (k = nth_kind(L, n)) != NULL; n++) {
		names = gp_xrealloc(names, (n + 1) * sizeof(*names));
		names[n] = k->name;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_name);
	char *s = gp_xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = gp_xasprintf("%s%s%s", s, i ? ", " : "", names[i]);
		free(s);
		s = next;
	}
	free(names);
	return s;
}

/*
 * When not one collector is installed, every kind and block is unknown:
 * say that once, at n, instead of once per check. Returns true when that
 * is the case (the caller then says nothing more).
 */
static bool no_collectors(struct gp_ld *L, const struct gp_ynode *n)
{
	if (nth_kind(L, 0))
		return false;
	if (!L->told_no_collectors) {
		const struct gp_kinds *ks = L->opts ? L->opts->kinds : NULL;
		const char *where = ks && ks->where ? ks->where(ks->ctx) : NULL;
		gp_ld_err(L, n,
			  "no collector plugin is installed%s%s%s, so no check kind is known "
			  "(install the collector plugins, or set GPROBE_PLUGIN_DIR)",
			  where ? " in '" : "", where ? where : "", where ? "'" : "");
		L->told_no_collectors = true;
	}
	return true;
}

/* The config's files, kept for the positions of options. */
static const char *intern_file(struct gp_ld *L, const char *file)
{
	struct gp_config *cfg = L->cfg;
	for (size_t i = 0; i < cfg->n_files; i++)
		if (strcmp(cfg->files[i], file) == 0)
			return cfg->files[i];
	cfg->files = gp_xrealloc(cfg->files, (cfg->n_files + 1) * sizeof(*cfg->files));
	cfg->files[cfg->n_files] = gp_xstrdup(file);
	return cfg->files[cfg->n_files++];
}

const char *gp_vars_get(const struct gp_vars *v, const char *name)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (strcmp(v->names[i], name) == 0)
			return v->values[i];
	return NULL;
}

static void vars_add(struct gp_vars *v, const char *name, const char *value)
{
	v->names = gp_xrealloc(v->names, (v->n + 1) * sizeof(*v->names));
	v->values = gp_xrealloc(v->values, (v->n + 1) * sizeof(*v->values));
	v->names[v->n] = gp_xstrdup(name);
	v->values[v->n] = value ? gp_xstrdup(value) : NULL;
	v->n++;
}

static void vars_free(struct gp_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->names[i]);
		free(v->values[i]);
	}
	free(v->names);
	free(v->values);
	memset(v, 0, sizeof(*v));
}

/*
 * Replaces each "{name}" of s: "{dbid}" by the target's genesys_dbid, any
 * other by the target's vars, else the profile's default. Returns a
 * malloc'd string; *missing names the first value nobody gives (NULL when
 * all were found). Text in braces that is not a name stays as it is.
 */
static char *subst_vars(const char *s, const struct gp_target *t, const struct gp_vars *defaults,
			char **missing)
{
	size_t cap = strlen(s) + 64, n = 0;
	char *out = gp_xmalloc(cap);
	*missing = NULL;
	while (*s) {
		const char *close = *s == '{' ? strchr(s, '}') : NULL;
		size_t len = close ? (size_t)(close - s - 1) : 0;
		/* A name starts with a letter: "{5}" in a regex stays as it is. */
		bool is_name = close && len > 0 && len <= 32 && s[1] >= 'a' && s[1] <= 'z';
		for (size_t i = 1; is_name && i <= len; i++)
			is_name = (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || (s[i] >= '0' && s[i] <= '9');
		const char *value = NULL;
		char dbid[24];
		if (is_name) {
			char *name = gp_xstrndup(s + 1, len);
			if (strcmp(name, "dbid") == 0) {
				if (t->genesys_dbid >= 0) {
					snprintf(dbid, sizeof(dbid), "%lld", (long long)t->genesys_dbid);
					value = dbid;
				}
			} else {
				value = gp_vars_get(&t->vars, name);
				if (!value)
					value = gp_vars_get(defaults, name);
			}
			if (!value && !*missing)
				*missing = gp_xstrdup(name);
			free(name);
		}
		const char *piece = value ? value : s;
		size_t plen = value ? strlen(value) : (is_name ? len + 2 : 1);
		if (n + plen + 1 > cap) {
			cap = (n + plen + 1) * 2;
			out = gp_xrealloc(out, cap);
		}
		memcpy(out + n, piece, plen);
		n += plen;
		s += is_name ? len + 2 : 1;
	}
	out[n] = '\0';
	return out;
}

/* A profile's variable problem for the value of `what`, reported at v. */
static void report_missing(struct gp_ld *L, const struct gp_ynode *v, const char *what,
			   const char *missing, const char *profile)
{
	char *in = profile ? gp_xasprintf(" (profile '%s')", profile) : gp_xstrdup("");
	if (strcmp(missing, "dbid") == 0)
		gp_ld_err(L, v, "%s: '%s' needs the target's genesys_dbid%s", what, v->text, in);
	else
		gp_ld_err(L, v, "%s: '%s' needs a value for '%s': set it in the target's vars%s", what,
			  v->text, missing, in);
	free(in);
}

/* ------------------------------------------------------------------ */
/* Option values                                                       */

/* What a check's text may have replaced in it (profiles' {names}). */
struct subst {
	const struct gp_target *t;
	const struct gp_vars *defaults;
	const char *profile;
};

static void optvals_add(struct gp_optval **v, size_t *n, const char *key, const char *value,
			int64_t number, const char *file, const struct gp_ynode *at)
{
	*v = gp_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = (struct gp_optval){
		.key = gp_xstrdup(key),
		.value = gp_xstrdup(value),
		.number = number,
		.file = file,
		.pos = at ? (struct gp_pos){at->line, at->col} : (struct gp_pos){0, 0},
	};
}

static void optvals_free(struct gp_optval *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/*
 * Reads one scalar v against its declaration d. what is the key path for
 * messages ("targets[0].snmp.port"), label what stands before the type
 * error ("" or "value: " for a kind's own value). On success *out gets
 * the text (malloc'd: substituted, resolved) and *number its number.
 */
static bool read_scalar(struct gp_ld *L, const struct gp_option_decl *d, const struct gp_ynode *v,
			const char *what, const char *label, const struct subst *sb, char **out,
			int64_t *number)
{
	char *text = NULL;
	if ((d->flags & GP_OPT_VARS) && sb) {
		char *missing;
		text = subst_vars(v->text, sb->t, sb->defaults, &missing);
		if (missing) {
			report_missing(L, v, what, missing, sb->profile);
			free(missing);
			free(text);
			return false;
		}
	} else {
		text = gp_xstrdup(v->text);
	}
	*number = 0;
	const char *why;
	bool ok = true;
	switch (d->type) {
	case GP_OPT_INTEGER: {
		int64_t lo = d->min, hi = d->max;
		if (lo == 0 && hi == 0) {
			lo = INT64_MIN;
			hi = INT64_MAX;
		}
		if (!gp_parse_int64(text, lo, hi, number, &why)) {
			if (strcmp(why, "out of range") == 0)
				gp_ld_err(L, v, "%s: %s%s is out of range (%lld..%lld)", what, label, text,
					  (long long)lo, (long long)hi);
			else
				gp_ld_err(L, v, "%s: %sexpected an integer, got '%s'", what, label, text);
			ok = false;
		}
		break;
	}
	case GP_OPT_DURATION:
		if (!gp_parse_duration_ms(text, number, &why)) {
			gp_ld_err(L, v, "%s: %s'%s': %s", what, label, text, why);
			ok = false;
		}
		break;
	case GP_OPT_BOOLEAN:
		if (!v->quoted && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)) {
			*number = text[0] == 't';
		} else {
			gp_ld_err(L, v, "%s: %sexpected true or false, got '%s'", what, label, text);
			ok = false;
		}
		break;
	case GP_OPT_ENUM: {
		ok = false;
		for (int i = 0; d->values && d->values[i]; i++)
			if (strcmp(d->values[i], text) == 0) {
				*number = i;
				ok = true;
			}
		if (!ok) {
			char alts[256] = "";
			for (int i = 0; d->values && d->values[i]; i++) {
				strncat(alts, i ? ", " : "", sizeof(alts) - strlen(alts) - 1);
				strncat(alts, d->values[i], sizeof(alts) - strlen(alts) - 1);
			}
			gp_ld_err(L, v, "%s: %s'%s' is not one of: %s", what, label, text, alts);
		}
		break;
	}
	case GP_OPT_SECRET_FILE:
	case GP_OPT_FILE: {
		char *path = gp_ld_resolve(L, text);
		free(text);
		text = path;
		char *p = gp_ld_file_problem(path, d->type == GP_OPT_SECRET_FILE ? GP_LD_SECRET
										 : GP_LD_PLAIN);
		/* A private secret this user may not read is the business of
		 * the check that reads it (its result says why), not of the
		 * whole config. */
		if (p && d->type == GP_OPT_SECRET_FILE && gp_secret_file_unreadable_only(path)) {
			free(p);
			p = NULL;
		}
		if (p) {
			gp_ld_err(L, v, "%s: %s%s", what, label, p);
			free(p);
			ok = false;
		}
		break;
	}
	case GP_OPT_REGEX: {
		regex_t re;
		int rc = regcomp(&re, text, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char buf[128];
			regerror(rc, &re, buf, sizeof(buf));
			gp_ld_err(L, v, "%s: %sinvalid regular expression '%s': %s", what, label, text,
				  buf);
			ok = false;
		} else {
			regfree(&re);
		}
		break;
	}
	default:
		break;
	}
	if (!ok) {
		free(text);
		return false;
	}
	*out = text;
	return true;
}

/* Reads the value node v of option d into vals (a list: one per item). */
static void read_option(struct gp_ld *L, const struct gp_option_decl *d, const struct gp_ynode *v,
			const char *what, const struct subst *sb, const char *file,
			struct gp_optval **vals, size_t *n)
{
	if (gp_ynode_is_null(v)) {
		gp_ld_err(L, v, "%s: a value is required", what);
		return;
	}
	if (d->type == GP_OPT_LIST && v->type == GP_Y_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			const struct gp_ynode *item = v->items[i];
			if (item->type != GP_Y_SCALAR || gp_ynode_is_null(item)) {
				gp_ld_err(L, item, "%s[%zu]: expected a single value", what, i);
				continue;
			}
			char *text;
			int64_t num;
			if (read_scalar(L, d, item, what, "", sb, &text, &num)) {
				optvals_add(vals, n, d->name, text, num, file, item);
				free(text);
			}
		}
		return;
	}
	if (v->type != GP_Y_SCALAR) {
		gp_ld_err(L, v, "%s: expected a single value, got %s", what, gp_ynode_type_name(v));
		return;
	}
	char *text;
	int64_t num;
	if (read_scalar(L, d, v, what, "", sb, &text, &num)) {
		optvals_add(vals, n, d->name, text, num, file, v);
		free(text);
	}
}

/* Fills the defaults of the declared options not given. */
static void add_defaults(const struct gp_option_decl *decls, struct gp_optval **vals, size_t *n)
{
	for (const struct gp_option_decl *d = decls; d && d->name; d++) {
		bool given = false;
		for (size_t i = 0; i < *n && !given; i++)
			given = strcmp((*vals)[i].key, d->name) == 0;
		if (given || !d->def)
			continue;
		int64_t num = 0;
		const char *why;
		if (d->type == GP_OPT_INTEGER || d->type == GP_OPT_DURATION)
			(void)(d->type == GP_OPT_INTEGER
				       ? gp_parse_int64(d->def, INT64_MIN, INT64_MAX, &num, &why)
				       : gp_parse_duration_ms(d->def, &num, &why));
		else if (d->type == GP_OPT_BOOLEAN)
			num = strcmp(d->def, "true") == 0;
		else if (d->type == GP_OPT_ENUM)
			for (int i = 0; d->values && d->values[i]; i++)
				if (strcmp(d->values[i], d->def) == 0)
					num = i;
		optvals_add(vals, n, d->name, d->def, num, NULL, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* Validate hooks: problems placed at the node they name               */

struct placer {
	struct gp_ld *L;
	const char *path;              /* of the check or block */
	const char *prefix;            /* "snmp." for a block's keys, or "" */
	const struct gp_ynode *map;    /* the check or block mapping */
	const struct gp_ynode *kmap;   /* a kind written as a mapping, or NULL */
	const char *kind;              /* the kind's key, or NULL for a block */
	const struct gp_ynode *block;  /* the check's target block mapping, or NULL */
	const char *block_path;
	bool is_block;                 /* a block: values its collector rejected are dropped */
	char **rejected;
	size_t n_rejected;
};

/* The node key names, for at_value (value) or at_key (key). */
static const struct gp_ynode *place(const struct placer *pl, const char *key, bool value,
				    char **what)
{
	const struct gp_ynode *m = pl->map;
	if (!key) {
		*what = gp_xstrdup(pl->path);
		return m;
	}
	if (!*key && pl->kind) {
		*what = gp_ld_path(pl->path, pl->kind);
		const struct gp_ynode *v = gp_ymap_get(m, pl->kind);
		if (v && v->type == GP_Y_MAP)
			v = v->n ? v->items[0] : v;
		return value && v ? v : gp_ld_key_node(m, pl->kind);
	}
	size_t plen = strlen(pl->prefix);
	if (plen && strncmp(key, pl->prefix, plen) == 0)
		key += plen;
	/* A block key seen from a check: point into the target's block. */
	const char *dot = strchr(key, '.');
	if (dot && pl->block && pl->kind) {
		m = pl->block;
		key = dot + 1;
		*what = gp_ld_path(pl->block_path, key);
	} else {
		*what = gp_ld_path(pl->path, key);
		if (!gp_ymap_get(m, key) && pl->kmap && gp_ymap_get(pl->kmap, key))
			m = pl->kmap;
	}
	const struct gp_ynode *v = gp_ymap_get(m, key);
	if (!v)
		return m;
	return value ? v : gp_ld_key_node(m, key);
}

static void placed(void *ctx, const char *key, bool value, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void placed(void *ctx, const char *key, bool value, const char *fmt, va_list ap)
{
	struct placer *pl = ctx;
	char *what;
	const struct gp_ynode *n = place(pl, key, value, &what);
	size_t plen = strlen(pl->prefix);
	if (pl->is_block && key && *key && value) {
		const char *k = strncmp(key, pl->prefix, plen) == 0 ? key + plen : key;
		pl->rejected = gp_xrealloc(pl->rejected, (pl->n_rejected + 1) * sizeof(char *));
		pl->rejected[pl->n_rejected++] = gp_xstrdup(k);
	}
	char *msg = gp_xvasprintf(fmt, ap);
	gp_ld_err(pl->L, n, "%s: %s", what, msg);
	free(msg);
	free(what);
}

static void at_value(void *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void at_value(void *ctx, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	placed(ctx, key, true, fmt, ap);
	va_end(ap);
}

static void at_key(void *ctx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void at_key(void *ctx, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	placed(ctx, key, false, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Blocks                                                              */

static void load_block(struct gp_ld *L, const struct gp_block_decl *d, const struct gp_ynode *m,
		       const char *path, struct gp_block *b)
{
	memset(b, 0, sizeof(*b));
	b->name = gp_xstrdup(d->name);
	b->pos = (struct gp_pos){m->line, m->col};
	const char *file = intern_file(L, L->file);
	size_t nerr = L->el->n;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->text;
		const struct gp_option_decl *od = option_decl(d->options, k);
		if (!od) {
			gp_ld_err(L, m->keys[i], "unknown key '%s' in %s", k, path);
			continue;
		}
		char *what = gp_ld_path(path, k);
		read_option(L, od, m->items[i], what, NULL, file, &b->opts, &b->n_opts);
		free(what);
	}
	for (const struct gp_option_decl *od = d->options; od && od->name; od++)
		if ((od->flags & GP_OPT_REQUIRED) && !gp_ymap_get(m, od->name))
			gp_ld_err(L, m, "%s: missing required key '%s'", path, od->name);
	add_defaults(d->options, &b->opts, &b->n_opts);
	if (!d->validate || L->el->n != nerr)
		return;
	/* The hook sees the block as a check's spec would carry it. */
	struct gp_target t = {.name = (char *)"", .host = (char *)"", .blocks = b, .n_blocks = 1};
	struct gp_check c = {.name = (char *)"", .block = b->name};
	struct gp_spec_buf sb;
	gp_spec_build(&sb, &t, &c);
	char *prefix = gp_xasprintf("%s.", d->name);
	struct placer pl = {.L = L, .path = path, .prefix = prefix, .map = m, .is_block = true};
	struct gp_problems p = {.ctx = &pl, .at_value = at_value, .at_key = at_key};
	d->validate(&sb.spec, &p);
	/* A value its collector rejected is not kept: what the checks then
	 * say ("needs http.base_url") is about what stays. */
	for (size_t r = 0; r < pl.n_rejected; r++) {
		for (size_t i = 0; i < b->n_opts; i++)
			if (strcmp(b->opts[i].key, pl.rejected[r]) == 0) {
				free(b->opts[i].key);
				free(b->opts[i].value);
				b->opts[i--] = b->opts[--b->n_opts];
			}
		free(pl.rejected[r]);
	}
	free(pl.rejected);
	free(prefix);
	gp_spec_free(&sb);
}

static void block_free(struct gp_block *b)
{
	free(b->name);
	optvals_free(b->opts, b->n_opts);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static void check_free_fields(struct gp_check *c)
{
	free(c->name);
	free(c->kind);
	free(c->block);
	free(c->arg);
	optvals_free(c->opts, c->n_opts);
	free(c->expect);
	for (size_t i = 0; i < c->n_value_names; i++) {
		free(c->value_names[i].value);
		free(c->value_names[i].name);
	}
	free(c->value_names);
	free(c->uom);
	memset(c, 0, sizeof(*c));
}

/* The kind keys of check m: their count, the first in *key. */
static int find_kinds(struct gp_ld *L, const struct gp_ynode *m, const char *path,
		      const struct gp_kind_decl **decl, const struct gp_ynode **key)
{
	int n = 0;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->text;
		if (is_generic_check_key(k))
			continue;
		const struct gp_kind_decl *d = kind_decl(L, k);
		if (!d)
			continue;
		if (++n == 1) {
			*decl = d;
			*key = m->keys[i];
		} else if (path) {
			gp_ld_err(L, m->keys[i],
				  "%s: more than one probe kind (%s and %s); give exactly one", path,
				  (*decl)->name, k);
		}
	}
	return n;
}

/* Why key k, declared by no option of kind d, is wrong in a check of d. */
static void misplaced_key(struct gp_ld *L, const struct gp_ynode *kn, const char *path,
			  const struct gp_kind_decl *d)
{
	const char *k = kn->text;
	/* Some other kind takes it: say which, so the fix is plain. */
	const struct gp_kind_decl *only = NULL;
	int takers = 0;
	for (size_t i = 0;; i++) {
		const struct gp_kind_decl *o = nth_kind(L, i);
		if (!o)
			break;
		if (option_decl(o->options, k)) {
			only = o;
			takers++;
		}
	}
	if (takers == 1)
		gp_ld_err(L, kn, "%s.%s: only for %s checks", path, k, only->name);
	else if (takers > 1)
		gp_ld_err(L, kn, "%s.%s: not used by %s", path, k, d->name);
	else
		gp_ld_err(L, kn, "unknown key '%s' in %s", k, path);
}

/*
 * Loads one check of target t. profile is set when m comes from a
 * profile file (defaults: its vars). Returns false when the check is
 * unusable.
 */
static bool load_check(struct gp_ld *L, const struct gp_ynode *m, const char *path,
		       const struct gp_target *t, const struct gp_ynode *tmap, const char *tpath,
		       const char *profile, const struct gp_vars *defaults, struct gp_check *c)
{
	const struct gp_probe_settings *ps = &L->cfg->probe;
	memset(c, 0, sizeof(*c));
	c->pos = (struct gp_pos){m->line, m->col};
	c->file = intern_file(L, L->file);
	c->availability = true;
	c->interval_ms = ps->interval_ms;
	c->retry_interval_ms = ps->retry_interval_ms;
	c->timeout_ms = ps->timeout_ms;
	c->attempts = ps->attempts;
	c->from_profile = profile != NULL;
	size_t nerr = L->el->n;

	const struct gp_ynode *nn;
	c->name = gp_ld_name(L, m, path, &nn);

	/* Exactly one kind. A kind whose collector is not loaded yet under
	 * the usual file name is looked for in every collector. */
	const struct gp_kind_decl *d = NULL;
	const struct gp_ynode *kkey = NULL;
	int nk = find_kinds(L, m, NULL, &d, &kkey);
	if (nk == 0) {
		free(kind_list(L)); /* loads every collector */
		nk = find_kinds(L, m, NULL, &d, &kkey);
	}
	if (nk > 1) {
		find_kinds(L, m, path, &d, &kkey);
		return false;
	}
	if (nk == 0) {
		if (no_collectors(L, m))
			return false;
		char *all = kind_list(L);
		gp_ld_err(L, m, "%s: no probe kind; give exactly one of %s", path, all);
		free(all);
		/* Report the keys that are neither generic nor a kind. */
		for (size_t i = 0; i < m->n; i++)
			if (!is_generic_check_key(m->keys[i]->text))
				gp_ld_err(L, m->keys[i], "unknown key '%s' in %s", m->keys[i]->text,
					  path);
		return false;
	}
	c->kind = gp_xstrdup(d->name);
	c->block = d->block ? gp_xstrdup(d->block) : NULL;
	const struct gp_block *tb = d->block ? gp_target_block(t, d->block) : NULL;
	struct subst sb = {.t = t, .defaults = defaults, .profile = profile};
	char *kpath = gp_ld_path(path, d->name);

	/* The kind's value: a scalar, or a mapping of its arg and options. */
	const struct gp_ynode *kv = gp_ymap_get(m, d->name), *kmap = NULL, *argv = NULL;
	if (kv->type == GP_Y_MAP) {
		kmap = kv;
		for (size_t i = 0; i < kv->n; i++) {
			const char *k = kv->keys[i]->text;
			if (d->arg.name && strcmp(k, d->arg.name) == 0)
				argv = kv->items[i];
			else if (!option_decl(d->options, k))
				gp_ld_err(L, kv->keys[i], "unknown key '%s' in %s", k, kpath);
			else if (gp_ymap_get(m, k))
				gp_ld_err(L, kv->keys[i], "%s.%s: given twice (here and in %s)", kpath, k,
					  path);
		}
		if (!argv && (d->arg.flags & GP_OPT_REQUIRED))
			gp_ld_err(L, kv, "%s: missing required key '%s'", kpath, d->arg.name);
	} else {
		argv = kv;
	}
	if (argv && argv->type != GP_Y_SCALAR) {
		gp_ld_err(L, argv, "%s: expected a single value, got %s", kpath,
			  gp_ynode_type_name(argv));
	} else if (argv && gp_ynode_is_null(argv)) {
		if (d->arg.flags & GP_OPT_REQUIRED)
			gp_ld_err(L, argv, "%s: a value is required", kpath);
	} else if (argv) {
		char *label = kmap || !d->arg.name ? gp_xstrdup("")
						   : gp_xasprintf("%s: ", d->arg.name);
		char *apath = kmap ? gp_ld_path(kpath, d->arg.name) : gp_xstrdup(kpath);
		if (read_scalar(L, &d->arg, argv, apath, label, &sb, &c->arg, &c->arg_number))
			c->arg_pos = (struct gp_pos){argv->line, argv->col};
		free(apath);
		free(label);
	}

	/* The target block the kind talks through. */
	if (d->block && !tb && !(d->flags & GP_KIND_BLOCK_OPTIONAL))
		gp_ld_err(L, kkey, "%s: the target has no %s: block", kpath, d->block);

	/* The kind's options and the generic keys. */
	const char *file = c->file;
	for (size_t i = 0; i < m->n; i++) {
		const struct gp_ynode *kn = m->keys[i];
		const char *k = kn->text;
		if (strcmp(k, d->name) == 0 || is_generic_check_key(k))
			continue;
		const struct gp_option_decl *od = option_decl(d->options, k);
		if (!od) {
			misplaced_key(L, kn, path, d);
			continue;
		}
		char *what = gp_ld_path(path, k);
		read_option(L, od, m->items[i], what, &sb, file, &c->opts, &c->n_opts);
		free(what);
	}
	for (size_t i = 0; kmap && i < kmap->n; i++) {
		const char *k = kmap->keys[i]->text;
		const struct gp_option_decl *od = option_decl(d->options, k);
		if (!od || gp_ymap_get(m, k))
			continue;
		char *what = gp_ld_path(kpath, k);
		read_option(L, od, kmap->items[i], what, &sb, file, &c->opts, &c->n_opts);
		free(what);
	}
	for (const struct gp_option_decl *od = d->options; od && od->name; od++)
		if ((od->flags & GP_OPT_REQUIRED) && !gp_ymap_get(m, od->name) &&
		    !(kmap && gp_ymap_get(kmap, od->name)))
			gp_ld_err(L, m, "%s: missing required key '%s'", path, od->name);
	add_defaults(d->options, &c->opts, &c->n_opts);

	gp_ld_str(L, m, path, "expect", false, &c->expect);
	read_value_names(L, m, path, c);
	gp_ld_str(L, m, path, "uom", false, &c->uom);
	static const char *const rkeys[] = {"warning", "critical"};
	struct gp_range *ranges[] = {&c->warning, &c->critical};
	for (int i = 0; i < 2; i++) {
		const struct gp_ynode *rv = gp_ld_scalar(L, m, path, rkeys[i], false);
		const char *why;
		if (rv && !gp_range_parse(rv->text, ranges[i], &why))
			gp_ld_err(L, rv, "%s.%s: '%s': %s", path, rkeys[i], rv->text, why);
	}
	gp_ld_bool(L, m, path, "availability", &c->availability);
	gp_ld_duration(L, m, path, "interval", &c->interval_ms);
	gp_ld_duration(L, m, path, "retry_interval", &c->retry_interval_ms);
	gp_ld_duration(L, m, path, "timeout", &c->timeout_ms);
	gp_ld_intv(L, m, path, "attempts", 1, 100, &c->attempts);
	if (c->timeout_ms > c->interval_ms) {
		char a[32], b[32];
		gp_format_duration(c->timeout_ms, a, sizeof(a));
		gp_format_duration(c->interval_ms, b, sizeof(b));
		const struct gp_ynode *at = gp_ymap_get(m, "timeout");
		gp_ld_err(L, at ? at : m, "%s: timeout (%s) is longer than the interval (%s)", path, a,
			  b);
	}

	/* The collector's own rules, on values that passed the types. */
	if (d->validate && L->el->n == nerr) {
		struct gp_spec_buf spb;
		gp_spec_build(&spb, t, c);
		const struct gp_ynode *bm = tb && tmap ? gp_ymap_get(tmap, d->block) : NULL;
		char *bpath = tb ? gp_ld_path(tpath, d->block) : NULL;
		struct placer pl = {.L = L,
				    .path = path,
				    .prefix = "",
				    .map = m,
				    .kmap = kmap,
				    .kind = d->name,
				    .block = profile ? NULL : bm,
				    .block_path = bpath};
		struct gp_problems p = {.ctx = &pl, .at_value = at_value, .at_key = at_key};
		d->validate(&spb.spec, &p);
		free(bpath);
		gp_spec_free(&spb);
	}
	free(kpath);
	return L->el->n == nerr;
}

/* ------------------------------------------------------------------ */
/* Profiles                                                            */

static const char *const profile_keys[] = {"description", "vars", "checks", NULL};

/* A mapping of names to single values (a null value: required). */
static void load_vars(struct gp_ld *L, const struct gp_ynode *m, const char *path, struct gp_vars *v)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct gp_ynode *k = m->keys[i], *val = m->items[i];
		bool ok = k->text[0] != '\0' && strlen(k->text) <= 32;
		for (const char *p = k->text; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9');
		if (!ok || strcmp(k->text, "dbid") == 0) {
			gp_ld_err(L, k, "%s: '%s' is not a variable name (a-z, 0-9, '_'; 'dbid' is "
				     "genesys_dbid)",
			       path, k->text);
			continue;
		}
		if (val->type != GP_Y_SCALAR) {
			gp_ld_err(L, val, "%s.%s: expected a single value, got %s", path, k->text,
			       gp_ynode_type_name(val));
			continue;
		}
		vars_add(v, k->text, gp_ynode_is_null(val) ? NULL : val->text);
	}
}

/* Whether a profile's check can run on t: a profile lists every surface
 * of a component, a site uses what it has, so a check whose kind's block
 * the target lacks is skipped. */
static bool profile_check_usable(struct gp_ld *L, const struct gp_target *t,
				 const struct gp_ynode *cm)
{
	const struct gp_kind_decl *d = NULL;
	const struct gp_ynode *key = NULL;
	if (find_kinds(L, cm, NULL, &d, &key) == 0) {
		free(kind_list(L));
		if (find_kinds(L, cm, NULL, &d, &key) == 0)
			return true; /* load_check says what is wrong */
	}
	return !d->block || gp_target_block(t, d->block);
}

/*
 * Adds the checks of profile pv to target t. A check the target defines
 * itself under the same name wins (the target's own list is loaded
 * first). Errors inside the profile are reported against the profile's
 * file.
 */
static void apply_profile(struct gp_ld *L, struct gp_target *t, const struct gp_ynode *pv,
			  const char *tpath)
{
	const char *dir = L->cfg->probe.profile_dir ? L->cfg->probe.profile_dir
			  : L->opts && L->opts->default_profile_dir ? L->opts->default_profile_dir
								      : NULL;
	if (!gp_ld_valid_name(pv->text)) {
		gp_ld_err(L, pv, "%s.profile: '%s' is not a valid profile name", tpath, pv->text);
		return;
	}
	if (!dir) {
		gp_ld_err(L, pv, "%s.profile: no profile directory is known (set probe.profile_dir)",
			  tpath);
		return;
	}
	char *pfile = gp_xasprintf("%s/%s.yaml", dir, pv->text);
	if (access(pfile, R_OK) != 0) {
		gp_ld_err(L, pv, "%s.profile: unknown profile '%s' (no %s)", tpath, pv->text, pfile);
		free(pfile);
		return;
	}
	struct gp_ynode *root = gp_yaml_load(pfile, L->el);
	if (!root) {
		free(pfile);
		return;
	}
	const char *saved = L->file;
	L->file = intern_file(L, pfile);
	if (root->type != GP_Y_MAP) {
		gp_ld_err(L, root, "a profile must be a mapping with a 'checks' list");
	} else {
		gp_ld_check_keys(L, root, "", profile_keys);
		struct gp_vars defaults = {0};
		const struct gp_ynode *vm = gp_ld_mapping(L, root, "", "vars", false);
		if (vm)
			load_vars(L, vm, "vars", &defaults);
		const struct gp_ynode *seq = gp_ld_sequence(L, root, "", "checks", true);
		for (size_t i = 0; seq && i < seq->n; i++) {
			const struct gp_ynode *cm = seq->items[i];
			char *cpath = gp_xasprintf("checks[%zu]", i);
			if (cm->type != GP_Y_MAP) {
				gp_ld_err(L, cm, "%s: expected a mapping, got %s", cpath,
					  gp_ynode_type_name(cm));
				free(cpath);
				continue;
			}
			const struct gp_ynode *cn = gp_ymap_get(cm, "name");
			bool overridden = cn && cn->type == GP_Y_SCALAR && gp_target_check(t, cn->text);
			if (overridden || !profile_check_usable(L, t, cm)) {
				free(cpath);
				continue;
			}
			struct gp_check c;
			/* Errors of a profile's check name the target they are for. */
			size_t before = L->el->n;
			bool ok = load_check(L, cm, cpath, t, NULL, tpath, pv->text, &defaults, &c);
			for (size_t e = before; e < L->el->n; e++) {
				char *m2 = gp_xasprintf("%s (for target '%s')", L->el->v[e].msg,
							t->name ? t->name : "?");
				free(L->el->v[e].msg);
				L->el->v[e].msg = m2;
			}
			if (ok) {
				t->checks = gp_xrealloc(t->checks, (t->n_checks + 1) * sizeof(*t->checks));
				t->checks[t->n_checks++] = c;
			} else {
				check_free_fields(&c);
			}
			free(cpath);
		}
		vars_free(&defaults);
	}
	L->file = saved;
	t->profile = gp_xstrdup(pv->text);
	gp_ynode_free(root);
	free(pfile);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */

static const char *const target_keys[] = {"name",         "host", "owner", "profile",
					  "genesys_dbid", "vars", "checks", "site", NULL};
static const char *const owners[] = {"supplier", "customer", "third-party", NULL};

static bool is_target_key(const char *k)
{
	for (const char *const *a = target_keys; *a; a++)
		if (strcmp(*a, k) == 0)
			return true;
	return false;
}

static bool valid_host(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '_'))
			return false;
	}
	return true;
}

static void load_target(struct gp_ld *L, const struct gp_ynode *m, const char *path,
			struct gp_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pos = (struct gp_pos){m->line, m->col};
	t->genesys_dbid = -1;
	const struct gp_ynode *nn;
	t->name = gp_ld_name(L, m, path, &nn);
	if (t->name && (strcmp(t->name, "and") == 0 || strcmp(t->name, "or") == 0))
		gp_ld_err(L, nn, "%s.name: '%s' is a word of the up_when language", path, t->name);

	const struct gp_ynode *hv = gp_ld_scalar(L, m, path, "host", true);
	if (hv) {
		if (!valid_host(hv->text))
			gp_ld_err(L, hv, "%s.host: '%s' is not a host name or address", path, hv->text);
		t->host = gp_xstrdup(hv->text);
	}
	const struct gp_ynode *ov = gp_ld_scalar(L, m, path, "owner", true);
	int o = 0;
	if (ov)
		gp_ld_enum(L, m, path, "owner", owners, &o);
	t->owner = (enum gp_owner)o;
	gp_ld_int(L, m, path, "genesys_dbid", 1, INT32_MAX, &t->genesys_dbid);
	/* The site whose probe polls it (probe.site); none: a probe of no
	 * site polls it. */
	const struct gp_ynode *sv = gp_ld_scalar(L, m, path, "site", false);
	if (sv && !gp_ld_plain_name(sv->text))
		gp_ld_err(L, sv, "%s.site: '%s': up to 63 letters, digits, '.', '_' or '-'", path,
			  sv->text);
	else if (sv)
		t->site = gp_xstrdup(sv->text);
	const struct gp_ynode *vm = gp_ld_mapping(L, m, path, "vars", false);
	if (vm) {
		char *vp = gp_ld_path(path, "vars");
		load_vars(L, vm, vp, &t->vars);
		free(vp);
	}

	/* Every other key is a block some collector declares. */
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i]->text;
		if (is_target_key(k))
			continue;
		const struct gp_block_decl *bd = block_decl(L, k);
		if (!bd) {
			if (!no_collectors(L, m->keys[i]))
				gp_ld_err(L, m->keys[i], "unknown key '%s' in %s", k, path);
			continue;
		}
		const struct gp_ynode *bm = gp_ld_mapping(L, m, path, k, false);
		if (!bm)
			continue;
		char *sub = gp_ld_path(path, k);
		t->blocks = gp_xrealloc(t->blocks, (t->n_blocks + 1) * sizeof(*t->blocks));
		load_block(L, bd, bm, sub, &t->blocks[t->n_blocks++]);
		free(sub);
	}

	const struct gp_ynode *seq = gp_ld_sequence(L, m, path, "checks", false);
	for (size_t i = 0; seq && i < seq->n; i++) {
		const struct gp_ynode *cm = seq->items[i];
		char *cpath = gp_xasprintf("%s.checks[%zu]", path, i);
		if (cm->type != GP_Y_MAP) {
			gp_ld_err(L, cm, "%s: expected a mapping, got %s", cpath, gp_ynode_type_name(cm));
			free(cpath);
			continue;
		}
		struct gp_check c;
		load_check(L, cm, cpath, t, m, path, NULL, NULL, &c);
		const struct gp_check *dup = c.name ? gp_target_check(t, c.name) : NULL;
		if (dup) {
			gp_ld_err(L, gp_ymap_get(cm, "name"),
				  "%s.name: duplicate check name '%s' in target '%s' (first at line %d)",
				  cpath, c.name, t->name ? t->name : "?", dup->pos.line);
		}
		t->checks = gp_xrealloc(t->checks, (t->n_checks + 1) * sizeof(*t->checks));
		t->checks[t->n_checks++] = c;
		free(cpath);
	}

	const struct gp_ynode *pv = gp_ld_scalar(L, m, path, "profile", false);
	if (pv)
		apply_profile(L, t, pv, path);
	if (t->n_checks == 0 && !pv)
		gp_ld_err(L, m, "%s: the target has no checks (give checks: or a profile:)", path);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of name in the index: its entry, or the empty one it goes in. */
static size_t *index_slot(const struct gp_config *cfg, const char *name)
{
	size_t mask = cfg->target_index_cap - 1;
	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
		size_t *e = &cfg->target_index[i];
		if (*e == 0 || strcmp(cfg->targets[*e - 1].name, name) == 0)
			return e;
	}
}

/* Indexes target i (named); grows the index to stay under half full. */
static void index_add(struct gp_config *cfg, size_t i)
{
	if (2 * (i + 1) > cfg->target_index_cap) {
		size_t cap = cfg->target_index_cap ? cfg->target_index_cap * 2 : 64;
		while (2 * (i + 1) > cap)
			cap *= 2;
		free(cfg->target_index);
		cfg->target_index = gp_xcalloc(cap, sizeof(*cfg->target_index));
		cfg->target_index_cap = cap;
		for (size_t k = 0; k < i; k++)
			if (cfg->targets[k].name && *index_slot(cfg, cfg->targets[k].name) == 0)
				*index_slot(cfg, cfg->targets[k].name) = k + 1;
	}
	size_t *e = index_slot(cfg, cfg->targets[i].name);
	if (*e == 0)
		*e = i + 1;
}

void gp_ld_targets(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_config *cfg = L->cfg;
	const struct gp_kinds *ks = L->opts ? L->opts->kinds : NULL;
	if (ks && ks->set_dir)
		ks->set_dir(ks->ctx, cfg->probe.plugin_dir);
	const struct gp_ynode *ts = gp_ld_sequence(L, root, "", "targets", true);
	if (ts && ts->n == 0)
		gp_ld_err(L, ts, "targets: the list is empty");
	size_t cap = 0;
	for (size_t i = 0; ts && i < ts->n; i++) {
		const struct gp_ynode *tm = ts->items[i];
		char *path = gp_xasprintf("targets[%zu]", i);
		if (tm->type != GP_Y_MAP) {
			gp_ld_err(L, tm, "%s: expected a mapping, got %s", path, gp_ynode_type_name(tm));
			free(path);
			continue;
		}
		struct gp_target t;
		load_target(L, tm, path, &t);
		const struct gp_target *dup = t.name ? gp_config_target(cfg, t.name) : NULL;
		if (dup)
			gp_ld_err(L, gp_ymap_get(tm, "name"),
				  "%s.name: duplicate target name '%s' (first at line %d)", path, t.name,
				  dup->pos.line);
		if (cfg->n_targets == cap) {
			cap = cap ? cap * 2 : 16;
			cfg->targets = gp_xrealloc(cfg->targets, cap * sizeof(t));
		}
		cfg->targets[cfg->n_targets++] = t;
		if (t.name)
			index_add(cfg, cfg->n_targets - 1);
		free(path);
	}
}

void gp_ld_target_free(struct gp_target *t)
{
	for (size_t j = 0; j < t->n_checks; j++)
		check_free_fields(&t->checks[j]);
	free(t->checks);
	for (size_t j = 0; j < t->n_blocks; j++)
		block_free(&t->blocks[j]);
	free(t->blocks);
	free(t->name);
	free(t->host);
	free(t->site);
	free(t->profile);
	vars_free(&t->vars);
}

/* ------------------------------------------------------------------ */
/* Lookups and the spec handed to collectors                          */

const struct gp_target *gp_config_target(const struct gp_config *cfg, const char *name)
{
	if (cfg->target_index_cap) {
		size_t e = *index_slot(cfg, name);
		return e ? &cfg->targets[e - 1] : NULL;
	}
	for (size_t i = 0; i < cfg->n_targets; i++)
		if (cfg->targets[i].name && strcmp(cfg->targets[i].name, name) == 0)
			return &cfg->targets[i];
	return NULL;
}

const struct gp_check *gp_target_check(const struct gp_target *t, const char *name)
{
	for (size_t i = 0; i < t->n_checks; i++)
		if (t->checks[i].name && strcmp(t->checks[i].name, name) == 0)
			return &t->checks[i];
	return NULL;
}

const struct gp_block *gp_target_block(const struct gp_target *t, const char *name)
{
	for (size_t i = 0; i < t->n_blocks; i++)
		if (strcmp(t->blocks[i].name, name) == 0)
			return &t->blocks[i];
	return NULL;
}

static const char *optvals_get(const struct gp_optval *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return v[i].value;
	return NULL;
}

const char *gp_block_value(const struct gp_block *b, const char *key)
{
	return b ? optvals_get(b->opts, b->n_opts, key) : NULL;
}

const char *gp_check_option(const struct gp_check *c, const char *key)
{
	return optvals_get(c->opts, c->n_opts, key);
}

static void spec_add(struct gp_spec_buf *b, char *key, const struct gp_optval *v)
{
	b->opts[b->n] = (struct gp_option){
		.key = key,
		.value = v->value,
		.number = v->number,
		.file = v->file,
		.line = v->pos.line,
		.col = v->pos.col,
	};
	b->keys[b->n++] = key;
}

void gp_spec_build(struct gp_spec_buf *b, const struct gp_target *t, const struct gp_check *c)
{
	memset(b, 0, sizeof(*b));
	const struct gp_block *blk = c->block ? gp_target_block(t, c->block) : NULL;
	size_t n = c->n_opts + (blk ? blk->n_opts : 0);
	b->opts = gp_xcalloc(n ? n : 1, sizeof(*b->opts));
	b->keys = gp_xcalloc(n ? n : 1, sizeof(*b->keys));
	for (size_t i = 0; i < c->n_opts; i++)
		spec_add(b, gp_xstrdup(c->opts[i].key), &c->opts[i]);
	for (size_t i = 0; blk && i < blk->n_opts; i++)
		spec_add(b, gp_xasprintf("%s.%s", blk->name, blk->opts[i].key), &blk->opts[i]);
	b->spec = (struct gp_check_spec){
		.target = t->name,
		.host = t->host,
		.check = c->name,
		.kind = c->kind,
		.arg = c->arg,
		.arg_number = c->arg_number,
		.has_block = blk != NULL,
		.timeout_ms = c->timeout_ms,
		.options = b->opts,
		.n_options = b->n,
	};
}

void gp_spec_free(struct gp_spec_buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->keys[i]);
	free(b->keys);
	free(b->opts);
	memset(b, 0, sizeof(*b));
}
