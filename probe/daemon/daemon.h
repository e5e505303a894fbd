/*
 * daemon.h - `gprobe run`: the scheduler, the state engine and the store
 * in one loop (see daemon.c).
 */
#ifndef GP_DAEMON_H
#define GP_DAEMON_H

#include <signal.h>

#include "log.h"

/* What the daemon needs from whoever starts it (the CLI's main). */
struct gp_daemon_opts {
	const char *config_path;
	const char *profile_dir; /* default for profiles */
	struct gp_logger *log;
};

/* Runs until *term; *hup asks for a config reload. The flags belong to
 * the caller, which owns the signal handlers. Returns the exit code: 0 on
 * a requested stop, 1 when it could not start. */
int gp_daemon_run(const struct gp_daemon_opts *o, volatile sig_atomic_t *term,
		  volatile sig_atomic_t *hup);

#endif
