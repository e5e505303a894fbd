/*
 * state.h - the names and the order of check states (enum gp_state of
 * collector.h), shared by every layer that shows or stores them.
 */
#ifndef GP_STATE_H
#define GP_STATE_H

#include <stdbool.h>

#include "collector.h"

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *gp_state_name(enum gp_state s);
/* "OK" ... "UNKNOWN" -> the state; false when not a name. */
bool gp_state_parse(const char *s, enum gp_state *out);
/* The Nagios code of the worse of two states: CRITICAL > WARNING >
 * UNKNOWN > OK. */
enum gp_state gp_worse_state(enum gp_state a, enum gp_state b);

#endif
