/*
 * lazylib.c - loads a library on first use (see lazylib.h).
 */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void load(struct gp_lazylib *l)
{
	/* RTLD_LOCAL: its symbols stay its own. Never unloaded: its state
	 * (connections, OpenSSL's, SQLite's) lives as long as the process. */
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(l->error, sizeof(l->error), "%s", dlerror());
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		void *sym = dlsym(h, l->names[i]);
		if (!sym) {
			snprintf(l->error, sizeof(l->error), "it lacks %s", l->names[i]);
			memset(l->slots, 0, l->n * sizeof(l->slots[0]));
			dlclose(h);
			return;
		}
		/* POSIX: a dlsym result may be converted to a function pointer. */
		memcpy(&l->slots[i], &sym, sizeof(sym));
	}
	l->loaded = true;
}

bool gp_lazylib_load(struct gp_lazylib *l, char *err, size_t errlen)
{
	pthread_mutex_lock(&l->lock);
	if (!l->tried) {
		l->tried = true;
		load(l);
	}
	bool ok = l->loaded;
	pthread_mutex_unlock(&l->lock);
	if (!ok)
		snprintf(err, errlen, "cannot load %s (Debian's %s): %s", l->soname, l->package,
			 l->error);
	return ok;
}
