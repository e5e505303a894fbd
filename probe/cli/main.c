/*
 * main.c - the `gprobe` command: global options, then one subcommand.
 *
 *   gprobe [-c FILE] [-v]... COMMAND [ARGS]
 *
 * Each subcommand lives in its own module; this file only dispatches, and
 * holds the process-wide state the rest of the program must not have (the
 * signal flags of `run`).
 */
#include "cli.h"
#include "daemon.h"
#include "plugin.h"
#include "runner.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GPROBE_VERSION
#define GPROBE_VERSION "0"
#endif

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}


static const char *config_path(const char *given)
{
	if (given)
		return given;
	const char *env = getenv("GPROBE_CONFIG");
	if (env && *env)
		return env;
	return "/etc/gprobe/gprobe.yaml";
}

/* ------------------------------------------------------------------ */

static bool want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int cmd_config(struct gp_cli *cli, int argc, char **argv)
{
	if (want_help(argc, argv) || argc < 2 || strcmp(argv[1], "check") != 0) {
		printf("usage: gprobe [-c FILE] config check [--kinds]\n\n"
		       "Validates the config file and exits 0 when it is usable, 1 with every\n"
		       "error as FILE:LINE:COL: message otherwise. The check kinds, target\n"
		       "blocks and options are those the collector plugins declare; --kinds\n"
		       "lists them (as `gprobe plugins` does).\n");
		return want_help(argc, argv) ? 0 : 1;
	}
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	printf("config OK: %zu targets, %zu checks, %zu services\n", cfg->n_targets,
	       gp_config_check_count(cfg), cfg->n_services);
	if (gp_cli_has(argc, argv, "--kinds")) {
		gp_registry_load_all(&cli->reg);
		printf("\n");
		gp_cli_print_plugins(&cli->reg, false);
	}
	gp_config_free(cfg);
	return 0;
}

static int cmd_run(struct gp_cli *cli, int argc, char **argv)
{
	if (want_help(argc, argv)) {
		printf("usage: gprobe [-c FILE] [-v] run\n\n"
		       "Runs the probe in the foreground, logging to stderr. SIGTERM or SIGINT\n"
		       "stop it (exit 0); SIGHUP reloads the config, keeping the running one\n"
		       "when the new file is invalid. Exit 1 on a bad config at start.\n");
		return 0;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct gp_daemon_opts o = {
		.config_path = cli->config_path,
		.profile_dir = cli->profile_dir,
		.log = &cli->log,
	};
	/* The daemon's debug lines go out once a turn (log.h). */
	struct gp_log_hold hold;
	gp_log_hold_init(&hold);
	cli->log.hold = &hold;
	int rc = gp_daemon_run(&o, &got_term, &got_hup);
	gp_log_flush(&cli->log);
	cli->log.hold = NULL;
	gp_log_hold_done(&hold);
	return rc;
}

/* Commands whose modules arrive with later work: their help names them,
 * and running them says plainly that this build lacks them. */
static int cmd_later(const char *name, const char *usage, const char *what, int argc, char **argv)
{
	if (want_help(argc, argv)) {
		printf("usage: %s\n\n%s\n", usage, what);
		return 0;
	}
	fprintf(stderr, "gprobe %s: not available in this build yet (%s)\n", name, what);
	return 1;
}

/* cli_mailin.c: a reply to an alert, on stdin. */
int gp_cmd_mailin(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_store(struct gp_cli *cli, int argc, char **argv);

struct command {
	const char *name;
	int (*fn)(struct gp_cli *, int, char **);
	const char *usage;
	const char *what;
};

static const struct command commands[] = {
	{"run", cmd_run, "gprobe run", "the daemon, in the foreground"},
	{"config", cmd_config, "gprobe config check [--kinds]", "validate the config"},
	{"plugins", gp_cmd_plugins, "gprobe plugins [--json]",
	 "the collector plugins: their check kinds, target blocks and options"},
	{"diag", gp_cmd_diag, "gprobe diag TARGET [--json]",
	 "run every check of TARGET once and explain each result"},
	{"status", gp_cmd_status, "gprobe status [--json]",
	 "services and components as the daemon last saw them"},
	{"events", gp_cmd_events, "gprobe events [--subject S] [--since TIME] [--last N] [--json]",
	 "the daemon's event log: every state change, outage and cut-off"},
	{"incidents", gp_cmd_incidents, "gprobe incidents [--all] [--json]", "open incidents"},
	{"incident", gp_cmd_incident,
	 "gprobe incident open|show|ack|note|workaround|resolve|confirm|reject|void|attribute ...",
	 "an incident's life"},
	{"downtime", gp_cmd_downtime, "gprobe downtime [--month YYYY-MM] [--json|--csv] | downtime add|list-entries|revoke ...",
	 "the downtime ledger"},
	{"maintenance", gp_cmd_maintenance,
	 "gprobe maintenance add --service S --from TIME --to TIME --reason TEXT | list | cancel ID",
	 "planned work windows"},
	{"report", gp_cmd_report,
	 "gprobe report [--month YYYY-MM] [--json|--csv|--html FILE|--pdf FILE]",
	 "the monthly availability and penalty report"},
	{"graph", gp_cmd_graph,
	 "gprobe graph TARGET CHECK [--from -24h] -o FILE.png | --outage SERVICE [--at T] -o F",
	 "a PNG of a check's values, or of the check that failed in an outage"},
	{"web", gp_cmd_web, "gprobe web | web passwd USER --role viewer|operator|manager",
	 "the NOC web console; its users"},
	{"mail-in", gp_cmd_mailin, "gprobe mail-in < MESSAGE",
	 "a reply to an alert: ack, confirm or reject by e-mail"},
	{"store", gp_cmd_store, "gprobe store migrate --from URI --to URI",
	 "copy a store's history into another (sqlite:PATH, postgresql://...)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: gprobe [-c FILE] [-v]... COMMAND [ARGS]\n"
		     "       gprobe --version | --help\n\n"
		     "Monitoring and diagnostics probe for Genesys contact centers.\n\n"
		     "Options:\n"
		     "  -c FILE    the config (default: $GPROBE_CONFIG, then /etc/gprobe/gprobe.yaml)\n"
		     "  -v         more log output (repeat for debug)\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < GP_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].what);
	fprintf(out, "\n`gprobe COMMAND --help` tells more of each.\n");
}

/* For bash completion (packaging/bash-completion/gprobe): the commands,
 * or the config's targets, services or a target's checks, one a line.
 * Silent on any error: a completion must never print one. */
static int cmd_complete(struct gp_cli *cli, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "commands";
	if (!strcmp(what, "commands")) {
		for (size_t i = 0; i < GP_ARRAY_LEN(commands); i++)
			printf("%s\n", commands[i].name);
		return 0;
	}
	struct gp_config *cfg = gp_cli_load_config_quiet(cli);
	if (!cfg)
		return 1;
	if (!strcmp(what, "targets")) {
		for (size_t i = 0; i < cfg->n_targets; i++)
			printf("%s\n", cfg->targets[i].name);
	} else if (!strcmp(what, "services")) {
		for (size_t i = 0; i < cfg->n_services; i++)
			printf("%s\n", cfg->services[i].name);
	} else if (!strcmp(what, "checks") && argc > 2) {
		const struct gp_target *t = gp_config_target(cfg, argv[2]);
		for (size_t i = 0; t && i < t->n_checks; i++)
			printf("%s\n", t->checks[i].name);
	}
	gp_config_free(cfg);
	return 0;
}

static const char *default_profile_dir(void)
{
	const char *env = getenv("GPROBE_PROFILE_DIR");
	if (env && *env)
		return env;
#ifdef GPROBE_INSTALL_PROFILE_DIR
	if (access(GPROBE_INSTALL_PROFILE_DIR, R_OK) == 0)
		return GPROBE_INSTALL_PROFILE_DIR;
#endif
#ifdef GPROBE_SOURCE_PROFILE_DIR
	return GPROBE_SOURCE_PROFILE_DIR;
#else
	return NULL;
#endif
}

int main(int argc, char **argv)
{
	struct gp_cli cli = {.log = {.out = stderr, .level = GP_LOG_INFO}};
	/* A peer closing a connection must be an error return, not a signal
	 * that kills the probe. */
	signal(SIGPIPE, SIG_IGN);
	const char *cfg = NULL;
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	/* "+": stop at the command, its options are its own. */
	while ((opt = getopt_long(argc, argv, "+c:vVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg = optarg;
			break;
		case 'v':
			if (cli.log.level < GP_LOG_DEBUG)
				cli.log.level++;
			break;
		case 'V':
			printf("gprobe %s (collector ABI %d)\n", GPROBE_VERSION,
			       GP_COLLECTOR_ABI_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cli.config_path = config_path(cfg);
	cli.profile_dir = default_profile_dir();
	const char *name = argv[optind];
	int rc = -1;
	if (!strcmp(name, "__complete"))
		rc = cmd_complete(&cli, argc - optind, argv + optind);
	for (size_t i = 0; rc < 0 && i < GP_ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;
		if (commands[i].fn)
			rc = commands[i].fn(&cli, sub_argc, sub_argv);
		else
			rc = cmd_later(name, commands[i].usage, commands[i].what, sub_argc, sub_argv);
	}
	gp_registry_free(&cli.reg);
	if (rc >= 0)
		return rc;
	fprintf(stderr, "gprobe: unknown command '%s'\n\n", name);
	usage(stderr);
	return 1;
}
