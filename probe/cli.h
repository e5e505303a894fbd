/*
 * cli.h - what the subcommands of `gprobe` share: the global options and
 * the loaded config.
 */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

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
/* The config and the database (for reading, or writing beside the
 * daemon); -1 after printing why. */
int gp_cli_open(struct gp_cli *cli, bool writable, struct gp_config **cfg, struct gp_store **st,
		const char *cmd);
bool gp_cli_want_help(int argc, char **argv);
/* The value after `flag` in argv, or NULL; whether a flag is there. */
const char *gp_cli_flag(int argc, char **argv, const char *flag);
bool gp_cli_has(int argc, char **argv, const char *flag);
/* Who runs the command, for the audit trail (the sudo user first). */
const char *gp_cli_login_name(void);
/* A time as ISO 8601 in the calendar's zone, or null for 0. */
json_t *gp_cli_jtime(const struct gp_config *cfg, int64_t t);
void gp_cli_print_json(json_t *j);
/* A duration exact to the second, hours past 24: "743:05:09". */
const char *gp_cli_hms(int64_t seconds, char *buf, size_t len);
/* Reports for people speak alerts.email.language (ru by default). */
bool gp_cli_russian(const struct gp_config *cfg);
#define GP_TR(cfg, en, ru) (gp_cli_russian(cfg) ? (ru) : (en))

int gp_cmd_diag(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_status(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_graph(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incidents(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incident(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_report(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_downtime(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_maintenance(struct gp_cli *cli, int argc, char **argv);

/* `gprobe run` until *term; *hup asks for a config reload. The flags
 * belong to main(), which owns the signal handlers. */
int gp_daemon_run(struct gp_cli *cli, volatile sig_atomic_t *term, volatile sig_atomic_t *hup);

/* The runner's view of a store (NULL store: no state). */
struct gp_state_store gp_cli_state_store(struct gp_store *st);

/* The Nagios code of the worse of two states: CRITICAL > WARNING >
 * UNKNOWN > OK. */
enum gp_state gp_worse_state(enum gp_state a, enum gp_state b);

#endif
