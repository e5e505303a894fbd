/*
 * graphs.c - the graphs of a check:
 *
 *   /graphs[?period=P][&target=T]   the config's targets and those of
 *                                   their checks that have values (an RRD
 *                                   file), each with its graph
 *   /graph.png?target=T&check=C[&period=P]
 *                                   the PNG `gprobe graph T C --from ...`
 *                                   draws: values, thresholds, the
 *                                   outages of the target's services
 *
 * P is one of hour, day (the default), week, month, year.
 *
 * The PNG is drawn in a child process, this program itself
 * (/proc/self/exe) run as `gprobe -c CONFIG graph T C --from F -o -`: librrd's
 * graphing is not thread-safe, and gp_graph_draw sets TZ for the time
 * axis only while its thread is the process's only one (graph.c), which
 * the console's process (libmicrohttpd's thread beside main's) is not. No
 * shell: the child's argv is built here from names checked against the
 * config first. Its standard output (the PNG) and standard error (why it
 * failed) come back through pipes read against a deadline; past it the
 * child is killed (504). It is always reaped. The server's lock (web.h)
 * is let go while the child draws, so that the console answers meanwhile;
 * at most GRAPHS_AT_ONCE drawings run at a time, one more is told to come
 * back (503, Retry-After). Nothing of the request's session is used after
 * the drawing (another thread may have ended it meanwhile).
 */
/* pipe2: the pipes are close-on-exec from their start, so a child another
 * thread spawns meanwhile never holds them open. */
#define _GNU_SOURCE
#include "rrdstore.h"
#include "util.h"
#include "web.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TR(r, en, ru) ((r)->english ? (en) : (ru))

#define GRAPHS_AT_ONCE 2
#define GRAPH_DEADLINE_MS 10000
/* A 900x260 PNG is tens of kilobytes; more than this is not one. */
#define PNG_MAX (8 * 1024 * 1024)
#define STDERR_MAX 4096

extern char **environ;

static const struct {
	const char *name, *from, *en, *ru;
} periods[] = {
	{"hour", "-1h", "hour", "час"},	     {"day", "-24h", "day", "сутки"},
	{"week", "-7d", "week", "неделя"},   {"month", "-31d", "month", "месяц"},
	{"year", "-365d", "year", "год"},
};

/* The period's index, or -1 when it is not one; NULL or "" is the day. */
static int period_index(const char *p)
{
	if (!p || !*p)
		return 1;
	for (size_t i = 0; i < GP_ARRAY_LEN(periods); i++)
		if (!strcmp(periods[i].name, p))
			return (int)i;
	return -1;
}

static bool has_values(const struct gp_config *cfg, const char *target, const char *check)
{
	char *path = gp_rrd_path(cfg->probe.data_dir, target, check);
	bool ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

/* ------------------------------------------------------------------ */
/* The child                                                           */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there on fd into b (at most max bytes kept); false at
 * its end (or an error). */
static bool drain(int fd, struct gp_sb *b, size_t max, bool *too_big)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (b->n + (size_t)n > max)
		*too_big = true;
	else
		gp_sb_put(b, buf, (size_t)n);
	return true;
}

enum draw_result { DRAW_OK, DRAW_FAILED, DRAW_TIMEOUT };

/* Runs argv (this program), its standard output into png and its error
 * into errtext; waits for it to end, killing it at the deadline. */
static enum draw_result run_child(char **argv, struct gp_sb *png, struct gp_sb *errtext)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) != 0) {
		gp_sb_add(errtext, "pipe: %s", strerror(errno));
		return DRAW_FAILED;
	}
	if (pipe2(errp, O_CLOEXEC) != 0) {
		gp_sb_add(errtext, "pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return DRAW_FAILED;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_init(&at);
	/* The server blocks SIGTERM and SIGINT for its sigwait, and ignores
	 * SIGPIPE: the child starts with neither. */
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(out[1]);
	close(errp[1]);
	if (rc != 0) {
		gp_sb_add(errtext, "cannot run /proc/self/exe: %s", strerror(rc));
		close(out[0]);
		close(errp[0]);
		return DRAW_FAILED;
	}
	int64_t deadline = now_ms() + GRAPH_DEADLINE_MS;
	bool open_out = true, open_err = true, too_big = false, err_big = false, late = false;
	while ((open_out || open_err) && !late) {
		struct pollfd p[2] = {{open_out ? out[0] : -1, POLLIN, 0},
				      {open_err ? errp[0] : -1, POLLIN, 0}};
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			late = true;
			break;
		}
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[0].revents && !drain(out[0], png, PNG_MAX, &too_big))
			open_out = false;
		if (p[1].revents && !drain(errp[0], errtext, STDERR_MAX, &err_big))
			open_err = false;
	}
	close(out[0]);
	close(errp[0]);
	/* Both pipes at their end: the child is ending, and has until the
	 * deadline to. Killed or not, it is reaped before returning. */
	int status = 0;
	pid_t got = 0;
	while (!late) {
		got = waitpid(pid, &status, WNOHANG);
		if (got == pid || (got < 0 && errno != EINTR))
			break;
		if (now_ms() >= deadline)
			late = true;
		else
			poll(NULL, 0, 10);
	}
	if (late) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return DRAW_TIMEOUT;
	}
	if (too_big) {
		gp_sb_add(errtext, "the PNG is larger than %d bytes", PNG_MAX);
		return DRAW_FAILED;
	}
	if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!errtext->n)
			gp_sb_add(errtext, "gprobe graph ended with status %d", status);
		return DRAW_FAILED;
	}
	return DRAW_OK;
}

/* ------------------------------------------------------------------ */
/* GET /graph.png                                                      */

static void text_error(struct gp_web_resp *resp, int status, const char *text)
{
	resp->status = status;
	resp->type = "text/plain; charset=utf-8";
	gp_sb_add(&resp->body, "%s\n", text);
}

static void graph_png(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	const struct gp_config *cfg = w->cfg;
	const char *target = r->arg(r, "target"), *check = r->arg(r, "check");
	int pi = period_index(r->arg(r, "period"));
	if (!target || !check)
		return text_error(resp, 400, "give target=T&check=C");
	if (pi < 0)
		return text_error(resp, 400, "period: hour, day, week, month or year");
	const struct gp_target *t = gp_config_target(cfg, target);
	if (!t || !gp_target_check(t, check))
		return text_error(resp, 404, TR(r, "No such target and check in the config.",
						"Нет такой цели и проверки в конфигурации."));
	if (!cfg->probe.rrd || !has_values(cfg, target, check))
		return text_error(resp, 404,
				  TR(r, "No values of this check yet: it has no RRD file (has the "
					"daemon run it, does it give a number, is probe.rrd on?).",
				     "У проверки ещё нет значений: нет файла RRD (запускал ли её "
				     "демон, даёт ли она число, включён ли probe.rrd?)."));
	if (w->drawing >= GRAPHS_AT_ONCE) {
		resp->retry_after = 2;
		return text_error(resp, 503, TR(r, "Other graphs are being drawn; try again.",
						"Рисуются другие графики; повторите позже."));
	}
	/* Names from the config's own strings, not the request's. */
	char *argv[] = {"gprobe",
			"-c",
			(char *)w->cli->config_path,
			"graph",
			t->name,
			(char *)gp_target_check(t, check)->name,
			"--from",
			(char *)periods[pi].from,
			"-o",
			"-",
			NULL};
	struct gp_sb png = {0}, err = {0};
	w->drawing++;
	pthread_mutex_unlock(&w->lock);
	enum draw_result dr = run_child(argv, &png, &err);
	pthread_mutex_lock(&w->lock);
	w->drawing--;
	static const char sig[8] = "\x89PNG\r\n\x1a\n";
	if (dr == DRAW_OK && (png.n < sizeof(sig) || memcmp(png.s, sig, sizeof(sig)) != 0)) {
		dr = DRAW_FAILED;
		gp_sb_add(&err, "gprobe graph wrote no PNG");
	}
	if (dr == DRAW_OK) {
		free(resp->body.s);
		resp->body = png;
		resp->status = 200;
		resp->type = "image/png";
	} else {
		free(png.s);
		/* The child's words (paths, store errors) go to the log, one
		 * line; the viewer is told it failed. */
		for (char *c = err.s; c && *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		gp_log(&w->cli->log, GP_LOG_WARN, "web: graph %s/%s: %s", target, check,
		       dr == DRAW_TIMEOUT ? "killed at the deadline" : err.s ? err.s : "failed");
		if (dr == DRAW_TIMEOUT)
			text_error(resp, 504, TR(r, "Drawing the graph took too long.",
						 "График рисовался слишком долго."));
		else
			text_error(resp, 500, TR(r, "The graph could not be drawn (the console's log "
						    "says why).",
						 "График не удалось нарисовать (причина в журнале "
						 "консоли)."));
	}
	free(err.s);
}

/* ------------------------------------------------------------------ */
/* GET /graphs                                                         */

static const char css[] =
	".graphs figure{margin:0 0 1em 0;background:#fff;padding:.5em}"
	".graphs img{max-width:100%;height:auto;display:block}"
	"nav.periods{display:flex;flex-wrap:wrap;gap:1em;margin:.5em 0}"
	"nav.periods b{text-decoration:underline}";

static void page_graphs(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	const struct gp_config *cfg = w->cfg;
	int pi = period_index(r->arg(r, "period"));
	if (pi < 0)
		return gp_page_error(r, resp, 400,
				     TR(r, "period: hour, day, week, month or year.",
					"period: hour, day, week, month или year."));
	const char *only = r->arg(r, "target");
	if (only && *only && !gp_config_target(cfg, only))
		return gp_page_error(r, resp, 404, TR(r, "No such target.", "Нет такой цели."));
	if (only && !*only)
		only = NULL;
	resp->status = 200;
	gp_page_head(r, resp, TR(r, "Graphs", "Графики"));
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<style>%s</style><h1>%s</h1><nav class=\"periods\">", css,
		  TR(r, "Graphs", "Графики"));
	for (size_t i = 0; i < GP_ARRAY_LEN(periods); i++) {
		if ((int)i == pi) {
			gp_sb_add(b, "<b>%s</b>", TR(r, periods[i].en, periods[i].ru));
			continue;
		}
		gp_sb_add(b, "<a id=\"period-%s\" href=\"/graphs?period=%s", periods[i].name,
			  periods[i].name);
		if (only) {
			gp_sb_add(b, "&amp;target=");
			gp_sb_esc(b, only);
		}
		gp_sb_add(b, "\">%s</a>", TR(r, periods[i].en, periods[i].ru));
	}
	if (only)
		gp_sb_add(b, "<a href=\"/graphs?period=%s\">%s</a>", periods[pi].name,
			  TR(r, "all targets", "все цели"));
	gp_sb_add(b, "</nav>");
	if (!cfg->probe.rrd)
		gp_sb_add(b, "<p class=\"warn\">%s</p>",
			  TR(r, "probe.rrd is off: no values are kept, so there are no graphs.",
			     "probe.rrd выключен: значения не сохраняются, графиков нет."));
	size_t shown = 0;
	gp_sb_add(b, "<div class=\"graphs\">");
	for (size_t i = 0; cfg->probe.rrd && i < cfg->n_targets; i++) {
		const struct gp_target *t = &cfg->targets[i];
		if (only && strcmp(only, t->name) != 0)
			continue;
		bool header = false;
		for (size_t k = 0; k < t->n_checks; k++) {
			const struct gp_check *c = &t->checks[k];
			if (!has_values(cfg, t->name, c->name))
				continue;
			if (!header) {
				gp_sb_add(b, "<h2 id=\"target-");
				gp_sb_esc(b, t->name);
				gp_sb_add(b, "\"><a href=\"/graphs?period=%s&amp;target=",
					  periods[pi].name);
				gp_sb_esc(b, t->name);
				gp_sb_add(b, "\">");
				gp_sb_esc(b, t->name);
				gp_sb_add(b, "</a> <small>");
				gp_sb_esc(b, t->host ? t->host : "");
				gp_sb_add(b, "</small></h2>");
				header = true;
			}
			/* Names are [a-z0-9_.-]: nothing to encode in the URL. */
			gp_sb_add(b, "<figure id=\"graph-");
			gp_sb_esc(b, t->name);
			gp_sb_add(b, "-");
			gp_sb_esc(b, c->name);
			gp_sb_add(b, "\"><figcaption>");
			gp_sb_esc(b, c->name);
			gp_sb_add(b, "</figcaption><a href=\"/graph.png?target=");
			gp_sb_esc(b, t->name);
			gp_sb_add(b, "&amp;check=");
			gp_sb_esc(b, c->name);
			gp_sb_add(b, "&amp;period=%s\"><img loading=\"lazy\" alt=\"",
				  periods[pi].name);
			gp_sb_esc(b, t->name);
			gp_sb_add(b, " / ");
			gp_sb_esc(b, c->name);
			gp_sb_add(b, "\" src=\"/graph.png?target=");
			gp_sb_esc(b, t->name);
			gp_sb_add(b, "&amp;check=");
			gp_sb_esc(b, c->name);
			gp_sb_add(b, "&amp;period=%s\"></a></figure>\n", periods[pi].name);
			shown++;
		}
	}
	gp_sb_add(b, "</div>");
	if (cfg->probe.rrd && !shown)
		gp_sb_add(b, "<p id=\"no-graphs\">%s</p>",
			  TR(r, "No check has values yet (the daemon writes them as it runs the "
				"checks that give a number).",
			     "Ни у одной проверки ещё нет значений (демон записывает их, выполняя "
			     "проверки, дающие число)."));
	gp_page_foot(resp);
}

bool gp_graphs_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	if (!get)
		return false;
	if (!strcmp(r->path, "/graphs"))
		page_graphs(w, r, resp);
	else if (!strcmp(r->path, "/graph.png"))
		graph_png(w, r, resp);
	else
		return false;
	return true;
}
