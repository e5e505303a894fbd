/*
 * auth.h - who may use the web console (`gprobe web`): the users file,
 * password hashes, sessions, CSRF tokens and login throttling.
 *
 * Pure logic: no socket, no HTTP. Every function that depends on time
 * takes `now` (seconds), so the tests drive the clock.
 *
 * The users file (web.users_file) holds one user a line, `name:role:hash`,
 * the role viewer, operator or manager, the hash yescrypt ("$y$...") from
 * libxcrypt. It is a secret: mode 0600 or 0400, written only by
 * gp_web_users_set() and gp_web_users_remove() (temp file + rename).
 */
#ifndef GP_WEB_AUTH_H
#define GP_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gp_web_role { GP_ROLE_VIEWER, GP_ROLE_OPERATOR, GP_ROLE_MANAGER };
const char *gp_web_role_name(enum gp_web_role r);
bool gp_web_role_parse(const char *s, enum gp_web_role *out);

/* A user name: 1-64 of a-z A-Z 0-9 . _ - @ */
bool gp_web_valid_user(const char *name);

struct gp_web_user {
	char *name;
	enum gp_web_role role;
	char *hash;
};
struct gp_web_users {
	struct gp_web_user *v;
	size_t n;
};
/* Reads path (refused unless private). 0, or -1 with why in err; a file
 * that does not exist is an empty list when missing_ok. */
int gp_web_users_load(const char *path, bool missing_ok, struct gp_web_users *u, char *err,
		      size_t errlen);
void gp_web_users_free(struct gp_web_users *u);
const struct gp_web_user *gp_web_users_find(const struct gp_web_users *u, const char *name);
/* Adds or updates name with role and password's new hash, rewriting path
 * atomically (same directory temp file, mode 0600, fsync, rename). */
int gp_web_users_set(const char *path, const char *name, enum gp_web_role role,
		     const char *password, char *err, size_t errlen);
/* Removes name from path, rewritten as gp_web_users_set() does. -1 with
 * why in err: no such user, the file unreadable or not private. Removing
 * the last manager (or the last user) is allowed: *manager_left (when
 * given) says whether a manager remains. A running `gprobe web` ends the
 * removed user's sessions at their next request (server.c). */
int gp_web_users_remove(const char *path, const char *name, bool *manager_left, char *err,
			size_t errlen);

/* A yescrypt hash of password (malloc'd), or NULL with why in err. */
char *gp_web_hash(const char *password, char *err, size_t errlen);
/* Whether password matches hash (compared in constant time). */
bool gp_web_verify(const char *hash, const char *password);

/* a and b equal, in time that depends only on their lengths. */
bool gp_web_ct_equal(const char *a, const char *b);
/* 2*nbytes hex digits of getrandom() into out (out has 2*nbytes+1). */
int gp_web_random_hex(char *out, size_t nbytes);

/* Sessions: a table in memory; a token is 32 random bytes in hex. */
#define GP_WEB_TOKEN_LEN 64
struct gp_web_session {
	char token[GP_WEB_TOKEN_LEN + 1];
	char csrf[GP_WEB_TOKEN_LEN + 1];
	char user[65];
	enum gp_web_role role;
	int64_t created, last_seen, expires;
};
struct gp_web_sessions {
	struct gp_web_session *v;
	size_t n, cap;     /* cap: at most this many (oldest dropped past it) */
	int64_t idle_s;    /* a session unused this long expires (30 min) */
	int64_t max_s;     /* and any after this (12 h) */
};
void gp_web_sessions_init(struct gp_web_sessions *s, size_t cap, int64_t idle_s, int64_t max_s);
void gp_web_sessions_free(struct gp_web_sessions *s);
/* A new session for user; NULL when no randomness was to be had. The
 * pointer is valid until the next call on s. */
const struct gp_web_session *gp_web_session_new(struct gp_web_sessions *s, const char *user,
						enum gp_web_role role, int64_t now);
/* The live session of token (its idle clock restarted), or NULL;
 * expired ones are dropped. */
const struct gp_web_session *gp_web_session_find(struct gp_web_sessions *s, const char *token,
						 int64_t now);
void gp_web_session_drop(struct gp_web_sessions *s, const char *token);
/* Whether a form's or header's token is the session's CSRF token. */
bool gp_web_csrf_ok(const struct gp_web_session *ss, const char *given);

/*
 * Login throttling: after GP_WEB_THROTTLE_FAILS failed logins for a user
 * or from a client address within GP_WEB_THROTTLE_WINDOW_S, attempts for
 * that user or from that address are refused until the oldest of those
 * failures is older than the window.
 */
#define GP_WEB_THROTTLE_FAILS 5
#define GP_WEB_THROTTLE_WINDOW_S (15 * 60)
struct gp_web_throttle_entry {
	char key[80]; /* "u:NAME" or "a:ADDRESS" */
	int64_t fails[GP_WEB_THROTTLE_FAILS]; /* ring of the latest failure times */
	unsigned n, next;
};
struct gp_web_throttle {
	struct gp_web_throttle_entry *v;
	size_t n, cap;
};
void gp_web_throttle_free(struct gp_web_throttle *t);
/* Whether an attempt for user from addr is refused now; *retry_after the
 * seconds until it is not. */
bool gp_web_throttle_blocked(struct gp_web_throttle *t, const char *user, const char *addr,
			     int64_t now, int64_t *retry_after);
void gp_web_throttle_fail(struct gp_web_throttle *t, const char *user, const char *addr,
			  int64_t now);
/* A good login clears the user's failures (not the address's). */
void gp_web_throttle_ok(struct gp_web_throttle *t, const char *user);

#endif
