/*
 * tcp.c - the `tcp_connect` collector: a non-blocking connect to the
 * target's port; the value is the connect time in milliseconds.
 *
 * Every Genesys server listens on a TCP port (Configuration Server, Stat
 * Server, OCS, SCS, Message Server, LCA on 4999), so this is the most
 * universal availability check. It is also the smallest complete example
 * of the collector ABI: many connects in flight, one thread, the plugin
 * enforcing each request's timeout.
 */
#include "collector.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct tcp_check {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char where[300]; /* "host:port" for messages */
	int port;
	int64_t timeout_us;
};

struct tcp_req {
	uint64_t id;
	struct tcp_check *check;
	int fd;
	int64_t started_us, deadline_us;
};

struct tcp_inst {
	const struct gp_host_api *host;
	struct tcp_req *reqs;
	size_t n, cap;
};

static void *tcp_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct tcp_inst *in = calloc(1, sizeof(*in));
	if (in)
		in->host = host;
	return in;
}

static void *tcp_check_new(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen)
{
	(void)inst;
	char *end;
	long port = strtol(spec->arg ? spec->arg : "", &end, 10);
	if (!spec->arg || *end || port < 1 || port > 65535) {
		snprintf(err, errlen, "'%s' is not a TCP port", spec->arg ? spec->arg : "");
		return NULL;
	}
	/* Numeric addresses resolve without the network; a name is resolved
	 * once here, at configuration, never on the polling path. */
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%ld", port);
	int rc = getaddrinfo(spec->host, portstr, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = 0;
		rc = getaddrinfo(spec->host, portstr, &hints, &res);
	}
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", spec->host, gai_strerror(rc));
		return NULL;
	}
	struct tcp_check *c = calloc(1, sizeof(*c));
	if (!c) {
		freeaddrinfo(res);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	c->port = (int)port;
	c->timeout_us = spec->timeout_ms * 1000;
	snprintf(c->where, sizeof(c->where), "%s:%ld", spec->host, port);
	return c;
}

static void finish(struct tcp_inst *in, struct tcp_req *r, int error)
{
	const struct tcp_check *c = r->check;
	int64_t now = in->host->now_us(in->host->ctx);
	double ms = (double)(now - r->started_us) / 1000.0;
	char msg[400], req[340], text[32];
	struct gp_result res = {.request = req};
	snprintf(req, sizeof(req), "TCP connect to %s", c->where);
	if (error == 0) {
		snprintf(text, sizeof(text), "%.3f", ms);
		snprintf(msg, sizeof(msg), "connected to %s in %.3f ms", c->where, ms);
		res.state = GP_STATE_OK;
		res.text = text;
		res.has_value = true;
		res.value = ms;
	} else if (error == ETIMEDOUT) {
		snprintf(msg, sizeof(msg), "connect to %s timed out after %lld ms", c->where,
			 (long long)(c->timeout_us / 1000));
		res.state = GP_STATE_CRITICAL;
		res.hint = "the host does not answer on this port: host down, or a firewall drops "
			   "the packets";
	} else {
		snprintf(msg, sizeof(msg), "connect to %s failed: %s", c->where, strerror(error));
		res.state = GP_STATE_CRITICAL;
		if (error == ECONNREFUSED)
			res.hint = "nothing listens on this port: is the component running? "
				   "(check its LCA on port 4999 and the Solution Control Server)";
		else if (error == EHOSTUNREACH || error == ENETUNREACH)
			res.hint = "no route to the host: check the network path from the probe";
	}
	res.message = msg;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	in->host->complete(in->host->ctx, r->id, &res);
}

static int tcp_start(void *inst, void *check, uint64_t id)
{
	struct tcp_inst *in = inst;
	struct tcp_check *c = check;
	struct tcp_req r = {.id = id, .check = c, .fd = -1};
	r.started_us = in->host->now_us(in->host->ctx);
	r.deadline_us = r.started_us + c->timeout_us;

	r.fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r.fd < 0) {
		finish(in, &r, errno);
		return 0;
	}
	if (connect(r.fd, (struct sockaddr *)&c->addr, c->addrlen) == 0) {
		finish(in, &r, 0);
		return 0;
	}
	if (errno != EINPROGRESS) {
		finish(in, &r, errno);
		return 0;
	}
	if (in->n == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 16;
		struct tcp_req *v = realloc(in->reqs, nc * sizeof(*v));
		if (!v) {
			close(r.fd);
			return -1;
		}
		in->reqs = v;
		in->cap = nc;
	}
	in->reqs[in->n++] = r;
	return 0;
}

static int tcp_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct tcp_inst *in = inst;
	int64_t now = in->host->now_us(in->host->ctx);
	int64_t wait = -1;
	for (size_t i = 0; i < in->n; i++) {
		if ((int)i < max)
			fds[i] = (struct gp_pollfd){.fd = in->reqs[i].fd, .events = POLLOUT};
		int64_t left = in->reqs[i].deadline_us - now;
		int64_t left_ms = left <= 0 ? 0 : (left + 999) / 1000;
		if (wait < 0 || left_ms < wait)
			wait = left_ms;
	}
	*timeout_ms = wait;
	return (int)in->n;
}

static void tcp_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct tcp_inst *in = inst;
	int64_t now = in->host->now_us(in->host->ctx);
	/* Requests started during complete() callbacks are appended after
	 * `n`; only the ones that existed when poll_fds() ran are looked at. */
	size_t i = 0;
	while (i < in->n) {
		struct tcp_req *r = &in->reqs[i];
		short rev = 0;
		for (int k = 0; k < nfds; k++)
			if (fds[k].fd == r->fd)
				rev = fds[k].revents;
		int error = -1;
		if (rev) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
				soerr = errno;
			error = soerr;
		} else if (now >= r->deadline_us) {
			error = ETIMEDOUT;
		}
		if (error < 0) {
			i++;
			continue;
		}
		struct tcp_req done = *r;
		in->reqs[i] = in->reqs[--in->n];
		finish(in, &done, error);
	}
}

static void tcp_check_free(void *inst, void *check)
{
	(void)inst;
	free(check);
}

static void tcp_fini(void *inst)
{
	struct tcp_inst *in = inst;
	for (size_t i = 0; i < in->n; i++)
		if (in->reqs[i].fd >= 0)
			close(in->reqs[i].fd);
	free(in->reqs);
	free(in);
}

/* What a config may say to this collector: the port, nothing more. */
static const struct gp_kind_decl tcp_kinds[] = {
	{.name = "tcp_connect",
	 .arg = {.name = "port", .type = GP_OPT_INTEGER, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .min = 1, .max = 65535, .doc = "TCP port on the target's host"},
	 .uom = "ms",
	 .doc = "connects; the value is the connect time in ms"},
	{0},
};

static const struct gp_collector tcp_collector = {
	.abi_version = GP_COLLECTOR_ABI_VERSION,
	.name = "tcp",
	.kinds = tcp_kinds,

	.init = tcp_init,
	.check_new = tcp_check_new,
	.start = tcp_start,
	.poll_fds = tcp_poll_fds,
	.dispatch = tcp_dispatch,
	.check_free = tcp_check_free,
	.fini = tcp_fini,
};

GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
{
	return &tcp_collector;
}
