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
 *   http/xpath.so    XPath over an XML body (libxml2, which brings ICU and
 *                    libstdc++), loaded by curl.so when a check has an
 *                    `xpath` option.
 *
 * Both helpers sit in the subfolder "http" of the folder http.so was loaded
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

#define GP_HTTP_SUBDIR "http"
#define GP_HTTP_ENGINE_FILE "curl.so"
#define GP_HTTP_XPATH_FILE "xpath.so"

/* curl.so's one export: the transfer calls (init, check_new, start,
 * poll_fds, dispatch, check_free, fini) with abi_version set; name, kinds
 * and blocks are http.so's. */
#define GP_HTTP_ENGINE_ENTRY "gp_http_engine_entry"
typedef const struct gp_collector *(*gp_http_engine_fn)(void);

/* xpath.so's one export: the string value of xpath over the XML body
 * (body[0..len)), parsed without network access and without expanding
 * entities. True with *value malloc'd (free() it; not yet cleaned to
 * UTF-8), or false with the reason in why. */
#define GP_HTTP_XPATH_ENTRY "gp_http_xpath"
typedef bool (*gp_http_xpath_fn)(const char *body, size_t len, const char *xpath, char **value,
				 char *why, size_t whylen);

#endif
