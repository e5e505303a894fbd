/*
 * libpq.h - libpq, loaded when a postgresql store is first opened.
 *
 * Why not linked: libpq brings OpenSSL, GnuTLS, Kerberos, LDAP and SASL
 * (20 libraries), and their loading and constructors cost every process
 * that links them about 6 ms before main: check_genesys paid it on every
 * SNMP or HTTP run, with no store in sight. So the backend's calls go
 * through a table that gp_pq_load() fills from libpq.so.5 (dlopen) on
 * first use, and the PQ* names below are that table's.
 *
 * The table is written once, under pthread_once, before any call: like
 * the plugin registry, the entry points of a loaded library.
 */
#ifndef GP_PQ_LIBPQ_H
#define GP_PQ_LIBPQ_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define GP_PQ_SONAME "libpq.so.5"

/* Every libpq function the backend calls. */
#define GP_PQ_FUNCTIONS(X)                                                                      \
	X(PQclear)                                                                              \
	X(PQcmdStatus)                                                                          \
	X(PQcmdTuples)                                                                          \
	X(PQconnectdbParams)                                                                    \
	X(PQerrorMessage)                                                                       \
	X(PQexec)                                                                               \
	X(PQexecParams)                                                                         \
	X(PQexecPrepared)                                                                       \
	X(PQfinish)                                                                             \
	X(PQgetisnull)                                                                          \
	X(PQgetvalue)                                                                           \
	X(PQnfields)                                                                            \
	X(PQntuples)                                                                            \
	X(PQprepare)                                                                            \
	X(PQreset)                                                                              \
	X(PQresultStatus)                                                                       \
	X(PQsetNoticeProcessor)                                                                 \
	X(PQstatus)

struct gp_pq {
#define GP_PQ_MEMBER(f) __typeof__(f) *f;
	GP_PQ_FUNCTIONS(GP_PQ_MEMBER)
#undef GP_PQ_MEMBER
};

extern struct gp_pq gp_pq;

/* Loads libpq once; false, with the reason in err, when it cannot. */
bool gp_pq_load(char *err, size_t errlen);

#ifndef GP_PQ_LOADER
#define PQclear(...) gp_pq.PQclear(__VA_ARGS__)
#define PQcmdStatus(...) gp_pq.PQcmdStatus(__VA_ARGS__)
#define PQcmdTuples(...) gp_pq.PQcmdTuples(__VA_ARGS__)
#define PQconnectdbParams(...) gp_pq.PQconnectdbParams(__VA_ARGS__)
#define PQerrorMessage(...) gp_pq.PQerrorMessage(__VA_ARGS__)
#define PQexec(...) gp_pq.PQexec(__VA_ARGS__)
#define PQexecParams(...) gp_pq.PQexecParams(__VA_ARGS__)
#define PQexecPrepared(...) gp_pq.PQexecPrepared(__VA_ARGS__)
#define PQfinish(...) gp_pq.PQfinish(__VA_ARGS__)
#define PQgetisnull(...) gp_pq.PQgetisnull(__VA_ARGS__)
#define PQgetvalue(...) gp_pq.PQgetvalue(__VA_ARGS__)
#define PQnfields(...) gp_pq.PQnfields(__VA_ARGS__)
#define PQntuples(...) gp_pq.PQntuples(__VA_ARGS__)
#define PQprepare(...) gp_pq.PQprepare(__VA_ARGS__)
#define PQreset(...) gp_pq.PQreset(__VA_ARGS__)
#define PQresultStatus(...) gp_pq.PQresultStatus(__VA_ARGS__)
#define PQsetNoticeProcessor(...) gp_pq.PQsetNoticeProcessor(__VA_ARGS__)
#define PQstatus(...) gp_pq.PQstatus(__VA_ARGS__)
#endif

#endif
