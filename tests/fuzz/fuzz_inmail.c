/*
 * fuzz_inmail.c - the incoming message parser (alerts/inmail.c) and the
 * command reader (alerts/mailin.c) on any bytes: never a crash, a leak
 * or a hang; a parsed message's strings are valid UTF-8 where promised
 * and its text carries no NUL before its end.
 */
#include "fuzz.h"
#include "inmail.h"
#include "mailin.h"

static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3
			: (*s & 0xF8) == 0xF0 ? 4 : 0;
		if (!n)
			return 0;
		for (int i = 1; i < n; i++)
			if ((s[i] & 0xC0) != 0x80)
				return 0;
		s += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gp_inmail m;
	char err[300];
	if (gp_inmail_parse((const char *)data, size, &m, err, sizeof(err)) == 0) {
		FUZZ_CHECK(m.text != NULL, "no text");
		FUZZ_CHECK(utf8_valid((const unsigned char *)m.text), "text not UTF-8");
		FUZZ_CHECK(!m.subject || utf8_valid((const unsigned char *)m.subject),
			   "subject not UTF-8");
		FUZZ_CHECK(m.from && strchr(m.from, '@'), "from without @");
		enum gp_mailin_cmd c;
		char *rest = NULL;
		if (gp_mailin_command(m.text, &c, &rest) == 0) {
			FUZZ_CHECK(rest && !strchr(rest, '\n'), "rest spans lines");
			free(rest);
		}
		gp_inmail_free(&m);
	} else {
		FUZZ_CHECK(err[0] != '\0', "refused without a reason");
	}
	/* The pieces alone, on the input as one string. */
	char *s = fuzz_cstr(data, size);
	char *w = gp_inmail_decode_words(s);
	FUZZ_CHECK(utf8_valid((const unsigned char *)w), "decoded words not UTF-8");
	free(w);
	char **a;
	size_t n = gp_inmail_addresses(s, &a);
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
	free(s);
	return 0;
}
