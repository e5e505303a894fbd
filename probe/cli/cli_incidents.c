/*
 * cli_incidents.c - `gprobe incidents` (the list) and `gprobe incident ...`
 * (one incident's life: open a request that came by phone or e-mail, show,
 * ack, note, workaround, resolve, confirm, reject, void, attribute).
 *
 * The rules live in incidents.c; this file parses arguments, runs one
 * command in one transaction, and prints.
 */
#include "calendar.h"
#include "cli.h"
#include "incidents.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *incident_fields(const struct gp_config *cfg, const struct gp_incident *inc)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:s}", "id",
			 (json_int_t)inc->id, "service", inc->service, "status",
			 gp_incident_status_name(inc->status), "priority",
			 gp_priority_name(inc->priority), "channel", gp_inc_channel_name(inc->channel),
			 "opened_at",
			 gp_cli_jtime(cfg, inc->opened_at), "acknowledged_at",
			 gp_cli_jtime(cfg, inc->acknowledged_at), "response_due_at",
			 gp_cli_jtime(cfg, inc->response_due_at), "response_breached",
			 inc->response_breached, "restored_at", gp_cli_jtime(cfg, inc->restored_at),
			 "resolved_at", gp_cli_jtime(cfg, inc->resolved_at), "closed_at",
			 gp_cli_jtime(cfg, inc->closed_at), "attribution",
			 gp_attribution_name(inc->attribution));
}

/* An incident as `incidents --json` shows it, with its resolution clock. */
static json_t *incident_json(const struct gp_config *cfg, struct gp_store *st,
			     const struct gp_incident *inc)
{
	json_t *j = incident_fields(cfg, inc);
	struct gp_inc_resolution r;
	if (gp_inc_resolution(st, cfg, inc, (int64_t)time(NULL), &r) != 0)
		r = (struct gp_inc_resolution){0};
	json_object_set_new(j, "resolution_due_at", gp_cli_jtime(cfg, r.due_at));
	json_object_set_new(j, "resolution_breached", json_boolean(r.breached));
	json_object_set_new(j, "waiting", json_boolean(r.waiting));
	json_object_set_new(j, "waiting_seconds", json_integer(r.waiting_seconds));
	return j;
}

struct list_ctx {
	const struct gp_config *cfg;
	struct gp_store *st;
	json_t *arr;
};

static void add_incident(void *ctx, const struct gp_incident *inc)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->arr, incident_json(l->cfg, l->st, inc));
}

json_t *gp_incidents_json(const struct gp_config *cfg, struct gp_store *st, bool all)
{
	struct list_ctx l = {cfg, st, json_array()};
	gp_store_incident_list(st, all, add_incident, &l);
	return l.arr;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

int gp_cmd_incidents(struct gp_cli *cli, int argc, char **argv)
{
	bool all = false, as_json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all")) {
			all = true;
		} else if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (gp_cli_want_help(argc, argv)) {
			printf("usage: gprobe [-c FILE] incidents [--all] [--json]\n\n"
			       "Incidents not closed or voided, newest first (every one with --all),\n"
			       "with their response clocks. `gprobe incident show ID` tells one whole.\n");
			return 0;
		} else {
			fprintf(stderr, "gprobe incidents: unknown argument '%s'\n", argv[i]);
			return 1;
		}
	}
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, false, &cfg, &st, "incidents") != 0)
		return 1;
	struct list_ctx l = {cfg, st, gp_incidents_json(cfg, st, all)};
	if (as_json) {
		gp_cli_print_json(l.arr);
	} else if (json_array_size(l.arr) == 0) {
		printf("no %sincidents\n", all ? "" : "open ");
	} else {
		printf("%-5s %-14s %-12s %-3s %-6s %-25s %-25s %s\n", "ID", "SERVICE", "STATUS", "PRI",
		       "VIA", "OPENED", "RESPONSE DUE", "ATTRIBUTION");
		size_t i;
		json_t *v;
		json_array_foreach(l.arr, i, v) {
			printf("%-5lld %-14s %-12s %-3s %-6s %-25s %-25s%s %s\n",
			       (long long)json_integer_value(json_object_get(v, "id")), str(v, "service"),
			       str(v, "status"), str(v, "priority"), str(v, "channel"),
			       str(v, "opened_at"), str(v, "response_due_at"),
			       json_is_true(json_object_get(v, "response_breached")) ? "!" : " ",
			       str(v, "attribution"));
		}
	}
	json_decref(l.arr);
	gp_store_close(st);
	gp_config_free(cfg);
	return 0;
}

/* ------------------------------------------------------------------ */

/* A timeline row's status, or NULL for none. */
static const char *status_name(int s)
{
	return s >= 0 ? gp_incident_status_name((enum gp_incident_status)s) : NULL;
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void print_event(void *ctx, const struct gp_incident_event *ev)
{
	const struct gp_config *cfg = ctx;
	char at[40], change[64] = "";
	gp_format_local(ev->at, cfg->calendar.timezone, at, sizeof(at));
	const char *old = status_name(ev->old_status), *new = status_name(ev->new_status);
	if (old && new && ev->old_status != ev->new_status)
		snprintf(change, sizeof(change), "[%s -> %s]", old, new);
	else if (!old && new)
		snprintf(change, sizeof(change), "[%s]", new);
	printf("  %s  %-12s %-12s %s\n", at, ev->kind, ev->actor, change);
	if (ev->text && *ev->text)
		printf("  %25s   %s\n", "", ev->text);
}

static void timeline_json(void *ctx, const struct gp_incident_event *ev)
{
	json_t **pair = ctx;
	const struct gp_config *cfg = (const struct gp_config *)pair[1];
	json_array_append_new(pair[0],
			      json_pack("{s:o, s:s, s:s, s:o, s:o, s:o}", "at", gp_cli_jtime(cfg, ev->at),
					"actor", ev->actor, "kind", ev->kind, "old_status",
					json_str_or_null(status_name(ev->old_status)),
					"new_status", json_str_or_null(status_name(ev->new_status)),
					"text", ev->text ? json_string(ev->text) : json_null()));
}

/* The incident's outages, numbered as `attribute --outage N` takes them,
 * with who attributed each and when (null: the probe's default, from the
 * owners of the components down). */
struct outages_ctx {
	const struct gp_config *cfg;
	int64_t incident;
	json_t *arr;
};

static void outage_json(void *ctx, const struct gp_outage_row *o)
{
	struct outages_ctx *c = ctx;
	if (o->incident != c->incident)
		return;
	json_array_append_new(
		c->arr, json_pack("{s:I, s:o, s:o, s:s, s:s, s:o, s:o}", "n",
				  (json_int_t)json_array_size(c->arr) + 1, "from",
				  gp_cli_jtime(c->cfg, o->start), "to", gp_cli_jtime(c->cfg, o->end),
				  "members", o->members ? o->members : "", "attribution",
				  gp_attribution_name(o->attribution), "attributed_by",
				  json_str_or_null(o->attributed_by), "attributed_at",
				  o->attributed_by ? gp_cli_jtime(c->cfg, o->attributed_at)
						   : json_null()));
}

static json_t *outages_of(const struct gp_config *cfg, struct gp_store *st,
			  const struct gp_incident *inc)
{
	struct outages_ctx c = {cfg, inc->id, json_array()};
	gp_store_outage_list(st, inc->service, INT64_MIN, INT64_MAX, outage_json, &c);
	return c.arr;
}

json_t *gp_incident_show_json(const struct gp_config *cfg, struct gp_store *st, int64_t id)
{
	struct gp_incident inc;
	if (!gp_store_incident_get(st, id, &inc))
		return NULL;
	json_t *j = incident_json(cfg, st, &inc);
	json_t *tl = json_array();
	json_t *pair[2] = {tl, (json_t *)cfg};
	gp_store_incident_timeline(st, id, timeline_json, pair);
	json_object_set_new(j, "text", inc.text ? json_string(inc.text) : json_null());
	json_object_set_new(j, "members", inc.members ? json_string(inc.members) : json_null());
	json_object_set_new(j, "acknowledged_by",
			    inc.acknowledged_by ? json_string(inc.acknowledged_by) : json_null());
	json_object_set_new(j, "workaround",
			    inc.workaround ? json_string(inc.workaround) : json_null());
	json_object_set_new(j, "resolution",
			    inc.resolution ? json_string(inc.resolution) : json_null());
	json_object_set_new(j, "response_working_minutes",
			    inc.response_working_seconds >= 0
				    ? json_integer(inc.response_working_seconds / 60)
				    : json_null());
	json_object_set_new(j, "timeline", tl);
	json_object_set_new(j, "outages", outages_of(cfg, st, &inc));
	gp_incident_clear(&inc);
	return j;
}

static int show(struct gp_config *cfg, struct gp_store *st, int64_t id, bool as_json)
{
	struct gp_incident inc;
	if (!gp_store_incident_get(st, id, &inc)) {
		fprintf(stderr, "gprobe incident: no incident #%lld\n", (long long)id);
		return 1;
	}
	json_t *j = incident_json(cfg, st, &inc);
	if (as_json) {
		json_decref(j);
		j = gp_incident_show_json(cfg, st, id);
		gp_cli_print_json(j);
	} else {
		printf("incident #%lld  %s  %s  %s (via %s)\n", (long long)inc.id, inc.service,
		       gp_priority_name(inc.priority), gp_incident_status_name(inc.status),
		       gp_inc_channel_name(inc.channel));
		printf("  %s\n", inc.text ? inc.text : "");
		printf("  opened        %s\n", str(j, "opened_at"));
		printf("  response due  %s%s\n", str(j, "response_due_at"),
		       inc.response_breached ? "  (BREACHED)" : "");
		if (inc.acknowledged_at)
			printf("  acknowledged  %s by %s, after %lld working minutes\n",
			       str(j, "acknowledged_at"), inc.acknowledged_by ? inc.acknowledged_by : "?",
			       (long long)(inc.response_working_seconds / 60));
		if (inc.restored_at)
			printf("  restored      %s\n", str(j, "restored_at"));
		if (inc.resolved_at)
			printf("  resolved      %s: %s\n", str(j, "resolved_at"),
			       inc.resolution ? inc.resolution : "");
		if (inc.closed_at)
			printf("  closed        %s\n", str(j, "closed_at"));
		if (inc.workaround)
			printf("  workaround    %s\n", inc.workaround);
		printf("  attribution   %s%s%s%s\n", gp_attribution_name(inc.attribution),
		       inc.members ? " (down: " : "", inc.members ? inc.members : "",
		       inc.members ? ")" : "");
		json_t *outages = outages_of(cfg, st, &inc);
		size_t k;
		json_t *o;
		if (json_array_size(outages))
			printf("\noutages (attribute --outage N):\n");
		json_array_foreach(outages, k, o) {
			const char *to = json_string_value(json_object_get(o, "to"));
			const char *by = json_string_value(json_object_get(o, "attributed_by"));
			/* By a person: who and when; else the probe's default. */
			char who[200] = "";
			if (by)
				snprintf(who, sizeof(who), " by %s at %s", by, str(o, "attributed_at"));
			printf("  %lld  %s .. %s  %s%s  down: %s\n",
			       (long long)json_integer_value(json_object_get(o, "n")), str(o, "from"),
			       to ? to : "(open)", str(o, "attribution"), who, str(o, "members"));
		}
		json_decref(outages);
		printf("\ntimeline:\n");
		gp_store_incident_timeline(st, id, print_event, cfg);
	}
	json_decref(j);
	gp_incident_clear(&inc);
	return 0;
}

static int incident_usage(FILE *out)
{
	fprintf(out,
		"usage: gprobe [-c FILE] incident open --service S --priority P1..P4\n"
		"                  --channel phone|email|web --reported-at TIME --text TEXT\n"
		"       gprobe incident show ID [--json]\n"
		"       gprobe incident ack ID --by NAME [--at TIME]   taken into work\n"
		"       gprobe incident note ID TEXT\n"
		"       gprobe incident workaround ID TEXT\n"
		"       gprobe incident resolve ID TEXT [--at TIME]    what was done\n"
		"       gprobe incident confirm ID              the customer confirms: closed\n"
		"       gprobe incident reject ID --reason TEXT back to acknowledged\n"
		"       gprobe incident void ID --reason TEXT   a false alarm: out of the penalty\n"
		"       gprobe incident attribute ID supplier|customer|third-party --reason TEXT"
		" [--outage N]\n"
		"       gprobe incident wait ID --reason TEXT   waiting for the customer: the\n"
		"                                              resolution clock stops\n"
		"       gprobe incident resume ID              the clock runs again\n\n"
		"TIME is ISO 8601 (2026-11-03T14:00, in calendar.timezone unless it has an\n"
		"offset). The response target of a request is 15 working minutes by phone,\n"
		"60 by e-mail, 60 for one registered in the customer's ticket system (web;\n"
		"incidents.response_target_*). A transition the incident's status does not allow is refused\n"
		"(exit 1) saying which statuses allow it. --at: when it was done, for an\n"
		"ack or a resolution entered after the fact (not in the future, not before\n"
		"the registration, the acknowledgement or the restore); the timeline keeps\n"
		"both times.\n");
	return out == stdout ? 0 : 1;
}

static int open_manual(struct gp_config *cfg, struct gp_store *st, int argc, char **argv)
{
	const char *service = gp_cli_flag(argc, argv, "--service");
	const char *priority = gp_cli_flag(argc, argv, "--priority");
	const char *channel = gp_cli_flag(argc, argv, "--channel");
	const char *reported = gp_cli_flag(argc, argv, "--reported-at");
	const char *text = gp_cli_flag(argc, argv, "--text");
	if (!service || !priority || !channel || !reported || !text)
		return incident_usage(stderr);
	int64_t at;
	const char *why;
	if (!gp_cal_parse_time(&cfg->calendar, reported, &at, &why)) {
		fprintf(stderr, "gprobe incident open: --reported-at '%s': %s\n", reported, why);
		return 1;
	}
	char err[512] = "";
	int64_t id = 0;
	if (gp_store_begin(st) != 0 ||
	    gp_inc_open_manual(st, cfg, service, priority, channel, at, text, gp_cli_login_name(),
			       (int64_t)time(NULL), &id, err, sizeof(err)) != 0 ||
	    gp_store_commit(st) != 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "database: %s", gp_store_error(st));
		gp_store_rollback(st);
		fprintf(stderr, "gprobe incident open: %s\n", err);
		return 1;
	}
	struct gp_incident inc;
	gp_store_incident_get(st, id, &inc);
	char due[40];
	gp_format_local(inc.response_due_at, cfg->calendar.timezone, due, sizeof(due));
	printf("incident #%lld opened for %s (%s, via %s); response due %s\n", (long long)id,
	       service, priority, channel, due);
	gp_incident_clear(&inc);
	return 0;
}

/* --outage N (attribute only): the incident's N-th outage, 1-based; 0
 * when absent (its latest). */
static bool outage_flag(const char *sub, enum gp_inc_cmd cmd, int argc, char **argv,
			int64_t *n)
{
	const char *v = gp_cli_flag(argc, argv, "--outage"), *why;
	*n = 0;
	if (!v)
		return true;
	if (cmd != GP_INC_ATTRIBUTE) {
		fprintf(stderr, "gprobe incident %s: --outage is for attribute only\n", sub);
		return false;
	}
	if (!gp_parse_int64(v, 1, 100000, n, &why)) {
		fprintf(stderr, "gprobe incident %s: --outage '%s': %s (the outage's number, 1 the "
			"first, as incident show lists them)\n", sub, v, why);
		return false;
	}
	return true;
}

/* --at TIME, when given: *at (else 0). False after saying what is wrong. */
static bool at_flag(const struct gp_config *cfg, const char *sub, int argc, char **argv,
		    int64_t *at)
{
	const char *v = gp_cli_flag(argc, argv, "--at"), *why;
	*at = 0;
	if (!v)
		return !gp_cli_has(argc, argv, "--at") ||
		       (fprintf(stderr, "gprobe incident %s: missing --at TIME\n", sub), false);
	if (!gp_cal_parse_time(&cfg->calendar, v, at, &why)) {
		fprintf(stderr, "gprobe incident %s: --at '%s': %s\n", sub, v, why);
		return false;
	}
	return true;
}

int gp_cmd_incident(struct gp_cli *cli, int argc, char **argv)
{
	if (argc < 2 || gp_cli_want_help(argc, argv))
		return incident_usage(argc < 2 ? stderr : stdout);
	static const struct {
		const char *name;
		enum gp_inc_cmd cmd;
		const char *arg_flag; /* NULL: the positional TEXT; "" : none */
		const char *reason_flag;
	} cmds[] = {
		{"ack", GP_INC_ACK, "--by", NULL},
		{"note", GP_INC_NOTE, NULL, NULL},
		{"workaround", GP_INC_WORKAROUND, NULL, NULL},
		{"resolve", GP_INC_RESOLVE, NULL, NULL},
		{"confirm", GP_INC_CONFIRM, "", NULL},
		{"reject", GP_INC_REJECT, "--reason", NULL},
		{"void", GP_INC_VOID, "--reason", NULL},
		{"attribute", GP_INC_ATTRIBUTE, NULL, "--reason"},
		{"wait", GP_INC_WAIT, "--reason", NULL},
		{"resume", GP_INC_RESUME, "", NULL},
	};
	const char *sub = argv[1];
	bool is_open = !strcmp(sub, "open"), is_show = !strcmp(sub, "show");
	int which = -1;
	for (size_t i = 0; i < GP_ARRAY_LEN(cmds); i++)
		if (!strcmp(sub, cmds[i].name))
			which = (int)i;
	if (!is_open && !is_show && which < 0) {
		fprintf(stderr, "gprobe incident: unknown command '%s'\n\n", sub);
		return incident_usage(stderr);
	}
	int64_t id = 0;
	if (!is_open) {
		const char *why;
		if (argc < 3 || !gp_parse_int64(argv[2], 1, INT64_MAX, &id, &why)) {
			fprintf(stderr, "gprobe incident %s: expected an incident ID\n", sub);
			return 1;
		}
	}
	struct gp_config *cfg;
	struct gp_store *st;
	if (gp_cli_open(cli, !is_show, &cfg, &st, "incident") != 0)
		return 1;
	int rc;
	if (is_open) {
		rc = open_manual(cfg, st, argc, argv);
	} else if (is_show) {
		rc = show(cfg, st, id, argc > 3 && !strcmp(argv[3], "--json"));
	} else {
		const char *arg = NULL, *reason = NULL;
		int64_t at = 0, outage = 0;
		if (!cmds[which].arg_flag)
			arg = argc > 3 ? argv[3] : NULL;
		else if (*cmds[which].arg_flag)
			arg = gp_cli_flag(argc, argv, cmds[which].arg_flag);
		else
			arg = "";
		if (cmds[which].reason_flag)
			reason = gp_cli_flag(argc, argv, cmds[which].reason_flag);
		bool no_arg_needed = cmds[which].arg_flag && !*cmds[which].arg_flag;
		if (!arg || (!*arg && !no_arg_needed) ||
		    (cmds[which].reason_flag && (!reason || !*reason))) {
			fprintf(stderr, "gprobe incident %s: missing %s%s\n", sub,
				cmds[which].arg_flag ? cmds[which].arg_flag : "TEXT",
				cmds[which].reason_flag ? " and --reason TEXT" : "");
			rc = 1;
		} else if (!at_flag(cfg, sub, argc, argv, &at) ||
			   !outage_flag(sub, cmds[which].cmd, argc, argv, &outage)) {
			rc = 1;
		} else {
			char err[512] = "";
			const char *actor = cmds[which].cmd == GP_INC_ACK ? arg : gp_cli_login_name();
			int64_t now = (int64_t)time(NULL);
			if (gp_store_begin(st) != 0 ||
			    (cmds[which].cmd == GP_INC_ATTRIBUTE
				     ? gp_inc_attribute(st, cfg, id, arg, (int)outage, reason, actor, now,
							err, sizeof(err))
				     : gp_inc_command(st, cfg, id, cmds[which].cmd, arg, reason, actor,
						      now, at, err, sizeof(err))) != 0 ||
			    gp_store_commit(st) != 0) {
				if (!err[0])
					snprintf(err, sizeof(err), "database: %s", gp_store_error(st));
				gp_store_rollback(st);
				fprintf(stderr, "gprobe incident %s: %s\n", sub, err);
				rc = 1;
			} else {
				struct gp_incident inc;
				gp_store_incident_get(st, id, &inc);
				printf("incident #%lld: %s\n", (long long)id,
				       gp_incident_status_name(inc.status));
				gp_incident_clear(&inc);
				rc = 0;
			}
		}
	}
	gp_store_close(st);
	gp_config_free(cfg);
	return rc;
}
