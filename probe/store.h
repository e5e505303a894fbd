/*
 * store.h - gprobe's database (DATA_DIR/gprobe.db, SQLite). Every SQL
 * statement of the program lives in store.c, so that another backend
 * (PostgreSQL, for several probes sharing one ledger) is one module.
 *
 * The schema is versioned with PRAGMA user_version and migrated forward on
 * open. WAL mode: the CLI reads while the daemon writes.
 */
#ifndef GP_STORE_H
#define GP_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct gp_store;

/* Opens (creating and migrating when writable) DATA_DIR/gprobe.db. A
 * read-only open of a missing database fails. NULL with a reason in err. */
struct gp_store *gp_store_open(const char *data_dir, bool writable, char *err, size_t errlen);
void gp_store_close(struct gp_store *st);
int gp_store_schema_version(struct gp_store *st);

/* Small persistent values of collector plugins (collector.h state_get /
 * state_put). get: the length, or -1 when absent; put: 0, or -1 on error
 * (a read-only store ignores puts and returns 0). */
int gp_store_state_get(struct gp_store *st, const char *key, char *buf, size_t len);
int gp_store_state_put(struct gp_store *st, const char *key, const char *value);

#endif
