/*
 * json_pointer.h - RFC 6901 JSON pointers over jansson values.
 *
 * "" is the whole document; "/a/0/b" walks objects by key and arrays by
 * index; "~1" in a token is "/", "~0" is "~". An array index is digits
 * without a leading zero ("-", the element after the last, names nothing
 * that exists and so is not found).
 */
#ifndef GP_JSON_POINTER_H
#define GP_JSON_POINTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The value ptr names in root, or NULL (with the failing token's position
 * in *bad_at, 0-based in ptr) when it names nothing or is malformed. */
static inline json_t *gp_json_pointer(json_t *root, const char *ptr, size_t *bad_at)
{
	*bad_at = 0;
	if (ptr[0] == '\0')
		return root;
	if (ptr[0] != '/')
		return NULL;
	json_t *cur = root;
	const char *p = ptr;
	char token[512];
	while (*p == '/') {
		size_t start = (size_t)(p - ptr);
		p++;
		size_t n = 0;
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~') {
				if (*p == '0')
					c = '~';
				else if (*p == '1')
					c = '/';
				else {
					*bad_at = start;
					return NULL; /* "~" must be followed by 0 or 1 */
				}
				p++;
			}
			if (n + 1 >= sizeof(token)) {
				*bad_at = start;
				return NULL;
			}
			token[n++] = c;
		}
		token[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, token);
		} else if (json_is_array(cur)) {
			bool digits = n > 0 && (n == 1 || token[0] != '0');
			for (size_t i = 0; i < n && digits; i++)
				digits = token[i] >= '0' && token[i] <= '9';
			if (!digits || n > 9) {
				cur = NULL;
			} else {
				cur = json_array_get(cur, (size_t)strtoul(token, NULL, 10));
			}
		} else {
			cur = NULL;
		}
		if (!cur) {
			*bad_at = start;
			return NULL;
		}
	}
	return cur;
}

#endif
