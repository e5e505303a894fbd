/*
 * cli_common.c - what the subcommands share: loading the config and the
 * database, flags, JSON output, who is typing.
 */
#include "cli.h"
#include "util.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The config against the collectors of cli->reg; errors into el. */
static struct gp_config *load(struct gp_cli *cli, struct gp_errlist *el)
{
	struct gp_kinds kinds = gp_registry_kinds(&cli->reg);
	struct gp_config_opts opts = {.default_profile_dir = cli->profile_dir, .kinds = &kinds};
	return gp_config_load(cli->config_path, &opts, el);
}

struct gp_config *gp_cli_load_config_quiet(struct gp_cli *cli)
{
	struct gp_errlist el = {0};
	struct gp_config *cfg = load(cli, &el);
	gp_errlist_free(&el);
	return cfg;
}

struct gp_config *gp_cli_load_config(struct gp_cli *cli)
{
	struct gp_errlist el = {0};
	struct gp_config *cfg = load(cli, &el);
	if (!cfg) {
		gp_errlist_print(&el, stderr);
		/* A kind it did not know may be a plugin that failed to load. */
		gp_cli_print_plugin_errors(&cli->reg, "config");
	}
	gp_errlist_free(&el);
	return cfg;
}

int gp_cli_open(struct gp_cli *cli, bool writable, struct gp_config **cfg, struct gp_store **st,
		const char *cmd)
{
	*cfg = gp_cli_load_config(cli);
	if (!*cfg)
		return -1;
	char err[512];
	*st = gp_store_open_probe(&(*cfg)->probe, NULL, writable, err, sizeof(err));
	if (!*st) {
		fprintf(stderr, "gprobe %s: %s\n", cmd, err);
		gp_config_free(*cfg);
		return -1;
	}
	/* What a reading command prints comes from one snapshot: a heartbeat
	 * read after the periods would otherwise run past their end. */
	if (!writable && gp_store_begin(*st) != 0) {
		fprintf(stderr, "gprobe %s: cannot read the store: %s\n", cmd, gp_store_error(*st));
		gp_store_close(*st);
		gp_config_free(*cfg);
		return -1;
	}
	return 0;
}

bool gp_cli_want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

const char *gp_cli_flag(int argc, char **argv, const char *flag)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], flag))
			return argv[i + 1];
	return NULL;
}

bool gp_cli_has(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], flag))
			return true;
	return false;
}

const char *gp_cli_login_name(void)
{
	const char *s = getenv("SUDO_USER");
	if (s && *s)
		return s;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

json_t *gp_cli_jtime(const struct gp_config *cfg, int64_t t)
{
	if (t <= 0)
		return json_null();
	char buf[40];
	gp_format_local(t, cfg->calendar.timezone, buf, sizeof(buf));
	return json_string(buf);
}

void gp_cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
}


