/*
 * http_engine.h - how the HTTP collector's three shared objects find each
 * other (internal to collectors/http*.c; not part of the plugin ABI).
 *
 *   http.so          what the registry loads: the declarations and the
 *                    validate hooks of `http_get` and the `http:` block.
 *                    It links no library: loading it for a config's
 *                    declarations (a config naming HTTP checks of other
 *                    targets, `gprobe config check`) maps nothing more.
 *   http/curl.so     the transfers (libcurl, jansson), loaded by http.so
 *                    when the first check is set up; its calls are those
 *                    of struct gp_collector.
 *   http/plain.so    a small HTTP/1.1 client over a plain socket
 *                    (libhttp-parser, zlib, jansson), loaded instead of
 *                    curl.so for a one-shot run's http:// checks to an
 *                    address (gp_http_use_plain); what it cannot do it
 *                    hands back, and http.so restarts it in curl.so.
 *   http/xpath.so    XPath over an XML body (libxml2, which brings ICU and
 *                    libstdc++), loaded by curl.so when a check has an
 *                    `xpath` option.
 *
 * The helpers sit in the subfolder "http" of the folder http.so was loaded
 * from: the registry loads every *.so of the plugin folder itself, never a
 * subfolder.
 */
#ifndef GP_HTTP_ENGINE_H
#define GP_HTTP_ENGINE_H

#include "collector.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * How curl.so and xpath.so are bound. As the registry loads a collector
 * (every symbol bound at load, so a missing one is an error there, not a
 * crash in the middle of a run), except when GPROBE_LAZY_BIND=1 is in the
 * environment: then each symbol is bound when first called. check_genesys
 * sets it: a one-shot run calls a small part of libcurl's thirty-odd
 * libraries, and binding all of those that are not linked -z now (Kerberos,
 * GMP, librtmp, nghttp2...) is 0.4 ms of its CPU time. LD_BIND_NOW
 * overrides it, as for any lazy binding.
 */
static inline int gp_http_dlopen_mode(void)
{
	const char *lazy = getenv("GPROBE_LAZY_BIND");
	return (lazy && lazy[0] == '1' ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL | RTLD_NODELETE;
}

/*
 * Which engine a check of this process gets: GPROBE_HTTP_ENGINE=curl or
 * =plain in the environment says (plain only where it can: an http://
 * URL to an address, no proxy); without it, plain in a one-shot run
 * (GPROBE_LAZY_BIND=1, set by check_genesys: loading libcurl is most of
 * such a run) and curl elsewhere (the daemon loads it once and keeps its
 * connections between polls).
 */
static inline bool gp_http_use_plain(void)
{
	const char *e = getenv("GPROBE_HTTP_ENGINE");
	if (e && e[0])
		return strcmp(e, "plain") == 0;
	const char *lazy = getenv("GPROBE_LAZY_BIND");
	return lazy && lazy[0] == '1';
}

#define GP_HTTP_SUBDIR "http"
#define GP_HTTP_ENGINE_FILE "curl.so"
#define GP_HTTP_XPATH_FILE "xpath.so"
#define GP_HTTP_PLAIN_FILE "plain.so"

/* curl.so's one export: the transfer calls (init, check_new, start,
 * poll_fds, dispatch, check_free, fini) with abi_version set; name, kinds
 * and blocks are http.so's. */
#define GP_HTTP_ENGINE_ENTRY "gp_http_engine_entry"

/* plain.so's one export: its calls, as struct gp_collector's but for
 * these. init takes what plain.so calls for a request it cannot finish
 * (a redirect to https:// or to a host name, an encoding it does not
 * decode): handover(ctx, token, id), the check's token as check_new got
 * it; request id then belongs to http.so, which runs it again in curl.so
 * within left_ms, the time the request has left (0 or less: it times out).
 * check_new returns NULL with err empty for a check it does not take
 * (an https:// URL, a host name, a proxy in the environment). */
typedef void (*gp_http_handover_fn)(void *ctx, void *token, uint64_t id, int64_t left_ms);
struct gp_http_plain {
	void *(*init)(const struct gp_host_api *host, gp_http_handover_fn handover, void *ctx,
		      char *err, size_t errlen);
	void *(*check_new)(void *inst, const struct gp_check_spec *spec, void *token, char *err,
			   size_t errlen);
	int (*start)(void *inst, void *check, uint64_t id);
	int (*poll_fds)(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms);
	void (*dispatch)(void *inst, const struct gp_pollfd *fds, int nfds);
	void (*check_free)(void *inst, void *check);
	void (*fini)(void *inst);
};
#define GP_HTTP_PLAIN_ENTRY "gp_http_plain_entry"

/* xpath.so's one export: the string value of xpath over the XML body
 * (body[0..len)), parsed without network access and without expanding
 * entities. True with *value malloc'd (free() it; not yet cleaned to
 * UTF-8), or false with the reason in why. */
#define GP_HTTP_XPATH_ENTRY "gp_http_xpath"
typedef bool (*gp_http_xpath_fn)(const char *body, size_t len, const char *xpath, char **value,
				 char *why, size_t whylen);

#endif
