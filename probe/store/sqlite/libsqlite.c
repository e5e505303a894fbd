/*
 * libsqlite.c - loads libsqlite3.so.0 on the first sqlite store (see
 * libsqlite.h).
 */
#include "libsqlite.h"

union gp_sq gp_sq;

static const char *const names[] = GP_LAZYLIB_NAMES(GP_SQ_FUNCTIONS);
static struct gp_lazylib lib = GP_LAZYLIB_INIT(GP_SQ_SONAME, "libsqlite3-0", names, gp_sq);

bool gp_sq_load(char *err, size_t errlen)
{
	return gp_lazylib_load(&lib, err, errlen);
}
