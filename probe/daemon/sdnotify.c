/*
 * sdnotify.c - systemd's readiness protocol without libsystemd: one
 * datagram to the AF_UNIX socket in $NOTIFY_SOCKET (see sdnotify.h).
 */
#include "sdnotify.h"
#include "util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int gp_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* an abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	close(fd);
	return n < 0 ? -1 : 0;
}

int64_t gp_sd_watchdog_parse(const char *usec, const char *pid, long self_pid)
{
	int64_t timeout, owner;
	const char *why;
	if (!gp_parse_int64(usec, 1, INT64_MAX, &timeout, &why))
		return 0;
	if (pid && *pid && (!gp_parse_int64(pid, 1, INT64_MAX, &owner, &why) || owner != self_pid))
		return 0;
	return timeout;
}

int64_t gp_sd_watchdog_usec(void)
{
	return gp_sd_watchdog_parse(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"),
				    (long)getpid());
}
