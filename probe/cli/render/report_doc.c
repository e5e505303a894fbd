/*
 * report_doc.c - the monthly report as a document (see report_doc.h).
 *
 * Read what the month holds from the store (gather()), then write the
 * sections top to bottom, each a few blocks of words. Nothing here knows
 * a page or a tag: the renderers lay the blocks out.
 */
#include "report_doc.h"
#include "calendar.h"
#include "format.h"
#include "graph.h"
#include "incidents.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T GP_TR

/* More graphs than this and the document is a photo album; the rest are
 * a `gprobe graph` away, and it says so. */
#define MAX_GRAPHS 40

/* ------------------------------------------------------------------ */
/* What the month holds, read once                                     */

/* An outage of the month: the probe's, or downtime entered by hand (in
 * force: a revoked entry is no outage, only listed among the entries). */
struct outage {
	const struct gp_report_service *svc;
	char *members, *reason, *by;
	int64_t start, end;   /* end 0: not over */
	int64_t incident;     /* 0: none */
	int64_t entry;        /* the manual entry's id; 0: the probe's */
	int64_t by_at;        /* when a person attributed it; 0: the probe's default */
	bool attributed;      /* attribution holds (an incident or an entry) */
	bool over_monitored;  /* an entry: reported over time the probe monitored */
	bool voided;
	enum gp_attribution attribution;
};

struct entry {
	struct gp_ledger_entry e; /* its strings owned here */
};

struct month_data {
	const struct gp_config *cfg;
	const struct gp_report *r;
	struct gp_incident *inc;
	size_t n_inc, cap_inc;
	struct outage *out;
	size_t n_out, cap_out;
	struct entry *down, *win; /* every entry, revoked ones too */
	size_t n_down, cap_down, n_win, cap_win;
	const struct gp_report_service *svc; /* whose outages are being listed */
};

static void got_incident(void *ctx, const struct gp_incident *inc)
{
	struct month_data *m = ctx;
	if (!gp_inc_within(inc, m->r->span.start, m->r->span.end))
		return;
	gp_grow((void **)&m->inc, &m->cap_inc, m->n_inc, sizeof(*m->inc));
	gp_incident_copy(&m->inc[m->n_inc++], inc);
}

static struct outage *new_outage(struct month_data *m)
{
	gp_grow((void **)&m->out, &m->cap_out, m->n_out, sizeof(*m->out));
	struct outage *o = &m->out[m->n_out++];
	memset(o, 0, sizeof(*o));
	return o;
}

static void got_outage(void *ctx, const struct gp_outage_row *row)
{
	struct month_data *m = ctx;
	struct outage *o = new_outage(m);
	o->svc = m->svc;
	o->members = gp_xstrdup(row->members ? row->members : "");
	o->start = row->start;
	o->end = row->end;
	o->incident = row->has_incident ? row->incident : 0;
	o->attributed = row->has_incident;
	o->attribution = row->attribution;
	o->voided = row->has_incident && row->incident_status == GP_INCIDENT_VOIDED;
	o->by = row->attributed_by ? gp_xstrdup(row->attributed_by) : NULL;
	o->by_at = row->attributed_at;
}

static char *dup0(const char *s)
{
	return s ? gp_xstrdup(s) : NULL;
}

static void keep_entry(struct entry *x, const struct gp_ledger_entry *e)
{
	x->e = *e;
	x->e.service = dup0(e->service);
	x->e.target = dup0(e->target);
	x->e.reason = dup0(e->reason);
	x->e.created_by = dup0(e->created_by);
	x->e.revoked_by = dup0(e->revoked_by);
	x->e.revoke_reason = dup0(e->revoke_reason);
}

static void free_entry(struct entry *x)
{
	free((char *)x->e.service);
	free((char *)x->e.target);
	free((char *)x->e.reason);
	free((char *)x->e.created_by);
	free((char *)x->e.revoked_by);
	free((char *)x->e.revoke_reason);
}

static const struct gp_report_service *report_service(const struct gp_report *r,
						      const char *name)
{
	for (size_t i = 0; name && i < r->n; i++)
		if (!strcmp(r->services[i].name, name))
			return &r->services[i];
	return NULL;
}

static void got_downtime(void *ctx, const struct gp_ledger_entry *e)
{
	struct month_data *m = ctx;
	gp_grow((void **)&m->down, &m->cap_down, m->n_down, sizeof(*m->down));
	keep_entry(&m->down[m->n_down++], e);
	const struct gp_report_service *svc = report_service(m->r, e->service);
	if (e->revoked_at || !svc)
		return;
	struct outage *o = new_outage(m);
	o->svc = svc;
	o->members = gp_xstrdup("");
	o->reason = gp_xstrdup(e->reason ? e->reason : "");
	o->by = dup0(e->created_by);
	o->by_at = e->created_at;
	o->start = e->start;
	o->end = e->end;
	o->entry = e->id;
	o->attributed = true;
	o->over_monitored = e->over_monitored;
	o->attribution = e->attribution;
}

static void got_window(void *ctx, const struct gp_ledger_entry *e)
{
	struct month_data *m = ctx;
	gp_grow((void **)&m->win, &m->cap_win, m->n_win, sizeof(*m->win));
	keep_entry(&m->win[m->n_win++], e);
}

static int by_start(const void *a, const void *b)
{
	const struct outage *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->svc->name, y->svc->name);
}

static int gather(struct gp_store *st, struct month_data *m)
{
	const struct gp_report *r = m->r;
	if (gp_store_incident_list(st, true, got_incident, m) != 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		m->svc = &r->services[i];
		if (gp_store_outage_list(st, m->svc->name, r->span.start, r->span.end, got_outage,
					 m) != 0)
			return -1;
	}
	if (gp_store_entry_list(st, GP_ENTRY_DOWNTIME, NULL, r->span.start, r->span.end,
				got_downtime, m) != 0 ||
	    gp_store_entry_list(st, GP_ENTRY_MAINTENANCE, NULL, r->span.start, r->span.end,
				got_window, m) != 0)
		return -1;
	if (m->n_out > 1)
		qsort(m->out, m->n_out, sizeof(*m->out), by_start);
	/* Oldest first: the listing is newest first. */
	for (size_t i = 0; i < m->n_inc / 2; i++) {
		struct gp_incident tmp = m->inc[i];
		m->inc[i] = m->inc[m->n_inc - 1 - i];
		m->inc[m->n_inc - 1 - i] = tmp;
	}
	return 0;
}

static void month_data_free(struct month_data *m)
{
	for (size_t i = 0; i < m->n_inc; i++)
		gp_incident_clear(&m->inc[i]);
	for (size_t i = 0; i < m->n_out; i++) {
		free(m->out[i].members);
		free(m->out[i].reason);
		free(m->out[i].by);
	}
	for (size_t i = 0; i < m->n_down; i++)
		free_entry(&m->down[i]);
	for (size_t i = 0; i < m->n_win; i++)
		free_entry(&m->win[i]);
	free(m->inc);
	free(m->out);
	free(m->down);
	free(m->win);
}

/* What an outage weighed within the month, from its service's segments:
 * the maintenance it overlapped, the supplier's seconds charged (by the
 * contract's hour rounding) and their amount, each outage on its own. */
struct weight {
	int64_t maintenance, charged, tiyn;
};

static struct weight outage_weight(const struct gp_config *cfg, const struct gp_report *r,
				   const struct outage *o)
{
	struct weight w = {0};
	int64_t from = o->start > r->span.start ? o->start : r->span.start;
	int64_t to = o->end > 0 && o->end < r->span.end ? o->end : r->span.end;
	struct gp_span *sp = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < o->svc->n_seg; i++) {
		const struct gp_sla_segment *s = &o->svc->seg[i];
		int64_t lo = s->start > from ? s->start : from, hi = s->end < to ? s->end : to;
		/* An entry's seconds are its own; the probe's are no entry's. */
		if (lo >= hi || s->manual != o->entry)
			continue;
		if (s->cls == GP_SLA_MAINTENANCE)
			w.maintenance += hi - lo;
		if (s->cls == GP_SLA_DOWN && s->attribution == GP_ATTR_SUPPLIER) {
			gp_grow((void **)&sp, &cap, n, sizeof(*sp));
			sp[n++] = (struct gp_span){lo, hi};
		}
	}
	w.charged = gp_penalty_charged(sp, n, cfg->contract.hour_rounding);
	w.tiyn = r->has_contract ? gp_penalty_tiyn(&cfg->contract, w.charged) : 0;
	free(sp);
	return w;
}

/* ------------------------------------------------------------------ */
/* Words                                                               */

static const char *month_name(const struct gp_config *cfg, int m)
{
	static const char *const ru[12] = {"январь", "февраль", "март",     "апрель",
					   "май",    "июнь",    "июль",     "август",
					   "сентябрь", "октябрь", "ноябрь", "декабрь"};
	static const char *const en[12] = {"January", "February", "March",     "April",
					   "May",     "June",     "July",      "August",
					   "September", "October", "November", "December"};
	if (m < 1 || m > 12)
		return "?";
	return gp_fmt_russian(cfg) ? ru[m - 1] : en[m - 1];
}

static const char *attribution_word(const struct gp_config *cfg, enum gp_attribution a)
{
	switch (a) {
	case GP_ATTR_SUPPLIER: return T(cfg, "supplier", "поставщик");
	case GP_ATTR_CUSTOMER: return T(cfg, "customer", "заказчик");
	case GP_ATTR_THIRD_PARTY: return T(cfg, "third party", "третьи лица");
	case GP_ATTR_UNATTRIBUTED: return T(cfg, "unattributed", "не отнесён");
	default: return gp_attribution_name(a);
	}
}

static const char *status_word(const struct gp_config *cfg, enum gp_incident_status s)
{
	switch (s) {
	case GP_INCIDENT_OPEN: return T(cfg, "open", "открыт");
	case GP_INCIDENT_ACKNOWLEDGED: return T(cfg, "acknowledged", "принят в работу");
	case GP_INCIDENT_RESTORED: return T(cfg, "service restored", "сервис восстановлен");
	case GP_INCIDENT_RESOLVED: return T(cfg, "resolved", "решён");
	case GP_INCIDENT_CLOSED: return T(cfg, "closed", "закрыт");
	case GP_INCIDENT_VOIDED: return T(cfg, "voided", "аннулирован");
	default: return gp_incident_status_name(s);
	}
}

static const char *channel_word(const struct gp_config *cfg, enum gp_inc_channel c)
{
	switch (c) {
	case GP_CHANNEL_PROBE: return T(cfg, "probe", "зонд");
	case GP_CHANNEL_PHONE: return T(cfg, "phone", "телефон");
	case GP_CHANNEL_EMAIL: return T(cfg, "e-mail", "эл. почта");
	case GP_CHANNEL_WEB: return T(cfg, "InfraManager", "InfraManager");
	default: return gp_inc_channel_name(c);
	}
}

static const char *party_word(const struct gp_config *cfg, enum gp_owner o)
{
	switch (o) {
	case GP_OWNER_CUSTOMER: return T(cfg, "For the customer", "От заказчика");
	case GP_OWNER_SUPPLIER: return T(cfg, "For the supplier", "От поставщика");
	default: return T(cfg, "For the third party", "От третьего лица");
	}
}

static const char *party_org(const struct gp_config *cfg, enum gp_owner o)
{
	if (o == GP_OWNER_CUSTOMER)
		return cfg->contract.customer;
	if (o == GP_OWNER_SUPPLIER)
		return cfg->contract.supplier;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Building blocks                                                     */

struct build {
	struct gp_doc *d;
	const struct gp_config *cfg;
	const struct gp_report *r;
	struct month_data *m;
	int64_t now;
	char offset[64]; /* the period's UTC offset as gp_format_local writes it */
};

static struct gp_doc_block *add(struct gp_doc *d, enum gp_doc_kind kind)
{
	gp_grow((void **)&d->b, &d->cap, d->n, sizeof(*d->b));
	struct gp_doc_block *b = &d->b[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	return b;
}

/* A heading, a paragraph: the text is taken (malloc'd). */
static void add_text(struct gp_doc *d, enum gp_doc_kind kind, enum gp_doc_style style, char *text)
{
	struct gp_doc_block *b = add(d, kind);
	b->style = style;
	b->text = text;
}

static void heading(struct build *b, const char *text)
{
	add_text(b->d, GP_DOC_HEADING, GP_DOC_BOLD, gp_xstrdup(text));
}

static void para(struct build *b, enum gp_doc_style style, char *text)
{
	add_text(b->d, GP_DOC_PARA, style, text);
}

struct colspec {
	const char *head;
	double weight;
	bool right;
};

static struct gp_doc_block *table(struct gp_doc *d, const struct colspec *c, size_t n)
{
	struct gp_doc_block *t = add(d, GP_DOC_TABLE);
	t->cols = gp_xcalloc(n, sizeof(*t->cols));
	t->n_cols = n;
	for (size_t i = 0; i < n; i++)
		t->cols[i] = (struct gp_doc_col){gp_xstrdup(c[i].head), c[i].weight, c[i].right};
	return t;
}

/* A row of n_cols malloc'd cells, taken. */
static void row(struct gp_doc_block *t, bool bold, char **cells)
{
	t->cells = gp_xrealloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof(*t->cells));
	t->bold = gp_xrealloc(t->bold, (t->n_rows + 1) * sizeof(*t->bold));
	memcpy(t->cells + t->n_rows * t->n_cols, cells, t->n_cols * sizeof(*cells));
	t->bold[t->n_rows++] = bold;
}

/* A moment as people read it, in the calendar's zone: "2026-11-25 10:40:01",
 * its offset added only where it is not the period's. */
static char *when(const struct build *b, int64_t t)
{
	char buf[64];
	if (t <= 0)
		return gp_xstrdup("—");
	gp_format_local(t, b->cfg->calendar.timezone, buf, sizeof(buf));
	char *sep = strchr(buf, 'T');
	if (sep)
		*sep = ' ';
	if (strlen(buf) > 19 && !strcmp(buf + 19, b->offset))
		buf[19] = '\0';
	return gp_xstrdup(buf);
}

static char *hms(int64_t s)
{
	char buf[40];
	return gp_xstrdup(gp_fmt_hms(s, buf, sizeof(buf)));
}

/* Tenge as gp_fmt_money writes them, grouped by no-break spaces: an
 * amount is never wrapped across lines. */
static char *money(int64_t tiyn)
{
	char buf[40], out[64];
	size_t k = 0;
	for (const char *c = gp_fmt_money(tiyn, true, buf, sizeof(buf)); *c && k + 3 < sizeof(out);
	     c++) {
		if (*c == ' ') {
			out[k++] = '\xc2';
			out[k++] = '\xa0';
		} else {
			out[k++] = *c;
		}
	}
	out[k] = '\0';
	return gp_xstrdup(out);
}

static char *pct(int64_t bp)
{
	char buf[32];
	return gp_xstrdup(gp_fmt_percent(bp, buf, sizeof(buf)));
}

static char *month_words(const struct gp_config *cfg, int year, int month)
{
	return gp_xasprintf("%s %d", month_name(cfg, month), year);
}

/* ------------------------------------------------------------------ */
/* The sections, in the document's order                               */

static void title(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct gp_contract *c = &cfg->contract;
	add_text(b->d, GP_DOC_TITLE, GP_DOC_BOLD, gp_xstrdup(b->d->title));
	if (c->number || c->has_date) {
		char date[32] = "";
		if (c->has_date && gp_fmt_russian(cfg))
			snprintf(date, sizeof(date), "%02d.%02d.%04d", c->date.day, c->date.month,
				 c->date.year);
		else if (c->has_date)
			snprintf(date, sizeof(date), "%04d-%02d-%02d", c->date.year, c->date.month,
				 c->date.day);
		para(b, GP_DOC_BOLD,
		     gp_xasprintf("%s%s%s%s%s", T(cfg, "Contract", "Договор"),
				  c->number ? T(cfg, " No. ", " № ") : "", c->number ? c->number : "",
				  c->has_date ? T(cfg, " of ", " от ") : "", date));
	}
	if (c->customer)
		para(b, GP_DOC_BODY, gp_xasprintf("%s: %s", T(cfg, "Customer", "Заказчик"), c->customer));
	if (c->supplier)
		para(b, GP_DOC_BODY, gp_xasprintf("%s: %s", T(cfg, "Supplier", "Поставщик"), c->supplier));
	char *from = when(b, b->r->span.start), *to = when(b, b->r->span.end), *made = when(b, b->now);
	const char *off = b->offset[0] == 'Z' || !b->offset[0] ? "" : b->offset;
	para(b, GP_DOC_BODY,
	     gp_xasprintf("%s: %s — %s. %s: %s (UTC%s)%s %s: %s.", T(cfg, "Period", "Период"), from,
			  to, T(cfg, "Times are local to", "Время указано по часовому поясу"),
			  cfg->calendar.timezone, off,
			  b->r->partial ? T(cfg, ". The month is not over: figures so far.",
					    ". Месяц не окончен: данные на текущий момент.")
					: ".",
			  T(cfg, "Drawn up", "Сформирован"), made));
	free(from);
	free(to);
	free(made);
}

/* Who gave an outage its attribution, and when. */
static char *attributed(const struct build *b, const struct outage *o)
{
	const struct gp_config *cfg = b->cfg;
	const char *word = o->attributed ? attribution_word(cfg, o->attribution)
					 : T(cfg, "by the components' owners", "по владельцам компонентов");
	const char *voided = o->voided ? T(cfg, " (voided)", " (аннулирован)") : "";
	if (o->entry) {
		char *at = when(b, o->by_at);
		char *s = gp_xasprintf("%s%s\n%s %s, %s", word, voided, T(cfg, "entered by", "внёс"),
				       o->by && *o->by ? o->by : "—", at);
		free(at);
		return s;
	}
	if (o->by) {
		char *at = when(b, o->by_at);
		char *s = gp_xasprintf("%s%s\n%s %s, %s", word, voided,
				       T(cfg, "attributed by", "отнёс"), o->by, at);
		free(at);
		return s;
	}
	return gp_xasprintf("%s%s\n%s", word, voided,
			    o->attributed ? T(cfg, "the probe, by the components' owners",
					      "зонд, по владельцам компонентов")
					  : T(cfg, "no incident", "без инцидента"));
}

static void outages(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct month_data *m = b->m;
	heading(b, T(cfg, "Outages", "Простои"));
	if (m->n_out == 0) {
		para(b, GP_DOC_BODY, gp_xstrdup(T(cfg, "No outage this month.",
						  "В этом месяце простоев не было.")));
		return;
	}
	const struct colspec cols[] = {
		{T(cfg, "Start", "Начало"), 1.45, false},
		{T(cfg, "End", "Конец"), 1.45, false},
		{T(cfg, "Duration", "Длительность"), 0.9, true},
		{T(cfg, "Service", "Сервис"), 1.05, false},
		{T(cfg, "Components at fault", "Компоненты, вызвавшие простой"), 1.85, false},
		{T(cfg, "Attribution, by whom", "Ответственность, кем отнесён"), 1.5, false},
		{T(cfg, "Incident", "Инцидент"), 0.7, false},
		{T(cfg, "Maintenance overlap", "В плановых работах"), 0.85, true},
		{T(cfg, "Charged, h", "К расчёту, ч"), 0.85, true},
		{T(cfg, "Amount, KZT", "Сумма, тг"), 1.0, true},
	};
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->n_out; i++) {
		const struct outage *o = &m->out[i];
		struct weight w = outage_weight(cfg, b->r, o);
		char *c[10];
		c[0] = when(b, o->start);
		c[1] = o->end > 0 ? when(b, o->end) : gp_xstrdup(T(cfg, "not over", "продолжается"));
		c[2] = hms((o->end > 0 ? o->end : b->r->span.end) - o->start);
		c[3] = gp_xstrdup(o->svc->name);
		if (o->entry)
			c[4] = gp_xasprintf("%s #%lld: %s",
					    o->over_monitored
						    ? T(cfg, "reported by the customer, entry",
							"сообщён заказчиком, запись")
						    : T(cfg, "entered by hand, entry", "внесён вручную, запись"),
					    (long long)o->entry, o->reason);
		else
			c[4] = gp_xstrdup(*o->members ? o->members : "—");
		c[5] = attributed(b, o);
		c[6] = o->incident ? gp_xasprintf("#%lld", (long long)o->incident) : gp_xstrdup("—");
		c[7] = hms(w.maintenance);
		c[8] = hms(w.charged);
		c[9] = money(w.tiyn);
		row(t, false, c);
	}
	para(b, GP_DOC_NOTE,
	     gp_xstrdup(T(cfg, "An outage's charged hours and amount are its own, for information; "
			       "the month's penalty is computed once from all of them (below).",
			  "Часы к расчёту и сумма простоя даны по каждому простою отдельно, для "
			  "сведения; штраф за месяц рассчитан один раз по всем простоям (ниже).")));
}

static void services(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct gp_report *r = b->r;
	const struct colspec cols[] = {
		{T(cfg, "Service", "Сервис"), 1.5, false},
		{T(cfg, "Up", "Работа"), 1, true},
		{T(cfg, "Degraded", "Деградация"), 1, true},
		{T(cfg, "Down: supplier", "Простой: поставщик"), 1, true},
		{T(cfg, "Down: customer", "Простой: заказчик"), 1, true},
		{T(cfg, "Down: third party", "Простой: третьи лица"), 1, true},
		{T(cfg, "Down: unattributed", "Простой: не отнесён"), 1, true},
		{T(cfg, "Maintenance", "Плановые работы"), 1, true},
		{T(cfg, "Voided", "Аннулировано"), 1, true},
		{T(cfg, "Unmonitored", "Без мониторинга"), 1, true},
		{T(cfg, "Monitored, % of the month", "Мониторинг, % месяца"), 0.95, true},
		{T(cfg, "Availability, % of monitored time", "Доступность, % наблюдаемого времени"),
		 1.05, true},
		{T(cfg, "Charged, h", "К расчёту, ч"), 1, true},
		{T(cfg, "Penalty, KZT", "Штраф, тг"), 1.1, true},
	};
	heading(b, T(cfg, "Services (hours:minutes:seconds)", "Сервисы (часы:минуты:секунды)"));
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < r->n; i++) {
		const struct gp_report_service *s = &r->services[i];
		const int64_t *sec = s->totals.seconds, *dn = s->totals.down;
		char *c[14];
		c[0] = s->title && strcmp(s->title, s->name) ? gp_xasprintf("%s\n%s", s->title, s->name)
							      : gp_xstrdup(s->name);
		c[1] = hms(sec[GP_SLA_UP]);
		c[2] = hms(sec[GP_SLA_DEGRADED]);
		c[3] = hms(dn[GP_ATTR_SUPPLIER]);
		c[4] = hms(dn[GP_ATTR_CUSTOMER]);
		c[5] = hms(dn[GP_ATTR_THIRD_PARTY]);
		c[6] = hms(dn[GP_ATTR_UNATTRIBUTED]);
		c[7] = hms(sec[GP_SLA_MAINTENANCE]);
		c[8] = hms(sec[GP_SLA_VOIDED]);
		c[9] = hms(sec[GP_SLA_UNMONITORED]);
		c[10] = pct(s->coverage_bp);
		c[11] = pct(s->availability_bp);
		c[12] = hms(s->charged_seconds);
		c[13] = money(s->penalty_tiyn);
		row(t, false, c);
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->services[i].avail_none != GP_AVAIL_SHOWN)
			para(b, GP_DOC_NOTE,
			     gp_xasprintf("— %s: %s", r->services[i].name,
					  gp_fmt_avail_none(cfg, r->services[i].avail_none, false)));
	if (r->has_contract)
		para(b, GP_DOC_NOTE, gp_xstrdup(gp_fmt_rounding_note(cfg)));
}

static void penalty(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct gp_report *r = b->r;
	heading(b, T(cfg, "Penalty", "Штраф"));
	if (!r->has_contract) {
		para(b, GP_DOC_BODY,
		     gp_xstrdup(T(cfg, "No contract in the config: no penalty is computed.",
				  "Договор не задан в конфигурации: штраф не рассчитывается.")));
		return;
	}
	bool sum = cfg->contract.overlap == GP_OVERLAP_SUM;
	const char *kzt = T(cfg, "KZT", "тг");
	const char *applied = T(cfg, " — applied by the contract", " — применяется по договору");
	char a[40], c[40];
	char *u = money(r->pen.union_tiyn), *sm = money(r->pen.sum_tiyn);
	char *ap = money(r->penalty_tiyn), *cu = money(r->cumulative_tiyn);
	char *cap = money(r->cap_tiyn), *due = money(r->pen.uncapped_tiyn);
	para(b, sum ? GP_DOC_BODY : GP_DOC_BOLD,
	     gp_xasprintf("%s %s %s (%s)%s",
			  T(cfg, "Union (an instant counted once):",
			    "Объединение (одновременный простой считается один раз):"),
			  u, kzt, gp_fmt_hms(r->pen.union_seconds, a, sizeof(a)), sum ? "" : applied));
	para(b, sum ? GP_DOC_BOLD : GP_DOC_BODY,
	     gp_xasprintf("%s %s %s (%s)%s",
			  T(cfg, "Sum (once per service):", "Сумма (по каждому сервису отдельно):"), sm,
			  kzt, gp_fmt_hms(r->pen.sum_seconds, c, sizeof(c)), sum ? applied : ""));
	if (r->capped)
		para(b, GP_DOC_LARGE,
		     gp_xasprintf("%s %s %s (%s %s %s)", T(cfg, "Penalty this month:", "Штраф за месяц:"),
				  ap, kzt,
				  T(cfg, "cut by the cap; before it", "ограничен предельной суммой; без ограничения"),
				  due, kzt));
	else
		para(b, GP_DOC_LARGE,
		     gp_xasprintf("%s %s %s", T(cfg, "Penalty this month:", "Штраф за месяц:"), ap, kzt));
	para(b, GP_DOC_BODY,
	     gp_xasprintf("%s %s %s; %s %s %s",
			  T(cfg, "Over the term so far:", "Нарастающим итогом за срок договора:"), cu,
			  kzt, T(cfg, "the cap:", "предельная сумма:"), cap, kzt));
	free(u);
	free(sm);
	free(ap);
	free(cu);
	free(due);
	char *rules = gp_fmt_report_rules_text(cfg, r);
	if (rules)
		para(b, GP_DOC_MONO, rules);

	/* Every month of the term through this one: the running total. */
	heading(b, T(cfg, "The months of the term", "Месяцы срока договора"));
	const struct colspec cols[] = {
		{T(cfg, "Month", "Месяц"), 1.4, false},
		{T(cfg, "Penalty before the cap, KZT", "Штраф без ограничения, тг"), 1, true},
		{T(cfg, "Payable, KZT", "К оплате, тг"), 1, true},
		{T(cfg, "Running total, KZT", "Нарастающим итогом, тг"), 1, true},
	};
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < r->n_months; i++) {
		const struct gp_report_month *mo = &r->months[i];
		char *mw = month_words(cfg, mo->year, mo->month);
		char *cells[4] = {
			mo->capped ? gp_xasprintf("%s (%s)", mw, T(cfg, "cut by the cap", "ограничен"))
				   : gp_xstrdup(mw),
			money(mo->uncapped_tiyn), money(mo->penalty_tiyn), money(mo->cumulative_tiyn)};
		free(mw);
		row(t, false, cells);
	}
	char *last[4] = {gp_xstrdup(T(cfg, "The cap over the term", "Предел за срок договора")),
			 gp_xstrdup(""), gp_xstrdup(""), cap};
	row(t, true, last);
}

/* An entry's state: in force, or revoked (cancelled) by whom, when, why. */
static char *entry_state(const struct build *b, const struct gp_ledger_entry *e, bool window)
{
	const struct gp_config *cfg = b->cfg;
	if (!e->revoked_at)
		return gp_xstrdup(T(cfg, "in force", "действует"));
	char *at = when(b, e->revoked_at);
	char *s = gp_xasprintf("%s %s, %s: %s",
			       window ? T(cfg, "cancelled, not counted:", "отменено, не учитывается:")
				      : T(cfg, "revoked, not counted:", "отозвана, не учитывается:"),
			       e->revoked_by ? e->revoked_by : "—", at,
			       e->revoke_reason ? e->revoke_reason : "");
	free(at);
	return s;
}

static char *entered(const struct build *b, const struct gp_ledger_entry *e)
{
	char *at = when(b, e->created_at);
	char *s = gp_xasprintf("%s, %s", e->created_by ? e->created_by : "—", at);
	free(at);
	return s;
}

static void windows(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct month_data *m = b->m;
	heading(b, T(cfg, "Maintenance windows", "Плановые работы"));
	if (m->n_win == 0) {
		para(b, GP_DOC_BODY, gp_xstrdup(T(cfg, "None this month.", "В этом месяце не было.")));
		return;
	}
	const struct colspec cols[] = {
		{"№", 0.4, false},
		{T(cfg, "Start", "Начало"), 1.25, false},
		{T(cfg, "End", "Конец"), 1.25, false},
		{T(cfg, "Duration", "Длительность"), 0.85, true},
		{T(cfg, "Service or component", "Сервис или компонент"), 1.2, false},
		{T(cfg, "Reason", "Причина"), 2.2, false},
		{T(cfg, "Entered by", "Внёс"), 1.4, false},
		{T(cfg, "State", "Состояние"), 1.6, false},
	};
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->n_win; i++) {
		const struct gp_ledger_entry *e = &m->win[i].e;
		char *c[8];
		c[0] = gp_xasprintf("#%lld", (long long)e->id);
		c[1] = when(b, e->start);
		c[2] = when(b, e->end);
		c[3] = hms(e->end - e->start);
		c[4] = e->target ? gp_xasprintf("%s %s", T(cfg, "component", "компонент"), e->target)
				 : gp_xstrdup(e->service ? e->service : "");
		c[5] = e->retroactive ? gp_xasprintf("%s\n[%s]", e->reason ? e->reason : "",
						     T(cfg, "retroactive: entered over recorded downtime",
						       "задним числом: внесено поверх зафиксированного простоя"))
				      : gp_xstrdup(e->reason ? e->reason : "");
		c[6] = entered(b, e);
		c[7] = entry_state(b, e, true);
		row(t, false, c);
	}
}

static void manual_entries(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct month_data *m = b->m;
	heading(b, T(cfg, "Downtime entered by hand", "Простои, внесённые вручную"));
	if (m->n_down == 0) {
		para(b, GP_DOC_BODY, gp_xstrdup(T(cfg, "None this month.", "В этом месяце не было.")));
		return;
	}
	const struct colspec cols[] = {
		{"№", 0.4, false},
		{T(cfg, "Service", "Сервис"), 1.05, false},
		{T(cfg, "Start", "Начало"), 1.25, false},
		{T(cfg, "End", "Конец"), 1.25, false},
		{T(cfg, "Attribution", "Ответственность"), 0.95, false},
		{T(cfg, "Over", "Поверх"), 1.3, false},
		{T(cfg, "Reason", "Причина"), 1.8, false},
		{T(cfg, "Entered by", "Внёс"), 1.3, false},
		{T(cfg, "State", "Состояние"), 1.6, false},
	};
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->n_down; i++) {
		const struct gp_ledger_entry *e = &m->down[i].e;
		char *c[9];
		c[0] = gp_xasprintf("#%lld", (long long)e->id);
		c[1] = gp_xstrdup(e->service ? e->service : "");
		c[2] = when(b, e->start);
		c[3] = when(b, e->end);
		c[4] = gp_xstrdup(attribution_word(cfg, e->attribution));
		c[5] = gp_xstrdup(e->over_monitored
					  ? T(cfg, "monitored time: reported by the customer",
					      "время под мониторингом: сообщён заказчиком")
					  : T(cfg, "unmonitored time", "время без мониторинга"));
		c[6] = gp_xstrdup(e->reason ? e->reason : "");
		c[7] = entered(b, e);
		c[8] = entry_state(b, e, false);
		row(t, false, c);
	}
}

/* The month's unmonitored time, each stretch once with the services it
 * covers and why: a failover (the event the node that took over wrote at
 * the stretch's end), else the probe not running. */
struct gap {
	int64_t start, end;
	size_t n_services;
	char *cause;
};
struct gaps {
	struct gap *v;
	size_t n, cap;
	int64_t from, to;
	struct gp_event_row *fo; /* failovers: at and detail */
	size_t n_fo, cap_fo;
};

static void got_period(void *ctx, const struct gp_period_row *p)
{
	struct gaps *g = ctx;
	if (p->state != GP_LEDGER_UNMONITORED || p->end <= 0)
		return;
	int64_t a = p->start > g->from ? p->start : g->from;
	int64_t z = p->end < g->to ? p->end : g->to;
	if (z <= a)
		return;
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].start == a && g->v[i].end == z) {
			g->v[i].n_services++;
			return;
		}
	gp_grow((void **)&g->v, &g->cap, g->n, sizeof(*g->v));
	g->v[g->n++] = (struct gap){a, z, 1, NULL};
}

static void got_failover(void *ctx, const struct gp_event_row *ev)
{
	struct gaps *g = ctx;
	if (ev->kind != GP_EV_FAILOVER)
		return;
	gp_grow((void **)&g->fo, &g->cap_fo, g->n_fo, sizeof(*g->fo));
	g->fo[g->n_fo] = *ev;
	g->fo[g->n_fo++].detail = gp_xstrdup(ev->detail ? ev->detail : "");
}

static int by_gap_start(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void unmonitored(struct build *b, struct gp_store *st)
{
	const struct gp_config *cfg = b->cfg;
	const struct gp_report *r = b->r;
	struct gaps g = {.from = r->span.start, .to = r->span.end};
	for (size_t i = 0; i < r->n; i++)
		gp_store_period_list(st, r->services[i].name, r->span.start, r->span.end, got_period,
				     &g);
	gp_store_event_list(st, "probe", r->span.start, 0, got_failover, &g);
	heading(b, T(cfg, "Unmonitored time", "Время без мониторинга"));
	if (g.n == 0) {
		para(b, GP_DOC_BODY, gp_xstrdup(T(cfg, "None this month.", "В этом месяце не было.")));
	} else {
		qsort(g.v, g.n, sizeof(*g.v), by_gap_start);
		const struct colspec cols[] = {
			{T(cfg, "Start", "Начало"), 1.25, false},
			{T(cfg, "End", "Конец"), 1.25, false},
			{T(cfg, "Duration", "Длительность"), 0.85, true},
			{T(cfg, "Services", "Сервисов"), 0.7, true},
			{T(cfg, "Why", "Причина"), 4.0, false},
		};
		struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
		for (size_t i = 0; i < g.n; i++) {
			const char *why = T(cfg, "the probe was not running", "зонд не работал");
			char *fo = NULL;
			/* The node that took over dated its event with the end of
			 * the time it then recorded as unmonitored. */
			for (size_t k = 0; k < g.n_fo && !fo; k++)
				if (g.fo[k].at >= g.v[i].end - 2 && g.fo[k].at <= g.v[i].end + 2)
					fo = gp_xasprintf("%s: %s",
							  T(cfg, "failover", "переключение зонда"),
							  g.fo[k].detail);
			char *c[5] = {when(b, g.v[i].start), when(b, g.v[i].end),
				      hms(g.v[i].end - g.v[i].start),
				      gp_xasprintf("%zu", g.v[i].n_services),
				      fo ? fo : gp_xstrdup(why)};
			row(t, false, c);
		}
	}
	for (size_t k = 0; k < g.n_fo; k++)
		free((char *)g.fo[k].detail);
	free(g.fo);
	free(g.v);
}

/* met / breached / pending, for a target `due` done at `done` (0: not yet). */
static const char *verdict(const struct gp_config *cfg, int64_t due, int64_t done, int64_t now)
{
	if (due <= 0)
		return T(cfg, "no target", "срок не задан");
	if (done > 0)
		return done <= due ? T(cfg, "met", "в срок") : T(cfg, "BREACHED", "НАРУШЕН");
	return now > due ? T(cfg, "BREACHED", "НАРУШЕН") : T(cfg, "not yet due", "срок не истёк");
}

static void requests(struct build *b, struct gp_store *st)
{
	const struct gp_config *cfg = b->cfg;
	const struct month_data *m = b->m;
	heading(b, T(cfg, "Requests: response and resolution against the targets",
		     "Обращения: реакция и решение в сравнении со сроками"));
	if (m->n_inc == 0) {
		para(b, GP_DOC_BODY, gp_xstrdup(T(cfg, "None this month.", "В этом месяце не было.")));
		return;
	}
	const struct colspec cols[] = {
		{"№", 0.45, false},
		{T(cfg, "Service", "Сервис"), 1.0, false},
		{T(cfg, "Priority, channel", "Приоритет, канал"), 0.9, false},
		{T(cfg, "Registered", "Зарегистрировано"), 1.15, false},
		{T(cfg, "Response due", "Срок реакции"), 1.15, false},
		{T(cfg, "Taken into work", "Принято в работу"), 1.25, false},
		{T(cfg, "Resolution due", "Срок решения"), 1.3, false},
		{T(cfg, "Resolved", "Решено"), 1.15, false},
		{T(cfg, "Against the targets", "Соблюдение сроков"), 1.15, false},
		{T(cfg, "Status", "Статус"), 0.9, false},
		{T(cfg, "Description", "Описание"), 1.7, false},
	};
	struct gp_doc_block *t = table(b->d, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < m->n_inc; i++) {
		const struct gp_incident *inc = &m->inc[i];
		struct gp_inc_resolution res;
		if (gp_inc_resolution(st, cfg, inc, b->now, &res) != 0)
			res = (struct gp_inc_resolution){0};
		char *c[11], *x, *y;
		c[0] = gp_xasprintf("#%lld", (long long)inc->id);
		c[1] = gp_xstrdup(inc->service);
		c[2] = gp_xasprintf("%s, %s", gp_priority_name(inc->priority),
				    channel_word(cfg, inc->channel));
		c[3] = when(b, inc->opened_at);
		c[4] = when(b, inc->response_due_at);
		if (inc->acknowledged_at > 0) {
			x = when(b, inc->acknowledged_at);
			c[5] = gp_xasprintf("%s\n%s %lld %s", x, T(cfg, "after", "через"),
					    (long long)(gp_cal_working_between(&cfg->calendar,
									      inc->opened_at,
									      inc->acknowledged_at) /
							60),
					    T(cfg, "working min", "раб. мин"));
			free(x);
		} else {
			c[5] = gp_xstrdup("—");
		}
		x = when(b, res.due_at);
		if (res.waiting_seconds > 0 || res.waiting) {
			char w[40];
			c[6] = gp_xasprintf("%s\n%s %s%s", x,
					    T(cfg, "moved by waiting for the customer",
					      "продлён на ожидание заказчика"),
					    gp_fmt_hms(res.waiting_seconds, w, sizeof(w)),
					    res.waiting ? T(cfg, " (waiting now)", " (ожидание идёт)") : "");
		} else {
			c[6] = gp_xstrdup(x);
		}
		free(x);
		c[7] = when(b, inc->resolved_at);
		x = gp_xstrdup(verdict(cfg, inc->response_due_at, inc->acknowledged_at, b->now));
		y = gp_xstrdup(verdict(cfg, res.due_at, inc->resolved_at, b->now));
		c[8] = gp_xasprintf("%s: %s\n%s: %s", T(cfg, "response", "реакция"), x,
				    T(cfg, "resolution", "решение"), y);
		free(x);
		free(y);
		c[9] = gp_xstrdup(status_word(cfg, inc->status));
		/* The probe's own text is its log's (English, UTC): what it says
		 * is in the other columns. A person's is theirs. */
		c[10] = gp_xstrdup(inc->channel == GP_CHANNEL_PROBE
					   ? T(cfg, "detected by the probe", "обнаружен зондом")
					   : inc->text ? inc->text : "");
		row(t, false, c);
	}
}

static void graphs(struct build *b, struct gp_store *st)
{
	const struct gp_config *cfg = b->cfg;
	const struct month_data *m = b->m;
	size_t n = 0;
	for (size_t i = 0; i < m->n_out; i++)
		n += !m->out[i].entry && *m->out[i].members;
	if (n == 0)
		return;
	heading(b, T(cfg, "Graphs of the outages: the check that failed",
		     "Графики простоев: проверка, которая не прошла"));
	/* Each node of a pair keeps its own RRD files: the graphs are what
	 * the node printing the report measured, and say so. */
	if (cfg->probe.node)
		para(b, GP_DOC_NOTE,
		     gp_xasprintf(T(cfg, "Values measured by the probe node %s.",
				    "Значения измерены узлом зонда %s."),
				  cfg->probe.node));
	size_t drawn = 0;
	for (size_t i = 0; i < m->n_out; i++) {
		const struct outage *o = &m->out[i];
		if (o->entry || !*o->members)
			continue;
		if (drawn == MAX_GRAPHS) {
			para(b, GP_DOC_NOTE,
			     gp_xasprintf(T(cfg, "%zu more outages: their graphs are drawn by gprobe graph.",
					    "Ещё простоев: %zu; их графики строит команда gprobe graph."),
					  n - drawn));
			break;
		}
		drawn++;
		char caption[256], err[512], *at = when(b, o->start);
		char *head = o->incident
				     ? gp_xasprintf("%s %s, %s, %s #%lld", T(cfg, "Outage of", "Простой с"),
						    at, o->svc->name, T(cfg, "incident", "инцидент"),
						    (long long)o->incident)
				     : gp_xasprintf("%s %s, %s", T(cfg, "Outage of", "Простой с"), at,
						    o->svc->name);
		free(at);
		char *png = gp_graph_of_outage(cfg, st, o->svc->name, o->members, o->start, o->end,
					       b->now, caption, sizeof(caption), err, sizeof(err));
		if (png) {
			struct gp_doc_block *img = add(b->d, GP_DOC_IMAGE);
			img->text = gp_xasprintf("%s: %s", head, caption);
			img->png = png;
		} else {
			para(b, GP_DOC_BODY,
			     gp_xasprintf("%s: %s", head,
					  err[0] ? err
						 : T(cfg, "no graph: the probe recorded no values then.",
						     "графика нет: зонд не записал значений за это время.")));
		}
		free(head);
	}
}

static void signatures(struct build *b)
{
	const struct gp_config *cfg = b->cfg;
	const struct gp_contract *c = &cfg->contract;
	const struct gp_signatory anon[2] = {{GP_OWNER_CUSTOMER, NULL, NULL},
					     {GP_OWNER_SUPPLIER, NULL, NULL}};
	const struct gp_signatory *sig = c->n_signatories ? c->signatories : anon;
	size_t n = c->n_signatories ? c->n_signatories : 2;
	heading(b, T(cfg, "Signatures", "Подписи сторон"));
	struct gp_doc_block *s = add(b->d, GP_DOC_SIGN);
	s->sign = gp_xcalloc(n, sizeof(*s->sign));
	s->n_sign = n;
	for (size_t i = 0; i < n; i++) {
		const char *org = party_org(cfg, sig[i].party);
		s->sign[i].party = org ? gp_xasprintf("%s: %s", party_word(cfg, sig[i].party), org)
				       : gp_xstrdup(party_word(cfg, sig[i].party));
		s->sign[i].position = gp_xstrdup(sig[i].position ? sig[i].position : "");
		s->sign[i].name = sig[i].name && *sig[i].name ? gp_xstrdup(sig[i].name) : NULL;
	}
}

int gp_report_doc(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		  int64_t now, struct gp_doc *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct month_data m = {.cfg = cfg, .r = r};
	if (gather(st, &m) != 0) {
		gp_errf(err, errlen, "cannot read the month's incidents and ledger: %s",
			gp_store_error(st));
		month_data_free(&m);
		return -1;
	}
	out->lang = gp_fmt_russian(cfg) ? "ru" : "en";
	out->title = gp_xasprintf("%s %s %d",
				  T(cfg, "Service level report for", "Отчёт об уровне обслуживания за"),
				  month_name(cfg, r->month), r->year);
	const struct gp_contract *c = &cfg->contract;
	out->footer = gp_xasprintf("%s%s%s", out->title,
				   c->number ? T(cfg, " · contract No. ", " · договор № ") : "",
				   c->number ? c->number : "");
	out->date_blank = gp_xstrdup(T(cfg, "Date: ____ ______________ 20____",
				       "Дата: «____» ______________ 20____ г."));
	struct build b = {.d = out, .cfg = cfg, .r = r, .m = &m, .now = now};
	char start[64];
	gp_format_local(r->span.start, cfg->calendar.timezone, start, sizeof(start));
	snprintf(b.offset, sizeof(b.offset), "%s", strlen(start) > 19 ? start + 19 : "");

	title(&b);
	outages(&b);
	services(&b);
	penalty(&b);
	windows(&b);
	manual_entries(&b);
	unmonitored(&b, st);
	requests(&b, st);
	graphs(&b, st);
	signatures(&b);
	month_data_free(&m);
	return 0;
}

void gp_doc_free(struct gp_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct gp_doc_block *b = &d->b[i];
		free(b->text);
		for (size_t k = 0; k < b->n_cols; k++)
			free(b->cols[k].head);
		for (size_t k = 0; k < b->n_rows * b->n_cols; k++)
			free(b->cells[k]);
		free(b->cols);
		free(b->cells);
		free(b->bold);
		if (b->png) {
			unlink(b->png);
			free(b->png);
		}
		for (size_t k = 0; k < b->n_sign; k++) {
			free(b->sign[k].party);
			free(b->sign[k].position);
			free(b->sign[k].name);
		}
		free(b->sign);
	}
	free(d->b);
	free(d->title);
	free(d->footer);
	free(d->date_blank);
	memset(d, 0, sizeof(*d));
}
