/*
 * nodes.c - the probe pair's lease and its nodes (node, node_lease).
 *
 * The lease is one row per site. Renewing and taking it is one statement
 * (an upsert whose update applies only for its holder or an expired
 * lease), so two nodes asking at once cannot both get it: the row's lock
 * orders them and the second sees the first's term. Its times are the
 * database's clock; the nodes' clocks take no part.
 */
#include "pg.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pgs_lease_renew(struct gp_store *st, const char *site, const char *node, int64_t ttl_ms,
		    const char *host, long pid, int64_t started_at, struct gp_lease *out)
{
	struct pgs *p = pgs_of(st);
	memset(out, 0, sizeof(*out));
	if (p->in_tx) {
		snprintf(p->err, sizeof(p->err), "the lease is renewed outside a transaction");
		return -1;
	}
	/* A node of a site renews two leases, its site's and the ledger's
	 * ('*'): the node's row keeps its own site (the ledger's lease is
	 * shown as keeps_ledger). */
	if (pgs_run(p,
		    "INSERT INTO node AS n (name, site, host, pid, started_at, seen_at)"
		    " VALUES ($1, $2, $3, $4, $5, clock_timestamp())"
		    " ON CONFLICT (name) DO UPDATE SET site = CASE WHEN $2 = '*' THEN n.site"
		    " ELSE $2 END, host = $3, pid = $4, started_at = $5,"
		    " seen_at = clock_timestamp()",
		    "tttii", node, site, host, (int64_t)pid, started_at) != 1)
		return -1;
	/* Taken anew (a new term, since = now) when it was free, another's
	 * and expired, or this node's own but expired: a node that lost its
	 * lease stopped, and what follows is a new term. */
	PGresult *r = pgs_query(
		p,
		"INSERT INTO node_lease AS l (site, holder, since, renewed_at, ttl_ms)"
		" VALUES ($1, $2, extract(epoch FROM clock_timestamp())::bigint, clock_timestamp(), $3)"
		" ON CONFLICT (site) DO UPDATE SET holder = EXCLUDED.holder,"
		"  since = CASE WHEN l.holder = EXCLUDED.holder AND l.renewed_at >"
		"   clock_timestamp() - l.ttl_ms * interval '1 millisecond'"
		"   THEN l.since ELSE EXCLUDED.since END,"
		"  renewed_at = EXCLUDED.renewed_at, ttl_ms = EXCLUDED.ttl_ms"
		" WHERE l.holder = EXCLUDED.holder"
		"  OR l.renewed_at <= clock_timestamp() - l.ttl_ms * interval '1 millisecond'"
		" RETURNING since",
		"tti", site, node, ttl_ms);
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		out->held = true;
		out->since = pgs_col_int(r, 0, 0);
		snprintf(out->holder, sizeof(out->holder), "%s", node);
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = pgs_query(p,
		      "SELECT holder, since, (extract(epoch FROM clock_timestamp() - renewed_at)"
		      " * 1000)::bigint FROM node_lease WHERE site = $1",
		      "t", site);
	if (!r)
		return -1;
	if (PQntuples(r) == 1) {
		snprintf(out->holder, sizeof(out->holder), "%s", pgs_col_text(r, 0, 0));
		out->since = pgs_col_int(r, 0, 1);
		out->age_ms = pgs_col_int(r, 0, 2);
	}
	PQclear(r);
	return 0;
}

int pgs_lease_release(struct gp_store *st, const char *site, const char *node)
{
	/* Backdated past its ttl rather than deleted: the row keeps who held
	 * it last, for `gprobe status`. */
	return pgs_run(pgs_of(st),
		       "UPDATE node_lease SET renewed_at = clock_timestamp() - ttl_ms *"
		       " interval '1 millisecond' - interval '1 second'"
		       " WHERE site = $1 AND holder = $2",
		       "tt", site, node) < 0 ? -1 : 0;
}

int pgs_node_list(struct gp_store *st, gp_node_fn fn, void *ctx)
{
	PGresult *r = pgs_query(
		pgs_of(st),
		"SELECT n.name, n.site, n.host, n.pid, n.started_at,"
		" (extract(epoch FROM clock_timestamp() - n.seen_at) * 1000)::bigint,"
		" coalesce(l.holder = n.name AND l.renewed_at >"
		"  clock_timestamp() - l.ttl_ms * interval '1 millisecond', false),"
		" l.since, (extract(epoch FROM clock_timestamp() - l.renewed_at) * 1000)::bigint,"
		" coalesce(k.holder = n.name AND k.renewed_at >"
		"  clock_timestamp() - k.ttl_ms * interval '1 millisecond', false)"
		" FROM node n LEFT JOIN node_lease l ON l.site = n.site"
		" LEFT JOIN node_lease k ON k.site = '*' ORDER BY n.site, n.name",
		"");
	if (!r)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		struct gp_node_info n = {
			.name = pgs_col_text(r, i, 0),
			.site = pgs_col_text(r, i, 1),
			.host = pgs_col_opt(r, i, 2),
			.pid = (long)pgs_col_int(r, i, 3),
			.started_at = pgs_col_int(r, i, 4),
			.seen_age_ms = pgs_col_int(r, i, 5),
			.active = !strcmp(pgs_col_text(r, i, 6), "t"),
			.lease_age_ms = pgs_col_int(r, i, 8),
			.ledger = !strcmp(pgs_col_text(r, i, 9), "t"),
		};
		n.since = n.active ? pgs_col_int(r, i, 7) : n.started_at;
		rc = fn(ctx, &n);
	}
	PQclear(r);
	return rc < 0 ? rc : 0;
}
