/*
 * fuzz_yaml.c - the YAML reader (gp_yaml_load_text) and the whole config
 * loader over it (gp_config_load_text, no collectors: every check kind is
 * unknown), on any bytes.
 *
 * Beyond "no crash, no leak, no hang": a refused text always says why, with
 * a position inside it; a tree has text on every scalar and a scalar for
 * every key.
 */
#include "fuzz.h"

#include "config.h"
#include "errlist.h"
#include "yaml.h"

/* Relative paths in the config (holidays_file, secrets) resolve here, where
 * nothing is, so the run does not depend on the current directory. */
#define NAME "/nonexistent/fuzz.yaml"

/* At most how many lines the text has for YAML, whose line breaks are LF,
 * CR and CR LF (and, in YAML 1.1, U+0085, U+2028 and U+2029): each counted
 * on its own, an upper bound. */
static int count_lines(const uint8_t *data, size_t size)
{
	int lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' ||
			 (data[i] == 0xc2 && i + 1 < size && data[i + 1] == 0x85) ||
			 (data[i] == 0xe2 && i + 2 < size && data[i + 1] == 0x80 &&
			  (data[i + 2] == 0xa8 || data[i + 2] == 0xa9));
	return lines;
}

static void check_tree(const struct gp_ynode *n, int max_line)
{
	FUZZ_CHECK(n->line >= 0 && n->line <= max_line + 1, "node at line %d of %d", n->line,
		   max_line);
	switch (n->type) {
	case GP_Y_SCALAR:
		FUZZ_CHECK(n->text != NULL, "scalar without text");
		FUZZ_CHECK(n->n == 0, "scalar with %zu children", n->n);
		break;
	case GP_Y_MAP:
		for (size_t i = 0; i < n->n; i++) {
			FUZZ_CHECK(n->keys[i]->type == GP_Y_SCALAR, "key %zu is not a scalar", i);
			check_tree(n->keys[i], max_line);
			check_tree(n->items[i], max_line);
			/* Duplicate keys are refused. */
			FUZZ_CHECK(gp_ymap_get(n, n->keys[i]->text) == n->items[i],
				   "key '%s' twice", n->keys[i]->text);
		}
		break;
	case GP_Y_SEQ:
		for (size_t i = 0; i < n->n; i++)
			check_tree(n->items[i], max_line);
		break;
	}
}

static void check_errors(const struct gp_errlist *el, int max_line)
{
	FUZZ_CHECK(el->n > 0, "refused without an error");
	for (size_t i = 0; i < el->n; i++) {
		const struct gp_err *e = &el->v[i];
		FUZZ_CHECK(e->msg && e->msg[0], "error %zu without a message", i);
		/* Errors may name another file (a profile); ours are in the text. */
		if (strcmp(e->file, NAME) == 0)
			FUZZ_CHECK(e->line >= 0 && e->line <= max_line + 1 && e->col >= 0,
				   "error at %d:%d of a %d-line text: %s", e->line, e->col,
				   max_line, e->msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int lines = count_lines(data, size);

	struct gp_errlist el = {0};
	struct gp_ynode *root = gp_yaml_load_text(NAME, text, size, &el);
	if (root) {
		FUZZ_CHECK(el.n == 0, "a tree and %zu errors", el.n);
		check_tree(root, lines);
		gp_ynode_free(root);
	} else {
		check_errors(&el, lines);
	}
	gp_errlist_free(&el);

	el = (struct gp_errlist){0};
	struct gp_config_opts opts = {.default_profile_dir = PROFILE_DIR, .kinds = NULL};
	struct gp_config *cfg = gp_config_load_text(NAME, text, size, &opts, &el);
	if (cfg)
		gp_config_free(cfg);
	else
		check_errors(&el, lines);
	gp_errlist_free(&el);
	return 0;
}
