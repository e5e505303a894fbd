/*
 * fuzz_json_pointer.c - RFC 6901 pointers (collectors/json_pointer.h), as
 * the HTTP collector applies them to a body.
 *
 * Input: a pointer, then "\n" and a JSON document (without a newline, the
 * pointer alone is applied to RFC 6901's example document). Beyond "no
 * crash": a pointer that names nothing says where it failed, inside it; and
 * every value of the document is found by the pointer written for it.
 */
#include "fuzz.h"

#include "json_pointer.h"

static const char rfc_doc[] =
	"{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3, "
	"\"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8, "
	"\"nested\": {\"list\": [{\"x\": true}]}}";

/* The token limit of gp_json_pointer (its buffer of 512, NUL included). */
#define MAX_TOKEN 511

static void apply(json_t *root, const char *ptr)
{
	size_t bad = (size_t)-1;
	json_t *v = gp_json_pointer(root, ptr, &bad);
	if (!v)
		FUZZ_CHECK(bad <= strlen(ptr), "'%s' failed at %zu", ptr, bad);
}

/* Appends one reference token, escaped; false when it is too long. */
static bool push_token(char *path, size_t cap, size_t *len, const char *tok)
{
	size_t raw = 0;
	if (*len + 1 >= cap)
		return false;
	path[(*len)++] = '/';
	for (const char *p = tok; *p; p++, raw++) {
		const char *rep = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
		size_t n = rep ? 2 : 1;
		if (raw >= MAX_TOKEN || *len + n >= cap)
			return false;
		memcpy(path + *len, rep ? rep : p, n);
		*len += n;
	}
	path[*len] = '\0';
	return true;
}

/* Every value under v (at path) is found again from the root. */
static void walk(json_t *root, json_t *v, char *path, size_t cap, size_t len, int depth)
{
	size_t bad;
	json_t *found = gp_json_pointer(root, path, &bad);
	FUZZ_CHECK(found == v, "'%s' names another value (or none, failing at %zu)", path, bad);
	if (depth > 32)
		return;
	if (json_is_object(v)) {
		const char *key;
		json_t *item;
		json_object_foreach(v, key, item) {
			size_t l = len;
			if (push_token(path, cap, &l, key))
				walk(root, item, path, cap, l, depth + 1);
			path[len] = '\0';
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			char idx[24];
			snprintf(idx, sizeof(idx), "%zu", i);
			size_t l = len;
			if (push_token(path, cap, &l, idx))
				walk(root, json_array_get(v, i), path, cap, l, depth + 1);
			path[len] = '\0';
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *ptr = fuzz_cstr(data, plen);
	json_error_t jerr;
	json_t *root = nl ? json_loadb((const char *)nl + 1, size - plen - 1, JSON_DECODE_ANY, &jerr)
			  : json_loads(rfc_doc, 0, &jerr);
	if (!root) {
		FUZZ_CHECK(nl, "the example document is refused: %s", jerr.text);
		free(ptr);
		return 0;
	}
	apply(root, ptr);
	if (nl) {
		char path[4096] = "";
		walk(root, root, path, sizeof(path), 0, 0);
	}
	json_decref(root);
	free(ptr);
	return 0;
}
