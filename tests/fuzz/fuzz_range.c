/*
 * fuzz_range.c - Nagios ranges (range.h): parse any text; a parsed range
 * written back (gp_range_format, what perfdata carries) reads as the same
 * range, and alerts for the same values.
 */
#include "fuzz.h"

#include <math.h>

#include "range.h"

static bool same(const struct gp_range *a, const struct gp_range *b)
{
	return a->set == b->set && a->inside == b->inside && a->start_inf == b->start_inf &&
	       a->end_inf == b->end_inf && (a->start_inf || a->start == b->start) &&
	       (a->end_inf || a->end == b->end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct gp_range r;
	const char *why = NULL;
	if (!gp_range_parse(text, &r, &why)) {
		FUZZ_CHECK(why && why[0], "refused without a reason");
		FUZZ_CHECK(!r.set, "refused but set");
		free(text);
		return 0;
	}
	FUZZ_CHECK(r.set, "parsed but not set");
	FUZZ_CHECK(r.start_inf || isfinite(r.start), "start %g", r.start);
	FUZZ_CHECK(r.end_inf || isfinite(r.end), "end %g", r.end);

	/* The buffer size runner.c and check_genesys.c give it. */
	char buf[64];
	gp_range_format(&r, buf, sizeof(buf));
	struct gp_range back;
	FUZZ_CHECK(gp_range_parse(buf, &back, &why), "'%s' written as '%s', which is refused: %s",
		   text, buf, why);
	FUZZ_CHECK(same(&r, &back), "'%s' written as '%s', which reads differently", text, buf);

	/* The bounds themselves and their neighbours alert alike. */
	const double probes[] = {r.start, r.end, nextafter(r.start, -INFINITY),
				 nextafter(r.end, INFINITY), 0, -1, 1e300};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		FUZZ_CHECK(gp_range_alerts(&r, probes[i]) == gp_range_alerts(&back, probes[i]),
			   "'%s' and '%s' disagree on %g", text, buf, probes[i]);
	free(text);
	return 0;
}
