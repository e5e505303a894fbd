/*
 * report_html.h - the monthly SLA report as one printable HTML file for
 * the customer's and the supplier's representatives to sign: the same
 * document as the PDF (report_doc.h), graphs embedded so the file stands
 * alone, with a print stylesheet that fits it on A4 landscape.
 */
#ifndef GP_REPORT_HTML_H
#define GP_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "report.h"
#include "store.h"

/* Writes the report to path (through a temporary file renamed into
 * place). 0, or -1 with the reason in err. */
int gp_report_html(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		   const char *path, char *err, size_t errlen);

#endif
