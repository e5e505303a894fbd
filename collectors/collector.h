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
 *   2. init(host) once: the plugin's instance. `host` stays valid until
 *      fini().
 *   3. check_new(spec) for each configured check whose kind the plugin lists
 *      in `kinds`: parse and validate the options, keep what the check needs.
 *      Returns the plugin's handle for the check, or NULL with a reason in
 *      err (the check then runs as UNKNOWN with that reason).
 *   4. start(check, request_id) begins one collection, without blocking.
 *      Every start() that returns 0 ends in exactly one host->complete()
 *      call for that request_id, from start() itself (a result known at
 *      once) or from a later dispatch(). A collection must complete within
 *      the spec's timeout_ms (the plugin enforces it: a timed-out request
 *      completes CRITICAL or UNKNOWN with the reason). A non-zero return
 *      means nothing was started and no complete() follows.
 *   5. The host's loop: poll_fds() fills the descriptors the plugin waits on
 *      and the longest the host may wait before calling dispatch() again
 *      (its nearest timer); the host polls all plugins' descriptors at once
 *      and calls dispatch() with their revents (also when only the timer
 *      fired: then nfds is 0).
 *   6. check_free() for each check handle, fini() once. fini() is called
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
 * Secrets: options give paths of secrets files, never the secrets; a plugin
 * reads them itself and never puts them in a message or a log line.
 */
#ifndef GP_COLLECTOR_H
#define GP_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Raise on any change of the structs or calls below. */
#define GP_COLLECTOR_ABI_VERSION 1

/* The symbol every plugin exports. */
#define GP_COLLECTOR_ENTRY "gp_collector_entry"

enum gp_state {
	GP_STATE_OK = 0,
	GP_STATE_WARNING = 1,
	GP_STATE_CRITICAL = 2,
	GP_STATE_UNKNOWN = 3,
};

enum gp_log_level { GP_LOG_ERROR = 0, GP_LOG_WARN, GP_LOG_INFO, GP_LOG_DEBUG };

/* One option of a check: the keys of the target's protocol block as
 * "snmp.port", "ssh.user", "http.base_url"..., and the check's own keys
 * ("match", "json", "expect_status"...). Values are text as configured;
 * file paths are already absolute. */
struct gp_option {
	const char *key;
	const char *value;
};

struct gp_check_spec {
	const char *target;     /* the target's name */
	const char *host;       /* its host name or address */
	const char *check;      /* the check's name */
	const char *kind;       /* "snmp_get", "tcp_connect", ... */
	const char *arg;        /* the kind's value: OID, port, command, path, URL */
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
	 * offset...). get returns the length, or -1 when there is none; the
	 * value is NUL-terminated within len. put returns 0 on success. */
	int (*state_get)(void *ctx, const char *key, char *buf, size_t len);
	int (*state_put)(void *ctx, const char *key, const char *value);
};

struct gp_collector {
	uint32_t abi_version;      /* GP_COLLECTOR_ABI_VERSION */
	const char *name;          /* "snmp", "tcp", ... */
	const char *const *kinds;  /* check kinds served, NULL-terminated */

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

/* Exported by every plugin under the name GP_COLLECTOR_ENTRY. */
typedef const struct gp_collector *(*gp_collector_entry_fn)(void);

/* Helper for plugins: the value of key in spec's options, or NULL. */
static inline const char *gp_spec_option(const struct gp_check_spec *spec, const char *key)
{
	for (size_t i = 0; i < spec->n_options; i++) {
		const char *a = spec->options[i].key, *b = key;
		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return spec->options[i].value;
	}
	return NULL;
}

#endif
