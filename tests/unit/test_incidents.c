/*
 * The incident manager on a real database, with the clock passed in:
 * opening, the reopen window, restore, the response clock in working time,
 * escalation, resolve/confirm/reject, auto-close, requests by phone,
 * attribution (each outage's, with who attributed it and when, and its
 * migration from schema 11), void, and every refused transition's message.
 *
 * Estate: tests/configs/good/engine.yaml (a, b: supplier; c: customer;
 * gw: third-party; services ha, one, both), default calendar (Asia/Almaty,
 * Monday-Friday 09:00-18:00), response target 60 working minutes, reopen
 * window 30 minutes, auto-close after 5 working days.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "incidents.h"

/* The migration test builds a database as gprobe of schema 11 left it. */
#include "sqlite/sqlite.h"

enum { S_HA = 0, S_ONE = 1, S_BOTH = 2 };

struct fx {
	struct gp_config *cfg;
	struct gp_store *st;
	char dir[64];
	char err[512];
};

static int64_t T(struct fx *f, const char *iso)
{
	return testdb_time(f->cfg, iso);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	testdb_open(CONFIG_DIR "/good/engine.yaml", "incidents", f->dir, &f->cfg, &f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	testdb_close(f->dir, f->cfg, f->st);
	free(f);
	return 0;
}

static struct gp_incident get(struct fx *f, int64_t id)
{
	struct gp_incident inc;
	assert_true(gp_store_incident_get(f->st, id, &inc));
	return inc;
}

static void assert_status(struct fx *f, int64_t id, const char *status)
{
	struct gp_incident inc = get(f, id);
	assert_string_equal(gp_incident_status_name(inc.status), status);
	gp_incident_clear(&inc);
}

static int cmd(struct fx *f, int64_t id, enum gp_inc_cmd c, const char *arg, const char *reason,
	       int64_t now)
{
	f->err[0] = '\0';
	return gp_inc_command(f->st, f->cfg, id, c, arg, reason, "tester", now, 0, f->err,
			      sizeof(f->err));
}

struct count_ctx {
	int n;
	const char *kind;
	int of_kind;
};

static void count_event(void *ctx, const struct gp_incident_event *ev)
{
	struct count_ctx *c = ctx;
	c->n++;
	if (c->kind && !strcmp(ev->kind, c->kind))
		c->of_kind++;
}

static int events_of(struct fx *f, int64_t id, const char *kind)
{
	struct count_ctx c = {0, kind, 0};
	gp_store_incident_timeline(f->st, id, count_event, &c);
	return c.of_kind;
}

static void test_outage_opens_restores_and_reopens(void **state)
{
	struct fx *f = *state;
	int64_t t0 = T(f, "2026-11-25T10:00"); /* a Wednesday */
	assert_int_equal(gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0 - 10, "a", t0, f->err,
					      sizeof(f->err)),
			 0);
	struct gp_incident inc = get(f, 1);
	assert_string_equal(gp_incident_status_name(inc.status), "open");
	assert_string_equal(gp_priority_name(inc.priority), "P1");
	assert_string_equal(gp_inc_channel_name(inc.channel), "probe");
	assert_string_equal(gp_attribution_name(inc.attribution), "supplier");
	assert_int_equal(inc.outage_start, t0 - 10);
	assert_int_equal(inc.response_due_at, t0 + 3600); /* 60 working minutes */
	gp_incident_clear(&inc);

	/* Up again: restored. */
	assert_int_equal(gp_inc_service_up(f->st, f->cfg, S_ONE, t0 + 600, t0 - 10, f->err,
					   sizeof(f->err)),
			 0);
	assert_status(f, 1, "restored");
	/* Down again 20 minutes later: inside the 30-minute window, the same
	 * incident is reopened. */
	assert_int_equal(gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0 + 1800, "a", t0 + 1810,
					      f->err, sizeof(f->err)),
			 0);
	assert_status(f, 1, "open");
	assert_int_equal(events_of(f, 1, "reopened"), 1);
	assert_false(gp_store_incident_get(f->st, 2, &inc));
	/* Restored, then down again an hour later: a new incident. */
	gp_inc_service_up(f->st, f->cfg, S_ONE, t0 + 1900, t0 + 1800, f->err, sizeof(f->err));
	assert_int_equal(gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0 + 5600, "a", t0 + 5610,
					      f->err, sizeof(f->err)),
			 0);
	assert_status(f, 1, "restored");
	assert_status(f, 2, "open");
}

static void test_response_clock_and_escalation(void **state)
{
	struct fx *f = *state;
	/* Opened at 17:30 on Wednesday: due 09:30 on Thursday. */
	int64_t t0 = T(f, "2026-11-25T17:30");
	gp_inc_outage_opened(f->st, f->cfg, S_HA, t0, "a,b", t0, f->err, sizeof(f->err));
	struct gp_incident inc = get(f, 1);
	assert_int_equal(inc.response_due_at, T(f, "2026-11-26T09:30"));
	gp_incident_clear(&inc);
	/* Overnight nothing happens; at 09:30 it escalates, once. */
	assert_int_equal(gp_inc_tick(f->st, f->cfg, T(f, "2026-11-26T09:29"), f->err,
				     sizeof(f->err)),
			 0);
	assert_int_equal(events_of(f, 1, "escalation"), 0);
	gp_inc_tick(f->st, f->cfg, T(f, "2026-11-26T09:30"), f->err, sizeof(f->err));
	gp_inc_tick(f->st, f->cfg, T(f, "2026-11-26T09:31"), f->err, sizeof(f->err));
	assert_int_equal(events_of(f, 1, "escalation"), 1);
	/* Acknowledged at 09:45: 30 minutes on Wednesday and 45 on Thursday,
	 * 75 working minutes; the target was 60: breached. */
	assert_int_equal(cmd(f, 1, GP_INC_ACK, "duty-engineer", NULL, T(f, "2026-11-26T09:45")), 0);
	inc = get(f, 1);
	assert_string_equal(gp_incident_status_name(inc.status), "acknowledged");
	assert_string_equal(inc.acknowledged_by, "duty-engineer");
	assert_int_equal(inc.response_working_seconds, 75 * 60);
	assert_true(inc.response_breached);
	gp_incident_clear(&inc);
	/* A second ack is refused. */
	assert_int_equal(cmd(f, 1, GP_INC_ACK, "someone", NULL, T(f, "2026-11-26T09:50")), -1);
	assert_string_equal(f->err, "incident #1 is acknowledged: 'ack' is allowed only when it "
				    "is open restored");
}

static void test_resolve_confirm_reject_autoclose(void **state)
{
	struct fx *f = *state;
	int64_t t0 = T(f, "2026-11-27T16:00"); /* a Friday */
	gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0, "a", t0, f->err, sizeof(f->err));
	/* Not acknowledged, not restored: resolve and confirm are refused. */
	assert_int_equal(cmd(f, 1, GP_INC_RESOLVE, "restarted", NULL, t0 + 60), -1);
	assert_string_equal(f->err, "incident #1 is open: 'resolve' is allowed only when it is "
				    "acknowledged restored");
	assert_int_equal(cmd(f, 1, GP_INC_CONFIRM, "", NULL, t0 + 60), -1);
	assert_string_equal(f->err,
			    "incident #1 is open: 'confirm' is allowed only when it is resolved");
	assert_int_equal(cmd(f, 1, GP_INC_ACK, "eng", NULL, t0 + 120), 0);
	/* Still down: not resolvable yet. */
	assert_int_equal(cmd(f, 1, GP_INC_RESOLVE, "restarted", NULL, t0 + 180), -1);
	assert_non_null(strstr(f->err, "still down"));
	assert_int_equal(cmd(f, 1, GP_INC_WORKAROUND, "traffic to the backup", NULL, t0 + 200), 0);
	gp_inc_service_up(f->st, f->cfg, S_ONE, t0 + 600, t0, f->err, sizeof(f->err));
	assert_int_equal(cmd(f, 1, GP_INC_RESOLVE, "Stat Server restarted", NULL,
			     T(f, "2026-11-27T17:00")),
			 0);
	/* Rejected: back in work; resolved again. */
	assert_int_equal(cmd(f, 1, GP_INC_REJECT, "still slow", NULL, T(f, "2026-11-27T17:00")), 0);
	assert_status(f, 1, "acknowledged");
	assert_int_equal(cmd(f, 1, GP_INC_RESOLVE, "index rebuilt", NULL, T(f, "2026-11-27T17:00")),
			 0);
	/* Five working days of nine hours after Friday 17:00: one hour on
	 * Friday, 36 Monday-Thursday, eight on Friday: 17:00 a week later. */
	int64_t close_at = T(f, "2026-12-04T17:00");
	assert_int_equal(gp_inc_auto_close_at(f->cfg, T(f, "2026-11-27T17:00")), close_at);
	gp_inc_tick(f->st, f->cfg, close_at - 1, f->err, sizeof(f->err));
	assert_status(f, 1, "resolved");
	gp_inc_tick(f->st, f->cfg, close_at, f->err, sizeof(f->err));
	assert_status(f, 1, "closed");
	assert_int_equal(events_of(f, 1, "auto-closed"), 1);
	/* Closed is final but for notes, void and attribution. */
	assert_int_equal(cmd(f, 1, GP_INC_REJECT, "too late", NULL, close_at + 60), -1);
	assert_int_equal(cmd(f, 1, GP_INC_NOTE, "customer called", NULL, close_at + 60), 0);
}

static void test_confirm_closes(void **state)
{
	struct fx *f = *state;
	int64_t t0 = T(f, "2026-11-25T11:00");
	int64_t id;
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "both", "P2", "email", t0,
					    "reports are empty", "operator", t0 + 5, &id, f->err,
					    sizeof(f->err)),
			 0);
	assert_int_equal(cmd(f, id, GP_INC_ACK, "eng", NULL, t0 + 600), 0);
	assert_int_equal(cmd(f, id, GP_INC_RESOLVE, "report job fixed", NULL, t0 + 3600), 0);
	assert_int_equal(cmd(f, id, GP_INC_CONFIRM, "", NULL, t0 + 7200), 0);
	struct gp_incident inc = get(f, id);
	assert_string_equal(gp_incident_status_name(inc.status), "closed");
	assert_int_equal(inc.closed_at, t0 + 7200);
	assert_false(inc.response_breached);
	gp_incident_clear(&inc);
}

/* A request registered in the customer's ticket system: the web channel
 * and its own response target (60 working minutes by default). */
static void test_request_via_web(void **state)
{
	struct fx *f = *state;
	int64_t id;
	/* Friday 17:30: 30 minutes that day, 30 on Monday. */
	int64_t at = T(f, "2026-11-27T17:30");
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "ha", "P3", "web", at, "InfraManager #77",
					    "noc", at + 60, &id, f->err, sizeof(f->err)),
			 0);
	struct gp_incident inc = get(f, id);
	assert_string_equal(gp_inc_channel_name(inc.channel), "web");
	assert_int_equal(inc.response_due_at, T(f, "2026-11-30T09:30"));
	gp_incident_clear(&inc);
	int64_t id2;
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "ha", "P3", "probe", at, "x", "noc", at,
					    &id2, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "channel 'probe': phone, email or web");
}

/* The resolution clock stops while the supplier waits for the customer
 * (contract 8.4, 8.8): hand-computed across a weekend and a holiday. P2
 * resolves in 8 working hours; Monday 2026-12-14 is made a holiday. */
static void test_waiting_moves_the_resolution_deadline(void **state)
{
	struct fx *f = *state;
	f->cfg->incidents.resolution_ms[1] = 8 * 3600000LL;
	struct gp_calendar *cal = &f->cfg->calendar;
	cal->holidays = gp_xrealloc(cal->holidays, (cal->n_holidays + 1) * sizeof(*cal->holidays));
	cal->holidays[cal->n_holidays++] = (struct gp_date){2026, 12, 14};
	int64_t id;
	/* Friday 16:00. Without waiting: Friday 2 h, Monday off, Tuesday 6 h. */
	int64_t fri16 = T(f, "2026-12-11T16:00");
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "ha", "P2", "phone", fri16,
					    "reports are empty", "noc", fri16 + 60, &id, f->err,
					    sizeof(f->err)),
			 0);
	struct gp_incident inc = get(f, id);
	struct gp_inc_resolution r;
	assert_int_equal(gp_inc_resolution(f->st, f->cfg, &inc, fri16 + 60, &r), 0);
	assert_int_equal(r.due_at, T(f, "2026-12-15T15:00"));
	assert_false(r.waiting);
	gp_incident_clear(&inc);
	/* Friday 17:00: waiting for the customer's logs. */
	assert_int_equal(gp_inc_command(f->st, f->cfg, id, GP_INC_WAIT, "the customer's logs", NULL,
					"noc", T(f, "2026-12-11T17:00"), 0, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gp_inc_command(f->st, f->cfg, id, GP_INC_WAIT, "again", NULL, "noc",
					T(f, "2026-12-11T17:05"), 0, f->err, sizeof(f->err)),
			 -1);
	/* Monday noon, still waiting: 1 working hour waited (Friday 17-18;
	 * the weekend and the holiday are not working time). */
	inc = get(f, id);
	assert_int_equal(gp_inc_resolution(f->st, f->cfg, &inc, T(f, "2026-12-14T12:00"), &r), 0);
	assert_true(r.waiting);
	assert_int_equal(r.waiting_seconds, 3600);
	assert_int_equal(r.due_at, T(f, "2026-12-15T16:00"));
	assert_false(r.breached);
	gp_incident_clear(&inc);
	/* Tuesday 10:00: the logs came. 2 working hours waited in all. */
	assert_int_equal(gp_inc_command(f->st, f->cfg, id, GP_INC_RESUME, "", NULL, "noc",
					T(f, "2026-12-15T10:00"), 0, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gp_inc_command(f->st, f->cfg, id, GP_INC_ACK, "ivanov", NULL, "ivanov",
					T(f, "2026-12-15T10:05"), 0, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(gp_inc_command(f->st, f->cfg, id, GP_INC_RESOLVE, "export fixed", NULL,
					"ivanov", T(f, "2026-12-15T16:30"), 0, f->err,
					sizeof(f->err)),
			 0);
	inc = get(f, id);
	assert_int_equal(gp_inc_resolution(f->st, f->cfg, &inc, T(f, "2026-12-16T09:00"), &r), 0);
	assert_false(r.waiting);
	assert_int_equal(r.waiting_seconds, 2 * 3600);
	/* 8 h + 2 h from Friday 16:00: Friday 2 h, Tuesday 8 h: 17:00. */
	assert_int_equal(r.due_at, T(f, "2026-12-15T17:00"));
	assert_false(r.breached); /* resolved at 16:30 */
	gp_incident_clear(&inc);
	assert_int_equal(events_of(f, id, "wait"), 1);
	assert_int_equal(events_of(f, id, "resume"), 1);
}

static void test_requests_by_phone(void **state)
{
	struct fx *f = *state;
	int64_t id;
	/* Friday 17:55 by phone: 15 working minutes, Monday 09:10. */
	int64_t at = T(f, "2026-11-27T17:55");
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "ha", "P2", "phone", at,
					    "operators see no statistics", "noc", at + 60, &id,
					    f->err, sizeof(f->err)),
			 0);
	struct gp_incident inc = get(f, id);
	assert_string_equal(gp_inc_channel_name(inc.channel), "phone");
	assert_string_equal(gp_incident_status_name(inc.status), "open");
	assert_int_equal(inc.opened_at, at);
	assert_int_equal(inc.response_due_at, T(f, "2026-11-30T09:10"));
	gp_incident_clear(&inc);
	/* One open incident per service. */
	int64_t id2;
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "ha", "P1", "email", at, "again", "noc",
					    at + 120, &id2, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "service 'ha' already has incident #1 in work (open): add a "
				    "note to it (gprobe incident note 1 TEXT)");
	/* The probe's outage of the same service is noted on it. */
	gp_inc_outage_opened(f->st, f->cfg, S_HA, at + 200, "a,b", at + 230, f->err,
			     sizeof(f->err));
	assert_false(gp_store_incident_get(f->st, 2, &inc));
	assert_int_equal(events_of(f, 1, "outage"), 1);
	/* Bad input. */
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "nope", "P1", "phone", at, "x", "noc",
					    at, &id2, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "no service 'nope' in the config");
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "one", "P7", "phone", at, "x", "noc",
					    at, &id2, f->err, sizeof(f->err)),
			 -1);
	assert_int_equal(gp_inc_open_manual(f->st, f->cfg, "one", "P1", "fax", at, "x", "noc", at,
					    &id2, f->err, sizeof(f->err)),
			 -1);
	assert_string_equal(f->err, "channel 'fax': phone, email or web");
}

static void test_attribution(void **state)
{
	struct fx *f = *state;
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "a")), "supplier");
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "a,c")), "supplier");
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "c")), "customer");
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "gw")), "third-party");
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "c,gw")), "unattributed");
	assert_string_equal(gp_attribution_name(gp_inc_attribution(f->cfg, "")), "unattributed");
	int64_t t0 = T(f, "2026-11-25T10:00");
	gp_inc_outage_opened(f->st, f->cfg, S_BOTH, t0, "c", t0, f->err, sizeof(f->err));
	struct gp_incident inc = get(f, 1);
	assert_string_equal(gp_attribution_name(inc.attribution), "customer");
	gp_incident_clear(&inc);
	/* An override is audited with its reason. */
	assert_int_equal(cmd(f, 1, GP_INC_ATTRIBUTE, "supplier", "our change broke their DB",
			     t0 + 60),
			 0);
	inc = get(f, 1);
	assert_string_equal(gp_attribution_name(inc.attribution), "supplier");
	gp_incident_clear(&inc);
	assert_int_equal(events_of(f, 1, "attribute"), 1);
	assert_int_equal(cmd(f, 1, GP_INC_ATTRIBUTE, "nobody", "x", t0 + 60), -1);
	assert_string_equal(f->err, "attribution 'nobody': supplier, customer or third-party");
}

/* The outages of a service as gp_store_outage_list gives them, kept past
 * the callback. */
struct kept_outage {
	int64_t start, end, incident;
	bool has_incident;
	char members[64];
	enum gp_attribution attribution;
	enum gp_incident_status incident_status;
	char *attributed_by; /* NULL: the probe's default */
	int64_t attributed_at;
};
struct kept_outages {
	struct kept_outage v[8];
	int n;
};

static void keep_outage(void *ctx, const struct gp_outage_row *o)
{
	struct kept_outages *k = ctx;
	assert_true(k->n < 8);
	struct kept_outage *c = &k->v[k->n++];
	*c = (struct kept_outage){o->start, o->end, o->incident, o->has_incident, "",
				  o->attribution, o->incident_status,
				  o->attributed_by ? gp_xstrdup(o->attributed_by) : NULL,
				  o->attributed_at};
	snprintf(c->members, sizeof(c->members), "%s", o->members ? o->members : "");
}

static struct kept_outages outages(struct gp_store *st, const char *service)
{
	struct kept_outages k = {.n = 0};
	assert_int_equal(gp_store_outage_list(st, service, INT64_MIN, INT64_MAX, keep_outage, &k), 0);
	return k;
}

static void outages_free(struct kept_outages *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->v[i].attributed_by);
	k->n = 0;
}

/* Each outage keeps who attributed it and when: the person of `incident
 * attribute` (the command's actor, at its time), or no one when the
 * attribution is the probe's default from the components' owners. */
static void test_outage_attributed_by(void **state)
{
	struct fx *f = *state;
	int64_t t0 = T(f, "2026-11-25T10:00");
	/* Down, up, down again within the reopen window: one incident, two
	 * outages, both linked by the probe. */
	assert_int_equal(gp_store_outage_open(f->st, "one", t0, "a"), 0);
	assert_int_equal(gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0, "a", t0, f->err,
					      sizeof(f->err)),
			 0);
	assert_int_equal(gp_store_outage_restore(f->st, "one", t0 + 600), 0);
	assert_int_equal(gp_inc_service_up(f->st, f->cfg, S_ONE, t0 + 600, t0, f->err,
					   sizeof(f->err)),
			 0);
	assert_int_equal(gp_store_outage_open(f->st, "one", t0 + 1200, "a"), 0);
	assert_int_equal(gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0 + 1200, "a", t0 + 1210,
					      f->err, sizeof(f->err)),
			 0);
	struct kept_outages k = outages(f->st, "one");
	assert_int_equal(k.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(k.v[i].incident, 1);
		assert_string_equal(gp_attribution_name(k.v[i].attribution), "supplier");
		assert_null(k.v[i].attributed_by);
		assert_int_equal(k.v[i].attributed_at, 0);
	}
	outages_free(&k);

	/* The first outage to the customer, by ivanov: only that one says so. */
	assert_int_equal(gp_inc_attribute(f->st, f->cfg, 1, "customer", 1, "their OCS maintenance",
					  "ivanov", t0 + 3000, f->err, sizeof(f->err)),
			 0);
	k = outages(f->st, "one");
	assert_int_equal(k.n, 2);
	assert_int_equal(k.v[0].start, t0);
	assert_string_equal(gp_attribution_name(k.v[0].attribution), "customer");
	assert_string_equal(k.v[0].attributed_by, "ivanov");
	assert_int_equal(k.v[0].attributed_at, t0 + 3000);
	assert_int_equal(k.v[1].start, t0 + 1200);
	assert_string_equal(gp_attribution_name(k.v[1].attribution), "supplier");
	assert_null(k.v[1].attributed_by);
	assert_int_equal(k.v[1].attributed_at, 0);
	outages_free(&k);

	/* Without --outage: the latest, by the command's actor at its time;
	 * the first keeps its own. */
	assert_int_equal(cmd(f, 1, GP_INC_ATTRIBUTE, "third-party", "the operator's link",
			     t0 + 3100),
			 0);
	k = outages(f->st, "one");
	assert_string_equal(k.v[0].attributed_by, "ivanov");
	assert_int_equal(k.v[0].attributed_at, t0 + 3000);
	assert_string_equal(gp_attribution_name(k.v[1].attribution), "third-party");
	assert_string_equal(k.v[1].attributed_by, "tester");
	assert_int_equal(k.v[1].attributed_at, t0 + 3100);
	outages_free(&k);

	/* Linked again by the probe (the open one): its default, by no one. */
	assert_int_equal(gp_store_outage_link(f->st, "one", t0 + 1200, 1, GP_ATTR_SUPPLIER), 0);
	k = outages(f->st, "one");
	assert_string_equal(gp_attribution_name(k.v[1].attribution), "supplier");
	assert_null(k.v[1].attributed_by);
	assert_int_equal(k.v[1].attributed_at, 0);
	assert_string_equal(k.v[0].attributed_by, "ivanov");
	outages_free(&k);

	/* No such outage: nothing written, no one recorded. */
	int64_t start = 0;
	bool latest = false;
	assert_int_equal(gp_store_outage_attribute(f->st, 1, 3, GP_ATTR_CUSTOMER, "x", t0 + 3200,
						   &start, &latest),
			 1);
	assert_int_equal(gp_store_outage_attribute(f->st, 99, 0, GP_ATTR_CUSTOMER, "x", t0 + 3200,
						   &start, &latest),
			 1);
}

/* The database file itself, as a migration test builds it: SQLite is the
 * store's to load (libsqlite.h). */
static void raw_open(const char *path, sqlite3 **db)
{
	char err[256] = "";
	assert_true(gp_sq_load(err, sizeof(err)));
	assert_int_equal(sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
			 SQLITE_OK);
}

/* A database of schema 11 (before attributed_by and attributed_at) keeps
 * its outages through the migration; none of them was attributed by
 * anyone the database knows of. */
static void test_migration_11_keeps_outages(void **state)
{
	(void)state;
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/gprobe-test-migrate-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char *path = gp_xasprintf("%s/gprobe.db", dir);
	sqlite3 *db = NULL;
	char err[256] = "";
	raw_open(path, &db);
	assert_int_equal(sq_migrate_to(db, 11, err, sizeof(err)), 0);
	assert_int_equal(sq_user_version(db), 11);
	/* An incident attributed to the customer with two outages: one
	 * attributed (schema 10 on), one of before schema 10 (NULL: the
	 * incident's); and an outage of another service, never linked. */
	const char *rows =
		"INSERT INTO incident (id, service, status, priority, channel, opened_at,"
		"  response_due_at, attribution, outage_start, members)"
		"  VALUES (1, 'one', 'restored', 'P1', 'probe', 1000, 4600, 'customer', 1000, 'a');"
		"INSERT INTO outage (service, start, end_at, members, incident, attribution)"
		"  VALUES ('one', 1000, 1600, 'a', 1, 'supplier');"
		"INSERT INTO outage (service, start, end_at, members, incident, attribution)"
		"  VALUES ('one', 2000, 2600, 'a,b', 1, NULL);"
		"INSERT INTO outage (service, start, end_at, members) VALUES ('ha', 3000, NULL, 'b');";
	assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
	/* The columns are not there yet. */
	assert_int_not_equal(sqlite3_exec(db, "SELECT attributed_by FROM outage", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);

	struct gp_store *st = gp_store_open_dir(dir, true, err, sizeof(err));
	if (!st)
		fprintf(stderr, "%s\n", err);
	assert_non_null(st);
	assert_true(gp_store_schema_version(st) >= 12);
	struct kept_outages k = outages(st, "one");
	assert_int_equal(k.n, 2);
	assert_int_equal(k.v[0].start, 1000);
	assert_int_equal(k.v[0].end, 1600);
	assert_string_equal(k.v[0].members, "a");
	assert_int_equal(k.v[0].incident, 1);
	assert_true(k.v[0].has_incident);
	assert_string_equal(gp_attribution_name(k.v[0].attribution), "supplier");
	assert_string_equal(gp_incident_status_name(k.v[0].incident_status), "restored");
	assert_int_equal(k.v[1].start, 2000);
	assert_int_equal(k.v[1].end, 2600);
	assert_string_equal(k.v[1].members, "a,b");
	assert_string_equal(gp_attribution_name(k.v[1].attribution), "customer");
	for (int i = 0; i < 2; i++) {
		assert_null(k.v[i].attributed_by);
		assert_int_equal(k.v[i].attributed_at, 0);
	}
	outages_free(&k);
	k = outages(st, "ha");
	assert_int_equal(k.n, 1);
	assert_int_equal(k.v[0].start, 3000);
	assert_int_equal(k.v[0].end, 0);
	assert_int_equal(k.v[0].incident, 0);
	assert_false(k.v[0].has_incident);
	assert_null(k.v[0].attributed_by);
	outages_free(&k);

	/* The migrated rows take an attribution by someone like new ones;
	 * by no one (NULL), no time is kept either. */
	int64_t start = 0;
	bool latest = false;
	assert_int_equal(gp_store_outage_attribute(st, 1, 2, GP_ATTR_THIRD_PARTY, "petrov", 5000,
						   &start, &latest),
			 0);
	assert_int_equal(start, 2000);
	assert_true(latest);
	assert_int_equal(gp_store_outage_attribute(st, 1, 1, GP_ATTR_CUSTOMER, NULL, 5100, &start,
						   &latest),
			 0);
	assert_int_equal(start, 1000);
	assert_false(latest);
	k = outages(st, "one");
	assert_null(k.v[0].attributed_by);
	assert_int_equal(k.v[0].attributed_at, 0);
	assert_string_equal(gp_attribution_name(k.v[0].attribution), "customer");
	assert_string_equal(k.v[1].attributed_by, "petrov");
	assert_int_equal(k.v[1].attributed_at, 5000);
	assert_string_equal(gp_attribution_name(k.v[1].attribution), "third-party");
	outages_free(&k);
	gp_store_close(st);

	/* Who and when go together. */
	raw_open(path, &db);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE outage SET attributed_at = NULL"
					      " WHERE attributed_by IS NOT NULL",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE outage SET attributed_by = 'x'"
					      " WHERE attributed_by IS NULL",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	free(path);
	char *rm = gp_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

static void test_void(void **state)
{
	struct fx *f = *state;
	int64_t t0 = T(f, "2026-11-25T10:00");
	gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0, "a", t0, f->err, sizeof(f->err));
	assert_int_equal(cmd(f, 1, GP_INC_VOID, "the probe's own switch rebooted", NULL, t0 + 60),
			 0);
	assert_status(f, 1, "voided");
	assert_int_equal(cmd(f, 1, GP_INC_VOID, "again", NULL, t0 + 70), -1);
	assert_int_equal(cmd(f, 1, GP_INC_ATTRIBUTE, "customer", "x", t0 + 70), -1);
	assert_int_equal(cmd(f, 99, GP_INC_NOTE, "x", NULL, t0 + 70), -1);
	assert_string_equal(f->err, "no incident #99");
	/* A voided incident is not open: the next outage opens a new one. */
	gp_inc_outage_opened(f->st, f->cfg, S_ONE, t0 + 3600, "a", t0 + 3600, f->err,
			     sizeof(f->err));
	assert_status(f, 2, "open");
}

static void test_degraded_for_long_is_p3(void **state)
{
	struct fx *f = *state;
	int64_t since = T(f, "2026-11-25T10:00");
	gp_inc_service_degraded(f->st, f->cfg, S_HA, since, since + 29 * 60, f->err,
				sizeof(f->err));
	struct gp_incident inc;
	assert_false(gp_store_incident_get(f->st, 1, &inc));
	gp_inc_service_degraded(f->st, f->cfg, S_HA, since, since + 30 * 60, f->err,
				sizeof(f->err));
	inc = get(f, 1);
	assert_string_equal(gp_priority_name(inc.priority), "P3");
	assert_string_equal(gp_incident_status_name(inc.status), "open");
	gp_incident_clear(&inc);
	/* Still degraded: no second one. */
	gp_inc_service_degraded(f->st, f->cfg, S_HA, since, since + 40 * 60, f->err,
				sizeof(f->err));
	assert_false(gp_store_incident_get(f->st, 2, &inc));
	/* Up: restored. */
	gp_inc_service_up(f->st, f->cfg, S_HA, since + 50 * 60, 0, f->err, sizeof(f->err));
	assert_status(f, 1, "restored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outage_opens_restores_and_reopens, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_response_clock_and_escalation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_confirm_reject_autoclose, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_confirm_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_by_phone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_via_web, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_moves_the_resolution_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attribution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_attributed_by, setup, teardown),
		cmocka_unit_test(test_migration_11_keeps_outages),
		cmocka_unit_test_setup_teardown(test_void, setup, teardown),
		cmocka_unit_test_setup_teardown(test_degraded_for_long_is_p3, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
