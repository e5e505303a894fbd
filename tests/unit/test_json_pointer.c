/*
 * test_json_pointer.c - RFC 6901 pointers, with the RFC's own example
 * document (section 5) and the malformed cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_pointer.h"

static const char *doc = "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, "
			 "\"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, "
			 "\"m~n\": 8, \"statusCode\": 0, \"nested\": {\"list\": [{\"x\": true}]}}";

static void test_rfc_examples(void **state)
{
	(void)state;
	json_error_t e;
	json_t *root = json_loads(doc, 0, &e);
	assert_non_null(root);
	size_t bad;
	assert_ptr_equal(gp_json_pointer(root, "", &bad), root);
	assert_string_equal(json_string_value(gp_json_pointer(root, "/foo/0", &bad)), "bar");
	static const struct {
		const char *ptr;
		long long value;
	} ints[] = {{"/", 0}, {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4}, {"/i\\j", 5},
		    {"/k\"l", 6}, {"/ ", 7}, {"/m~0n", 8}, {"/statusCode", 0}};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_t *v = gp_json_pointer(root, ints[i].ptr, &bad);
		if (!v || json_integer_value(v) != ints[i].value)
			fail_msg("pointer '%s'", ints[i].ptr);
	}
	assert_true(json_is_true(gp_json_pointer(root, "/nested/list/0/x", &bad)));

	/* Not found, and where. */
	assert_null(gp_json_pointer(root, "/foo/2", &bad));
	assert_int_equal(bad, 4);
	assert_null(gp_json_pointer(root, "/nested/nope/x", &bad));
	assert_int_equal(bad, 7);
	assert_null(gp_json_pointer(root, "/foo/01", &bad)); /* leading zero */
	assert_null(gp_json_pointer(root, "/foo/-", &bad));
	assert_null(gp_json_pointer(root, "/foo/0/deeper", &bad));
	assert_null(gp_json_pointer(root, "statusCode", &bad)); /* no leading slash */
	assert_null(gp_json_pointer(root, "/m~2n", &bad));      /* bad escape */
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_rfc_examples)};
	return cmocka_run_group_tests_name("json_pointer", tests, NULL, NULL);
}
