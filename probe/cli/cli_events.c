/*
 * cli_events.c - `gprobe events`: the daemon's event log, every change it
 * made (a check's hard state, a target's or service's state, an outage
 * opened or restored, the probe cut off or back), with when it happened
 * (backdated for an outage: the first failed result) and when the probe
 * knew.
 */
#include "calendar.h"
#include "cli.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct events_ctx {
	const struct gp_config *cfg;
	json_t *arr;
};

static json_t *opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void add_event(void *ctx, const struct gp_event_row *ev)
{
	struct events_ctx *c = ctx;
	json_array_append_new(
		c->arr,
		json_pack("{s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)ev->id, "at",
			  gp_cli_jtime(c->cfg, ev->at), "recorded_at",
			  gp_cli_jtime(c->cfg, ev->recorded_at), "kind", gp_event_kind_name(ev->kind),
			  "subject", ev->subject, "old_state",
			  opt_string(gp_event_state_name(ev->kind, ev->old_state)), "new_state",
			  opt_string(gp_event_state_name(ev->kind, ev->new_state)), "detail",
			  opt_string(ev->detail)));
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

int gp_cmd_events(struct gp_cli *cli, int argc, char **argv)
{
	if (gp_cli_want_help(argc, argv)) {
		printf("usage: gprobe [-c FILE] events [--subject S] [--since TIME] [--last N] [--json]\n\n"
		       "The daemon's event log, oldest first: every hard state change of a check\n"
		       "(subject TARGET/CHECK), a target or a service, each outage opened and\n"
		       "restored, and the probe cut off from its uplink or back (subject probe).\n"
		       "`at` is when it happened (an outage is dated to its first failed result),\n"
		       "`recorded_at` when the probe knew. --subject: one service, target or\n"
		       "TARGET/CHECK; --since: from TIME on; --last N: the latest N only (100 by\n"
		       "default; 0: all). Times in calendar.timezone.\n");
		return 0;
	}
	const char *subject = gp_cli_flag(argc, argv, "--subject");
	const char *since_s = gp_cli_flag(argc, argv, "--since");
	const char *last_s = gp_cli_flag(argc, argv, "--last");
	bool as_json = gp_cli_has(argc, argv, "--json");
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, false, &cfg, &st, "events") != 0)
		return 1;
	int64_t since = 0, last = 100;
	const char *why = NULL;
	int rc = 0;
	if (since_s && !gp_cal_parse_time(&cfg->calendar, since_s, &since, &why)) {
		fprintf(stderr, "gprobe events: --since '%s': %s\n", since_s, why);
		rc = 1;
	} else if (last_s && !gp_parse_int64(last_s, 0, INT64_MAX, &last, &why)) {
		fprintf(stderr, "gprobe events: --last '%s': %s\n", last_s, why);
		rc = 1;
	}
	struct events_ctx c = {cfg, json_array()};
	if (rc == 0 && gp_store_event_list(st, subject, since, (size_t)last, add_event, &c) != 0) {
		fprintf(stderr, "gprobe events: cannot read the event log: %s\n", gp_store_error(st));
		rc = 1;
	}
	if (rc == 0 && as_json) {
		gp_cli_print_json(c.arr);
	} else if (rc == 0) {
		size_t i;
		json_t *v;
		json_array_foreach(c.arr, i, v) {
			const char *d = json_string_value(json_object_get(v, "detail"));
			printf("%s  %-15s %-24s %s -> %s%s%s\n", str(v, "at"), str(v, "kind"),
			       str(v, "subject"), str(v, "old_state"), str(v, "new_state"),
			       d ? ": " : "", d ? d : "");
		}
	}
	json_decref(c.arr);
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}
