/*
 * api.c - the web console's JSON API (the same JSON as the CLI's --json,
 * built by the same functions) and the incident actions that the forms
 * and the API share: each goes through the incident manager's
 * gp_inc_command / gp_inc_attribute in one transaction, as `gprobe
 * incident ...` does, with the logged-in user as the actor. (The
 * manager's maintenance windows and ledger entries are manage.c's.)
 */
#include "incidents.h"
#include "web.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gp_store *gp_web_store(struct gp_webd *w, bool writable, struct gp_web_resp *resp)
{
	char err[512];
	struct gp_store *st = gp_store_open_probe(&w->cfg->probe, NULL, writable, err, sizeof(err));
	if (st && !writable && gp_store_begin(st) != 0) {
		snprintf(err, sizeof(err), "%s", gp_store_error(st));
		gp_store_close(st);
		st = NULL;
	}
	if (!st && resp) {
		gp_log(&w->cli->log, GP_LOG_WARN, "web: the store: %s", err);
		resp->status = 503;
		resp->type = "text/plain; charset=utf-8";
		gp_sb_add(&resp->body, "the store cannot be read\n");
	}
	return st;
}

void gp_web_json(struct gp_web_resp *resp, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	resp->status = status;
	resp->type = "application/json";
	gp_sb_add(&resp->body, "%s\n", s ? s : "null");
	free(s);
	json_decref(j);
}

void gp_api_error(struct gp_web_resp *resp, int status, const char *error)
{
	gp_web_json(resp, status, json_pack("{s:s}", "error", error));
}

void gp_api_status(struct gp_webd *w, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, NULL);
	if (!st)
		return gp_api_error(resp, 503, "the store cannot be read");
	gp_web_json(resp, 200, gp_status_json(w->cfg, st));
	gp_store_close(st);
}

void gp_api_incidents(struct gp_webd *w, bool all, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, NULL);
	if (!st)
		return gp_api_error(resp, 503, "the store cannot be read");
	gp_web_json(resp, 200, gp_incidents_json(w->cfg, st, all));
	gp_store_close(st);
}

void gp_api_incident(struct gp_webd *w, int64_t id, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, NULL);
	if (!st)
		return gp_api_error(resp, 503, "the store cannot be read");
	json_t *j = gp_incident_show_json(w->cfg, st, id);
	gp_store_close(st);
	if (!j)
		return gp_api_error(resp, 404, "no such incident");
	gp_web_json(resp, 200, j);
}

int gp_web_action(struct gp_webd *w, const struct gp_web_session *ss, int64_t id,
		  const char *action, const char *text, const char *reason, char *err,
		  size_t errlen)
{
	/* What each takes: the text (a note, what was done; for attribute
	 * the attribution), the reason (attribute's; void's only argument). */
	static const struct {
		const char *name;
		enum gp_inc_cmd cmd;
		enum gp_web_role role;
		bool needs_text, needs_reason;
	} acts[] = {
		{"ack", GP_INC_ACK, GP_ROLE_OPERATOR, false, false},
		{"note", GP_INC_NOTE, GP_ROLE_OPERATOR, true, false},
		{"resolve", GP_INC_RESOLVE, GP_ROLE_OPERATOR, true, false},
		{"attribute", GP_INC_ATTRIBUTE, GP_ROLE_MANAGER, true, true},
		{"void", GP_INC_VOID, GP_ROLE_MANAGER, false, true},
	};
	int a = -1;
	for (size_t i = 0; i < GP_ARRAY_LEN(acts); i++)
		if (!strcmp(action, acts[i].name))
			a = (int)i;
	if (a < 0) {
		snprintf(err, errlen, "no action '%s'", action);
		return 404;
	}
	if (ss->role < acts[a].role) {
		snprintf(err, errlen, "%s: a %s may not; it takes the role %s", action,
			 gp_web_role_name(ss->role), gp_web_role_name(acts[a].role));
		return 403;
	}
	if (acts[a].needs_text && (!text || !*text)) {
		snprintf(err, errlen, "%s: missing %s", action,
			 acts[a].cmd == GP_INC_ATTRIBUTE ? "the attribution" : "the text");
		return 400;
	}
	if (acts[a].needs_reason && (!reason || !*reason)) {
		snprintf(err, errlen, "%s: missing the reason", action);
		return 400;
	}
	struct gp_store *st = gp_web_store(w, true, NULL);
	if (!st) {
		snprintf(err, errlen, "the store cannot be written");
		return 503;
	}
	struct gp_incident inc;
	if (!gp_store_incident_get(st, id, &inc)) {
		gp_store_close(st);
		snprintf(err, errlen, "no incident #%lld", (long long)id);
		return 404;
	}
	gp_incident_clear(&inc);
	err[0] = '\0';
	int64_t now = (int64_t)time(NULL);
	const char *arg = acts[a].cmd == GP_INC_ACK    ? ss->user
			  : acts[a].cmd == GP_INC_VOID ? reason
						       : text;
	int status = 200;
	if (gp_store_begin(st) != 0 ||
	    (acts[a].cmd == GP_INC_ATTRIBUTE
		     ? gp_inc_attribute(st, w->cfg, id, arg, 0, reason, ss->user, now, err, errlen)
		     : gp_inc_command(st, w->cfg, id, acts[a].cmd, arg, NULL, ss->user, now, 0, err,
				      errlen)) != 0 ||
	    gp_store_commit(st) != 0) {
		status = err[0] ? 409 : 503;
		if (!err[0])
			snprintf(err, errlen, "database: %s", gp_store_error(st));
		gp_store_rollback(st);
	} else {
		gp_log(&w->cli->log, GP_LOG_INFO, "web: %s %s incident #%lld", ss->user, action,
		       (long long)id);
	}
	gp_store_close(st);
	return status;
}
