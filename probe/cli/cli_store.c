/*
 * cli_store.c - `gprobe store migrate --from URI --to URI`: a running
 * installation's history (incidents and their timelines, the ledger, the
 * outbox, the states) into another store, checked after the copy
 * (store/copy.c). URIs: sqlite:PATH (the data directory, or its
 * gprobe.db) and postgresql://... (no password in it: --password-file,
 * the config's probe.store_password_file when its probe.store is that
 * URI, or libpq's PGPASSFILE).
 */
#include "cli.h"
#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

/* A store's where from its URI; dir: storage for a sqlite path's
 * directory. NULL with the reason in err. */
static bool where_of(const char *uri, const char *password_file, struct gp_store_where *w,
		     char *dir, size_t dirlen, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!strncmp(uri, "sqlite:", 7)) {
		const char *path = uri + 7;
		struct stat sb;
		size_t n = strlen(path);
		/* The data directory, or its gprobe.db. */
		if (n > 10 && !strcmp(path + n - 10, "/gprobe.db"))
			n -= 10;
		if (!*path || n >= dirlen) {
			snprintf(err, errlen, "'%s': sqlite:PATH, PATH the data directory", uri);
			return false;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "'%s': no such directory", dir);
			return false;
		}
		w->store = "sqlite";
		w->data_dir = dir;
		return true;
	}
	if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11)) {
		w->store = uri;
		w->data_dir = ".";
		w->password_file = password_file;
		return true;
	}
	snprintf(err, errlen, "'%s': a store is sqlite:PATH or postgresql://...", uri);
	return false;
}

static int usage(FILE *out)
{
	fprintf(out,
		"usage: gprobe store migrate --from URI --to URI [--password-file FILE]\n\n"
		"Copies a store's whole history (states, ledger periods, outages, events,\n"
		"incidents and their timelines, maintenance and manual entries, the alert\n"
		"outbox) into an empty store, ids and all, then checks the copy: each\n"
		"table's rows and the ledger's seconds per service, month and state equal.\n"
		"The source is read as one snapshot: the daemon may run meanwhile; what it\n"
		"writes after the snapshot is not copied (stop it for the final copy).\n\n"
		"  URI  sqlite:PATH (the data directory or its gprobe.db), or\n"
		"       postgresql://USER@HOST[:PORT]/DB[?sslmode=...] (no password in it)\n"
		"  --password-file FILE  the postgresql side's password (mode 0600); else\n"
		"       the config's probe.store_password_file when its probe.store is that\n"
		"       URI, else libpq's PGPASSFILE\n");
	return out == stdout ? 0 : 1;
}

int gp_cmd_store(struct gp_cli *cli, int argc, char **argv)
{
	if (argc < 2 || gp_cli_want_help(argc, argv))
		return usage(argc < 2 ? stderr : stdout);
	if (strcmp(argv[1], "migrate") != 0) {
		fprintf(stderr, "gprobe store: unknown subcommand '%s'\n", argv[1]);
		return usage(stderr);
	}
	const char *from = NULL, *to = NULL, *pwfile = NULL;
	for (int i = 2; i < argc; i++) {
		const char **slot = !strcmp(argv[i], "--from")		? &from
				    : !strcmp(argv[i], "--to")		? &to
				    : !strcmp(argv[i], "--password-file") ? &pwfile
									: NULL;
		if (!slot || i + 1 == argc) {
			fprintf(stderr, "gprobe store migrate: %s '%s'\n",
				slot ? "a value is missing after" : "unknown argument", argv[i]);
			return usage(stderr);
		}
		*slot = argv[++i];
	}
	if (!from || !to) {
		fprintf(stderr, "gprobe store migrate: --from and --to are both needed\n");
		return 1;
	}
	/* The config's password file, for its own store only. */
	struct gp_config *cfg = pwfile ? NULL : gp_cli_load_config_quiet(cli);
	if (cfg && cfg->probe.store && cfg->probe.store_password_file &&
	    (!strcmp(cfg->probe.store, from) || !strcmp(cfg->probe.store, to)))
		pwfile = cfg->probe.store_password_file;
	char err[512], d1[4096], d2[4096];
	struct gp_store_where wf, wt;
	int rc = 1;
	struct gp_store *src = NULL, *dst = NULL;
	if (!where_of(from, pwfile, &wf, d1, sizeof(d1), err, sizeof(err)) ||
	    !where_of(to, pwfile, &wt, d2, sizeof(d2), err, sizeof(err))) {
		fprintf(stderr, "gprobe store migrate: %s\n", err);
		goto out;
	}
	if (!(src = gp_store_open(&wf, false, err, sizeof(err)))) {
		fprintf(stderr, "gprobe store migrate: the source: %s\n", err);
		goto out;
	}
	if (!(dst = gp_store_open(&wt, true, err, sizeof(err)))) {
		fprintf(stderr, "gprobe store migrate: the destination: %s\n", err);
		goto out;
	}
	printf("from %s (%s, schema %d) to %s (%s, schema %d)\n", from, gp_store_backend_name(src),
	       gp_store_schema_version(src), to, gp_store_backend_name(dst),
	       gp_store_schema_version(dst));
	if (gp_store_copy(src, dst, print_line, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "gprobe store migrate: %s\n", err);
		goto out;
	}
	printf("done: point probe.store at %s\n", to);
	rc = 0;
out:
	gp_store_close(src);
	gp_store_close(dst);
	gp_config_free(cfg);
	return rc;
}
