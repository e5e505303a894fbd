/*
 * report_pdf.c - the monthly SLA report as a PDF (see report_pdf.h).
 *
 * What the report says is its document (report_doc.h, built once); its
 * pages are drawn twice from it, the first time into nothing to count them
 * (every page says "N / M"), the second into the file. Text is laid out by
 * pango (wrapped inside its column, never cut), drawn by cairo.
 */
#include "report_pdf.h"
#include "report_doc.h"
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
/* Drawing                                                             */

struct pdf {
	cairo_t *cr;
	PangoContext *pc;   /* at 72 dpi: a font's points are the page's */
	const struct gp_doc *doc;
	PangoFontDescription *font[F_N];
	double y;
	int page, pages;    /* pages 0: not known yet (the counting pass) */
};

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
	PangoLayout *l = text_layout(p, p->doc->footer, WIDTH - 80, F_SMALL, PANGO_ALIGN_LEFT);
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

/* A section's heading, with room below it for `keep` points of what
 * follows: never a heading alone at the foot of a page. */
static void heading(struct pdf *p, const char *s, double keep)
{
	p->y += 8;
	need(p, keep);
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

/* A row; head: the header (shaded, repeated on each page the table
 * reaches), bold: a total. */
static void table_row(struct pdf *p, const struct table *t, const char *const *cells, bool head,
		      bool bold);

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
	table_row(p, t, heads, true, true);
}

static void table_row(struct pdf *p, const struct table *t, const char *const *cells, bool head,
		      bool bold)
{
	PangoLayout *l[MAX_COLS];
	double h = 0, pt = 100;
	for (size_t i = 0; i < t->n; i++) {
		bool right = t->c[i].right && !head;
		double pi;
		l[i] = cell_layout(p, cells[i], t->w[i] - 2 * PAD, head || bold ? F_SMALL_BOLD : F_SMALL,
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
		table_row(p, t, heads, true, true);
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

/* ------------------------------------------------------------------ */
/* The blocks                                                          */

static const enum font para_font[] = {
	[GP_DOC_BODY] = F_BODY, [GP_DOC_BOLD] = F_BOLD, [GP_DOC_LARGE] = F_HEAD,
	[GP_DOC_MONO] = F_MONO, [GP_DOC_NOTE] = F_SMALL,
};

static void table(struct pdf *p, const struct gp_doc_block *b)
{
	struct col c[MAX_COLS];
	size_t n = b->n_cols < MAX_COLS ? b->n_cols : MAX_COLS;
	for (size_t i = 0; i < n; i++)
		c[i] = (struct col){b->cols[i].head, b->cols[i].weight, b->cols[i].right};
	struct table t;
	table_begin(p, &t, c, n);
	for (size_t r = 0; r < b->n_rows; r++)
		table_row(p, &t, (const char *const *)b->cells + r * b->n_cols, false, b->bold[r]);
	table_end(p);
}

static void image(struct pdf *p, const struct gp_doc_block *b)
{
	cairo_surface_t *png = cairo_image_surface_create_from_png(b->png);
	if (cairo_surface_status(png) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(png);
		return;
	}
	double w = cairo_image_surface_get_width(png), h = cairo_image_surface_get_height(png);
	double scale = w > GRAPH_W ? GRAPH_W / w : 1;
	PangoLayout *l = text_layout(p, b->text, WIDTH, F_BODY, PANGO_ALIGN_LEFT);
	double lh = layout_height(l);
	need(p, lh + h * scale + 8);
	draw_at(p, l, LEFT, p->y);
	g_object_unref(l);
	p->y += lh + 2;
	cairo_save(p->cr);
	cairo_translate(p->cr, LEFT, p->y);
	cairo_scale(p->cr, scale, scale);
	cairo_set_source_surface(p->cr, png, 0, 0);
	cairo_paint(p->cr);
	cairo_restore(p->cr);
	cairo_surface_destroy(png);
	p->y += h * scale + 8;
}

/* One signatory's block at x, y: the party, the position, a line to sign
 * over the name, the date. Its height. */
static double sign_block(struct pdf *p, double x, double y, double w,
			 const struct gp_doc_signatory *s, bool draw)
{
	char *lines[4];
	lines[0] = gp_xstrdup(s->party);
	lines[1] = gp_xstrdup(s->position);
	lines[2] = gp_xasprintf("______________________  /%s/", s->name ? s->name : "______________________");
	lines[3] = gp_xstrdup(p->doc->date_blank);
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

static void signatures(struct pdf *p, const struct gp_doc_block *b)
{
	double w = (WIDTH - 40) / 2;
	/* Two blocks a row, each row kept whole on its page. */
	for (size_t i = 0; i < b->n_sign; i += 2) {
		double h = 0;
		for (size_t k = i; k < b->n_sign && k < i + 2; k++) {
			double hk = sign_block(p, 0, 0, w, &b->sign[k], false);
			h = hk > h ? hk : h;
		}
		need(p, h + 18);
		for (size_t k = i; k < b->n_sign && k < i + 2; k++)
			sign_block(p, LEFT + (double)(k - i) * (w + 40), p->y, w, &b->sign[k], true);
		p->y += h + 18;
	}
}

static void render(struct pdf *p)
{
	p->page = 1;
	p->y = TOP;
	for (size_t i = 0; i < p->doc->n; i++) {
		const struct gp_doc_block *b = &p->doc->b[i];
		switch (b->kind) {
		case GP_DOC_TITLE:
			para(p, b->text, F_TITLE, 6);
			break;
		case GP_DOC_HEADING:
			/* The signature block's heading stays with its first row. */
			heading(p, b->text, i + 1 < p->doc->n && p->doc->b[i + 1].kind == GP_DOC_SIGN
						    ? 150
						    : 60);
			break;
		case GP_DOC_PARA:
			para(p, b->text, para_font[b->style], b->style == GP_DOC_MONO ? 4 : 2);
			break;
		case GP_DOC_TABLE:
			table(p, b);
			break;
		case GP_DOC_IMAGE:
			image(p, b);
			break;
		case GP_DOC_SIGN:
			signatures(p, b);
			break;
		}
	}
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
	struct gp_doc doc;
	if (gp_report_doc(st, cfg, r, (int64_t)time(NULL), &doc, err, errlen) != 0)
		return -1;
	struct pdf p = {.doc = &doc};
	for (int i = 0; i < F_N; i++)
		p.font[i] = pango_font_description_from_string(font_names[i]);

	int rc = -1;
	struct sink count = {NULL, 0};
	char *tmp = gp_xasprintf("%s.tmp", path);
	if ((p.pages = pass(&p, &count, doc.title)) < 0) {
		snprintf(err, errlen, "cannot draw the report: %s", strerror(count.err));
		goto out;
	}
	struct sink file = {fopen(tmp, "wb"), 0};
	if (!file.f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	bool bad = pass(&p, &file, doc.title) < 0;
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
	for (int i = 0; i < F_N; i++)
		pango_font_description_free(p.font[i]);
	gp_doc_free(&doc);
	return rc;
}
