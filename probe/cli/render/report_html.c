/*
 * report_html.c - the printable monthly SLA report (see report_html.h).
 *
 * The document (report_doc.h) as one HTML file that stands alone: graphs
 * embedded, the style inline. Its print stylesheet lays it out on A4
 * landscape as the PDF is: every column of a table within the page (fixed
 * widths in the PDF's proportions, long words broken inside their cell),
 * a table's header repeated on each page it reaches, no row or graph cut
 * across pages, and the report's title and "N / M" at each page's foot.
 */
#include "report_html.h"
#include "message.h"
#include "report_doc.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Text into HTML: & < > " escaped; "\n" a line break, or kept as it is
 * (br false: inside <pre>). */
static void esc_text(FILE *f, const char *s, bool br)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\n': fputs(br ? "<br>" : "\n", f); break;
		default: fputc(*s, f);
		}
	}
}

static void esc(FILE *f, const char *s)
{
	esc_text(f, s, true);
}

/* Text into a CSS string: " and \ escaped, < as its code point (a
 * "</style>" in the contract's number must not end the style sheet), a
 * line break a space. */
static void css_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '<')
			fputs("\\3C ", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A file's bytes as base64 into f (an embedded image). */
static int embed_base64(FILE *f, const char *file)
{
	FILE *in = fopen(file, "rb");
	if (!in)
		return -1;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, got;
	do {
		gp_grow((void **)&buf, &cap, n + 65536, 1);
		got = fread(buf + n, 1, cap - n, in);
		n += got;
	} while (got > 0);
	fclose(in);
	char *b64 = gp_base64(buf, n, 0);
	fputs(b64, f);
	free(b64);
	free(buf);
	return 0;
}

static void style(FILE *f, const struct gp_doc *d)
{
	fputs("<style>\n"
	      "body{font-family:'DejaVu Sans',sans-serif;font-size:10pt;margin:1.5em auto;"
	      "max-width:297mm;color:#000}\n"
	      "h1{font-size:16pt;margin:0 0 .3em}h2{font-size:12pt;margin:1.2em 0 .3em;"
	      "break-after:avoid}\n"
	      "p{margin:.15em 0}.bold{font-weight:bold}.large{font-size:12pt;font-weight:bold}\n"
	      ".note{font-size:7.5pt;color:#333}\n"
	      "pre{font-family:'DejaVu Sans Mono',monospace;font-size:8pt;white-space:pre-wrap}\n"
	      "table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.3em 0 .6em}\n"
	      "th,td{border:.5pt solid #777;padding:1.5pt 2.5pt;font-size:7.5pt;text-align:left;"
	      "vertical-align:top;overflow-wrap:anywhere}\n"
	      /* A header's words are never broken: they are short enough
	       * at this size for the narrowest column. */
	      "th{background:#e6e6e6;font-size:6pt;padding:1.5pt 2pt;overflow-wrap:normal}\n"
	      "td.r{text-align:right}tr.bold td{font-weight:bold}\n"
	      "thead{display:table-header-group}tr{break-inside:avoid}\n"
	      "figure{margin:.4em 0 .8em;break-inside:avoid}figcaption{margin-bottom:2pt}"
	      "img{max-width:185mm}\n"
	      ".sign{display:grid;grid-template-columns:1fr 1fr;column-gap:14mm;row-gap:6mm}\n"
	      ".sign div{break-inside:avoid}.sign .line{margin-top:8mm}\n"
	      ".sign h3{font-size:10pt;margin:0}\n"
	      "@page{size:A4 landscape;margin:11mm 10.5mm 14mm;\n"
	      "  @bottom-left{font-family:'DejaVu Sans',sans-serif;font-size:7pt;content:",
	      f);
	css_string(f, d->footer);
	fputs("}\n"
	      "  @bottom-right{font-family:'DejaVu Sans',sans-serif;font-size:7pt;"
	      "content:counter(page) \" / \" counter(pages)}}\n"
	      "@media print{body{margin:0;max-width:none}}\n"
	      "</style>\n",
	      f);
}

static const char *para_class(enum gp_doc_style s)
{
	switch (s) {
	case GP_DOC_BOLD: return " class=\"bold\"";
	case GP_DOC_LARGE: return " class=\"large\"";
	case GP_DOC_NOTE: return " class=\"note\"";
	default: return "";
	}
}

static void table(FILE *f, const struct gp_doc_block *b)
{
	double sum = 0;
	for (size_t i = 0; i < b->n_cols; i++)
		sum += b->cols[i].weight;
	fputs("<table><colgroup>", f);
	for (size_t i = 0; i < b->n_cols; i++)
		fprintf(f, "<col style=\"width:%.2f%%\">", 100.0 * b->cols[i].weight / sum);
	fputs("</colgroup>\n<thead><tr>", f);
	for (size_t i = 0; i < b->n_cols; i++) {
		fputs("<th>", f);
		esc(f, b->cols[i].head);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t r = 0; r < b->n_rows; r++) {
		fputs(b->bold[r] ? "<tr class=\"bold\">" : "<tr>", f);
		for (size_t i = 0; i < b->n_cols; i++) {
			fputs(b->cols[i].right ? "<td class=\"r\">" : "<td>", f);
			esc(f, b->cells[r * b->n_cols + i]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void image(FILE *f, const struct gp_doc_block *b)
{
	fputs("<figure><figcaption>", f);
	esc(f, b->text);
	fputs("</figcaption><img alt=\"", f);
	esc(f, b->text);
	fputs("\" src=\"data:image/png;base64,", f);
	embed_base64(f, b->png);
	fputs("\"></figure>\n", f);
}

static void signatures(FILE *f, const struct gp_doc *d, const struct gp_doc_block *b)
{
	fputs("<div class=\"sign\">\n", f);
	for (size_t i = 0; i < b->n_sign; i++) {
		const struct gp_doc_signatory *s = &b->sign[i];
		fputs("<div><h3>", f);
		esc(f, s->party);
		fputs("</h3><p>", f);
		esc(f, s->position);
		fputs("</p><p class=\"line\">______________________ /", f);
		esc(f, s->name ? s->name : "______________________");
		fputs("/</p><p>", f);
		esc(f, d->date_blank);
		fputs("</p></div>\n", f);
	}
	fputs("</div>\n", f);
}

static void render(FILE *f, const struct gp_doc *d)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>",
		d->lang);
	esc(f, d->title);
	fputs("</title>\n", f);
	style(f, d);
	fputs("</head><body>\n", f);
	for (size_t i = 0; i < d->n; i++) {
		const struct gp_doc_block *b = &d->b[i];
		switch (b->kind) {
		case GP_DOC_TITLE:
			fputs("<h1>", f);
			esc(f, b->text);
			fputs("</h1>\n", f);
			break;
		case GP_DOC_HEADING:
			fputs("<h2>", f);
			esc(f, b->text);
			fputs("</h2>\n", f);
			break;
		case GP_DOC_PARA:
			if (b->style == GP_DOC_MONO) {
				fputs("<pre>", f);
				esc_text(f, b->text, false);
				fputs("</pre>\n", f);
			} else {
				fprintf(f, "<p%s>", para_class(b->style));
				esc(f, b->text);
				fputs("</p>\n", f);
			}
			break;
		case GP_DOC_TABLE:
			table(f, b);
			break;
		case GP_DOC_IMAGE:
			image(f, b);
			break;
		case GP_DOC_SIGN:
			signatures(f, d, b);
			break;
		}
	}
	fputs("</body></html>\n", f);
}

int gp_report_html(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		   const char *path, char *err, size_t errlen)
{
	struct gp_doc doc;
	if (gp_report_doc(st, cfg, r, (int64_t)time(NULL), &doc, err, errlen) != 0)
		return -1;
	char *tmp = gp_xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		gp_doc_free(&doc);
		return -1;
	}
	render(f, &doc);
	gp_doc_free(&doc);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
