/*
 * fuzz_octets.c - SNMP octet strings as text (collectors/text.h
 * gp_octets_text), as the SNMP collector renders whatever an agent sends.
 *
 * Input: the first byte says whether the value may be text (an OCTET
 * STRING) and how small the output buffer is; the rest is the value.
 * Beyond "no crash": the output is always valid UTF-8 without control
 * characters other than tab and line breaks, NUL-terminated within the
 * buffer; hex output reads back to the value's bytes when it fits; text
 * output is a prefix of the value.
 */
#include "fuzz.h"

#include "text.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int may_be_text = data[0] & 1;
	size_t cap = 1 + (size_t)(data[0] >> 1) * 16; /* 1 .. 2033 bytes */
	const unsigned char *v = data + 1;
	size_t n = size - 1;
	char *out = malloc(cap);
	if (!out)
		abort();
	int text = gp_octets_text(v, n, may_be_text, out, cap);
	size_t len = strnlen(out, cap);
	FUZZ_CHECK(len < cap, "not terminated within %zu bytes", cap);
	FUZZ_CHECK(!gp_utf8_bad((const unsigned char *)out, len), "output is not UTF-8");
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20 || out[i] == '\t' || out[i] == '\n' ||
				   out[i] == '\r',
			   "control byte 0x%02x at %zu", (unsigned char)out[i], i);
	if (text) {
		FUZZ_CHECK(may_be_text, "text for a value that may not be text");
		FUZZ_CHECK(len <= n && memcmp(out, v, len) == 0, "text is not the value's prefix");
	} else {
		/* "AB CD ...": every byte that fits, in order. */
		size_t k = 0;
		for (size_t i = 0; i + 1 < len; i += 3, k++) {
			FUZZ_CHECK(hexval(out[i]) >= 0 && hexval(out[i + 1]) >= 0, "not hex at %zu", i);
			FUZZ_CHECK(k < n && (hexval(out[i]) << 4 | hexval(out[i + 1])) == v[k],
				   "byte %zu differs", k);
			FUZZ_CHECK(i + 2 == len || out[i + 2] == ' ', "no separator at %zu", i + 2);
		}
		if (3 * n <= cap)
			FUZZ_CHECK(k == n, "%zu of %zu bytes shown", k, n);
	}
	free(out);
	return 0;
}
