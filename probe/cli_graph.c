/*
 * cli_graph.c - `gprobe graph TARGET CHECK [--from -24h] [--to now] -o FILE.png`:
 * a check's values from its RRD file, with its warning and critical
 * thresholds as lines and the outages of the services the target belongs
 * to shaded, so a dispute over a month can be settled with a picture.
 */
#include "cli.h"
#include "rrdstore.h"
#include "util.h"

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

static void add_outage(void *ctx, int64_t start, int64_t end, const char *members)
{
	(void)members;
	struct shade *sh = ctx;
	if (end == 0)
		end = sh->to;
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

static int usage(FILE *out)
{
	fprintf(out, "usage: gprobe [-c FILE] graph TARGET CHECK [--from TIME] [--to TIME] "
		     "-o FILE.png\n\n"
		     "Draws a check's values from DATA_DIR/rrd/TARGET/CHECK.rrd with its warning\n"
		     "(orange) and critical (red) thresholds, and shades the outages of the\n"
		     "services TARGET belongs to. TIME is rrdtool's: -24h (default), -7d,\n"
		     "now, or UTC epoch seconds. Times on the axis are in calendar.timezone.\n");
	return out == stdout ? 0 : 1;
}

int gp_cmd_graph(struct gp_cli *cli, int argc, char **argv)
{
	const char *target = NULL, *check = NULL, *out = NULL, *from = "-24h", *to = "now";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i];
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i];
		else if (argv[i][0] == '-')
			return usage(stderr);
		else if (!target)
			target = argv[i];
		else if (!check)
			check = argv[i];
		else
			return usage(stderr);
	}
	if (!target || !check || !out)
		return usage(stderr);

	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	int rc = 1;
	const struct gp_target *t = gp_config_target(cfg, target);
	const struct gp_check *c = t ? gp_target_check(t, check) : NULL;
	char *path = gp_rrd_path(cfg->probe.data_dir, target, check);
	struct args a = {0};
	struct shade sh = {0};
	struct gp_store *st = NULL;
	if (!c) {
		fprintf(stderr, "gprobe graph: no check '%s' of target '%s' in %s\n", check, target,
			cli->config_path);
		goto done;
	}
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "gprobe graph: no values yet: %s does not exist (has the daemon run "
				"this check, and does it give a number?)\n",
			path);
		goto done;
	}

	rrd_time_value_t tv_from, tv_to;
	time_t start, end;
	char *perr = rrd_parsetime(from, &tv_from);
	if (!perr)
		perr = rrd_parsetime(to, &tv_to);
	if (perr || rrd_proc_start_end(&tv_from, &tv_to, &start, &end) != 0) {
		fprintf(stderr, "gprobe graph: bad time: %s\n", perr ? perr : rrd_get_error());
		goto done;
	}
	sh.from = (int64_t)start;
	sh.to = (int64_t)end;
	char err[256];
	st = gp_store_open(cfg->probe.data_dir, false, err, sizeof(err));
	for (size_t i = 0; st && i < cfg->n_services; i++) {
		struct member_find m = {target, false};
		if (cfg->services[i].expr)
			gp_expr_foreach_name(cfg->services[i].expr, is_member, &m);
		if (m.found)
			gp_store_list_outages(st, cfg->services[i].name, sh.from, sh.to, add_outage, &sh);
	}

	setenv("TZ", cfg->calendar.timezone, 1);
	tzset();
	arg(&a, gp_xstrdup("graph"));
	arg(&a, gp_xstrdup(out));
	arg(&a, gp_xasprintf("--start=%lld", (long long)start));
	arg(&a, gp_xasprintf("--end=%lld", (long long)end));
	arg(&a, gp_xasprintf("--title=%s / %s (%s %s)", target, check, gp_check_kind_name(c->kind),
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

	rrd_clear_error();
#ifdef __SANITIZE_ADDRESS__
	/* librrd's graphing keeps fontconfig and pango caches, and a few
	 * strings of its own, until exit: not ours to free, and a one-shot
	 * command. Only what this call allocates is exempt from LeakSanitizer. */
	__lsan_disable();
#endif
	rrd_info_t *info = rrd_graph_v(a.n, a.v);
#ifdef __SANITIZE_ADDRESS__
	__lsan_enable();
#endif
	if (!info) {
		fprintf(stderr, "gprobe graph: %s\n", rrd_get_error());
		goto done;
	}
	rrd_info_free(info);
	printf("%s: %s / %s, %d outage%s shaded\n", out, target, check, sh.n, sh.n == 1 ? "" : "s");
	rc = 0;
done:
	for (int i = 0; i < a.n; i++)
		free(a.v[i]);
	free(a.v);
	free(sh.expr);
	free(path);
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}
