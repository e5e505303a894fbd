/*
 * auth.c - the web console's users, hashes, sessions, CSRF tokens and
 * login throttling (see auth.h).
 */
#include "auth.h"
#include "secret.h"
#include "util.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const role_names[] = {"viewer", "operator", "manager"};

const char *gp_web_role_name(enum gp_web_role r)
{
	return (unsigned)r < GP_ARRAY_LEN(role_names) ? role_names[r] : "?";
}

bool gp_web_role_parse(const char *s, enum gp_web_role *out)
{
	for (size_t i = 0; s && i < GP_ARRAY_LEN(role_names); i++)
		if (!strcmp(s, role_names[i])) {
			*out = (enum gp_web_role)i;
			return true;
		}
	return false;
}

bool gp_web_valid_user(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Hashes                                                              */

char *gp_web_hash(const char *password, char *err, size_t errlen)
{
	char *setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!setting) {
		gp_errf(err, errlen, "cannot make a yescrypt salt: %s", strerror(errno));
		return NULL;
	}
	struct crypt_data *cd = gp_xcalloc(1, sizeof(*cd));
	char *h = crypt_r(password, setting, cd);
	char *out = NULL;
	if (!h || h[0] == '*')
		gp_errf(err, errlen, "yescrypt failed: %s", strerror(errno));
	else
		out = gp_xstrdup(h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(setting);
	return out;
}

bool gp_web_verify(const char *hash, const char *password)
{
	if (!hash || strncmp(hash, "$y$", 3) != 0 || !password)
		return false;
	struct crypt_data *cd = gp_xcalloc(1, sizeof(*cd));
	const char *h = crypt_r(password, hash, cd);
	bool ok = h && h[0] != '*' && gp_web_ct_equal(h, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool gp_web_ct_equal(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t la = strlen(a), lb = strlen(b);
	/* Every byte of the longer is looked at, whatever differs first. */
	size_t n = la > lb ? la : lb;
	unsigned char d = (unsigned char)(la != lb);
	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < la ? (unsigned char)a[i] : 0;
		unsigned char y = i < lb ? (unsigned char)b[i] : 0;
		d |= (unsigned char)(x ^ y);
	}
	return d == 0;
}

int gp_web_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	if (nbytes > sizeof(buf))
		return -1;
	size_t got = 0;
	while (got < nbytes) {
		ssize_t r = getrandom(buf + got, nbytes - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* ------------------------------------------------------------------ */
/* The users file                                                      */

void gp_web_users_free(struct gp_web_users *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].hash);
	}
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

const struct gp_web_user *gp_web_users_find(const struct gp_web_users *u, const char *name)
{
	for (size_t i = 0; name && i < u->n; i++)
		if (!strcmp(u->v[i].name, name))
			return &u->v[i];
	return NULL;
}

int gp_web_users_load(const char *path, bool missing_ok, struct gp_web_users *u, char *err,
		      size_t errlen)
{
	u->v = NULL;
	u->n = 0;
	struct stat sb;
	if (stat(path, &sb) != 0 && errno == ENOENT && missing_ok)
		return 0;
	char *why = gp_secret_file_problem(path);
	if (why) {
		gp_errf(err, errlen, "%s", why);
		free(why);
		return -1;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		gp_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		enum gp_web_role role;
		if (c2) {
			*c1 = *c2 = '\0';
		}
		if (!c2 || !gp_web_valid_user(line) || !gp_web_role_parse(c1 + 1, &role) ||
		    strncmp(c2 + 1, "$y$", 3) != 0) {
			gp_errf(err, errlen, "%s:%d: expected name:viewer|operator|manager:$y$hash",
				path, lineno);
			fclose(f);
			gp_web_users_free(u);
			return -1;
		}
		u->v = gp_xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
		u->v[u->n++] = (struct gp_web_user){gp_xstrdup(line), role, gp_xstrdup(c2 + 1)};
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return 0;
}

/* Writes u over path atomically: a temp file beside it (mode 0600),
 * fsync'd, renamed over it. */
static int users_write(const char *path, const struct gp_web_users *u, char *err, size_t errlen)
{
	char *tmp = gp_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		gp_errf(err, errlen, "cannot create '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	for (size_t i = 0; i < u->n; i++)
		fprintf(f, "%s:%s:%s\n", u->v[i].name, gp_web_role_name(u->v[i].role), u->v[i].hash);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		gp_errf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		gp_errf(err, errlen, "cannot replace '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int gp_web_users_set(const char *path, const char *name, enum gp_web_role role,
		     const char *password, char *err, size_t errlen)
{
	if (!gp_web_valid_user(name)) {
		gp_errf(err, errlen, "'%s' is not a user name (1-64 of a-z A-Z 0-9 . _ - @)",
			name ? name : "");
		return -1;
	}
	struct gp_web_users u;
	if (gp_web_users_load(path, true, &u, err, errlen) != 0)
		return -1;
	char *hash = gp_web_hash(password, err, errlen);
	if (!hash) {
		gp_web_users_free(&u);
		return -1;
	}
	struct gp_web_user *found = NULL;
	for (size_t i = 0; i < u.n && !found; i++)
		if (!strcmp(u.v[i].name, name))
			found = &u.v[i];
	if (!found) {
		u.v = gp_xrealloc(u.v, (u.n + 1) * sizeof(*u.v));
		found = &u.v[u.n++];
		*found = (struct gp_web_user){gp_xstrdup(name), role, NULL};
	}
	free(found->hash);
	found->hash = hash;
	found->role = role;
	int rc = users_write(path, &u, err, errlen);
	gp_web_users_free(&u);
	return rc;
}

int gp_web_users_remove(const char *path, const char *name, bool *manager_left, char *err,
			size_t errlen)
{
	struct gp_web_users u;
	if (gp_web_users_load(path, false, &u, err, errlen) != 0)
		return -1;
	size_t k = u.n;
	for (size_t i = 0; i < u.n; i++)
		if (!strcmp(u.v[i].name, name))
			k = i;
	if (k == u.n) {
		gp_errf(err, errlen, "no user '%s' in %s", name ? name : "", path);
		gp_web_users_free(&u);
		return -1;
	}
	free(u.v[k].name);
	free(u.v[k].hash);
	memmove(&u.v[k], &u.v[k + 1], (u.n - k - 1) * sizeof(*u.v));
	u.n--;
	if (manager_left) {
		*manager_left = false;
		for (size_t i = 0; i < u.n; i++)
			*manager_left = *manager_left || u.v[i].role == GP_ROLE_MANAGER;
	}
	int rc = users_write(path, &u, err, errlen);
	gp_web_users_free(&u);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

void gp_web_sessions_init(struct gp_web_sessions *s, size_t cap, int64_t idle_s, int64_t max_s)
{
	*s = (struct gp_web_sessions){.cap = cap ? cap : 1, .idle_s = idle_s, .max_s = max_s};
	s->v = gp_xcalloc(s->cap, sizeof(*s->v));
}

void gp_web_sessions_free(struct gp_web_sessions *s)
{
	if (s->v)
		explicit_bzero(s->v, s->cap * sizeof(*s->v));
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void drop_at(struct gp_web_sessions *s, size_t i)
{
	s->v[i] = s->v[--s->n];
	explicit_bzero(&s->v[s->n], sizeof(s->v[s->n]));
}

static void expire(struct gp_web_sessions *s, int64_t now)
{
	for (size_t i = 0; i < s->n;)
		if (now >= s->v[i].expires || now - s->v[i].last_seen >= s->idle_s)
			drop_at(s, i);
		else
			i++;
}

const struct gp_web_session *gp_web_session_new(struct gp_web_sessions *s, const char *user,
						enum gp_web_role role, int64_t now)
{
	expire(s, now);
	if (s->n == s->cap) {
		size_t oldest = 0;
		for (size_t i = 1; i < s->n; i++)
			if (s->v[i].last_seen < s->v[oldest].last_seen)
				oldest = i;
		drop_at(s, oldest);
	}
	struct gp_web_session *ss = &s->v[s->n];
	memset(ss, 0, sizeof(*ss));
	if (gp_web_random_hex(ss->token, GP_WEB_TOKEN_LEN / 2) != 0 ||
	    gp_web_random_hex(ss->csrf, GP_WEB_TOKEN_LEN / 2) != 0)
		return NULL;
	snprintf(ss->user, sizeof(ss->user), "%s", user);
	ss->role = role;
	ss->created = ss->last_seen = now;
	ss->expires = now + s->max_s;
	s->n++;
	return ss;
}

const struct gp_web_session *gp_web_session_find(struct gp_web_sessions *s, const char *token,
						 int64_t now)
{
	expire(s, now);
	if (!token || strlen(token) != GP_WEB_TOKEN_LEN)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (gp_web_ct_equal(s->v[i].token, token)) {
			s->v[i].last_seen = now;
			return &s->v[i];
		}
	return NULL;
}

void gp_web_session_drop(struct gp_web_sessions *s, const char *token)
{
	for (size_t i = 0; token && i < s->n; i++)
		if (gp_web_ct_equal(s->v[i].token, token)) {
			drop_at(s, i);
			return;
		}
}

bool gp_web_csrf_ok(const struct gp_web_session *ss, const char *given)
{
	return ss && given && gp_web_ct_equal(ss->csrf, given);
}

/* ------------------------------------------------------------------ */
/* Throttling                                                          */

void gp_web_throttle_free(struct gp_web_throttle *t)
{
	free(t->v);
	*t = (struct gp_web_throttle){0};
}

static struct gp_web_throttle_entry *entry(struct gp_web_throttle *t, char kind, const char *v,
					   bool create)
{
	char key[80];
	snprintf(key, sizeof(key), "%c:%s", kind, v ? v : "");
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].key, key))
			return &t->v[i];
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = gp_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	struct gp_web_throttle_entry *e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	return e;
}

/* Forgets entries whose every failure is older than the window. */
static void prune(struct gp_web_throttle *t, int64_t now)
{
	for (size_t i = 0; i < t->n;) {
		struct gp_web_throttle_entry *e = &t->v[i];
		bool live = false;
		for (unsigned k = 0; k < e->n; k++)
			if (now - e->fails[k] < GP_WEB_THROTTLE_WINDOW_S)
				live = true;
		if (!live)
			t->v[i] = t->v[--t->n];
		else
			i++;
	}
}

/* Seconds the entry still blocks, or 0. */
static int64_t blocks(const struct gp_web_throttle_entry *e, int64_t now)
{
	if (!e || e->n < GP_WEB_THROTTLE_FAILS)
		return 0;
	int64_t oldest = e->fails[e->next % GP_WEB_THROTTLE_FAILS];
	int64_t left = oldest + GP_WEB_THROTTLE_WINDOW_S - now;
	return left > 0 ? left : 0;
}

bool gp_web_throttle_blocked(struct gp_web_throttle *t, const char *user, const char *addr,
			     int64_t now, int64_t *retry_after)
{
	prune(t, now);
	int64_t a = blocks(entry(t, 'u', user, false), now);
	int64_t b = blocks(entry(t, 'a', addr, false), now);
	int64_t m = a > b ? a : b;
	if (retry_after)
		*retry_after = m;
	return m > 0;
}

static void fail_one(struct gp_web_throttle_entry *e, int64_t now)
{
	e->fails[e->next] = now;
	e->next = (e->next + 1) % GP_WEB_THROTTLE_FAILS;
	if (e->n < GP_WEB_THROTTLE_FAILS)
		e->n++;
}

void gp_web_throttle_fail(struct gp_web_throttle *t, const char *user, const char *addr,
			  int64_t now)
{
	prune(t, now);
	fail_one(entry(t, 'u', user, true), now);
	fail_one(entry(t, 'a', addr, true), now);
}

void gp_web_throttle_ok(struct gp_web_throttle *t, const char *user)
{
	struct gp_web_throttle_entry *e = entry(t, 'u', user, false);
	if (e)
		*e = t->v[--t->n];
}
