/*
 * collector.h - the gprobe collector plugin ABI. This header is all a
 * plugin sees of gprobe.
 *
 * A collector is a shared object that speaks one protocol (SNMP, SSH,
 * HTTP, TCP). The daemon knows no protocol: it hands the collector checks,
 * asks it to start collections, and waits on the file descriptors the
 * collector names. Many requests run at once in one thread: a collector
 * keeps its requests in flight (net-snmp async sessions, curl multi,
 * non-blocking libssh2 and sockets) and never blocks in any call.
 *
 * Life of a plugin
 *
 *   1. dlopen(); dlsym(GP_COLLECTOR_ENTRY) is called and returns a
 *      `const struct gp_collector *`. Its abi_version must equal the host's
 *      GP_COLLECTOR_ABI_VERSION, or the plugin is refused.
 *   2. The config is validated against the plugin's declarations (see
 *      "Declarations" below), and its validate hooks, before anything
 *      runs: a plugin never sees an option it did not declare, nor a value
 *      of the wrong type.
 *   3. init(host) once: the plugin's instance. `host` stays valid until
 *      fini().
 *   4. check_new(spec) for each configured check of a kind the plugin
 *      declares: keep what the check needs (open nothing that blocks).
 *      Returns the plugin's handle for the check, or NULL with a reason in
 *      err (the check then runs as UNKNOWN with that reason).
 *   5. start(check, request_id) begins one collection, without blocking.
 *      Every start() that returns 0 ends in exactly one host->complete()
 *      call for that request_id, from start() itself (a result known at
 *      once) or from a later dispatch(). A collection must complete within
 *      the spec's timeout_ms (the plugin enforces it: a timed-out request
 *      completes CRITICAL or UNKNOWN with the reason). A non-zero return
 *      means nothing was started and no complete() follows.
 *   6. The host's loop: poll_fds() fills the descriptors the plugin waits on
 *      and the longest the host may wait before calling dispatch() again
 *      (its nearest timer); the host polls all plugins' descriptors at once
 *      and calls dispatch() with their revents (also when only the timer
 *      fired: then nfds is 0).
 *   7. check_free() for each check handle, fini() once. fini() is called
 *      with no request in flight.
 *
 * Results
 *
 *   A plugin says what the protocol gave: state OK with the value, or the
 *   failure. Thresholds (`warning`, `critical`) and `expect` are applied by
 *   the host, the same way for every protocol. A plugin uses
 *     GP_STATE_OK       the value was read (result.text, and result.value
 *                       when it is numeric);
 *     GP_STATE_CRITICAL the component failed: refused, no answer, an error
 *                       status, a missing object, an HTTP error;
 *     GP_STATE_UNKNOWN  the check could not run: bad credentials, an
 *                       unknown host key, bad options, the probe's own
 *                       error. UNKNOWN is never counted as downtime.
 *   Strings in a result need only live until complete() returns.
 *
 * Threads: every call happens on the host's one thread. No call may block,
 * sleep, or wait on the network.
 *
 * Declarations
 *
 *   A plugin declares what a config may say to it, and the host checks a
 *   config against that, with the same FILE:LINE:COL errors as for its own
 *   keys:
 *   - its check kinds (struct gp_kind_decl): the key that names the kind in
 *     a check ("snmp_get: OID"), the type of that value (`arg`), the other
 *     keys such a check may have (`options`), and the target block it
 *     talks through;
 *   - its target blocks (struct gp_block_decl): "snmp: {port: 161, ...}",
 *     with their options.
 *   Each option has a name, a type, whether it is required, a default and
 *   a one-line doc (shown by `gprobe plugins`). The host resolves paths
 *   (relative to the config file), checks that files exist, that secrets
 *   files are private, that regular expressions compile, and fills in the
 *   defaults. What types cannot say (a version-3-only key, a URL scheme)
 *   the plugin's validate hooks say, naming the key.
 *
 *   A check's spec carries its kind's own options under their names
 *   ("match", "json") and the options of the kind's target block prefixed
 *   with the block ("snmp.port"), every one validated, with its default
 *   when not written, and where it was written.
 *
 * Secrets: options give paths of secrets files, never the secrets; a plugin
 * reads them with host->read_secret() right when it needs them, and never
 * puts them in a message or a log line.
 */
#ifndef GP_COLLECTOR_H
#define GP_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Raise on any change of the structs or calls below. */
#define GP_COLLECTOR_ABI_VERSION 2

/* The symbol every plugin exports. */
#define GP_COLLECTOR_ENTRY "gp_collector_entry"

enum gp_state {
	GP_STATE_OK = 0,
	GP_STATE_WARNING = 1,
	GP_STATE_CRITICAL = 2,
	GP_STATE_UNKNOWN = 3,
};

enum gp_log_level { GP_LOG_ERROR = 0, GP_LOG_WARN, GP_LOG_INFO, GP_LOG_DEBUG };

/* ------------------------------------------------------------------ */
/* Declarations                                                        */

enum gp_opt_type {
	GP_OPT_STRING,      /* any text */
	GP_OPT_INTEGER,     /* a whole number within min..max */
	GP_OPT_DURATION,    /* "500ms", "10s", "5m": number = milliseconds */
	GP_OPT_BOOLEAN,     /* true | false: number = 1 | 0 */
	GP_OPT_LIST,        /* a list of strings: one option per item, in order */
	GP_OPT_SECRET_FILE, /* a path to a private file (0600 or 0400), resolved */
	GP_OPT_FILE,        /* a path to a regular file, resolved */
	GP_OPT_ENUM,        /* one of values: number = its index */
	GP_OPT_REGEX,       /* a POSIX extended regular expression */
};

/* Option flags. */
#define GP_OPT_REQUIRED 0x1u /* the key must be given */
#define GP_OPT_VARS     0x2u /* a profile's {name} variables are replaced in it */

struct gp_option_decl {
	const char *name;           /* [a-z0-9_]+; NULL ends a list */
	enum gp_opt_type type;
	unsigned flags;             /* GP_OPT_* */
	const char *def;            /* the default as text, or NULL for none */
	int64_t min, max;           /* GP_OPT_INTEGER: the bounds (both 0: any) */
	const char *const *values;  /* GP_OPT_ENUM: NULL-terminated */
	const char *doc;            /* one line, for `gprobe plugins` and the manual */
};

struct gp_check_spec;

/* Where a validate hook reports problems. `key` names the option the
 * problem is about: a check's own option ("match"), a block option
 * ("snmp.user" from a block hook, bare or prefixed), "" for the kind's
 * value (the arg), NULL for the check or block as a whole. at_value()
 * points at the value written, at_key() at the key. */
struct gp_problems {
	void *ctx;
	void (*at_value)(void *ctx, const char *key, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	void (*at_key)(void *ctx, const char *key, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
};

/* Kind flags. */
#define GP_KIND_BLOCK_OPTIONAL 0x1u /* may run without its block (validate decides) */

struct gp_kind_decl {
	const char *name;                     /* the check key, "snmp_get"; NULL ends a list */
	const char *block;                    /* the target block it talks through, or NULL */
	unsigned flags;                       /* GP_KIND_* */
	struct gp_option_decl arg;            /* the kind key's value ("snmp_get: OID") */
	const struct gp_option_decl *options; /* the check's other keys; NULL-name-terminated */
	const char *uom;                      /* the value's unit ("ms"), or NULL */
	const char *doc;
	/* Optional: rejects what the types cannot (spec as check_new gets it;
	 * host is NULL there), reporting through p. */
	void (*validate)(const struct gp_check_spec *spec, const struct gp_problems *p);
};

struct gp_block_decl {
	const char *name;                     /* the target key, "snmp"; NULL ends a list */
	const struct gp_option_decl *options; /* NULL-name-terminated */
	const char *doc;
	/* Optional: checks a combination of the block's options; spec holds
	 * only the block's options (prefixed), its arg and kind are NULL. */
	void (*validate)(const struct gp_check_spec *spec, const struct gp_problems *p);
};

/* ------------------------------------------------------------------ */
/* Checks                                                              */

/* One validated option of a check (see "Declarations"). */
struct gp_option {
	const char *key;   /* "match", or "snmp.port" for the target block's */
	const char *value; /* as text: paths absolute, defaults filled in */
	int64_t number;    /* INTEGER, DURATION (ms), BOOLEAN (0/1), ENUM (index) */
	const char *file;  /* where it was written; NULL for a default */
	int line, col;
};

struct gp_check_spec {
	const char *target;     /* the target's name */
	const char *host;       /* its host name or address */
	const char *check;      /* the check's name */
	const char *kind;       /* "snmp_get", "tcp_connect", ... */
	const char *arg;        /* the kind's value: OID, port, command, path, URL */
	int64_t arg_number;     /* the arg as a number, when its type has one */
	bool has_block;         /* the target has the block the kind talks through */
	int64_t timeout_ms;     /* a collection completes within this */
	const struct gp_option *options;
	size_t n_options;
};

/* Extra numbers of one result (curl timings, counters): each is stored and
 * shown next to the value. Names are [a-z0-9_]+. */
#define GP_MAX_METRICS 8
struct gp_metric {
	const char *name;
	double value;
	const char *uom; /* "ms", "s", "B", "%", "c" or "" */
};

struct gp_result {
	enum gp_state state;
	const char *text;      /* the value as text (compared by `expect`), or NULL */
	bool has_value;
	double value;          /* the numeric value (thresholds, graphs) */
	bool is_counter;       /* value is a raw counter, not yet a rate */
	const char *message;   /* what happened; for a failure, the reason */
	const char *hint;      /* for a failure: what to check next, or NULL */
	const char *request;   /* what was asked, e.g. "GET 1.3.6.1... from h:161" */
	struct gp_metric metrics[GP_MAX_METRICS];
	size_t n_metrics;
	/* A small persistent value that changes with this result (a log's
	 * read position): the host stores it in the same transaction as the
	 * result, so a crash loses both or neither. NULL key: none. A one-shot
	 * run (diag, check_genesys) does not store it. */
	const char *state_key, *state_value;
};

struct gp_pollfd {
	int fd;
	short events;  /* POLLIN, POLLOUT */
	short revents; /* filled by the host for dispatch() */
};

/* What the host offers a plugin. */
struct gp_host_api {
	uint32_t abi_version;
	void *ctx; /* the first argument of every call below */
	/* Delivers the result of request_id; see "Life of a plugin" 4. */
	void (*complete)(void *ctx, uint64_t request_id, const struct gp_result *result);
	void (*log)(void *ctx, enum gp_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Monotonic microseconds: the clock for a plugin's timers and
	 * timings, so every module measures time the same way. */
	int64_t (*now_us)(void *ctx);
	/* Small persistent values kept across restarts (a log file's read
	 * offset...), as stored with a result (gp_result.state_key): returns
	 * the length, or -1 when there is none; the value is NUL-terminated
	 * within len. */
	int (*state_get)(void *ctx, const char *key, char *buf, size_t len);
	/* Reads a secrets file: refused when group or others may read it,
	 * when it is not a regular file, is empty or larger than 4 KiB. The
	 * trailing newline is dropped. Returns a malloc'd string (wipe and
	 * free it), or NULL with the reason in err (no secret in it). */
	char *(*read_secret)(void *ctx, const char *path, char *err, size_t errlen);
};

/* Text helpers every collector shares are header-only: text.h. */

struct gp_collector {
	uint32_t abi_version;      /* GP_COLLECTOR_ABI_VERSION */
	const char *name;                   /* "snmp", "tcp", ... */
	const struct gp_kind_decl *kinds;   /* check kinds served; NULL-name-terminated */
	const struct gp_block_decl *blocks; /* target blocks; NULL, or NULL-name-terminated */

	void *(*init)(const struct gp_host_api *host, char *err, size_t errlen);
	void *(*check_new)(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen);
	int (*start)(void *inst, void *check, uint64_t request_id);
	/* Fills at most max descriptors; returns how many it needs (more
	 * than max: call again with room for that many). *timeout_ms: the
	 * longest wait before dispatch(), -1 for none. */
	int (*poll_fds)(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms);
	void (*dispatch)(void *inst, const struct gp_pollfd *fds, int nfds);
	void (*check_free)(void *inst, void *check);
	void (*fini)(void *inst);
};

/* Exported by every plugin under the name GP_COLLECTOR_ENTRY:
 *   GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
 *   { return &my_collector; } */
#define GP_COLLECTOR_EXPORT __attribute__((visibility("default")))
const struct gp_collector *gp_collector_entry(void);
typedef const struct gp_collector *(*gp_collector_entry_fn)(void);

/* Helper for plugins: the option key of spec (the first, for a list), or
 * NULL. */
static inline const struct gp_option *gp_spec_find(const struct gp_check_spec *spec,
						   const char *key)
{
	for (size_t i = 0; i < spec->n_options; i++) {
		const char *a = spec->options[i].key, *b = key;
		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return &spec->options[i];
	}
	return NULL;
}

/* Helper for plugins: the value of key in spec's options, or NULL. */
static inline const char *gp_spec_option(const struct gp_check_spec *spec, const char *key)
{
	const struct gp_option *o = gp_spec_find(spec, key);
	return o ? o->value : NULL;
}

#endif
