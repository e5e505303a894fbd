/*
 * nodes.c - the probe pair's lease on the sqlite backend: there is no
 * pair on a file only one host opens, so the one node always holds its
 * lease and no node is listed (a probe alone; `gprobe status` then shows
 * no nodes).
 */
#include "sqlite.h"

#include <stdio.h>
#include <string.h>

int sq_lease_renew(struct gp_store *st, const char *site, const char *node, int64_t ttl_ms,
		   const char *host, long pid, int64_t started_at, struct gp_lease *out)
{
	(void)st, (void)site, (void)ttl_ms, (void)host, (void)pid;
	memset(out, 0, sizeof(*out));
	out->held = true;
	out->since = started_at;
	snprintf(out->holder, sizeof(out->holder), "%s", node ? node : "");
	return 0;
}

int sq_lease_release(struct gp_store *st, const char *site, const char *node)
{
	(void)st, (void)site, (void)node;
	return 0;
}

int sq_node_list(struct gp_store *st, gp_node_fn fn, void *ctx)
{
	(void)st, (void)fn, (void)ctx;
	return 0;
}
