/*
 * secret.c - reading secrets files (see secret.h).
 */
#include "secret.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *mode_problem(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return gp_xasprintf("'%s' is not a regular file", path);
	if (st->st_mode & 077)
		return gp_xasprintf("secrets file '%s' is accessible to group or others (mode %04o); "
				    "chmod 600 it",
				    path, (unsigned)(st->st_mode & 07777));
	return NULL;
}

char *gp_secret_file_problem(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return gp_xasprintf("'%s': %s", path, strerror(errno));
	char *why = mode_problem(path, &st);
	if (!why && access(path, R_OK) != 0)
		why = gp_xasprintf("'%s' is not readable: %s", path, strerror(errno));
	return why;
}

bool gp_secret_file_unreadable_only(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == EACCES;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077))
		return false;
	return access(path, R_OK) != 0 && errno == EACCES;
}

char *gp_read_secret(const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO put in a secret's place cannot hang the
	 * reader; fstat on the open file then refuses it. */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		gp_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *why = fstat(fd, &st) != 0 ? gp_xasprintf("'%s': %s", path, strerror(errno))
					: mode_problem(path, &st);
	if (!why && st.st_size > GP_SECRET_MAX)
		why = gp_xasprintf("'%s' is larger than %d bytes: not a secret", path, GP_SECRET_MAX);
	if (why) {
		gp_errf(err, errlen, "%s", why);
		free(why);
		close(fd);
		return NULL;
	}
	char *buf = gp_xcalloc(GP_SECRET_MAX + 1, 1);
	size_t n = 0;
	while (n < GP_SECRET_MAX) {
		ssize_t r = read(fd, buf + n, GP_SECRET_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	/* A trailing newline is the editor's, not the secret's. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0 || strlen(buf) != n) {
		gp_errf(err, errlen, n ? "'%s' holds a NUL byte: not a text secret" : "'%s' is empty",
			path);
		gp_secret_free(buf);
		return NULL;
	}
	return buf;
}

void gp_secret_free(char *s)
{
	if (!s)
		return;
	/* volatile: the wipe is not optimised away before free(). */
	for (volatile char *p = s; *p; p++)
		*p = 0;
	free(s);
}
