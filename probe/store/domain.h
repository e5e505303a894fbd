/*
 * domain.h - the words of gprobe's records: the enums the store speaks in
 * (store.h) and their names, the same names users see in the CLI and the
 * JSON. A backend that keeps names (the sqlite one does, so that a person
 * reading the database needs no table of codes) takes them from here.
 *
 * name(): the word, or "?" for a value out of range; parse(): false when
 * the word is none of them.
 */
#ifndef GP_DOMAIN_H
#define GP_DOMAIN_H

#include <stdbool.h>

#include "config.h" /* enum gp_priority */

/* What the probe saw of a service in each second of its ledger: its state
 * (engine.h gp_health), or not running at all. */
enum gp_ledger_state {
	GP_LEDGER_UP, GP_LEDGER_DEGRADED, GP_LEDGER_DOWN, GP_LEDGER_UNKNOWN, GP_LEDGER_UNMONITORED,
	GP_LEDGER_N
};
const char *gp_ledger_state_name(enum gp_ledger_state s); /* "UP" ... "UNMONITORED" */
bool gp_ledger_state_parse(const char *name, enum gp_ledger_state *out);

/* Who answers for down time. */
enum gp_attribution {
	GP_ATTR_SUPPLIER, GP_ATTR_CUSTOMER, GP_ATTR_THIRD_PARTY, GP_ATTR_UNATTRIBUTED, GP_ATTR_N
};
const char *gp_attribution_name(enum gp_attribution a); /* "supplier", "third-party"... */
bool gp_attribution_parse(const char *name, enum gp_attribution *out);

/* An incident's status (incidents.h has the transitions). */
enum gp_incident_status {
	GP_INCIDENT_OPEN, GP_INCIDENT_ACKNOWLEDGED, GP_INCIDENT_RESTORED, GP_INCIDENT_RESOLVED,
	GP_INCIDENT_CLOSED, GP_INCIDENT_VOIDED, GP_INCIDENT_STATUS_N
};
/* "open" ... "voided" */
const char *gp_incident_status_name(enum gp_incident_status s);
bool gp_incident_status_parse(const char *name, enum gp_incident_status *out);

/* How an incident came in. */
/* How a request came: the probe, by phone, by e-mail, or registered in the
 * customer's ticket system (web). Stored by name. */
enum gp_inc_channel { GP_CHANNEL_PROBE, GP_CHANNEL_PHONE, GP_CHANNEL_EMAIL, GP_CHANNEL_WEB,
		      GP_CHANNEL_N };
const char *gp_inc_channel_name(enum gp_inc_channel c); /* "probe", "phone", "email", "web" */
bool gp_inc_channel_parse(const char *name, enum gp_inc_channel *out);

/* "P1" ... "P4" (config.h's enum). */
const char *gp_priority_name(enum gp_priority p);
bool gp_priority_parse(const char *name, enum gp_priority *out);

/* An alert in the outbox, and the way it goes (alerts/sender.h has the
 * transitions). SENDING: handed to the channel, its acceptance not yet
 * recorded; found so at a start, the hand-over was cut by a crash and the
 * receiver may or may not have it. */
enum gp_alert_status {
	GP_ALERT_QUEUED, GP_ALERT_SENDING, GP_ALERT_SENT, GP_ALERT_FAILED, GP_ALERT_FOLDED,
	GP_ALERT_CANCELLED, GP_ALERT_STATUS_N
};
const char *gp_alert_status_name(enum gp_alert_status s); /* "queued", "sending" ... "cancelled" */
bool gp_alert_status_parse(const char *name, enum gp_alert_status *out);

enum gp_alert_channel { GP_ALERT_EMAIL, GP_ALERT_WEBHOOK, GP_ALERT_CHANNEL_N };
const char *gp_alert_channel_name(enum gp_alert_channel c); /* "email", "webhook" */
bool gp_alert_channel_parse(const char *name, enum gp_alert_channel *out);

#endif
