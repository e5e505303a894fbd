/*
 * errlist.c - positioned error list (see errlist.h).
 */
#include "errlist.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void gp_errlist_add(struct gp_errlist *el, const char *file, int line, int col,
		    const char *fmt, ...)
{
	gp_grow((void **)&el->v, &el->cap, el->n, sizeof(*el->v));
	struct gp_err *e = &el->v[el->n++];
	e->file = gp_xstrdup(file ? file : "");
	e->line = line;
	e->col = col;
	va_list ap;
	va_start(ap, fmt);
	e->msg = gp_xvasprintf(fmt, ap);
	va_end(ap);
}

void gp_errlist_sort(struct gp_errlist *el)
{
	/* Insertion sort: stable, and lists are short. Errors of an included
	 * file (e.g. holidays_file) keep their place after the main file's. */
	for (size_t i = 1; i < el->n; i++) {
		struct gp_err t = el->v[i];
		size_t j = i;
		while (j > 0 && strcmp(el->v[j - 1].file, t.file) == 0 &&
		       (el->v[j - 1].line > t.line ||
			(el->v[j - 1].line == t.line && el->v[j - 1].col > t.col))) {
			el->v[j] = el->v[j - 1];
			j--;
		}
		el->v[j] = t;
	}
}

char *gp_errlist_format(const struct gp_errlist *el, size_t i)
{
	const struct gp_err *e = &el->v[i];
	if (e->line > 0)
		return gp_xasprintf("%s:%d:%d: %s", e->file, e->line, e->col, e->msg);
	return gp_xasprintf("%s: %s", e->file, e->msg);
}

void gp_errlist_print(const struct gp_errlist *el, FILE *out)
{
	for (size_t i = 0; i < el->n; i++) {
		char *s = gp_errlist_format(el, i);
		fprintf(out, "%s\n", s);
		free(s);
	}
}

void gp_errlist_free(struct gp_errlist *el)
{
	for (size_t i = 0; i < el->n; i++) {
		free(el->v[i].file);
		free(el->v[i].msg);
	}
	free(el->v);
	el->v = NULL;
	el->n = el->cap = 0;
}
