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
#include "plugin.h"
#include "runner.h"
#include "store.h"
#include "format.h"

struct gp_cli {
	const char *config_path;
	struct gp_logger log;
	const char *profile_dir; /* default for profiles */
	/* The collector plugins: loaded as the config names their kinds. */
	struct gp_registry reg;
};

/* Loads the config, printing its errors; NULL on failure. */
struct gp_config *gp_cli_load_config(struct gp_cli *cli);
/* The same, silent (completion, listings that do without a config). */
struct gp_config *gp_cli_load_config_quiet(struct gp_cli *cli);
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

/* The plugins of reg with their declarations, as text or JSON. */
void gp_cli_print_plugins(struct gp_registry *reg, bool json);
/* What went wrong loading plugins, one "gprobe CMD: ..." line each. */
void gp_cli_print_plugin_errors(struct gp_registry *reg, const char *cmd);

/* The JSON the commands print, built once for them and the web console:
 * `status --json`, `incidents [--all] --json`, `incident show ID --json`
 * (NULL: no such incident). Read from st's current snapshot. */
json_t *gp_status_json(const struct gp_config *cfg, struct gp_store *st);
json_t *gp_incidents_json(const struct gp_config *cfg, struct gp_store *st, bool all);
json_t *gp_incident_show_json(const struct gp_config *cfg, struct gp_store *st, int64_t id);

/* The manual ledger entries (`downtime add`) and maintenance windows
 * (`maintenance add`), for the commands and the manager's web page alike
 * (cli_report.c). An entry as given: TIMEs as text (ISO 8601, in
 * calendar.timezone unless they carry an offset), by `by`. */
struct gp_entry_input {
	bool downtime;                /* a downtime entry, else a maintenance window */
	const char *service, *target; /* a window is on one of the two */
	const char *from, *to;
	const char *attribution;      /* downtime's */
	const char *reason;
	bool over_monitored;          /* downtime's */
	bool retroactive;             /* a window's */
	const char *repeat, *until;   /* a window's: "weekly" and YYYY-MM-DD, or NULL */
	const char *by;
};
struct gp_entry_added {
	int64_t id, first_id; /* the new row; a weekly series' first and last */
	int weeks;
	int64_t start, end;   /* the (first) entry's */
};
/* Checks the entry and records it in one transaction of its own: 0; 1
 * refused, -1 the store failed, why in err either way. */
int gp_entry_add(const struct gp_config *cfg, struct gp_store *st, const struct gp_entry_input *in,
		 int64_t now, struct gp_entry_added *out, char *err, size_t errlen);
/* `downtime revoke` / `maintenance cancel` in one transaction: 0; 1
 * refused (no reason, no such entry, revoked already), -1 the store. */
int gp_entry_revoke(struct gp_store *st, bool downtime, int64_t id, const char *by,
		    const char *reason, int64_t now, char *err, size_t errlen);
/* Every entry of the kind as `downtime list-entries --json` / `maintenance
 * list --json` (service: only those concerning it, or NULL); NULL when the
 * store fails. */
json_t *gp_entries_json(const struct gp_config *cfg, struct gp_store *st, bool downtime,
			const char *service);

int gp_cmd_web(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_plugins(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_diag(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_status(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_graph(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incidents(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_incident(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_report(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_downtime(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_maintenance(struct gp_cli *cli, int argc, char **argv);
int gp_cmd_events(struct gp_cli *cli, int argc, char **argv);


#endif
