/*
 * graph.c - a check's values drawn from its RRD file (see graph.h).
 */
#include "graph.h"
#include "rrdstore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <rrd.h>
#include <stdio.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct args {
	char **v;
	int n, cap;
};

static void arg(struct args *a, char *s)
{
	if (a->n + 1 >= a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = gp_xrealloc(a->v, (size_t)a->cap * sizeof(char *));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* The outages to shade: a CDEF that is INF inside any of them. */
struct shade {
	char *expr; /* RPN terms so far */
	int n;
	int64_t from, to;
};

static void add_outage(void *ctx, const struct gp_outage_row *o)
{
	struct shade *sh = ctx;
	int64_t start = o->start, end = o->end ? o->end : sh->to;
	char *term = gp_xasprintf("TIME,%lld,GE,TIME,%lld,LT,*", (long long)start, (long long)end);
	char *next = sh->expr ? gp_xasprintf("%s,%s,+", sh->expr, term) : gp_xstrdup(term);
	free(term);
	free(sh->expr);
	sh->expr = next;
	sh->n++;
}

struct member_find {
	const char *target;
	bool found;
};

static void is_member(const struct gp_expr *name, void *ctx)
{
	struct member_find *m = ctx;
	m->found |= strcmp(name->name, m->target) == 0;
}

static void threshold_lines(struct args *a, const struct gp_range *r, const char *colour,
			    const char *label)
{
	if (!r->set)
		return;
	bool first = true;
	if (!r->start_inf) {
		arg(a, gp_xasprintf("HRULE:%.12g%s:%s %.12g", r->start, colour, label, r->start));
		first = false;
	}
	if (!r->end_inf)
		arg(a, gp_xasprintf("HRULE:%.12g%s%s%s %.12g", r->end, colour, first ? ":" : "",
				    first ? label : "", r->end));
}

/* The threads of this process (its entries in /proc/self/task); -1 when
 * they cannot be counted. */
static int process_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* librrd draws the time axis with localtime(): it takes no zone but the
 * process's, so the calendar's is put in TZ for the drawing and the old
 * value back after. That is gprobe's one setenv after start, and setenv
 * races every getenv of another thread (libcurl's in the alert sender):
 * it is done only while this thread is the process's only one. `gprobe
 * graph` and `gprobe report --html` start no thread, and the daemon never
 * draws (its times go through gp_tz, util.h). */
struct axis_zone {
	bool changed;
	char *old; /* NULL: TZ was unset */
};

static int axis_zone_set(struct axis_zone *s, const char *tz, char *err, size_t errlen)
{
	*s = (struct axis_zone){0};
	const char *have = getenv("TZ");
	if (have && strcmp(have, tz) == 0)
		return 0;
	if (process_threads() != 1)
		return gp_errf(err, errlen,
			       "cannot draw: the time axis is in the process's TZ, and other threads "
			       "of this process could read it while it is set");
	s->old = have ? gp_xstrdup(have) : NULL;
	if (setenv("TZ", tz, 1) != 0) {
		free(s->old);
		return gp_errf(err, errlen, "cannot set TZ=%s: %s", tz, strerror(errno));
	}
	s->changed = true;
	tzset();
	return 0;
}

static void axis_zone_restore(struct axis_zone *s)
{
	if (!s->changed)
		return;
	if (s->old)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(s->old);
}

int gp_graph_draw(const struct gp_config *cfg, struct gp_store *st, const char *target,
		  const char *check, int64_t from, int64_t to, const char *out, int *n_shaded,
		  char *err, size_t errlen)
{
	const struct gp_target *t = gp_config_target(cfg, target);
	const struct gp_check *c = t ? gp_target_check(t, check) : NULL;
	if (!c) {
		snprintf(err, errlen, "no check '%s' of target '%s' in %s", check, target, cfg->file);
		return -1;
	}
	char *path = gp_rrd_path(cfg->probe.data_dir, target, check);
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen,
			 "no values yet: %s does not exist (has the daemon run this check, and "
			 "does it give a number?)",
			 path);
		free(path);
		return -1;
	}
	struct shade sh = {.from = from, .to = to};
	for (size_t i = 0; st && i < cfg->n_services; i++) {
		struct member_find m = {target, false};
		if (cfg->services[i].expr)
			gp_expr_foreach_name(cfg->services[i].expr, is_member, &m);
		if (m.found)
			gp_store_outage_list(st, cfg->services[i].name, from, to, add_outage, &sh);
	}

	struct args a = {0};
	arg(&a, gp_xstrdup("graph"));
	arg(&a, gp_xstrdup(out));
	arg(&a, gp_xasprintf("--start=%lld", (long long)from));
	arg(&a, gp_xasprintf("--end=%lld", (long long)to));
	arg(&a, gp_xasprintf("--title=%s / %s (%s %s)", target, check, c->kind,
			     c->arg));
	arg(&a, gp_xstrdup("--width=900"));
	arg(&a, gp_xstrdup("--height=260"));
	arg(&a, gp_xstrdup("--imgformat=PNG"));
	arg(&a, gp_xstrdup("--units-exponent=0")); /* 0.25, not "250 m" */
	if (c->uom)
		arg(&a, gp_xasprintf("--vertical-label=%s", c->uom));
	if (cfg->probe.rrdcached)
		arg(&a, gp_xasprintf("--daemon=%s", cfg->probe.rrdcached));
	arg(&a, gp_xasprintf("DEF:v=%s:value:AVERAGE", path));
	if (sh.expr) {
		arg(&a, gp_xasprintf("CDEF:out=v,POP,%s,0,GT,INF,UNKN,IF", sh.expr));
		arg(&a, gp_xasprintf("AREA:out#ff000030:outage (%d)", sh.n));
	}
	arg(&a, gp_xstrdup("LINE1:v#1f4e9a:value"));
	threshold_lines(&a, &c->warning, "#ff9900", "warning");
	threshold_lines(&a, &c->critical, "#dd0000", "critical");

	struct axis_zone zone;
	int rc = axis_zone_set(&zone, cfg->calendar.timezone ? cfg->calendar.timezone : "UTC", err,
			       errlen);
	if (rc == 0) {
		rrd_clear_error();
#ifdef __SANITIZE_ADDRESS__
		/* librrd's graphing keeps fontconfig and pango caches, and a
		 * few strings of its own, until exit: not ours to free, and a
		 * one-shot command. Only what this call allocates is exempt
		 * from LeakSanitizer. */
		__lsan_disable();
#endif
		rrd_info_t *info = rrd_graph_v(a.n, a.v);
#ifdef __SANITIZE_ADDRESS__
		__lsan_enable();
#endif
		axis_zone_restore(&zone);
		if (!info) {
			snprintf(err, errlen, "%s", rrd_get_error());
			rc = -1;
		}
		rrd_info_free(info);
	}
	if (n_shaded)
		*n_shaded = sh.n;
	for (int i = 0; i < a.n; i++)
		free(a.v[i]);
	free(a.v);
	free(sh.expr);
	free(path);
	return rc;
}

char *gp_graph_outage(const struct gp_config *cfg, struct gp_store *st,
		      const struct gp_incident *inc, int64_t now, char *caption, size_t caplen,
		      char *err, size_t errlen)
{
	err[0] = '\0';
	if (!inc->members || !*inc->members || inc->outage_start <= 0)
		return NULL;
	char *first = gp_xstrdup(inc->members);
	first[strcspn(first, ",")] = '\0';
	const struct gp_target *t = gp_config_target(cfg, first);
	free(first);
	int64_t end = inc->restored_at > 0 ? inc->restored_at : now;
	int64_t from = inc->outage_start - 1800, to = end + 1800 < now ? end + 1800 : now;
	const char *tmpdir = getenv("TMPDIR");
	char *png = gp_xasprintf("%s/gprobe-report-XXXXXX.png", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemps(png, 4);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", png, strerror(errno));
		free(png);
		return NULL;
	}
	close(fd);
	for (size_t i = 0; t && i < t->n_checks; i++) {
		if (t->checks[i].availability &&
		    gp_graph_draw(cfg, st, t->name, t->checks[i].name, from, to, png, NULL, err,
				  errlen) == 0) {
			snprintf(caption, caplen, "%s / %s", t->name, t->checks[i].name);
			return png;
		}
	}
	unlink(png);
	free(png);
	return NULL;
}
