/*
 * backend.h - what a store backend provides (store.h is what its users
 * see). A backend is a table of functions under a name; gp_store_open()
 * picks the table by name and calls its open(), which returns the
 * backend's own handle, whose first member is a struct gp_store naming
 * the table. Every other function of store.h then goes through the table
 * (store.c), so a backend is one folder, store/NAME/, and one line of
 * store.c's list.
 *
 * A function does what store.h says of its namesake; each is required.
 */
#ifndef GP_STORE_BACKEND_H
#define GP_STORE_BACKEND_H

#include "store.h"

struct gp_store_backend;

/* The head of every backend's handle. */
struct gp_store {
	const struct gp_store_backend *be;
};

/* Every function of a backend that returns a value: X(return type,
 * name, parameters, arguments), the name being store.h's without
 * gp_store_. The table's members, store.c's dispatch and a backend's
 * declarations are made from this one list; close and rollback (void)
 * are members of their own. */
#define GP_STORE_FUNCTIONS(X) \
	X(int, schema_version, (struct gp_store *st), (st)) \
	X(const char *, error, (struct gp_store *st), (st)) \
	X(int, begin, (struct gp_store *st), (st)) \
	X(int, commit, (struct gp_store *st), (st)) \
	X(int, state_get, (struct gp_store *st, const char *key, char *buf, size_t len), (st, key, \
		buf, len)) \
	X(int, state_put, (struct gp_store *st, const char *key, const char *value), (st, key, \
		value)) \
	X(int, save_check, (struct gp_store *st, const char *target, const char *check, \
		const struct gp_check_status *s, const char *value, const char *output), (st, \
		target, check, s, value, output)) \
	X(bool, load_check, (struct gp_store *st, const char *target, const char *check, \
		struct gp_check_status *out), (st, target, check, out)) \
	X(int, save_target, (struct gp_store *st, const char *target, \
		const struct gp_target_status *s), (st, target, s)) \
	X(bool, load_target, (struct gp_store *st, const char *target, \
		struct gp_target_status *out), (st, target, out)) \
	X(int, save_service, (struct gp_store *st, const char *service, \
		const struct gp_service_status *s), (st, service, s)) \
	X(bool, load_service, (struct gp_store *st, const char *service, \
		struct gp_service_status *out), (st, service, out)) \
	X(int, list_services, (struct gp_store *st, gp_status_fn fn, void *ctx), (st, fn, ctx)) \
	X(int, list_targets, (struct gp_store *st, gp_status_fn fn, void *ctx), (st, fn, ctx)) \
	X(int, list_checks, (struct gp_store *st, const char *target, bool failing_only, \
		gp_check_fn fn, void *ctx), (st, target, failing_only, fn, ctx)) \
	X(int, heartbeat_get, (struct gp_store *st, struct gp_heartbeat *out), (st, out)) \
	X(int, heartbeat_put, (struct gp_store *st, const struct gp_heartbeat *hb), (st, hb)) \
	X(int, health_get, (struct gp_store *st, struct gp_probe_health *out), (st, out)) \
	X(int, health_put, (struct gp_store *st, const struct gp_probe_health *h), (st, h)) \
	X(int, lease_renew, (struct gp_store *st, const char *site, const char *node, \
		int64_t ttl_ms, const char *host, long pid, int64_t started_at, \
		struct gp_lease *out), (st, site, node, ttl_ms, host, pid, started_at, out)) \
	X(int, lease_release, (struct gp_store *st, const char *site, const char *node), (st, \
		site, node)) \
	X(int, node_list, (struct gp_store *st, gp_node_fn fn, void *ctx), (st, fn, ctx)) \
	X(int, table_rows, (struct gp_store *st, const char *table, const char *columns, \
		gp_row_fn fn, void *ctx), (st, table, columns, fn, ctx)) \
	X(int, table_put, (struct gp_store *st, const char *table, const char *columns, int n, \
		const char *const *values), (st, table, columns, n, values)) \
	X(int, copy_finish, (struct gp_store *st), (st)) \
	X(int, period_list, (struct gp_store *st, const char *service, int64_t from, int64_t to, \
		gp_period_fn fn, void *ctx), (st, service, from, to, fn, ctx)) \
	X(int, period_insert, (struct gp_store *st, const char *service, \
		enum gp_ledger_state state, int64_t start, int64_t end), (st, service, state, \
		start, end)) \
	X(int, period_set_end, (struct gp_store *st, int64_t id, int64_t end), (st, id, end)) \
	X(int, period_delete, (struct gp_store *st, int64_t id), (st, id)) \
	X(int, outage_open, (struct gp_store *st, const char *service, int64_t start, \
		const char *members), (st, service, start, members)) \
	X(int, outage_restore, (struct gp_store *st, const char *service, int64_t end), (st, \
		service, end)) \
	X(int, outage_link, (struct gp_store *st, const char *service, int64_t start, \
		int64_t incident, enum gp_attribution attribution), (st, service, start, incident, \
		attribution)) \
	X(int, outage_attribute, (struct gp_store *st, int64_t incident, int n, \
		enum gp_attribution attribution, const char *by, int64_t at, int64_t *start, \
		bool *latest), (st, incident, n, attribution, by, at, start, latest)) \
	X(int, outage_list, (struct gp_store *st, const char *service, int64_t from, int64_t to, \
		gp_outage_fn fn, void *ctx), (st, service, from, to, fn, ctx)) \
	X(int, event_add, (struct gp_store *st, const struct gp_event_row *ev), (st, ev)) \
	X(int, event_list, (struct gp_store *st, const char *subject, int64_t since, size_t limit, \
		gp_event_fn fn, void *ctx), (st, subject, since, limit, fn, ctx)) \
	X(int, incident_insert, (struct gp_store *st, struct gp_incident *inc), (st, inc)) \
	X(int, incident_update, (struct gp_store *st, const struct gp_incident *inc), (st, inc)) \
	X(bool, incident_get, (struct gp_store *st, int64_t id, struct gp_incident *out), (st, id, \
		out)) \
	X(bool, incident_in_work, (struct gp_store *st, const char *service, \
		struct gp_incident *out), (st, service, out)) \
	X(bool, incident_latest_probe, (struct gp_store *st, const char *service, \
		struct gp_incident *out), (st, service, out)) \
	X(int, incident_list, (struct gp_store *st, bool all, gp_incident_fn fn, void *ctx), (st, \
		all, fn, ctx)) \
	X(int, incident_event_add, (struct gp_store *st, int64_t incident, \
		const struct gp_incident_event *ev), (st, incident, ev)) \
	X(int, incident_timeline, (struct gp_store *st, int64_t incident, gp_incident_event_fn fn, \
		void *ctx), (st, incident, fn, ctx)) \
	X(int, entry_add, (struct gp_store *st, enum gp_entry_kind kind, \
		const struct gp_ledger_entry *e, int64_t *id), (st, kind, e, id)) \
	X(int, entry_list, (struct gp_store *st, enum gp_entry_kind kind, const char *service, \
		int64_t from, int64_t to, gp_ledger_entry_fn fn, void *ctx), (st, kind, service, \
		from, to, fn, ctx)) \
	X(int, entry_revoke, (struct gp_store *st, enum gp_entry_kind kind, int64_t id, int64_t at, \
		const char *by, const char *reason), (st, kind, id, at, by, reason)) \
	X(int, alert_add, (struct gp_store *st, const struct gp_alert *a, int64_t *id), (st, a, \
		id)) \
	X(bool, alert_next, (struct gp_store *st, int64_t now, struct gp_alert *out), (st, now, \
		out)) \
	X(int, alert_list, (struct gp_store *st, enum gp_alert_status status, \
		const char *recipient, gp_alert_fn fn, void *ctx), (st, status, recipient, fn, \
		ctx)) \
	X(int, alert_claim, (struct gp_store *st, int64_t id, int attempt, int64_t now), (st, id, \
		attempt, now)) \
	X(int, alert_sent, (struct gp_store *st, int64_t id, int64_t now), (st, id, now)) \
	X(int, alert_retry, (struct gp_store *st, int64_t id, int64_t next_at, const char *error), \
		(st, id, next_at, error)) \
	X(int, alert_failed, (struct gp_store *st, int64_t id, const char *error), (st, id, \
		error)) \
	X(int, alert_fold, (struct gp_store *st, int64_t id, int64_t digest), (st, id, digest)) \
	X(int, alert_cancel, (struct gp_store *st, int64_t incident, const char *event), (st, \
		incident, event)) \
	X(int64_t, alert_sent_since, (struct gp_store *st, const char *recipient, int64_t since), \
		(st, recipient, since)) \
	X(int, alert_flag, (struct gp_store *st, int64_t created_before, int64_t now), (st, \
		created_before, now)) \
	X(int, alert_counts, (struct gp_store *st, struct gp_alert_counts *out), (st, out))

#define GP_STORE_MEMBER(ret, name, params, args) ret(*name) params;
struct gp_store_backend {
	const char *name;
	/* Whether w->store names this backend (a URI's scheme); NULL: by its
	 * name only. */
	bool (*handles)(const char *store);
	struct gp_store *(*open)(const struct gp_store_where *w, bool writable, char *err,
				 size_t errlen);
	void (*close)(struct gp_store *st);
	void (*rollback)(struct gp_store *st);
	GP_STORE_FUNCTIONS(GP_STORE_MEMBER)
};
#undef GP_STORE_MEMBER

extern const struct gp_store_backend gp_store_sqlite;
extern const struct gp_store_backend gp_store_postgresql;

#endif
