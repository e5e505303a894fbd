/*
 * lazylib.h - a shared library loaded by name on first use, its entry
 * points written into a table.
 *
 * Why: a library a process links is mapped, relocated and bound before
 * main on every run, used or not. check_genesys runs a few milliseconds
 * in all, and the store's libraries (SQLite, libpq with its twenty) cost
 * an SNMP or HTTP one-shot, which never opens a store, as much as its own
 * work. A backend names its library's functions in an X-macro list, keeps
 * a table of them (GP_LAZYLIB_TABLE), and loads it when a store of its
 * kind is first opened; its calls go through the table by macros of the
 * functions' own names.
 *
 * The table is written once, under the library's lock, before any call
 * through it; like the plugin registry, it is the process's view of a
 * loaded library, not mutable state.
 */
#ifndef GP_LAZYLIB_H
#define GP_LAZYLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The table of a list LIST of functions: a union of their typed pointers
 * (.f.name) and the same as untyped slots for the loader (all function
 * pointers share one representation on the platforms gprobe runs on).
 */
#define GP_LAZYLIB_MEMBER_(f) __typeof__(f) *f;
#define GP_LAZYLIB_COUNT_(f) +1
#define GP_LAZYLIB_NAME_(f) #f,
#define GP_LAZYLIB_TABLE(tag, LIST)                                                             \
	union tag {                                                                             \
		struct {                                                                        \
			LIST(GP_LAZYLIB_MEMBER_)                                                \
		} f;                                                                            \
		void (*slot[0 LIST(GP_LAZYLIB_COUNT_)])(void);                                  \
	}
/* The list's names, in the table's order, as an array initialiser. */
#define GP_LAZYLIB_NAMES(LIST) { LIST(GP_LAZYLIB_NAME_) }

struct gp_lazylib {
	const char *soname;  /* dlopen's name: "libsqlite3.so.0" */
	const char *package; /* Debian's package of it, for the error */
	const char *const *names;
	size_t n;
	void (**slots)(void); /* n of them: the table's .slot */
	/* Set by the loader. */
	pthread_mutex_t lock;
	bool tried, loaded;
	char error[256];
};

/* A struct gp_lazylib of the table `table` (a union GP_LAZYLIB_TABLE) and
 * the names array `names`. */
#define GP_LAZYLIB_INIT(so, pkg, names_, table)                                                 \
	{                                                                                       \
		.soname = (so), .package = (pkg), .names = (names_),                            \
		.n = sizeof(names_) / sizeof((names_)[0]), .slots = (table).slot,               \
		.lock = PTHREAD_MUTEX_INITIALIZER                                                \
	}

/*
 * Loads the library and fills its table, once for the process whatever
 * the number of calls and threads; later calls answer the first's
 * outcome. False, with "cannot load SONAME (Debian's PACKAGE): why" in
 * err, when the library or one of the names is missing; the table is
 * then left empty.
 */
bool gp_lazylib_load(struct gp_lazylib *l, char *err, size_t errlen);

#endif
