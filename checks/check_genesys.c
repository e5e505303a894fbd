/*
 * check_genesys.c - Nagios/Icinga plugin over gprobe's collectors.
 *
 *   check_genesys [-c FILE] -T TARGET [-C CHECK] [-t SECONDS]
 *
 * Runs the target's checks (all, or one) once through the same collector
 * plugins as the daemon and prints one line per the Monitoring Plugins
 * guidelines:  GENESYS <STATE> - text | 'label'=value[UOM];warn;crit;;
 * Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 *
 * In config mode -c names the config file, as in gprobe; the standalone
 * mode (-H/-P, where -w/-c are thresholds) is still to come.
 */
#include "config.h"
#include "plugin.h"
#include "runner.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GPROBE_VERSION
#define GPROBE_VERSION "0"
#endif

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "GENESYS UNKNOWN - plugin timed out\n";
	ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	_exit(GP_STATE_UNKNOWN);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: check_genesys [-c FILE] -T TARGET [-C CHECK] [-t SECONDS] [-v]\n"
		     "       check_genesys -V | -h\n\n"
		     "Runs the checks of TARGET from the gprobe config (default\n"
		     "$GPROBE_CONFIG, then /etc/gprobe/gprobe.yaml) once and reports the worst.\n"
		     "  -T TARGET   the target's name in the config\n"
		     "  -C CHECK    only this check of the target\n"
		     "  -t SECONDS  give up after this long (UNKNOWN), default 10\n");
}

static enum gp_state worse(enum gp_state a, enum gp_state b)
{
	static const int rank[] = {0, 2, 3, 1};
	return rank[a] >= rank[b] ? a : b;
}

/* Perfdata labels are quoted; a quote inside is doubled. */
static void perf_label(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			putchar('\'');
		putchar(*s);
	}
	putchar('\'');
}

int main(int argc, char **argv)
{
	const char *cfgfile = NULL, *target = NULL, *only = NULL;
	int timeout_s = 10;
	int opt;
	while ((opt = getopt(argc, argv, "c:T:C:t:vVh")) != -1) {
		switch (opt) {
		case 'c':
			cfgfile = optarg;
			break;
		case 'T':
			target = optarg;
			break;
		case 'C':
			only = optarg;
			break;
		case 't':
			timeout_s = atoi(optarg);
			if (timeout_s <= 0) {
				printf("GENESYS UNKNOWN - invalid timeout '%s'\n", optarg);
				return GP_STATE_UNKNOWN;
			}
			break;
		case 'v':
			break;
		case 'V':
			printf("check_genesys %s\n", GPROBE_VERSION);
			return GP_STATE_OK;
		case 'h':
			usage(stdout);
			return GP_STATE_OK;
		default:
			usage(stdout);
			return GP_STATE_UNKNOWN;
		}
	}
	if (!target) {
		printf("GENESYS UNKNOWN - no target given (-T TARGET)\n");
		return GP_STATE_UNKNOWN;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)timeout_s);

	if (!cfgfile)
		cfgfile = getenv("GPROBE_CONFIG") ? getenv("GPROBE_CONFIG") : "/etc/gprobe/gprobe.yaml";
	struct gp_errlist el = {0};
	struct gp_config_opts opts = {.default_profile_dir = getenv("GPROBE_PROFILE_DIR")
							 ? getenv("GPROBE_PROFILE_DIR")
							 : GPROBE_SOURCE_PROFILE_DIR};
	struct gp_config *cfg = gp_config_load(cfgfile, &opts, &el);
	if (!cfg) {
		char *m = el.n ? gp_errlist_format(&el, 0) : gp_xstrdup("invalid config");
		printf("GENESYS UNKNOWN - config error: %s\n", m);
		free(m);
		gp_errlist_free(&el);
		return GP_STATE_UNKNOWN;
	}
	const struct gp_target *t = gp_config_target(cfg, target);
	if (!t) {
		printf("GENESYS UNKNOWN - no target '%s' in %s\n", target, cfgfile);
		gp_config_free(cfg);
		return GP_STATE_UNKNOWN;
	}
	struct gp_job *jobs = gp_xcalloc(t->n_checks, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; i < t->n_checks; i++) {
		if (only && strcmp(only, t->checks[i].name) != 0)
			continue;
		jobs[n].target = t;
		jobs[n].check = &t->checks[i];
		n++;
	}
	if (n == 0) {
		printf("GENESYS UNKNOWN - no check '%s' in target '%s'\n", only ? only : "", target);
		free(jobs);
		gp_config_free(cfg);
		return GP_STATE_UNKNOWN;
	}
	struct gp_registry reg = {0};
	gp_registry_load_dir(&reg, gp_plugin_dir(cfg->probe.plugin_dir), &el);
	gp_run_once(&reg, NULL, jobs, n);

	enum gp_state worst = GP_STATE_OK;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		worst = worse(worst, jobs[i].out.state);
		if (jobs[i].out.state != GP_STATE_OK)
			bad++;
	}
	/* The text names the failing checks first: that is what the
	 * operator reads in the Nagios status line. */
	printf("GENESYS %s - %s: ", gp_state_name(worst), target);
	if (bad == 0)
		printf("%zu check%s OK", n, n == 1 ? "" : "s");
	for (size_t i = 0, shown = 0; i < n; i++) {
		const struct gp_outcome *o = &jobs[i].out;
		if (o->state == GP_STATE_OK)
			continue;
		printf("%s%s %s (%s)", shown++ ? ", " : "", jobs[i].check->name, gp_state_name(o->state),
		       o->evaluation ? o->evaluation : o->message ? o->message : "");
	}
	printf(" |");
	for (size_t i = 0; i < n; i++) {
		const struct gp_outcome *o = &jobs[i].out;
		if (!o->has_value)
			continue;
		char w[64], c[64];
		gp_range_format(&jobs[i].check->warning, w, sizeof(w));
		gp_range_format(&jobs[i].check->critical, c, sizeof(c));
		putchar(' ');
		perf_label(jobs[i].check->name);
		printf("=%g%s;%s;%s;;", o->value,
		       jobs[i].check->uom ? jobs[i].check->uom
		       : jobs[i].check->kind == GP_CK_TCP_CONNECT ? "ms" : "",
		       w, c);
	}
	putchar('\n');

	for (size_t i = 0; i < n; i++)
		gp_job_clear(&jobs[i]);
	free(jobs);
	gp_registry_free(&reg);
	gp_errlist_free(&el);
	gp_config_free(cfg);
	return worst;
}
