/*
 * secret.h - the one reader of secrets files (passwords, keys, the webhook
 * secret, an SNMP community file) for the loader, the alert channels and,
 * through the host API, the collector plugins.
 *
 * A secret lives in a file that only its owner can read (mode 0600 or
 * 0400): anything looser is refused, never warned about, so a copy made
 * with the wrong umask is noticed before it is used.
 */
#ifndef GP_SECRET_H
#define GP_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Secrets are short: a file larger than this is not one. */
#define GP_SECRET_MAX 4096

/* Why path cannot hold a secret (group or others may read or write it,
 * not a regular file, unreadable), as a malloc'd reason; NULL when fine. */
char *gp_secret_file_problem(const char *path);

/* Whether the only thing wrong with path is that this user may not read
 * it (EACCES), its mode being private as far as it can be seen: a config
 * read by another user (Nagios running check_genesys on one target) is
 * then not refused for a secret of another target; whoever needs the
 * secret gets the reason when reading it. A loose mode is never this. */
bool gp_secret_file_unreadable_only(const char *path);

/* Reads the secret of path: the whole file up to GP_SECRET_MAX bytes,
 * without its trailing newline. Refuses what gp_secret_file_problem()
 * refuses, an empty file and a larger one. Returns a malloc'd string
 * (wipe it with gp_secret_free()), or NULL with the reason in err; the
 * reason never contains the secret. */
char *gp_read_secret(const char *path, char *err, size_t errlen);
void gp_secret_free(char *s);

#endif
