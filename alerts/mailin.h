/*
 * mailin.h - what a reply to an alert asks, and whether it may
 * (`gprobe mail-in`; the CLI carries it out through the incident API).
 *
 * A reply is accepted only when all of these hold, and refused with the
 * first that does not:
 *   - it is not an automatic message (Auto-Submitted other than "no",
 *     Precedence bulk, junk or list, an empty Return-Path: a bounce);
 *   - it carries a genuine reply token (reply.h) among its recipients;
 *     a References / In-Reply-To naming another incident's thread
 *     (<gprobe.incident.N@...>) than the token's is refused;
 *   - its text's first line (neither blank nor quoted) is a command:
 *       ack [COMMENT]        or  принято [КОММЕНТАРИЙ]   take it into work
 *       confirm              or  подтверждаю             the resolution is fine
 *       reject: REASON       or  отклоняю: ПРИЧИНА       it is not
 *     (any case; a ':', ',', '.', '-' or blank after the word);
 *   - its sender may: the NOC acknowledges (alerts.email.ack_from, by
 *     default alerts.email.to and escalate_to), the customer's contacts
 *     confirm or reject;
 *   - the command answers the mail it replies to: confirm and reject a
 *     "resolved" mail, ack any other but "auto-closed".
 * Whether the incident's status allows it is the incident API's to say.
 */
#ifndef GP_MAILIN_H
#define GP_MAILIN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "inmail.h"
#include "reply.h"

enum gp_mailin_cmd { GP_MAILIN_ACK, GP_MAILIN_CONFIRM, GP_MAILIN_REJECT };
const char *gp_mailin_cmd_name(enum gp_mailin_cmd c); /* "ack", "confirm", "reject" */

/* The command of a reply's text (its first line neither blank nor
 * quoted): 0 with *cmd and *rest (what follows the word, trimmed, maybe
 * ""; malloc'd), or -1 when that line is no command. */
int gp_mailin_command(const char *text, enum gp_mailin_cmd *cmd, char **rest);

struct gp_mailin_action {
	enum gp_mailin_cmd cmd;
	int64_t incident;
	char event[GP_REPLY_EVENT_MAX]; /* of the mail replied to */
	char *actor;                    /* the sender's address */
	char *text;                     /* ack: the comment or NULL; reject: the reason */
};

/* 0 with a filled (free it with gp_mailin_action_free), or -1 with the
 * reason for refusing in err (never the token, never the secret). */
int gp_mailin_decide(const struct gp_config *cfg, const char *secret, const struct gp_inmail *m,
		     struct gp_mailin_action *a, char *err, size_t errlen);
void gp_mailin_action_free(struct gp_mailin_action *a);

#endif
