/*
 * libpq.c - loads libpq.so.5 on the first postgresql store (see libpq.h).
 */
#define GP_PQ_LOADER
#include "libpq.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct gp_pq gp_pq;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	/* RTLD_LOCAL: its symbols stay its own; never unloaded (its
	 * connections and OpenSSL's state live as long as the process). */
	void *h = dlopen(GP_PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	struct gp_pq t;
#define GP_PQ_RESOLVE(f)                                                                        \
	{                                                                                       \
		void *sym = dlsym(h, #f);                                                       \
		if (!sym) {                                                                     \
			snprintf(load_error, sizeof(load_error), "%s lacks %s", GP_PQ_SONAME, #f); \
			return;                                                                 \
		}                                                                               \
		memcpy(&t.f, &sym, sizeof(sym));                                                \
	}
	GP_PQ_FUNCTIONS(GP_PQ_RESOLVE)
#undef GP_PQ_RESOLVE
	gp_pq = t;
}

bool gp_pq_load(char *err, size_t errlen)
{
	pthread_once(&load_once, load);
	if (gp_pq.PQclear)
		return true;
	snprintf(err, errlen, "cannot load libpq (%s, Debian's libpq5): %s", GP_PQ_SONAME,
		 load_error);
	return false;
}
