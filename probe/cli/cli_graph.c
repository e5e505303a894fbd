/*
 * cli_graph.c - `gprobe graph TARGET CHECK [--from -24h] [--to now] -o FILE.png`:
 * a check's values from its RRD file, with its warning and critical
 * thresholds as lines and the outages of the services the target belongs
 * to shaded, so a dispute over a month can be settled with a picture; and
 * `gprobe graph --outage SERVICE [--at TIME] -o FILE.png`: the graph the
 * monthly report shows for one outage of one service. `-o -` writes the
 * PNG alone to standard output (the web console's /graph.png runs that).
 */
#include "calendar.h"
#include "cli.h"
#include "graph.h"
#include "util.h"

#include <errno.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int usage(FILE *out)
{
	fprintf(out,
		"usage: gprobe [-c FILE] graph TARGET CHECK [--from TIME] [--to TIME]\n"
		"                          [--service SERVICE] [--json] -o FILE.png\n"
		"       gprobe [-c FILE] graph --outage SERVICE [--at TIME] [--json] -o FILE.png\n\n"
		"Draws a check's values from DATA_DIR/rrd/TARGET/CHECK.rrd with its warning\n"
		"(orange) and critical (red) thresholds, and shades the outages of the\n"
		"services TARGET belongs to (with --service, of that service alone). TIME is\n"
		"rrdtool's: -24h (default), -7d, now, or UTC epoch seconds. Times on the axis\n"
		"are in calendar.timezone; the title and legend in alerts.email.language.\n\n"
		"--outage SERVICE draws the graph the monthly report shows for SERVICE's\n"
		"outage going on at --at TIME (ISO 8601 as `gprobe downtime` prints it, in\n"
		"calendar.timezone unless it has an offset, or UTC epoch seconds; without\n"
		"--at: its latest outage): the check the event log shows failing when the\n"
		"outage began, from half an hour before it to half an hour after it, with\n"
		"SERVICE's outages alone shaded.\n\n"
		"--json prints what was drawn: the file, \"target / check\", the title, the\n"
		"legend, whether the check has values in the window, the outages shaded.\n\n"
		"-o - writes the PNG to standard output and nothing else (not with --json).\n");
	return out == stdout ? 0 : 1;
}

/* The outage of a service going on at `at` (or its latest: at < 0). */
struct outage_find {
	int64_t start, end;
	char *members;
	bool found;
};

static void take_outage(void *ctx, const struct gp_outage_row *o)
{
	struct outage_find *f = ctx;
	free(f->members);
	f->start = o->start;
	f->end = o->end;
	f->members = gp_xstrdup(o->members ? o->members : "");
	f->found = true;
}

/* Moves the temporary PNG to out (a copy when they are on two file
 * systems, or out is "-": standard output). */
static int move_file(const char *from, const char *to, char *err, size_t errlen)
{
	bool to_stdout = !strcmp(to, "-");
	if (!to_stdout && rename(from, to) == 0)
		return 0;
	if (!to_stdout && errno != EXDEV)
		return gp_errf(err, errlen, "cannot write %s: %s", to, strerror(errno));
	FILE *in = fopen(from, "rb"), *out = !in ? NULL : to_stdout ? stdout : fopen(to, "wb");
	int rc = in && out ? 0 : -1;
	char buf[65536];
	size_t n;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in && ferror(in))
		rc = -1;
	if (out && (to_stdout ? fflush(out) : fclose(out)) != 0)
		rc = -1;
	if (in)
		fclose(in);
	unlink(from);
	if (rc != 0)
		return gp_errf(err, errlen, "cannot write %s: %s",
			       to_stdout ? "the PNG to standard output" : to, strerror(errno));
	return 0;
}

static void print_result(const struct gp_config *cfg, bool json, const char *out,
			 const char *caption, const struct gp_graph_info *gi, const char *service,
			 const struct outage_find *o)
{
	if (!strcmp(out, "-"))
		return; /* standard output holds the PNG alone */
	if (!json) {
		printf("%s: %s, %d outage%s shaded\n", out, caption, gi->n_shaded,
		       gi->n_shaded == 1 ? "" : "s");
		return;
	}
	json_t *legend = json_array();
	for (int i = 0; i < gi->n_legend; i++)
		json_array_append_new(legend, json_string(gi->legend[i]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:b, s:i, s:o, s:o}", "file", out, "caption",
			      caption, "title", gi->title, "legend", legend, "has_values",
			      gi->has_values, "shaded", gi->n_shaded, "from",
			      gp_cli_jtime(cfg, gi->from), "to", gp_cli_jtime(cfg, gi->to));
	if (service) {
		json_object_set_new(j, "service", json_string(service));
		json_object_set_new(j, "outage",
				    json_pack("{s:o, s:o, s:s}", "from", gp_cli_jtime(cfg, o->start),
					      "to", gp_cli_jtime(cfg, o->end), "members",
					      o->members));
	}
	gp_cli_print_json(j);
	json_decref(j);
}

/* `gprobe graph --outage SERVICE [--at TIME]`. */
static int outage_graph(struct gp_cli *cli, const char *service, const char *at_s,
			const char *out, bool json)
{
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, false, &cfg, &st, "graph") != 0)
		return 1;
	int rc = 1;
	int64_t at = -1;
	const char *why = NULL;
	struct outage_find o = {0};
	if (at_s) {
		char *end;
		long long v = strtoll(at_s, &end, 10);
		if (*at_s && !*end && v >= 0)
			at = v;
		else if (!gp_cal_parse_time(&cfg->calendar, at_s, &at, &why)) {
			fprintf(stderr, "gprobe graph: --at '%s': %s\n", at_s, why);
			goto done;
		}
	}
	if (gp_store_outage_list(st, service, at < 0 ? 0 : at, at < 0 ? INT64_MAX : at + 1,
				 take_outage, &o) != 0) {
		fprintf(stderr, "gprobe graph: cannot read the outages: %s\n", gp_store_error(st));
		goto done;
	}
	if (!o.found) {
		if (at_s)
			fprintf(stderr, "gprobe graph: no outage of '%s' at %s\n", service, at_s);
		else
			fprintf(stderr, "gprobe graph: '%s' has had no outage\n", service);
		goto done;
	}
	char caption[256], err[512];
	struct gp_graph_info gi;
	char *png = gp_graph_of_outage_info(cfg, st, service, o.members, o.start, o.end,
					    (int64_t)time(NULL), caption, sizeof(caption), &gi, err,
					    sizeof(err));
	if (!png) {
		if (err[0])
			fprintf(stderr, "gprobe graph: %s%s%s\n", caption,
				caption[0] ? ": " : "", err);
		else
			fprintf(stderr, "gprobe graph: the outage has no component at fault to "
					"draw\n");
	} else if (move_file(png, out, err, sizeof(err)) != 0) {
		unlink(png);
		fprintf(stderr, "gprobe graph: %s\n", err);
	} else {
		print_result(cfg, json, out, caption, &gi, service, &o);
		rc = 0;
	}
	free(png);
done:
	free(o.members);
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}

int gp_cmd_graph(struct gp_cli *cli, int argc, char **argv)
{
	const char *target = NULL, *check = NULL, *out = NULL, *from = "-24h", *to = "now";
	const char *service = NULL, *outage = NULL, *at = NULL;
	bool json = false, range = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i], range = true;
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i], range = true;
		else if (!strcmp(argv[i], "--service") && i + 1 < argc)
			service = argv[++i];
		else if (!strcmp(argv[i], "--outage") && i + 1 < argc)
			outage = argv[++i];
		else if (!strcmp(argv[i], "--at") && i + 1 < argc)
			at = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			return usage(stderr);
		else if (!target)
			target = argv[i];
		else if (!check)
			check = argv[i];
		else
			return usage(stderr);
	}
	if (out && !strcmp(out, "-") && json)
		return usage(stderr);
	if (outage) {
		if (target || range || service || !out)
			return usage(stderr);
		return outage_graph(cli, outage, at, out, json);
	}
	if (!target || !check || !out || at)
		return usage(stderr);

	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	rrd_time_value_t tv_from, tv_to;
	time_t start, end;
	char *perr = rrd_parsetime(from, &tv_from);
	if (!perr)
		perr = rrd_parsetime(to, &tv_to);
	if (perr || rrd_proc_start_end(&tv_from, &tv_to, &start, &end) != 0) {
		fprintf(stderr, "gprobe graph: bad time: %s\n", perr ? perr : rrd_get_error());
		gp_config_free(cfg);
		return 1;
	}
	char err[512];
	struct gp_store *st = gp_store_open_probe(&cfg->probe, NULL, false, err, sizeof(err));
	struct gp_graph_info gi;
	int rc = gp_graph_draw(cfg, st, target, check, service, (int64_t)start, (int64_t)end, out,
			       &gi, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "gprobe graph: %s\n", err);
	} else {
		char *caption = gp_xasprintf("%s / %s", target, check);
		print_result(cfg, json, out, caption, &gi, NULL, NULL);
		free(caption);
	}
	gp_store_close(st);
	gp_config_free(cfg);
	return rc == 0 ? 0 : 1;
}
