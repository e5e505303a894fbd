/*
 * report_pdf.h - the monthly SLA report as a PDF on A4 (landscape), drawn
 * with cairo and pango, for the contract's signatories: the month and the
 * parties, the per-service table with every column, the month's penalty
 * with the rule applied, the running total and the cap, every outage,
 * manual entry, maintenance window and incident of the month, and a
 * signature block; "N / M" on every page. In the report's language
 * (alerts.email.language), times in calendar.timezone.
 */
#ifndef GP_REPORT_PDF_H
#define GP_REPORT_PDF_H

#include <stddef.h>

#include "config.h"
#include "report.h"
#include "store.h"

/* Writes the report to path (through a temporary file renamed into
 * place). 0, or -1 with the reason in err. */
int gp_report_pdf(struct gp_store *st, const struct gp_config *cfg, const struct gp_report *r,
		  const char *path, char *err, size_t errlen);

#endif
