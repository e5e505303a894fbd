/*
 * sender.h - delivers the outbox (store.h): oldest first, one at a time.
 * Each alert is marked 'sending' with its attempt number, committed,
 * before it is handed to the channel, and marked with the outcome before
 * the next is taken:
 *
 *   queued --claim--> sending --accepted--------------> sent
 *                        |    --refused for good------> failed
 *                        |    --not delivered---------> queued (due after the backoff)
 *                        |    --crash, found at start-> sending again (the next attempt)
 *   queued, never tried --rate limit--> folded (held back) --into a digest (a new row)
 *   queued --"restored" overtaken by a reopen--> cancelled
 *
 * So delivery is at-least-once: nothing is lost, and a copy is possible
 * only when the acceptance is never recorded: a crash between the
 * hand-over and the record (the mail server had the message but its 250
 * was not written down), or the process stopping, or another node taking
 * over, while the database still refused the record. An acceptance the
 * database did not take (its connection ended at that moment) is kept in
 * memory, in a gp_sender_unrecorded that outlives the sender thread (a
 * node stepping down and back, a reload), and recorded at the next pass
 * that reaches the database, from 'sending' or from 'queued' (another
 * node's try failed meanwhile): this process does not hand it over again.
 * A copy carries the same Message-ID and Idempotency-Key, for the
 * receiver to recognise. A row handed over before (left
 * 'sending', or refused with an outcome unknown, as a timeout after DATA)
 * is never folded into a digest; one left 'sending' is never cancelled.
 *
 * A failed delivery is retried with exponential backoff (5 s doubling, at
 * most 15 min); a permanent failure is kept as failed. An alert
 * undelivered for alerts.undelivered_after is flagged (`gprobe status`
 * shows it) and still retried: nothing is dropped. More e-mails to one
 * recipient within an hour than alerts.email.rate_limit are held back
 * and sent together as one digest when the hour allows.
 */
#ifndef GP_SENDER_H
#define GP_SENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "config.h"
#include "log.h"
#include "store.h"

struct gp_sender_stats {
	unsigned long sent, retried, failed, folded, digests, flagged;
	unsigned long resumed;       /* found 'sending': handed over again */
	unsigned long recorded_late;     /* accepted, recorded at a later pass */
	unsigned long recorded_by_other; /* accepted; another try recorded it */
};

/* Alerts the receiver accepted whose record the database refused: each
 * is recorded 'sent' (at the time of its acceptance) before anything else
 * is done. The caller owns it and lends it to one sender at a time, so
 * that it outlives a sender stopped and started again (a node stepping
 * down and back, a reload). Zeroed is empty. */
struct gp_sender_unrecorded {
	struct gp_unrecorded_alert {
		int64_t id, sent_at; /* sent_at: the pass's time of the acceptance */
	} *v;
	size_t n, cap;
	int64_t stall_told_at; /* the log's "nothing more is sent", last */
};
void gp_sender_unrecorded_free(struct gp_sender_unrecorded *u);

/* One pass at `now` over st: flags, the records left over (unrec, never
 * NULL: the caller keeps it from pass to pass; while one is refused the
 * pass ends there), digests, then every due alert until none is left or
 * *stop. channels: by name; an alert whose channel is missing waits. */
void gp_sender_pass(struct gp_store *st, const struct gp_config *cfg,
		    const struct gp_channel *const *channels, size_t n_channels, int64_t now,
		    struct gp_sender_unrecorded *unrec, const struct gp_logger *log,
		    struct gp_sender_stats *stats, const atomic_bool *stop);

/* The backoff after `attempts` failed deliveries, in seconds. */
int64_t gp_sender_backoff(int attempts);

/* The daemon's sender: a thread with its own database connection,
 * a pass a second, with unrec (the caller's, untouched by it until
 * gp_sender_stop returns). NULL when alerts are not configured. */
struct gp_sender_thread;
struct gp_sender_thread *gp_sender_start(const struct gp_config *cfg,
					 struct gp_sender_unrecorded *unrec,
					 const struct gp_logger *log, char *err, size_t errlen);
/* Finishes the delivery in flight, tries the records left over once
 * more (each still refused is logged), stops, frees. */
void gp_sender_stop(struct gp_sender_thread *t);

#endif
