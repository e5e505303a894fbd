/*
 * sdnotify.h - systemd's readiness protocol (sd_notify(3)), spoken on the
 * socket systemd names in $NOTIFY_SOCKET, so a Type=notify unit knows when
 * the daemon is up, reloading or stopping. Without $NOTIFY_SOCKET (not
 * under systemd) every call does nothing.
 */
#ifndef GP_SDNOTIFY_H
#define GP_SDNOTIFY_H

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...").
 * 0 when sent or not under systemd, -1 on a socket error. */
int gp_sd_notify(const char *state);

#endif
