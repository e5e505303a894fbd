/*
 * report_doc.h - the monthly report as a document: what a signed copy
 * says, in the order it says it, already in words. Built once from the
 * store and the month's figures; report_pdf.c and report_html.c only lay
 * it out (pages drawn with cairo, or a page for a browser to print), so
 * the PDF and the printed HTML say the same thing.
 *
 * In the report's language (alerts.email.language), every moment in the
 * calendar's zone, amounts in tenge from integer tiyn. Its parts:
 *
 *   the title: the month's name, the contract, the parties, the period;
 *   every outage of the month, one row each: when, how long, the service,
 *     the components at fault (or the manual entry), the attribution and
 *     by whom, the incident, the maintenance it overlapped, the charged
 *     hours and their amount;
 *   the per-service table (every column), the monitored coverage;
 *   the month's penalty with the rule it applied, then each month of the
 *     term with its payable amount and the running total against the cap;
 *   the maintenance windows and the manual ledger entries (revoked ones
 *     marked, never left out);
 *   every request of the month with its response and resolution against
 *     their targets;
 *   a graph of each outage the probe saw: the check that failed in it;
 *   the signature block.
 */
#ifndef GP_REPORT_DOC_H
#define GP_REPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "report.h"
#include "store.h"

enum gp_doc_kind {
	GP_DOC_TITLE,   /* the document's title */
	GP_DOC_HEADING, /* a section's */
	GP_DOC_PARA,    /* a paragraph; "\n" breaks a line */
	GP_DOC_TABLE,
	GP_DOC_IMAGE,   /* a PNG file with its caption */
	GP_DOC_SIGN,    /* the signature block */
};

enum gp_doc_style {
	GP_DOC_BODY,
	GP_DOC_BOLD,
	GP_DOC_LARGE, /* the figure the document is for: the month's penalty */
	GP_DOC_MONO,  /* the rules, aligned as the text report prints them */
	GP_DOC_NOTE,  /* a remark beside a figure */
};

struct gp_doc_col {
	char *head;
	double weight; /* its share of the width, with the others' */
	bool right;    /* figures, aligned right */
};

struct gp_doc_signatory {
	char *party;    /* "От заказчика: АО «Казахтелеком»" */
	char *position; /* "" when not given */
	char *name;     /* NULL when not given: a blank to fill */
};

struct gp_doc_block {
	enum gp_doc_kind kind;
	enum gp_doc_style style;
	char *text; /* title, heading, paragraph; an image's caption */
	/* A table: n_rows rows of n_cols cells (cells[row * n_cols + col]),
	 * a cell's "\n" breaking its line; a bold row is a total. */
	struct gp_doc_col *cols;
	size_t n_cols, n_rows;
	char **cells;
	bool *bold;
	char *png; /* an image: a temporary file, removed by gp_doc_free */
	struct gp_doc_signatory *sign;
	size_t n_sign;
};

struct gp_doc {
	const char *lang;  /* "ru" or "en" */
	char *title;       /* "Отчёт об уровне обслуживания за ноябрь 2026" */
	char *footer;      /* each page's: the title and the contract's number */
	char *date_blank;  /* under a signature: "Дата: «____» ____ 20__ г." */
	struct gp_doc_block *b;
	size_t n, cap;
};

/* Builds the document of the report r as of now. 0, or -1 with the
 * reason in err (the store failing). */
int gp_report_doc(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		  int64_t now, struct gp_doc *out, char *err, size_t errlen);
void gp_doc_free(struct gp_doc *d);

#endif
