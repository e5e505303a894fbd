/*
 * libpq.h - libpq, loaded when a postgresql store is first opened.
 *
 * Why not linked: libpq brings OpenSSL, GnuTLS, Kerberos, LDAP and SASL
 * (20 libraries), and their loading and constructors cost every process
 * that links them about 6 ms before main: check_genesys paid it on every
 * SNMP or HTTP run, with no store in sight. So the backend's calls go
 * through a table that gp_pq_load() fills from libpq.so.5 (dlopen) on
 * first use (lazylib.h), and the PQ* names below are that table's.
 */
#ifndef GP_PQ_LIBPQ_H
#define GP_PQ_LIBPQ_H

#include "lazylib.h"

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

extern GP_LAZYLIB_TABLE(gp_pq, GP_PQ_FUNCTIONS) gp_pq;

/* Loads libpq once; false, with the reason in err, when it cannot. */
bool gp_pq_load(char *err, size_t errlen);

#define PQclear(...) gp_pq.f.PQclear(__VA_ARGS__)
#define PQcmdStatus(...) gp_pq.f.PQcmdStatus(__VA_ARGS__)
#define PQcmdTuples(...) gp_pq.f.PQcmdTuples(__VA_ARGS__)
#define PQconnectdbParams(...) gp_pq.f.PQconnectdbParams(__VA_ARGS__)
#define PQerrorMessage(...) gp_pq.f.PQerrorMessage(__VA_ARGS__)
#define PQexec(...) gp_pq.f.PQexec(__VA_ARGS__)
#define PQexecParams(...) gp_pq.f.PQexecParams(__VA_ARGS__)
#define PQexecPrepared(...) gp_pq.f.PQexecPrepared(__VA_ARGS__)
#define PQfinish(...) gp_pq.f.PQfinish(__VA_ARGS__)
#define PQgetisnull(...) gp_pq.f.PQgetisnull(__VA_ARGS__)
#define PQgetvalue(...) gp_pq.f.PQgetvalue(__VA_ARGS__)
#define PQnfields(...) gp_pq.f.PQnfields(__VA_ARGS__)
#define PQntuples(...) gp_pq.f.PQntuples(__VA_ARGS__)
#define PQprepare(...) gp_pq.f.PQprepare(__VA_ARGS__)
#define PQreset(...) gp_pq.f.PQreset(__VA_ARGS__)
#define PQresultStatus(...) gp_pq.f.PQresultStatus(__VA_ARGS__)
#define PQsetNoticeProcessor(...) gp_pq.f.PQsetNoticeProcessor(__VA_ARGS__)
#define PQstatus(...) gp_pq.f.PQstatus(__VA_ARGS__)

#endif
