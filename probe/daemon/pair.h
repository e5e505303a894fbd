/*
 * pair.h - a node's part in an active/standby probe pair (probe.node):
 * when to renew the lease, what its answer means, and whether the node
 * may still act on what it holds.
 *
 * The lease lives in the shared store (gp_store_lease_renew), timed by the
 * database's clock; it is renewed every third of probe.failover_after. A
 * node acts (polls, writes the ledger, sends) only within two thirds of
 * failover_after after the start of its last successful renewal, by its
 * own monotonic clock: the database dates the renewal no earlier than
 * that start, so the node has stopped a third of failover_after before
 * its standby may take over, whatever happens to the connection between.
 * The schema's fence refuses its writes past the lease besides.
 *
 * Pure logic over an injected clock but for gp_pair_turn's one call to
 * the store.
 */
#ifndef GP_PAIR_H
#define GP_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct gp_pair {
	char site[64]; /* "" for none */
	char node[64];
	int64_t ttl_ms;
	long pid;
	int64_t started_at;
	char host[256];

	bool active;
	int64_t next_us;       /* monotonic: the next renewal is due */
	int64_t renewed_us;    /* monotonic: the last successful renewal began */
	int64_t since;         /* the active term's start (UTC epoch seconds) */
	char holder[64];       /* the holder at the last answer ("" none) */
	int64_t holder_age_ms; /* its lease's age then (standby) */
	/* At the last GP_PAIR_TAKE: the node whose lease it took over ("" for
	 * none: a free lease, or its own) and that lease's age then. */
	char took_from[64];
	int64_t took_from_age_ms;
};

void gp_pair_init(struct gp_pair *p, const struct gp_probe_settings *s, long pid,
		  int64_t started_at);

/* Whether a renewal is due at mono_us. */
bool gp_pair_due(const struct gp_pair *p, int64_t mono_us);

enum gp_pair_verdict {
	GP_PAIR_WAIT,      /* standby, and stays so */
	GP_PAIR_TAKE,      /* was standby: now active (a new term) */
	GP_PAIR_KEEP,      /* active, renewed */
	GP_PAIR_STEP_DOWN, /* was active: lost it, or could not renew */
};

/* What a renewal's outcome means: rc and l from gp_store_lease_renew(),
 * begun at mono_us. Updates p. */
enum gp_pair_verdict gp_pair_answer(struct gp_pair *p, int64_t mono_us, int rc,
				    const struct gp_lease *l);

/* A renewal through st at mono_us: gp_store_lease_renew + gp_pair_answer. */
enum gp_pair_verdict gp_pair_turn(struct gp_pair *p, struct gp_store *st, int64_t mono_us);

/* Whether the active node may still act at mono_us (false for a
 * standby): within two thirds of the lease after its last renewal. */
bool gp_pair_may_act(const struct gp_pair *p, int64_t mono_us);

#endif
