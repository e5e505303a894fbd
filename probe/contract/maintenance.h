/*
 * maintenance.h - planned work: whether a window covers a service, by a
 * window on the service itself or by windows on every component that is
 * down. The ledger counts such down time as maintenance, and no incident
 * opens and no mail goes out while it lasts; when the window ends with
 * the fault still there, the incident opens then.
 *
 * Windows are the store's maintenance entries in force (not cancelled).
 */
#ifndef GP_MAINTENANCE_H
#define GP_MAINTENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ledger.h"
#include "store.h"

struct gp_maint_window {
	char *service; /* a service window, or NULL */
	char *target;  /* a component window, or NULL */
	int64_t start, end;
};

struct gp_maint {
	struct gp_maint_window *v;
	size_t n, cap;
};

/* The windows in force overlapping [from, to). 0, or -1 (store error). */
int gp_maint_load(struct gp_store *st, int64_t from, int64_t to, struct gp_maint *out);
void gp_maint_free(struct gp_maint *m);

/* The spans of [from, to) in which planned work covers the service while
 * `members` (its DOWN components, comma separated) are down: a window on
 * the service, or on each of the members. Sorted, merged; *out is the
 * caller's to free. Pure. */
size_t gp_maint_cover(const struct gp_maint *m, const char *service, const char *members,
		      int64_t from, int64_t to, struct gp_span **out);

/* Whether planned work covers the service at `at` (see gp_maint_cover). */
bool gp_maint_covers(const struct gp_maint *m, const char *service, const char *members,
		     int64_t at);

/* Whether a window on the target concerns the service (its up_when
 * names the target). */
bool gp_maint_concerns(const struct gp_service *svc, const char *target);

#endif
