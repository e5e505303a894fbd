/*
 * outbox.h - what the NOC and the ticket system are told, queued in the
 * transaction of the incident event that causes it (store.h's outbox;
 * alerts/sender.c delivers). One message per incident event and
 * recipient, never per check result:
 *
 *   opened, outage   the service is DOWN (a new incident, or one already
 *                    in work that the service's outage joins); the probe's
 *                    P3 for lost redundancy is "redundancy lost" instead
 *   degraded         redundancy lost, noted on an incident already in work
 *   reopened         DOWN again within the reopen window; nothing when the
 *                    "restored" message is still held back (below): the
 *                    NOC's last word, "down", is still true
 *   restored         held back for alerts.restore_delay; cancelled if the
 *                    service falls again meanwhile, so a flapping service
 *                    sends one "down" and, once it is stable, one "up"
 *   resolve          resolved, with what was done, how to confirm or
 *                    reject, when it counts as closed; to the customer's
 *                    contacts and the NOC
 *   escalation       to alerts.email.escalate_to
 *   auto-closed
 *
 * Mails one component's fault caused together are folded into one per
 * recipient before they are sent (cause.h).
 *
 * Every message tells of the service's latest outage (its start, how long
 * it lasted) and of the components as they are: those DOWN now, each with
 * its host, failing checks and diag command, or, for a restore, those
 * that came back; never of the incident's first outage.
 */
#ifndef GP_OUTBOX_H
#define GP_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* Queues the messages of an incident's timeline event `kind` (as
 * incidents.c names them; other kinds queue nothing). auto_close_at: for
 * a resolve, when the incident counts as closed unless the customer
 * confirms or rejects (the contract's working time; 0: not said). The
 * "resolved" mail goes to the customer's contacts and to the NOC.
 * 0, or -1 with the reason in err: the caller's transaction then rolls
 * back. */
int gp_outbox_incident(struct gp_store *st, const struct gp_config *cfg,
		       const struct gp_incident *inc, const char *kind, const char *text,
		       int64_t at, int64_t auto_close_at, char *err, size_t errlen);

/* A fresh Message-ID, "<gprobe.KIND.RANDOM@DOMAIN>" (DOMAIN from the
 * sender's address). */
char *gp_outbox_message_id(const struct gp_config *cfg, const char *kind);

/* The target's failing checks, a line each ("port: CRITICAL - ..."),
 * capped; the caller frees. */
char *gp_outbox_failing_checks(struct gp_store *st, const char *target);

#endif
