/*
 * rrdstore.c - check values in RRD files (see rrdstore.h).
 *
 * The probe remembers, per file, its data sources and last update time, so
 * an update is one write (or one line to rrdcached) and never a read.
 */
#include "rrdstore.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DS_NAME_MAX 19 /* RRD's limit */
#define MAX_DS (GP_MAX_METRICS + 1)

struct rrd_file {
	char *path;
	int64_t last;
	size_t n_ds;
	char ds[MAX_DS][DS_NAME_MAX + 1];
};

struct gp_rrd {
	char *dir; /* DATA_DIR/rrd */
	char *daemon;
	bool connected;
	int64_t next_connect; /* no reconnection storm when rrdcached is gone */
	struct rrd_file *files; /* open addressing on the path */
	size_t n_files, cap_files;
	struct gp_rrd_stats stats;
};

char *gp_rrd_path(const char *data_dir, const char *target, const char *check)
{
	return gp_xasprintf("%s/rrd/%s/%s.rrd", data_dir, target, check);
}

static int mkdir_if_missing(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct gp_rrd *gp_rrd_open(const char *data_dir, const char *rrdcached, char *err, size_t errlen)
{
	char *dir = gp_xasprintf("%s/rrd", data_dir);
	if (mkdir_if_missing(dir, err, errlen) != 0) {
		free(dir);
		return NULL;
	}
	struct gp_rrd *r = gp_xcalloc(1, sizeof(*r));
	r->dir = dir;
	r->daemon = rrdcached ? gp_xstrdup(rrdcached) : NULL;
	return r;
}

void gp_rrd_close(struct gp_rrd *r)
{
	if (!r)
		return;
	if (r->connected)
		rrdc_disconnect();
	for (size_t i = 0; i < r->cap_files; i++)
		free(r->files[i].path);
	free(r->files);
	free(r->daemon);
	free(r->dir);
	free(r);
}

void gp_rrd_get_stats(const struct gp_rrd *r, struct gp_rrd_stats *out)
{
	*out = r->stats;
}

/* ------------------------------------------------------------------ */
/* The per-file memory                                                 */

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct rrd_file *file_slot(struct gp_rrd *r, const char *path)
{
	if ((r->n_files + 1) * 2 > r->cap_files) {
		size_t cap = r->cap_files ? r->cap_files * 2 : 64;
		struct rrd_file *old = r->files;
		size_t old_cap = r->cap_files;
		r->files = gp_xcalloc(cap, sizeof(*r->files));
		r->cap_files = cap;
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i].path)
				continue;
			size_t j = hash(old[i].path) & (cap - 1);
			while (r->files[j].path)
				j = (j + 1) & (cap - 1);
			r->files[j] = old[i];
		}
		free(old);
	}
	size_t j = hash(path) & (r->cap_files - 1);
	while (r->files[j].path && strcmp(r->files[j].path, path) != 0)
		j = (j + 1) & (r->cap_files - 1);
	if (!r->files[j].path) {
		r->files[j].path = gp_xstrdup(path);
		r->files[j].last = -1; /* not looked at yet */
		r->n_files++;
	}
	return &r->files[j];
}

static void ds_name(const char *metric, char *out)
{
	size_t n = 0;
	for (; metric[n] && n < DS_NAME_MAX; n++) {
		char ch = metric[n];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_';
		out[n] = ok ? ch : '_';
	}
	out[n] = '\0';
}

static const char *rrd_error(void)
{
	const char *e = rrd_get_error();
	return e && *e ? e : "unknown librrd error";
}

/* What an existing file holds: its data sources and last update. */
static int file_read(struct rrd_file *f, char *err, size_t errlen)
{
	time_t last = 0;
	unsigned long n = 0;
	char **names = NULL, **values = NULL;
	rrd_clear_error();
	if (rrd_lastupdate_r(f->path, &last, &n, &names, &values) != 0) {
		snprintf(err, errlen, "%s: %s", f->path, rrd_error());
		return -1;
	}
	f->n_ds = 0;
	for (unsigned long i = 0; i < n; i++) {
		if (f->n_ds < MAX_DS)
			snprintf(f->ds[f->n_ds++], DS_NAME_MAX + 1, "%s", names[i]);
		free(names[i]);
		free(values[i]);
	}
	free(names);
	free(values);
	f->last = (int64_t)last;
	return 0;
}

/* Archives: (resolution in seconds, how long) for AVERAGE, MIN and MAX;
 * every sample is kept first. */
static const struct {
	long resolution, keep;
} archives[] = {
	{60, 14L * 86400},
	{300, 90L * 86400},
	{3600, 2L * 366 * 86400},
};

static int file_create(struct gp_rrd *r, struct rrd_file *f, const char *target,
		       const struct gp_check *c, int64_t at, const struct gp_rrd_value *metrics,
		       size_t n_metrics, char *err, size_t errlen)
{
	char *tdir = gp_xasprintf("%s/%s", r->dir, target);
	int rc = mkdir_if_missing(tdir, err, errlen);
	free(tdir);
	if (rc != 0)
		return -1;
	long step = (long)(c->interval_ms / 1000);
	if (step < 1)
		step = 1;
	long heartbeat = 3 * step; /* a missed poll and a retry are not a gap */

	f->n_ds = 0;
	snprintf(f->ds[f->n_ds++], DS_NAME_MAX + 1, "value");
	for (size_t i = 0; i < n_metrics && f->n_ds < MAX_DS; i++) {
		char name[DS_NAME_MAX + 1];
		ds_name(metrics[i].name, name);
		bool dup = false;
		for (size_t j = 0; j < f->n_ds; j++)
			dup |= strcmp(f->ds[j], name) == 0;
		if (!dup && name[0])
			memcpy(f->ds[f->n_ds++], name, sizeof(name));
	}

	char *argv[MAX_DS + 1 + 3 * GP_ARRAY_LEN(archives)];
	int argc = 0;
	for (size_t i = 0; i < f->n_ds; i++)
		argv[argc++] = gp_xasprintf("DS:%s:GAUGE:%ld:U:U", f->ds[i], heartbeat);
	argv[argc++] = gp_xasprintf("RRA:AVERAGE:0.5:1:%ld", 2L * 86400 / step);
	static const char *const cfs[] = {"AVERAGE", "MIN", "MAX"};
	for (size_t a = 0; a < GP_ARRAY_LEN(archives); a++) {
		long steps = archives[a].resolution / step;
		if (steps < 1)
			steps = 1;
		long rows = archives[a].keep / (steps * step);
		for (size_t k = 0; k < GP_ARRAY_LEN(cfs); k++)
			argv[argc++] = gp_xasprintf("RRA:%s:0.5:%ld:%ld", cfs[k], steps, rows);
	}
	rrd_clear_error();
	/* no_overwrite: another writer's file is kept, never truncated. */
	rc = rrd_create_r2(f->path, (unsigned long)step, (time_t)(at - 1), 1, NULL, NULL, argc,
			   (const char **)argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	if (rc != 0) {
		snprintf(err, errlen, "cannot create %s: %s", f->path, rrd_error());
		return -1;
	}
	r->stats.created++;
	f->last = at - 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Updates                                                             */

static int daemon_update(struct gp_rrd *r, const char *path, const char *line, char *err,
			 size_t errlen)
{
	/* librrd 1.7's client keeps one connection of its own (its
	 * rrd_client_* calls are not exported). */
	int64_t now = (int64_t)time(NULL);
	if (!rrdc_is_connected(r->daemon)) {
		if (now < r->next_connect) {
			snprintf(err, errlen, "rrdcached at %s unreachable; sample dropped", r->daemon);
			return -1;
		}
		rrd_clear_error();
		if (rrdc_connect(r->daemon) != 0) {
			r->next_connect = now + 10;
			snprintf(err, errlen, "cannot connect to rrdcached at %s: %s", r->daemon,
				 rrd_error());
			return -1;
		}
		r->connected = true;
	}
	const char *values[1] = {line};
	rrd_clear_error();
	if (rrdc_update(path, 1, values) != 0) {
		snprintf(err, errlen, "rrdcached update of %s: %s", path, rrd_error());
		return -1;
	}
	return 0;
}

static void format_value(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, ":%.12g", v);
	else
		snprintf(buf, len, ":U");
}

int gp_rrd_update(struct gp_rrd *r, const char *target, const struct gp_check *c, int64_t at,
		  double value, const struct gp_rrd_value *metrics, size_t n_metrics, char *err,
		  size_t errlen)
{
	char *path = gp_xasprintf("%s/%s/%s.rrd", r->dir, target, c->name);
	struct rrd_file *f = file_slot(r, path);
	free(path);

	int rc = 0;
	if (f->last < 0) {
		if (access(f->path, F_OK) == 0)
			rc = file_read(f, err, errlen);
		else
			rc = file_create(r, f, target, c, at, metrics, n_metrics, err, errlen);
		if (rc != 0) {
			f->last = -1; /* look again next time */
			r->stats.failures++;
			return -1;
		}
	}
	if (at <= f->last) {
		r->stats.skipped++;
		return 0;
	}

	char line[64 + MAX_DS * 24];
	size_t used = (size_t)snprintf(line, sizeof(line), "%lld", (long long)at);
	for (size_t i = 0; i < f->n_ds; i++) {
		double v = NAN;
		if (strcmp(f->ds[i], "value") == 0) {
			v = value;
		} else {
			for (size_t j = 0; j < n_metrics; j++) {
				char name[DS_NAME_MAX + 1];
				ds_name(metrics[j].name, name);
				if (strcmp(name, f->ds[i]) == 0)
					v = metrics[j].value;
			}
		}
		format_value(line + used, sizeof(line) - used, v);
		used += strlen(line + used);
	}

	if (r->daemon) {
		rc = daemon_update(r, f->path, line, err, errlen);
	} else {
		const char *argv[1] = {line};
		rrd_clear_error();
		rc = rrd_update_r(f->path, NULL, 1, argv);
		if (rc != 0)
			snprintf(err, errlen, "update of %s: %s", f->path, rrd_error());
	}
	if (rc != 0) {
		r->stats.failures++;
		/* Directly, the file may have been replaced or removed: read
		 * it again. Through rrdcached the file lags the cache, so the
		 * sample is dropped and the next one tried. */
		f->last = r->daemon ? at : -1;
		return -1;
	}
	f->last = at;
	r->stats.updates++;
	return 0;
}
