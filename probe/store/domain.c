/*
 * domain.c - the names of the store's enums (see domain.h).
 */
#include "domain.h"

#include <string.h>

/* The index of name in names[0..n), or -1. */
static int lookup(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

#define NAMES(type, fn, count, ...)                                                            \
	static const char *const fn##_names[] = {__VA_ARGS__};                                 \
	_Static_assert(sizeof(fn##_names) / sizeof(*fn##_names) == (count), #fn);              \
	const char *fn##_name(type v)                                                          \
	{                                                                                      \
		return (unsigned)v < (count) ? fn##_names[v] : "?";                            \
	}                                                                                      \
	bool fn##_parse(const char *name, type *out)                                           \
	{                                                                                      \
		int i = lookup(fn##_names, (count), name);                                     \
		if (i < 0)                                                                     \
			return false;                                                          \
		*out = (type)i;                                                                \
		return true;                                                                   \
	}

NAMES(enum gp_ledger_state, gp_ledger_state, GP_LEDGER_N, "UP", "DEGRADED", "DOWN", "UNKNOWN",
      "UNMONITORED")
NAMES(enum gp_attribution, gp_attribution, GP_ATTR_N, "supplier", "customer", "third-party",
      "unattributed")
NAMES(enum gp_incident_status, gp_incident_status, GP_INCIDENT_STATUS_N, "open", "acknowledged",
      "restored", "resolved", "closed", "voided")
NAMES(enum gp_inc_channel, gp_inc_channel, GP_CHANNEL_N, "probe", "phone", "email", "web")
NAMES(enum gp_alert_status, gp_alert_status, GP_ALERT_STATUS_N, "queued", "sending", "sent",
      "failed", "folded", "cancelled")
NAMES(enum gp_alert_channel, gp_alert_channel, GP_ALERT_CHANNEL_N, "email", "webhook")

/* Priorities start at 1 (GP_P1). */
static const char *const priority_names[] = {"P1", "P2", "P3", "P4"};

const char *gp_priority_name(enum gp_priority p)
{
	return p >= GP_P1 && p <= GP_P4 ? priority_names[p - GP_P1] : "?";
}

bool gp_priority_parse(const char *name, enum gp_priority *out)
{
	int i = lookup(priority_names, 4, name);
	if (i < 0)
		return false;
	*out = (enum gp_priority)(GP_P1 + i);
	return true;
}
