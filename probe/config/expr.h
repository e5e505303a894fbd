/*
 * expr.h - the `up_when` language of a service:
 *
 *   expr    := term ("or" term)*
 *   term    := factor ("and" factor)*
 *   factor  := "(" expr ")" | NAME
 *            | "any" "(" list ")" | "all" "(" list ")"
 *            | "at_least" "(" N "," list ")"
 *   list    := expr ("," expr)*
 *
 * NAME is a target name. Evaluation is three-valued (Kleene): a member is
 * up, down or unknown, and the answer is unknown only when it really
 * depends on an unknown member ("a or b" with a up is up whatever b is).
 */
#ifndef GP_EXPR_H
#define GP_EXPR_H

#include <stdbool.h>
#include <stddef.h>

enum gp_tri { GP_TRI_DOWN = 0, GP_TRI_UP = 1, GP_TRI_UNKNOWN = 2 };

enum gp_expr_kind { GP_EX_NAME, GP_EX_AND, GP_EX_OR, GP_EX_ANY, GP_EX_ALL, GP_EX_AT_LEAST };

struct gp_expr {
	enum gp_expr_kind kind;
	char *name;     /* GP_EX_NAME */
	size_t offset;  /* where it starts in the source text (0-based) */
	int at_least;   /* GP_EX_AT_LEAST */
	size_t n;
	struct gp_expr **args;
};

/* Parses text. On error returns NULL, *err_offset = 0-based position in
 * text and err = reason. */
struct gp_expr *gp_expr_parse(const char *text, size_t *err_offset, char *err, size_t errlen);
void gp_expr_free(struct gp_expr *e);

/* Calls fn for every NAME in e, in source order. */
void gp_expr_foreach_name(const struct gp_expr *e,
			  void (*fn)(const struct gp_expr *name_node, void *ctx), void *ctx);

/* Evaluates with lookup(name) giving each member's truth. */
enum gp_tri gp_expr_eval(const struct gp_expr *e, enum gp_tri (*lookup)(const char *name, void *ctx),
			 void *ctx);

#endif
