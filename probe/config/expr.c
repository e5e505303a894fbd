/*
 * expr.c - recursive-descent parser and three-valued evaluator of up_when.
 */
#include "expr.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 32

struct parser {
	const char *s;
	size_t pos;
	int depth;
	char *err;
	size_t errlen;
	size_t err_offset;
	bool failed;
};

static void fail(struct parser *p, size_t at, const char *msg)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err_offset = at;
	snprintf(p->err, p->errlen, "%s", msg);
}

static void skip_ws(struct parser *p)
{
	while (isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Reads a word without consuming it; returns its length. */
static size_t peek_word(struct parser *p)
{
	size_t n = 0;
	while (is_name_char(p->s[p->pos + n]))
		n++;
	return n;
}

static bool word_is(struct parser *p, size_t n, const char *w)
{
	return strlen(w) == n && strncmp(p->s + p->pos, w, n) == 0;
}

static struct gp_expr *node(enum gp_expr_kind k, size_t off)
{
	struct gp_expr *e = gp_xcalloc(1, sizeof(*e));
	e->kind = k;
	e->offset = off;
	return e;
}

static void add_arg(struct gp_expr *e, struct gp_expr *a)
{
	e->args = gp_xrealloc(e->args, (e->n + 1) * sizeof(*e->args));
	e->args[e->n++] = a;
}

static struct gp_expr *parse_or(struct parser *p);

static bool expect_char(struct parser *p, char c, const char *msg)
{
	skip_ws(p);
	if (p->s[p->pos] != c) {
		fail(p, p->pos, msg);
		return false;
	}
	p->pos++;
	return true;
}

static struct gp_expr *parse_list(struct parser *p, struct gp_expr *fn)
{
	for (;;) {
		struct gp_expr *a = parse_or(p);
		if (!a) {
			gp_expr_free(fn);
			return NULL;
		}
		add_arg(fn, a);
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (!expect_char(p, ')', "expected ',' or ')'")) {
			gp_expr_free(fn);
			return NULL;
		}
		return fn;
	}
}

static struct gp_expr *parse_factor(struct parser *p)
{
	skip_ws(p);
	size_t start = p->pos;
	if (p->s[p->pos] == '(') {
		p->pos++;
		if (++p->depth > MAX_NESTING) {
			fail(p, start, "expression nested too deeply");
			return NULL;
		}
		struct gp_expr *e = parse_or(p);
		p->depth--;
		if (e && !expect_char(p, ')', "expected ')'")) {
			gp_expr_free(e);
			return NULL;
		}
		return e;
	}
	size_t n = peek_word(p);
	if (n == 0) {
		fail(p, start, p->s[start] ? "expected a target name, any(), all() or at_least()"
					   : "unexpected end of expression");
		return NULL;
	}
	if (word_is(p, n, "and") || word_is(p, n, "or")) {
		fail(p, start, "expected a target name before this operator");
		return NULL;
	}
	enum gp_expr_kind fk = GP_EX_NAME;
	bool is_fn = true;
	if (word_is(p, n, "any"))
		fk = GP_EX_ANY;
	else if (word_is(p, n, "all"))
		fk = GP_EX_ALL;
	else if (word_is(p, n, "at_least"))
		fk = GP_EX_AT_LEAST;
	else
		is_fn = false;

	/* A function name is a function only when "(" follows; otherwise it
	 * is an ordinary target name. */
	size_t after = p->pos + n;
	while (isspace((unsigned char)p->s[after]))
		after++;
	if (is_fn && p->s[after] == '(') {
		p->pos = after + 1;
		if (++p->depth > MAX_NESTING) {
			fail(p, start, "expression nested too deeply");
			return NULL;
		}
		struct gp_expr *fn = node(fk, start);
		if (fk == GP_EX_AT_LEAST) {
			skip_ws(p);
			size_t ns = p->pos;
			long v = 0;
			while (isdigit((unsigned char)p->s[p->pos]) && v < 1000)
				v = v * 10 + (p->s[p->pos++] - '0');
			if (p->pos == ns || v < 1 || v >= 1000) {
				fail(p, ns, "at_least() needs a count of 1 or more first");
				gp_expr_free(fn);
				return NULL;
			}
			fn->at_least = (int)v;
			if (!expect_char(p, ',', "expected ',' after the count of at_least()")) {
				gp_expr_free(fn);
				return NULL;
			}
		}
		fn = parse_list(p, fn);
		p->depth--;
		if (fn && fk == GP_EX_AT_LEAST && (size_t)fn->at_least > fn->n) {
			fail(p, start, "at_least() asks for more members than it lists");
			gp_expr_free(fn);
			return NULL;
		}
		return fn;
	}
	struct gp_expr *e = node(GP_EX_NAME, start);
	e->name = gp_xstrndup(p->s + start, n);
	p->pos += n;
	return e;
}

static struct gp_expr *parse_binary(struct parser *p, const char *op, enum gp_expr_kind kind,
				    struct gp_expr *(*sub)(struct parser *))
{
	struct gp_expr *left = sub(p);
	if (!left)
		return NULL;
	for (;;) {
		skip_ws(p);
		size_t n = peek_word(p);
		if (!word_is(p, n, op))
			return left;
		size_t at = p->pos;
		p->pos += n;
		struct gp_expr *right = sub(p);
		if (!right) {
			gp_expr_free(left);
			return NULL;
		}
		if (left->kind != kind) {
			struct gp_expr *b = node(kind, at);
			add_arg(b, left);
			left = b;
		}
		add_arg(left, right);
	}
}

static struct gp_expr *parse_and(struct parser *p)
{
	return parse_binary(p, "and", GP_EX_AND, parse_factor);
}

static struct gp_expr *parse_or(struct parser *p)
{
	return parse_binary(p, "or", GP_EX_OR, parse_and);
}

struct gp_expr *gp_expr_parse(const char *text, size_t *err_offset, char *err, size_t errlen)
{
	struct parser p = {.s = text, .err = err, .errlen = errlen};
	struct gp_expr *e = parse_or(&p);
	if (e) {
		skip_ws(&p);
		if (p.s[p.pos] != '\0') {
			fail(&p, p.pos, "unexpected text (expected 'and', 'or' or the end)");
			gp_expr_free(e);
			e = NULL;
		}
	}
	if (!e)
		*err_offset = p.err_offset;
	return e;
}

void gp_expr_free(struct gp_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		gp_expr_free(e->args[i]);
	free(e->args);
	free(e->name);
	free(e);
}

void gp_expr_foreach_name(const struct gp_expr *e,
			  void (*fn)(const struct gp_expr *name_node, void *ctx), void *ctx)
{
	if (e->kind == GP_EX_NAME) {
		fn(e, ctx);
		return;
	}
	for (size_t i = 0; i < e->n; i++)
		gp_expr_foreach_name(e->args[i], fn, ctx);
}

enum gp_tri gp_expr_eval(const struct gp_expr *e, enum gp_tri (*lookup)(const char *, void *),
			 void *ctx)
{
	if (e->kind == GP_EX_NAME)
		return lookup(e->name, ctx);
	size_t up = 0, unknown = 0;
	for (size_t i = 0; i < e->n; i++) {
		enum gp_tri v = gp_expr_eval(e->args[i], lookup, ctx);
		if (v == GP_TRI_UP)
			up++;
		else if (v == GP_TRI_UNKNOWN)
			unknown++;
	}
	/* How many members must be up: and/all = every one, or/any = one. */
	size_t need;
	switch (e->kind) {
	case GP_EX_AND:
	case GP_EX_ALL:
		need = e->n;
		break;
	case GP_EX_AT_LEAST:
		need = (size_t)e->at_least;
		break;
	default:
		need = 1;
		break;
	}
	if (up >= need)
		return GP_TRI_UP;
	if (up + unknown >= need)
		return GP_TRI_UNKNOWN;
	return GP_TRI_DOWN;
}
