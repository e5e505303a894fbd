/*
 * counter_rate.h - the per-second rate of an SNMP counter between two
 * samples, timed by the agent's own sysUpTime (TimeTicks, 1/100 s).
 *
 * Pure arithmetic, shared by the SNMP collector and its unit tests:
 *   - the first sample has no rate;
 *   - the agent's uptime going back means it restarted: start over;
 *   - a Counter32 that went down by more than half its range wrapped;
 *   - any other decrease (a Counter64, or a small one) is a discontinuity
 *     (counter reset): start over, never a huge or negative rate.
 */
#ifndef GP_COUNTER_RATE_H
#define GP_COUNTER_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct gp_counter_prev {
	bool have;
	int bits; /* 32 or 64 */
	uint64_t value;
	uint32_t uptime;
};

enum gp_rate_status {
	GP_RATE_OK,      /* *rate is set */
	GP_RATE_FIRST,   /* first sample (or the counter changed width) */
	GP_RATE_RESTART, /* the agent restarted */
	GP_RATE_RESET,   /* the counter went back: a discontinuity */
	GP_RATE_NO_TIME, /* no agent time passed */
};

static inline enum gp_rate_status gp_counter_rate(struct gp_counter_prev *prev, int bits,
						  uint64_t value, uint32_t uptime, double *rate,
						  uint64_t *delta)
{
	struct gp_counter_prev old = *prev;
	prev->have = true;
	prev->bits = bits;
	prev->value = value;
	prev->uptime = uptime;
	*delta = 0;
	if (!old.have || old.bits != bits)
		return GP_RATE_FIRST;
	if (uptime < old.uptime)
		return GP_RATE_RESTART;
	if (value >= old.value)
		*delta = value - old.value;
	else if (bits == 32 && old.value - value > 0x80000000ULL)
		*delta = value + 0x100000000ULL - old.value;
	else
		return GP_RATE_RESET;
	uint32_t ticks = uptime - old.uptime;
	if (ticks == 0)
		return GP_RATE_NO_TIME;
	*rate = (double)*delta * 100.0 / (double)ticks;
	return GP_RATE_OK;
}

#endif
