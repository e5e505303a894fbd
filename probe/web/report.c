/*
 * report.c - the month's report to download: GET /report?month=YYYY-MM
 * &format=html|pdf (the month defaults to this one in calendar.timezone),
 * the same document `gprobe report --html/--pdf` writes, built from one
 * snapshot of the store. The renderers write a file: a private temporary
 * directory, read back whole into the response and removed.
 */
#include "web.h"
#include "calendar.h"
#include "report.h"
#include "report_html.h"
#include "report_pdf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A report is a few hundred kilobytes; more is not one. */
#define REPORT_MAX (32 * 1024 * 1024)

static bool read_whole(const char *path, struct gp_sb *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	struct stat sb;
	bool ok = fstat(fileno(f), &sb) == 0 && sb.st_size >= 0 && sb.st_size <= REPORT_MAX;
	if (ok) {
		b->s = gp_xrealloc(b->s, (size_t)sb.st_size + 1);
		b->cap = (size_t)sb.st_size + 1;
		b->n = fread(b->s, 1, (size_t)sb.st_size, f);
		ok = b->n == (size_t)sb.st_size;
	}
	fclose(f);
	return ok;
}

/* month: "YYYY-MM" or NULL; format "html" or "pdf". */
void gp_page_report(struct gp_webd *w, const struct gp_web_req *r, struct gp_web_resp *resp,
		    const char *month, const char *format)
{
	bool pdf = format && !strcmp(format, "pdf");
	if (format && !pdf && strcmp(format, "html") != 0)
		return gp_page_error(r, resp, 400, r->english ? "format: html or pdf."
							      : "format: html или pdf.");
	char cur[16];
	int64_t now = (int64_t)time(NULL);
	if (!month || !*month) {
		struct gp_date d = gp_cal_local_date(&w->cfg->calendar, now);
		snprintf(cur, sizeof(cur), "%04d-%02d", d.year, d.month);
		month = cur;
	}
	struct gp_store *st = gp_web_store(w, false, resp);
	if (!st)
		return;
	struct gp_report rep;
	char err[512];
	if (gp_report_build(st, w->cfg, month, now, &rep, err, sizeof(err)) != 0) {
		gp_store_close(st);
		return gp_page_error(r, resp, 400, err);
	}
	char dir[] = "/tmp/gprobe-report-XXXXXX";
	char *path = NULL;
	int rc = -1;
	if (mkdtemp(dir)) {
		path = gp_xasprintf("%s/report.%s", dir, pdf ? "pdf" : "html");
		rc = pdf ? gp_report_pdf(st, w->cfg, &rep, path, err, sizeof(err))
			 : gp_report_html(st, w->cfg, &rep, path, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "no temporary directory for the report");
	}
	gp_report_free(&rep);
	gp_store_close(st);
	if (rc == 0 && !read_whole(path, &resp->body)) {
		snprintf(err, sizeof(err), "cannot read the report back");
		rc = -1;
	}
	if (path)
		unlink(path);
	rmdir(dir);
	free(path);
	if (rc != 0) {
		free(resp->body.s);
		resp->body = (struct gp_sb){0};
		return gp_page_error(r, resp, 500, err);
	}
	resp->status = 200;
	resp->type = pdf ? "application/pdf" : "text/html; charset=utf-8";
	resp->disposition = gp_xasprintf("attachment; filename=\"report-%s.%s\"", month,
					 pdf ? "pdf" : "html");
}
