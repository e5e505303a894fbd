/*
 * http_xpath.c - http/xpath.so: the `xpath` option of `http_get` checks
 * (libxml2), loaded by the HTTP collector only when a check has one, so a
 * plain GET never maps libxml2 and what it brings (ICU, libstdc++, liblzma).
 * See http_engine.h.
 *
 * The body is parsed without network access, without loading a DTD and
 * without substituting entities: an external entity in a hostile body is
 * never fetched nor expanded, and nested internal ones ("billion laughs")
 * are never multiplied.
 */
#include "http_engine.h"
#include "text.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ready; /* xmlInitParser, once; every call is on the host's thread */

/* libxml2 reports through a global handler; we read the last error
 * instead, so nothing is printed. */
static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

GP_COLLECTOR_EXPORT bool gp_http_xpath(const char *body, size_t len, const char *xpath,
				       char **value, char *why, size_t whylen)
{
	if (!ready) {
		xmlInitParser();
		xmlSetGenericErrorFunc(NULL, xml_quiet);
		ready = true;
	}
	*value = NULL;
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlResetLastError();
	xmlDocPtr doc = xmlReadMemory(body ? body : "", (int)len, "body.xml", NULL, opts);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		snprintf(why, whylen, "the body is not well-formed XML%s%s", e && e->message ? ": " : "",
			 e && e->message ? e->message : "");
		gp_text_clean(why);
		return false;
	}
	bool ok = false;
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath, ctx) : NULL;
	if (!obj) {
		snprintf(why, whylen, "XPath '%s' cannot be evaluated", xpath);
	} else if (obj->type == XPATH_NODESET &&
		   (!obj->nodesetval || obj->nodesetval->nodeNr == 0)) {
		snprintf(why, whylen, "XPath '%s' selects nothing in the body", xpath);
	} else {
		xmlChar *s = xmlXPathCastToString(obj);
		*value = strdup(s ? (const char *)s : "");
		xmlFree(s);
		ok = *value != NULL;
		if (!ok)
			snprintf(why, whylen, "out of memory");
	}
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return ok;
}
