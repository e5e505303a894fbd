/*
 * errlist.h - a list of positioned errors, "FILE:LINE:COL: message".
 *
 * The config loader collects every error of a file here instead of stopping
 * at the first, so an operator fixes a broken file in one pass. The caller
 * decides where they are printed.
 */
#ifndef GP_ERRLIST_H
#define GP_ERRLIST_H

#include <stdio.h>
#include <stddef.h>

struct gp_err {
	char *file;
	int line; /* 1-based; 0 when the error has no position */
	int col;  /* 1-based */
	char *msg;
};

struct gp_errlist {
	struct gp_err *v;
	size_t n, cap;
};

void gp_errlist_add(struct gp_errlist *el, const char *file, int line, int col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sorts by file order of appearance, then line and column (stable). */
void gp_errlist_sort(struct gp_errlist *el);
void gp_errlist_print(const struct gp_errlist *el, FILE *out);
/* "FILE:LINE:COL: message" of entry i, in a malloc'd string. */
char *gp_errlist_format(const struct gp_errlist *el, size_t i);
void gp_errlist_free(struct gp_errlist *el);

#endif
