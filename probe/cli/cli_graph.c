/*
 * cli_graph.c - `gprobe graph TARGET CHECK [--from -24h] [--to now] -o FILE.png`:
 * a check's values from its RRD file, with its warning and critical
 * thresholds as lines and the outages of the services the target belongs
 * to shaded, so a dispute over a month can be settled with a picture.
 */
#include "cli.h"
#include "graph.h"
#include "util.h"

#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	struct gp_store *st = gp_store_open(NULL, cfg->probe.data_dir, false, err, sizeof(err));
	int n = 0;
	int rc = gp_graph_draw(cfg, st, target, check, (int64_t)start, (int64_t)end, out, &n, err,
			       sizeof(err));
	if (rc != 0)
		fprintf(stderr, "gprobe graph: %s\n", err);
	else
		printf("%s: %s / %s, %d outage%s shaded\n", out, target, check, n, n == 1 ? "" : "s");
	gp_store_close(st);
	gp_config_free(cfg);
	return rc == 0 ? 0 : 1;
}
