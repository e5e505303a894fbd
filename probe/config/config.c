/*
 * config.c - load and validate the YAML config (see config.h).
 *
 * The file is read into a positioned node tree (yaml.c), then walked
 * section by section. Every problem is added to the error list with the
 * position of the node it is about and the key path ("targets[2].snmp.port"),
 * and the walk goes on, so one run reports every error of the file.
 */
#include "config.h"
#include "yaml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Money in the config is bounded so that every later product (hours x
 * payment x term) stays far inside int64: 10^15 tiyn = 10^13 KZT. */
#define MONEY_MAX_TIYN 1000000000000000LL

static const char *const kind_names[GP_CK_COUNT] = {
	"snmp_get", "snmp_walk", "tcp_connect", "ssh_command", "ssh_log", "http_get",
};

const char *gp_check_kind_name(enum gp_check_kind k)
{
	return k < GP_CK_COUNT ? kind_names[k] : "?";
}

const char *gp_check_kind_block(enum gp_check_kind k)
{
	switch (k) {
	case GP_CK_SNMP_GET:
	case GP_CK_SNMP_WALK:
		return "snmp";
	case GP_CK_SSH_COMMAND:
	case GP_CK_SSH_LOG:
		return "ssh";
	case GP_CK_HTTP_GET:
		return "http";
	default:
		return NULL;
	}
}

const char *gp_owner_name(enum gp_owner o)
{
	switch (o) {
	case GP_OWNER_CUSTOMER:
		return "customer";
	case GP_OWNER_THIRD_PARTY:
		return "third-party";
	default:
		return "supplier";
	}
}

/* ------------------------------------------------------------------ */
/* Loader context and error helpers                                    */

struct ld {
	const char *file;     /* the file being walked (config or a profile) */
	char *base_dir;       /* of the main config: relative paths start here */
	struct gp_errlist *el;
	struct gp_config *cfg;
	const struct gp_config_opts *opts;
};

static void err_at(struct ld *L, const struct gp_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_at(struct ld *L, const struct gp_ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = gp_xvasprintf(fmt, ap);
	va_end(ap);
	gp_errlist_add(L->el, L->file, n ? n->line : 0, n ? n->col : 0, "%s", msg);
	free(msg);
}

/* "path.key", or "key" at the top level. */
static char *kp(const char *path, const char *key)
{
	return *path ? gp_xasprintf("%s.%s", path, key) : gp_xstrdup(key);
}

/* Reports keys of map that are not in allowed (a NULL-terminated list). */
static void check_keys(struct ld *L, const struct gp_ynode *map, const char *path,
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
				err_at(L, map->keys[i], "unknown key '%s' in %s", k, path);
			else
				err_at(L, map->keys[i], "unknown key '%s' at the top level", k);
		}
	}
}

/* The key node of key in map (for errors that point at a key). */
static const struct gp_ynode *key_node(const struct gp_ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->keys[i];
	return map;
}

/* The value of key as a non-empty scalar; NULL when absent (reported when
 * required) or of the wrong shape (always reported). */
static const struct gp_ynode *scalar(struct ld *L, const struct gp_ynode *map, const char *path,
				     const char *key, bool required)
{
	const struct gp_ynode *v = gp_ymap_get(map, key);
	if (!v || gp_ynode_is_null(v)) {
		if (required) {
			char *p = kp(path, key);
			if (v)
				err_at(L, v, "%s: a value is required", p);
			else if (*path)
				err_at(L, map, "%s: missing required key '%s'", path, key);
			else
				err_at(L, map, "missing required key '%s' at the top level", key);
			free(p);
		}
		return NULL;
	}
	if (v->type != GP_Y_SCALAR) {
		char *p = kp(path, key);
		err_at(L, v, "%s: expected a single value, got %s", p, gp_ynode_type_name(v));
		free(p);
		return NULL;
	}
	return v;
}

static const struct gp_ynode *mapping(struct ld *L, const struct gp_ynode *parent, const char *path,
				      const char *key, bool required)
{
	const struct gp_ynode *v = gp_ymap_get(parent, key);
	if (!v || gp_ynode_is_null(v)) {
		if (required) {
			if (*path)
				err_at(L, parent, "%s: missing required key '%s'", path, key);
			else
				err_at(L, parent, "missing required key '%s' at the top level", key);
		}
		return NULL;
	}
	if (v->type != GP_Y_MAP) {
		char *p = kp(path, key);
		err_at(L, v, "%s: expected a mapping, got %s", p, gp_ynode_type_name(v));
		free(p);
		return NULL;
	}
	return v;
}

static const struct gp_ynode *sequence(struct ld *L, const struct gp_ynode *parent,
				       const char *path, const char *key, bool required)
{
	const struct gp_ynode *v = gp_ymap_get(parent, key);
	if (!v || gp_ynode_is_null(v)) {
		if (required) {
			if (*path)
				err_at(L, parent, "%s: missing required key '%s'", path, key);
			else
				err_at(L, parent, "missing required key '%s' at the top level", key);
		}
		return NULL;
	}
	if (v->type != GP_Y_SEQ) {
		char *p = kp(path, key);
		err_at(L, v, "%s: expected a list, got %s", p, gp_ynode_type_name(v));
		free(p);
		return NULL;
	}
	return v;
}

static void get_str(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		    bool required, char **out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, required);
	if (v) {
		free(*out);
		*out = gp_xstrdup(v->text);
	}
}

static void get_int(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		    int64_t min, int64_t max, int64_t *out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, false);
	if (!v)
		return;
	const char *why;
	int64_t x;
	if (!gp_parse_int64(v->text, min, max, &x, &why)) {
		char *p = kp(path, key);
		if (strcmp(why, "out of range") == 0)
			err_at(L, v, "%s: %s is out of range (%lld..%lld)", p, v->text, (long long)min,
			       (long long)max);
		else
			err_at(L, v, "%s: expected an integer, got '%s'", p, v->text);
		free(p);
		return;
	}
	*out = x;
}

static void get_intv(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     int min, int max, int *out)
{
	int64_t x = *out;
	get_int(L, map, path, key, min, max, &x);
	*out = (int)x;
}

static void get_duration(struct ld *L, const struct gp_ynode *map, const char *path,
			 const char *key, int64_t *out_ms)
{
	const struct gp_ynode *v = scalar(L, map, path, key, false);
	if (!v)
		return;
	const char *why;
	if (!gp_parse_duration_ms(v->text, out_ms, &why)) {
		char *p = kp(path, key);
		err_at(L, v, "%s: '%s': %s", p, v->text, why);
		free(p);
	}
}

static void get_bool(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     bool *out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, false);
	if (!v)
		return;
	if (!v->quoted && strcmp(v->text, "true") == 0)
		*out = true;
	else if (!v->quoted && strcmp(v->text, "false") == 0)
		*out = false;
	else {
		char *p = kp(path, key);
		err_at(L, v, "%s: expected true or false, got '%s'", p, v->text);
		free(p);
	}
}

/* One of names (NULL-terminated); *out gets its index. */
static void get_enum(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     const char *const *names, int *out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, false);
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
	char *p = kp(path, key);
	err_at(L, v, "%s: '%s' is not one of: %s", p, v->text, alts);
	free(p);
}

static void get_money(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		      bool required, int64_t *out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, required);
	if (!v)
		return;
	const char *why;
	int64_t t;
	char *p = kp(path, key);
	if (!gp_parse_money(v->text, &t, &why))
		err_at(L, v, "%s: '%s': %s", p, v->text, why);
	else if (t > MONEY_MAX_TIYN)
		err_at(L, v, "%s: '%s': amount too large (at most 10000000000000.00)", p, v->text);
	else
		*out = t;
	free(p);
}

static bool get_date_node(struct ld *L, const struct gp_ynode *v, const char *p, struct gp_date *out)
{
	const char *why;
	if (v->type != GP_Y_SCALAR) {
		err_at(L, v, "%s: expected a date (YYYY-MM-DD), got %s", p, gp_ynode_type_name(v));
		return false;
	}
	if (!gp_parse_date(v->text, out, &why)) {
		err_at(L, v, "%s: '%s': %s", p, v->text, why);
		return false;
	}
	return true;
}

static void get_date_list(struct ld *L, const struct gp_ynode *map, const char *path,
			  const char *key, struct gp_date **out, size_t *n)
{
	const struct gp_ynode *seq = sequence(L, map, path, key, false);
	if (!seq)
		return;
	for (size_t i = 0; i < seq->n; i++) {
		char *p = gp_xasprintf("%s.%s[%zu]", path, key, i);
		struct gp_date d;
		if (get_date_node(L, seq->items[i], p, &d)) {
			*out = gp_xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = d;
		}
		free(p);
	}
}

static void get_str_list(struct ld *L, const struct gp_ynode *map, const char *path,
			 const char *key, bool required, char ***out, size_t *n)
{
	const struct gp_ynode *seq = sequence(L, map, path, key, required);
	if (!seq)
		return;
	if (required && seq->n == 0) {
		char *p = kp(path, key);
		err_at(L, seq, "%s: the list is empty", p);
		free(p);
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct gp_ynode *v = seq->items[i];
		if (v->type != GP_Y_SCALAR || gp_ynode_is_null(v)) {
			err_at(L, v, "%s.%s[%zu]: expected a single value", path, key, i);
			continue;
		}
		*out = gp_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = gp_xstrdup(v->text);
	}
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

/* Relative paths in the config are relative to the config file. */
static char *resolve_path(struct ld *L, const char *p)
{
	if (p[0] == '/' || !L->base_dir)
		return gp_xstrdup(p);
	return gp_xasprintf("%s/%s", L->base_dir, p);
}

char *gp_secret_file_problem(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return gp_xasprintf("'%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return gp_xasprintf("'%s' is not a regular file", path);
	if (st.st_mode & 077)
		return gp_xasprintf("secrets file '%s' is accessible to group or others (mode %04o); "
				    "chmod 600 it",
				    path, (unsigned)(st.st_mode & 07777));
	if (access(path, R_OK) != 0)
		return gp_xasprintf("'%s' is not readable: %s", path, strerror(errno));
	return NULL;
}

enum file_kind { FILE_PLAIN, FILE_SECRET, FILE_DIR };

/* A path key: resolved, and checked to exist (and, for secrets, to be
 * private). Stores the resolved path in *out even when the check fails, so
 * later stages see what was meant. */
static void get_path(struct ld *L, const struct gp_ynode *map, const char *path, const char *key,
		     bool required, enum file_kind fk, char **out)
{
	const struct gp_ynode *v = scalar(L, map, path, key, required);
	if (!v)
		return;
	free(*out);
	*out = resolve_path(L, v->text);
	char *p = kp(path, key);
	struct stat st;
	if (fk == FILE_SECRET) {
		char *why = gp_secret_file_problem(*out);
		if (why)
			err_at(L, v, "%s: %s", p, why);
		free(why);
	} else if (stat(*out, &st) != 0) {
		err_at(L, v, "%s: '%s': %s", p, *out, strerror(errno));
	} else if (fk == FILE_DIR && !S_ISDIR(st.st_mode)) {
		err_at(L, v, "%s: '%s' is not a directory", p, *out);
	} else if (fk == FILE_PLAIN && !S_ISREG(st.st_mode)) {
		err_at(L, v, "%s: '%s' is not a regular file", p, *out);
	}
	free(p);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static bool valid_name(const char *s)
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
static char *get_name(struct ld *L, const struct gp_ynode *map, const char *path,
		      const struct gp_ynode **vnode)
{
	const struct gp_ynode *v = scalar(L, map, path, "name", true);
	*vnode = v;
	if (!v)
		return NULL;
	if (!valid_name(v->text)) {
		err_at(L, v, "%s.name: '%s' is not a valid name (1-64 of a-z, 0-9, '_', '.', '-')",
		       path, v->text);
		return NULL;
	}
	return gp_xstrdup(v->text);
}

/* ------------------------------------------------------------------ */
/* probe:                                                              */

static const char *const probe_keys[] = {
	"data_dir", "interval", "retry_interval", "attempts", "timeout", "rrdcached",
	"plugin_dir", "profile_dir", "uplink", "rrd", NULL,
};

static void load_probe(struct ld *L, const struct gp_ynode *root)
{
	struct gp_probe_settings *p = &L->cfg->probe;
	p->data_dir = gp_xstrdup("/var/lib/gprobe");
	p->interval_ms = 10000;
	p->retry_interval_ms = 5000;
	p->attempts = 3;
	p->timeout_ms = 5000;
	p->rrd = true;

	const struct gp_ynode *m = mapping(L, root, "", "probe", false);
	if (!m)
		return;
	check_keys(L, m, "probe", probe_keys);
	const struct gp_ynode *dd = scalar(L, m, "probe", "data_dir", false);
	if (dd) {
		free(p->data_dir);
		p->data_dir = resolve_path(L, dd->text);
	}
	get_duration(L, m, "probe", "interval", &p->interval_ms);
	get_duration(L, m, "probe", "retry_interval", &p->retry_interval_ms);
	get_intv(L, m, "probe", "attempts", 1, 100, &p->attempts);
	get_duration(L, m, "probe", "timeout", &p->timeout_ms);
	get_bool(L, m, "probe", "rrd", &p->rrd);

	const struct gp_ynode *rc = scalar(L, m, "probe", "rrdcached", false);
	if (rc) {
		const char *t = rc->text;
		bool ok = (strncmp(t, "unix:/", 6) == 0) ||
			  (t[0] != '/' && strchr(t, ':') && !strchr(t, ' '));
		if (!ok)
			err_at(L, rc,
			       "probe.rrdcached: '%s' is not an rrdcached address "
			       "(unix:/path/to.sock or host:port)",
			       t);
		else
			p->rrdcached = gp_xstrdup(t);
	}
	get_path(L, m, "probe", "plugin_dir", false, FILE_DIR, &p->plugin_dir);
	get_path(L, m, "probe", "profile_dir", false, FILE_DIR, &p->profile_dir);
	get_str_list(L, m, "probe", "uplink", false, &p->uplink, &p->n_uplink);
}

/* probe.uplink names targets; checked once they are all loaded. */
static void check_uplink(struct ld *L, const struct gp_ynode *root)
{
	const struct gp_ynode *m = gp_ymap_get(root, "probe");
	const struct gp_ynode *seq = m && m->type == GP_Y_MAP ? gp_ymap_get(m, "uplink") : NULL;
	struct gp_probe_settings *p = &L->cfg->probe;
	if (!seq || seq->type != GP_Y_SEQ)
		return;
	p->uplink_target = gp_xcalloc(p->n_uplink + 1, sizeof(*p->uplink_target));
	for (size_t i = 0, k = 0; i < seq->n && k < p->n_uplink; i++) {
		const struct gp_ynode *v = seq->items[i];
		if (v->type != GP_Y_SCALAR || gp_ynode_is_null(v))
			continue;
		const struct gp_target *t = gp_config_target(L->cfg, v->text);
		if (!t)
			err_at(L, v, "probe.uplink[%zu]: unknown target '%s'", i, v->text);
		else
			p->uplink_target[k] = (size_t)(t - L->cfg->targets);
		k++;
	}
}

/* ------------------------------------------------------------------ */
/* targets[i].snmp / .ssh / .http                                     */

static const char *const snmp_keys[] = {
	"port", "version", "community", "community_file", "user", "security_level",
	"auth_protocol", "auth_password_file", "priv_protocol", "priv_password_file", "retries",
	NULL,
};
static const char *const snmp_versions[] = {"1", "2c", "3", NULL};
static const char *const snmp_levels[] = {"noAuthNoPriv", "authNoPriv", "authPriv", NULL};
static const char *const snmp_auth[] = {"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384",
					"SHA-512", NULL};
static const char *const snmp_priv[] = {"DES", "AES", "AES-192", "AES-256", NULL};

static void load_snmp(struct ld *L, const struct gp_ynode *m, const char *path, struct gp_snmp *s)
{
	s->set = true;
	s->pos = (struct gp_pos){m->line, m->col};
	s->port = 161;
	s->retries = 1;
	check_keys(L, m, path, snmp_keys);
	get_intv(L, m, path, "port", 1, 65535, &s->port);
	get_intv(L, m, path, "retries", 0, 10, &s->retries);

	int ver = 1; /* index into snmp_versions: 2c by default */
	get_enum(L, m, path, "version", snmp_versions, &ver);
	s->version = ver == 0 ? 1 : ver == 1 ? 2 : 3;

	if (s->version < 3) {
		static const char *const v3only[] = {"user", "security_level", "auth_protocol",
						     "auth_password_file", "priv_protocol",
						     "priv_password_file"};
		for (size_t i = 0; i < GP_ARRAY_LEN(v3only); i++)
			if (gp_ymap_get(m, v3only[i]))
				err_at(L, key_node(m, v3only[i]),
				       "%s.%s: only for SNMP version 3 (this block is version %s)",
				       path, v3only[i], snmp_versions[ver]);
		get_str(L, m, path, "community", false, &s->community);
		get_path(L, m, path, "community_file", false, FILE_SECRET, &s->community_file);
		bool has_c = gp_ymap_get(m, "community") != NULL;
		bool has_f = gp_ymap_get(m, "community_file") != NULL;
		if (has_c && has_f)
			err_at(L, key_node(m, "community_file"),
			       "%s: give community or community_file, not both", path);
		else if (!has_c && !has_f)
			err_at(L, m, "%s: missing required key 'community' (or 'community_file')", path);
		return;
	}

	if (gp_ymap_get(m, "community"))
		err_at(L, key_node(m, "community"), "%s.community: not used by SNMP version 3", path);
	if (gp_ymap_get(m, "community_file"))
		err_at(L, key_node(m, "community_file"),
		       "%s.community_file: not used by SNMP version 3", path);
	get_str(L, m, path, "user", true, &s->user);
	int lvl = GP_SNMP_AUTHPRIV;
	get_enum(L, m, path, "security_level", snmp_levels, &lvl);
	s->security_level = (enum gp_snmp_seclevel)lvl;

	bool need_auth = s->security_level >= GP_SNMP_AUTHNOPRIV;
	bool need_priv = s->security_level == GP_SNMP_AUTHPRIV;
	static const struct {
		const char *key;
		bool is_auth;
	} v3keys[] = {{"auth_protocol", true}, {"auth_password_file", true},
		      {"priv_protocol", false}, {"priv_password_file", false}};
	for (size_t i = 0; i < GP_ARRAY_LEN(v3keys); i++) {
		bool needed = v3keys[i].is_auth ? need_auth : need_priv;
		bool present = gp_ymap_get(m, v3keys[i].key) != NULL;
		if (needed && !present)
			err_at(L, m, "%s: missing required key '%s' (security_level %s)", path,
			       v3keys[i].key, snmp_levels[lvl]);
		else if (!needed && present)
			err_at(L, key_node(m, v3keys[i].key),
			       "%s.%s: not used with security_level %s", path, v3keys[i].key,
			       snmp_levels[lvl]);
	}
	if (need_auth) {
		int a = -1;
		get_enum(L, m, path, "auth_protocol", snmp_auth, &a);
		if (a >= 0)
			s->auth_protocol = gp_xstrdup(snmp_auth[a]);
		get_path(L, m, path, "auth_password_file", false, FILE_SECRET, &s->auth_password_file);
	}
	if (need_priv) {
		int pr = -1;
		get_enum(L, m, path, "priv_protocol", snmp_priv, &pr);
		if (pr >= 0)
			s->priv_protocol = gp_xstrdup(snmp_priv[pr]);
		get_path(L, m, path, "priv_password_file", false, FILE_SECRET, &s->priv_password_file);
	}
}

static const char *const ssh_keys[] = {"port", "user", "key", "known_hosts", NULL};

static void load_ssh(struct ld *L, const struct gp_ynode *m, const char *path, struct gp_ssh *s)
{
	s->set = true;
	s->pos = (struct gp_pos){m->line, m->col};
	s->port = 22;
	check_keys(L, m, path, ssh_keys);
	get_intv(L, m, path, "port", 1, 65535, &s->port);
	get_str(L, m, path, "user", true, &s->user);
	get_path(L, m, path, "key", true, FILE_SECRET, &s->key);
	/* Strict host key checking needs a known_hosts file: no trust on
	 * first use. */
	get_path(L, m, path, "known_hosts", true, FILE_PLAIN, &s->known_hosts);
}

static bool is_http_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
}

static const char *const http_keys[] = {"base_url", "tls_verify", "ca_file", "user",
					"password_file", NULL};

static void load_http(struct ld *L, const struct gp_ynode *m, const char *path, struct gp_http *h)
{
	h->set = true;
	h->pos = (struct gp_pos){m->line, m->col};
	h->tls_verify = true;
	check_keys(L, m, path, http_keys);
	const struct gp_ynode *u = scalar(L, m, path, "base_url", false);
	if (u) {
		if (!is_http_url(u->text))
			err_at(L, u, "%s.base_url: '%s' must start with http:// or https://", path,
			       u->text);
		else
			h->base_url = gp_xstrdup(u->text);
	}
	get_bool(L, m, path, "tls_verify", &h->tls_verify);
	get_path(L, m, path, "ca_file", false, FILE_PLAIN, &h->ca_file);
	get_str(L, m, path, "user", false, &h->user);
	get_path(L, m, path, "password_file", false, FILE_SECRET, &h->password_file);
	if (h->user && !gp_ymap_get(m, "password_file"))
		err_at(L, m, "%s: 'user' needs 'password_file' (passwords never stand in the config)",
		       path);
	if (!h->user && gp_ymap_get(m, "password_file"))
		err_at(L, key_node(m, "password_file"), "%s: 'password_file' needs 'user'", path);
}

/* ------------------------------------------------------------------ */
/* checks                                                              */

static const char *const check_keys_allowed[] = {
	"name", "snmp_get", "snmp_walk", "tcp_connect", "ssh_command", "ssh_log", "http_get",
	"expect", "expect_status", "json", "xpath", "match", "method", "body", "uom", "warning",
	"critical", "availability", "interval", "retry_interval", "timeout", "attempts", NULL,
};

/* A numeric OID: at least two arcs, each within 32 bits, at most 128. */
static bool valid_oid(const char *s)
{
	if (*s == '.')
		s++;
	int arcs = 0;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return false;
		unsigned long long v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (v > 4294967295ULL)
				return false;
		}
		arcs++;
		if (*s == '.') {
			s++;
			if (!*s)
				return false;
		} else if (*s) {
			return false;
		}
	}
	return arcs >= 2 && arcs <= 128;
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

static void check_free_fields(struct gp_check *c)
{
	free(c->name);
	free(c->arg);
	free(c->expect);
	free(c->json);
	free(c->xpath);
	free(c->match);
	free(c->method);
	free(c->body);
	free(c->uom);
	memset(c, 0, sizeof(*c));
}

/*
 * Loads one check. t is the target it belongs to (for the blocks it needs
 * and the DBID of profiles); profile_name is set when m comes from a
 * profile file. Returns false when the check is unusable.
 */
static bool load_check(struct ld *L, const struct gp_ynode *m, const char *path,
		       const struct gp_target *t, const char *profile_name,
		       const struct gp_vars *defaults, struct gp_check *c)
{
	const struct gp_probe_settings *ps = &L->cfg->probe;
	memset(c, 0, sizeof(*c));
	c->pos = (struct gp_pos){m->line, m->col};
	c->availability = true;
	c->interval_ms = ps->interval_ms;
	c->retry_interval_ms = ps->retry_interval_ms;
	c->timeout_ms = ps->timeout_ms;
	c->attempts = ps->attempts;
	c->from_profile = profile_name != NULL;
	size_t nerr = L->el->n;

	check_keys(L, m, path, check_keys_allowed);
	const struct gp_ynode *nn;
	c->name = get_name(L, m, path, &nn);

	/* Exactly one probe kind. */
	const struct gp_ynode *kv = NULL;
	int nkinds = 0;
	for (int k = 0; k < GP_CK_COUNT; k++) {
		const struct gp_ynode *v = gp_ymap_get(m, kind_names[k]);
		if (!v)
			continue;
		if (++nkinds == 1) {
			c->kind = (enum gp_check_kind)k;
			kv = v;
		} else {
			err_at(L, key_node(m, kind_names[k]),
			       "%s: more than one probe kind (%s and %s); give exactly one", path,
			       kind_names[c->kind], kind_names[k]);
		}
	}
	if (nkinds == 0) {
		err_at(L, m,
		       "%s: no probe kind; give exactly one of snmp_get, snmp_walk, tcp_connect, "
		       "ssh_command, ssh_log, http_get",
		       path);
		return false;
	}
	const char *kname = kind_names[c->kind];
	kv = scalar(L, m, path, kname, true);
	if (kv) {
		char *missing;
		char *arg = subst_vars(kv->text, t, defaults, &missing);
		if (missing && strcmp(missing, "dbid") == 0)
			err_at(L, kv, "%s.%s: '%s' needs the target's genesys_dbid%s%s%s", path, kname,
			       kv->text, profile_name ? " (profile '" : "",
			       profile_name ? profile_name : "", profile_name ? "')" : "");
		else if (missing)
			err_at(L, kv, "%s.%s: '%s' needs a value for '%s': set it in the target's vars%s%s%s",
			       path, kname, kv->text, missing, profile_name ? " (profile '" : "",
			       profile_name ? profile_name : "", profile_name ? "')" : "");
		bool has_missing = missing != NULL;
		free(missing);
		c->arg = arg;
		switch (c->kind) {
		case GP_CK_SNMP_GET:
		case GP_CK_SNMP_WALK:
			if (!has_missing && !valid_oid(arg))
				err_at(L, kv, "%s.%s: '%s' is not a numeric OID (like 1.3.6.1.2.1.1.3.0)",
				       path, kname, arg);
			break;
		case GP_CK_TCP_CONNECT: {
			int64_t port;
			const char *why;
			if (!gp_parse_int64(arg, 1, 65535, &port, &why))
				err_at(L, kv, "%s.tcp_connect: '%s' is not a TCP port (1..65535)", path,
				       arg);
			break;
		}
		case GP_CK_SSH_LOG:
			if (arg[0] != '/')
				err_at(L, kv, "%s.ssh_log: '%s' must be an absolute path on the target",
				       path, arg);
			break;
		case GP_CK_HTTP_GET:
			if (!is_http_url(arg) && arg[0] != '/')
				err_at(L, kv,
				       "%s.http_get: '%s' must be a path starting with '/' or a full "
				       "http(s):// URL",
				       path, arg);
			else if (arg[0] == '/' && t->http.set && !t->http.base_url)
				err_at(L, kv, "%s.http_get: a relative path needs http.base_url on the target",
				       path);
			break;
		default:
			break;
		}
	}

	/* The target block the kind talks through. */
	const char *block = gp_check_kind_block(c->kind);
	bool has_block = !block || (strcmp(block, "snmp") == 0 && t->snmp.set) ||
			 (strcmp(block, "ssh") == 0 && t->ssh.set) ||
			 (strcmp(block, "http") == 0 && t->http.set);
	if (!has_block) {
		if (strcmp(block, "http") == 0 && c->arg && is_http_url(c->arg)) {
			/* A full URL needs no http block. */
		} else {
			err_at(L, key_node(m, kname), "%s.%s: the target has no %s: block", path, kname,
			       block);
		}
	}

	get_str(L, m, path, "expect", false, &c->expect);
	int64_t st = 0;
	get_int(L, m, path, "expect_status", 100, 599, &st);
	c->expect_status = (int)st;
	get_str(L, m, path, "json", false, &c->json);
	get_str(L, m, path, "xpath", false, &c->xpath);
	get_str(L, m, path, "uom", false, &c->uom);
	int method = 0;
	static const char *const methods[] = {"GET", "POST", NULL};
	get_enum(L, m, path, "method", methods, &method);
	c->method = gp_xstrdup(methods[method]);
	get_str(L, m, path, "body", false, &c->body);

	static const char *const http_only[] = {"expect_status", "json", "xpath", "method", "body"};
	for (size_t i = 0; i < GP_ARRAY_LEN(http_only); i++)
		if (c->kind != GP_CK_HTTP_GET && gp_ymap_get(m, http_only[i]))
			err_at(L, key_node(m, http_only[i]), "%s.%s: only for http_get checks", path,
			       http_only[i]);
	if (c->json && c->xpath)
		err_at(L, key_node(m, "xpath"), "%s: give json or xpath, not both", path);
	const struct gp_ynode *jv = gp_ymap_get(m, "json");
	if (c->json && c->json[0] != '\0' && c->json[0] != '/')
		err_at(L, jv, "%s.json: '%s' is not a JSON pointer (RFC 6901: empty or starting with '/')",
		       path, c->json);
	if (c->body && method != 1)
		err_at(L, key_node(m, "body"), "%s.body: needs method: POST", path);

	const struct gp_ynode *mv = scalar(L, m, path, "match", false);
	char *match_text = NULL;
	if (mv) {
		char *missing;
		match_text = subst_vars(mv->text, t, defaults, &missing);
		if (missing)
			err_at(L, mv, "%s.match: '%s' needs a value for '%s': set it in the target's vars",
			       path, mv->text, missing);
		free(missing);
	}
	if (mv) {
		if (c->kind == GP_CK_TCP_CONNECT || c->kind == GP_CK_SNMP_GET) {
			if (c->kind == GP_CK_TCP_CONNECT)
				err_at(L, key_node(m, "match"), "%s.match: not used by tcp_connect", path);
		}
		regex_t re;
		int rc = regcomp(&re, match_text, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char buf[128];
			regerror(rc, &re, buf, sizeof(buf));
			err_at(L, mv, "%s.match: invalid regular expression '%s': %s", path, match_text,
			       buf);
			free(match_text);
		} else {
			regfree(&re);
			c->match = match_text;
		}
	}

	static const char *const rkeys[] = {"warning", "critical"};
	struct gp_range *ranges[] = {&c->warning, &c->critical};
	for (int i = 0; i < 2; i++) {
		const struct gp_ynode *rv = scalar(L, m, path, rkeys[i], false);
		const char *why;
		if (rv && !gp_range_parse(rv->text, ranges[i], &why))
			err_at(L, rv, "%s.%s: '%s': %s", path, rkeys[i], rv->text, why);
	}

	get_bool(L, m, path, "availability", &c->availability);
	get_duration(L, m, path, "interval", &c->interval_ms);
	get_duration(L, m, path, "retry_interval", &c->retry_interval_ms);
	get_duration(L, m, path, "timeout", &c->timeout_ms);
	get_intv(L, m, path, "attempts", 1, 100, &c->attempts);
	if (c->timeout_ms > c->interval_ms) {
		char a[32], b[32];
		gp_format_duration(c->timeout_ms, a, sizeof(a));
		gp_format_duration(c->interval_ms, b, sizeof(b));
		const struct gp_ynode *at = gp_ymap_get(m, "timeout");
		err_at(L, at ? at : m, "%s: timeout (%s) is longer than the interval (%s)", path, a, b);
	}
	return L->el->n == nerr;
}

/* ------------------------------------------------------------------ */
/* profiles                                                            */

static const char *const profile_keys[] = {"description", "vars", "checks", NULL};

/* A mapping of names to single values (a null value: required). */
static void load_vars(struct ld *L, const struct gp_ynode *m, const char *path, struct gp_vars *v)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct gp_ynode *k = m->keys[i], *val = m->items[i];
		bool ok = k->text[0] != '\0' && strlen(k->text) <= 32;
		for (const char *p = k->text; ok && *p; p++)
			ok = (*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9');
		if (!ok || strcmp(k->text, "dbid") == 0) {
			err_at(L, k, "%s: '%s' is not a variable name (a-z, 0-9, '_'; 'dbid' is "
				     "genesys_dbid)",
			       path, k->text);
			continue;
		}
		if (val->type != GP_Y_SCALAR) {
			err_at(L, val, "%s.%s: expected a single value, got %s", path, k->text,
			       gp_ynode_type_name(val));
			continue;
		}
		vars_add(v, k->text, gp_ynode_is_null(val) ? NULL : val->text);
	}
}

/*
 * Adds the checks of profile `name` to target t. A check the target
 * defines itself under the same name wins (the target's own list is
 * loaded first). Errors inside the profile are reported against the
 * profile's file.
 */
static void apply_profile(struct ld *L, struct gp_target *t, const struct gp_ynode *pv,
			  const char *tpath)
{
	const char *dir = L->cfg->probe.profile_dir ? L->cfg->probe.profile_dir
			  : L->opts && L->opts->default_profile_dir ? L->opts->default_profile_dir
								      : NULL;
	if (!valid_name(pv->text)) {
		err_at(L, pv, "%s.profile: '%s' is not a valid profile name", tpath, pv->text);
		return;
	}
	if (!dir) {
		err_at(L, pv, "%s.profile: no profile directory is known (set probe.profile_dir)",
		       tpath);
		return;
	}
	char *pfile = gp_xasprintf("%s/%s.yaml", dir, pv->text);
	if (access(pfile, R_OK) != 0) {
		err_at(L, pv, "%s.profile: unknown profile '%s' (no %s)", tpath, pv->text, pfile);
		free(pfile);
		return;
	}
	struct gp_ynode *root = gp_yaml_load(pfile, L->el);
	if (!root) {
		free(pfile);
		return;
	}
	const char *saved = L->file;
	L->file = pfile;
	if (root->type != GP_Y_MAP) {
		err_at(L, root, "a profile must be a mapping with a 'checks' list");
	} else {
		check_keys(L, root, "", profile_keys);
		struct gp_vars defaults = {0};
		const struct gp_ynode *vm = mapping(L, root, "", "vars", false);
		if (vm)
			load_vars(L, vm, "vars", &defaults);
		const struct gp_ynode *seq = sequence(L, root, "", "checks", true);
		for (size_t i = 0; seq && i < seq->n; i++) {
			const struct gp_ynode *cm = seq->items[i];
			char *cpath = gp_xasprintf("checks[%zu]", i);
			if (cm->type != GP_Y_MAP) {
				err_at(L, cm, "%s: expected a mapping, got %s", cpath,
				       gp_ynode_type_name(cm));
				free(cpath);
				continue;
			}
			const struct gp_ynode *cn = gp_ymap_get(cm, "name");
			if (cn && cn->type == GP_Y_SCALAR && gp_target_check(t, cn->text)) {
				free(cpath); /* overridden by the target's own check */
				continue;
			}
			/* A profile check whose block the target lacks is skipped:
			 * a profile lists every surface, a site uses what it has. */
			bool usable = true;
			for (int k = 0; k < GP_CK_COUNT; k++) {
				const char *b = gp_check_kind_block((enum gp_check_kind)k);
				if (!gp_ymap_get(cm, kind_names[k]) || !b)
					continue;
				if ((strcmp(b, "snmp") == 0 && !t->snmp.set) ||
				    (strcmp(b, "ssh") == 0 && !t->ssh.set) ||
				    (strcmp(b, "http") == 0 && !t->http.set))
					usable = false;
			}
			if (!usable) {
				free(cpath);
				continue;
			}
			struct gp_check c;
			/* Errors of a profile's check name the target they are for. */
			size_t before = L->el->n;
			bool ok = load_check(L, cm, cpath, t, pv->text, &defaults, &c);
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
/* targets                                                             */

static const char *const target_keys[] = {"name", "host", "owner", "profile", "genesys_dbid",
					  "vars", "snmp", "ssh", "http", "checks", NULL};
static const char *const owners[] = {"supplier", "customer", "third-party", NULL};

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

static void load_target(struct ld *L, const struct gp_ynode *m, const char *path,
			struct gp_target *t)
{
	memset(t, 0, sizeof(*t));
	t->pos = (struct gp_pos){m->line, m->col};
	t->genesys_dbid = -1;
	check_keys(L, m, path, target_keys);
	const struct gp_ynode *nn;
	t->name = get_name(L, m, path, &nn);
	if (t->name && (strcmp(t->name, "and") == 0 || strcmp(t->name, "or") == 0))
		err_at(L, nn, "%s.name: '%s' is a word of the up_when language", path, t->name);

	const struct gp_ynode *hv = scalar(L, m, path, "host", true);
	if (hv) {
		if (!valid_host(hv->text))
			err_at(L, hv, "%s.host: '%s' is not a host name or address", path, hv->text);
		t->host = gp_xstrdup(hv->text);
	}
	const struct gp_ynode *ov = scalar(L, m, path, "owner", true);
	int o = 0;
	if (ov)
		get_enum(L, m, path, "owner", owners, &o);
	t->owner = (enum gp_owner)o;
	get_int(L, m, path, "genesys_dbid", 1, INT32_MAX, &t->genesys_dbid);
	const struct gp_ynode *vm = mapping(L, m, path, "vars", false);
	if (vm) {
		char *vp = kp(path, "vars");
		load_vars(L, vm, vp, &t->vars);
		free(vp);
	}

	char *sub;
	const struct gp_ynode *b;
	if ((b = mapping(L, m, path, "snmp", false))) {
		sub = kp(path, "snmp");
		load_snmp(L, b, sub, &t->snmp);
		free(sub);
	}
	if ((b = mapping(L, m, path, "ssh", false))) {
		sub = kp(path, "ssh");
		load_ssh(L, b, sub, &t->ssh);
		free(sub);
	}
	if ((b = mapping(L, m, path, "http", false))) {
		sub = kp(path, "http");
		load_http(L, b, sub, &t->http);
		free(sub);
	}

	const struct gp_ynode *seq = sequence(L, m, path, "checks", false);
	for (size_t i = 0; seq && i < seq->n; i++) {
		const struct gp_ynode *cm = seq->items[i];
		char *cpath = gp_xasprintf("%s.checks[%zu]", path, i);
		if (cm->type != GP_Y_MAP) {
			err_at(L, cm, "%s: expected a mapping, got %s", cpath, gp_ynode_type_name(cm));
			free(cpath);
			continue;
		}
		struct gp_check c;
		load_check(L, cm, cpath, t, NULL, NULL, &c);
		const struct gp_check *dup = c.name ? gp_target_check(t, c.name) : NULL;
		if (dup) {
			err_at(L, gp_ymap_get(cm, "name"),
			       "%s.name: duplicate check name '%s' in target '%s' (first at line %d)",
			       cpath, c.name, t->name ? t->name : "?", dup->pos.line);
		}
		t->checks = gp_xrealloc(t->checks, (t->n_checks + 1) * sizeof(*t->checks));
		t->checks[t->n_checks++] = c;
		free(cpath);
	}

	const struct gp_ynode *pv = scalar(L, m, path, "profile", false);
	if (pv)
		apply_profile(L, t, pv, path);
	if (t->n_checks == 0 && !pv)
		err_at(L, m, "%s: the target has no checks (give checks: or a profile:)", path);
}

/* ------------------------------------------------------------------ */
/* services                                                            */

static const char *const service_keys[] = {"name", "title", "up_when", "priority", NULL};
static const char *const priorities[] = {"P1", "P2", "P3", "P4", NULL};

struct name_check {
	struct ld *L;
	const struct gp_ynode *v;
	const char *path;
	int col_base;
};

static void check_member(const struct gp_expr *e, void *ctx)
{
	struct name_check *nc = ctx;
	if (gp_config_target(nc->L->cfg, e->name))
		return;
	gp_errlist_add(nc->L->el, nc->L->file, nc->v->line, nc->col_base + (int)e->offset,
		       "%s.up_when: unknown target '%s'", nc->path, e->name);
}

static void load_service(struct ld *L, const struct gp_ynode *m, const char *path,
			 struct gp_service *s)
{
	memset(s, 0, sizeof(*s));
	s->pos = (struct gp_pos){m->line, m->col};
	check_keys(L, m, path, service_keys);
	const struct gp_ynode *nn;
	s->name = get_name(L, m, path, &nn);
	get_str(L, m, path, "title", false, &s->title);
	if (!s->title && s->name)
		s->title = gp_xstrdup(s->name);
	int pr = 0;
	get_enum(L, m, path, "priority", priorities, &pr);
	s->priority = (enum gp_priority)(pr + 1);

	const struct gp_ynode *uv = scalar(L, m, path, "up_when", true);
	if (!uv)
		return;
	s->up_when = gp_xstrdup(uv->text);
	/* Columns inside the expression map onto the file for single-line
	 * scalars (a scalar's position is its first character, after any
	 * opening quote). */
	int col_base = uv->col;
	size_t off;
	char why[128];
	s->expr = gp_expr_parse(uv->text, &off, why, sizeof(why));
	if (!s->expr) {
		gp_errlist_add(L->el, L->file, uv->line, col_base + (int)off, "%s.up_when: %s", path,
			       why);
		return;
	}
	struct name_check nc = {L, uv, path, col_base};
	gp_expr_foreach_name(s->expr, check_member, &nc);
}

/* ------------------------------------------------------------------ */
/* contract, calendar, incidents, alerts                               */

static const char *const contract_keys[] = {
	"start", "term_days", "monthly_payment", "value_excl_vat", "value_incl_vat", "vat_percent",
	"penalty_hour_divisor", "penalty_cap_percent", "hour_rounding", "overlap", NULL,
};

static void load_contract(struct ld *L, const struct gp_ynode *root)
{
	struct gp_contract *c = &L->cfg->contract;
	c->term_days = 365;
	c->vat_percent = 12;
	c->penalty_hour_divisor = 720;
	c->penalty_cap_percent = 5;
	const struct gp_ynode *m = mapping(L, root, "", "contract", false);
	if (!m)
		return;
	c->set = true;
	check_keys(L, m, "contract", contract_keys);
	const struct gp_ynode *sv = scalar(L, m, "contract", "start", true);
	if (sv)
		get_date_node(L, sv, "contract.start", &c->start);
	get_intv(L, m, "contract", "term_days", 1, 3660, &c->term_days);
	get_money(L, m, "contract", "monthly_payment", true, &c->monthly_payment_tiyn);
	get_intv(L, m, "contract", "vat_percent", 0, 100, &c->vat_percent);
	get_intv(L, m, "contract", "penalty_hour_divisor", 1, 1000000, &c->penalty_hour_divisor);
	get_intv(L, m, "contract", "penalty_cap_percent", 0, 100, &c->penalty_cap_percent);
	static const char *const roundings[] = {"exact", "ceil", NULL};
	static const char *const overlaps[] = {"union", "sum", NULL};
	int r = 0, o = 0;
	get_enum(L, m, "contract", "hour_rounding", roundings, &r);
	get_enum(L, m, "contract", "overlap", overlaps, &o);
	c->hour_rounding = (enum gp_rounding)r;
	c->overlap = (enum gp_overlap)o;

	bool has_ex = gp_ymap_get(m, "value_excl_vat") != NULL;
	bool has_in = gp_ymap_get(m, "value_incl_vat") != NULL;
	if (has_ex && has_in) {
		err_at(L, key_node(m, "value_incl_vat"),
		       "contract: give value_excl_vat or value_incl_vat, not both");
	} else if (!has_ex && !has_in) {
		err_at(L, m, "contract: missing required key 'value_excl_vat' (or 'value_incl_vat')");
	} else if (has_ex) {
		get_money(L, m, "contract", "value_excl_vat", true, &c->value_excl_vat_tiyn);
	} else {
		get_money(L, m, "contract", "value_incl_vat", true, &c->value_incl_vat_tiyn);
		/* excl = incl * 100 / (100 + VAT), rounded half up to the tiyn. */
		int64_t d = 100 + c->vat_percent;
		c->value_excl_vat_tiyn = (c->value_incl_vat_tiyn * 200 + d) / (2 * d);
	}
}

static const char *const calendar_keys[] = {"timezone", "working_days", "working_hours",
					    "holidays", "holidays_file", "working_weekend_days", NULL};
static const char *const weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

/* holidays_file: one YYYY-MM-DD a line, '#' comments; errors point into it. */
static void load_holidays_file(struct ld *L, struct gp_calendar *cal)
{
	FILE *fp = fopen(cal->holidays_file, "r");
	if (!fp)
		return; /* already reported by get_path */
	char line[512];
	int ln = 0;
	while (fgets(line, sizeof(line), fp)) {
		ln++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s)
			continue;
		struct gp_date d;
		const char *why;
		if (!gp_parse_date(s, &d, &why)) {
			gp_errlist_add(L->el, cal->holidays_file, ln, (int)(s - line) + 1, "'%s': %s", s,
				       why);
			continue;
		}
		cal->holidays = gp_xrealloc(cal->holidays, (cal->n_holidays + 1) * sizeof(d));
		cal->holidays[cal->n_holidays++] = d;
	}
	fclose(fp);
}

static void load_calendar(struct ld *L, const struct gp_ynode *root)
{
	struct gp_calendar *cal = &L->cfg->calendar;
	cal->timezone = gp_xstrdup("Asia/Almaty");
	cal->working_days = 0x1f;
	cal->work_start_min = 9 * 60;
	cal->work_end_min = 18 * 60;
	const struct gp_ynode *m = mapping(L, root, "", "calendar", false);
	if (!m)
		return;
	check_keys(L, m, "calendar", calendar_keys);

	const struct gp_ynode *tz = scalar(L, m, "calendar", "timezone", false);
	if (tz) {
		const char *tzdir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
		char *zf = gp_xasprintf("%s/%s", tzdir, tz->text);
		struct stat st;
		if (strstr(tz->text, "..") || tz->text[0] == '/' || stat(zf, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			err_at(L, tz, "calendar.timezone: '%s' is not a zone of the tz database (%s)",
			       tz->text, tzdir);
		else {
			free(cal->timezone);
			cal->timezone = gp_xstrdup(tz->text);
		}
		free(zf);
	}

	const struct gp_ynode *wd = sequence(L, m, "calendar", "working_days", false);
	if (wd) {
		cal->working_days = 0;
		for (size_t i = 0; i < wd->n; i++) {
			const struct gp_ynode *v = wd->items[i];
			int found = -1;
			for (int d = 0; weekdays[d] && v->type == GP_Y_SCALAR; d++)
				if (strcmp(weekdays[d], v->text) == 0)
					found = d;
			if (found < 0)
				err_at(L, v, "calendar.working_days[%zu]: '%s' is not a day (mon..sun)", i,
				       v->type == GP_Y_SCALAR ? v->text : "?");
			else if (cal->working_days & (1u << found))
				err_at(L, v, "calendar.working_days[%zu]: '%s' is listed twice", i, v->text);
			else
				cal->working_days |= 1u << found;
		}
	}

	const struct gp_ynode *wh = scalar(L, m, "calendar", "working_hours", false);
	if (wh) {
		const char *dash = strchr(wh->text, '-');
		int a = 0, b = 0;
		const char *why = "expected HH:MM-HH:MM";
		bool ok = false;
		if (dash) {
			char *first = gp_xstrndup(wh->text, (size_t)(dash - wh->text));
			ok = gp_parse_hhmm(first, &a, &why) && gp_parse_hhmm(dash + 1, &b, &why);
			free(first);
			if (ok && a >= b) {
				ok = false;
				why = "the end must be after the start";
			}
		}
		if (!ok)
			err_at(L, wh, "calendar.working_hours: '%s': %s", wh->text, why);
		else {
			cal->work_start_min = a;
			cal->work_end_min = b;
		}
	}
	get_date_list(L, m, "calendar", "holidays", &cal->holidays, &cal->n_holidays);
	get_path(L, m, "calendar", "holidays_file", false, FILE_PLAIN, &cal->holidays_file);
	if (cal->holidays_file)
		load_holidays_file(L, cal);
	get_date_list(L, m, "calendar", "working_weekend_days", &cal->working_weekend_days,
		      &cal->n_working_weekend_days);
}

static const char *const incidents_keys[] = {"response_target", "response_target_phone",
					     "response_target_email", "auto_close_working_days",
					     "reopen_window", NULL};

static void load_incidents(struct ld *L, const struct gp_ynode *root)
{
	struct gp_incidents *in = &L->cfg->incidents;
	in->response_target_ms = 60 * 60000;
	in->response_target_phone_ms = 15 * 60000;
	in->response_target_email_ms = 60 * 60000;
	in->auto_close_working_days = 5;
	in->reopen_window_ms = 30 * 60000;
	const struct gp_ynode *m = mapping(L, root, "", "incidents", false);
	if (!m)
		return;
	check_keys(L, m, "incidents", incidents_keys);
	get_duration(L, m, "incidents", "response_target", &in->response_target_ms);
	get_duration(L, m, "incidents", "response_target_phone", &in->response_target_phone_ms);
	get_duration(L, m, "incidents", "response_target_email", &in->response_target_email_ms);
	get_intv(L, m, "incidents", "auto_close_working_days", 1, 365, &in->auto_close_working_days);
	get_duration(L, m, "incidents", "reopen_window", &in->reopen_window_ms);
}

static const char *const alerts_keys[] = {"email", "webhook", "undelivered_after",
					  "restore_delay", NULL};
static const char *const email_keys[] = {"smtp_url", "starttls", "user", "password_file", "from",
					 "to", "escalate_to", "language", "timeout", "rate_limit",
					 "ca_file", NULL};
static const char *const webhook_keys[] = {"url", "secret_file", "timeout", NULL};

static void check_addresses(struct ld *L, const struct gp_ynode *m, const char *key, char **v,
			    size_t n)
{
	const struct gp_ynode *seq = gp_ymap_get(m, key);
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(v[i], '@');
		if (!at || at == v[i] || !at[1] || strpbrk(v[i], " <>,\r\n"))
			err_at(L, seq && seq->type == GP_Y_SEQ && i < seq->n ? seq->items[i] : m,
			       "alerts.email.%s[%zu]: '%s' is not an e-mail address", key, i, v[i]);
	}
}

static void load_alerts(struct ld *L, const struct gp_ynode *root)
{
	struct gp_email *e = &L->cfg->email;
	struct gp_webhook *w = &L->cfg->webhook;
	e->language = gp_xstrdup("ru");
	e->timeout_ms = 30000;
	e->rate_limit = 30;
	w->timeout_ms = 10000;
	L->cfg->alerts.undelivered_after_ms = 24 * 3600 * 1000LL;
	L->cfg->alerts.restore_delay_ms = 60 * 1000;
	const struct gp_ynode *m = mapping(L, root, "", "alerts", false);
	if (!m)
		return;
	check_keys(L, m, "alerts", alerts_keys);
	get_duration(L, m, "alerts", "undelivered_after", &L->cfg->alerts.undelivered_after_ms);
	get_duration(L, m, "alerts", "restore_delay", &L->cfg->alerts.restore_delay_ms);

	const struct gp_ynode *em = mapping(L, m, "alerts", "email", false);
	if (em) {
		const char *p = "alerts.email";
		e->set = true;
		check_keys(L, em, p, email_keys);
		const struct gp_ynode *u = scalar(L, em, p, "smtp_url", true);
		if (u) {
			if (strncmp(u->text, "smtp://", 7) != 0 && strncmp(u->text, "smtps://", 8) != 0)
				err_at(L, u, "%s.smtp_url: '%s' must start with smtp:// or smtps://", p,
				       u->text);
			e->smtp_url = gp_xstrdup(u->text);
		}
		get_bool(L, em, p, "starttls", &e->starttls);
		get_path(L, em, p, "ca_file", false, FILE_PLAIN, &e->ca_file);
		get_str(L, em, p, "user", false, &e->user);
		get_path(L, em, p, "password_file", false, FILE_SECRET, &e->password_file);
		if (e->user && !gp_ymap_get(em, "password_file"))
			err_at(L, em, "%s: 'user' needs 'password_file'", p);
		const struct gp_ynode *fv = scalar(L, em, p, "from", true);
		if (fv) {
			e->from = gp_xstrdup(fv->text);
			const char *at = strchr(fv->text, '@');
			if (!at || at == fv->text || !at[1] || strpbrk(fv->text, " <>,\r\n"))
				err_at(L, fv, "%s.from: '%s' is not an e-mail address", p, fv->text);
		}
		get_str_list(L, em, p, "to", true, &e->to, &e->n_to);
		check_addresses(L, em, "to", e->to, e->n_to);
		get_str_list(L, em, p, "escalate_to", false, &e->escalate_to, &e->n_escalate_to);
		check_addresses(L, em, "escalate_to", e->escalate_to, e->n_escalate_to);
		static const char *const langs[] = {"ru", "en", NULL};
		int lang = 0;
		get_enum(L, em, p, "language", langs, &lang);
		free(e->language);
		e->language = gp_xstrdup(langs[lang]);
		get_duration(L, em, p, "timeout", &e->timeout_ms);
		get_intv(L, em, p, "rate_limit", 1, 100000, &e->rate_limit);
	}

	const struct gp_ynode *wm = mapping(L, m, "alerts", "webhook", false);
	if (wm) {
		const char *p = "alerts.webhook";
		w->set = true;
		check_keys(L, wm, p, webhook_keys);
		const struct gp_ynode *u = scalar(L, wm, p, "url", true);
		if (u) {
			if (!is_http_url(u->text))
				err_at(L, u, "%s.url: '%s' must start with http:// or https://", p, u->text);
			w->url = gp_xstrdup(u->text);
		}
		get_path(L, wm, p, "secret_file", false, FILE_SECRET, &w->secret_file);
		get_duration(L, wm, p, "timeout", &w->timeout_ms);
	}
}

/* ------------------------------------------------------------------ */
/* The whole file                                                      */

static const char *const top_keys[] = {"probe",    "targets",   "services", "contract",
				       "calendar", "incidents", "alerts",   NULL};

struct gp_config *gp_config_load(const char *file, const struct gp_config_opts *opts,
				 struct gp_errlist *el)
{
	size_t nerr0 = el->n;
	struct gp_ynode *root = gp_yaml_load(file, el);
	if (!root)
		return NULL;

	struct gp_config *cfg = gp_xcalloc(1, sizeof(*cfg));
	cfg->file = gp_xstrdup(file);
	const char *slash = strrchr(file, '/');
	struct ld L = {
		.file = file,
		.base_dir = slash ? gp_xstrndup(file, (size_t)(slash - file)) : gp_xstrdup("."),
		.el = el,
		.cfg = cfg,
		.opts = opts,
	};

	if (root->type != GP_Y_MAP) {
		err_at(&L, root, "the config must be a mapping (probe:, targets:, services:, ...)");
		goto done;
	}
	check_keys(&L, root, "", top_keys);
	load_probe(&L, root);

	const struct gp_ynode *ts = sequence(&L, root, "", "targets", true);
	if (ts && ts->n == 0)
		err_at(&L, ts, "targets: the list is empty");
	for (size_t i = 0; ts && i < ts->n; i++) {
		const struct gp_ynode *tm = ts->items[i];
		char *path = gp_xasprintf("targets[%zu]", i);
		if (tm->type != GP_Y_MAP) {
			err_at(&L, tm, "%s: expected a mapping, got %s", path, gp_ynode_type_name(tm));
			free(path);
			continue;
		}
		struct gp_target t;
		load_target(&L, tm, path, &t);
		const struct gp_target *dup = t.name ? gp_config_target(cfg, t.name) : NULL;
		if (dup)
			err_at(&L, gp_ymap_get(tm, "name"),
			       "%s.name: duplicate target name '%s' (first at line %d)", path, t.name,
			       dup->pos.line);
		cfg->targets = gp_xrealloc(cfg->targets, (cfg->n_targets + 1) * sizeof(t));
		cfg->targets[cfg->n_targets++] = t;
		free(path);
	}

	check_uplink(&L, root);

	const struct gp_ynode *ss = sequence(&L, root, "", "services", false);
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gp_ynode *sm = ss->items[i];
		char *path = gp_xasprintf("services[%zu]", i);
		if (sm->type != GP_Y_MAP) {
			err_at(&L, sm, "%s: expected a mapping, got %s", path, gp_ynode_type_name(sm));
			free(path);
			continue;
		}
		struct gp_service s;
		load_service(&L, sm, path, &s);
		for (size_t j = 0; s.name && j < cfg->n_services; j++)
			if (cfg->services[j].name && strcmp(cfg->services[j].name, s.name) == 0)
				err_at(&L, gp_ymap_get(sm, "name"),
				       "%s.name: duplicate service name '%s' (first at line %d)", path,
				       s.name, cfg->services[j].pos.line);
		cfg->services = gp_xrealloc(cfg->services, (cfg->n_services + 1) * sizeof(s));
		cfg->services[cfg->n_services++] = s;
		free(path);
	}

	load_contract(&L, root);
	load_calendar(&L, root);
	load_incidents(&L, root);
	load_alerts(&L, root);

done:
	free(L.base_dir);
	gp_ynode_free(root);
	if (el->n > nerr0) {
		gp_errlist_sort(el);
		gp_config_free(cfg);
		return NULL;
	}
	return cfg;
}

size_t gp_config_check_count(const struct gp_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_targets; i++)
		n += cfg->targets[i].n_checks;
	return n;
}

const struct gp_target *gp_config_target(const struct gp_config *cfg, const char *name)
{
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

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void gp_config_free(struct gp_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_targets; i++) {
		struct gp_target *t = &cfg->targets[i];
		for (size_t j = 0; j < t->n_checks; j++)
			check_free_fields(&t->checks[j]);
		free(t->checks);
		free(t->name);
		free(t->host);
		free(t->profile);
		vars_free(&t->vars);
		free(t->snmp.community);
		free(t->snmp.community_file);
		free(t->snmp.user);
		free(t->snmp.auth_protocol);
		free(t->snmp.auth_password_file);
		free(t->snmp.priv_protocol);
		free(t->snmp.priv_password_file);
		free(t->ssh.user);
		free(t->ssh.key);
		free(t->ssh.known_hosts);
		free(t->http.base_url);
		free(t->http.ca_file);
		free(t->http.user);
		free(t->http.password_file);
	}
	free(cfg->targets);
	for (size_t i = 0; i < cfg->n_services; i++) {
		free(cfg->services[i].name);
		free(cfg->services[i].title);
		free(cfg->services[i].up_when);
		gp_expr_free(cfg->services[i].expr);
	}
	free(cfg->services);
	free(cfg->probe.data_dir);
	free(cfg->probe.rrdcached);
	free(cfg->probe.plugin_dir);
	free(cfg->probe.profile_dir);
	for (size_t i = 0; i < cfg->probe.n_uplink; i++)
		free(cfg->probe.uplink[i]);
	free(cfg->probe.uplink);
	free(cfg->probe.uplink_target);
	free(cfg->calendar.timezone);
	free(cfg->calendar.holidays);
	free(cfg->calendar.holidays_file);
	free(cfg->calendar.working_weekend_days);
	free(cfg->email.smtp_url);
	free(cfg->email.user);
	free(cfg->email.password_file);
	free(cfg->email.from);
	free_strv(cfg->email.to, cfg->email.n_to);
	free_strv(cfg->email.escalate_to, cfg->email.n_escalate_to);
	free(cfg->email.language);
	free(cfg->email.ca_file);
	free(cfg->webhook.url);
	free(cfg->webhook.secret_file);
	free(cfg->file);
	free(cfg);
}
