/*
 * channel.h - how an alert leaves the probe. A channel is a table of
 * function pointers chosen by the alert's channel name ("email",
 * "webhook"); the sender knows no protocol. Tests plug in their own.
 */
#ifndef GP_CHANNEL_H
#define GP_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"

struct gp_channel {
	const char *name;
	/* Delivers one alert: 0, or -1 with the reason in err and *permanent
	 * set when trying again cannot help (a 5xx from the mail server, a
	 * 4xx other than 408 and 429 from the webhook). Bounded in time by
	 * the channel's timeout. */
	int (*deliver)(void *ctx, const struct gp_config *cfg, const struct gp_alert *a, char *err,
		       size_t errlen, bool *permanent);
	void *ctx;
};

extern const struct gp_channel gp_channel_smtp;    /* libcurl SMTP */
extern const struct gp_channel gp_channel_webhook; /* libcurl HTTP POST, HMAC-SHA256 */

#endif
