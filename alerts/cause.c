/*
 * cause.c - one mail per root cause (see cause.h).
 */
#include "cause.h"
#include "expr.h"
#include "outbox.h"
#include "templates.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A queued mail of this turn that may fold into a cause. */
struct item {
	struct gp_alert a;
	bool restored;
	const struct gp_service *svc;
	struct gp_incident inc;
	char **comps; /* the components it is down (or back) for */
	size_t n_comps;
	bool used;
};

struct pool {
	struct item *v;
	size_t n, cap;
	int64_t now;
	struct gp_store *st;
	const struct gp_config *cfg;
};

static const struct gp_service *service_named(const struct gp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			return &cfg->services[i];
	return NULL;
}

static void add_comp(struct item *it, const char *name)
{
	for (size_t i = 0; i < it->n_comps; i++)
		if (!strcmp(it->comps[i], name))
			return;
	it->comps = gp_xrealloc(it->comps, (it->n_comps + 1) * sizeof(*it->comps));
	it->comps[it->n_comps++] = gp_xstrdup(name);
}

struct down_ctx {
	struct gp_store *st;
	struct item *it;
};

/* A member of the service's expression DOWN now. */
static void if_down(const struct gp_expr *node, void *ctx)
{
	struct down_ctx *c = ctx;
	struct gp_target_status ts;
	if (gp_store_load_target(c->st, node->name, &ts) && ts.state == GP_DOWN)
		add_comp(c->it, node->name);
}

/* The members DOWN when the service's latest outage began (a restore). */
struct latest {
	int64_t start;
	char *members;
};

static void keep_latest(void *ctx, const struct gp_outage_row *o)
{
	struct latest *l = ctx;
	if (l->members && o->start < l->start)
		return;
	l->start = o->start;
	free(l->members);
	l->members = gp_xstrdup(o->members ? o->members : "");
}

static bool take(void *ctx, struct gp_alert *a)
{
	struct pool *p = ctx;
	bool down = !strcmp(a->event, "opened") || !strcmp(a->event, "reopened");
	bool up = !strcmp(a->event, "restored");
	/* Never tried: this turn's, or restores still held back (restore
	 * delay), which a later restore of the same cause joins. */
	if (a->channel != GP_ALERT_EMAIL || a->attempts != 0 || a->digest != 0 ||
	    a->incident <= 0 || !(down || up))
		return true;
	gp_grow((void **)&p->v, &p->cap, p->n, sizeof(*p->v));
	struct item *it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	it->a = *a;
	memset(a, 0, sizeof(*a));
	it->restored = up;
	return true;
}

static void item_free(struct item *it)
{
	gp_alert_clear(&it->a);
	gp_incident_clear(&it->inc);
	for (size_t i = 0; i < it->n_comps; i++)
		free(it->comps[i]);
	free(it->comps);
}

/* Its incident, service and components; false when it cannot say. */
static bool describe(struct pool *p, struct item *it)
{
	if (!gp_store_incident_get(p->st, it->a.incident, &it->inc))
		return false;
	it->svc = service_named(p->cfg, it->inc.service);
	if (!it->svc)
		return false;
	if (it->restored) {
		struct latest l = {0};
		gp_store_outage_list(p->st, it->inc.service, p->now - 86400 * 400, p->now + 1,
				     keep_latest, &l);
		for (char *sp = NULL, *t = strtok_r(l.members, ",", &sp); t;
		     t = strtok_r(NULL, ",", &sp))
			add_comp(it, t);
		free(l.members);
	} else if (it->svc->expr) {
		struct down_ctx c = {p->st, it};
		gp_expr_foreach_name(it->svc->expr, if_down, &c);
	}
	return it->n_comps > 0;
}

static bool has_comp(const struct item *it, const char *name)
{
	for (size_t i = 0; i < it->n_comps; i++)
		if (!strcmp(it->comps[i], name))
			return true;
	return false;
}

/* The component most of the pool's unused items (same kind and recipient
 * as `like`) have, and how many have it. */
static const char *commonest(const struct pool *p, const struct item *like, size_t *count)
{
	const char *best = NULL;
	*count = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct item *x = &p->v[i];
		if (x->used || x->restored != like->restored || strcmp(x->a.recipient, like->a.recipient))
			continue;
		for (size_t k = 0; k < x->n_comps; k++) {
			size_t c = 0;
			for (size_t j = 0; j < p->n; j++) {
				const struct item *y = &p->v[j];
				if (!y->used && y->restored == like->restored &&
				    !strcmp(y->a.recipient, like->a.recipient) && has_comp(y, x->comps[k]))
					c++;
			}
			if (c > *count) {
				*count = c;
				best = x->comps[k];
			}
		}
	}
	return best;
}

/* One mail for the items of like's kind and recipient that have comp. */
static int fold_cause(struct pool *p, const struct item *like, const char *comp, char *err,
		      size_t errlen)
{
	const struct gp_target *t = gp_config_target(p->cfg, comp);
	struct gp_cause_service *svcs = NULL;
	size_t n = 0;
	int64_t since = p->now;
	for (size_t j = 0; j < p->n; j++) {
		struct item *y = &p->v[j];
		if (y->used || y->restored != like->restored ||
		    strcmp(y->a.recipient, like->a.recipient) || !has_comp(y, comp))
			continue;
		svcs = gp_xrealloc(svcs, (n + 1) * sizeof(*svcs));
		svcs[n++] = (struct gp_cause_service){y->svc->name, y->svc->title, y->inc.id,
						      gp_priority_name(y->inc.priority)};
		if (y->inc.outage_start > 0 && y->inc.outage_start < since)
			since = y->inc.outage_start;
	}
	struct gp_target_status ts;
	if (gp_store_load_target(p->st, comp, &ts) && ts.since > 0 && !like->restored)
		since = ts.since;
	char *checks = like->restored ? NULL : gp_outbox_failing_checks(p->st, comp);
	struct gp_cause_facts f = {
		.russian = p->cfg->email.language && !strcmp(p->cfg->email.language, "ru"),
		.restored = like->restored,
		.tz = p->cfg->calendar.timezone,
		.component = {comp, t ? t->host : NULL, checks},
		.since = since,
		.at = p->now,
		.services = svcs,
		.n_services = n,
	};
	if (like->restored) {
		/* How long the component was down: from the earliest of the
		 * services' outages that end now. */
		f.since = p->now;
		for (size_t i = 0; i < n; i++) {
			struct latest l = {0};
			gp_store_outage_list(p->st, svcs[i].service, p->now - 86400 * 400,
					     p->now + 1, keep_latest, &l);
			if (l.members && l.start < f.since)
				f.since = l.start;
			free(l.members);
		}
	}
	char *subject = gp_cause_subject(&f);
	char *body = gp_cause_text(&f);
	char *mid = gp_outbox_message_id(p->cfg, like->restored ? "cause-restored" : "cause");
	struct gp_alert cause = {
		.event = like->restored ? "cause-restored" : "cause",
		.channel = GP_ALERT_EMAIL,
		.recipient = like->a.recipient,
		.subject = subject,
		.body = body,
		.message_id = mid,
		.created_at = p->now,
		.next_attempt_at = like->a.next_attempt_at,
	};
	int64_t id = 0;
	int rc = gp_store_alert_add(p->st, &cause, &id);
	for (size_t j = 0; rc == 0 && j < p->n; j++) {
		struct item *y = &p->v[j];
		if (y->used || y->restored != like->restored ||
		    strcmp(y->a.recipient, like->a.recipient) || !has_comp(y, comp))
			continue;
		rc = gp_store_alert_fold(p->st, y->a.id, id);
		y->used = true;
	}
	if (rc != 0)
		gp_errf(err, errlen, "cannot queue the root-cause mail: %s", gp_store_error(p->st));
	free(subject);
	free(body);
	free(mid);
	free(checks);
	free(svcs);
	return rc;
}

int gp_outbox_causes(struct gp_store *st, const struct gp_config *cfg, int64_t now, char *err,
		     size_t errlen)
{
	if (!cfg->email.set)
		return 0;
	struct pool p = {.now = now, .st = st, .cfg = cfg};
	if (gp_store_alert_list(st, GP_ALERT_QUEUED, NULL, take, &p) != 0)
		return gp_errf(err, errlen, "cannot read the outbox: %s", gp_store_error(st));
	int rc = 0;
	if (p.n >= 2) {
		for (size_t i = 0; i < p.n; i++)
			p.v[i].used = !describe(&p, &p.v[i]);
		for (size_t i = 0; rc == 0 && i < p.n; i++) {
			size_t count;
			const char *comp;
			while (rc == 0 && !p.v[i].used && (comp = commonest(&p, &p.v[i], &count)) &&
			       count >= 2) {
				char *name = gp_xstrdup(comp);
				rc = fold_cause(&p, &p.v[i], name, err, errlen);
				free(name);
			}
		}
	}
	for (size_t i = 0; i < p.n; i++)
		item_free(&p.v[i]);
	free(p.v);
	return rc;
}
