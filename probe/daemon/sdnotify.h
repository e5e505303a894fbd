/*
 * sdnotify.h - systemd's readiness protocol (sd_notify(3)), spoken on the
 * socket systemd names in $NOTIFY_SOCKET, so a Type=notify unit knows when
 * the daemon is up, reloading or stopping, and its watchdog (WatchdogSec=)
 * hears that the daemon's loop still turns. Without $NOTIFY_SOCKET (not
 * under systemd) every call does nothing.
 */
#ifndef GP_SDNOTIFY_H
#define GP_SDNOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1",
 * "STATUS=...").
 * 0 when sent or not under systemd, -1 on a socket error. */
int gp_sd_notify(const char *state);

/* The watchdog's timeout in microseconds from the values of
 * $WATCHDOG_USEC and $WATCHDOG_PID (either may be NULL) for the process
 * self_pid, as sd_watchdog_enabled(3) reads them: 0 (no watchdog) when
 * WATCHDOG_USEC is missing or not a positive integer, or WATCHDOG_PID is
 * set and names another process. */
int64_t gp_sd_watchdog_parse(const char *usec, const char *pid, long self_pid);

/* The same from this process's environment. */
int64_t gp_sd_watchdog_usec(void);

#endif
