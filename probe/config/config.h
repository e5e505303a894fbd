/*
 * config.h - the gprobe configuration (INTERFACE.md, "Config file"), parsed
 * into typed structs and validated.
 *
 * The loader knows no protocol: the check kinds and the target blocks with
 * their options are what the collector plugins declare (collector.h); the
 * loader checks a config against those declarations (types, ranges,
 * names, files, the plugins' own validate hooks) and keeps each check's
 * options as validated text for its collector.
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
#include "collector.h"
#include "util.h"

enum gp_owner { GP_OWNER_SUPPLIER, GP_OWNER_CUSTOMER, GP_OWNER_THIRD_PARTY };

struct gp_pos {
	int line, col;
};

/* A validated option of a check or of a target's block: what its
 * collector declared (collector.h, struct gp_option_decl), checked, with
 * the default filled in when it was not written. A list option is one
 * gp_optval per item, in order. */
struct gp_optval {
	char *key;        /* "match"; in a block, the block's own key ("port") */
	char *value;      /* as text; paths absolute */
	int64_t number;   /* INTEGER, DURATION (ms), BOOLEAN (0/1), ENUM (index) */
	const char *file; /* where it was written (the config's files); NULL: a default */
	struct gp_pos pos;
};

/* A target's protocol block ("snmp: {...}"), as its collector declared it. */
struct gp_block {
	char *name;
	struct gp_pos pos;
	struct gp_optval *opts;
	size_t n_opts;
};

/* A value's meaning, as the mails and status say it: "2 (stopped)". */
struct gp_value_name {
	char *value, *name;
};
struct gp_check {
	char *name;
	struct gp_pos pos;
	const char *file;     /* the config or the profile it was written in */
	char *kind;           /* "snmp_get", "example": a collector declares it */
	char *block;          /* the target block the kind talks through, or NULL */
	char *arg;            /* the kind's value: OID, command, path, URL, port */
	int64_t arg_number;   /* the arg as a number, when its type has one */
	struct gp_pos arg_pos;
	struct gp_optval *opts; /* the kind's own options ("match", "json") */
	size_t n_opts;
	char *expect;         /* string equality on the value, or NULL */
	struct gp_value_name *value_names; /* what values mean ("2": "stopped") */
	size_t n_value_names;
	char *uom;            /* perfdata unit */
	struct gp_range warning, critical;
	bool availability;    /* default true */
	int64_t interval_ms, retry_interval_ms, timeout_ms;
	int attempts;
	bool from_profile;
};
/* The name the check gives the value (value_names), or NULL. */
const char *gp_check_value_name(const struct gp_check *c, const char *value);

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
	char *site;           /* probe.site of the probe that polls it; NULL: none */
	char *profile;
	int64_t genesys_dbid; /* -1 when not set; "{dbid}" in a profile */
	struct gp_vars vars;  /* the target's values for its profile's {name}s */
	struct gp_block *blocks; /* snmp:, ssh:, http:, ... as their collectors declared */
	size_t n_blocks;
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
	/* The document's parties, for the signed report (all optional). */
	char *number;                  /* "2880-2" */
	bool has_date;
	struct gp_date date;           /* of signing */
	char *customer, *supplier;
	struct gp_signatory {
		enum gp_owner party;   /* customer or supplier */
		char *name, *position;
	} *signatories;
	size_t n_signatories;
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
	int64_t response_target_web_ms;    /* 60m: registered in the customer's ticket system */
	int auto_close_working_days;       /* 5 */
	int64_t reopen_window_ms;          /* 30m */
	/* Resolution targets in working time, per priority (P1..P4, index
	 * priority - 1); 0: none. */
	int64_t resolution_ms[4];
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
	/* Replies (gprobe mail-in): alerts carry Reply-To: LOCAL+ID.EVENT.TOKEN@DOMAIN
	 * of reply_to, the token an HMAC under reply_secret_file; both or
	 * neither. ack_from: who may acknowledge by reply (addresses, or
	 * "@domain" for a whole domain); default to and escalate_to. */
	char *reply_to;
	char *reply_secret_file;
	char **ack_from;
	size_t n_ack_from;
};

/* contacts: the customer's responsible people; the "resolved" mail goes
 * to them, and they confirm or reject a resolution (by reply too). */
struct gp_contact {
	char *name, *email;
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

/* web: the NOC console (`gprobe web`); off unless the block is written. */
struct gp_web {
	bool set;
	char *listen;      /* "127.0.0.1:8443" */
	char *host;        /* its address part, without [] */
	int port;
	bool loopback;     /* plain HTTP is allowed only there */
	char *users_file;  /* name:role:hash lines (private; may not exist yet) */
	char *tls_cert;    /* both or neither; required off loopback */
	char *tls_key;     /* private */
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
	/* The store: NULL the embedded sqlite under data_dir, else a
	 * postgresql:// URI (no password in it: store_password_file, or
	 * libpq's PGPASSFILE). */
	char *store;
	char *store_password_file;
	/* A node of a probe pair (NULL: a probe alone), the lease's age after
	 * which its standby takes over, and the site whose targets it polls
	 * (NULL: every target; else only targets of that site). */
	char *node;
	int64_t failover_after_ms; /* 15s */
	char *site;
};

struct gp_config {
	char *file;
	char **files; /* every file read (the config, its profiles): positions point here */
	size_t n_files;
	/* Target names -> index + 1 (open addressing; 0: empty), so finding
	 * a target costs the same with 50,000 of them as with 5. */
	size_t *target_index;
	size_t target_index_cap;
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
	struct gp_web web;
	struct gp_contact *contacts;
	size_t n_contacts;
};

/*
 * Where the loader finds the check kinds and target blocks that collectors
 * declare (collector.h). The check layer's plugin registry provides it
 * (gp_registry_kinds()); the loader knows no protocol of its own.
 */
struct gp_kinds {
	void *ctx;
	/* The config's probe.plugin_dir (NULL when not set), told before any
	 * kind is asked for. */
	void (*set_dir)(void *ctx, const char *plugin_dir);
	/* The declaration of a kind / block, or NULL when no collector
	 * declares it. */
	const struct gp_kind_decl *(*kind)(void *ctx, const char *name);
	const struct gp_block_decl *(*block)(void *ctx, const char *name);
	/* Every declared kind, in order, NULL past the last (for errors that
	 * list them: all collectors are loaded first). */
	const struct gp_kind_decl *(*nth_kind)(void *ctx, size_t i);
	/* Where collectors are looked for, for errors (may return NULL). */
	const char *(*where)(void *ctx);
};

/* Options for loading that come from outside the file. */
struct gp_config_opts {
	/* Where profiles are looked for when probe.profile_dir is not set. */
	const char *default_profile_dir;
	/* The collectors' declarations; NULL: no check kind is known. */
	const struct gp_kinds *kinds;
};

/*
 * Loads and validates file. Returns the config, or NULL with every error of
 * the file in el (sorted by position). Never prints.
 */
struct gp_config *gp_config_load(const char *file, const struct gp_config_opts *opts,
				 struct gp_errlist *el);
/* The same for a config held in memory (check_genesys builds one from its
 * options); name stands for the file in errors and relative paths. */
struct gp_config *gp_config_load_text(const char *name, const char *text, size_t len,
				      const struct gp_config_opts *opts, struct gp_errlist *el);
void gp_config_free(struct gp_config *cfg);

size_t gp_config_check_count(const struct gp_config *cfg);
const struct gp_target *gp_config_target(const struct gp_config *cfg, const char *name);
const struct gp_check *gp_target_check(const struct gp_target *t, const char *name);
const struct gp_block *gp_target_block(const struct gp_target *t, const char *name);
/* The value of key in a block / among a check's options, or NULL. */
const char *gp_block_value(const struct gp_block *b, const char *key);
const char *gp_check_option(const struct gp_check *c, const char *key);

/*
 * The spec a collector gets for check c of target t (collector.h): the
 * check's options and, prefixed with the block's name, those of the block
 * its kind talks through. Its strings belong to the buffer.
 */
struct gp_spec_buf {
	struct gp_check_spec spec;
	struct gp_option *opts;
	char **keys;
	size_t n;
};
void gp_spec_build(struct gp_spec_buf *b, const struct gp_target *t, const struct gp_check *c);
void gp_spec_free(struct gp_spec_buf *b);

const char *gp_owner_name(enum gp_owner o);

#endif
