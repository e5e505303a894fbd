/*
 * test_parsers.c - the scalar parsers (durations, money, dates), Nagios
 * ranges and the up_when language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "log.h"
#include "range.h"
#include "util.h"

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {{"500ms", 500}, {"10s", 10000}, {"5m", 300000}, {"2h", 7200000},
		  {"1d", 86400000}, {"366d", 366LL * 86400000}};
	for (size_t i = 0; i < GP_ARRAY_LEN(ok); i++) {
		int64_t ms = -1;
		const char *why;
		assert_true(gp_parse_duration_ms(ok[i].in, &ms, &why));
		assert_int_equal(ms, ok[i].ms);
	}
	static const char *const bad[] = {"", "10", "s", "10 s", "-5s", "0s", "1.5s", "10S",
					  "5mm", "367d", "99999999999999999999s"};
	for (size_t i = 0; i < GP_ARRAY_LEN(bad); i++) {
		int64_t ms;
		const char *why = NULL;
		assert_false(gp_parse_duration_ms(bad[i], &ms, &why));
		assert_non_null(why);
	}
}

static void test_money(void **state)
{
	(void)state;
	int64_t t;
	const char *why;
	assert_true(gp_parse_money("1250000.00", &t, &why));
	assert_int_equal(t, 125000000);
	assert_true(gp_parse_money("0.5", &t, &why));
	assert_int_equal(t, 50);
	assert_true(gp_parse_money("7", &t, &why));
	assert_int_equal(t, 700);
	assert_true(gp_parse_money("10000000000000.00", &t, &why));
	assert_int_equal(t, 1000000000000000LL);
	static const char *const bad[] = {"", "1.", ".5", "1.005", "-1.00", "1e6", "1,5",
					  "1 000", "99999999999999999999.00"};
	for (size_t i = 0; i < GP_ARRAY_LEN(bad); i++)
		assert_false(gp_parse_money(bad[i], &t, &why));
}

static void test_dates(void **state)
{
	(void)state;
	struct gp_date d;
	const char *why;
	assert_true(gp_parse_date("2024-02-29", &d, &why));
	assert_int_equal(d.day, 29);
	assert_false(gp_parse_date("2026-02-29", &d, &why));
	assert_false(gp_parse_date("2100-02-29", &d, &why));
	assert_true(gp_parse_date("2000-02-29", &d, &why));
	assert_false(gp_parse_date("2026-13-01", &d, &why));
	assert_false(gp_parse_date("2026-1-01", &d, &why));
	assert_false(gp_parse_date("2026-01-01T00", &d, &why));
	struct gp_date a = {2026, 3, 1}, b = {2026, 2, 28};
	assert_true(gp_date_cmp(&a, &b) > 0);
	assert_int_equal(gp_date_cmp(&a, &a), 0);
	int m;
	assert_true(gp_parse_hhmm("09:00", &m, &why));
	assert_int_equal(m, 540);
	assert_true(gp_parse_hhmm("24:00", &m, &why));
	assert_false(gp_parse_hhmm("24:01", &m, &why));
	assert_false(gp_parse_hhmm("9:00", &m, &why));
}

/* The guidelines' table, value by value, edges included. */
static void test_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *range;
		double value;
		bool alert;
	} cases[] = {
		{"10", -0.1, true}, {"10", 0, false}, {"10", 10, false}, {"10", 10.01, true},
		{"10:", 9.99, true}, {"10:", 10, false}, {"10:", 1e12, false},
		{"~:10", -1e12, false}, {"~:10", 10, false}, {"~:10", 10.5, true},
		{"10:20", 9, true}, {"10:20", 10, false}, {"10:20", 20, false}, {"10:20", 21, true},
		{"@10:20", 9, false}, {"@10:20", 10, true}, {"@10:20", 15, true},
		{"@10:20", 20, true}, {"@10:20", 20.5, false},
		{"0:", -1, true}, {"0:", 0, false}, {"1:", 0, true}, {"1:", 1, false},
		{"-5:-1", -3, false}, {"-5:-1", 0, true}, {"@0", 0, true}, {"@0", 1, false},
		{"0", 0, false}, {"0", 1, true},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(cases); i++) {
		struct gp_range r;
		const char *why;
		assert_true(gp_range_parse(cases[i].range, &r, &why));
		if (gp_range_alerts(&r, cases[i].value) != cases[i].alert)
			fail_msg("range '%s' value %g: expected alert=%d", cases[i].range,
				 cases[i].value, cases[i].alert);
	}
	static const char *const bad[] = {"", "@", "abc", "10:5", "1..2", "~", "10:~", ":x",
					  "1e3", "@@1", "1234567890123456789012345" /* 25 > 24 */,
					  /* 24 characters, but written back as 25 (fuzz_range) */
					  ".00000000000000016530326:"};
	for (size_t i = 0; i < GP_ARRAY_LEN(bad); i++) {
		struct gp_range r;
		const char *why;
		if (gp_range_parse(bad[i], &r, &why))
			fail_msg("range '%s' must be refused", bad[i]);
	}
	struct gp_range r;
	const char *why;
	char buf[64];
	/* Written back (perfdata, messages) with every digit and no exponent,
	 * as gp_range_parse reads it: %g made "1e+06:" of the third and
	 * "10.1235" of the fourth (found by tests/fuzz/fuzz_range). */
	static const char *const round_trip[] = {"10", "10:", "~:10", "10:20", "@10:20",
						 "0.000001", "1000000:", "~:123456789",
						 "10.123456789:20", "@-0.5:0.25"};
	for (size_t i = 0; i < GP_ARRAY_LEN(round_trip); i++) {
		assert_true(gp_range_parse(round_trip[i], &r, &why));
		gp_range_format(&r, buf, sizeof(buf));
		assert_string_equal(buf, round_trip[i]);
	}
	static const char *const written[][2] = {{".5:", "0.5:"}, {"+7", "7"},
						  {"000000000000000000000000000001", "1"}};
	for (size_t i = 0; i < GP_ARRAY_LEN(written); i++) {
		assert_true(gp_range_parse(written[i][0], &r, &why));
		gp_range_format(&r, buf, sizeof(buf));
		assert_string_equal(buf, written[i][1]);
	}
}

/* Member states for expression tests: a name's first letter says it,
 * u = up, d = down, x = unknown. */
static enum gp_tri lookup(const char *name, void *ctx)
{
	(void)ctx;
	return name[0] == 'u' ? GP_TRI_UP : name[0] == 'd' ? GP_TRI_DOWN : GP_TRI_UNKNOWN;
}

static enum gp_tri eval(const char *text)
{
	size_t off;
	char err[128];
	struct gp_expr *e = gp_expr_parse(text, &off, err, sizeof(err));
	if (!e)
		fail_msg("'%s' must parse: %s at %zu", text, err, off);
	enum gp_tri v = gp_expr_eval(e, lookup, NULL);
	gp_expr_free(e);
	return v;
}

static void test_expr_eval(void **state)
{
	(void)state;
	assert_int_equal(eval("u1"), GP_TRI_UP);
	assert_int_equal(eval("u1 and d1"), GP_TRI_DOWN);
	assert_int_equal(eval("u1 or d1"), GP_TRI_UP);
	assert_int_equal(eval("u1 and x1"), GP_TRI_UNKNOWN);
	assert_int_equal(eval("d1 and x1"), GP_TRI_DOWN);   /* down whatever x1 is */
	assert_int_equal(eval("u1 or x1"), GP_TRI_UP);      /* up whatever x1 is */
	assert_int_equal(eval("d1 or x1"), GP_TRI_UNKNOWN);
	assert_int_equal(eval("any(d1, d2, u1)"), GP_TRI_UP);
	assert_int_equal(eval("all(u1, u2, d1)"), GP_TRI_DOWN);
	assert_int_equal(eval("at_least(2, u1, d1, x1)"), GP_TRI_UNKNOWN);
	assert_int_equal(eval("at_least(2, u1, d1, u2)"), GP_TRI_UP);
	assert_int_equal(eval("at_least(2, u1, d1, d2)"), GP_TRI_DOWN);
	/* and binds tighter than or */
	assert_int_equal(eval("u1 or d1 and d2"), GP_TRI_UP);
	assert_int_equal(eval("(u1 or d1) and d2"), GP_TRI_DOWN);
	assert_int_equal(eval("any(u1, d1) and all(u2, (d3 or u3))"), GP_TRI_UP);
	/* function words are names when no '(' follows */
	assert_int_equal(eval("any"), GP_TRI_UNKNOWN);
}

static void test_expr_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t offset;
		const char *msg;
	} cases[] = {
		{"", 0, "unexpected end of expression"},
		{"a and", 5, "unexpected end of expression"},
		{"a b", 2, "unexpected text (expected 'and', 'or' or the end)"},
		{"any(a b)", 6, "expected ',' or ')'"},
		{"(a or b", 7, "expected ')'"},
		{"and a", 0, "expected a target name before this operator"},
		{"at_least(0, a)", 9, "at_least() needs a count of 1 or more first"},
		{"at_least(3, a, b)", 0, "at_least() asks for more members than it lists"},
		{"a & b", 2, "unexpected text (expected 'and', 'or' or the end)"},
		{"Stat-1", 0, "expected a target name, any(), all() or at_least()"},
	};
	for (size_t i = 0; i < GP_ARRAY_LEN(cases); i++) {
		size_t off = 99;
		char err[128] = "";
		struct gp_expr *e = gp_expr_parse(cases[i].text, &off, err, sizeof(err));
		if (e)
			fail_msg("'%s' must be refused", cases[i].text);
		if (off != cases[i].offset || strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got '%s' at %zu, expected '%s' at %zu", cases[i].text, err, off,
				 cases[i].msg, cases[i].offset);
	}
	/* Deep nesting is refused, not a stack overflow. */
	char deep[400];
	memset(deep, '(', 100);
	strcpy(deep + 100, "a");
	memset(deep + 101, ')', 100);
	deep[201] = '\0';
	size_t off;
	char err[128];
	assert_null(gp_expr_parse(deep, &off, err, sizeof(err)));
	assert_string_equal(err, "expression nested too deeply");
}

/* Numbers as Nagios, Icinga and people read them: %g turned 697202257
 * into 6.97202e+08, which Icinga 2 read as 697202000. */
static void test_numbers(void **state)
{
	(void)state;
	char b[GP_NUMBER_MAX];
	assert_string_equal(gp_format_number(697202257.0, b, sizeof(b)), "697202257");
	assert_string_equal(gp_format_number(18446744073709551615.0, b, sizeof(b)),
			    "18446744073709551616"); /* 2^64: exact as a double */
	assert_string_equal(gp_format_number(-42.0, b, sizeof(b)), "-42");
	assert_string_equal(gp_format_number(0.0, b, sizeof(b)), "0");
	assert_string_equal(gp_format_number(-0.0, b, sizeof(b)), "-0");
	assert_string_equal(gp_format_number(7.0, b, sizeof(b)), "7");
	assert_string_equal(gp_format_number(9007199254740991.0, b, sizeof(b)), "9007199254740991");
	assert_string_equal(gp_format_number(-9007199254740991.0, b, sizeof(b)), "-9007199254740991");
	assert_string_equal(gp_format_number(1234.0, b, 3), "12"); /* cut to the buffer */
	assert_string_equal(gp_format_number(0.5, b, sizeof(b)), "0.5");
	assert_string_equal(gp_format_number(1.0 / 3.0, b, sizeof(b)), "0.3333333333333333");
	assert_string_equal(gp_format_number(3.067, b, sizeof(b)), "3.067");
	assert_string_equal(gp_format_number(1e-7, b, sizeof(b)), "0.0000001");
	assert_string_equal(gp_format_number(NAN, b, sizeof(b)), "NaN");
	assert_string_equal(gp_format_number(-INFINITY, b, sizeof(b)), "-Inf");
	/* Never an exponent, and every text reads back to its number. */
	double vs[] = {1e300, 123456789.125, 2.5e-10, 9007199254740993.0, 0.1 + 0.2};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		gp_format_number(vs[i], b, sizeof(b));
		assert_null(strpbrk(b, "eE"));
		assert_true(strtod(b, NULL) == vs[i]);
	}
	/* Ranges print their bounds the same way. */
	struct gp_range r;
	const char *why;
	assert_true(gp_range_parse("100000000:697202257", &r, &why));
	char rb[2 * GP_NUMBER_MAX];
	gp_range_format(&r, rb, sizeof(rb));
	assert_string_equal(rb, "100000000:697202257");
}

/* A cut text stays valid UTF-8: "значение" is 2 bytes a letter. */
static void test_utf8_prefix(void **state)
{
	(void)state;
	assert_int_equal(gp_utf8_prefix("abc", 10), 3);
	assert_int_equal(gp_utf8_prefix("abc", 2), 2);
	assert_int_equal(gp_utf8_prefix("значение", 4), 4);
	assert_int_equal(gp_utf8_prefix("значение", 5), 4);
	assert_int_equal(gp_utf8_prefix("aзн", 2), 1);
	assert_int_equal(gp_utf8_prefix("€x", 2), 0); /* 3 bytes: all or nothing */
	assert_int_equal(gp_utf8_prefix("€x", 3), 3);
	assert_int_equal(gp_utf8_prefix("", 5), 0);
}

/* A log line is written whole, however long: the short ones from the
 * stack, a long one through the heap, each ending in one newline. */
static void test_log_lines(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct gp_logger lg = {.out = f, .level = GP_LOG_INFO};
	char *long_text = malloc(5001);
	memset(long_text, 'x', 5000);
	long_text[5000] = '\0';
	gp_log(&lg, GP_LOG_INFO, "short %d", 42);
	gp_log(&lg, GP_LOG_ERROR, "long %s end", long_text);
	gp_log(&lg, GP_LOG_DEBUG, "dropped");
	fclose(f);
	/* "YYYY-MM-DDTHH:MM:SSZ INFO  short 42\n" */
	assert_true(len > 0);
	char *nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_int_equal(nl - buf, 20 + 1 + 5 + 1 + 8);
	assert_memory_equal(buf + 20, " INFO  short 42", 15);
	char *second = nl + 1;
	assert_memory_equal(second + 20, " ERROR long x", 13);
	char *end = strchr(second, '\n');
	assert_non_null(end);
	assert_int_equal(end - second, 20 + 1 + 5 + 1 + 5 + 5000 + 4);
	assert_memory_equal(end - 4, " end", 4);
	assert_int_equal(end + 1 - buf, (long)len);
	free(long_text);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_durations), cmocka_unit_test(test_money),
		cmocka_unit_test(test_dates),     cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_expr_eval), cmocka_unit_test(test_expr_errors),
		cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
