/*
 * cli_diag.c - `gprobe diag TARGET [--json]`: runs every check of one
 * target once, now, and explains each result: what was asked, the raw
 * value, how it was judged, how long it took, and for a failure the reason
 * and a hint. Exit code: the Nagios code of the worst check.
 */
#include "cli.h"
#include "persist.h"
#include "plugin.h"
#include "runner.h"
#include "util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_text(const struct gp_target *t, const struct gp_job *jobs, size_t n,
		       enum gp_state worst)
{
	printf("diag %s (%s), %zu check%s\n", t->name, t->host, n, n == 1 ? "" : "s");
	int counts[4] = {0};
	for (size_t i = 0; i < n; i++) {
		const struct gp_check *c = jobs[i].check;
		const struct gp_outcome *o = &jobs[i].out;
		counts[o->state]++;
		printf("\n[%s] %s  (%s %s%s)\n", gp_state_name(o->state), c->name,
		       c->kind, c->arg,
		       c->availability ? "" : ", not an availability check");
		if (o->request)
			printf("  request:   %s\n", o->request);
		if (o->text)
			printf("  value:     %s\n", o->text);
		if (o->n_metrics) {
			char num[GP_NUMBER_MAX];
			printf("  metrics:  ");
			for (size_t m = 0; m < o->n_metrics; m++)
				printf(" %s=%s%s", o->metrics[m].name,
				       gp_format_number(o->metrics[m].value, num, sizeof(num)),
				       o->metrics[m].uom);
			printf("\n");
		}
		if (o->evaluation)
			printf("  judged:    %s\n", o->evaluation);
		if (o->message)
			printf("  %s %s\n", o->probe_state == GP_STATE_OK ? "result:   " : "reason:   ",
			       o->message);
		if (o->hint)
			printf("  hint:      %s\n", o->hint);
		printf("  took:      %.1f ms\n", (double)o->duration_us / 1000.0);
	}
	printf("\n%s: %d OK, %d WARNING, %d CRITICAL, %d UNKNOWN\n", gp_state_name(worst),
	       counts[GP_STATE_OK], counts[GP_STATE_WARNING], counts[GP_STATE_CRITICAL],
	       counts[GP_STATE_UNKNOWN]);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void print_json(const struct gp_target *t, const struct gp_job *jobs, size_t n,
		       enum gp_state worst)
{
	json_t *checks = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct gp_check *c = jobs[i].check;
		const struct gp_outcome *o = &jobs[i].out;
		json_t *metrics = json_array();
		for (size_t m = 0; m < o->n_metrics; m++)
			json_array_append_new(metrics, json_pack("{s:s, s:o, s:s}", "name",
								 o->metrics[m].name, "value",
								 isfinite(o->metrics[m].value)
									 ? json_real(o->metrics[m].value)
									 : json_null(),
								 "uom", o->metrics[m].uom));
		json_t *jc = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:o}",
				       "name", c->name, "kind", c->kind, "arg",
				       c->arg, "availability", c->availability, "state",
				       gp_state_name(o->state), "probe_state",
				       gp_state_name(o->probe_state), "request", str_or_null(o->request),
				       "value", str_or_null(o->text), "numeric",
				       o->has_value && isfinite(o->value) ? json_real(o->value) : json_null(), "evaluation",
				       str_or_null(o->evaluation), "message", str_or_null(o->message),
				       "hint", str_or_null(o->hint), "duration_ms",
				       (double)o->duration_us / 1000.0, "metrics", metrics);
		json_array_append_new(checks, jc);
	}
	json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "target", t->name, "host", t->host, "state",
				 gp_state_name(worst), "checks", checks);
	char *s = json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(root);
}

int gp_cmd_diag(struct gp_cli *cli, int argc, char **argv)
{
	const char *target = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: gprobe [-c FILE] diag TARGET [--json]\n\n"
			       "Runs every check of TARGET once, now, and explains each result:\n"
			       "the request, the raw value, the evaluation against thresholds,\n"
			       "the timings, and for a failure the reason and a hint.\n"
			       "Exit code: the Nagios code of the worst check (0 OK, 1 WARNING,\n"
			       "2 CRITICAL, 3 UNKNOWN).\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "gprobe diag: unknown option '%s'\n", argv[i]);
			return GP_STATE_UNKNOWN;
		} else if (!target)
			target = argv[i];
		else {
			fprintf(stderr, "gprobe diag: one target at a time\n");
			return GP_STATE_UNKNOWN;
		}
	}
	if (!target) {
		fprintf(stderr, "usage: gprobe diag TARGET [--json]\n");
		return GP_STATE_UNKNOWN;
	}
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return GP_STATE_UNKNOWN;
	const struct gp_target *t = gp_config_target(cfg, target);
	if (!t) {
		fprintf(stderr, "gprobe diag: no target '%s' in %s; targets:", target, cfg->file);
		for (size_t i = 0; i < cfg->n_targets; i++)
			fprintf(stderr, " %s", cfg->targets[i].name);
		fprintf(stderr, "\n");
		gp_config_free(cfg);
		return GP_STATE_UNKNOWN;
	}

	/* The config loaded the plugins its checks need. */
	struct gp_registry *reg = &cli->reg;
	gp_cli_print_plugin_errors(reg, "diag");

	size_t n = t->n_checks;
	struct gp_job *jobs = gp_xcalloc(n, sizeof(*jobs));
	for (size_t i = 0; i < n; i++) {
		jobs[i].target = t;
		jobs[i].check = &t->checks[i];
	}
	/* The daemon's plugin state, read only: a log check shows what was
	 * appended since the daemon's last poll, without moving its place. */
	char err[256];
	struct gp_store *st = gp_store_open_probe(&cfg->probe, NULL, false, err, sizeof(err));
	struct gp_state_store ss = gp_persist_plugin_state(st);
	gp_run_once(reg, &ss, jobs, n);
	gp_store_close(st);
	enum gp_state worst = GP_STATE_OK;
	for (size_t i = 0; i < n; i++)
		worst = gp_worse_state(worst, jobs[i].out.state);
	if (json)
		print_json(t, jobs, n, worst);
	else
		print_text(t, jobs, n, worst);

	for (size_t i = 0; i < n; i++)
		gp_job_clear(&jobs[i]);
	free(jobs);
	gp_config_free(cfg);
	return worst;
}
