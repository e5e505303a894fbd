/*
 * libpq.c - loads libpq.so.5 on the first postgresql store (see libpq.h).
 */
#include "libpq.h"

union gp_pq gp_pq;

static const char *const names[] = GP_LAZYLIB_NAMES(GP_PQ_FUNCTIONS);
static struct gp_lazylib lib = GP_LAZYLIB_INIT(GP_PQ_SONAME, "libpq5", names, gp_pq);

bool gp_pq_load(char *err, size_t errlen)
{
	return gp_lazylib_load(&lib, err, errlen);
}
