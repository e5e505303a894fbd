/*
 * cli_web.c - `gprobe web`, the NOC web console in the foreground (the
 * server is probe/web/), `gprobe web passwd USER --role ROLE`, which
 * sets a user's password (read on standard input) and role in
 * web.users_file, and `gprobe web passwd USER --remove`, which takes the
 * user out of it.
 */
#include "cli.h"
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int usage(FILE *out)
{
	fprintf(out,
		"usage: gprobe [-c FILE] web\n"
		"       gprobe [-c FILE] web passwd USER --role viewer|operator|manager\n"
		"       gprobe [-c FILE] web passwd USER --remove\n\n"
		"`web` serves the NOC console on web.listen (HTTPS with web.tls_cert and\n"
		"web.tls_key; plain HTTP only on a loopback address) in the foreground,\n"
		"until SIGTERM or SIGINT. `web passwd` reads USER's password (8 characters\n"
		"or more) on standard input and writes it, yescrypt-hashed, with the role\n"
		"into web.users_file (mode 0600, replaced atomically). A viewer sees;\n"
		"an operator also acknowledges, notes and resolves; a manager also\n"
		"attributes and voids incidents and enters maintenance windows and\n"
		"ledger entries (/manage). `--remove` takes USER out of the file (replaced\n"
		"the same way); the last manager may be removed, which is said. A\n"
		"running console refuses the user's login and ends its open sessions\n"
		"at their next request (a new role ends the old role's sessions too).\n");
	return out == stdout ? 0 : 1;
}

/* One line of stdin, without echo on a terminal; NULL at EOF. */
static char *read_password(void)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, noecho;
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		fprintf(stderr, "password: ");
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	} else {
		tty = false;
	}
	char buf[1024];
	char *got = fgets(buf, sizeof(buf), stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	char *out = NULL;
	if (got) {
		buf[strcspn(buf, "\r\n")] = '\0';
		out = gp_xstrdup(buf);
	}
	explicit_bzero(buf, sizeof(buf));
	return out;
}

/* web passwd USER --remove: the user out of the file (no password read). */
static int cmd_remove(struct gp_cli *cli, const char *user)
{
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	int rc = 1;
	char err[512];
	bool manager_left = true;
	if (!cfg->web.set) {
		fprintf(stderr, "gprobe web passwd: the config has no web: block (web.users_file)\n");
	} else if (gp_web_users_remove(cfg->web.users_file, user, &manager_left, err,
				       sizeof(err)) != 0) {
		fprintf(stderr, "gprobe web passwd: %s\n", err);
	} else {
		printf("%s: removed from %s\n", user, cfg->web.users_file);
		if (!manager_left)
			fprintf(stderr, "gprobe web passwd: no manager is left in %s: nobody can "
					"void incidents or enter maintenance and ledger entries in "
					"the console (add one with `gprobe web passwd USER --role "
					"manager`)\n", cfg->web.users_file);
		rc = 0;
	}
	gp_config_free(cfg);
	return rc;
}

static int cmd_passwd(struct gp_cli *cli, int argc, char **argv)
{
	const char *user = argc > 2 ? argv[2] : NULL;
	const char *role_s = gp_cli_flag(argc, argv, "--role");
	bool remove = gp_cli_has(argc, argv, "--remove");
	enum gp_web_role role;
	if (!user || user[0] == '-' || (!role_s && !remove))
		return usage(stderr);
	if (remove && role_s) {
		fprintf(stderr, "gprobe web passwd: --remove or --role, not both\n");
		return 1;
	}
	if (remove)
		return cmd_remove(cli, user);
	if (!gp_web_role_parse(role_s, &role)) {
		fprintf(stderr, "gprobe web passwd: --role '%s': expected viewer, operator or manager\n",
			role_s);
		return 1;
	}
	if (!gp_web_valid_user(user)) {
		fprintf(stderr, "gprobe web passwd: '%s' is not a user name (1-64 of a-z A-Z 0-9 . _ - @)\n",
			user);
		return 1;
	}
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	int rc = 1;
	if (!cfg->web.set) {
		fprintf(stderr, "gprobe web passwd: the config has no web: block (web.users_file)\n");
		goto out;
	}
	char *pw = read_password();
	if (!pw || strlen(pw) < 8) {
		fprintf(stderr, "gprobe web passwd: expected a password of 8 characters or more on "
			"standard input\n");
	} else {
		char err[512];
		if (gp_web_users_set(cfg->web.users_file, user, role, pw, err, sizeof(err)) != 0) {
			fprintf(stderr, "gprobe web passwd: %s\n", err);
		} else {
			printf("%s: %s in %s\n", user, gp_web_role_name(role), cfg->web.users_file);
			rc = 0;
		}
	}
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
out:
	gp_config_free(cfg);
	return rc;
}

int gp_cmd_web(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv))
		return usage(stdout);
	if (argc > 1 && !strcmp(argv[1], "passwd"))
		return cmd_passwd(cli, argc, argv);
	if (argc > 1)
		return usage(stderr);
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	if (!cfg->web.set) {
		fprintf(stderr, "gprobe web: the config has no web: block\n");
		gp_config_free(cfg);
		return 1;
	}
	struct gp_web_users users;
	char err[512];
	if (gp_web_users_load(cfg->web.users_file, false, &users, err, sizeof(err)) != 0 ||
	    users.n == 0) {
		fprintf(stderr, "gprobe web: web.users_file: %s (add a user with `gprobe web passwd "
			"USER --role ROLE`)\n", users.n == 0 && !err[0] ? "no user" : err);
		gp_web_users_free(&users);
		gp_config_free(cfg);
		return 1;
	}
	gp_web_users_free(&users);
	struct gp_webd w = {.cli = cli, .cfg = cfg};
	w.dummy_hash = gp_web_hash("not a password", err, sizeof(err));
	if (!w.dummy_hash) {
		fprintf(stderr, "gprobe web: %s\n", err);
		gp_config_free(cfg);
		return 1;
	}
	gp_web_sessions_init(&w.sessions, 1024, 30 * 60, 12 * 3600);
	pthread_mutex_init(&w.lock, NULL);
	int rc = gp_web_serve(&w);
	pthread_mutex_destroy(&w.lock);
	gp_web_sessions_free(&w.sessions);
	gp_web_throttle_free(&w.throttle);
	free(w.dummy_hash);
	gp_config_free(cfg);
	return rc;
}
