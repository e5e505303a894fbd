/*
 * pages.c - the web console's HTML: server-rendered, no external assets,
 * a viewport and a few lines of CSS for a phone, in Russian or English.
 *
 *   /login            the form
 *   /                 the board: services, problems unhandled first
 *   /?wall=1          the same for a wall screen: large type, the board
 *                     replaced every 10 s from a fetch of the page
 *   /incidents        the list; /incidents/ID one incident, its timeline
 *                     and the forms of what the user's role may do
 */
#include "incidents.h"
#include "web.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TR(r, en, ru) ((r)->english ? (en) : (ru))

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#111}"
	"header{background:#1d2b3a;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;"
	"gap:1em;align-items:center}header a{color:#fff}header form{margin:0}"
	"main{padding:1em}table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}"
	".UP{color:#176d2b}.DOWN{color:#fff;background:#c0392b}.DEGRADED{background:#f5c542}"
	".UNKNOWN,.PENDING{background:#b9a7d6}.err{color:#c0392b;font-weight:bold}"
	".warn{background:#f5c542;padding:.5em}"
	"form.inline{display:inline}button{padding:.4em .8em}"
	"textarea,input[type=text],input[type=password],select{width:100%;max-width:30em;"
	"box-sizing:border-box;padding:.4em}"
	"body.wall{font-size:1.6em;background:#000;color:#eee}body.wall table{background:#111}"
	"body.wall a{color:#9cf}body.wall main{padding:.5em}"
	"body.wall td,body.wall th{border-color:#333}"
	"@media(max-width:40em){td,th{font-size:.9em;padding:.25em}}";

void gp_page_head(const struct gp_web_req *r, struct gp_web_resp *resp, const char *title)
{
	struct gp_sb *b = &resp->body;
	resp->type = "text/html; charset=utf-8";
	gp_sb_add(b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>gprobe: ", r->english ? "en" : "ru");
	gp_sb_esc(b, title);
	gp_sb_add(b, "</title><style>%s</style></head><body%s>\n", css,
		  r->wall ? " class=\"wall\"" : "");
	if (r->session && !r->wall) {
		gp_sb_add(b, "<header><b>gprobe</b><a href=\"/\">%s</a><a href=\"/incidents\">%s</a>"
			     "<a href=\"/?wall=1\">%s</a><a id=\"ledger\" href=\"/ledger\">%s</a>"
			     "<a id=\"graphs\" href=\"/graphs\">%s</a>"
			     "<a id=\"report-html\" href=\"/report?format=html\">%s</a>"
			     "<a id=\"report-pdf\" href=\"/report?format=pdf\">PDF</a>",
			  TR(r, "Services", "Сервисы"), TR(r, "Incidents", "Инциденты"),
			  TR(r, "Wall", "Табло"), TR(r, "Ledger", "Учёт"), TR(r, "Graphs", "Графики"),
			  TR(r, "This month's report", "Отчёт за месяц"));
		if (r->session->role == GP_ROLE_MANAGER)
			gp_sb_add(b, "<a id=\"manage\" href=\"/manage\">%s</a>",
				  TR(r, "Manage", "Управление"));
		gp_sb_add(b, "<span>");
		gp_sb_esc(b, r->session->user);
		gp_sb_add(b, " (%s)</span><form method=\"post\" action=\"/logout\">"
			     "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			     "<button>%s</button></form></header>\n",
			  gp_web_role_name(r->session->role), r->session->csrf,
			  TR(r, "Log out", "Выйти"));
	}
	gp_sb_add(b, "<main>\n");
}

void gp_page_foot(struct gp_web_resp *resp)
{
	gp_sb_add(&resp->body, "</main></body></html>\n");
}

void gp_page_error(const struct gp_web_req *r, struct gp_web_resp *resp, int status,
		   const char *text)
{
	resp->status = status;
	gp_page_head(r, resp, TR(r, "Error", "Ошибка"));
	gp_sb_add(&resp->body, "<p class=\"err\">");
	gp_sb_esc(&resp->body, text);
	gp_sb_add(&resp->body, "</p><p><a href=\"/\">%s</a></p>", TR(r, "Back", "Назад"));
	gp_page_foot(resp);
}

void gp_page_login(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		   const char *error)
{
	(void)w;
	gp_page_head(r, resp, TR(r, "Log in", "Вход"));
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<h1>gprobe</h1>");
	if (error) {
		gp_sb_add(b, "<p class=\"err\" id=\"error\">");
		gp_sb_esc(b, error);
		gp_sb_add(b, "</p>");
	}
	gp_sb_add(b, "<form method=\"post\" action=\"/login\">"
		     "<p><label>%s<br><input type=\"text\" name=\"user\" id=\"user\" "
		     "autocomplete=\"username\" required></label></p>"
		     "<p><label>%s<br><input type=\"password\" name=\"password\" id=\"password\" "
		     "autocomplete=\"current-password\" required></label></p>"
		     "<p><button id=\"login\">%s</button></p></form>",
		  TR(r, "User", "Пользователь"), TR(r, "Password", "Пароль"),
		  TR(r, "Log in", "Войти"));
	gp_page_foot(resp);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* "2026-12-02T01:25:46+05:00" as "2026-12-02 01:25" (calendar.timezone's). */
static void short_time(struct gp_sb *b, const char *iso)
{
	if (strlen(iso) < 16 || iso[10] != 'T')
		return gp_sb_esc(b, iso);
	gp_sb_add(b, "%.10s %.5s", iso, iso + 11);
}

static const char *service_title(const struct gp_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name) && cfg->services[i].title)
			return cfg->services[i].title;
	return NULL;
}

static void csrf_field(const struct gp_web_req *r, struct gp_sb *b)
{
	gp_sb_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->session->csrf);
}

static void ack_button(const struct gp_web_req *r, struct gp_sb *b, long long id)
{
	gp_sb_add(b, "<form class=\"inline\" method=\"post\" action=\"/incidents/%lld/ack\">", id);
	csrf_field(r, b);
	gp_sb_add(b, "<button id=\"ack-%lld\">%s</button></form>", id,
		  TR(r, "Acknowledge", "Принять"));
}

/* 0: a problem nobody took (or no incident yet); 1: a problem in work;
 * 2: up. */
static int rank(json_t *svc)
{
	const char *state = jstr(svc, "state");
	if (!strcmp(state, "UP"))
		return 2;
	json_t *inc = json_object_get(svc, "incident");
	return json_is_object(inc) && !strcmp(jstr(inc, "status"), "open") ? 0
	       : json_is_object(inc)					     ? 1
									     : 0;
}

void gp_page_board(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, resp);
	if (!st)
		return;
	json_t *status = gp_status_json(w->cfg, st);
	resp->status = 200;
	gp_page_head(r, resp, TR(r, "Services", "Сервисы"));
	struct gp_sb *b = &resp->body;
	bool operator = r->session->role >= GP_ROLE_OPERATOR && !r->wall;
	gp_sb_add(b, "<div id=\"board\">");
	const char *daemon = jstr(json_object_get(status, "daemon"), "state");
	if (strcmp(daemon, "running") != 0)
		gp_sb_add(b, "<p class=\"warn\" id=\"stale\">%s</p>",
			  TR(r, "The daemon is not running or stuck: every state is UNKNOWN.",
			     "Демон не работает или завис: все состояния неизвестны."));
	gp_sb_add(b, "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
		     "<th>%s</th><th>%s</th></tr></thead><tbody>\n",
		  TR(r, "State", "Состояние"), TR(r, "Since", "С"),
		  TR(r, "Duration", "Длительность"), TR(r, "Service", "Сервис"),
		  TR(r, "At fault", "Неисправны"), TR(r, "Incident", "Инцидент"),
		  TR(r, "Acknowledged by", "Принял"));
	json_t *services = json_object_get(status, "services");
	int64_t now = (int64_t)time(NULL);
	for (int pass = 0; pass < 3; pass++) {
		size_t i;
		json_t *v;
		json_array_foreach(services, i, v) {
			if (rank(v) != pass)
				continue;
			const char *name = jstr(v, "name"), *state = jstr(v, "state");
			struct gp_service_status ss;
			char dur[40] = "";
			if (strcmp(daemon, "running") == 0 && gp_store_load_service(st, name, &ss) &&
			    ss.since > 0)
				gp_fmt_hms(now - ss.since, dur, sizeof(dur));
			gp_sb_add(b, "<tr id=\"svc-");
			gp_sb_esc(b, name);
			gp_sb_add(b, "\"><td class=\"%s state\">%s</td><td>", state, state);
			short_time(b, jstr(v, "since"));
			gp_sb_add(b, "</td><td>%s</td><td>", dur);
			const char *title = service_title(w->cfg, name);
			gp_sb_esc(b, title ? title : name);
			if (title) {
				gp_sb_add(b, " <small>(");
				gp_sb_esc(b, name);
				gp_sb_add(b, ")</small>");
			}
			gp_sb_add(b, "</td>");
			json_t *ij = json_object_get(v, "incident");
			struct gp_incident inc = {0};
			bool has = json_is_object(ij) &&
				   gp_store_incident_get(
					   st, (int64_t)json_integer_value(json_object_get(ij, "id")),
					   &inc);
			gp_sb_add(b, "<td>");
			if (has)
				gp_sb_esc(b, inc.members);
			gp_sb_add(b, "</td><td>");
			if (has)
				gp_sb_add(b, "<a href=\"/incidents/%lld\">#%lld</a> %s %s",
					  (long long)inc.id, (long long)inc.id,
					  gp_priority_name(inc.priority),
					  gp_incident_status_name(inc.status));
			gp_sb_add(b, "</td><td>");
			if (has && inc.acknowledged_by)
				gp_sb_esc(b, inc.acknowledged_by);
			else if (has && inc.status == GP_INCIDENT_OPEN && operator)
				ack_button(r, b, (long long)inc.id);
			gp_sb_add(b, "</td></tr>\n");
			gp_incident_clear(&inc);
		}
	}
	gp_sb_add(b, "</tbody></table>");
	if (r->wall) {
		char at[40];
		gp_format_local(now, w->cfg->calendar.timezone, at, sizeof(at));
		gp_sb_add(b, "<p><small>%s %s</small></p>", TR(r, "Updated", "Обновлено"), at);
	}
	gp_sb_add(b, "</div>\n");
	if (r->wall)
		gp_sb_add(b, "<script>setInterval(function(){fetch(location.href,"
			     "{credentials:'same-origin'}).then(function(r){return r.text()})"
			     ".then(function(t){var n=new DOMParser().parseFromString(t,'text/html')"
			     ".getElementById('board');if(n)document.getElementById('board')"
			     ".replaceWith(n)}).catch(function(){})},10000)</script>\n");
	gp_page_foot(resp);
	json_decref(status);
	gp_store_close(st);
}

void gp_page_incidents(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp)
{
	struct gp_store *st = gp_web_store(w, false, resp);
	if (!st)
		return;
	json_t *list = gp_incidents_json(w->cfg, st, true);
	gp_store_close(st);
	resp->status = 200;
	gp_page_head(r, resp, TR(r, "Incidents", "Инциденты"));
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<h1>%s</h1><table id=\"incidents\"><thead><tr><th>#</th><th>%s</th>"
		     "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
		  TR(r, "Incidents", "Инциденты"), TR(r, "Service", "Сервис"),
		  TR(r, "Status", "Статус"), TR(r, "Priority", "Приоритет"),
		  TR(r, "Opened", "Открыт"), TR(r, "Response due", "Реакция до"),
		  TR(r, "Attribution", "Ответственность"));
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		long long id = (long long)json_integer_value(json_object_get(v, "id"));
		gp_sb_add(b, "<tr><td><a href=\"/incidents/%lld\">#%lld</a></td><td>", id, id);
		gp_sb_esc(b, jstr(v, "service"));
		gp_sb_add(b, "</td><td>%s</td><td>%s</td><td>", jstr(v, "status"),
			  jstr(v, "priority"));
		gp_sb_esc(b, jstr(v, "opened_at"));
		gp_sb_add(b, "</td><td>");
		gp_sb_esc(b, jstr(v, "response_due_at"));
		gp_sb_add(b, "%s</td><td>%s</td></tr>\n",
			  json_is_true(json_object_get(v, "response_breached")) ? " !" : "",
			  jstr(v, "attribution"));
	}
	gp_sb_add(b, "</tbody></table>");
	gp_page_foot(resp);
	json_decref(list);
}

static void field(struct gp_sb *b, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	gp_sb_add(b, "<tr><th>%s</th><td>", label);
	gp_sb_esc(b, value);
	gp_sb_add(b, "</td></tr>");
}

static void text_form(const struct gp_web_req *r, struct gp_sb *b, long long id,
		      const char *action, const char *label)
{
	gp_sb_add(b, "<form method=\"post\" action=\"/incidents/%lld/%s\"><p>", id, action);
	csrf_field(r, b);
	gp_sb_add(b, "<textarea name=\"text\" id=\"%s-text\" rows=\"2\" required></textarea><br>"
		     "<button id=\"%s\">%s</button></p></form>", action, action, label);
}

void gp_page_incident(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		      int64_t id, const char *error)
{
	struct gp_store *st = gp_web_store(w, false, resp);
	if (!st)
		return;
	json_t *j = gp_incident_show_json(w->cfg, st, id);
	gp_store_close(st);
	if (!j)
		return gp_page_error(r, resp, 404, TR(r, "No such incident.", "Нет такого инцидента."));
	if (!error)
		resp->status = 200;
	char title[64];
	snprintf(title, sizeof(title), "%s #%lld", TR(r, "Incident", "Инцидент"), (long long)id);
	gp_page_head(r, resp, title);
	struct gp_sb *b = &resp->body;
	gp_sb_add(b, "<h1>%s</h1>", title);
	if (error) {
		gp_sb_add(b, "<p class=\"err\" id=\"error\">");
		gp_sb_esc(b, error);
		gp_sb_add(b, "</p>");
	}
	gp_sb_add(b, "<table id=\"incident\">");
	field(b, TR(r, "Service", "Сервис"), jstr(j, "service"));
	field(b, TR(r, "Status", "Статус"), jstr(j, "status"));
	field(b, TR(r, "Priority", "Приоритет"), jstr(j, "priority"));
	field(b, TR(r, "Channel", "Канал"), jstr(j, "channel"));
	field(b, TR(r, "Text", "Текст"), jstr(j, "text"));
	field(b, TR(r, "At fault", "Неисправны"), jstr(j, "members"));
	field(b, TR(r, "Opened", "Открыт"), jstr(j, "opened_at"));
	field(b, TR(r, "Response due", "Реакция до"), jstr(j, "response_due_at"));
	field(b, TR(r, "Acknowledged", "Принят"), jstr(j, "acknowledged_at"));
	field(b, TR(r, "Acknowledged by", "Принял"), jstr(j, "acknowledged_by"));
	field(b, TR(r, "Restored", "Восстановлен"), jstr(j, "restored_at"));
	field(b, TR(r, "Resolved", "Решён"), jstr(j, "resolved_at"));
	field(b, TR(r, "Resolution", "Решение"), jstr(j, "resolution"));
	field(b, TR(r, "Closed", "Закрыт"), jstr(j, "closed_at"));
	field(b, TR(r, "Attribution", "Ответственность"), jstr(j, "attribution"));
	gp_sb_add(b, "</table>");
	const char *status = jstr(j, "status");
	long long lid = (long long)id;
	if (r->session->role >= GP_ROLE_OPERATOR) {
		gp_sb_add(b, "<h2>%s</h2>", TR(r, "Actions", "Действия"));
		if (!strcmp(status, "open"))
			ack_button(r, b, lid);
		text_form(r, b, lid, "note", TR(r, "Add a note", "Добавить заметку"));
		text_form(r, b, lid, "resolve", TR(r, "Resolve", "Решить"));
	}
	if (r->session->role >= GP_ROLE_MANAGER) {
		gp_sb_add(b, "<form method=\"post\" action=\"/incidents/%lld/attribute\"><p>", lid);
		csrf_field(r, b);
		gp_sb_add(b, "<select name=\"attribution\" id=\"attribution\">"
			     "<option>supplier</option><option>customer</option>"
			     "<option>third-party</option></select><br>"
			     "<input type=\"text\" name=\"reason\" id=\"attribute-reason\" required "
			     "placeholder=\"%s\"><br><button id=\"attribute\">%s</button></p></form>",
			  TR(r, "reason", "причина"), TR(r, "Attribute", "Отнести"));
		/* Void: a false alarm, its down time counted as voided; every
		 * status but voided allows it (gp_inc_command says 409 else). */
		if (strcmp(status, "voided") != 0) {
			gp_sb_add(b, "<form method=\"post\" action=\"/incidents/%lld/void\"><p>",
				  lid);
			csrf_field(r, b);
			gp_sb_add(b, "<input type=\"text\" name=\"reason\" id=\"void-reason\" "
				     "required placeholder=\"%s\"><br><button id=\"void\">%s</button>"
				     "</p></form>",
				  TR(r, "why it is a false alarm", "почему это ложная тревога"),
				  TR(r, "Void: a false alarm", "Аннулировать: ложная тревога"));
		}
	}
	gp_sb_add(b, "<h2>%s</h2><table id=\"timeline\"><tbody>",
		  TR(r, "Timeline", "Хронология"));
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(j, "timeline"), i, ev) {
		gp_sb_add(b, "<tr><td>");
		gp_sb_esc(b, jstr(ev, "at"));
		gp_sb_add(b, "</td><td>");
		gp_sb_esc(b, jstr(ev, "kind"));
		gp_sb_add(b, "</td><td>");
		gp_sb_esc(b, jstr(ev, "actor"));
		gp_sb_add(b, "</td><td>");
		if (*jstr(ev, "new_status"))
			gp_sb_add(b, "%s", jstr(ev, "new_status"));
		gp_sb_add(b, "</td><td>");
		gp_sb_esc(b, jstr(ev, "text"));
		gp_sb_add(b, "</td></tr>\n");
	}
	gp_sb_add(b, "</tbody></table>");
	gp_page_foot(resp);
	json_decref(j);
}
