/*
 * cause.h - one mail per root cause. When one component's fault takes
 * several services down in the same turn of the daemon (the Framework's
 * conf-1 under every service), the "opened" mails of their incidents,
 * each to each recipient, are folded into one that names the component
 * and every service with its incident; their restores likewise. The
 * incidents, their timelines and the webhook stay one per service.
 */
#ifndef GP_CAUSE_H
#define GP_CAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* Folds the e-mails queued and never tried (in the caller's transaction,
 * before the sender can take them): this turn's, and restores still held
 * back. 0, or -1 with the reason in err. */
int gp_outbox_causes(struct gp_store *st, const struct gp_config *cfg, int64_t now, char *err,
		     size_t errlen);

#endif
