/*
 * config.h - the gprobe configuration (INTERFACE.md, "Config file"), parsed
 * into typed structs and validated.
 *
 * The loader knows nothing of SNMP, SSH or HTTP beyond the keys of their
 * blocks: it checks types, ranges, names and files, and hands each check to
 * a collector plugin later as plain key/value options.
 *
 * Times are milliseconds (durations) or calendar dates; money is integer
 * tiyn. Every struct remembers where it was written (line/col) so later
 * stages can still point at the file.
 */
#ifndef GP_CONFIG_H
#define GP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"
#include "expr.h"
#include "range.h"
#include "util.h"

enum gp_owner { GP_OWNER_SUPPLIER, GP_OWNER_CUSTOMER, GP_OWNER_THIRD_PARTY };

/* The probe kinds of a check; exactly one per check. */
enum gp_check_kind {
	GP_CK_SNMP_GET,
	GP_CK_SNMP_WALK,
	GP_CK_TCP_CONNECT,
	GP_CK_SSH_COMMAND,
	GP_CK_SSH_LOG,
	GP_CK_HTTP_GET,
	GP_CK_COUNT
};
const char *gp_check_kind_name(enum gp_check_kind k);
/* The target block a kind needs ("snmp", "ssh", "http"), or NULL. */
const char *gp_check_kind_block(enum gp_check_kind k);

struct gp_pos {
	int line, col;
};

struct gp_check {
	char *name;
	struct gp_pos pos;
	enum gp_check_kind kind;
	char *arg;            /* OID, command, path, URL; the port for tcp_connect */
	char *expect;         /* string equality on the value, or NULL */
	int expect_status;    /* HTTP status, 0 when not set */
	char *json;           /* RFC 6901 pointer */
	char *xpath;
	char *match;          /* POSIX ERE */
	char *method;         /* HTTP: GET (default) or POST */
	char *body;           /* HTTP POST body */
	char *uom;            /* perfdata unit */
	struct gp_range warning, critical;
	bool availability;    /* default true */
	int64_t interval_ms, retry_interval_ms, timeout_ms;
	int attempts;
	bool from_profile;
};

enum gp_snmp_seclevel { GP_SNMP_NOAUTH, GP_SNMP_AUTHNOPRIV, GP_SNMP_AUTHPRIV };

struct gp_snmp {
	bool set;
	struct gp_pos pos;
	int port;            /* 161 */
	int version;         /* 1, 2 (2c), 3 */
	char *community;     /* inline v1/v2c community, or */
	char *community_file;
	char *user;          /* v3 */
	enum gp_snmp_seclevel security_level;
	char *auth_protocol; /* MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512 */
	char *auth_password_file;
	char *priv_protocol; /* DES, AES (AES-128), AES-192, AES-256 */
	char *priv_password_file;
	int retries;         /* 1 */
};

struct gp_ssh {
	bool set;
	struct gp_pos pos;
	int port;            /* 22 */
	char *user;
	char *key;           /* private key file (0600/0400) */
	char *known_hosts;
};

struct gp_http {
	bool set;
	struct gp_pos pos;
	char *base_url;
	bool tls_verify;     /* true */
	char *ca_file;
	char *user;          /* basic auth */
	char *password_file;
};

/* Named values a profile's checks take ("{port}", "{log_dir}"). */
struct gp_vars {
	char **names, **values;
	size_t n;
};
const char *gp_vars_get(const struct gp_vars *v, const char *name);

struct gp_target {
	char *name;
	struct gp_pos pos;
	char *host;
	enum gp_owner owner;
	char *profile;
	int64_t genesys_dbid; /* -1 when not set; "{dbid}" in a profile */
	struct gp_vars vars;  /* the target's values for its profile's {name}s */
	struct gp_snmp snmp;
	struct gp_ssh ssh;
	struct gp_http http;
	struct gp_check *checks;
	size_t n_checks;
};

enum gp_priority { GP_P1 = 1, GP_P2, GP_P3, GP_P4 };

struct gp_service {
	char *name;
	struct gp_pos pos;
	char *title;
	char *up_when;
	struct gp_expr *expr;
	enum gp_priority priority; /* P1 */
};

enum gp_rounding { GP_ROUND_EXACT, GP_ROUND_CEIL };
enum gp_overlap { GP_OVERLAP_UNION, GP_OVERLAP_SUM };

struct gp_contract {
	bool set;
	struct gp_date start;
	int term_days;                 /* 365 */
	int64_t monthly_payment_tiyn;
	int64_t value_excl_vat_tiyn;   /* given, or derived from value_incl_vat */
	int64_t value_incl_vat_tiyn;   /* 0 when not given */
	int vat_percent;               /* 12 */
	int penalty_hour_divisor;      /* 720 */
	int penalty_cap_percent;       /* 5 */
	enum gp_rounding hour_rounding;
	enum gp_overlap overlap;
};

struct gp_calendar {
	char *timezone;          /* Asia/Almaty */
	unsigned working_days;   /* bit 0 = Monday .. bit 6 = Sunday */
	int work_start_min;      /* 09:00 -> 540 */
	int work_end_min;        /* 18:00 -> 1080 */
	struct gp_date *holidays;
	size_t n_holidays;
	char *holidays_file;
	struct gp_date *working_weekend_days;
	size_t n_working_weekend_days;
};

struct gp_incidents {
	int64_t response_target_ms;        /* 60m: probe-opened incidents */
	int64_t response_target_phone_ms;  /* 15m */
	int64_t response_target_email_ms;  /* 60m */
	int auto_close_working_days;       /* 5 */
	int64_t reopen_window_ms;          /* 30m */
};

struct gp_email {
	bool set;
	char *smtp_url;
	bool starttls;
	char *user;
	char *password_file;
	char *from;
	char **to;
	size_t n_to;
	char **escalate_to;
	size_t n_escalate_to;
	char *language; /* ru | en */
	char *ca_file;  /* NULL: the system's trust store */
	int64_t timeout_ms;
	int rate_limit;  /* messages per recipient an hour (30); more fold into a digest */
};

/* The outbox: how long an undelivered alert waits before it is flagged
 * (24h), and how long a "restored" alert waits so that a flapping service
 * sends nothing more (1m). */
struct gp_alert_settings {
	int64_t undelivered_after_ms;
	int64_t restore_delay_ms;
};

struct gp_webhook {
	bool set;
	char *url;
	char *secret_file;
	int64_t timeout_ms;
};

struct gp_probe_settings {
	char *data_dir;          /* /var/lib/gprobe */
	int64_t interval_ms;     /* 10s */
	int64_t retry_interval_ms; /* 5s */
	int attempts;            /* 3 */
	int64_t timeout_ms;      /* 5s */
	char *rrdcached;         /* NULL: direct librrd writes */
	bool rrd;                /* true: values into RRD files (false: none kept) */
	char *plugin_dir;        /* NULL: the built-in default */
	char *profile_dir;       /* NULL: the built-in default */
	/* Targets that test the probe's own network (gateway, DNS): when every
	 * one of them fails, the probe is cut off and services are UNKNOWN. */
	char **uplink;
	size_t n_uplink;
	size_t *uplink_target;   /* their indexes in targets */
};

struct gp_config {
	char *file;
	struct gp_probe_settings probe;
	struct gp_target *targets;
	size_t n_targets;
	struct gp_service *services;
	size_t n_services;
	struct gp_contract contract;
	struct gp_calendar calendar;
	struct gp_incidents incidents;
	struct gp_email email;
	struct gp_webhook webhook;
	struct gp_alert_settings alerts;
};

/* Options for loading that come from outside the file. */
struct gp_config_opts {
	/* Where profiles are looked for when probe.profile_dir is not set. */
	const char *default_profile_dir;
};

/*
 * Loads and validates file. Returns the config, or NULL with every error of
 * the file in el (sorted by position). Never prints.
 */
struct gp_config *gp_config_load(const char *file, const struct gp_config_opts *opts,
				 struct gp_errlist *el);
void gp_config_free(struct gp_config *cfg);

size_t gp_config_check_count(const struct gp_config *cfg);
const struct gp_target *gp_config_target(const struct gp_config *cfg, const char *name);
const struct gp_check *gp_target_check(const struct gp_target *t, const char *name);

const char *gp_owner_name(enum gp_owner o);

/*
 * Refuses a secrets file that group or others can read or write (anything
 * looser than 0600), or that is not a regular file. Returns NULL when the
 * file is fine, else a malloc'd reason. Used by the loader and by plugins
 * right before they read a secret.
 */
char *gp_secret_file_problem(const char *path);

#endif
