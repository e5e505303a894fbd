/*
 * libsqlite.h - SQLite, loaded when a sqlite store is first opened.
 *
 * Why not linked: mapping and binding libsqlite3 (1.4 MB, 1,600 symbol
 * relocations) cost every check_genesys run about 0.4 ms before main, and
 * made each later dlopen of a collector slower, though an SNMP or HTTP
 * one-shot never opens a store. The backend's calls go through a table
 * that gp_sq_load() fills from libsqlite3.so.0 on first use (lazylib.h),
 * and the sqlite3_* names below are that table's.
 */
#ifndef GP_SQ_LIBSQLITE_H
#define GP_SQ_LIBSQLITE_H

#include "lazylib.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#define GP_SQ_SONAME "libsqlite3.so.0"

/* Every SQLite function the backend calls. */
#define GP_SQ_FUNCTIONS(X)                                                                      \
	X(sqlite3_bind_int)                                                                     \
	X(sqlite3_bind_int64)                                                                   \
	X(sqlite3_bind_null)                                                                    \
	X(sqlite3_bind_text)                                                                    \
	X(sqlite3_busy_timeout)                                                                 \
	X(sqlite3_changes)                                                                      \
	X(sqlite3_clear_bindings)                                                               \
	X(sqlite3_close)                                                                        \
	X(sqlite3_column_count)                                                                 \
	X(sqlite3_column_int)                                                                   \
	X(sqlite3_column_int64)                                                                 \
	X(sqlite3_column_text)                                                                  \
	X(sqlite3_column_type)                                                                  \
	X(sqlite3_errmsg)                                                                       \
	X(sqlite3_exec)                                                                         \
	X(sqlite3_finalize)                                                                     \
	X(sqlite3_free)                                                                         \
	X(sqlite3_get_autocommit)                                                               \
	X(sqlite3_last_insert_rowid)                                                            \
	X(sqlite3_open_v2)                                                                      \
	X(sqlite3_prepare_v2)                                                                   \
	X(sqlite3_reset)                                                                        \
	X(sqlite3_step)

extern GP_LAZYLIB_TABLE(gp_sq, GP_SQ_FUNCTIONS) gp_sq;

/* Loads SQLite once; false, with the reason in err, when it cannot. */
bool gp_sq_load(char *err, size_t errlen);

#define sqlite3_bind_int(...) gp_sq.f.sqlite3_bind_int(__VA_ARGS__)
#define sqlite3_bind_int64(...) gp_sq.f.sqlite3_bind_int64(__VA_ARGS__)
#define sqlite3_bind_null(...) gp_sq.f.sqlite3_bind_null(__VA_ARGS__)
#define sqlite3_bind_text(...) gp_sq.f.sqlite3_bind_text(__VA_ARGS__)
#define sqlite3_busy_timeout(...) gp_sq.f.sqlite3_busy_timeout(__VA_ARGS__)
#define sqlite3_changes(...) gp_sq.f.sqlite3_changes(__VA_ARGS__)
#define sqlite3_clear_bindings(...) gp_sq.f.sqlite3_clear_bindings(__VA_ARGS__)
#define sqlite3_close(...) gp_sq.f.sqlite3_close(__VA_ARGS__)
#define sqlite3_column_count(...) gp_sq.f.sqlite3_column_count(__VA_ARGS__)
#define sqlite3_column_int(...) gp_sq.f.sqlite3_column_int(__VA_ARGS__)
#define sqlite3_column_int64(...) gp_sq.f.sqlite3_column_int64(__VA_ARGS__)
#define sqlite3_column_text(...) gp_sq.f.sqlite3_column_text(__VA_ARGS__)
#define sqlite3_column_type(...) gp_sq.f.sqlite3_column_type(__VA_ARGS__)
#define sqlite3_errmsg(...) gp_sq.f.sqlite3_errmsg(__VA_ARGS__)
#define sqlite3_exec(...) gp_sq.f.sqlite3_exec(__VA_ARGS__)
#define sqlite3_finalize(...) gp_sq.f.sqlite3_finalize(__VA_ARGS__)
#define sqlite3_free(...) gp_sq.f.sqlite3_free(__VA_ARGS__)
#define sqlite3_get_autocommit(...) gp_sq.f.sqlite3_get_autocommit(__VA_ARGS__)
#define sqlite3_last_insert_rowid(...) gp_sq.f.sqlite3_last_insert_rowid(__VA_ARGS__)
#define sqlite3_open_v2(...) gp_sq.f.sqlite3_open_v2(__VA_ARGS__)
#define sqlite3_prepare_v2(...) gp_sq.f.sqlite3_prepare_v2(__VA_ARGS__)
#define sqlite3_reset(...) gp_sq.f.sqlite3_reset(__VA_ARGS__)
#define sqlite3_step(...) gp_sq.f.sqlite3_step(__VA_ARGS__)

#endif
