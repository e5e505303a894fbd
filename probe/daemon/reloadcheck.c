/*
 * reloadcheck.c - `config check` of a reloaded file in a child process
 * (see reloadcheck.h).
 */
#include "reloadcheck.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUTPUT_MAX (64 * 1024)

struct gp_reload_check {
	pid_t pid;
	int fd; /* the child's stderr, non-blocking; -1 once at its end */
	int64_t deadline_us;
	char out[OUTPUT_MAX + 1];
	size_t len;
	enum gp_reload_verdict verdict;
};

struct gp_reload_check *gp_reload_check_start(const char *config_path, int64_t now_us,
					      int64_t limit_us, char *err, size_t errlen)
{
	/* The running binary, even if a package upgrade replaced the file. */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		gp_errf(err, errlen, "cannot find the running program: %s", strerror(errno));
		return NULL;
	}
	self[n] = '\0';
	int p[2];
	if (pipe(p) != 0) {
		gp_errf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	char *argv[] = {self, (char *)"-c", (char *)config_path, (char *)"config", (char *)"check",
			NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		gp_errf(err, errlen, "cannot start %s config check: %s", self, strerror(rc));
		return NULL;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	struct gp_reload_check *c = gp_xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->fd = p[0];
	c->deadline_us = now_us + limit_us;
	c->verdict = GP_RELOAD_PENDING;
	return c;
}

static void drain(struct gp_reload_check *c)
{
	while (c->fd >= 0) {
		char buf[4096];
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: more later */
		if (n == 0) {
			close(c->fd);
			c->fd = -1;
			return;
		}
		size_t room = OUTPUT_MAX - c->len, take = (size_t)n < room ? (size_t)n : room;
		memcpy(c->out + c->len, buf, take);
		c->len += take;
		c->out[c->len] = '\0';
	}
}

enum gp_reload_verdict gp_reload_check_poll(struct gp_reload_check *c, int64_t now_us)
{
	if (c->verdict != GP_RELOAD_PENDING)
		return c->verdict;
	drain(c);
	int status;
	pid_t w = waitpid(c->pid, &status, WNOHANG);
	if (w == c->pid) {
		c->pid = -1;
		drain(c);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			c->verdict = GP_RELOAD_OK;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			c->verdict = GP_RELOAD_INVALID;
		else
			c->verdict = GP_RELOAD_FAILED;
		return c->verdict;
	}
	if (now_us >= c->deadline_us) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		c->pid = -1;
		c->verdict = GP_RELOAD_TIMEOUT;
	}
	return c->verdict;
}

const char *gp_reload_check_output(const struct gp_reload_check *c)
{
	return c->out;
}

void gp_reload_check_free(struct gp_reload_check *c)
{
	if (!c)
		return;
	if (c->pid > 0) {
		int status;
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
