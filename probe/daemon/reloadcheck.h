/*
 * reloadcheck.h - a config reload is first tried in another process.
 *
 * A file can send a parser into a loop (libfyaml 0.7.12 did on two bytes)
 * or name something that never ends. On SIGHUP the daemon therefore runs
 * its own binary's `config check` on the file in a child process, with a
 * deadline, and keeps polling meanwhile; only a file the child accepted in
 * time is loaded by the daemon itself. A child past its deadline is
 * killed and the running config kept.
 */
#ifndef GP_RELOADCHECK_H
#define GP_RELOADCHECK_H

#include <stddef.h>
#include <stdint.h>

enum gp_reload_verdict {
	GP_RELOAD_PENDING, /* still checking */
	GP_RELOAD_OK,      /* the file is valid */
	GP_RELOAD_INVALID, /* refused: the reasons are in the output */
	GP_RELOAD_TIMEOUT, /* killed at its deadline */
	GP_RELOAD_FAILED,  /* the check could not run (see the output) */
};

struct gp_reload_check;

/* Starts the check of config_path, to end by now_us + limit_us. NULL with
 * a reason when no process could be started. */
struct gp_reload_check *gp_reload_check_start(const char *config_path, int64_t now_us,
					      int64_t limit_us, char *err, size_t errlen);
/* Never blocks: collects what the check printed, reaps it when it ends,
 * kills it past its deadline. */
enum gp_reload_verdict gp_reload_check_poll(struct gp_reload_check *c, int64_t now_us);
/* What the check printed on stderr (its FILE:LINE:COL errors), at most
 * 64 KiB. */
const char *gp_reload_check_output(const struct gp_reload_check *c);
/* Kills a check still running, and frees. */
void gp_reload_check_free(struct gp_reload_check *c);

#endif
