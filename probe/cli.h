/*
 * cli.h - what the subcommands of `gprobe` share: the global options and
 * the loaded config.
 */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <signal.h>

#include "config.h"
#include "log.h"
#include "runner.h"
#include "store.h"

struct gp_cli {
	const char *config_path;
	struct gp_logger log;
	const char *profile_dir; /* default for profiles */
};

/* Loads the config, printing its errors; NULL on failure. */
struct gp_config *gp_cli_load_config(struct gp_cli *cli);

int gp_cmd_diag(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_status(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_graph(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incidents(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incident(struct gp_cli *cli, int argc, char **argv);

/* `gprobe run` until *term; *hup asks for a config reload. The flags
 * belong to main(), which owns the signal handlers. */
int gp_daemon_run(struct gp_cli *cli, volatile sig_atomic_t *term, volatile sig_atomic_t *hup);

/* The runner's view of a store (NULL store: no state). */
struct gp_state_store gp_cli_state_store(struct gp_store *st);

/* The Nagios code of the worse of two states: CRITICAL > WARNING >
 * UNKNOWN > OK. */
enum gp_state gp_worse_state(enum gp_state a, enum gp_state b);

#endif
