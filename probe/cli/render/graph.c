/*
 * graph.c - a check's values drawn from its RRD file (see graph.h).
 */
#include "graph.h"
#include "format.h"
#include "rrdstore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
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

/* ------------------------------------------------------------------ */
/* The texts of the image, in the report's language                    */

/* What the check does, after "target / check: " in the title. */
static char *check_text(const struct gp_config *cfg, const struct gp_check *c)
{
	static const struct {
		const char *kind, *en, *ru;
	} kinds[] = {
		{"tcp_connect", "TCP connect to port ", "проверка TCP-порта "},
		{"snmp_get", "SNMP get of ", "проверка SNMP, OID "},
		{"snmp_walk", "SNMP walk of ", "проверка SNMP (обход), OID "},
		{"http_get", "HTTP GET ", "проверка HTTP, "},
		{"ssh_command", "SSH command ", "проверка по SSH, команда "},
		{"ssh_log", "SSH log ", "проверка журнала по SSH, "},
	};
	const char *arg = c->arg ? c->arg : "";
	for (size_t i = 0; i < GP_ARRAY_LEN(kinds); i++)
		if (!strcmp(c->kind, kinds[i].kind))
			return gp_xasprintf("%s%s", GP_TR(cfg, kinds[i].en, kinds[i].ru), arg);
	return gp_fmt_russian(cfg) ? gp_xasprintf("проверка %s, %s", c->kind, arg)
				   : gp_xasprintf("%s %s", c->kind, arg);
}

/* The time axis. librrd's own labels go through strftime() in the locale
 * it sets from the environment (%a, %b: day and month names; "Week %V"),
 * English in the C locale: the grid and a numeric label are given here,
 * whatever the locale, chosen by the window's length as librrd chooses
 * (at most about nine labels over the 900 pixels). */
static const char *x_grid(const struct gp_config *cfg, int64_t seconds, char *buf, size_t len)
{
	static const struct {
		int64_t upto;
		const char *grid, *en, *ru;
	} axes[] = {
		{2 * 3600, "MINUTE:5:MINUTE:15:MINUTE:15:0", "%H:%M", "%H:%M"},
		{4 * 3600, "MINUTE:10:MINUTE:30:MINUTE:30:0", "%H:%M", "%H:%M"},
		{8 * 3600, "MINUTE:15:HOUR:1:HOUR:1:0", "%H:%M", "%H:%M"},
		{16 * 3600, "MINUTE:30:HOUR:2:HOUR:2:0", "%H:%M", "%H:%M"},
		{36 * 3600, "HOUR:1:HOUR:6:HOUR:6:0", "%m-%d %H:%M", "%d.%m %H:%M"},
		{4 * 86400, "HOUR:3:HOUR:12:HOUR:12:0", "%m-%d %H:%M", "%d.%m %H:%M"},
		{9 * 86400, "HOUR:6:DAY:1:DAY:1:0", "%m-%d", "%d.%m"},
		{18 * 86400, "HOUR:12:DAY:1:DAY:2:0", "%m-%d", "%d.%m"},
		{45 * 86400, "DAY:1:WEEK:1:WEEK:1:0", "%m-%d", "%d.%m"},
		{100 * 86400, "DAY:1:WEEK:1:WEEK:2:0", "%m-%d", "%d.%m"},
		{400 * 86400, "WEEK:1:MONTH:1:MONTH:2:0", "%Y-%m", "%m.%Y"},
		{INT64_MAX, "MONTH:1:YEAR:1:YEAR:1:0", "%Y", "%Y"},
	};
	size_t i = 0;
	while (seconds > axes[i].upto)
		i++;
	snprintf(buf, len, "%s:%s", axes[i].grid, GP_TR(cfg, axes[i].en, axes[i].ru));
	return buf;
}

/* ------------------------------------------------------------------ */
/* One check's graph                                                   */

static void take_info(struct gp_graph_info *gi, const rrd_info_t *info)
{
	for (const rrd_info_t *p = info; p; p = p->next) {
		if (p->type != RD_I_STR || !p->value.u_str)
			continue;
		if (!strcmp(p->key, "print[0]")) {
			/* The last value of the window: "nan" when it has none. */
			char *end;
			double v = strtod(p->value.u_str, &end);
			gi->has_values = end != p->value.u_str && !isnan(v);
		} else if (!strncmp(p->key, "legend[", 7) && gi->n_legend < GP_GRAPH_LEGEND_MAX) {
			const char *s = p->value.u_str;
			while (*s == ' ')
				s++;
			snprintf(gi->legend[gi->n_legend++], sizeof(gi->legend[0]), "%s", s);
		}
	}
}

/* Given "-" for a file, librrd renders into memory and hands the PNG
 * back as the "image" blob of its info: standard output gets it. */
static int write_image(const rrd_info_t *info, char *err, size_t errlen)
{
	for (const rrd_info_t *p = info; p; p = p->next) {
		if (p->type != RD_I_BLO || strcmp(p->key, "image") != 0)
			continue;
		if (fwrite(p->value.u_blo.ptr, 1, p->value.u_blo.size, stdout) !=
			    p->value.u_blo.size ||
		    fflush(stdout) != 0)
			return gp_errf(err, errlen, "cannot write the PNG to standard output: %s",
				       strerror(errno));
		return 0;
	}
	return gp_errf(err, errlen, "librrd gave no image to write to standard output");
}

int gp_graph_draw(const struct gp_config *cfg, struct gp_store *st, const char *target,
		  const char *check, const char *shade_service, int64_t from, int64_t to,
		  const char *out, struct gp_graph_info *info, char *err, size_t errlen)
{
	struct gp_graph_info local;
	struct gp_graph_info *gi = info ? info : &local;
	memset(gi, 0, sizeof(*gi));
	gi->from = from;
	gi->to = to;
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
	if (st && shade_service) {
		gp_store_outage_list(st, shade_service, from, to, add_outage, &sh);
	} else {
		for (size_t i = 0; st && i < cfg->n_services; i++) {
			struct member_find m = {target, false};
			if (cfg->services[i].expr)
				gp_expr_foreach_name(cfg->services[i].expr, is_member, &m);
			if (m.found)
				gp_store_outage_list(st, cfg->services[i].name, from, to,
						     add_outage, &sh);
		}
	}

	char *what = check_text(cfg, c), grid[96];
	char *title = gp_xasprintf("%s / %s: %s", target, check, what);
	free(what);
	snprintf(gi->title, sizeof(gi->title), "%s", title);
	struct args a = {0};
	arg(&a, gp_xstrdup("graph"));
	arg(&a, gp_xstrdup(out));
	arg(&a, gp_xasprintf("--start=%lld", (long long)from));
	arg(&a, gp_xasprintf("--end=%lld", (long long)to));
	arg(&a, gp_xasprintf("--title=%s", title));
	free(title);
	arg(&a, gp_xstrdup("--width=900"));
	arg(&a, gp_xstrdup("--height=260"));
	arg(&a, gp_xstrdup("--imgformat=PNG"));
	arg(&a, gp_xstrdup("--units-exponent=0")); /* 0.25, not "250 m" */
	arg(&a, gp_xstrdup("--disable-rrdtool-tag")); /* its English side text */
	arg(&a, gp_xasprintf("--x-grid=%s", x_grid(cfg, to - from, grid, sizeof(grid))));
	if (c->uom)
		arg(&a, gp_xasprintf("--vertical-label=%s", c->uom));
	if (cfg->probe.rrdcached)
		arg(&a, gp_xasprintf("--daemon=%s", cfg->probe.rrdcached));
	arg(&a, gp_xasprintf("DEF:v=%s:value:AVERAGE", path));
	if (sh.expr) {
		arg(&a, gp_xasprintf("CDEF:out=v,POP,%s,0,GT,INF,UNKN,IF", sh.expr));
		arg(&a, gp_xasprintf("AREA:out#ff000030:%s (%d)", GP_TR(cfg, "outage", "простой"),
				     sh.n));
	}
	arg(&a, gp_xasprintf("LINE1:v#1f4e9a:%s", GP_TR(cfg, "value", "значение")));
	threshold_lines(&a, &c->warning, "#ff9900", GP_TR(cfg, "warning", "предупреждение"));
	threshold_lines(&a, &c->critical, "#dd0000", GP_TR(cfg, "critical", "авария"));
	/* Whether the window has a value at all (print[0], not drawn). */
	arg(&a, gp_xstrdup("VDEF:vlast=v,LAST"));
	arg(&a, gp_xstrdup("PRINT:vlast:%.12lg"));

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
		rrd_info_t *ri = rrd_graph_v(a.n, a.v);
#ifdef __SANITIZE_ADDRESS__
		__lsan_enable();
#endif
		axis_zone_restore(&zone);
		if (!ri) {
			snprintf(err, errlen, "%s", rrd_get_error());
			rc = -1;
		} else if (!strcmp(out, "-")) {
			rc = write_image(ri, err, errlen);
		}
		take_info(gi, ri);
		rrd_info_free(ri);
	}
	gi->n_shaded = sh.n;
	for (int i = 0; i < a.n; i++)
		free(a.v[i]);
	free(a.v);
	free(sh.expr);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The graph of one outage                                             */

/* What the event log says of one check around the outage's start. */
struct check_log {
	int64_t start;
	bool known;    /* a change at or before start */
	int state;     /* the state it left the check in */
	int64_t at;    /* when */
};

static void on_check_event(void *ctx, const struct gp_event_row *ev)
{
	struct check_log *l = ctx;
	if (ev->kind != GP_EV_CHECK || ev->new_state < 0 || ev->at > l->start)
		return;
	if (!l->known || ev->at >= l->at) {
		l->known = true;
		l->state = ev->new_state;
		l->at = ev->at;
	}
}

struct candidate {
	const struct gp_target *t;
	const struct gp_check *c;
	int tier;      /* 0: availability CRITICAL; 1: not OK otherwise */
	int severity;  /* 0 CRITICAL, 1 WARNING, 2 UNKNOWN */
	int64_t at;    /* its change to that state */
	size_t order;  /* members', then checks' */
};

static int severity(int state)
{
	switch (state) {
	case GP_STATE_CRITICAL:
		return 0;
	case GP_STATE_WARNING:
		return 1;
	default:
		return 2;
	}
}

static int cmp_candidate(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	if (a->tier != b->tier)
		return a->tier - b->tier;
	if (a->severity != b->severity)
		return a->severity - b->severity;
	if (a->c->availability != b->c->availability)
		return a->c->availability ? -1 : 1;
	if (a->at != b->at)
		return a->at > b->at ? -1 : 1; /* the latest change first */
	return (a->order > b->order) - (a->order < b->order);
}

/* The members' targets, in order, each once (names not in the config
 * skipped); how many. */
static size_t member_targets(const struct gp_config *cfg, const char *members,
			     const struct gp_target ***out)
{
	size_t n = 0, cap = 0;
	const struct gp_target **v = NULL;
	const char *p = members;
	while (p && *p) {
		size_t len = strcspn(p, ",");
		char *name = gp_xasprintf("%.*s", (int)len, p);
		char *s = name, *e = name + strlen(name);
		while (*s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			*--e = '\0';
		const struct gp_target *t = *s ? gp_config_target(cfg, s) : NULL;
		free(name);
		bool seen = false;
		for (size_t i = 0; t && i < n; i++)
			seen |= v[i] == t;
		if (t && !seen) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				v = gp_xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = t;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = v;
	return n;
}

/* The report's sentences for a graph it cannot show. */
enum no_graph { NG_VALUES, NG_AVAIL_VALUES, NG_CONFIG, NG_DRAW };

static void no_graph(const struct gp_config *cfg, enum no_graph why, char *err, size_t errlen)
{
	const char *s = "";
	switch (why) {
	case NG_VALUES:
		s = GP_TR(cfg,
			  "no graph: the probe recorded no values of this check during the outage "
			  "or in the half hour before and after it.",
			  "графика нет: зонд не записал значений этой проверки за время простоя и "
			  "за полчаса до и после него.");
		break;
	case NG_AVAIL_VALUES:
		s = GP_TR(cfg,
			  "no graph: the probe recorded no values of the availability checks of "
			  "the components at fault during the outage or in the half hour before "
			  "and after it.",
			  "графика нет: зонд не записал значений проверок доступности отказавших "
			  "компонентов за время простоя и за полчаса до и после него.");
		break;
	case NG_CONFIG:
		s = GP_TR(cfg,
			  "no graph: the components at fault are no longer in the probe's "
			  "configuration.",
			  "графика нет: отказавших компонентов больше нет в конфигурации зонда.");
		break;
	case NG_DRAW:
		s = GP_TR(cfg, "no graph: the probe could not draw it.",
			  "графика нет: зонд не смог его построить.");
		break;
	}
	snprintf(err, errlen, "%s", s);
}

/* Draws t/c into png: 1 drawn with values, 0 no values (no file, or none
 * in the window), -1 librrd failed. */
static int try_draw(const struct gp_config *cfg, struct gp_store *st, const char *service,
		    const struct gp_target *t, const struct gp_check *c, int64_t from, int64_t to,
		    const char *png, struct gp_graph_info *gi)
{
	char *path = gp_rrd_path(cfg->probe.data_dir, t->name, c->name);
	bool exists = access(path, R_OK) == 0;
	free(path);
	if (!exists)
		return 0;
	char err[512];
	if (gp_graph_draw(cfg, st, t->name, c->name, service, from, to, png, gi, err,
			  sizeof(err)) != 0)
		return -1;
	return gi->has_values ? 1 : 0;
}

char *gp_graph_of_outage_info(const struct gp_config *cfg, struct gp_store *st,
			      const char *service, const char *members, int64_t start,
			      int64_t end, int64_t now, char *caption, size_t caplen,
			      struct gp_graph_info *info, char *err, size_t errlen)
{
	struct gp_graph_info local;
	struct gp_graph_info *gi = info ? info : &local;
	memset(gi, 0, sizeof(*gi));
	err[0] = '\0';
	if (caplen)
		caption[0] = '\0';
	if (!members || !*members || start <= 0)
		return NULL;
	const struct gp_target **targets;
	size_t n_targets = member_targets(cfg, members, &targets);
	if (n_targets == 0) {
		no_graph(cfg, NG_CONFIG, err, errlen);
		return NULL;
	}

	/* The members' checks not OK at the start, by the event log: their
	 * availability checks first, the others only when none of those
	 * failed (they could not come first). */
	size_t n = 0, cap = 0;
	struct candidate *cand = NULL;
	bool avail_critical = false;
	for (int pass = 0; pass < 2 && st && !avail_critical; pass++) {
		for (size_t i = 0; i < n_targets; i++) {
			const struct gp_target *t = targets[i];
			for (size_t k = 0; k < t->n_checks; k++) {
				const struct gp_check *c = &t->checks[k];
				if (c->availability != (pass == 0))
					continue;
				char *subject = gp_xasprintf("%s/%s", t->name, c->name);
				struct check_log l = {.start = start};
				gp_store_event_list(st, subject, 0, 0, on_check_event, &l);
				free(subject);
				if (!l.known || l.state == GP_STATE_OK)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 8;
					cand = gp_xrealloc(cand, cap * sizeof(*cand));
				}
				int tier = c->availability && l.state == GP_STATE_CRITICAL ? 0 : 1;
				cand[n++] = (struct candidate){
					.t = t,
					.c = c,
					.tier = tier,
					.severity = severity(l.state),
					.at = l.at,
					.order = i << 16 | k, /* the members', then the checks' */
				};
				avail_critical |= tier == 0;
			}
		}
	}
	if (n > 1)
		qsort(cand, n, sizeof(*cand), cmp_candidate);

	int64_t until = end > 0 ? end : now;
	int64_t from = start - 1800, to = until + 1800 < now ? until + 1800 : now;
	if (to <= from)
		to = until + 1800;
	const char *tmpdir = getenv("TMPDIR");
	char *png = gp_xasprintf("%s/gprobe-report-XXXXXX.png", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemps(png, 4);
	if (fd < 0) {
		no_graph(cfg, NG_DRAW, err, errlen);
		free(png);
		free(cand);
		free(targets);
		return NULL;
	}
	close(fd);

	int drawn = 0;
	bool failed = false;
	if (n > 0) {
		/* Only the best tier the log shows: never a graph of a check
		 * that merely warned when a component's availability check
		 * failed. */
		for (size_t i = 0; i < n && cand[i].tier == cand[0].tier && drawn != 1; i++) {
			drawn = try_draw(cfg, st, service, cand[i].t, cand[i].c, from, to, png, gi);
			failed |= drawn < 0;
			if (drawn == 1)
				snprintf(caption, caplen, "%s / %s", cand[i].t->name, cand[i].c->name);
		}
		if (drawn != 1) {
			snprintf(caption, caplen, "%s / %s", cand[0].t->name, cand[0].c->name);
			no_graph(cfg, failed ? NG_DRAW : NG_VALUES, err, errlen);
		}
	} else {
		/* The log says nothing: the members' first availability check
		 * with values. */
		for (size_t i = 0; i < n_targets && drawn != 1; i++)
			for (size_t k = 0; k < targets[i]->n_checks && drawn != 1; k++) {
				const struct gp_check *c = &targets[i]->checks[k];
				if (!c->availability)
					continue;
				drawn = try_draw(cfg, st, service, targets[i], c, from, to, png, gi);
				failed |= drawn < 0;
				if (drawn == 1)
					snprintf(caption, caplen, "%s / %s", targets[i]->name,
						 c->name);
			}
		if (drawn != 1)
			no_graph(cfg, failed ? NG_DRAW : NG_AVAIL_VALUES, err, errlen);
	}
	free(cand);
	free(targets);
	if (drawn == 1)
		return png;
	unlink(png);
	free(png);
	return NULL;
}

char *gp_graph_of_outage(const struct gp_config *cfg, struct gp_store *st, const char *service,
			 const char *members, int64_t start, int64_t end, int64_t now,
			 char *caption, size_t caplen, char *err, size_t errlen)
{
	return gp_graph_of_outage_info(cfg, st, service, members, start, end, now, caption, caplen,
				       NULL, err, errlen);
}

char *gp_graph_outage(const struct gp_config *cfg, struct gp_store *st,
		      const struct gp_incident *inc, int64_t now, char *caption, size_t caplen,
		      char *err, size_t errlen)
{
	return gp_graph_of_outage(cfg, st, inc->service, inc->members, inc->outage_start,
				  inc->restored_at, now, caption, caplen, err, errlen);
}
