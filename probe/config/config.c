/*
 * config.c - load and validate the YAML config (see config.h).
 *
 * The file is read into a positioned node tree (yaml.c), then walked
 * section by section. Every problem is added to the error list with the
 * position of the node it is about and the key path ("targets[2].snmp.port"),
 * and the walk goes on, so one run reports every error of the file.
 */
#include "loader.h"
#include "secret.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *gp_owner_name(enum gp_owner o)
{
	switch (o) {
	case GP_OWNER_CUSTOMER:
		return "customer";
	case GP_OWNER_THIRD_PARTY:
		return "third-party";
	default:
		return "supplier";
	}
}

/* ------------------------------------------------------------------ */
/* probe:                                                              */

static const char *const probe_keys[] = {
	"data_dir", "interval", "retry_interval", "attempts", "timeout", "rrdcached",
	"plugin_dir", "profile_dir", "uplink", "rrd", "store", "store_password_file", "node",
	"failover_after", "site", NULL,
};

static void load_store(struct gp_ld *L, const struct gp_ynode *m, struct gp_probe_settings *p)
{
	const struct gp_ynode *v = gp_ld_scalar(L, m, "probe", "store", false);
	if (v) {
		const char *t = v->text;
		if (!strcmp(t, "sqlite"))
			; /* the default */
		else if (!strncmp(t, "postgresql://", 13) || !strncmp(t, "postgres://", 11))
			p->store = gp_xstrdup(t);
		else
			gp_ld_err(L, v, "probe.store: '%s': 'sqlite' or a postgresql:// URI", t);
	}
	gp_ld_file(L, m, "probe", "store_password_file", false, GP_LD_SECRET,
		   &p->store_password_file);
	if (p->store_password_file && !p->store)
		gp_ld_err(L, gp_ymap_get(m, "store_password_file"),
			  "probe.store_password_file: only a postgresql store has a password");
	static const struct {
		const char *key;
		size_t off;
	} names[] = {{"node", offsetof(struct gp_probe_settings, node)},
		     {"site", offsetof(struct gp_probe_settings, site)}};
	for (size_t i = 0; i < GP_ARRAY_LEN(names); i++) {
		const struct gp_ynode *n = gp_ld_scalar(L, m, "probe", names[i].key, false);
		if (!n)
			continue;
		if (!gp_ld_plain_name(n->text))
			gp_ld_err(L, n, "probe.%s: '%s': up to 63 letters, digits, '.', '_' or '-'",
				  names[i].key, n->text);
		else
			*(char **)((char *)p + names[i].off) = gp_xstrdup(n->text);
	}
	/* Sites share one store and one ledger, each probe a node of it. */
	if (p->site && !p->node)
		gp_ld_err(L, gp_ymap_get(m, "site"),
			  "probe.site: the probes of several sites are nodes of one postgresql "
			  "store (probe.node)");
	gp_ld_duration(L, m, "probe", "failover_after", &p->failover_after_ms);
	if (p->failover_after_ms < 3000)
		gp_ld_err(L, gp_ymap_get(m, "failover_after"),
			  "probe.failover_after: at least 3s (the lease is renewed every third of it)");
	if (p->node && !p->store)
		gp_ld_err(L, gp_ymap_get(m, "node"),
			  "probe.node: a probe pair shares a postgresql store (probe.store)");
}

static void load_probe(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_probe_settings *p = &L->cfg->probe;
	p->data_dir = gp_xstrdup("/var/lib/gprobe");
	p->interval_ms = 10000;
	p->retry_interval_ms = 5000;
	p->attempts = 3;
	p->timeout_ms = 5000;
	p->rrd = true;
	p->failover_after_ms = 15000;

	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "probe", false);
	if (!m)
		return;
	gp_ld_check_keys(L, m, "probe", probe_keys);
	load_store(L, m, p);
	const struct gp_ynode *dd = gp_ld_scalar(L, m, "probe", "data_dir", false);
	if (dd) {
		free(p->data_dir);
		p->data_dir = gp_ld_resolve(L, dd->text);
	}
	gp_ld_duration(L, m, "probe", "interval", &p->interval_ms);
	gp_ld_duration(L, m, "probe", "retry_interval", &p->retry_interval_ms);
	gp_ld_intv(L, m, "probe", "attempts", 1, 100, &p->attempts);
	gp_ld_duration(L, m, "probe", "timeout", &p->timeout_ms);
	gp_ld_bool(L, m, "probe", "rrd", &p->rrd);

	const struct gp_ynode *rc = gp_ld_scalar(L, m, "probe", "rrdcached", false);
	if (rc) {
		/* Only a local socket: librrd sends a remote (TCP) rrdcached no
		 * absolute path, so every update over TCP failed. */
		const char *t = rc->text;
		if (strncmp(t, "unix:/", 6) == 0 && !strchr(t, ' '))
			p->rrdcached = gp_xstrdup(t);
		else if (t[0] != '/' && strchr(t, ':') && !strchr(t, ' '))
			gp_ld_err(L, rc,
				  "probe.rrdcached: '%s': rrdcached over TCP is not supported (librrd "
				  "sends a remote daemon no absolute file names); use its local socket, "
				  "unix:/path/to.sock",
				  t);
		else
			gp_ld_err(L, rc,
				  "probe.rrdcached: '%s' is not an rrdcached address (unix:/path/to.sock)",
				  t);
	}
	gp_ld_file(L, m, "probe", "plugin_dir", false, GP_LD_DIR, &p->plugin_dir);
	gp_ld_file(L, m, "probe", "profile_dir", false, GP_LD_DIR, &p->profile_dir);
	gp_ld_str_list(L, m, "probe", "uplink", false, &p->uplink, &p->n_uplink);
}

/* probe.uplink names targets; checked once they are all loaded. */
static void check_uplink(struct gp_ld *L, const struct gp_ynode *root)
{
	const struct gp_ynode *m = gp_ymap_get(root, "probe");
	const struct gp_ynode *seq = m && m->type == GP_Y_MAP ? gp_ymap_get(m, "uplink") : NULL;
	struct gp_probe_settings *p = &L->cfg->probe;
	if (!seq || seq->type != GP_Y_SEQ)
		return;
	p->uplink_target = gp_xcalloc(p->n_uplink + 1, sizeof(*p->uplink_target));
	for (size_t i = 0, k = 0; i < seq->n && k < p->n_uplink; i++) {
		const struct gp_ynode *v = seq->items[i];
		if (v->type != GP_Y_SCALAR || gp_ynode_is_null(v))
			continue;
		const struct gp_target *t = gp_config_target(L->cfg, v->text);
		if (!t)
			gp_ld_err(L, v, "probe.uplink[%zu]: unknown target '%s'", i, v->text);
		else
			p->uplink_target[k] = (size_t)(t - L->cfg->targets);
		k++;
	}
}

/* ------------------------------------------------------------------ */
/* services                                                            */

static const char *const service_keys[] = {"name", "title", "up_when", "priority", NULL};
static const char *const priorities[] = {"P1", "P2", "P3", "P4", NULL};

struct name_check {
	struct gp_ld *L;
	const struct gp_ynode *v;
	const char *path;
	int col_base;
};

static void check_member(const struct gp_expr *e, void *ctx)
{
	struct name_check *nc = ctx;
	if (gp_config_target(nc->L->cfg, e->name))
		return;
	gp_errlist_add(nc->L->el, nc->L->file, nc->v->line, nc->col_base + (int)e->offset,
		       "%s.up_when: unknown target '%s'", nc->path, e->name);
}

static void load_service(struct gp_ld *L, const struct gp_ynode *m, const char *path,
			 struct gp_service *s)
{
	memset(s, 0, sizeof(*s));
	s->pos = (struct gp_pos){m->line, m->col};
	gp_ld_check_keys(L, m, path, service_keys);
	const struct gp_ynode *nn;
	s->name = gp_ld_name(L, m, path, &nn);
	gp_ld_str(L, m, path, "title", false, &s->title);
	if (!s->title && s->name)
		s->title = gp_xstrdup(s->name);
	int pr = 0;
	gp_ld_enum(L, m, path, "priority", priorities, &pr);
	s->priority = (enum gp_priority)(pr + 1);

	const struct gp_ynode *uv = gp_ld_scalar(L, m, path, "up_when", true);
	if (!uv)
		return;
	s->up_when = gp_xstrdup(uv->text);
	/* Columns inside the expression map onto the file for single-line
	 * scalars (a scalar's position is its first character, after any
	 * opening quote). */
	int col_base = uv->col;
	size_t off;
	char why[128];
	s->expr = gp_expr_parse(uv->text, &off, why, sizeof(why));
	if (!s->expr) {
		gp_errlist_add(L->el, L->file, uv->line, col_base + (int)off, "%s.up_when: %s", path,
			       why);
		return;
	}
	struct name_check nc = {L, uv, path, col_base};
	gp_expr_foreach_name(s->expr, check_member, &nc);
}

/* ------------------------------------------------------------------ */
/* contract, calendar, incidents, alerts                               */

static const char *const contract_keys[] = {
	"start", "term_days", "monthly_payment", "value_excl_vat", "value_incl_vat", "vat_percent",
	"penalty_hour_divisor", "penalty_cap_percent", "hour_rounding", "overlap", "number", "date",
	"customer", "supplier", "signatories", NULL,
};

static const char *const signatory_keys[] = {"party", "name", "position", NULL};

/* contract.signatories: who signs the report, for each party. */
static void load_signatories(struct gp_ld *L, const struct gp_ynode *m, struct gp_contract *c)
{
	const struct gp_ynode *seq = gp_ld_sequence(L, m, "contract", "signatories", false);
	static const char *const parties[] = {"customer", "supplier", NULL};
	for (size_t i = 0; seq && i < seq->n; i++) {
		const struct gp_ynode *sm = seq->items[i];
		char *p = gp_xasprintf("contract.signatories[%zu]", i);
		if (sm->type != GP_Y_MAP) {
			gp_ld_err(L, sm, "%s: expected a mapping, got %s", p, gp_ynode_type_name(sm));
			free(p);
			continue;
		}
		gp_ld_check_keys(L, sm, p, signatory_keys);
		struct gp_signatory g = {0};
		int party = 0;
		if (gp_ld_scalar(L, sm, p, "party", true))
			gp_ld_enum(L, sm, p, "party", parties, &party);
		g.party = party == 0 ? GP_OWNER_CUSTOMER : GP_OWNER_SUPPLIER;
		gp_ld_str(L, sm, p, "name", true, &g.name);
		gp_ld_str(L, sm, p, "position", false, &g.position);
		c->signatories = gp_xrealloc(c->signatories, (c->n_signatories + 1) * sizeof(g));
		c->signatories[c->n_signatories++] = g;
		free(p);
	}
}

static void load_contract(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_contract *c = &L->cfg->contract;
	c->term_days = 365;
	c->vat_percent = 12;
	c->penalty_hour_divisor = 720;
	c->penalty_cap_percent = 5;
	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "contract", false);
	if (!m)
		return;
	c->set = true;
	gp_ld_check_keys(L, m, "contract", contract_keys);
	const struct gp_ynode *sv = gp_ld_scalar(L, m, "contract", "start", true);
	if (sv)
		gp_ld_date_node(L, sv, "contract.start", &c->start);
	gp_ld_intv(L, m, "contract", "term_days", 1, 3660, &c->term_days);
	gp_ld_money(L, m, "contract", "monthly_payment", true, &c->monthly_payment_tiyn);
	gp_ld_intv(L, m, "contract", "vat_percent", 0, 100, &c->vat_percent);
	gp_ld_intv(L, m, "contract", "penalty_hour_divisor", 1, 1000000, &c->penalty_hour_divisor);
	gp_ld_intv(L, m, "contract", "penalty_cap_percent", 0, 100, &c->penalty_cap_percent);
	static const char *const roundings[] = {"exact", "ceil", NULL};
	static const char *const overlaps[] = {"union", "sum", NULL};
	int r = 0, o = 0;
	gp_ld_enum(L, m, "contract", "hour_rounding", roundings, &r);
	gp_ld_enum(L, m, "contract", "overlap", overlaps, &o);
	c->hour_rounding = (enum gp_rounding)r;
	c->overlap = (enum gp_overlap)o;
	gp_ld_str(L, m, "contract", "number", false, &c->number);
	const struct gp_ynode *dv = gp_ld_scalar(L, m, "contract", "date", false);
	if (dv)
		c->has_date = gp_ld_date_node(L, dv, "contract.date", &c->date);
	gp_ld_str(L, m, "contract", "customer", false, &c->customer);
	gp_ld_str(L, m, "contract", "supplier", false, &c->supplier);
	load_signatories(L, m, c);

	bool has_ex = gp_ymap_get(m, "value_excl_vat") != NULL;
	bool has_in = gp_ymap_get(m, "value_incl_vat") != NULL;
	if (has_ex && has_in) {
		gp_ld_err(L, gp_ld_key_node(m, "value_incl_vat"),
		       "contract: give value_excl_vat or value_incl_vat, not both");
	} else if (!has_ex && !has_in) {
		gp_ld_err(L, m, "contract: missing required key 'value_excl_vat' (or 'value_incl_vat')");
	} else if (has_ex) {
		gp_ld_money(L, m, "contract", "value_excl_vat", true, &c->value_excl_vat_tiyn);
	} else {
		gp_ld_money(L, m, "contract", "value_incl_vat", true, &c->value_incl_vat_tiyn);
		/* excl = incl * 100 / (100 + VAT), rounded half up to the tiyn. */
		int64_t d = 100 + c->vat_percent;
		c->value_excl_vat_tiyn = (c->value_incl_vat_tiyn * 200 + d) / (2 * d);
	}
}

static const char *const calendar_keys[] = {"timezone", "working_days", "working_hours",
					    "holidays", "holidays_file", "working_weekend_days", NULL};
static const char *const weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

/* holidays_file: one YYYY-MM-DD a line, '#' comments; errors point into it. */
static void load_holidays_file(struct gp_ld *L, struct gp_calendar *cal)
{
	/* Read whole and bounded: a FIFO or /dev/zero named here is refused
	 * (gp_ld_file() said why), never read for ever. */
	char err[256];
	size_t len;
	char *text = gp_read_text_file(cal->holidays_file, 1024 * 1024, &len, err, sizeof(err));
	if (!text)
		return; /* gp_ld_file() said why */
	int ln = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		ln++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s)
			continue;
		struct gp_date d;
		const char *why;
		if (!gp_parse_date(s, &d, &why)) {
			gp_errlist_add(L->el, cal->holidays_file, ln, (int)(s - line) + 1, "'%s': %s", s,
				       why);
			continue;
		}
		cal->holidays = gp_xrealloc(cal->holidays, (cal->n_holidays + 1) * sizeof(d));
		cal->holidays[cal->n_holidays++] = d;
	}
	free(text);
}

static void load_calendar(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_calendar *cal = &L->cfg->calendar;
	cal->timezone = gp_xstrdup("Asia/Almaty");
	cal->working_days = 0x1f;
	cal->work_start_min = 9 * 60;
	cal->work_end_min = 18 * 60;
	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "calendar", false);
	if (!m)
		return;
	gp_ld_check_keys(L, m, "calendar", calendar_keys);

	const struct gp_ynode *tz = gp_ld_scalar(L, m, "calendar", "timezone", false);
	if (tz) {
		/* Read as it will be used: a file that is no TZif zone
		 * (zone.tab, tzdata.zi) is refused here, not taken as UTC. */
		const char *tzdir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
		char *zf = gp_xasprintf("%s/%s", tzdir, tz->text);
		bool exists = !strstr(tz->text, "..") && tz->text[0] != '/' && access(zf, F_OK) == 0;
		free(zf);
		char why[256];
		struct gp_tz *z = exists ? gp_tz_load(tz->text, why, sizeof(why)) : NULL;
		if (!exists) {
			gp_ld_err(L, tz, "calendar.timezone: '%s' is not a zone of the tz database (%s)",
				  tz->text, tzdir);
		} else if (!z) {
			gp_ld_err(L, tz, "calendar.timezone: '%s' is not a zone of the tz database: %s",
				  tz->text, why);
		} else {
			free(cal->timezone);
			cal->timezone = gp_xstrdup(tz->text);
		}
		gp_tz_free(z);
	}

	const struct gp_ynode *wd = gp_ld_sequence(L, m, "calendar", "working_days", false);
	if (wd) {
		cal->working_days = 0;
		for (size_t i = 0; i < wd->n; i++) {
			const struct gp_ynode *v = wd->items[i];
			int found = -1;
			for (int d = 0; weekdays[d] && v->type == GP_Y_SCALAR; d++)
				if (strcmp(weekdays[d], v->text) == 0)
					found = d;
			if (found < 0)
				gp_ld_err(L, v, "calendar.working_days[%zu]: '%s' is not a day (mon..sun)", i,
				       v->type == GP_Y_SCALAR ? v->text : "?");
			else if (cal->working_days & (1u << found))
				gp_ld_err(L, v, "calendar.working_days[%zu]: '%s' is listed twice", i, v->text);
			else
				cal->working_days |= 1u << found;
		}
	}

	const struct gp_ynode *wh = gp_ld_scalar(L, m, "calendar", "working_hours", false);
	if (wh) {
		const char *dash = strchr(wh->text, '-');
		int a = 0, b = 0;
		const char *why = "expected HH:MM-HH:MM";
		bool ok = false;
		if (dash) {
			char *first = gp_xstrndup(wh->text, (size_t)(dash - wh->text));
			ok = gp_parse_hhmm(first, &a, &why) && gp_parse_hhmm(dash + 1, &b, &why);
			free(first);
			if (ok && a >= b) {
				ok = false;
				why = "the end must be after the start";
			}
		}
		if (!ok)
			gp_ld_err(L, wh, "calendar.working_hours: '%s': %s", wh->text, why);
		else {
			cal->work_start_min = a;
			cal->work_end_min = b;
		}
	}
	gp_ld_date_list(L, m, "calendar", "holidays", &cal->holidays, &cal->n_holidays);
	gp_ld_file(L, m, "calendar", "holidays_file", false, GP_LD_PLAIN, &cal->holidays_file);
	if (cal->holidays_file)
		load_holidays_file(L, cal);
	gp_ld_date_list(L, m, "calendar", "working_weekend_days", &cal->working_weekend_days,
		      &cal->n_working_weekend_days);
}

static const char *const incidents_keys[] = {"response_target", "response_target_phone",
					     "response_target_email", "response_target_web",
					     "auto_close_working_days", "reopen_window", "priorities",
					     NULL};
static const char *const priority_names[] = {"P1", "P2", "P3", "P4", NULL};
static const char *const priority_keys[] = {"resolution", NULL};

static void load_incidents(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_incidents *in = &L->cfg->incidents;
	in->response_target_ms = 60 * 60000;
	in->response_target_phone_ms = 15 * 60000;
	in->response_target_email_ms = 60 * 60000;
	in->response_target_web_ms = 60 * 60000;
	in->auto_close_working_days = 5;
	in->reopen_window_ms = 30 * 60000;
	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "incidents", false);
	if (!m)
		return;
	gp_ld_check_keys(L, m, "incidents", incidents_keys);
	gp_ld_duration(L, m, "incidents", "response_target", &in->response_target_ms);
	gp_ld_duration(L, m, "incidents", "response_target_phone", &in->response_target_phone_ms);
	gp_ld_duration(L, m, "incidents", "response_target_email", &in->response_target_email_ms);
	gp_ld_duration(L, m, "incidents", "response_target_web", &in->response_target_web_ms);
	const struct gp_ynode *pm = gp_ld_mapping(L, m, "incidents", "priorities", false);
	if (pm) {
		gp_ld_check_keys(L, pm, "incidents.priorities", priority_names);
		for (int i = 0; i < 4; i++) {
			char *p = gp_xasprintf("incidents.priorities.%s", priority_names[i]);
			const struct gp_ynode *one = gp_ld_mapping(L, pm, "incidents.priorities",
								   priority_names[i], false);
			if (one) {
				gp_ld_check_keys(L, one, p, priority_keys);
				gp_ld_duration(L, one, p, "resolution", &in->resolution_ms[i]);
			}
			free(p);
		}
	}
	gp_ld_intv(L, m, "incidents", "auto_close_working_days", 1, 365, &in->auto_close_working_days);
	gp_ld_duration(L, m, "incidents", "reopen_window", &in->reopen_window_ms);
}

/* An absolute http:// or https:// URL (the webhook's). */
static bool is_web_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
}

static const char *const alerts_keys[] = {"email", "webhook", "undelivered_after",
					  "restore_delay", NULL};
static const char *const email_keys[] = {"smtp_url", "starttls", "user", "password_file", "from",
					 "to", "escalate_to", "language", "timeout", "rate_limit",
					 "ca_file", "reply_to", "reply_secret_file", "ack_from", NULL};
static const char *const webhook_keys[] = {"url", "secret_file", "timeout", NULL};

static void check_addresses(struct gp_ld *L, const struct gp_ynode *m, const char *key, char **v,
			    size_t n)
{
	const struct gp_ynode *seq = gp_ymap_get(m, key);
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(v[i], '@');
		/* ack_from may name a whole domain: "@example.kz". */
		bool domain = !strcmp(key, "ack_from") && at == v[i] && at[1];
		if (!domain && (!at || at == v[i] || !at[1] || strpbrk(v[i], " <>,\r\n")))
			gp_ld_err(L, seq && seq->type == GP_Y_SEQ && i < seq->n ? seq->items[i] : m,
			       "alerts.email.%s[%zu]: '%s' is not an e-mail address", key, i, v[i]);
	}
}

/* alerts.email.reply_to, reply_secret_file, ack_from: replies that
 * gprobe mail-in takes (alerts/mailin.h). */
static void load_replies(struct gp_ld *L, const struct gp_ynode *em, struct gp_email *e)
{
	const char *p = "alerts.email";
	const struct gp_ynode *rv = gp_ld_scalar(L, em, p, "reply_to", false);
	if (rv) {
		e->reply_to = gp_xstrdup(rv->text);
		const char *at = strchr(rv->text, '@');
		/* The tag "+ID.EVENT.TOKEN" (up to 44 characters) must fit the
		 * local part's 64. */
		if (!at || at == rv->text || !at[1] || strchr(at + 1, '@') ||
		    strpbrk(rv->text, " <>,+\"\r\n()[];:\\"))
			gp_ld_err(L, rv, "%s.reply_to: '%s' is not a plain e-mail address (no '+': "
				  "gprobe adds its own tag after one)", p, rv->text);
		else if (at - rv->text > 20)
			gp_ld_err(L, rv, "%s.reply_to: the local part '%.*s' is longer than 20 "
				  "characters: the reply tag would not fit", p, (int)(at - rv->text),
				  rv->text);
	}
	gp_ld_file(L, em, p, "reply_secret_file", false, GP_LD_SECRET, &e->reply_secret_file);
	if (!e->reply_to != !gp_ymap_get(em, "reply_secret_file"))
		gp_ld_err(L, em, "%s: 'reply_to' and 'reply_secret_file' go together", p);
	gp_ld_str_list(L, em, p, "ack_from", false, &e->ack_from, &e->n_ack_from);
	check_addresses(L, em, "ack_from", e->ack_from, e->n_ack_from);
}

static const char *const contact_keys[] = {"name", "email", NULL};

/* contacts: [{name, email}], the customer's responsible people. */
static void load_contacts(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_config *cfg = L->cfg;
	const struct gp_ynode *seq = gp_ld_sequence(L, root, "", "contacts", false);
	for (size_t i = 0; seq && i < seq->n; i++) {
		const struct gp_ynode *cm = seq->items[i];
		char *p = gp_xasprintf("contacts[%zu]", i);
		if (cm->type != GP_Y_MAP) {
			gp_ld_err(L, cm, "%s: expected a mapping {name, email}, got %s", p,
				  gp_ynode_type_name(cm));
			free(p);
			continue;
		}
		gp_ld_check_keys(L, cm, p, contact_keys);
		struct gp_contact c = {0};
		gp_ld_str(L, cm, p, "name", true, &c.name);
		gp_ld_str(L, cm, p, "email", true, &c.email);
		if (c.email) {
			const char *at = strchr(c.email, '@');
			if (!at || at == c.email || !at[1] || strpbrk(c.email, " <>,\r\n"))
				gp_ld_err(L, gp_ymap_get(cm, "email"),
					  "%s.email: '%s' is not an e-mail address", p, c.email);
			for (size_t j = 0; j < cfg->n_contacts; j++)
				if (cfg->contacts[j].email && !strcasecmp(cfg->contacts[j].email, c.email))
					gp_ld_err(L, gp_ymap_get(cm, "email"),
						  "%s.email: '%s' is listed twice", p, c.email);
		}
		cfg->contacts = gp_xrealloc(cfg->contacts, (cfg->n_contacts + 1) * sizeof(c));
		cfg->contacts[cfg->n_contacts++] = c;
		free(p);
	}
}

static void load_alerts(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_email *e = &L->cfg->email;
	struct gp_webhook *w = &L->cfg->webhook;
	e->language = gp_xstrdup("ru");
	e->timeout_ms = 30000;
	e->rate_limit = 30;
	w->timeout_ms = 10000;
	L->cfg->alerts.undelivered_after_ms = 24 * 3600 * 1000LL;
	L->cfg->alerts.restore_delay_ms = 60 * 1000;
	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "alerts", false);
	if (!m)
		return;
	gp_ld_check_keys(L, m, "alerts", alerts_keys);
	gp_ld_duration(L, m, "alerts", "undelivered_after", &L->cfg->alerts.undelivered_after_ms);
	gp_ld_duration(L, m, "alerts", "restore_delay", &L->cfg->alerts.restore_delay_ms);

	const struct gp_ynode *em = gp_ld_mapping(L, m, "alerts", "email", false);
	if (em) {
		const char *p = "alerts.email";
		e->set = true;
		gp_ld_check_keys(L, em, p, email_keys);
		const struct gp_ynode *u = gp_ld_scalar(L, em, p, "smtp_url", true);
		if (u) {
			if (strncmp(u->text, "smtp://", 7) != 0 && strncmp(u->text, "smtps://", 8) != 0)
				gp_ld_err(L, u, "%s.smtp_url: '%s' must start with smtp:// or smtps://", p,
				       u->text);
			e->smtp_url = gp_xstrdup(u->text);
		}
		gp_ld_bool(L, em, p, "starttls", &e->starttls);
		gp_ld_file(L, em, p, "ca_file", false, GP_LD_PLAIN, &e->ca_file);
		gp_ld_str(L, em, p, "user", false, &e->user);
		gp_ld_file(L, em, p, "password_file", false, GP_LD_SECRET, &e->password_file);
		if (e->user && !gp_ymap_get(em, "password_file"))
			gp_ld_err(L, em, "%s: 'user' needs 'password_file'", p);
		const struct gp_ynode *fv = gp_ld_scalar(L, em, p, "from", true);
		if (fv) {
			e->from = gp_xstrdup(fv->text);
			const char *at = strchr(fv->text, '@');
			if (!at || at == fv->text || !at[1] || strpbrk(fv->text, " <>,\r\n"))
				gp_ld_err(L, fv, "%s.from: '%s' is not an e-mail address", p, fv->text);
		}
		gp_ld_str_list(L, em, p, "to", true, &e->to, &e->n_to);
		check_addresses(L, em, "to", e->to, e->n_to);
		gp_ld_str_list(L, em, p, "escalate_to", false, &e->escalate_to, &e->n_escalate_to);
		check_addresses(L, em, "escalate_to", e->escalate_to, e->n_escalate_to);
		static const char *const langs[] = {"ru", "en", NULL};
		int lang = 0;
		gp_ld_enum(L, em, p, "language", langs, &lang);
		free(e->language);
		e->language = gp_xstrdup(langs[lang]);
		gp_ld_duration(L, em, p, "timeout", &e->timeout_ms);
		gp_ld_intv(L, em, p, "rate_limit", 1, 100000, &e->rate_limit);
		load_replies(L, em, e);
	}

	const struct gp_ynode *wm = gp_ld_mapping(L, m, "alerts", "webhook", false);
	if (wm) {
		const char *p = "alerts.webhook";
		w->set = true;
		gp_ld_check_keys(L, wm, p, webhook_keys);
		const struct gp_ynode *u = gp_ld_scalar(L, wm, p, "url", true);
		if (u) {
			if (!is_web_url(u->text))
				gp_ld_err(L, u, "%s.url: '%s' must start with http:// or https://", p, u->text);
			w->url = gp_xstrdup(u->text);
		}
		gp_ld_file(L, wm, p, "secret_file", false, GP_LD_SECRET, &w->secret_file);
		gp_ld_duration(L, wm, p, "timeout", &w->timeout_ms);
	}
}

/* ------------------------------------------------------------------ */
/* web                                                                 */

static const char *const web_keys[] = {"listen", "users_file", "tls_cert", "tls_key", NULL};

/* "HOST:PORT" or "[V6]:PORT" into host and port; false when malformed. */
static bool split_listen(const char *s, char **host, int *port)
{
	const char *colon;
	const char *h = s, *he;
	if (*s == '[') {
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return false;
		h = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return false;
		he = colon;
	}
	if (he == h)
		return false;
	int64_t p;
	const char *why;
	if (!gp_parse_int64(colon + 1, 1, 65535, &p, &why))
		return false;
	*host = gp_xstrndup(h, (size_t)(he - h));
	*port = (int)p;
	return true;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static void load_web(struct gp_ld *L, const struct gp_ynode *root)
{
	struct gp_web *w = &L->cfg->web;
	const char *p = "web";
	w->listen = gp_xstrdup("127.0.0.1:8443");
	const struct gp_ynode *m = gp_ld_mapping(L, root, "", "web", false);
	if (!m) {
		w->host = gp_xstrdup("127.0.0.1");
		w->port = 8443;
		w->loopback = true;
		return;
	}
	w->set = true;
	gp_ld_check_keys(L, m, p, web_keys);
	gp_ld_str(L, m, p, "listen", false, &w->listen);
	if (!split_listen(w->listen, &w->host, &w->port)) {
		gp_ld_err(L, gp_ymap_get(m, "listen") ? gp_ymap_get(m, "listen") : m,
			  "web.listen: '%s' is not ADDRESS:PORT (an IP address, [IPv6] in brackets, "
			  "port 1-65535)", w->listen);
	} else if (!(w->loopback = is_loopback(w->host))) {
		struct in_addr a4;
		struct in6_addr a6;
		if (inet_pton(AF_INET, w->host, &a4) != 1 && inet_pton(AF_INET6, w->host, &a6) != 1)
			gp_ld_err(L, gp_ymap_get(m, "listen"),
				  "web.listen: '%s' is not an IP address", w->host);
	}
	/* The users file is written by `gprobe web passwd`: it may not exist
	 * yet, but when it does it must be private. */
	const struct gp_ynode *uv = gp_ld_scalar(L, m, p, "users_file", true);
	if (uv) {
		w->users_file = gp_ld_resolve(L, uv->text);
		struct stat sb;
		if (stat(w->users_file, &sb) == 0 || errno != ENOENT) {
			char *why = gp_secret_file_problem(w->users_file);
			if (why)
				gp_ld_err(L, uv, "web.users_file: %s", why);
			free(why);
		}
	}
	gp_ld_file(L, m, p, "tls_cert", false, GP_LD_PLAIN, &w->tls_cert);
	gp_ld_file(L, m, p, "tls_key", false, GP_LD_SECRET, &w->tls_key);
	if (!gp_ymap_get(m, "tls_cert") != !gp_ymap_get(m, "tls_key"))
		gp_ld_err(L, m, "web: 'tls_cert' and 'tls_key' go together");
	else if (w->host && !w->loopback && !gp_ymap_get(m, "tls_cert"))
		gp_ld_err(L, gp_ymap_get(m, "listen"),
			  "web.listen: '%s' is not a loopback address: plain HTTP is refused there, "
			  "set web.tls_cert and web.tls_key", w->listen);
}

/* ------------------------------------------------------------------ */
/* The whole file                                                      */

static const char *const top_keys[] = {"probe",    "targets",   "services", "contract",
				       "calendar", "incidents", "alerts",   "contacts", "web", NULL};

static struct gp_config *load_root(struct gp_ynode *root, const char *file,
				   const struct gp_config_opts *opts, struct gp_errlist *el,
				   size_t nerr0)
{
	struct gp_config *cfg = gp_xcalloc(1, sizeof(*cfg));
	cfg->file = gp_xstrdup(file);
	const char *slash = strrchr(file, '/');
	struct gp_ld L = {
		.file = file,
		.base_dir = slash ? gp_xstrndup(file, (size_t)(slash - file)) : gp_xstrdup("."),
		.el = el,
		.cfg = cfg,
		.opts = opts,
	};

	if (root->type != GP_Y_MAP) {
		gp_ld_err(&L, root, "the config must be a mapping (probe:, targets:, services:, ...)");
		goto done;
	}
	gp_ld_check_keys(&L, root, "", top_keys);
	load_probe(&L, root);

	gp_ld_targets(&L, root);

	check_uplink(&L, root);

	const struct gp_ynode *ss = gp_ld_sequence(&L, root, "", "services", false);
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gp_ynode *sm = ss->items[i];
		char *path = gp_xasprintf("services[%zu]", i);
		if (sm->type != GP_Y_MAP) {
			gp_ld_err(&L, sm, "%s: expected a mapping, got %s", path, gp_ynode_type_name(sm));
			free(path);
			continue;
		}
		struct gp_service s;
		load_service(&L, sm, path, &s);
		for (size_t j = 0; s.name && j < cfg->n_services; j++)
			if (cfg->services[j].name && strcmp(cfg->services[j].name, s.name) == 0)
				gp_ld_err(&L, gp_ymap_get(sm, "name"),
				       "%s.name: duplicate service name '%s' (first at line %d)", path,
				       s.name, cfg->services[j].pos.line);
		cfg->services = gp_xrealloc(cfg->services, (cfg->n_services + 1) * sizeof(s));
		cfg->services[cfg->n_services++] = s;
		free(path);
	}

	load_contract(&L, root);
	load_calendar(&L, root);
	load_incidents(&L, root);
	load_alerts(&L, root);
	load_contacts(&L, root);
	load_web(&L, root);

done:
	free(L.base_dir);
	gp_ynode_free(root);
	if (el->n > nerr0) {
		gp_errlist_sort(el);
		gp_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct gp_config *gp_config_load(const char *file, const struct gp_config_opts *opts,
				 struct gp_errlist *el)
{
	size_t nerr0 = el->n;
	struct gp_ynode *root = gp_yaml_load(file, el);
	return root ? load_root(root, file, opts, el, nerr0) : NULL;
}

struct gp_config *gp_config_load_text(const char *name, const char *text, size_t len,
				      const struct gp_config_opts *opts, struct gp_errlist *el)
{
	size_t nerr0 = el->n;
	struct gp_ynode *root = gp_yaml_load_text(name, text, len, el);
	return root ? load_root(root, name, opts, el, nerr0) : NULL;
}

size_t gp_config_check_count(const struct gp_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_targets; i++)
		n += cfg->targets[i].n_checks;
	return n;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void gp_config_free(struct gp_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_targets; i++)
		gp_ld_target_free(&cfg->targets[i]);
	free(cfg->targets);
	for (size_t i = 0; i < cfg->n_services; i++) {
		free(cfg->services[i].name);
		free(cfg->services[i].title);
		free(cfg->services[i].up_when);
		gp_expr_free(cfg->services[i].expr);
	}
	free(cfg->services);
	free(cfg->probe.data_dir);
	free(cfg->probe.store);
	free(cfg->probe.store_password_file);
	free(cfg->probe.node);
	free(cfg->probe.site);
	free(cfg->probe.rrdcached);
	free(cfg->probe.plugin_dir);
	free(cfg->probe.profile_dir);
	for (size_t i = 0; i < cfg->probe.n_uplink; i++)
		free(cfg->probe.uplink[i]);
	free(cfg->probe.uplink);
	free(cfg->probe.uplink_target);
	free(cfg->contract.number);
	free(cfg->contract.customer);
	free(cfg->contract.supplier);
	for (size_t i = 0; i < cfg->contract.n_signatories; i++) {
		free(cfg->contract.signatories[i].name);
		free(cfg->contract.signatories[i].position);
	}
	free(cfg->contract.signatories);
	free(cfg->calendar.timezone);
	free(cfg->calendar.holidays);
	free(cfg->calendar.holidays_file);
	free(cfg->calendar.working_weekend_days);
	free(cfg->email.smtp_url);
	free(cfg->email.user);
	free(cfg->email.password_file);
	free(cfg->email.from);
	free_strv(cfg->email.to, cfg->email.n_to);
	free_strv(cfg->email.escalate_to, cfg->email.n_escalate_to);
	free(cfg->email.language);
	free(cfg->email.ca_file);
	free(cfg->email.reply_to);
	free(cfg->email.reply_secret_file);
	free_strv(cfg->email.ack_from, cfg->email.n_ack_from);
	for (size_t i = 0; i < cfg->n_contacts; i++) {
		free(cfg->contacts[i].name);
		free(cfg->contacts[i].email);
	}
	free(cfg->contacts);
	free(cfg->webhook.url);
	free(cfg->webhook.secret_file);
	free(cfg->web.listen);
	free(cfg->web.host);
	free(cfg->web.users_file);
	free(cfg->web.tls_cert);
	free(cfg->web.tls_key);
	free(cfg->file);
	free_strv(cfg->files, cfg->n_files);
	free(cfg->target_index);
	free(cfg);
}
