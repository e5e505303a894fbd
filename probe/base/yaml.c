/*
 * yaml.c - build a positioned node tree from libfyaml's event stream.
 */
#include "yaml.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is not a config file; refusing it keeps the
 * recursive walkers of the loader within a small stack. */
#define MAX_DEPTH 64

/* The keys of one open mapping, hashed: finding a duplicate key must not
 * compare each key with every one before it (80,000 keys took 27 s so, and
 * a file may hold a million). Slots hold an index into the map's keys plus
 * one; 0 is empty. */
struct keyset {
	size_t *slot;
	size_t cap, n; /* cap: 0 or a power of two */
};

struct builder {
	const char *file;
	const char *text; /* the input, which libfyaml's marks index */
	size_t len;
	struct gp_errlist *el;
	struct gp_ynode *stack[MAX_DEPTH];
	int depth;
	struct gp_ynode *root;
	bool failed;
	/* For a map, whether the next scalar/collection is a key. */
	bool expect_key[MAX_DEPTH];
	struct gp_ynode *pending_key[MAX_DEPTH];
	struct keyset keys[MAX_DEPTH];
	/* Room in the open node's items (and keys): they grow by doubling, not
	 * one by one (a copy of the whole array per item under ASan or
	 * valgrind: 200,000 keys took 2 GB). */
	size_t cap[MAX_DEPTH];
};

static size_t hash_text(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

/* The slot of text in map p: the one holding it, or the empty one where it
 * goes. ks->cap must be non-zero. */
static size_t *keyset_find(const struct keyset *ks, const struct gp_ynode *p, const char *text)
{
	size_t i = hash_text(text) & (ks->cap - 1);
	while (ks->slot[i] && strcmp(p->keys[ks->slot[i] - 1]->text, text) != 0)
		i = (i + 1) & (ks->cap - 1);
	return &ks->slot[i];
}

/* The earlier key of map p with this text, or NULL. */
static const struct gp_ynode *keyset_get(const struct keyset *ks, const struct gp_ynode *p,
					 const char *text)
{
	if (!ks->cap)
		return NULL;
	size_t *sl = keyset_find(ks, p, text);
	return *sl ? p->keys[*sl - 1] : NULL;
}

/* Adds key i of map p, unless a key of its text is there already. */
static void keyset_add(struct keyset *ks, const struct gp_ynode *p, size_t i)
{
	if ((ks->n + 1) * 2 > ks->cap) {
		struct keyset bigger = {.cap = ks->cap ? ks->cap * 2 : 16};
		bigger.slot = gp_xcalloc(bigger.cap, sizeof(*bigger.slot));
		for (size_t j = 0; j < ks->cap; j++)
			if (ks->slot[j])
				*keyset_find(&bigger, p, p->keys[ks->slot[j] - 1]->text) = ks->slot[j];
		bigger.n = ks->n;
		free(ks->slot);
		*ks = bigger;
	}
	size_t *sl = keyset_find(ks, p, p->keys[i]->text);
	if (!*sl) {
		*sl = i + 1;
		ks->n++;
	}
}

static void keyset_clear(struct keyset *ks)
{
	free(ks->slot);
	*ks = (struct keyset){0};
}

static struct gp_ynode *node_new(enum gp_ynode_type t, const struct fy_mark *m)
{
	struct gp_ynode *n = gp_xcalloc(1, sizeof(*n));
	n->type = t;
	n->line = m ? m->line + 1 : 0;
	n->col = m ? m->column + 1 : 0;
	return n;
}

void gp_ynode_free(struct gp_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			gp_ynode_free(n->keys[i]);
		gp_ynode_free(n->items[i]);
	}
	free(n->keys);
	free(n->items);
	free(n->text);
	free(n);
}

static void error_at(struct builder *b, int line, int col, const char *msg)
{
	gp_errlist_add(b->el, b->file, line, col, "%s", msg);
	b->failed = true;
}

/* Attaches a finished node to its parent (or makes it the root). */
static void attach(struct builder *b, struct gp_ynode *n)
{
	if (b->depth == 0) {
		if (b->root) {
			error_at(b, n->line, n->col, "more than one YAML document in the file");
			gp_ynode_free(n);
			return;
		}
		b->root = n;
		return;
	}
	struct gp_ynode *p = b->stack[b->depth - 1];
	int d = b->depth - 1;
	if (p->type == GP_Y_SEQ) {
		gp_grow((void **)&p->items, &b->cap[d], p->n, sizeof(*p->items));
		p->items[p->n++] = n;
		return;
	}
	if (b->expect_key[d]) {
		if (n->type != GP_Y_SCALAR) {
			error_at(b, n->line, n->col, "a mapping key must be a plain scalar");
			gp_ynode_free(n);
			/* Keep the structure: a placeholder key. */
			n = node_new(GP_Y_SCALAR, NULL);
			n->text = gp_xstrdup("");
		} else {
			const struct gp_ynode *first = keyset_get(&b->keys[d], p, n->text);
			if (first) {
				gp_errlist_add(b->el, b->file, n->line, n->col,
					       "duplicate key '%s' (first at line %d)", n->text,
					       first->line);
				b->failed = true;
			}
		}
		b->pending_key[d] = n;
		b->expect_key[d] = false;
		return;
	}
	size_t kcap = b->cap[d]; /* keys and items grow together */
	gp_grow((void **)&p->keys, &kcap, p->n, sizeof(*p->keys));
	gp_grow((void **)&p->items, &b->cap[d], p->n, sizeof(*p->items));
	p->keys[p->n] = b->pending_key[d];
	p->items[p->n] = n;
	keyset_add(&b->keys[d], p, p->n);
	p->n++;
	b->pending_key[d] = NULL;
	b->expect_key[d] = true;
}

static void push(struct builder *b, struct gp_ynode *n)
{
	if (b->depth >= MAX_DEPTH) {
		error_at(b, n->line, n->col, "nesting too deep");
		gp_ynode_free(n);
		return;
	}
	b->stack[b->depth] = n;
	b->expect_key[b->depth] = true;
	b->pending_key[b->depth] = NULL;
	b->keys[b->depth] = (struct keyset){0};
	b->cap[b->depth] = 0;
	b->depth++;
}

static void pop(struct builder *b)
{
	struct gp_ynode *n = b->stack[--b->depth];
	gp_ynode_free(b->pending_key[b->depth]);
	b->pending_key[b->depth] = NULL;
	keyset_clear(&b->keys[b->depth]);
	attach(b, n);
}

/*
 * Whether the single-quoted scalar from mark s to mark e holds two escaped
 * quotes in a row (four quote characters). libfyaml 0.7.12 (Debian 12)
 * decodes 'x''''y' as "x'''" (the y lost), and with seven in a row it also
 * leaks its text iterator's chunks: the text must not be asked of it.
 */
static bool two_escaped_quotes(const struct builder *b, const struct fy_mark *s,
			       const struct fy_mark *e)
{
	if (!s || !e || e->input_pos > b->len)
		return false;
	/* The marks are those of the text inside the delimiting quotes. */
	size_t run = 0;
	for (size_t i = s->input_pos; i < e->input_pos; i++) {
		run = b->text[i] == '\'' ? run + 1 : 0;
		if (run == 4)
			return true;
	}
	return false;
}

static void on_event(struct builder *b, struct fy_event *fye)
{
	const struct fy_mark *m = fy_event_start_mark(fye);
	switch (fye->type) {
	case FYET_MAPPING_START:
		push(b, node_new(GP_Y_MAP, m));
		break;
	case FYET_SEQUENCE_START:
		push(b, node_new(GP_Y_SEQ, m));
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		if (b->depth > 0)
			pop(b);
		break;
	case FYET_SCALAR: {
		struct gp_ynode *n = node_new(GP_Y_SCALAR, m);
		enum fy_scalar_style st = fy_token_scalar_style(fye->scalar.value);
		n->quoted = st == FYSS_SINGLE_QUOTED || st == FYSS_DOUBLE_QUOTED;
		if (st == FYSS_SINGLE_QUOTED && two_escaped_quotes(b, m, fy_event_end_mark(fye))) {
			error_at(b, n->line, n->col,
				 "two escaped quotes in a row ('''') in a single-quoted value, which "
				 "this YAML library misreads: write the value in double quotes");
			n->text = gp_xstrdup("");
			attach(b, n);
			break;
		}
		size_t len = 0;
		const char *t = fy_token_get_text(fye->scalar.value, &len);
		n->text = gp_xstrndup(t ? t : "", t ? len : 0);
		if (strlen(n->text) != len) {
			error_at(b, n->line, n->col, "NUL character in a scalar");
		}
		attach(b, n);
		break;
	}
	case FYET_ALIAS: {
		struct fy_mark mm = m ? *m : (struct fy_mark){0};
		error_at(b, mm.line + 1, mm.column + 1, "YAML aliases are not supported in the config");
		/* Keep the tree well formed: an empty scalar in its place. */
		struct gp_ynode *n = node_new(GP_Y_SCALAR, m);
		n->text = gp_xstrdup("");
		attach(b, n);
		break;
	}
	default:
		break;
	}
}

/* libfyaml reports syntax errors through its diag object; we collect them
 * and turn each into a positioned error of our own. */
static void collect_syntax_errors(struct builder *b, struct fy_diag *diag)
{
	void *it = NULL;
	struct fy_diag_error *e;
	bool any = false;
	while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
		if (e->type < FYET_ERROR)
			continue;
		/* Where libfyaml names the offending token (an unclosed
		 * bracket...), its start is the useful place to point at. */
		int line = e->line, col = e->column;
		const struct fy_mark *m = e->fyt ? fy_token_start_mark(e->fyt) : NULL;
		if (m) {
			line = m->line;
			col = m->column;
		}
		/* An unclosed flow collection is reported at the end of the
		 * input; the open node on our stack says where it began. */
		if (strstr(e->msg, "without a closing") && b->depth > 0) {
			const struct gp_ynode *open = b->stack[b->depth - 1];
			gp_errlist_add(b->el, b->file, open->line, open->col, "YAML syntax error: %s",
				       e->msg);
		} else {
			gp_errlist_add(b->el, b->file, line + 1, col + 1, "YAML syntax error: %s", e->msg);
		}
		any = true;
	}
	if (!any)
		gp_errlist_add(b->el, b->file, 0, 0, "YAML syntax error");
	b->failed = true;
}

/*
 * The first byte of text that is not UTF-8, or a NUL byte, or NULL.
 * libfyaml is never handed anything else: some invalid sequences send its
 * scanner into a loop.
 */
static const unsigned char *bad_utf8(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *bad = gp_utf8_bad(p, (size_t)(end - p));
	const unsigned char *nul = memchr(p, 0, (size_t)((bad ? bad : end) - p));
	return nul ? nul : bad;
}

/* Line and column (1-based, in characters) of offset off of text. */
static void position_of(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

struct gp_ynode *gp_yaml_load_text(const char *name, const char *text, size_t len,
				   struct gp_errlist *el)
{
	struct builder b = {.file = name, .el = el, .text = text, .len = len};
	const unsigned char *bad =
		bad_utf8((const unsigned char *)text, (const unsigned char *)text + len);
	if (bad) {
		int line, col;
		size_t off = (size_t)(bad - (const unsigned char *)text);
		position_of(text, off, &line, &col);
		gp_errlist_add(el, name, line, col, "%s (byte 0x%02x): the file must be UTF-8 text",
			       *bad ? "not valid UTF-8" : "a NUL byte", *bad);
		return NULL;
	}

	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = NULL;
	dcfg.colorize = false;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (!diag) {
		gp_errlist_add(el, name, 0, 0, "cannot create the YAML diagnostics object");
		return NULL;
	}
	fy_diag_set_collect_errors(diag, true);

	struct fy_parse_cfg pcfg = {
		.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO | FYPCF_JSON_NONE,
		.diag = diag,
	};
	struct fy_parser *fyp = fy_parser_create(&pcfg);
	if (!fyp || fy_parser_set_string(fyp, text, len) != 0) {
		if (fyp)
			fy_parser_destroy(fyp);
		fy_diag_destroy(diag);
		gp_errlist_add(el, name, 0, 0, "cannot start the YAML parser");
		return NULL;
	}

	struct fy_event *fye;
	while ((fye = fy_parser_parse(fyp)) != NULL) {
		on_event(&b, fye);
		fy_parser_event_free(fyp, fye);
	}
	if (fy_parser_get_stream_error(fyp))
		collect_syntax_errors(&b, diag);

	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);

	while (b.depth > 0) {
		b.depth--;
		gp_ynode_free(b.pending_key[b.depth]);
		keyset_clear(&b.keys[b.depth]);
		gp_ynode_free(b.stack[b.depth]);
	}
	if (b.failed) {
		gp_ynode_free(b.root);
		return NULL;
	}
	if (!b.root) {
		gp_errlist_add(el, name, 1, 1, "the file is empty");
		return NULL;
	}
	return b.root;
}

struct gp_ynode *gp_yaml_load(const char *file, struct gp_errlist *el)
{
	char err[256];
	size_t len;
	char *text = gp_read_text_file(file, GP_YAML_MAX_BYTES, &len, err, sizeof(err));
	if (!text) {
		gp_errlist_add(el, file, 0, 0, "%s", err);
		return NULL;
	}
	struct gp_ynode *root = gp_yaml_load_text(file, text, len, el);
	free(text);
	return root;
}

bool gp_ynode_is_null(const struct gp_ynode *n)
{
	if (!n)
		return true;
	if (n->type != GP_Y_SCALAR || n->quoted)
		return false;
	return n->text[0] == '\0' || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
	       strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

struct gp_ynode *gp_ymap_get(const struct gp_ynode *map, const char *key)
{
	if (!map || map->type != GP_Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->items[i];
	return NULL;
}

const char *gp_ynode_type_name(const struct gp_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case GP_Y_MAP:
		return "a mapping";
	case GP_Y_SEQ:
		return "a list";
	default:
		return "a scalar";
	}
}
