/*
 * report_pdf.c - the monthly SLA report as a PDF (see report_pdf.h).
 *
 * What the report holds is read from the store once (gather()); the pages
 * are then drawn twice from it, the first time into nothing to count them
 * (every page says "N / M"), the second into the file. Text is laid out by
 * pango (wrapped inside its column, never cut), drawn by cairo.
 */
#include "report_pdf.h"
#include "format.h"
#include "graph.h"
#include "incidents.h"
#include "util.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T GP_TR

/* A4 landscape, in points. */
#define PAGE_W 841.89
#define PAGE_H 595.28
#define LEFT 30.0
#define TOP 34.0
#define WIDTH (PAGE_W - 2 * LEFT)
#define BOTTOM (PAGE_H - 42.0) /* the footer lies below */
#define PAD 2.5                /* inside a table cell */
#define MAX_COLS 16
#define GRAPH_W 520.0

enum font { F_BODY, F_BOLD, F_SMALL, F_SMALL_BOLD, F_TITLE, F_HEAD, F_MONO, F_N };
static const char *const font_names[F_N] = {
	"DejaVu Sans 10",      "DejaVu Sans Bold 10", "DejaVu Sans 7.5",    "DejaVu Sans Bold 7",
	"DejaVu Sans Bold 16", "DejaVu Sans Bold 12", "DejaVu Sans Mono 8.5",
};
/* A table cell's text shrinks down to this size before a word of it
 * would be broken (it still is, below it: never cut). */
#define MIN_CELL_PT 5.5

/* ------------------------------------------------------------------ */
/* What the report shows, read once                                    */

/* An outage of the month: the probe's, or downtime entered by hand. */
struct outage {
	char *service, *members, *reason;
	int64_t start, end;    /* end 0: not over */
	int64_t incident;      /* 0: none */
	int64_t entry;         /* the manual entry's id; 0: the probe's */
	bool attributed;       /* attribution holds (an incident or an entry) */
	enum gp_attribution attribution;
	bool voided;
};

struct window {
	int64_t id, start, end, created_at;
	char *service, *reason, *by;
};

struct graph {
	int64_t incident;
	char *caption;            /* "stat-1 / port" */
	cairo_surface_t *png;     /* NULL: none could be drawn */
};

struct data {
	const struct gp_config *cfg;
	struct gp_span span;
	struct gp_incident *inc;
	size_t n_inc, cap_inc;
	struct outage *out;
	size_t n_out, cap_out;
	struct window *win;
	size_t n_win, cap_win;
	struct graph *graphs;
	size_t n_graphs, cap_graphs;
	const char *service; /* whose outages are being listed */
};

static void got_incident(void *ctx, const struct gp_incident *inc)
{
	struct data *d = ctx;
	if (!gp_inc_within(inc, d->span.start, d->span.end))
		return;
	gp_grow((void **)&d->inc, &d->cap_inc, d->n_inc, sizeof(*d->inc));
	gp_incident_copy(&d->inc[d->n_inc++], inc);
}

static struct outage *new_outage(struct data *d)
{
	gp_grow((void **)&d->out, &d->cap_out, d->n_out, sizeof(*d->out));
	struct outage *o = &d->out[d->n_out++];
	memset(o, 0, sizeof(*o));
	return o;
}

static void got_outage(void *ctx, const struct gp_outage_row *row)
{
	struct data *d = ctx;
	struct outage *o = new_outage(d);
	o->service = gp_xstrdup(d->service);
	o->members = gp_xstrdup(row->members ? row->members : "");
	o->start = row->start;
	o->end = row->end;
	o->incident = row->has_incident ? row->incident : 0;
	o->attributed = row->has_incident;
	o->attribution = row->attribution;
	o->voided = row->has_incident && row->incident_status == GP_INCIDENT_VOIDED;
}

static void got_downtime(void *ctx, const struct gp_ledger_entry *e)
{
	struct outage *o = new_outage(ctx);
	o->service = gp_xstrdup(e->service);
	o->reason = gp_xstrdup(e->reason ? e->reason : "");
	o->start = e->start;
	o->end = e->end;
	o->entry = e->id;
	o->attributed = true;
	o->attribution = e->attribution;
}

static void got_window(void *ctx, const struct gp_ledger_entry *e)
{
	struct data *d = ctx;
	gp_grow((void **)&d->win, &d->cap_win, d->n_win, sizeof(*d->win));
	d->win[d->n_win++] = (struct window){
		.id = e->id, .start = e->start, .end = e->end, .created_at = e->created_at,
		/* A component's window names it; one entered over recorded
		 * downtime says so beside its reason. */
		.service = e->target ? gp_xasprintf("%s %s", T(d->cfg, "target", "компонент"),
						    e->target)
				     : gp_xstrdup(e->service),
		.reason = e->retroactive
				  ? gp_xasprintf("%s [%s]", e->reason ? e->reason : "",
						 T(d->cfg, "retroactive", "задним числом"))
				  : gp_xstrdup(e->reason ? e->reason : ""),
		.by = gp_xstrdup(e->created_by ? e->created_by : ""),
	};
}

static int by_start(const void *a, const void *b)
{
	const struct outage *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->service, y->service);
}

/* The outage's graph (gp_graph_outage), read into memory. */
static void graph_of(struct data *d, struct gp_store *st, const struct gp_incident *inc,
		     int64_t now)
{
	if (!inc->members || !*inc->members || inc->outage_start <= 0)
		return;
	gp_grow((void **)&d->graphs, &d->cap_graphs, d->n_graphs, sizeof(*d->graphs));
	struct graph *g = &d->graphs[d->n_graphs++];
	*g = (struct graph){.incident = inc->id};
	char caption[256], err[512];
	char *png = gp_graph_outage(d->cfg, st, inc, now, caption, sizeof(caption), err, sizeof(err));
	if (!png)
		return;
	cairo_surface_t *s = cairo_image_surface_create_from_png(png);
	if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
		g->png = s;
		g->caption = gp_xstrdup(caption);
	} else {
		cairo_surface_destroy(s);
	}
	unlink(png);
	free(png);
}

static int gather(struct gp_store *st, const struct gp_report *r, struct data *d)
{
	if (gp_store_incident_list(st, true, got_incident, d) != 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		d->service = r->services[i].name;
		if (gp_store_outage_list(st, d->service, d->span.start, d->span.end, got_outage, d) !=
		    0)
			return -1;
	}
	if (gp_store_entry_list(st, GP_ENTRY_DOWNTIME, NULL, d->span.start, d->span.end,
				got_downtime, d) != 0 ||
	    gp_store_entry_list(st, GP_ENTRY_MAINTENANCE, NULL, d->span.start, d->span.end,
				got_window, d) != 0)
		return -1;
	if (d->n_out > 1)
		qsort(d->out, d->n_out, sizeof(*d->out), by_start);
	int64_t now = (int64_t)time(NULL);
	/* Oldest first: the listing is newest first. */
	for (size_t i = 0; i < d->n_inc / 2; i++) {
		struct gp_incident tmp = d->inc[i];
		d->inc[i] = d->inc[d->n_inc - 1 - i];
		d->inc[d->n_inc - 1 - i] = tmp;
	}
	for (size_t i = 0; i < d->n_inc; i++)
		graph_of(d, st, &d->inc[i], now);
	return 0;
}

static void data_free(struct data *d)
{
	for (size_t i = 0; i < d->n_inc; i++)
		gp_incident_clear(&d->inc[i]);
	for (size_t i = 0; i < d->n_out; i++) {
		free(d->out[i].service);
		free(d->out[i].members);
		free(d->out[i].reason);
	}
	for (size_t i = 0; i < d->n_win; i++) {
		free(d->win[i].service);
		free(d->win[i].reason);
		free(d->win[i].by);
	}
	for (size_t i = 0; i < d->n_graphs; i++) {
		if (d->graphs[i].png)
			cairo_surface_destroy(d->graphs[i].png);
		free(d->graphs[i].caption);
	}
	free(d->inc);
	free(d->out);
	free(d->win);
	free(d->graphs);
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
	case GP_INCIDENT_RESTORED: return T(cfg, "restored", "сервис восстановлен");
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
/* Drawing                                                             */

struct pdf {
	cairo_t *cr;
	PangoContext *pc;   /* at 72 dpi: a font's points are the page's */
	const struct gp_config *cfg;
	const struct gp_report *r;
	const struct data *d;
	PangoFontDescription *font[F_N];
	char offset[64];    /* the period's UTC offset as gp_format_local writes it */
	char footer[256];
	double y;
	int page, pages;    /* pages 0: not known yet (the counting pass) */
};

/* A moment as people read it, in the calendar's zone: "2026-11-25 10:40:01",
 * with its offset only where it is not the period's. */
static const char *when(const struct pdf *p, int64_t t, char *buf, size_t len)
{
	if (t <= 0) {
		snprintf(buf, len, "—");
		return buf;
	}
	gp_format_local(t, p->cfg->calendar.timezone, buf, len);
	char *sep = strchr(buf, 'T');
	if (sep)
		*sep = ' ';
	if (strlen(buf) > 19 && !strcmp(buf + 19, p->offset))
		buf[19] = '\0';
	return buf;
}

static PangoLayout *text_layout(struct pdf *p, const char *s, double width, enum font f,
				PangoAlignment align)
{
	PangoLayout *l = pango_layout_new(p->pc);
	pango_layout_set_font_description(l, p->font[f]);
	pango_layout_set_width(l, width > 0 ? (int)(width * PANGO_SCALE) : -1);
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align);
	if (!s)
		s = "";
	if (g_utf8_validate(s, -1, NULL)) {
		pango_layout_set_text(l, s, -1);
	} else {
		gchar *ok = g_utf8_make_valid(s, -1);
		pango_layout_set_text(l, ok, -1);
		g_free(ok);
	}
	return l;
}

static double layout_height(PangoLayout *l)
{
	int w, h;
	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void draw_at(struct pdf *p, PangoLayout *l, double x, double y)
{
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
}

/* Whether each word of l's text fits its width whole. */
static bool words_fit(PangoLayout *l)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int n_attrs;
	const PangoLogAttr *attrs = pango_layout_get_log_attrs_readonly(l, &n_attrs);
	bool ok = true;
	do {
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		/* A line that ends inside a word broke it. */
		int end = g_utf8_pointer_to_offset(pango_layout_get_text(l),
						   pango_layout_get_text(l) + line->start_index +
							   line->length);
		if (end > 0 && end < n_attrs && !attrs[end].is_line_break && !attrs[end].is_white &&
		    !attrs[end - 1].is_white && attrs[end].is_mandatory_break == 0)
			ok = false;
	} while (ok && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	return ok;
}

static void set_size(PangoLayout *l, const PangoFontDescription *base, double pt)
{
	PangoFontDescription *fd = pango_font_description_copy(base);
	pango_font_description_set_size(fd, (gint)(pt * PANGO_SCALE));
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
}

/* A table cell: its font made smaller, down to MIN_CELL_PT, until no word
 * of it has to be broken. *pt: the size it got. */
static PangoLayout *cell_layout(struct pdf *p, const char *s, double width, enum font f,
				PangoAlignment align, double *pt)
{
	PangoLayout *l = text_layout(p, s, width, f, align);
	*pt = (double)pango_font_description_get_size(p->font[f]) / PANGO_SCALE;
	while (!words_fit(l) && *pt > MIN_CELL_PT) {
		*pt -= 0.25;
		set_size(l, p->font[f], *pt);
	}
	return l;
}

static void footer(struct pdf *p)
{
	char num[32];
	if (p->pages > 0)
		snprintf(num, sizeof(num), "%d / %d", p->page, p->pages);
	else
		snprintf(num, sizeof(num), "%d / %d", p->page, p->page);
	cairo_set_line_width(p->cr, 0.4);
	cairo_set_source_rgb(p->cr, 0.5, 0.5, 0.5);
	cairo_move_to(p->cr, LEFT, BOTTOM + 10);
	cairo_line_to(p->cr, LEFT + WIDTH, BOTTOM + 10);
	cairo_stroke(p->cr);
	PangoLayout *l = text_layout(p, p->footer, WIDTH - 80, F_SMALL, PANGO_ALIGN_LEFT);
	draw_at(p, l, LEFT, BOTTOM + 14);
	g_object_unref(l);
	l = text_layout(p, num, 80, F_SMALL, PANGO_ALIGN_RIGHT);
	draw_at(p, l, LEFT + WIDTH - 80, BOTTOM + 14);
	g_object_unref(l);
}

static void new_page(struct pdf *p)
{
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = TOP;
}

/* Room for h more points on this page, or a new one. */
static void need(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > TOP)
		new_page(p);
}

static void para(struct pdf *p, const char *s, enum font f, double after)
{
	PangoLayout *l = text_layout(p, s, WIDTH, f, PANGO_ALIGN_LEFT);
	double h = layout_height(l);
	need(p, h);
	draw_at(p, l, LEFT, p->y);
	g_object_unref(l);
	p->y += h + after;
}

static void heading(struct pdf *p, const char *s)
{
	p->y += 8;
	need(p, 60); /* never a heading alone at the foot of a page */
	para(p, s, F_HEAD, 4);
}

struct col {
	const char *head;
	double weight; /* of the page's width, with the others' */
	bool right;
};

struct table {
	const struct col *c;
	size_t n;
	double w[MAX_COLS];
};

static void table_row(struct pdf *p, const struct table *t, const char *const *cells, bool head);

static void table_begin(struct pdf *p, struct table *t, const struct col *c, size_t n)
{
	double sum = 0;
	t->c = c;
	t->n = n < MAX_COLS ? n : MAX_COLS;
	for (size_t i = 0; i < t->n; i++)
		sum += c[i].weight;
	for (size_t i = 0; i < t->n; i++)
		t->w[i] = WIDTH * c[i].weight / sum;
	const char *heads[MAX_COLS];
	for (size_t i = 0; i < t->n; i++)
		heads[i] = c[i].head;
	need(p, 60); /* the header and a row or two */
	table_row(p, t, heads, true);
}

static void table_row(struct pdf *p, const struct table *t, const char *const *cells, bool head)
{
	PangoLayout *l[MAX_COLS];
	double h = 0, pt = 100;
	for (size_t i = 0; i < t->n; i++) {
		bool right = t->c[i].right && !head;
		double pi;
		l[i] = cell_layout(p, cells[i], t->w[i] - 2 * PAD, head ? F_SMALL_BOLD : F_SMALL,
				   right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, &pi);
		pt = pi < pt ? pi : pt;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (head) /* the header's cells all of one size */
			set_size(l[i], p->font[F_SMALL_BOLD], pt);
		double hi = layout_height(l[i]);
		if (hi > h)
			h = hi;
	}
	h += 2 * PAD;
	if (!head && p->y + h > BOTTOM) {
		new_page(p);
		const char *heads[MAX_COLS];
		for (size_t i = 0; i < t->n; i++)
			heads[i] = t->c[i].head;
		table_row(p, t, heads, true);
	}
	double x = LEFT;
	cairo_set_line_width(p->cr, 0.5);
	for (size_t i = 0; i < t->n; i++) {
		cairo_rectangle(p->cr, x, p->y, t->w[i], h);
		if (head) {
			cairo_set_source_rgb(p->cr, 0.9, 0.9, 0.9);
			cairo_fill_preserve(p->cr);
		}
		cairo_set_source_rgb(p->cr, 0.45, 0.45, 0.45);
		cairo_stroke(p->cr);
		draw_at(p, l[i], x + PAD, p->y + PAD);
		g_object_unref(l[i]);
		x += t->w[i];
	}
	p->y += h;
}

static void table_end(struct pdf *p)
{
	p->y += 6;
}

/* A row of formatted cells (malloc'd), drawn and freed. */
static void row_done(struct pdf *p, const struct table *t, char **cells)
{
	table_row(p, t, (const char *const *)cells, false);
	for (size_t i = 0; i < t->n; i++)
		free(cells[i]);
}

/* ------------------------------------------------------------------ */
/* The sections                                                        */

static void title(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct gp_contract *c = &cfg->contract;
	char *s = gp_xasprintf("%s %s %d", T(cfg, "Service level report for", "Отчёт об уровне обслуживания за"),
			       month_name(cfg, p->r->month), p->r->year);
	para(p, s, F_TITLE, 6);
	free(s);
	if (c->number || c->has_date) {
		char date[32] = "";
		if (c->has_date && gp_fmt_russian(cfg))
			snprintf(date, sizeof(date), "%02d.%02d.%04d", c->date.day, c->date.month,
				 c->date.year);
		else if (c->has_date)
			snprintf(date, sizeof(date), "%04d-%02d-%02d", c->date.year, c->date.month,
				 c->date.day);
		s = gp_xasprintf("%s%s%s%s%s", T(cfg, "Contract", "Договор"),
				 c->number ? T(cfg, " No. ", " № ") : "", c->number ? c->number : "",
				 c->has_date ? T(cfg, " of ", " от ") : "", date);
		para(p, s, F_BOLD, 2);
		free(s);
	}
	if (c->customer) {
		s = gp_xasprintf("%s: %s", T(cfg, "Customer", "Заказчик"), c->customer);
		para(p, s, F_BODY, 1);
		free(s);
	}
	if (c->supplier) {
		s = gp_xasprintf("%s: %s", T(cfg, "Supplier", "Поставщик"), c->supplier);
		para(p, s, F_BODY, 1);
		free(s);
	}
	char a[48], b[48];
	const char *off = p->offset[0] == 'Z' || !p->offset[0] ? "" : p->offset;
	s = gp_xasprintf("%s: %s — %s. %s: %s (UTC%s)%s", T(cfg, "Period", "Период"),
			 when(p, p->r->span.start, a, sizeof(a)), when(p, p->r->span.end, b, sizeof(b)),
			 T(cfg, "Times are local to", "Время указано по часовому поясу"),
			 cfg->calendar.timezone, off,
			 p->r->partial ? T(cfg, ". The month is not over: figures so far.",
					   ". Месяц не окончен: данные на текущий момент.")
				       : ".");
	para(p, s, F_BODY, 4);
	free(s);
}

static char *hms(int64_t s)
{
	char buf[40];
	return gp_xstrdup(gp_fmt_hms(s, buf, sizeof(buf)));
}

/* Tenge as gp_fmt_money writes them, grouped by no-break spaces: an
 * amount is never wrapped across lines. */
static const char *money_in(int64_t tiyn, char *out, size_t len)
{
	char buf[40];
	size_t k = 0;
	for (const char *c = gp_fmt_money(tiyn, true, buf, sizeof(buf)); *c && k + 3 < len; c++) {
		if (*c == ' ') {
			out[k++] = '\xc2';
			out[k++] = '\xa0';
		} else {
			out[k++] = *c;
		}
	}
	out[k] = '\0';
	return out;
}

static char *money(int64_t tiyn)
{
	char buf[64];
	return gp_xstrdup(money_in(tiyn, buf, sizeof(buf)));
}

static void summary(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct col cols[] = {
		{T(cfg, "Service", "Сервис"), 1.8, false},
		{T(cfg, "Up", "Работа"), 1, true},
		{T(cfg, "Degraded", "Деградация"), 1, true},
		{T(cfg, "Down: supplier", "Простой: поставщик"), 1, true},
		{T(cfg, "Down: customer", "Простой: заказчик"), 1, true},
		{T(cfg, "Down: third party", "Простой: третьи лица"), 1, true},
		{T(cfg, "Down: unattributed", "Простой: не отнесён"), 1, true},
		{T(cfg, "Maintenance", "Плановые работы"), 1, true},
		{T(cfg, "Voided", "Аннулировано"), 1, true},
		{T(cfg, "Unmonitored", "Без мониторинга"), 1, true},
		{T(cfg, "Availability, %", "Доступность, %"), 0.9, true},
		{T(cfg, "Charged, h", "К расчёту, ч"), 1, true},
		{T(cfg, "Penalty, KZT", "Штраф, тг"), 1.15, true},
	};
	heading(p, T(cfg, "Services (hours:minutes:seconds)", "Сервисы (часы:минуты:секунды)"));
	struct table t;
	table_begin(p, &t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < p->r->n; i++) {
		const struct gp_report_service *s = &p->r->services[i];
		const int64_t *sec = s->totals.seconds, *dn = s->totals.down;
		char *c[MAX_COLS];
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
		c[10] = s->availability_bp < 0
				? gp_xstrdup("—")
				: gp_xasprintf("%lld.%02lld", (long long)(s->availability_bp / 100),
					       (long long)(s->availability_bp % 100));
		c[11] = hms(s->charged_seconds);
		c[12] = money(s->penalty_tiyn);
		row_done(p, &t, c);
	}
	table_end(p);
}

static void penalty(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct gp_report *r = p->r;
	heading(p, T(cfg, "Penalty", "Штраф"));
	if (!r->has_contract) {
		para(p, T(cfg, "No contract in the config: no penalty is computed.",
			  "Договор не задан в конфигурации: штраф не рассчитывается."),
		     F_BODY, 4);
		return;
	}
	bool sum = cfg->contract.overlap == GP_OVERLAP_SUM;
	enum { U, SM, AP, CU, CAP, DUE, N_MONEY };
	const int64_t tiyn[N_MONEY] = {r->pen.union_tiyn, r->pen.sum_tiyn, r->penalty_tiyn,
				       r->cumulative_tiyn, r->cap_tiyn, r->pen.uncapped_tiyn};
	char m[N_MONEY][64], a[40], b[40];
	for (int i = 0; i < N_MONEY; i++)
		money_in(tiyn[i], m[i], sizeof(m[i]));
	const char *u = m[U], *sm = m[SM], *ap = m[AP], *cu = m[CU], *cap = m[CAP], *due = m[DUE];
	const char *applied = T(cfg, " — applied by the contract", " — применяется по договору");
	char *s = gp_xasprintf("%s %s %s (%s)%s", T(cfg, "Union (an instant counted once):",
						     "Объединение (одновременный простой считается один раз):"),
			       u, T(cfg, "KZT", "тг"), gp_fmt_hms(r->pen.union_seconds, a, sizeof(a)),
			       sum ? "" : applied);
	para(p, s, sum ? F_BODY : F_BOLD, 2);
	free(s);
	s = gp_xasprintf("%s %s %s (%s)%s", T(cfg, "Sum (once per service):",
					      "Сумма (по каждому сервису отдельно):"),
			 sm, T(cfg, "KZT", "тг"), gp_fmt_hms(r->pen.sum_seconds, b, sizeof(b)),
			 sum ? applied : "");
	para(p, s, sum ? F_BOLD : F_BODY, 2);
	free(s);
	if (r->capped)
		s = gp_xasprintf("%s %s %s (%s %s %s)", T(cfg, "Penalty this month:", "Штраф за месяц:"), ap,
				 T(cfg, "KZT", "тг"),
				 T(cfg, "cut by the cap; before it", "ограничен предельной суммой; без ограничения"),
				 due, T(cfg, "KZT", "тг"));
	else
		s = gp_xasprintf("%s %s %s", T(cfg, "Penalty this month:", "Штраф за месяц:"), ap,
				 T(cfg, "KZT", "тг"));
	para(p, s, F_HEAD, 2);
	free(s);
	s = gp_xasprintf("%s %s %s; %s %s %s", T(cfg, "Over the term so far:", "Нарастающим итогом за срок договора:"),
			 cu, T(cfg, "KZT", "тг"), T(cfg, "the cap:", "предельная сумма:"), cap,
			 T(cfg, "KZT", "тг"));
	para(p, s, F_BODY, 6);
	free(s);
	char *rules = gp_fmt_report_rules_text(cfg, r);
	if (rules)
		para(p, rules, F_MONO, 4);
	free(rules);
}

/* A section's heading, and the sentence that it is empty: false then. */
static bool section(struct pdf *p, const char *title, size_t n, const char *none)
{
	heading(p, title);
	if (n == 0)
		para(p, none, F_BODY, 4);
	return n > 0;
}

/* The columns of an interval: from, to, how long, whose. */
#define SPAN_COLS(cfg)                                                                             \
	{T(cfg, "Start", "Начало"), 1.3, false}, {T(cfg, "End", "Конец"), 1.3, false},             \
		{T(cfg, "Duration", "Длительность"), 0.9, true},                                   \
		{T(cfg, "Service", "Сервис"), 1.1, false}

/* Their cells; end 0: not over (counted to the period's end). */
static void span_cells(struct pdf *p, char **c, int64_t start, int64_t end, const char *service)
{
	char a[48], b[48];
	c[0] = gp_xstrdup(when(p, start, a, sizeof(a)));
	c[1] = gp_xstrdup(end > 0 ? when(p, end, b, sizeof(b))
				  : T(p->cfg, "not over", "продолжается"));
	c[2] = hms((end > 0 ? end : p->r->span.end) - start);
	c[3] = gp_xstrdup(service);
}

static void outages(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct data *d = p->d;
	if (!section(p, T(cfg, "Outages", "Простои"), d->n_out,
		     T(cfg, "No outage this month.", "В этом месяце простоев не было.")))
		return;
	const struct col cols[] = {
		SPAN_COLS(cfg),
		{T(cfg, "Components down", "Недоступные компоненты"), 2.6, false},
		{T(cfg, "Attribution", "Ответственность"), 1, false},
		{T(cfg, "Incident", "Инцидент"), 0.7, false},
	};
	struct table t;
	table_begin(p, &t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < d->n_out; i++) {
		const struct outage *o = &d->out[i];
		char *c[MAX_COLS];
		span_cells(p, c, o->start, o->end, o->service);
		if (o->entry)
			c[4] = gp_xasprintf("%s #%lld: %s", T(cfg, "entered by hand, entry", "внесён вручную, запись"),
					    (long long)o->entry, o->reason);
		else
			c[4] = gp_xstrdup(o->members && *o->members ? o->members : "—");
		c[5] = gp_xasprintf("%s%s", o->attributed ? attribution_word(cfg, o->attribution)
							  : T(cfg, "by the components' owners",
							      "по владельцам компонентов"),
				    o->voided ? T(cfg, " (voided)", " (аннулирован)") : "");
		c[6] = o->incident ? gp_xasprintf("#%lld", (long long)o->incident) : gp_xstrdup("—");
		row_done(p, &t, c);
	}
	table_end(p);
}

static void windows(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct data *d = p->d;
	if (!section(p, T(cfg, "Maintenance windows", "Плановые работы"), d->n_win,
		     T(cfg, "None this month.", "В этом месяце не было.")))
		return;
	const struct col cols[] = {
		SPAN_COLS(cfg),
		{T(cfg, "Reason", "Причина"), 2.6, false},
		{T(cfg, "Entered by", "Внёс"), 1.7, false},
	};
	struct table t;
	table_begin(p, &t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < d->n_win; i++) {
		const struct window *w = &d->win[i];
		char e[48], *c[MAX_COLS];
		span_cells(p, c, w->start, w->end, w->service);
		c[4] = gp_xasprintf("#%lld: %s", (long long)w->id, w->reason);
		c[5] = gp_xasprintf("%s, %s", w->by, when(p, w->created_at, e, sizeof(e)));
		row_done(p, &t, c);
	}
	table_end(p);
}

static void incidents(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct data *d = p->d;
	if (!section(p, T(cfg, "Incidents", "Инциденты"), d->n_inc,
		     T(cfg, "None this month.", "В этом месяце не было.")))
		return;
	const struct col cols[] = {
		{"№", 0.45, false},
		{T(cfg, "Service", "Сервис"), 1.1, false},
		{T(cfg, "Priority, channel", "Приоритет, канал"), 0.9, false},
		{T(cfg, "Start", "Начало"), 1.3, false},
		{T(cfg, "End", "Конец"), 1.3, false},
		{T(cfg, "Duration", "Длительность"), 0.9, true},
		{T(cfg, "Components down", "Недоступные компоненты"), 1.5, false},
		{T(cfg, "Attribution", "Ответственность"), 1, false},
		{T(cfg, "Status, response", "Статус, реакция"), 1.3, false},
		{T(cfg, "Description", "Описание"), 2, false},
	};
	struct table t;
	table_begin(p, &t, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < d->n_inc; i++) {
		const struct gp_incident *inc = &d->inc[i];
		int64_t start = gp_inc_began_at(inc);
		int64_t end = inc->restored_at > 0 ? inc->restored_at : inc->resolved_at;
		char a[48], b[48], due[48], *c[MAX_COLS];
		c[0] = gp_xasprintf("#%lld", (long long)inc->id);
		c[1] = gp_xstrdup(inc->service);
		c[2] = gp_xasprintf("%s, %s", gp_priority_name(inc->priority),
				    channel_word(cfg, inc->channel));
		c[3] = gp_xstrdup(when(p, start, a, sizeof(a)));
		c[4] = end > 0 ? gp_xstrdup(when(p, end, b, sizeof(b)))
			       : gp_xstrdup(T(cfg, "not over", "продолжается"));
		c[5] = end > start ? hms(end - start) : gp_xstrdup("—");
		c[6] = gp_xstrdup(inc->members && *inc->members ? inc->members : "—");
		c[7] = gp_xstrdup(attribution_word(cfg, inc->attribution));
		c[8] = gp_xasprintf("%s; %s %s%s", status_word(cfg, inc->status),
				    T(cfg, "response due", "срок реакции"),
				    when(p, inc->response_due_at, due, sizeof(due)),
				    inc->response_breached ? T(cfg, " — BREACHED", " — НАРУШЕН") : "");
		/* The probe's own text is its log's (English, UTC): what it says
		 * is in the other columns. A person's is theirs. */
		c[9] = gp_xstrdup(inc->channel == GP_CHANNEL_PROBE
					  ? T(cfg, "detected by the probe", "обнаружен зондом")
					  : inc->text ? inc->text : "");
		row_done(p, &t, c);
	}
	table_end(p);
}

static void graphs(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct data *d = p->d;
	if (d->n_graphs == 0)
		return;
	heading(p, T(cfg, "Graphs of the outages", "Графики простоев"));
	for (size_t i = 0; i < d->n_graphs; i++) {
		const struct graph *g = &d->graphs[i];
		char *s;
		if (!g->png) {
			s = gp_xasprintf(T(cfg, "Incident #%lld: no graph, the probe recorded no values of its checks then.",
					   "Инцидент #%lld: графика нет, значения проверок за это время не записаны."),
					 (long long)g->incident);
			para(p, s, F_BODY, 4);
			free(s);
			continue;
		}
		double w = cairo_image_surface_get_width(g->png), h = cairo_image_surface_get_height(g->png);
		double scale = w > GRAPH_W ? GRAPH_W / w : 1;
		s = gp_xasprintf("%s #%lld: %s", T(cfg, "Incident", "Инцидент"), (long long)g->incident,
				 g->caption);
		PangoLayout *l = text_layout(p, s, WIDTH, F_BODY, PANGO_ALIGN_LEFT);
		double lh = layout_height(l);
		need(p, lh + h * scale + 8);
		draw_at(p, l, LEFT, p->y);
		g_object_unref(l);
		free(s);
		p->y += lh + 2;
		cairo_save(p->cr);
		cairo_translate(p->cr, LEFT, p->y);
		cairo_scale(p->cr, scale, scale);
		cairo_set_source_surface(p->cr, g->png, 0, 0);
		cairo_paint(p->cr);
		cairo_restore(p->cr);
		p->y += h * scale + 8;
	}
}

/* One signatory's block at x, y: the party, the position, a line to sign
 * over the name, the date. Its height. */
static double sign_block(struct pdf *p, double x, double y, double w, enum gp_owner party,
			 const char *name, const char *position, bool draw)
{
	const struct gp_config *cfg = p->cfg;
	const char *org = party_org(cfg, party);
	char *lines[4];
	lines[0] = org ? gp_xasprintf("%s: %s", party_word(cfg, party), org)
		       : gp_xstrdup(party_word(cfg, party));
	lines[1] = gp_xstrdup(position && *position ? position : "");
	lines[2] = gp_xasprintf("______________________  /%s/", name && *name ? name : "______________________");
	lines[3] = gp_xstrdup(T(cfg, "Date: ____ ______________ 20____", "Дата: «____» ______________ 20____ г."));
	const enum font f[4] = {F_BOLD, F_BODY, F_BODY, F_BODY};
	const double gap[4] = {2, 22, 10, 0};
	double h = 0;
	for (int i = 0; i < 4; i++) {
		PangoLayout *l = text_layout(p, lines[i], w, f[i], PANGO_ALIGN_LEFT);
		if (draw)
			draw_at(p, l, x, y + h);
		h += layout_height(l) + gap[i];
		g_object_unref(l);
		free(lines[i]);
	}
	return h;
}

static void signatures(struct pdf *p)
{
	const struct gp_config *cfg = p->cfg;
	const struct gp_contract *c = &cfg->contract;
	const struct gp_signatory anon[2] = {{GP_OWNER_CUSTOMER, NULL, NULL},
					     {GP_OWNER_SUPPLIER, NULL, NULL}};
	const struct gp_signatory *sig = c->n_signatories ? c->signatories : anon;
	size_t n = c->n_signatories ? c->n_signatories : 2;
	double w = (WIDTH - 40) / 2;
	heading(p, T(cfg, "Signatures", "Подписи сторон"));
	/* Two blocks a row, each row kept whole on its page. */
	for (size_t i = 0; i < n; i += 2) {
		double h = 0;
		for (size_t k = i; k < n && k < i + 2; k++) {
			double hk = sign_block(p, 0, 0, w, sig[k].party, sig[k].name, sig[k].position, false);
			h = hk > h ? hk : h;
		}
		need(p, h + 18);
		for (size_t k = i; k < n && k < i + 2; k++)
			sign_block(p, LEFT + (double)(k - i) * (w + 40), p->y, w, sig[k].party, sig[k].name,
				   sig[k].position, true);
		p->y += h + 18;
	}
}

static void render(struct pdf *p)
{
	p->page = 1;
	p->y = TOP;
	title(p);
	summary(p);
	penalty(p);
	outages(p);
	windows(p);
	incidents(p);
	graphs(p);
	signatures(p);
	footer(p);
	cairo_show_page(p->cr);
}

/* ------------------------------------------------------------------ */

struct sink {
	FILE *f; /* NULL: the counting pass, nothing kept */
	int err;
};

static cairo_status_t sink_write(void *ctx, const unsigned char *data, unsigned int len)
{
	struct sink *s = ctx;
	if (!s->f)
		return CAIRO_STATUS_SUCCESS;
	if (fwrite(data, 1, len, s->f) != len) {
		s->err = errno ? errno : EIO;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* One pass over the pages into the sink; the pages drawn, or -1. */
static int pass(struct pdf *p, struct sink *sink, const char *title_text)
{
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(sink_write, sink, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, title_text);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "gprobe");
	p->cr = cairo_create(surf);
	p->pc = pango_cairo_create_context(p->cr);
	pango_cairo_context_set_resolution(p->pc, 72);
	render(p);
	cairo_status_t rc = cairo_status(p->cr);
	g_object_unref(p->pc);
	p->pc = NULL;
	cairo_destroy(p->cr);
	p->cr = NULL;
	cairo_surface_finish(surf);
	if (rc == CAIRO_STATUS_SUCCESS)
		rc = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (rc != CAIRO_STATUS_SUCCESS) {
		if (!sink->err)
			sink->err = rc == CAIRO_STATUS_NO_MEMORY ? ENOMEM : EIO;
		return -1;
	}
	return p->page;
}

int gp_report_pdf(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		  const char *path, char *err, size_t errlen)
{
	struct data d = {.cfg = cfg, .span = r->span};
	if (gather(st, r, &d) != 0) {
		snprintf(err, errlen, "cannot read the month's incidents and ledger: %s",
			 gp_store_error(st));
		data_free(&d);
		return -1;
	}
	struct pdf p = {.cfg = cfg, .r = r, .d = &d};
	for (int i = 0; i < F_N; i++)
		p.font[i] = pango_font_description_from_string(font_names[i]);
	char start[64];
	gp_format_local(r->span.start, cfg->calendar.timezone, start, sizeof(start));
	snprintf(p.offset, sizeof(p.offset), "%s", strlen(start) > 19 ? start + 19 : "");
	char *title_text = gp_xasprintf("%s %s %d", T(cfg, "Service level report for", "Отчёт об уровне обслуживания за"),
					month_name(cfg, r->month), r->year);
	const struct gp_contract *c = &cfg->contract;
	snprintf(p.footer, sizeof(p.footer), "%s%s%s", title_text,
		 c->number ? T(cfg, " · contract No. ", " · договор № ") : "", c->number ? c->number : "");

	int rc = -1;
	struct sink count = {NULL, 0};
	char *tmp = gp_xasprintf("%s.tmp", path);
	if ((p.pages = pass(&p, &count, title_text)) < 0) {
		snprintf(err, errlen, "cannot draw the report: %s", strerror(count.err));
		goto out;
	}
	struct sink file = {fopen(tmp, "wb"), 0};
	if (!file.f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	bool bad = pass(&p, &file, title_text) < 0;
	bad = ferror(file.f) != 0 || bad;
	if (fclose(file.f) != 0 && !file.err)
		file.err = errno;
	if (bad || file.err || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(file.err ? file.err : errno ? errno : EIO));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(title_text);
	for (int i = 0; i < F_N; i++)
		pango_font_description_free(p.font[i]);
	data_free(&d);
	return rc;
}
