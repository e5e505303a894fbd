/*
 * fuzz_expr.c - up_when (expr.h): parse any text; a refusal points inside
 * the text with a reason; a parsed expression names only what the text
 * holds, at the offsets it gives, and evaluates like Kleene logic: it is
 * unknown only when some member is unknown, and resolving the unknown
 * members never contradicts a known answer.
 */
#include "fuzz.h"

#include "expr.h"

struct names {
	const char *text;
	size_t n;
};

static void on_name(const struct gp_expr *e, void *ctx)
{
	struct names *c = ctx;
	size_t len = strlen(e->name);
	FUZZ_CHECK(len > 0, "empty name");
	FUZZ_CHECK(e->offset + len <= strlen(c->text) &&
			   memcmp(c->text + e->offset, e->name, len) == 0,
		   "name '%s' is not at offset %zu", e->name, e->offset);
	c->n++;
}

/* Members' truth from their names: a hash picks up, down or unknown, and
 * `resolve` (when not unknown) turns every unknown into that value. */
struct world {
	unsigned seed;
	enum gp_tri resolve;
	size_t unknowns;
};

static enum gp_tri lookup(const char *name, void *ctx)
{
	struct world *w = ctx;
	unsigned h = w->seed;
	for (const char *p = name; *p; p++)
		h = h * 31u + (unsigned char)*p;
	enum gp_tri v = (enum gp_tri)(h % 3u);
	if (v == GP_TRI_UNKNOWN) {
		w->unknowns++;
		if (w->resolve != GP_TRI_UNKNOWN)
			v = w->resolve;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char err[128] = "";
	size_t off = (size_t)-1;
	struct gp_expr *e = gp_expr_parse(text, &off, err, sizeof(err));
	if (!e) {
		FUZZ_CHECK(off <= strlen(text), "error offset %zu past the end", off);
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
		free(text);
		return 0;
	}
	struct names names = {.text = text};
	gp_expr_foreach_name(e, on_name, &names);
	FUZZ_CHECK(names.n > 0, "an expression without a member");

	for (unsigned seed = 0; seed < 4; seed++) {
		struct world w = {.seed = seed, .resolve = GP_TRI_UNKNOWN};
		enum gp_tri v = gp_expr_eval(e, lookup, &w);
		FUZZ_CHECK(v == GP_TRI_UP || v == GP_TRI_DOWN || v == GP_TRI_UNKNOWN, "value %d",
			   (int)v);
		FUZZ_CHECK(v != GP_TRI_UNKNOWN || w.unknowns > 0, "unknown with no unknown member");
		for (enum gp_tri r = GP_TRI_DOWN; r <= GP_TRI_UP; r++) {
			struct world wr = {.seed = seed, .resolve = r};
			enum gp_tri vr = gp_expr_eval(e, lookup, &wr);
			FUZZ_CHECK(vr != GP_TRI_UNKNOWN, "unknown with every member known");
			FUZZ_CHECK(v == GP_TRI_UNKNOWN || vr == v,
				   "resolving unknowns to %d turned %d into %d", (int)r, (int)v,
				   (int)vr);
		}
	}
	gp_expr_free(e);
	free(text);
	return 0;
}
