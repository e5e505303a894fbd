/*
 * test_web_auth.c - the web console's auth (probe/web/auth.c): yescrypt
 * hashes, the users file (a user added, updated, removed), sessions and
 * their expiry on an injected clock, the CSRF comparison, login
 * throttling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"

static void test_hash_verify(void **state)
{
	(void)state;
	char err[256];
	char *h = gp_web_hash("correct horse", err, sizeof(err));
	assert_non_null(h);
	assert_memory_equal(h, "$y$", 3);
	assert_true(gp_web_verify(h, "correct horse"));
	assert_false(gp_web_verify(h, "correct hors"));
	assert_false(gp_web_verify(h, ""));
	assert_false(gp_web_verify(NULL, "correct horse"));
	/* Not yescrypt: refused, whatever it is. */
	assert_false(gp_web_verify("plain", "plain"));
	/* Two hashes of one password differ (their salts). */
	char *h2 = gp_web_hash("correct horse", err, sizeof(err));
	assert_string_not_equal(h, h2);
	free(h);
	free(h2);
}

static void test_ct_equal(void **state)
{
	(void)state;
	assert_true(gp_web_ct_equal("abc", "abc"));
	assert_true(gp_web_ct_equal("", ""));
	assert_false(gp_web_ct_equal("abc", "abd"));
	assert_false(gp_web_ct_equal("abc", "ab"));
	assert_false(gp_web_ct_equal("ab", "abc"));
	assert_false(gp_web_ct_equal(NULL, "abc"));
	assert_false(gp_web_ct_equal("abc", NULL));
}

static void test_roles_names(void **state)
{
	(void)state;
	enum gp_web_role r;
	assert_true(gp_web_role_parse("manager", &r));
	assert_int_equal(r, GP_ROLE_MANAGER);
	assert_false(gp_web_role_parse("admin", &r));
	assert_string_equal(gp_web_role_name(GP_ROLE_VIEWER), "viewer");
	assert_true(gp_web_valid_user("noc.duty-1@kz"));
	assert_false(gp_web_valid_user(""));
	assert_false(gp_web_valid_user("a:b"));
	assert_false(gp_web_valid_user("a b"));
}

static void test_users_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/gp_web_auth_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/users", dir);
	char err[256] = "";
	struct gp_web_users u;
	/* Absent: empty when allowed, an error otherwise. */
	assert_int_equal(gp_web_users_load(path, true, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 0);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), -1);
	assert_int_equal(gp_web_users_set(path, "alice", GP_ROLE_OPERATOR, "password1", err,
					  sizeof(err)), 0);
	assert_int_equal(gp_web_users_set(path, "bob", GP_ROLE_VIEWER, "password2", err,
					  sizeof(err)), 0);
	/* An update keeps the others and replaces the hash and the role. */
	assert_int_equal(gp_web_users_set(path, "alice", GP_ROLE_MANAGER, "password3", err,
					  sizeof(err)), 0);
	assert_int_equal(gp_web_users_set(path, "bad:name", GP_ROLE_VIEWER, "x", err,
					  sizeof(err)), -1);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 2);
	const struct gp_web_user *a = gp_web_users_find(&u, "alice");
	assert_non_null(a);
	assert_int_equal(a->role, GP_ROLE_MANAGER);
	assert_true(gp_web_verify(a->hash, "password3"));
	assert_false(gp_web_verify(a->hash, "password1"));
	assert_null(gp_web_users_find(&u, "carol"));
	gp_web_users_free(&u);
	/* A users file others can read is refused. */
	chmod(path, 0644);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), -1);
	assert_int_equal(gp_web_users_set(path, "carol", GP_ROLE_VIEWER, "password4", err,
					  sizeof(err)), -1);
	/* A malformed line is refused, with its line number. */
	FILE *f = fopen(path, "w");
	fputs("# users\nalice:root:$y$x\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
	unlink(path);
	rmdir(dir);
}

static void test_users_remove(void **state)
{
	(void)state;
	char dir[] = "/tmp/gp_web_auth_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/users", dir);
	char err[256] = "";
	bool manager_left = true;
	/* No file: nobody to remove. */
	assert_int_equal(gp_web_users_remove(path, "alice", NULL, err, sizeof(err)), -1);
	assert_int_equal(gp_web_users_set(path, "alice", GP_ROLE_MANAGER, "password1", err,
					  sizeof(err)), 0);
	assert_int_equal(gp_web_users_set(path, "bob", GP_ROLE_OPERATOR, "password2", err,
					  sizeof(err)), 0);
	assert_int_equal(gp_web_users_set(path, "carol", GP_ROLE_VIEWER, "password3", err,
					  sizeof(err)), 0);
	struct gp_web_users u;
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	char bob_hash[256];
	snprintf(bob_hash, sizeof(bob_hash), "%s", gp_web_users_find(&u, "bob")->hash);
	gp_web_users_free(&u);
	/* An unknown user: refused with its name, the file as it was. */
	assert_int_equal(gp_web_users_remove(path, "dave", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'dave'"));
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 3);
	gp_web_users_free(&u);
	/* bob goes; the others stay as they were, in their order, and the file
	 * stays private. */
	assert_int_equal(gp_web_users_remove(path, "bob", &manager_left, err, sizeof(err)), 0);
	assert_true(manager_left);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 2);
	assert_null(gp_web_users_find(&u, "bob"));
	assert_string_equal(u.v[0].name, "alice");
	assert_string_equal(u.v[1].name, "carol");
	assert_true(gp_web_verify(gp_web_users_find(&u, "alice")->hash, "password1"));
	assert_int_equal(gp_web_users_find(&u, "carol")->role, GP_ROLE_VIEWER);
	gp_web_users_free(&u);
	/* Removed twice: the second is refused. */
	assert_int_equal(gp_web_users_remove(path, "bob", NULL, err, sizeof(err)), -1);
	/* Added again, bob has a new hash: the old password's is gone. */
	assert_int_equal(gp_web_users_set(path, "bob", GP_ROLE_OPERATOR, "password4", err,
					  sizeof(err)), 0);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	assert_string_not_equal(gp_web_users_find(&u, "bob")->hash, bob_hash);
	gp_web_users_free(&u);
	/* The last manager may go: said through manager_left. */
	assert_int_equal(gp_web_users_remove(path, "alice", &manager_left, err, sizeof(err)), 0);
	assert_false(manager_left);
	/* A file others can read is refused, not rewritten. */
	chmod(path, 0644);
	assert_int_equal(gp_web_users_remove(path, "carol", NULL, err, sizeof(err)), -1);
	chmod(path, 0600);
	assert_int_equal(gp_web_users_remove(path, "carol", NULL, err, sizeof(err)), 0);
	assert_int_equal(gp_web_users_remove(path, "bob", &manager_left, err, sizeof(err)), 0);
	assert_int_equal(gp_web_users_load(path, false, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 0);
	gp_web_users_free(&u);
	/* No temp file is left beside it. */
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	assert_int_not_equal(access(tmp, F_OK), 0);
	unlink(path);
	rmdir(dir);
}

static void test_sessions_expiry(void **state)
{
	(void)state;
	struct gp_web_sessions s;
	gp_web_sessions_init(&s, 2, 1800, 12 * 3600);
	const struct gp_web_session *a = gp_web_session_new(&s, "alice", GP_ROLE_OPERATOR, 1000);
	assert_non_null(a);
	char ta[GP_WEB_TOKEN_LEN + 1], csrf[GP_WEB_TOKEN_LEN + 1];
	strcpy(ta, a->token);
	strcpy(csrf, a->csrf);
	assert_int_equal(strlen(ta), GP_WEB_TOKEN_LEN);
	assert_string_not_equal(ta, csrf);
	/* Used within the idle time: alive, and its idle clock restarts. */
	const struct gp_web_session *f = gp_web_session_find(&s, ta, 1000 + 1799);
	assert_non_null(f);
	assert_string_equal(f->user, "alice");
	assert_true(gp_web_csrf_ok(f, csrf));
	assert_false(gp_web_csrf_ok(f, ""));
	assert_false(gp_web_csrf_ok(f, NULL));
	assert_false(gp_web_csrf_ok(f, ta));
	assert_non_null(gp_web_session_find(&s, ta, 1000 + 1799 + 1799));
	/* Idle for 30 minutes: gone. */
	assert_null(gp_web_session_find(&s, ta, 1000 + 1799 + 1799 + 1800));
	/* However used, none outlives its maximum age. */
	const struct gp_web_session *b = gp_web_session_new(&s, "bob", GP_ROLE_VIEWER, 10000);
	char tb[GP_WEB_TOKEN_LEN + 1];
	strcpy(tb, b->token);
	int64_t t = 10000;
	for (; t < 10000 + 12 * 3600 - 1000; t += 1000)
		assert_non_null(gp_web_session_find(&s, tb, t));
	assert_null(gp_web_session_find(&s, tb, 10000 + 12 * 3600));
	/* Unknown, short or wrong tokens find nothing; a dropped one neither. */
	assert_null(gp_web_session_find(&s, "abc", t));
	assert_null(gp_web_session_find(&s, NULL, t));
	const struct gp_web_session *c = gp_web_session_new(&s, "carol", GP_ROLE_MANAGER, t);
	char tc[GP_WEB_TOKEN_LEN + 1];
	strcpy(tc, c->token);
	assert_non_null(gp_web_session_find(&s, tc, t));
	gp_web_session_drop(&s, tc);
	assert_null(gp_web_session_find(&s, tc, t));
	/* Past the table's capacity the least recently used goes. */
	const struct gp_web_session *d1 = gp_web_session_new(&s, "d1", GP_ROLE_VIEWER, t + 1);
	char t1[GP_WEB_TOKEN_LEN + 1];
	strcpy(t1, d1->token);
	const struct gp_web_session *d2 = gp_web_session_new(&s, "d2", GP_ROLE_VIEWER, t + 2);
	char t2[GP_WEB_TOKEN_LEN + 1];
	strcpy(t2, d2->token);
	gp_web_session_new(&s, "d3", GP_ROLE_VIEWER, t + 3);
	assert_null(gp_web_session_find(&s, t1, t + 4));
	assert_non_null(gp_web_session_find(&s, t2, t + 4));
	gp_web_sessions_free(&s);
}

static void test_throttle(void **state)
{
	(void)state;
	struct gp_web_throttle t = {0};
	int64_t now = 100000, retry = 0;
	/* Four failures: still allowed. */
	for (int i = 0; i < 4; i++) {
		assert_false(gp_web_throttle_blocked(&t, "alice", "10.0.0.1", now + i, &retry));
		gp_web_throttle_fail(&t, "alice", "10.0.0.1", now + i);
	}
	assert_false(gp_web_throttle_blocked(&t, "alice", "10.0.0.1", now + 10, NULL));
	/* The fifth within 15 minutes: refused, for the user from anywhere and
	 * for the address whoever it names. */
	gp_web_throttle_fail(&t, "alice", "10.0.0.1", now + 600);
	assert_true(gp_web_throttle_blocked(&t, "alice", "10.0.0.1", now + 601, &retry));
	assert_int_equal(retry, 15 * 60 - 601);
	assert_true(gp_web_throttle_blocked(&t, "alice", "10.0.0.9", now + 601, NULL));
	assert_true(gp_web_throttle_blocked(&t, "bob", "10.0.0.1", now + 601, NULL));
	assert_false(gp_web_throttle_blocked(&t, "bob", "10.0.0.9", now + 601, NULL));
	/* Once the oldest failure is 15 minutes old, the next attempt may go. */
	assert_true(gp_web_throttle_blocked(&t, "alice", "10.0.0.1", now + 899, NULL));
	assert_false(gp_web_throttle_blocked(&t, "alice", "10.0.0.1", now + 900, NULL));
	/* Failures spread wider than the window never block. */
	struct gp_web_throttle t2 = {0};
	for (int i = 0; i < 20; i++) {
		assert_false(gp_web_throttle_blocked(&t2, "carol", "10.0.0.2", now + i * 300, NULL));
		gp_web_throttle_fail(&t2, "carol", "10.0.0.2", now + i * 300);
	}
	/* A good login clears the user's failures, not the address's. */
	struct gp_web_throttle t3 = {0};
	for (int i = 0; i < 4; i++)
		gp_web_throttle_fail(&t3, "dave", "10.0.0.3", now);
	gp_web_throttle_ok(&t3, "dave");
	gp_web_throttle_fail(&t3, "dave", "10.0.0.4", now);
	assert_false(gp_web_throttle_blocked(&t3, "dave", "10.0.0.4", now, NULL));
	gp_web_throttle_fail(&t3, "erin", "10.0.0.3", now);
	assert_true(gp_web_throttle_blocked(&t3, "frank", "10.0.0.3", now, NULL));
	gp_web_throttle_free(&t);
	gp_web_throttle_free(&t2);
	gp_web_throttle_free(&t3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),   cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_roles_names),   cmocka_unit_test(test_users_file),
		cmocka_unit_test(test_users_remove),
		cmocka_unit_test(test_sessions_expiry), cmocka_unit_test(test_throttle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
