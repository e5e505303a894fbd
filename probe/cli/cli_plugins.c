/*
 * cli_plugins.c - `gprobe plugins [--json]` (and `config check --kinds`):
 * the collector plugins of the plugin directory, with the check kinds and
 * target blocks they declare and every option's type, default and doc.
 * It is the config's reference for what the installed plugins take.
 */
#include "cli.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(enum gp_opt_type t)
{
	switch (t) {
	case GP_OPT_STRING:
		return "string";
	case GP_OPT_INTEGER:
		return "integer";
	case GP_OPT_DURATION:
		return "duration";
	case GP_OPT_BOOLEAN:
		return "boolean";
	case GP_OPT_LIST:
		return "list";
	case GP_OPT_SECRET_FILE:
		return "secret file";
	case GP_OPT_FILE:
		return "file";
	case GP_OPT_ENUM:
		return "enum";
	case GP_OPT_REGEX:
		return "regex";
	}
	return "?";
}

/* "integer 1..65535", "enum 1|2c|3". */
static void type_text(const struct gp_option_decl *d, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", type_name(d->type));
	if (d->type == GP_OPT_INTEGER && (d->min || d->max))
		snprintf(buf + off, len - off, " %lld..%lld", (long long)d->min, (long long)d->max);
	for (size_t i = 0; d->type == GP_OPT_ENUM && d->values && d->values[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "|" : " ", d->values[i]);
}

static void print_option(const struct gp_option_decl *d, const char *indent)
{
	char type[256];
	type_text(d, type, sizeof(type));
	printf("%s%-20s %s%s%s%s%s\n", indent, d->name, type,
	       d->flags & GP_OPT_REQUIRED ? ", required" : "", d->def ? ", default " : "",
	       d->def ? d->def : "", d->doc ? "" : "");
	if (d->doc)
		printf("%s%-20s   %s\n", indent, "", d->doc);
}

static json_t *option_json(const struct gp_option_decl *d)
{
	json_t *values = json_array();
	for (size_t i = 0; d->type == GP_OPT_ENUM && d->values && d->values[i]; i++)
		json_array_append_new(values, json_string(d->values[i]));
	json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}", "name", d->name, "type",
			      type_name(d->type), "required", (d->flags & GP_OPT_REQUIRED) != 0,
			      "default", d->def ? json_string(d->def) : json_null(), "doc",
			      d->doc ? json_string(d->doc) : json_null(), "values", values);
	if (d->type == GP_OPT_INTEGER && (d->min || d->max)) {
		json_object_set_new(o, "min", json_integer(d->min));
		json_object_set_new(o, "max", json_integer(d->max));
	}
	return o;
}

static json_t *options_json(const struct gp_option_decl *list)
{
	json_t *a = json_array();
	for (const struct gp_option_decl *d = list; d && d->name; d++)
		json_array_append_new(a, option_json(d));
	return a;
}

static int cmp_plugin(const void *a, const void *b)
{
	const struct gp_plugin *x = *(const struct gp_plugin *const *)a;
	const struct gp_plugin *y = *(const struct gp_plugin *const *)b;
	return strcmp(x->c->name, y->c->name);
}

void gp_cli_print_plugins(struct gp_registry *reg, bool json)
{
	json_t *root = json ? json_array() : NULL;
	/* By name, whatever order they were loaded in. */
	struct gp_plugin **sorted = gp_xcalloc(reg->n + 1, sizeof(*sorted));
	for (size_t i = 0; i < reg->n; i++)
		sorted[i] = &reg->v[i];
	if (reg->n > 1)
		qsort(sorted, reg->n, sizeof(*sorted), cmp_plugin);
	for (size_t i = 0; i < reg->n; i++) {
		const struct gp_plugin *pl = sorted[i];
		const struct gp_collector *c = pl->c;
		if (json) {
			json_t *kinds = json_array(), *blocks = json_array();
			for (const struct gp_kind_decl *k = c->kinds; k->name; k++) {
				json_t *jk = json_pack(
					"{s:s, s:o, s:o, s:o, s:o}", "name", k->name, "block",
					k->block ? json_string(k->block) : json_null(), "value",
					k->arg.name ? option_json(&k->arg) : json_null(), "options",
					options_json(k->options), "doc",
					k->doc ? json_string(k->doc) : json_null());
				json_array_append_new(kinds, jk);
			}
			for (const struct gp_block_decl *b = c->blocks; b && b->name; b++)
				json_array_append_new(
					blocks, json_pack("{s:s, s:o, s:o}", "name", b->name, "options",
							  options_json(b->options), "doc",
							  b->doc ? json_string(b->doc) : json_null()));
			json_array_append_new(root, json_pack("{s:s, s:s, s:o, s:o}", "name", c->name,
							      "path", pl->path, "kinds", kinds,
							      "blocks", blocks));
			continue;
		}
		printf("%s  (%s)\n", c->name, pl->path);
		for (const struct gp_block_decl *b = c->blocks; b && b->name; b++) {
			printf("  target block %s:%s%s\n", b->name, b->doc ? "  " : "",
			       b->doc ? b->doc : "");
			for (const struct gp_option_decl *d = b->options; d && d->name; d++)
				print_option(d, "    ");
		}
		for (const struct gp_kind_decl *k = c->kinds; k->name; k++) {
			printf("  check kind %s%s%s%s%s\n", k->name, k->block ? " (through " : "",
			       k->block ? k->block : "", k->block ? ":)" : "", k->doc ? "" : "");
			if (k->doc)
				printf("    %s\n", k->doc);
			if (k->arg.name)
				print_option(&k->arg, "    ");
			for (const struct gp_option_decl *d = k->options; d && d->name; d++)
				print_option(d, "    ");
		}
	}
	free(sorted);
	if (json) {
		gp_cli_print_json(root);
		json_decref(root);
	}
	else if (reg->n == 0)
		printf("no collector plugin in %s\n", reg->dir ? reg->dir : "?");
}

void gp_cli_print_plugin_errors(struct gp_registry *reg, const char *cmd)
{
	for (size_t i = 0; i < reg->errors.n; i++) {
		char *m = gp_errlist_format(&reg->errors, i);
		fprintf(stderr, "gprobe %s: %s\n", cmd, m);
		free(m);
	}
}

int gp_cmd_plugins(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv)) {
		printf("usage: gprobe [-c FILE] plugins [--json]\n\n"
		       "Lists the collector plugins of the plugin directory ($GPROBE_PLUGIN_DIR,\n"
		       "else the config's probe.plugin_dir, else the installed ones) with the\n"
		       "check kinds and target blocks each declares: every option with its\n"
		       "type, whether it is required, its default and what it does.\n");
		return 0;
	}
	/* The config names the plugin directory when it can be read; the
	 * listing does not need it to be valid. */
	gp_config_free(gp_cli_load_config_quiet(cli));
	gp_registry_load_all(&cli->reg);
	gp_cli_print_plugins(&cli->reg, gp_cli_has(argc, argv, "--json"));
	gp_cli_print_plugin_errors(&cli->reg, "plugins");
	return cli->reg.errors.n ? 1 : 0;
}
