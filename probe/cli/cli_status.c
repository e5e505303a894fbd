/*
 * cli_status.c - `gprobe status [--json]`: services and targets as the
 * daemon last saw them, since when, with every check's last result. Reads
 * the database the daemon writes (read-only, WAL: no locking it out).
 */
#include "cli.h"
#include "state.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct status_ctx {
	struct gp_store *st;
	const char *tz;
	json_t *list;   /* services or targets */
	json_t *checks; /* of the current target */
};

static json_t *json_time(int64_t t, const char *tz)
{
	if (t <= 0)
		return json_null();
	char buf[40];
	gp_format_local(t, tz, buf, sizeof(buf));
	return json_string(buf);
}

static void add_check(void *ctx, const struct gp_check_row *r)
{
	struct status_ctx *c = ctx;
	/* The state shown is the last result's: an operator wants to see a
	 * failing check before it turns hard. */
	const char *state = r->has_result ? gp_state_name(r->state) : "PENDING";
	json_array_append_new(c->checks, json_pack("{s:s, s:s, s:o, s:o}", "name", r->name, "state",
						   state, "value",
						   r->value ? json_string(r->value) : json_null(),
						   "output",
						   r->output ? json_string(r->output) : json_null()));
}

static void add_row(void *ctx, const struct gp_status_row *r)
{
	struct status_ctx *c = ctx;
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", r->name, "state",
			      gp_health_name(r->state), "since",
			      json_time(r->since, c->tz));
	json_array_append_new(c->list, o);
}

static void add_target(void *ctx, const struct gp_status_row *r)
{
	struct status_ctx *c = ctx;
	add_row(ctx, r);
	c->checks = json_array();
	gp_store_list_checks(c->st, r->name, false, add_check, c);
	json_object_set_new(json_array_get(c->list, json_array_size(c->list) - 1), "checks",
			    c->checks);
}

/* Each service's incident in work, and what a DEGRADED one is waiting
 * for: a P3 ("redundancy lost") opens once it has been DEGRADED for
 * incidents.reopen_window, unless an incident of the service is in work
 * (the loss is then noted on that one). */
static void add_incidents(const struct gp_config *cfg, struct gp_store *st, json_t *services)
{
	size_t i;
	json_t *v;
	json_array_foreach(services, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		struct gp_incident inc = {0};
		json_t *j = json_null();
		if (gp_store_incident_in_work(st, name, &inc))
			j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)inc.id, "priority",
				      gp_priority_name(inc.priority), "status",
				      gp_incident_status_name(inc.status));
		json_object_set_new(v, "incident", j);
		struct gp_service_status ss;
		if (json_is_null(j) && gp_store_load_service(st, name, &ss) && ss.state == GP_DEGRADED)
			json_object_set_new(v, "p3_at",
					    json_time(ss.since + cfg->incidents.reopen_window_ms / 1000,
						      cfg->calendar.timezone));
		gp_incident_clear(&inc);
	}
}

static const char *colour(const char *state, bool on)
{
	if (!on)
		return "";
	if (!strcmp(state, "UP") || !strcmp(state, "OK"))
		return "\033[32m";
	if (!strcmp(state, "DOWN") || !strcmp(state, "CRITICAL"))
		return "\033[1;31m";
	if (!strcmp(state, "DEGRADED") || !strcmp(state, "WARNING"))
		return "\033[33m";
	return "\033[35m";
}


/*
 * When the heartbeat is stale nobody knows the states now: each service,
 * target and check says UNKNOWN since the last heartbeat, and keeps what
 * was last seen in last_state. Never the last states as if current.
 */
static void mark_stale(json_t *root, json_t *since)
{
	static const char *const lists[] = {"services", "targets"};
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(root, lists[l]), i, v) {
			json_object_set(v, "last_state", json_object_get(v, "state"));
			json_object_set_new(v, "state", json_string("UNKNOWN"));
			json_object_set(v, "since", since);
			size_t k;
			json_t *c;
			json_array_foreach(json_object_get(v, "checks"), k, c) {
				json_object_set(c, "last_state", json_object_get(c, "state"));
				json_object_set_new(c, "state", json_string("UNKNOWN"));
			}
		}
	}
}

/* "UNKNOWN (was UP)" for a stale state, else the state. */
static const char *shown(json_t *v, char *buf, size_t len)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *was = json_string_value(json_object_get(v, "last_state"));
	if (!was)
		return state;
	snprintf(buf, len, "%s (was %s)", state, was);
	return buf;
}

static void print_table(json_t *root, bool tty, int64_t heartbeat, const char *tz)
{
	const char *reset = tty ? "\033[0m" : "";
	char hb[40], b1[48];
	gp_format_local(heartbeat, tz, hb, sizeof(hb));
	int64_t age = (int64_t)time(NULL) - heartbeat;
	if (heartbeat <= 0)
		printf("DAEMON NEVER RAN: no heartbeat in the database; nothing below is known\n\n");
	else if (age > GP_HEARTBEAT_STALE_S)
		printf("DAEMON NOT RUNNING OR STUCK since %s (last heartbeat %lld s ago): every state "
		       "below is UNKNOWN, with the last one seen\n\n",
		       hb, (long long)age);
	else
		printf("daemon heartbeat %s (%lld s ago)\n\n", hb, (long long)age);
	size_t i;
	json_t *v;
	printf("%-20s %-9s %s\n", "SERVICE", "STATE", "SINCE");
	json_array_foreach(json_object_get(root, "services"), i, v) {
		const char *state = json_string_value(json_object_get(v, "state"));
		printf("%-20s %s%-9s%s %s", json_string_value(json_object_get(v, "name")),
		       colour(state, tty), shown(v, b1, sizeof(b1)), reset,
		       json_string_value(json_object_get(v, "since")));
		json_t *inc = json_object_get(v, "incident");
		const char *p3 = json_string_value(json_object_get(v, "p3_at"));
		if (json_is_object(inc))
			printf("  incident #%lld (%s, %s)",
			       (long long)json_integer_value(json_object_get(inc, "id")),
			       json_string_value(json_object_get(inc, "priority")),
			       json_string_value(json_object_get(inc, "status")));
		else if (p3)
			printf("  redundancy lost: a P3 opens at %s", p3);
		printf("\n");
	}
	printf("\n%-20s %-9s %-26s %s\n", "TARGET / CHECK", "STATE", "SINCE", "LAST OUTPUT");
	json_array_foreach(json_object_get(root, "targets"), i, v) {
		const char *state = json_string_value(json_object_get(v, "state"));
		printf("%-20s %s%-9s%s %s", json_string_value(json_object_get(v, "name")),
		       colour(state, tty), shown(v, b1, sizeof(b1)), reset,
		       json_string_value(json_object_get(v, "since")));
		printf("\n");
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(v, "checks"), k, c) {
			const char *cs = json_string_value(json_object_get(c, "state"));
			const char *out = json_string_value(json_object_get(c, "output"));
			out = out ? out : "";
			printf("  %-18s %s%-9s%s %-26s %.*s\n",
			       json_string_value(json_object_get(c, "name")), colour(cs, tty),
			       shown(c, b1, sizeof(b1)), reset, "", gp_utf8_prefix(out, 100), out);
		}
	}
}

/* Alerts that need a person: failed for good, or undelivered too long. */
static bool add_alert(void *ctx, struct gp_alert *a)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s?}", "id",
					     (json_int_t)a->id, "status",
					     gp_alert_status_name(a->status), "event", a->event,
					     "channel", gp_alert_channel_name(a->channel), "recipient",
					     a->recipient, "attempts", a->attempts, "last_error",
					     a->last_error));
	return true;
}

static bool add_flagged(void *ctx, struct gp_alert *a)
{
	return a->flagged_at ? add_alert(ctx, a) : true;
}

/* Alerts handed to their channel whose acceptance is not recorded: in
 * flight while the daemon runs; with it stopped, cut by a crash (the
 * receiver may have them) and to be sent again, same Message-ID. */
struct sending_ctx {
	json_t *list;
	const char *tz;
};

static bool add_sending(void *ctx, struct gp_alert *a)
{
	struct sending_ctx *c = ctx;
	json_array_append_new(c->list,
			      json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:s?}", "id",
					(json_int_t)a->id, "status", gp_alert_status_name(a->status),
					"event", a->event, "channel",
					gp_alert_channel_name(a->channel), "recipient", a->recipient,
					"attempts", a->attempts, "message_id", a->message_id,
					"attempted_at", json_time(a->attempted_at, c->tz),
					"last_error", a->last_error));
	return true;
}

static void print_alert_row(json_t *v, const char *detail)
{
	printf("  #%lld %s %s to %s, %lld tries: %s\n",
	       (long long)json_integer_value(json_object_get(v, "id")),
	       json_string_value(json_object_get(v, "status")),
	       json_string_value(json_object_get(v, "event")),
	       json_string_value(json_object_get(v, "recipient")),
	       (long long)json_integer_value(json_object_get(v, "attempts")), detail);
}

static void print_alerts(json_t *root)
{
	json_t *a = json_object_get(root, "alerts");
	if (!a)
		return;
	long long q = json_integer_value(json_object_get(a, "queued")),
		  fl = json_integer_value(json_object_get(a, "flagged")),
		  fa = json_integer_value(json_object_get(a, "failed")),
		  h = json_integer_value(json_object_get(a, "held")),
		  se = json_integer_value(json_object_get(a, "sending"));
	if (q + fa + h + se == 0)
		return;
	printf("\nalerts: %lld queued, %lld held back by the rate limit", q, h);
	if (se)
		printf(", %lld sending (handed over, acceptance not yet recorded)", se);
	if (fl)
		printf(", %lld UNDELIVERED FOR TOO LONG", fl);
	if (fa)
		printf(", %lld FAILED (not retried)", fa);
	printf("\n");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(root, "sending_alerts"), i, v) {
		const char *at = json_string_value(json_object_get(v, "attempted_at"));
		char *why = gp_xasprintf("handed over at %s, Message-ID %s", at ? at : "-",
					 json_string_value(json_object_get(v, "message_id")));
		print_alert_row(v, why);
		free(why);
	}
	json_array_foreach(json_object_get(root, "undelivered_alerts"), i, v) {
		const char *e = json_string_value(json_object_get(v, "last_error"));
		print_alert_row(v, e ? e : "-");
	}
}

/* What `status --json` prints, from the store's current snapshot (the
 * web console's /api/status too). */
struct nodes_ctx {
	json_t *list;
	const char *tz;
};

static int add_node(void *ctx, const struct gp_node_info *n)
{
	struct nodes_ctx *c = ctx;
	json_array_append_new(
		c->list,
		json_pack("{s:s, s:s, s:s, s:b, s:o, s:I, s:o, s:I, s:o}", "name", n->name, "site",
			  n->site, "role", n->active ? "active" : "standby", "keeps_ledger",
			  n->ledger, "since",
			  json_time(n->since, c->tz), "lease_age_seconds",
			  (json_int_t)(n->lease_age_ms / 1000), "host",
			  n->host ? json_string(n->host) : json_null(), "seen_age_seconds",
			  (json_int_t)(n->seen_age_ms / 1000), "pid",
			  n->pid > 0 ? json_integer(n->pid) : json_null()));
	return 0;
}

/* The nodes of a probe pair as a table (none for a probe alone). */
static void print_nodes(json_t *root)
{
	json_t *nodes = json_object_get(root, "nodes");
	if (json_array_size(nodes) == 0)
		return;
	printf("\n%-16s %-10s %-14s %-26s %-10s %s\n", "NODE", "SITE", "ROLE", "SINCE", "LEASE AGE",
	       "LAST SEEN");
	size_t i;
	json_t *v;
	json_array_foreach(nodes, i, v) {
		const char *since = json_string_value(json_object_get(v, "since"));
		const char *site = json_string_value(json_object_get(v, "site"));
		char age[32];
		snprintf(age, sizeof(age), "%llds",
			 (long long)json_integer_value(json_object_get(v, "lease_age_seconds")));
		const char *role = json_string_value(json_object_get(v, "role"));
		char rbuf[32];
		if (json_is_true(json_object_get(v, "keeps_ledger")))
			snprintf(rbuf, sizeof(rbuf), "%s+ledger", role);
		printf("%-16s %-10s %-14s %-26s %-10s %llds ago\n",
		       json_string_value(json_object_get(v, "name")), site && *site ? site : "-",
		       json_is_true(json_object_get(v, "keeps_ledger")) ? rbuf : role,
		       since ? since : "-", age,
		       (long long)json_integer_value(json_object_get(v, "seen_age_seconds")));
	}
}

json_t *gp_status_json(const struct gp_config *cfg, struct gp_store *st)
{
	const char *tz = cfg->calendar.timezone;
	struct status_ctx c = {.st = st, .tz = tz};
	json_t *root = json_object();
	c.list = json_array();
	gp_store_list_services(st, add_row, &c);
	add_incidents(cfg, st, c.list);
	json_object_set_new(root, "services", c.list);
	c.list = json_array();
	gp_store_list_targets(st, add_target, &c);
	json_object_set_new(root, "targets", c.list);
	int64_t hb = gp_store_last_heartbeat(st);
	json_object_set_new(root, "heartbeat", json_time(hb, tz));
	int64_t age = hb > 0 ? (int64_t)time(NULL) - hb : -1;
	bool stale = hb <= 0 || age > GP_HEARTBEAT_STALE_S;
	json_object_set_new(root, "daemon",
			    json_pack("{s:s, s:o}", "state",
				      hb <= 0 ? "never-ran" : stale ? "not-running-or-stuck" : "running",
				      "heartbeat_age_seconds",
				      hb > 0 ? json_integer(age) : json_null()));
	if (stale)
		mark_stale(root, json_object_get(root, "heartbeat"));
	struct gp_alert_counts ac;
	if (gp_store_alert_counts(st, &ac) == 0)
		json_object_set_new(root, "alerts",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "queued",
					      (json_int_t)ac.queued, "sending", (json_int_t)ac.sending,
					      "flagged", (json_int_t)ac.flagged, "failed",
					      (json_int_t)ac.failed, "held", (json_int_t)ac.folded,
					      "sent", (json_int_t)ac.sent));
	struct sending_ctx sc = {json_array(), tz};
	gp_store_alert_list(st, GP_ALERT_SENDING, NULL, add_sending, &sc);
	json_object_set_new(root, "sending_alerts", sc.list);
	json_t *bad = json_array();
	gp_store_alert_list(st, GP_ALERT_FAILED, NULL, add_alert, bad);
	gp_store_alert_list(st, GP_ALERT_QUEUED, NULL, add_flagged, bad);
	gp_store_alert_list(st, GP_ALERT_SENDING, NULL, add_flagged, bad);
	json_object_set_new(root, "undelivered_alerts", bad);
	struct nodes_ctx nc = {json_array(), tz};
	gp_store_node_list(st, add_node, &nc);
	json_object_set_new(root, "nodes", nc.list);

	return root;
}

int gp_cmd_status(struct gp_cli *cli, int argc, char **argv)
{
	bool as_json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: gprobe [-c FILE] status [--json]\n\n"
			       "Services and targets as the daemon last saw them, since when, and\n"
			       "each check's last result. Times are in calendar.timezone. Colours\n"
			       "only on a terminal, never with NO_COLOR set.\n");
			return 0;
		} else {
			fprintf(stderr, "gprobe status: unknown argument '%s'\n", argv[i]);
			return 1;
		}
	}
	struct gp_config *cfg = gp_cli_load_config(cli);
	if (!cfg)
		return 1;
	char err[512];
	struct gp_store *st = gp_store_open_probe(&cfg->probe, NULL, false, err, sizeof(err));
	/* One snapshot: the heartbeat and the rows agree. */
	if (!st || gp_store_begin(st) != 0) {
		fprintf(stderr, "gprobe status: %s\n", st ? gp_store_error(st) : err);
		gp_store_close(st);
		gp_config_free(cfg);
		return 1;
	}
	json_t *root = gp_status_json(cfg, st);
	int64_t hb = gp_store_last_heartbeat(st);
	const char *tz = cfg->calendar.timezone;
	if (as_json) {
		char *s = json_dumps(root, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else {
		const char *nc = getenv("NO_COLOR");
		print_table(root, isatty(STDOUT_FILENO) && !(nc && *nc), hb, tz);
		print_alerts(root);
		print_nodes(root);
	}
	json_decref(root);
	gp_store_close(st);
	gp_config_free(cfg);
	return 0;
}
