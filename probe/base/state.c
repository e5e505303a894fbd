/*
 * state.c - check state names and order (see state.h).
 */
#include "state.h"

#include <string.h>

const char *gp_state_name(enum gp_state s)
{
	switch (s) {
	case GP_STATE_OK:
		return "OK";
	case GP_STATE_WARNING:
		return "WARNING";
	case GP_STATE_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

bool gp_state_parse(const char *s, enum gp_state *out)
{
	for (int i = GP_STATE_OK; i <= GP_STATE_UNKNOWN; i++)
		if (strcmp(s, gp_state_name((enum gp_state)i)) == 0) {
			*out = (enum gp_state)i;
			return true;
		}
	return false;
}

enum gp_state gp_worse_state(enum gp_state a, enum gp_state b)
{
	static const int rank[] = {0, 2, 3, 1}; /* OK, WARNING, CRITICAL, UNKNOWN */
	return rank[a] >= rank[b] ? a : b;
}
