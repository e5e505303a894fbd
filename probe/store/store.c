/*
 * store.c - the store's backends by name, and store.h's functions through
 * the chosen backend's table (see backend.h).
 */
#include "backend.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every backend this build has; the first is the default. */
static const struct gp_store_backend *const backends[] = {&gp_store_sqlite, &gp_store_postgresql};

struct gp_store *gp_store_open(const struct gp_store_where *w, bool writable, char *err,
			       size_t errlen)
{
	const char *name = w->store && *w->store ? w->store : backends[0]->name;
	for (size_t i = 0; i < GP_ARRAY_LEN(backends); i++)
		if (!strcmp(backends[i]->name, name) ||
		    (backends[i]->handles && backends[i]->handles(name)))
			return backends[i]->open(w, writable, err, errlen);
	char known[128] = "";
	for (size_t i = 0; i < GP_ARRAY_LEN(backends); i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
		         i ? ", " : "", backends[i]->name);
	snprintf(err, errlen, "unknown store '%s' (this gprobe has: %s; postgresql takes a "
			      "postgresql:// URI)", name, known);
	return NULL;
}

struct gp_store *gp_store_open_probe(const struct gp_probe_settings *p, const char *node,
				     bool writable, char *err, size_t errlen)
{
	struct gp_store_where w = {.store = p->store, .data_dir = p->data_dir,
				   .password_file = p->store_password_file, .node = node};
	return gp_store_open(&w, writable, err, errlen);
}

struct gp_store *gp_store_open_dir(const char *dir, bool writable, char *err, size_t errlen)
{
	struct gp_store_where w = {.data_dir = dir};
	return gp_store_open(&w, writable, err, errlen);
}

/* ------------------------------------------------------------------ */
/* Records' memory, the same whatever the backend                      */

void gp_incident_clear(struct gp_incident *inc)
{
	free(inc->service);
	free(inc->acknowledged_by);
	free(inc->members);
	free(inc->text);
	free(inc->workaround);
	free(inc->resolution);
	memset(inc, 0, sizeof(*inc));
}

static char *dup_or_null(const char *v)
{
	return v ? gp_xstrdup(v) : NULL;
}

void gp_incident_copy(struct gp_incident *dst, const struct gp_incident *src)
{
	*dst = *src;
	dst->service = dup_or_null(src->service);
	dst->acknowledged_by = dup_or_null(src->acknowledged_by);
	dst->members = dup_or_null(src->members);
	dst->text = dup_or_null(src->text);
	dst->workaround = dup_or_null(src->workaround);
	dst->resolution = dup_or_null(src->resolution);
}

void gp_alert_clear(struct gp_alert *a)
{
	free(a->event);
	free(a->recipient);
	free(a->subject);
	free(a->body);
	free(a->message_id);
	free(a->last_error);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------ */
/* Through the backend's table                                         */

const char *gp_store_backend_name(const struct gp_store *st)
{
	return st->be->name;
}

void gp_store_close(struct gp_store *st)
{
	if (st)
		st->be->close(st);
}

void gp_store_rollback(struct gp_store *st)
{
	st->be->rollback(st);
}

/* Every other function: gp_store_NAME(st, ...) is st->be->NAME(st, ...). */
#define DISPATCH(ret, name, params, args)                                                      \
	ret gp_store_##name params                                                             \
	{                                                                                      \
		return st->be->name args;                                                      \
	}
GP_STORE_FUNCTIONS(DISPATCH)
#undef DISPATCH

/* ------------------------------------------------------------------ */
/* Conveniences over the table                                         */

int gp_store_heartbeat(struct gp_store *st, int64_t now)
{
	struct gp_heartbeat hb = {.at = now};
	return st->be->heartbeat_put(st, &hb);
}

int64_t gp_store_last_heartbeat(struct gp_store *st)
{
	struct gp_heartbeat hb;
	return st->be->heartbeat_get(st, &hb) == 0 ? hb.at : 0;
}
