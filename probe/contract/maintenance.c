/*
 * maintenance.c - planned work over services and components (see
 * maintenance.h).
 */
#include "maintenance.h"
#include "expr.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void add_window(void *ctx, const struct gp_ledger_entry *e)
{
	struct gp_maint *m = ctx;
	if (e->revoked_at)
		return;
	gp_grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v));
	m->v[m->n++] = (struct gp_maint_window){
		.service = e->target ? NULL : gp_xstrdup(e->service),
		.target = e->target ? gp_xstrdup(e->target) : NULL,
		.start = e->start,
		.end = e->end,
	};
}

int gp_maint_load(struct gp_store *st, int64_t from, int64_t to, struct gp_maint *out)
{
	memset(out, 0, sizeof(*out));
	if (gp_store_entry_list(st, GP_ENTRY_MAINTENANCE, NULL, from, to, add_window, out) != 0) {
		gp_maint_free(out);
		return -1;
	}
	return 0;
}

void gp_maint_free(struct gp_maint *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].service);
		free(m->v[i].target);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Whether window w covers the instant t. */
static bool window_at(const struct gp_maint_window *w, int64_t t)
{
	return w->start <= t && t < w->end;
}

static bool service_at(const struct gp_maint *m, const char *service, int64_t t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].service && !strcmp(m->v[i].service, service) && window_at(&m->v[i], t))
			return true;
	return false;
}

static bool member_at(const struct gp_maint *m, const char *name, size_t len, int64_t t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].target && strlen(m->v[i].target) == len &&
		    !memcmp(m->v[i].target, name, len) && window_at(&m->v[i], t))
			return true;
	return false;
}

/* Every member (at least one) under a window of its own at t. */
static bool members_at(const struct gp_maint *m, const char *members, int64_t t)
{
	bool any = false;
	for (const char *p = members ? members : ""; *p;) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			if (!member_at(m, p, len, t))
				return false;
			any = true;
		}
		p += len + (p[len] == ',');
	}
	return any;
}

bool gp_maint_covers(const struct gp_maint *m, const char *service, const char *members,
		     int64_t at)
{
	return service_at(m, service, at) || members_at(m, members, at);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

size_t gp_maint_cover(const struct gp_maint *m, const char *service, const char *members,
		      int64_t from, int64_t to, struct gp_span **out)
{
	*out = NULL;
	if (to <= from)
		return 0;
	/* Coverage changes only where a window starts or ends: each piece
	 * between two such points is covered throughout or not at all. */
	int64_t *pts = gp_xcalloc(2 * m->n + 2, sizeof(*pts));
	size_t n = 0;
	pts[n++] = from;
	pts[n++] = to;
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].start > from && m->v[i].start < to)
			pts[n++] = m->v[i].start;
		if (m->v[i].end > from && m->v[i].end < to)
			pts[n++] = m->v[i].end;
	}
	qsort(pts, n, sizeof(*pts), cmp_i64);
	size_t k = 0, cap = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (pts[i] == pts[i + 1] || !gp_maint_covers(m, service, members, pts[i]))
			continue;
		if (k > 0 && (*out)[k - 1].end == pts[i]) {
			(*out)[k - 1].end = pts[i + 1];
			continue;
		}
		gp_grow((void **)out, &cap, k, sizeof(**out));
		(*out)[k++] = (struct gp_span){pts[i], pts[i + 1]};
	}
	free(pts);
	return k;
}

static void names_target(const struct gp_expr *node, void *ctx)
{
	const char **t = ctx;
	if (*t && !strcmp(node->name, *t))
		*t = NULL;
}

bool gp_maint_concerns(const struct gp_service *svc, const char *target)
{
	const char *t = target;
	if (svc->expr)
		gp_expr_foreach_name(svc->expr, names_target, &t);
	return t == NULL;
}
