/*
 * testdb.h - what the database-backed unit tests share: a config from
 * tests/configs and a fresh database in a temporary directory, removed
 * afterwards.
 */
#ifndef GP_TESTDB_H
#define GP_TESTDB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "calendar.h"
#include "config.h"
#include "testconfig.h"
#include "store.h"
#include "util.h"

/* dir: at least 64 bytes; name tells the tests' directories apart. */
static inline void testdb_open(const char *config, const char *name, char *dir,
			       struct gp_config **cfg, struct gp_store **st)
{
	snprintf(dir, 64, "/tmp/gprobe-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
	struct gp_errlist el = {0};
	*cfg = test_config_load(config, NULL, &el);
	if (!*cfg)
		gp_errlist_print(&el, stderr);
	gp_errlist_free(&el);
	assert_non_null(*cfg);
	char err[256];
	*st = gp_store_open_dir(dir, true, err, sizeof(err));
	assert_non_null(*st);
}

/* An ISO 8601 time in the config's calendar zone. */
static inline int64_t testdb_time(const struct gp_config *cfg, const char *iso)
{
	int64_t t;
	const char *why;
	assert_true(gp_cal_parse_time(&cfg->calendar, iso, &t, &why));
	return t;
}

static inline void testdb_close(const char *dir, struct gp_config *cfg, struct gp_store *st)
{
	gp_store_close(st);
	gp_config_free(cfg);
	char *cmd = gp_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

#endif
