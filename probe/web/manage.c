/*
 * manage.c - the manager's page of the web console: maintenance windows
 * and the ledger's manual entries, listed as `gprobe maintenance list` and
 * `gprobe downtime list-entries` list them, added, cancelled and revoked
 * through the same functions as those commands (cli_report.c's
 * gp_entry_add, gp_entry_revoke, gp_entries_json), the logged-in user as
 * who entered or withdrew each.
 *
 *   GET  /manage                              the page (manager only)
 *   POST /manage/maintenance                  a window: service or target
 *                                             (the form: on, "service:S" or
 *                                             "target:T"), from, to, reason,
 *                                             retroactive
 *   POST /manage/maintenance/ID/cancel        reason
 *   POST /manage/entries                      a downtime entry: service,
 *                                             from, to, attribution, reason,
 *                                             over_monitored
 *   POST /manage/entries/ID/revoke            reason
 *   GET  /api/manage/maintenance, /api/manage/entries   the lists' JSON
 *   POST /api/manage/...                      as the forms, answering the
 *                                             entry's JSON
 *
 * Every path here is the manager's: any other role is 403. A form's
 * success redirects (303) to /manage; a refused field is 400 with the
 * page again, the form filled as it was sent and the reason above.
 */
#include "web.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TR(r, en, ru) ((r)->english ? (en) : (ru))

/* The fields of an add form as sent, to show again when refused. */
struct sent {
	bool downtime;
	char *service, *target, *from, *to, *attribution, *reason;
	bool over_monitored, retroactive;
};

/* A field of the request: NULL when absent or empty (an empty input of a
 * form is a field not given). */
static char *field(const struct gp_web_req *r, const char *key)
{
	char *v = r->form(r, key);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

/* A checkbox (or a JSON string): "1", "on", "true" or "yes". */
static bool checked(const struct gp_web_req *r, const char *key)
{
	char *v = r->form(r, key);
	bool on = v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true") ||
			!strcmp(v, "yes"));
	free(v);
	return on;
}

static void sent_read(const struct gp_web_req *r, bool downtime, struct sent *s)
{
	char *on = downtime ? NULL : field(r, "on");
	*s = (struct sent){
		.downtime = downtime,
		.service = field(r, "service"),
		.target = downtime ? NULL : field(r, "target"),
		.from = field(r, "from"),
		.to = field(r, "to"),
		.attribution = downtime ? field(r, "attribution") : NULL,
		.reason = field(r, "reason"),
		.over_monitored = downtime && checked(r, "over_monitored"),
		.retroactive = !downtime && checked(r, "retroactive"),
	};
	/* The window form's one select: "service:NAME" or "target:NAME" (the
	 * API names service or target itself). */
	if (on && !s->service && !s->target) {
		if (!strncmp(on, "service:", 8) && on[8])
			s->service = gp_xstrdup(on + 8);
		else if (!strncmp(on, "target:", 7) && on[7])
			s->target = gp_xstrdup(on + 7);
	}
	free(on);
}

static void sent_free(struct sent *s)
{
	free(s->service);
	free(s->target);
	free(s->from);
	free(s->to);
	free(s->attribution);
	free(s->reason);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void redirect_manage(struct gp_web_resp *resp)
{
	resp->status = 303;
	free(resp->location);
	resp->location = gp_xstrdup("/manage");
	resp->type = "text/plain; charset=utf-8";
	gp_sb_add(&resp->body, "see /manage\n");
}

/* "2026-12-02T01:25:46+05:00" as "2026-12-02 01:25" (calendar.timezone's). */
static void short_time(struct gp_sb *b, const char *iso)
{
	if (strlen(iso) < 16 || iso[10] != 'T')
		return gp_sb_esc(b, iso);
	gp_sb_add(b, "%.10s %.5s", iso, iso + 11);
}

/* ------------------------------------------------------------------ */
/* The page                                                            */

static void csrf_field(const struct gp_web_req *r, struct gp_sb *b)
{
	gp_sb_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->session->csrf);
}

/* <option>s of names, the value each prefix:name, the one sent
 * selected. */
static void options(struct gp_sb *b, const char *prefix, const char *const *names, size_t n,
		    const char *selected)
{
	for (size_t i = 0; i < n; i++) {
		gp_sb_add(b, "<option value=\"%s", prefix);
		gp_sb_esc(b, names[i]);
		gp_sb_add(b, "\"%s>", selected && !strcmp(selected, names[i]) ? " selected" : "");
		gp_sb_esc(b, names[i]);
		gp_sb_add(b, "</option>");
	}
}

static void input(struct gp_sb *b, const char *type, const char *name, const char *id,
		  const char *value, bool required)
{
	gp_sb_add(b, "<input type=\"%s\" name=\"%s\" id=\"%s\"%s value=\"", type, name, id,
		  required ? " required" : "");
	gp_sb_esc(b, value);
	gp_sb_add(b, "\">");
}

/* The entries of a kind as a table, each with its withdraw form (or who
 * withdrew it, when and why). */
static void entries_table(const struct gp_web_req *r, struct gp_sb *b, json_t *list,
			  bool downtime)
{
	const char *kind = downtime ? "entries" : "maintenance";
	const char *act = downtime ? "revoke" : "cancel";
	gp_sb_add(b, "<table id=\"%s\"><thead><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th>"
		     "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
		  kind, TR(r, "Service", "Сервис"), TR(r, "From", "С"), TR(r, "To", "По"),
		  TR(r, "Duration", "Длительность"),
		  downtime ? TR(r, "Attribution", "Ответственность") : TR(r, "Reason", "Причина"),
		  TR(r, "Entered", "Внесено"), TR(r, "State", "Состояние"));
	if (json_array_size(list) == 0)
		gp_sb_add(b, "<tr><td colspan=\"8\">%s</td></tr>",
			  downtime ? TR(r, "No downtime entered by hand.",
					"Простоев, внесённых вручную, нет.")
				   : TR(r, "No maintenance windows.", "Плановых работ нет."));
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		long long id = (long long)json_integer_value(json_object_get(v, "id"));
		char dur[40];
		gp_fmt_hms(json_integer_value(json_object_get(v, "seconds")), dur, sizeof(dur));
		gp_sb_add(b, "<tr id=\"%s-%lld\"><td>%lld</td><td>", downtime ? "entry" : "maint", id,
			  id);
		if (*jstr(v, "target")) {
			gp_sb_add(b, "%s ", TR(r, "target", "компонент"));
			gp_sb_esc(b, jstr(v, "target"));
		} else {
			gp_sb_esc(b, jstr(v, "service"));
		}
		gp_sb_add(b, "</td><td>");
		short_time(b, jstr(v, "from"));
		gp_sb_add(b, "</td><td>");
		short_time(b, jstr(v, "to"));
		gp_sb_add(b, "</td><td>%s</td><td>", dur);
		if (downtime) {
			gp_sb_esc(b, jstr(v, "attribution"));
			if (json_is_true(json_object_get(v, "over_monitored")))
				gp_sb_add(b, " <small>(%s)</small>",
					  TR(r, "reported over monitored time",
					     "сообщён за время под мониторингом"));
			gp_sb_add(b, ": ");
		}
		gp_sb_esc(b, jstr(v, "reason"));
		if (json_is_true(json_object_get(v, "retroactive")))
			gp_sb_add(b, " <small>(%s)</small>", TR(r, "retroactive", "задним числом"));
		gp_sb_add(b, "</td><td>");
		gp_sb_esc(b, jstr(v, "created_by"));
		gp_sb_add(b, ", ");
		short_time(b, jstr(v, "created_at"));
		gp_sb_add(b, "</td><td>");
		if (json_is_true(json_object_get(v, "revoked"))) {
			gp_sb_add(b, "<b>%s</b> ", downtime ? TR(r, "revoked", "отозвана")
							    : TR(r, "cancelled", "отменено"));
			short_time(b, jstr(v, "revoked_at"));
			gp_sb_add(b, ", ");
			gp_sb_esc(b, jstr(v, "revoked_by"));
			gp_sb_add(b, ": ");
			gp_sb_esc(b, jstr(v, "revoke_reason"));
		} else {
			gp_sb_add(b, "<form class=\"inline\" method=\"post\" "
				     "action=\"/manage/%s/%lld/%s\">", kind, id, act);
			csrf_field(r, b);
			gp_sb_add(b, "<input type=\"text\" name=\"reason\" id=\"%s-reason-%lld\" "
				     "required placeholder=\"%s\"> <button id=\"%s-%lld\">%s</button>"
				     "</form>",
				  act, id, TR(r, "reason", "причина"), act, id,
				  downtime ? TR(r, "Revoke", "Отозвать") : TR(r, "Cancel", "Отменить"));
		}
		gp_sb_add(b, "</td></tr>\n");
	}
	gp_sb_add(b, "</tbody></table>\n");
}

static void maintenance_form(struct gp_webd *w, const struct gp_web_req *r, struct gp_sb *b,
			     const struct sent *s)
{
	const struct gp_config *cfg = w->cfg;
	const char **svcs = gp_xcalloc(cfg->n_services + 1, sizeof(*svcs));
	const char **tgts = gp_xcalloc(cfg->n_targets + 1, sizeof(*tgts));
	for (size_t i = 0; i < cfg->n_services; i++)
		svcs[i] = cfg->services[i].name;
	for (size_t i = 0; i < cfg->n_targets; i++)
		tgts[i] = cfg->targets[i].name;
	gp_sb_add(b, "<form method=\"post\" action=\"/manage/maintenance\" id=\"add-maintenance\">");
	csrf_field(r, b);
	/* One select: a window is on a service, or on one component (it
	 * covers a service while each component it is down for has one). */
	gp_sb_add(b, "<p><label>%s<br><select name=\"on\" id=\"m-on\" required>"
		     "<optgroup label=\"%s\">",
		  TR(r, "On", "На"), TR(r, "Services", "Сервисы"));
	options(b, "service:", svcs, cfg->n_services, s ? s->service : NULL);
	gp_sb_add(b, "</optgroup><optgroup label=\"%s\">", TR(r, "Components", "Компоненты"));
	options(b, "target:", tgts, cfg->n_targets, s ? s->target : NULL);
	gp_sb_add(b, "</optgroup></select></label></p><p><label>%s (%s)<br>", TR(r, "From", "С"),
		  cfg->calendar.timezone);
	input(b, "datetime-local", "from", "m-from", s ? s->from : NULL, true);
	gp_sb_add(b, "</label></p><p><label>%s<br>", TR(r, "To", "По"));
	input(b, "datetime-local", "to", "m-to", s ? s->to : NULL, true);
	gp_sb_add(b, "</label></p><p><label>%s<br>", TR(r, "Reason", "Причина"));
	input(b, "text", "reason", "m-reason", s ? s->reason : NULL, true);
	gp_sb_add(b, "</label></p><p><label><input type=\"checkbox\" name=\"retroactive\" "
		     "value=\"1\" id=\"m-retroactive\"%s> %s</label></p>"
		     "<p><button id=\"m-add\">%s</button></p></form>\n",
		  s && s->retroactive ? " checked" : "",
		  TR(r, "Retroactive: over downtime already recorded (the reason says why)",
		     "Задним числом: поверх уже зафиксированного простоя (причина объясняет)"),
		  TR(r, "Add the window", "Добавить окно"));
	free(svcs);
	free(tgts);
}

static void entry_form(struct gp_webd *w, const struct gp_web_req *r, struct gp_sb *b,
		       const struct sent *s)
{
	static const char *const attributions[] = {"supplier", "customer", "third-party",
						   "unattributed"};
	const struct gp_config *cfg = w->cfg;
	const char **svcs = gp_xcalloc(cfg->n_services + 1, sizeof(*svcs));
	for (size_t i = 0; i < cfg->n_services; i++)
		svcs[i] = cfg->services[i].name;
	gp_sb_add(b, "<form method=\"post\" action=\"/manage/entries\" id=\"add-entry\">");
	csrf_field(r, b);
	gp_sb_add(b, "<p><label>%s<br><select name=\"service\" id=\"e-service\" required>",
		  TR(r, "Service", "Сервис"));
	options(b, "", svcs, cfg->n_services, s ? s->service : NULL);
	gp_sb_add(b, "</select></label></p><p><label>%s (%s)<br>", TR(r, "From", "С"),
		  cfg->calendar.timezone);
	input(b, "datetime-local", "from", "e-from", s ? s->from : NULL, true);
	gp_sb_add(b, "</label></p><p><label>%s<br>", TR(r, "To", "По"));
	input(b, "datetime-local", "to", "e-to", s ? s->to : NULL, true);
	gp_sb_add(b, "</label></p><p><label>%s<br><select name=\"attribution\" "
		     "id=\"e-attribution\">",
		  TR(r, "Attribution", "Ответственность"));
	options(b, "", attributions, GP_ARRAY_LEN(attributions), s ? s->attribution : NULL);
	gp_sb_add(b, "</select></label></p><p><label>%s<br>", TR(r, "Reason", "Причина"));
	input(b, "text", "reason", "e-reason", s ? s->reason : NULL, true);
	gp_sb_add(b, "</label></p><p><label><input type=\"checkbox\" name=\"over_monitored\" "
		     "value=\"1\" id=\"e-over-monitored\"%s> %s</label></p>"
		     "<p><button id=\"e-add\">%s</button></p></form>\n",
		  s && s->over_monitored ? " checked" : "",
		  TR(r, "Over monitored time: an outage the customer reported that the probe missed",
		     "За время под мониторингом: простой, о котором сообщил заказчик, а зонд не "
		     "увидел"),
		  TR(r, "Add the entry", "Добавить запись"));
	free(svcs);
}

/* The page; with error, status is the caller's (400, 404, 409) and the
 * add form of s->downtime's kind is filled as s was sent. */
static void manage_page(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
			const struct sent *s, const char *error)
{
	struct gp_store *st = gp_web_store(w, false, resp);
	if (!st)
		return;
	json_t *maint = gp_entries_json(w->cfg, st, false, NULL);
	json_t *manual = maint ? gp_entries_json(w->cfg, st, true, NULL) : NULL;
	if (!manual) {
		gp_log(&w->cli->log, GP_LOG_WARN, "web: the ledger: %s", gp_store_error(st));
		gp_store_close(st);
		json_decref(maint);
		return gp_page_error(r, resp, 503, TR(r, "The ledger cannot be read.",
						      "Журнал не читается."));
	}
	gp_store_close(st);
	if (!error)
		resp->status = 200;
	gp_page_head(r, resp, TR(r, "Manage", "Управление"));
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<h1>%s</h1>", TR(r, "Manage", "Управление"));
	if (error) {
		gp_sb_add(b, "<p class=\"err\" id=\"error\">");
		gp_sb_esc(b, error);
		gp_sb_add(b, "</p>");
	}
	gp_sb_add(b, "<h2>%s</h2><p><small>%s</small></p>",
		  TR(r, "Maintenance windows", "Плановые работы"),
		  TR(r, "Down time inside a window counts as maintenance; while it lasts no "
			"incident opens.",
		     "Простой внутри окна считается плановыми работами; пока оно длится, "
		     "инциденты не открываются."));
	entries_table(r, b, maint, false);
	gp_sb_add(b, "<h3>%s</h3>", TR(r, "A new window", "Новое окно"));
	maintenance_form(w, r, b, s && !s->downtime ? s : NULL);
	gp_sb_add(b, "<h2>%s</h2><p><small>%s</small></p>",
		  TR(r, "Downtime entered by hand", "Простои, внесённые вручную"),
		  TR(r, "An outage the probe did not see: over time it did not monitor, or, "
			"reported by the customer, over monitored time.",
		     "Простой, которого зонд не видел: за время без мониторинга или, по "
		     "сообщению заказчика, за время под мониторингом."));
	entries_table(r, b, manual, true);
	gp_sb_add(b, "<h3>%s</h3>", TR(r, "A new entry", "Новая запись"));
	entry_form(w, r, b, s && s->downtime ? s : NULL);
	gp_page_foot(resp);
	json_decref(maint);
	json_decref(manual);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

/* The entry of that id among every one of its kind (a new reference), or
 * NULL; *failed when the store could not be read. */
static json_t *find_entry(struct gp_webd *w, struct gp_store *st, bool downtime, int64_t id,
			  bool *failed)
{
	json_t *list = gp_entries_json(w->cfg, st, downtime, NULL);
	*failed = !list;
	json_t *found = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (json_integer_value(json_object_get(v, "id")) == id)
			found = json_incref(v);
	}
	json_decref(list);
	return found;
}

/* The answer to an action done: the form's redirect, or the entry's JSON
 * from a snapshot of its own. */
static void done(struct gp_webd *w, bool api, bool downtime, int64_t id, struct gp_web_resp *resp)
{
	if (!api)
		return redirect_manage(resp);
	struct gp_store *st = gp_web_store(w, false, NULL);
	bool failed = true;
	json_t *e = st ? find_entry(w, st, downtime, id, &failed) : NULL;
	if (st)
		gp_store_close(st);
	if (!e)
		return gp_api_error(resp, 503, "recorded, but the ledger cannot be read back");
	gp_web_json(resp, 200, e);
}

/* A refusal: the API's JSON error, or the page again with the reason. */
static void refused(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		    bool api, int status, const struct sent *s, const char *err)
{
	if (api)
		return gp_api_error(resp, status, err);
	if (status == 503)
		return gp_page_error(r, resp, status, err);
	resp->status = status;
	manage_page(w, r, resp, s, err);
}

static void add_entry(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		      bool api, bool downtime)
{
	struct sent s;
	sent_read(r, downtime, &s);
	struct gp_entry_input in = {
		.downtime = downtime,
		.service = s.service,
		.target = s.target,
		.from = s.from,
		.to = s.to,
		.attribution = s.attribution,
		.reason = s.reason,
		.over_monitored = s.over_monitored,
		.retroactive = s.retroactive,
		.by = r->session->user,
	};
	char err[600] = "";
	struct gp_entry_added a = {0};
	int rc = -1;
	struct gp_store *st = gp_web_store(w, true, NULL);
	if (!st)
		snprintf(err, sizeof(err), "the store cannot be written");
	else
		rc = gp_entry_add(w->cfg, st, &in, (int64_t)time(NULL), &a, err, sizeof(err));
	if (st)
		gp_store_close(st);
	if (rc == 0) {
		gp_log(&w->cli->log, GP_LOG_INFO, "web: %s added %s #%lld", r->session->user,
		       downtime ? "downtime entry" : "maintenance window", (long long)a.id);
		done(w, api, downtime, a.id, resp);
	} else {
		if (rc < 0)
			gp_log(&w->cli->log, GP_LOG_WARN, "web: %s", err);
		refused(w, r, resp, api, rc < 0 ? 503 : 400, &s, err);
	}
	sent_free(&s);
}

static void withdraw(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		     bool api, bool downtime, int64_t id)
{
	const char *what = downtime ? "downtime entry" : "maintenance window";
	char *reason = field(r, "reason");
	char err[600] = "";
	int status = 200;
	struct gp_store *st = NULL;
	if (!reason) {
		snprintf(err, sizeof(err), "a reason is required to %s %s #%lld",
			 downtime ? "revoke" : "cancel", what, (long long)id);
		status = 400;
	} else if (!(st = gp_web_store(w, true, NULL))) {
		snprintf(err, sizeof(err), "the store cannot be written");
		status = 503;
	} else {
		/* Said apart: an entry that is not there (404), one withdrawn
		 * already (409); gp_entry_revoke refuses both again should
		 * another withdraw it meanwhile. */
		bool failed;
		json_t *e = find_entry(w, st, downtime, id, &failed);
		if (failed) {
			snprintf(err, sizeof(err), "cannot read the ledger: %s", gp_store_error(st));
			status = 503;
		} else if (!e) {
			snprintf(err, sizeof(err), "no %s #%lld", what, (long long)id);
			status = 404;
		} else if (json_is_true(json_object_get(e, "revoked"))) {
			snprintf(err, sizeof(err), "%s #%lld was %s already (%s, by %s)", what,
				 (long long)id, downtime ? "revoked" : "cancelled",
				 jstr(e, "revoked_at"), jstr(e, "revoked_by"));
			status = 409;
		} else {
			int rc = gp_entry_revoke(st, downtime, id, r->session->user, reason,
						 (int64_t)time(NULL), err, sizeof(err));
			status = rc == 0 ? 200 : rc > 0 ? 409 : 503;
		}
		json_decref(e);
		gp_store_close(st);
	}
	free(reason);
	if (status == 200) {
		gp_log(&w->cli->log, GP_LOG_INFO, "web: %s %s %s #%lld", r->session->user,
		       downtime ? "revoked" : "cancelled", what, (long long)id);
		return done(w, api, downtime, id, resp);
	}
	if (status == 503)
		gp_log(&w->cli->log, GP_LOG_WARN, "web: %s", err);
	if (status == 404 && !api)
		return gp_page_error(r, resp, 404, err);
	refused(w, r, resp, api, status, NULL, err);
}

/* "/manage/entries/12/revoke" with prefix "/manage/entries/" and suffix
 * "/revoke": id 12. */
static bool id_path(const char *p, const char *prefix, const char *suffix, int64_t *id)
{
	const char *rest;
	return gp_web_id_path(p, prefix, id, &rest) && !strcmp(rest, suffix);
}

bool gp_manage_route(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	bool api = !strncmp(r->path, "/api/", 5);
	const char *p = api ? r->path + 4 : r->path;
	if (strcmp(p, "/manage") != 0 && strncmp(p, "/manage/", 8) != 0)
		return false;
	bool post = !strcmp(r->method, "POST");
	if (r->session->role < GP_ROLE_MANAGER) {
		char err[200];
		snprintf(err, sizeof(err), "maintenance windows and ledger entries take the role "
					   "manager; %s is a%s %s",
			 r->session->user, r->session->role == GP_ROLE_OPERATOR ? "n" : "",
			 gp_web_role_name(r->session->role));
		if (api)
			gp_api_error(resp, 403, err);
		else
			gp_page_error(r, resp, 403, err);
		return true;
	}
	int64_t id;
	if (!post && !api && !strcmp(p, "/manage")) {
		manage_page(w, r, resp, NULL, NULL);
	} else if (!post && api && (!strcmp(p, "/manage/maintenance") ||
				    !strcmp(p, "/manage/entries"))) {
		struct gp_store *st = gp_web_store(w, false, NULL);
		json_t *list = st ? gp_entries_json(w->cfg, st, !strcmp(p, "/manage/entries"), NULL)
				  : NULL;
		if (st)
			gp_store_close(st);
		if (list)
			gp_web_json(resp, 200, list);
		else
			gp_api_error(resp, 503, "the ledger cannot be read");
	} else if (post && !strcmp(p, "/manage/maintenance")) {
		add_entry(w, r, resp, api, false);
	} else if (post && !strcmp(p, "/manage/entries")) {
		add_entry(w, r, resp, api, true);
	} else if (post && id_path(p, "/manage/maintenance/", "/cancel", &id)) {
		withdraw(w, r, resp, api, false, id);
	} else if (post && id_path(p, "/manage/entries/", "/revoke", &id)) {
		withdraw(w, r, resp, api, true, id);
	} else if (api) {
		gp_api_error(resp, 404, "no such path");
	} else {
		gp_page_error(r, resp, 404, TR(r, "No such page.", "Нет такой страницы."));
	}
	return true;
}
