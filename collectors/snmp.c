/*
 * snmp.c - the `snmp_get` and `snmp_walk` collector (net-snmp).
 *
 * One net-snmp session per target ("peer"), opened on first use and kept.
 * Everything is asynchronous through net-snmp's single-session API, so
 * tens of thousands of targets, some never answering, share one thread.
 *
 * Sockets are shared: a session's transport is this plugin's own (struct
 * ptransport), which sends on a shared non-blocking UDP socket to the
 * peer's address and receives what the plugin read for it. Up to
 * PEERS_PER_SOCKET peers share a socket, never two with the same address
 * and port (two targets behind one agent are common), so a datagram's
 * source names its peer; the host polls the shared sockets, the plugin
 * reads them (at most RECV_PER_TURN datagrams a socket a turn, so a flood
 * cannot hold the loop), and hands each datagram to its peer's session.
 * A datagram from an unknown source is dropped and counted. Timeouts and
 * retransmissions stay net-snmp's, per session.
 *
 *   snmp_get   the GETs of one target started together go out as one PDU
 *              (up to MAX_VARBINDS), with sysUpTime.0 added: the agent's
 *              uptime is the time base of counter rates and tells an agent
 *              restart from a counter wrap.
 *   snmp_walk  a table column read with GETBULK (GETNEXT for v1); the value
 *              is the number of rows whose value matches `match` (POSIX
 *              ERE), every row without it.
 *
 * SNMPv3: net-snmp discovers an agent's engine ID with a blocking probe
 * inside snmp_sess_open(). We never let it: the session is opened with
 * SNMP_FLAGS_DONT_PROBE, the discovery request is sent asynchronously like
 * any other, and once the agent's report names its engine ID the session
 * is reopened with it (which localizes the keys without a probe).
 *
 * Numeric OIDs only: no MIB is loaded, no config file read, nothing
 * persisted by net-snmp. In a one-shot check_genesys run, init_snmp()
 * (USM, OpenSSL's random generator, the MIB tree) runs only when the
 * first v3 target appears: v1 and v2c need none of it (library_v3()); a
 * long-running process does it at the plugin's start, before its other
 * threads (snmp_init()).
 */
#include "collector.h"
#include "text.h"
#include "counter_rate.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_VARBINDS 32      /* GETs per PDU (plus sysUpTime.0) */
#define BULK_REPETITIONS 25  /* rows per GETBULK */
#define MAX_WALK_ROWS 100000 /* a table longer than this is an error */
#define TEXT_MAX 1024        /* a value's text is cut here */

#define PEERS_PER_SOCKET 128        /* peers sharing one UDP socket */
#define RECV_PER_TURN 256           /* datagrams read from a socket per dispatch() */
#define SOCKET_BUFFER (1 << 20)     /* SO_RCVBUF/SO_SNDBUF asked (the kernel caps it) */
#define DATAGRAM_MAX 65536          /* the largest UDP datagram, and more */
#define DROP_LOG_EVERY_US (60 * 1000000LL)

/* transportDomainUdpIpv4 and transportDomainUdpIpv6 (RFC 3419), as
 * net-snmp's own UDP transports name theirs. */
static const oid UDP4_DOMAIN[] = {1, 3, 6, 1, 6, 1, 1};
static const oid UDP6_DOMAIN[] = {1, 3, 6, 1, 2, 1, 100, 1, 2};

static const oid SYS_UPTIME[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};

/* ------------------------------------------------------------------ */
/* An intrusive hash table: set-up and reload cost one lookup a check,
 * whatever the estate's size. A node is embedded in what it indexes. */

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htable {
	struct hnode **b;
	size_t cap, n; /* cap: a power of two, or 0 */
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#define FNV_BASIS 14695981039346656037ULL

static void ht_insert(struct htable *t, struct hnode *n, uint64_t hash)
{
	if (t->n + 1 > t->cap / 4 * 3) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct hnode **nb = calloc(nc, sizeof(*nb));
		if (!nb)
			abort();
		for (size_t i = 0; i < t->cap; i++) {
			for (struct hnode *e = t->b[i], *next; e; e = next) {
				next = e->next;
				e->next = nb[e->hash & (nc - 1)];
				nb[e->hash & (nc - 1)] = e;
			}
		}
		free(t->b);
		t->b = nb;
		t->cap = nc;
	}
	n->hash = hash;
	n->next = t->b[hash & (t->cap - 1)];
	t->b[hash & (t->cap - 1)] = n;
	t->n++;
}

static void ht_remove(struct htable *t, struct hnode *n)
{
	if (!t->cap)
		return;
	for (struct hnode **e = &t->b[n->hash & (t->cap - 1)]; *e; e = &(*e)->next) {
		if (*e == n) {
			*e = n->next;
			n->next = NULL;
			t->n--;
			return;
		}
	}
}

/* The chain where hash lives: walk it with ->next, comparing ->hash. */
static struct hnode *ht_chain(const struct htable *t, uint64_t hash)
{
	return t->cap ? t->b[hash & (t->cap - 1)] : NULL;
}

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define SILENT_HINT                                                                       \
	"check the host is up, the community or v3 user, the agent's access rules "            \
	"(rocommunity/rouser) and any firewall on UDP to the port"

struct peer;

/* An OID as text: at most MAX_OID_LEN numbers of 10 digits and a dot. */
#define OID_TEXT_MAX (MAX_OID_LEN * 11 + 1)

/* A check lives as long as the config, one per configured check: its OID
 * and text are sized to fit (they follow the struct in its allocation),
 * not MAX_OID_LEN's 2.4 KB. */
struct snmp_check {
	struct peer *peer;
	bool walk;
	oid *name;
	size_t name_len;
	char *oid_text;
	regex_t re;
	bool has_re;
	char *match;
	int64_t timeout_us;
	struct gp_counter_prev prev; /* of a counter, for its rate */
};

/* Where a walk is: only a walk's request has one. */
struct walk {
	oid cur[MAX_OID_LEN];
	size_t cur_len;
	long rows, matched;
	char sample[200]; /* the first matching values, for the message */
};

struct req {
	uint64_t id;
	struct snmp_check *check;
	int64_t started_us, deadline_us;
	bool solo;      /* send alone (after a tooBig) */
	struct walk *w; /* NULL for a GET */
};

/* A request waiting for the peer to be ready, or to be batched. */
struct queue {
	struct req **v;
	size_t n, cap;
};

/* One PDU in flight: the requests it answers. */
struct inflight {
	struct peer *peer;
	struct req *reqs[MAX_VARBINDS];
	size_t n;
	bool walk;
	bool discovery;
	bool has_uptime; /* the last varbind asked for sysUpTime.0 */
	bool in_send;    /* inside snmp_sess_async_send(): its return decides */
};

enum peer_state { PEER_CLOSED, PEER_DISCOVERING, PEER_READY };

struct snmp_inst;

/* A UDP socket shared by peers of one address family. */
struct usock {
	int fd;
	int family;
	size_t n_peers;
	size_t idx; /* in inst->socks */
	/* The last datagram from an unknown source, for the message of a
	 * request that times out meanwhile. */
	struct sockaddr_storage stray_from;
	int64_t stray_us;
};

/* A peer's net-snmp transport. */
struct ptransport {
	netsnmp_transport t; /* first: netsnmp_transport_free() frees this pointer */
	struct peer *peer;
	const void *pkt; /* the datagram handed to the session, until it reads it */
	size_t pkt_len;
};

struct peer {
	struct snmp_inst *inst;
	char *target;
	struct hnode by_name; /* in inst->peers, by target */
	char where[300]; /* host:port */
	netsnmp_session tmpl; /* what to open */
	char *peername, *community, *user, *context;
	void *sess;
	struct ptransport *tr; /* the session's transport, while it is open */
	struct usock *sock;    /* while the session is open */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct hnode by_addr;  /* in inst->by_addr, by socket and address */
	bool touched;          /* in inst->touched */
	enum peer_state state;
	u_char engine_id[SNMP_MAX_ENG_SIZE];
	size_t engine_id_len;
	bool reopen;          /* discovery done: reopen with the engine ID */
	bool no_uptime;       /* a v1 agent refused sysUpTime.0: GETs go without it */
	char *open_error;     /* why the peer cannot be used */
	struct queue pending; /* not yet sent */
	size_t n_inflight;
	int refs;
	int64_t timeout_us;
	int retries;
	/* When net-snmp next needs this session (a retransmission or a
	 * timeout), asked of it only after something happened to it;
	 * INT64_MAX when nothing is outstanding. Idle peers cost nothing. */
	int64_t next_event_us;
	bool dirty;           /* in inst->dirty: has requests to send */
	bool active;          /* in inst->active: something outstanding */
	size_t active_idx;    /* its place in that heap */
};

struct snmp_inst {
	const struct gp_host_api *host;
	struct htable peers; /* target name -> peer */
	/* Peers with requests to send, and peers with requests outstanding:
	 * a turn of the loop costs what is going on, not the estate's size. */
	struct peer **dirty, **active;
	size_t n_dirty, cap_dirty, n_active, cap_active;
	/* The shared sockets, and the peers on them by address. */
	struct usock **socks;
	size_t n_socks, cap_socks;
	struct htable by_addr;
	/* The sockets the last poll_fds() handed out, in order: dispatch()
	 * gets the same descriptors back (NULL: closed since). */
	struct usock **polled;
	size_t n_polled, cap_polled;
	/* The peers something happened to in this dispatch(). */
	struct peer **touched;
	size_t n_touched, cap_touched;
	unsigned char *rbuf; /* DATAGRAM_MAX bytes */
	/* Datagrams from unknown sources dropped, sends the kernel refused
	 * for want of buffer (lost like any datagram), and when last logged. */
	unsigned long strays, send_drops, strays_logged, send_drops_logged;
	int64_t drops_logged_us;
	/* Reused descriptor sets (a session's socket may be above
	 * FD_SETSIZE, and growing a set allocates). */
	netsnmp_large_fd_set info_set, read_set;
	/* SNMPv3 keys (Ku) by auth protocol and password digest: a password
	 * is hashed into its key once, whatever the number of targets. */
	struct htable keys;
};

/* net-snmp is initialised once per process; it keeps its own globals.
 *
 * In two steps. v1 and v2c need none of init_snmp(): a session's
 * defaults come from snmp_sess_init(), its transport is ours, a PDU is
 * built and parsed with the community alone, callbacks and containers
 * set themselves up on first use. What init_snmp() does beyond that is
 * for SNMPv3 (the USM security model, OpenSSL's random generator, the
 * engine ID, the noName user) or for names (the MIB tree, the scan of
 * every file in the MIB directories): most of the library's cost in a
 * one-shot run. So init_snmp() runs when the first v3 target appears,
 * whatever v1/v2c sessions are open then, and never in a process that
 * has none. */
static bool library_base_ready; /* the settings, no init_snmp() */
static bool library_ready;      /* init_snmp(): USM, for v3 */
static bool library_usm;        /* USM is there, after init_snmp() */

static void library_base(void)
{
	if (library_base_ready)
		return;
	/* Numeric OIDs only: no MIBs, no config files, no persistent
	 * state written on the probe's host. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	/* net-snmp logs nothing of ours: without a handler it would turn
	 * stderr logging on at its first message. */
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_DEBUG);
	library_base_ready = true;
}

/* The whole library, for SNMPv3; false if net-snmp has no USM. */
static bool library_v3(void)
{
	if (library_ready)
		return library_usm;
	library_base();
	/* No MIB directory (nothing scanned) and an empty MIBS list, net-snmp's
	 * own way (snmpcmd -m "") to load no MIB module (without it, the
	 * default modules are looked for in vain, at some milliseconds); the
	 * caller's MIBS is put back after. */
	netsnmp_set_mib_directory("");
	const char *old = getenv("MIBS");
	char *saved = old ? strdup(old) : NULL;
	setenv("MIBS", "", 1);
	init_snmp("gprobe");
	snmp_disable_log();
	if (saved) {
		setenv("MIBS", saved, 1);
		free(saved);
	} else {
		unsetenv("MIBS");
	}
	library_ready = true;
	library_usm = find_sec_mod(SNMP_SEC_MODEL_USM) != NULL;
	return library_usm;
}

static int64_t now_us(struct snmp_inst *in)
{
	return in->host->now_us(in->host->ctx);
}

static void q_push(struct queue *q, struct req *r)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 16;
		struct req **v = realloc(q->v, nc * sizeof(*v));
		if (!v)
			abort();
		q->v = v;
		q->cap = nc;
	}
	q->v[q->n++] = r;
}

/* Room for one more pointer in *v (any array of pointers). */
static void grow_ptrs_any(void **v, size_t *cap, size_t n)
{
	if (n < *cap)
		return;
	size_t nc = *cap ? *cap * 2 : 64;
	void *nv = realloc(*v, nc * sizeof(void *));
	if (!nv)
		abort();
	*v = nv;
	*cap = nc;
}

static void grow_ptrs(struct peer ***v, size_t *cap, size_t n)
{
	grow_ptrs_any((void **)v, cap, n);
}

/* Adds p to a list of peers once; *member says it is in. */
static void peer_list_add(struct peer ***v, size_t *n, size_t *cap, bool *member, struct peer *p)
{
	if (*member)
		return;
	grow_ptrs(v, cap, *n);
	(*v)[(*n)++] = p;
	*member = true;
}

/* A request was queued on p: poll_fds() sends it. */
static void mark_dirty(struct snmp_inst *in, struct peer *p)
{
	peer_list_add(&in->dirty, &in->n_dirty, &in->cap_dirty, &p->dirty, p);
}

/*
 * The peers with something outstanding, in a binary min-heap on
 * next_event_us: a turn asks the earliest for its wait and wakes only the
 * peers that are due, whatever the number outstanding. (With black-holed
 * targets hundreds wait on their timeouts; visiting each of them twice a
 * turn was a sixth of the daemon's CPU.)
 */
static bool active_before(const struct peer *a, const struct peer *b)
{
	return a->next_event_us < b->next_event_us;
}

static void active_place(struct snmp_inst *in, struct peer *p, size_t i)
{
	in->active[i] = p;
	p->active_idx = i;
}

static void active_sift(struct snmp_inst *in, size_t i)
{
	struct peer *p = in->active[i];
	while (i > 0 && active_before(p, in->active[(i - 1) / 2])) {
		active_place(in, in->active[(i - 1) / 2], i);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= in->n_active)
			break;
		if (c + 1 < in->n_active && active_before(in->active[c + 1], in->active[c]))
			c++;
		if (!active_before(in->active[c], p))
			break;
		active_place(in, in->active[c], i);
		i = c;
	}
	active_place(in, p, i);
}

/* p's next_event_us changed: in the heap at its place, or out of it
 * (INT64_MAX: nothing outstanding, or the peer going away). */
static void set_active(struct snmp_inst *in, struct peer *p)
{
	bool on = p->next_event_us != INT64_MAX;
	if (on && !p->active) {
		grow_ptrs(&in->active, &in->cap_active, in->n_active);
		active_place(in, p, in->n_active++);
		p->active = true;
		active_sift(in, p->active_idx);
	} else if (on) {
		active_sift(in, p->active_idx);
	} else if (p->active) {
		size_t i = p->active_idx;
		struct peer *last = in->active[--in->n_active];
		p->active = false;
		if (last != p) {
			active_place(in, last, i);
			active_sift(in, i);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static void oid_to_text(const oid *o, size_t len, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < len && off + 12 < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%lu", i ? "." : "", (unsigned long)o[i]);
}

static void finish(struct snmp_inst *in, struct req *r, struct gp_result *res)
{
	char request[OID_TEXT_MAX + 340];
	snprintf(request, sizeof(request), "%s %s from %s", r->check->walk ? "WALK" : "GET",
		 r->check->oid_text, r->check->peer->where);
	if (!res->request)
		res->request = request;
	in->host->complete(in->host->ctx, r->id, res);
	free(r->w);
	free(r);
}

static void fail(struct snmp_inst *in, struct req *r, enum gp_state st, const char *hint,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail(struct snmp_inst *in, struct req *r, enum gp_state st, const char *hint,
		 const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gp_text_clean(msg);
	struct gp_result res = {.state = st, .message = msg, .hint = hint};
	finish(in, r, &res);
}

static const char *exception_name(u_char type)
{
	switch (type) {
	case SNMP_NOSUCHOBJECT:
		return "noSuchObject: the agent has no such object (is the OID right, and is this "
		       "agent serving that MIB?)";
	case SNMP_NOSUCHINSTANCE:
		return "noSuchInstance: the object exists but not this instance (a wrong index, "
		       "e.g. the DBID?)";
	case SNMP_ENDOFMIBVIEW:
		return "endOfMibView: nothing at or after this OID in the agent's view";
	default:
		return NULL;
	}
}

static void put_char(char *buf, size_t size, size_t *off, char c)
{
	if (*off + 1 < size)
		buf[(*off)++] = c;
	buf[*off] = '\0';
}

/*
 * An Opaque float or double (UCD's laLoadFloat) as text: the fewest
 * significant digits that read back to the same float or double, in plain
 * decimal notation, never an exponent (Nagios and Icinga read none); an
 * integer below 2^24 (float) or 2^53 (double) exactly. The rule of the
 * probe's gp_format_number() (probe/base/util.c, which a plugin cannot
 * link), at the precision the agent sent: 3.1415927, not 3.14159 nor
 * 3.1415927410125732. NaN and infinities are "NaN", "Inf", "-Inf" and
 * have no numeric value: returns whether v is a number.
 */
static bool real_text(double v, bool single, char *buf, size_t size)
{
	if (isnan(v) || isinf(v)) {
		snprintf(buf, size, isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf");
		return false;
	}
	double exact = single ? 16777216.0 : 9007199254740992.0;
	if (fabs(v) < exact && v == (double)(int64_t)v) {
		snprintf(buf, size, "%lld", (long long)v); /* -0 too is "0" */
		return true;
	}
	char e[64];
	for (int prec = 1; prec <= (single ? 9 : 17); prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (single ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
			break;
	}
	/* e is "[-]d.ddde[+-]x": its digits, and the point moved by x. */
	char digits[24];
	size_t nd = 0, off = 0;
	const char *q = e + (e[0] == '-');
	for (; *q && *q != 'e'; q++)
		if (isdigit((unsigned char)*q) && nd < sizeof(digits))
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	long point = (*q ? strtol(q + 1, NULL, 10) : 0) + 1; /* digits before the point */
	buf[0] = '\0';
	if (e[0] == '-')
		put_char(buf, size, &off, '-');
	if (point <= 0) {
		put_char(buf, size, &off, '0');
		put_char(buf, size, &off, '.');
		for (long i = 0; i < -point; i++)
			put_char(buf, size, &off, '0');
		for (size_t i = 0; i < nd; i++)
			put_char(buf, size, &off, digits[i]);
	} else {
		for (long i = 0; i < point || i < (long)nd; i++) {
			if (i == point)
				put_char(buf, size, &off, '.');
			put_char(buf, size, &off, i < (long)nd ? digits[i] : '0');
		}
	}
	return true;
}

/* Text and number of a varbind's value. Returns false for values that are
 * not data (exceptions, NULL). Counters are flagged. */
static bool value_of(const netsnmp_variable_list *vb, char *text, size_t size, bool *numeric,
		     double *num, bool *counter, uint64_t *raw)
{
	*numeric = false;
	*counter = false;
	*raw = 0;
	switch (vb->type) {
	case ASN_INTEGER:
		snprintf(text, size, "%ld", *vb->val.integer);
		*numeric = true;
		*num = (double)*vb->val.integer;
		return true;
	case ASN_GAUGE:
	case ASN_UINTEGER:
		snprintf(text, size, "%lu", (unsigned long)(*vb->val.integer & 0xffffffffUL));
		*numeric = true;
		*num = (double)(*vb->val.integer & 0xffffffffUL);
		return true;
	case ASN_TIMETICKS: {
		unsigned long t = (unsigned long)(*vb->val.integer & 0xffffffffUL);
		snprintf(text, size, "%lu", t);
		*numeric = true;
		*num = (double)t;
		return true;
	}
	case ASN_COUNTER:
		*raw = (uint64_t)(*vb->val.integer & 0xffffffffUL);
		snprintf(text, size, "%llu", (unsigned long long)*raw);
		*counter = true;
		return true;
	case ASN_COUNTER64:
		*raw = ((uint64_t)vb->val.counter64->high << 32) | (vb->val.counter64->low & 0xffffffffUL);
		snprintf(text, size, "%llu", (unsigned long long)*raw);
		*counter = true;
		return true;
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_FLOAT:
		*num = (double)*vb->val.floatVal;
		*numeric = real_text(*num, true, text, size);
		return true;
	case ASN_OPAQUE_DOUBLE:
		*num = *vb->val.doubleVal;
		*numeric = real_text(*num, false, text, size);
		return true;
#endif
	case ASN_IPADDRESS:
		if (vb->val_len != 4)
			snprintf(text, size, "(an IpAddress of %zu bytes)", vb->val_len);
		else
			snprintf(text, size, "%u.%u.%u.%u", vb->val.string[0], vb->val.string[1],
				 vb->val.string[2], vb->val.string[3]);
		return true;
	case ASN_OBJECT_ID:
		oid_to_text(vb->val.objid, vb->val_len / sizeof(oid), text, size);
		return true;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
	case ASN_BIT_STR: {
		bool printable = gp_octets_text(vb->val.string, vb->val_len,
						vb->type == ASN_OCTET_STR, text, size);
		gp_text_clean(text);
		/* A number in a string (UCD's laLoad "0.15") is a number; "nan"
		 * or "inf" is not one (no NaN reaches perfdata or JSON). */
		char *end;
		errno = 0;
		double d = strtod(text, &end);
		if (printable && text[0] && end != text && *end == '\0' && errno == 0 && isfinite(d)) {
			*numeric = true;
			*num = d;
		}
		return true;
	}
	default:
		return false;
	}
}

/* A counter's result: its rate since the previous sample (counter_rate.h). */
static void counter_result(struct snmp_check *c, u_char type, uint64_t raw, bool have_uptime,
			   uint32_t uptime, struct gp_result *res, char *msg, size_t msgsize)
{
	res->state = GP_STATE_OK;
	res->is_counter = true;
	unsigned long long v = (unsigned long long)raw;
	if (!have_uptime) {
		snprintf(msg, msgsize, "counter %llu; the agent did not give sysUpTime, no rate", v);
		c->prev.have = false;
		return;
	}
	double rate = 0;
	uint64_t delta;
	uint32_t before = c->prev.uptime;
	switch (gp_counter_rate(&c->prev, type == ASN_COUNTER ? 32 : 64, raw, uptime, &rate, &delta)) {
	case GP_RATE_OK:
		res->has_value = true;
		res->value = rate;
		snprintf(msg, msgsize, "%.3f/s (counter %llu, +%llu in %.2f s of agent time)", rate, v,
			 (unsigned long long)delta, (uptime - before) / 100.0);
		break;
	case GP_RATE_FIRST:
		snprintf(msg, msgsize, "counter %llu: first sample, the rate follows from the next poll",
			 v);
		break;
	case GP_RATE_RESTART:
		snprintf(msg, msgsize, "counter %llu: the agent restarted; the rate starts over", v);
		break;
	case GP_RATE_RESET:
		snprintf(msg, msgsize, "counter %llu: the counter went back (reset); the rate starts over",
			 v);
		break;
	case GP_RATE_NO_TIME:
		snprintf(msg, msgsize, "counter %llu: no time passed on the agent since the last sample",
			 v);
		break;
	}
}

static void get_result(struct snmp_inst *in, struct req *r, const netsnmp_variable_list *vb,
		       bool have_uptime, uint32_t uptime)
{
	struct snmp_check *c = r->check;
	if (vb->name_length != c->name_len ||
	    snmp_oid_compare(vb->name, vb->name_length, c->name, c->name_len) != 0) {
		char got[OID_TEXT_MAX];
		oid_to_text(vb->name, vb->name_length, got, sizeof(got));
		fail(in, r, GP_STATE_CRITICAL, "the agent answers out of protocol: check its software",
		     "the agent answered %s for %s", got, c->oid_text);
		return;
	}
	const char *exc = exception_name(vb->type);
	if (exc) {
		fail(in, r, GP_STATE_CRITICAL,
		     vb->type == SNMP_NOSUCHINSTANCE
			     ? "for a Genesys OID, check the application's DBID in Configuration Server"
			     : "check the OID, and that the agent serves this MIB (for Genesys: the "
			       "SNMP master agent and SCS)",
		     "%s: %s", c->oid_text, exc);
		return;
	}
	char text[TEXT_MAX], msg[TEXT_MAX + OID_TEXT_MAX + 200];
	bool numeric, counter;
	double num = 0;
	uint64_t raw;
	if (!value_of(vb, text, sizeof(text), &numeric, &num, &counter, &raw)) {
		fail(in, r, GP_STATE_CRITICAL, NULL, "%s: the agent answered a value of type 0x%02x",
		     c->oid_text, vb->type);
		return;
	}
	struct gp_result res = {.state = GP_STATE_OK, .text = text, .message = msg};
	if (counter) {
		counter_result(c, vb->type, raw, have_uptime, uptime, &res, msg, sizeof(msg));
	} else {
		res.has_value = numeric;
		res.value = num;
		snprintf(msg, sizeof(msg), "%s = %s", c->oid_text, text);
	}
	finish(in, r, &res);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

static const struct {
	const char *name;
	const oid *proto;
	size_t len;
	const char *digest; /* OpenSSL's name of its hash, for derive_ku */
} auth_protos[] = {
	{"MD5", usmHMACMD5AuthProtocol, 10, "MD5"},
	{"SHA", usmHMACSHA1AuthProtocol, 10, "SHA1"},
	{"SHA-224", usmHMAC128SHA224AuthProtocol, 10, "SHA224"},
	{"SHA-256", usmHMAC192SHA256AuthProtocol, 10, "SHA256"},
	{"SHA-384", usmHMAC256SHA384AuthProtocol, 10, "SHA384"},
	{"SHA-512", usmHMAC384SHA512AuthProtocol, 10, "SHA512"},
};

static const struct {
	const char *name;
	const oid *proto;
	size_t len;
} priv_protos[] = {
	{"DES", usmDESPrivProtocol, 10},
	{"AES", usmAESPrivProtocol, 10},
	{"AES-192", usmAES192PrivProtocol, 9},
	{"AES-256", usmAES256PrivProtocol, 9},
};

static const char *opt(const struct gp_check_spec *s, const char *k, const char *dflt)
{
	const char *v = gp_spec_option(s, k);
	return v ? v : dflt;
}

/* A password's key (Ku) for an auth protocol, kept by the instance. The
 * password itself is not kept, only its SHA-256 digest to find the key. */
struct ku_entry {
	struct hnode node; /* in inst->keys */
	size_t proto;      /* index in auth_protos */
	u_char digest[32];
	u_char ku[USM_AUTH_KU_LEN];
	size_t ku_len;
};

/*
 * The key of a password (RFC 3414 A.2: a megabyte hashed, some
 * milliseconds of the one thread): derived once per protocol and password
 * in the instance. A priv key too is derived with the auth protocol's
 * hash, so a priv password that is also the auth password costs nothing
 * more, and targets sharing credentials share the work. Localising the
 * key to an agent's engine ID (a few hashes) stays net-snmp's.
 */
/* RFC 3414 A.2 (and RFC 7860 for SHA-2): Ku is the hash of the password
 * repeated to 1,048,576 bytes. Done here rather than by net-snmp's
 * generate_Ku, which hashes 64 bytes at a time with a division per byte
 * (a v3 one-shot spent half its CPU there, two keys of ~2.7 ms): a
 * buffer of whole passwords is the same bytes at every place in the
 * stream, so one 64 KB buffer is hashed over and over (a megabyte
 * allocated cost its page faults too). Tested against the agent: a wrong
 * key fails every v3 check. Out of line, so a test can count it
 * (test_snmp.py, gdb). */
#define KU_INPUT_LEN 1048576
#define KU_CHUNK 65536
#define KU_PASSWORD_MIN 8 /* USM_LENGTH_P_MIN: net-snmp refuses shorter ones */

static __attribute__((noinline)) bool derive_ku(size_t proto, const char *pass, u_char *ku,
						size_t *ku_len)
{
	size_t n = strlen(pass);
	if (n < KU_PASSWORD_MIN || n > KU_CHUNK)
		return false;
	const EVP_MD *md = EVP_get_digestbyname(auth_protos[proto].digest);
	if (!md || (size_t)EVP_MD_get_size(md) > *ku_len)
		return false;
	size_t chunk = KU_CHUNK / n * n;
	u_char *buf = malloc(chunk);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = buf && ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1;
	if (buf)
		for (size_t i = 0; i < chunk; i += n)
			memcpy(buf + i, pass, n);
	for (size_t left = KU_INPUT_LEN; ok && left;) {
		size_t k = left < chunk ? left : chunk;
		ok = EVP_DigestUpdate(ctx, buf, k) == 1;
		left -= k;
	}
	unsigned int len = 0;
	ok = ok && EVP_DigestFinal_ex(ctx, ku, &len) == 1;
	EVP_MD_CTX_free(ctx);
	if (buf)
		explicit_bzero(buf, chunk); /* it was the password, repeated */
	free(buf);
	if (ok)
		*ku_len = len;
	return ok;
}

static bool password_key(struct snmp_inst *in, size_t proto, const char *pass, u_char *ku,
			 size_t *ku_len)
{
	u_char digest[32] = {0};
	size_t dlen = sizeof(digest);
	if (sc_hash(usmHMAC192SHA256AuthProtocol, 10, (const u_char *)pass, strlen(pass), digest,
		    &dlen) != SNMPERR_SUCCESS)
		return false;
	uint64_t h = fnv1a(fnv1a(FNV_BASIS, &proto, sizeof(proto)), digest, sizeof(digest));
	for (struct hnode *e = ht_chain(&in->keys, h); e; e = e->next) {
		struct ku_entry *k = CONTAINER(e, struct ku_entry, node);
		if (e->hash == h && k->proto == proto && memcmp(k->digest, digest, sizeof(digest)) == 0) {
			if (k->ku_len > *ku_len)
				return false;
			memcpy(ku, k->ku, k->ku_len);
			*ku_len = k->ku_len;
			return true;
		}
	}
	struct ku_entry *k = calloc(1, sizeof(*k));
	if (!k)
		return false;
	k->proto = proto;
	memcpy(k->digest, digest, sizeof(digest));
	k->ku_len = sizeof(k->ku);
	if (!derive_ku(proto, pass, k->ku, &k->ku_len)) {
		free(k);
		return false;
	}
	ht_insert(&in->keys, &k->node, h);
	if (k->ku_len > *ku_len)
		return false;
	memcpy(ku, k->ku, k->ku_len);
	*ku_len = k->ku_len;
	return true;
}

static void keys_free(struct snmp_inst *in)
{
	for (size_t i = 0; i < in->keys.cap; i++) {
		for (struct hnode *e = in->keys.b[i], *next; e; e = next) {
			next = e->next;
			struct ku_entry *k = CONTAINER(e, struct ku_entry, node);
			memset(k, 0, sizeof(*k));
			free(k);
		}
	}
	free(in->keys.b);
	memset(&in->keys, 0, sizeof(in->keys));
}

/* Reads a password file and sets its key; false with the reason in err. */
static bool secret_key(struct snmp_inst *in, const char *path, size_t proto, const char *what,
		       u_char *ku, size_t *ku_len, char *err, size_t errlen)
{
	char *pass = in->host->read_secret(in->host->ctx, path, err, errlen);
	if (!pass)
		return false;
	bool ok = password_key(in, proto, pass, ku, ku_len);
	memset(pass, 0, strlen(pass));
	free(pass);
	if (!ok)
		snprintf(err, errlen, "cannot derive the %s key (a password of 8 or more characters "
				      "is required)", what);
	return ok;
}

/* Builds the session template of a target from its options. */
static struct peer *peer_new(struct snmp_inst *in, const struct gp_check_spec *spec, char *err,
			     size_t errlen)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->inst = in;
	p->next_event_us = INT64_MAX;
	p->target = strdup(spec->target);
	const char *port = opt(spec, "snmp.port", "161");
	const char *ver = opt(spec, "snmp.version", "2c");
	p->retries = atoi(opt(spec, "snmp.retries", "1"));
	snprintf(p->where, sizeof(p->where), "%s:%s", spec->host, port);
	size_t pl = strlen(spec->host) + strlen(port) + 16;
	p->peername = malloc(pl);
	/* An IPv6 literal needs brackets in a net-snmp peer name. */
	snprintf(p->peername, pl, strchr(spec->host, ':') ? "udp6:[%s]:%s" : "udp:%s:%s", spec->host,
		 port);

	netsnmp_session *s = &p->tmpl;
	snmp_sess_init(s);
	s->peername = p->peername;
	s->retries = p->retries;
	s->flags |= SNMP_FLAGS_DONT_PROBE;

	if (strcmp(ver, "3") != 0) {
		s->version = strcmp(ver, "1") == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
		const char *file = gp_spec_option(spec, "snmp.community_file");
		if (file)
			p->community = in->host->read_secret(in->host->ctx, file, err, errlen);
		else
			p->community = strdup(opt(spec, "snmp.community", "public"));
		if (!p->community)
			goto bad;
		s->community = (u_char *)p->community;
		s->community_len = strlen(p->community);
		return p;
	}

	if (!library_v3()) {
		snprintf(err, errlen, "SNMPv3 is not available (net-snmp without USM)");
		goto bad;
	}
	s->version = SNMP_VERSION_3;
	p->user = strdup(opt(spec, "snmp.user", ""));
	s->securityName = p->user;
	s->securityNameLen = strlen(p->user);
	p->context = strdup(opt(spec, "snmp.context", ""));
	s->contextName = p->context;
	s->contextNameLen = strlen(p->context);
	s->securityModel = SNMP_SEC_MODEL_USM;
	const char *lvl = opt(spec, "snmp.security_level", "authPriv");
	s->securityLevel = strcmp(lvl, "noAuthNoPriv") == 0 ? SNMP_SEC_LEVEL_NOAUTH
			   : strcmp(lvl, "authNoPriv") == 0 ? SNMP_SEC_LEVEL_AUTHNOPRIV
							    : SNMP_SEC_LEVEL_AUTHPRIV;
	size_t auth = 0;
	if (s->securityLevel >= SNMP_SEC_LEVEL_AUTHNOPRIV) {
		const char *an = opt(spec, "snmp.auth_protocol", "SHA");
		size_t i;
		for (i = 0; i < sizeof(auth_protos) / sizeof(auth_protos[0]); i++)
			if (strcmp(auth_protos[i].name, an) == 0)
				break;
		if (i == sizeof(auth_protos) / sizeof(auth_protos[0])) {
			snprintf(err, errlen, "unknown auth_protocol '%s'", an);
			goto bad;
		}
		s->securityAuthProto = snmp_duplicate_objid(auth_protos[i].proto, auth_protos[i].len);
		s->securityAuthProtoLen = auth_protos[i].len;
		auth = i;
		s->securityAuthKeyLen = sizeof(s->securityAuthKey);
		if (!secret_key(in, opt(spec, "snmp.auth_password_file", ""), auth, "auth",
				s->securityAuthKey, &s->securityAuthKeyLen, err, errlen))
			goto bad;
	}
	if (s->securityLevel == SNMP_SEC_LEVEL_AUTHPRIV) {
		const char *pn = opt(spec, "snmp.priv_protocol", "AES");
		size_t i;
		for (i = 0; i < sizeof(priv_protos) / sizeof(priv_protos[0]); i++)
			if (strcmp(priv_protos[i].name, pn) == 0)
				break;
		if (i == sizeof(priv_protos) / sizeof(priv_protos[0])) {
			snprintf(err, errlen, "unknown priv_protocol '%s'", pn);
			goto bad;
		}
		s->securityPrivProto = snmp_duplicate_objid(priv_protos[i].proto, priv_protos[i].len);
		s->securityPrivProtoLen = priv_protos[i].len;
		/* The priv key is derived with the auth protocol's hash. */
		s->securityPrivKeyLen = sizeof(s->securityPrivKey);
		if (!secret_key(in, opt(spec, "snmp.priv_password_file", ""), auth, "privacy",
				s->securityPrivKey, &s->securityPrivKeyLen, err, errlen))
			goto bad;
	}
	return p;
bad:
	free(p->target);
	free(p->peername);
	free(p->community);
	free(p->user);
	free(p->context);
	free(p->tmpl.securityAuthProto);
	free(p->tmpl.securityPrivProto);
	memset(&p->tmpl, 0, sizeof(p->tmpl));
	free(p);
	return NULL;
}

static int on_response(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic);
static bool send_pdu(struct peer *p, netsnmp_pdu *pdu, struct inflight *f);

/* ------------------------------------------------------------------ */
/* Shared sockets                                                      */

static const void *addr_bytes(const struct sockaddr *a, size_t *len)
{
	if (a->sa_family == AF_INET6) {
		*len = 16;
		return &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr;
	}
	*len = 4;
	return &((const struct sockaddr_in *)(const void *)a)->sin_addr;
}

static uint16_t addr_port(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)(const void *)a)->sin6_port
					: ((const struct sockaddr_in *)(const void *)a)->sin_port;
}

/* The same host: family and address (and an IPv6 scope). */
static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family || (a->sa_family != AF_INET && a->sa_family != AF_INET6))
		return false;
	size_t la, lb;
	const void *pa = addr_bytes(a, &la), *pb = addr_bytes(b, &lb);
	if (memcmp(pa, pb, la) != 0)
		return false;
	return a->sa_family != AF_INET6 ||
	       ((const struct sockaddr_in6 *)(const void *)a)->sin6_scope_id ==
		       ((const struct sockaddr_in6 *)(const void *)b)->sin6_scope_id;
}

static uint64_t addr_hash(const struct usock *s, const struct sockaddr *a)
{
	size_t len;
	const void *bytes = addr_bytes(a, &len);
	uint16_t port = addr_port(a);
	uint64_t h = fnv1a(FNV_BASIS, &s->fd, sizeof(s->fd));
	h = fnv1a(h, bytes, len);
	return fnv1a(h, &port, sizeof(port));
}

/* The peer at address a on socket s, or NULL. */
static struct peer *demux_find(struct snmp_inst *in, const struct usock *s, const struct sockaddr *a)
{
	uint64_t h = addr_hash(s, a);
	for (struct hnode *e = ht_chain(&in->by_addr, h); e; e = e->next) {
		struct peer *p = CONTAINER(e, struct peer, by_addr);
		if (e->hash == h && p->sock == s && addr_port((struct sockaddr *)&p->addr) == addr_port(a) &&
		    same_host((struct sockaddr *)&p->addr, a))
			return p;
	}
	return NULL;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const struct sockaddr *a = (const struct sockaddr *)ss;
	char host[INET6_ADDRSTRLEN] = "?";
	size_t len;
	inet_ntop(a->sa_family, addr_bytes(a, &len), host, sizeof(host));
	snprintf(buf, size, a->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 (unsigned)ntohs(addr_port(a)));
}

static struct usock *sock_new(struct snmp_inst *in, int family, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
		return NULL;
	}
	int on = 1, size = SOCKET_BUFFER;
	if (family == AF_INET6) /* no IPv4-mapped sources: one family a socket */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	struct usock *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->fd = fd;
	s->family = family;
	grow_ptrs_any((void **)&in->socks, &in->cap_socks, in->n_socks);
	s->idx = in->n_socks;
	in->socks[in->n_socks++] = s;
	return s;
}

static void sock_close(struct snmp_inst *in, struct usock *s)
{
	for (size_t i = 0; i < in->n_polled; i++)
		if (in->polled[i] == s)
			in->polled[i] = NULL;
	struct usock *last = in->socks[--in->n_socks];
	in->socks[s->idx] = last;
	last->idx = s->idx;
	close(s->fd);
	free(s);
}

/* A peer left s: the last one closes it. */
static void sock_release(struct snmp_inst *in, struct usock *s)
{
	if (--s->n_peers == 0)
		sock_close(in, s);
}

/* A socket of a's family with room and no peer at a: the newest first,
 * so filling one costs a lookup a peer. */
static struct usock *sock_for(struct snmp_inst *in, const struct sockaddr *a, char *err,
			      size_t errlen)
{
	for (size_t i = in->n_socks; i-- > 0;) {
		struct usock *s = in->socks[i];
		if (s->family == a->sa_family && s->n_peers < PEERS_PER_SOCKET && !demux_find(in, s, a))
			return s;
	}
	return sock_new(in, a->sa_family, err, errlen);
}

/* Resolves the peer's host (an IPv6 literal as IPv6, anything else as
 * IPv4, as net-snmp's "udp6:" and "udp:" did) and puts it on a socket. */
static bool peer_attach(struct peer *p, char *err, size_t errlen)
{
	struct snmp_inst *in = p->inst;
	const char *port = strrchr(p->where, ':') + 1;
	char host[sizeof(p->where)];
	snprintf(host, sizeof(host), "%.*s", (int)(port - 1 - p->where), p->where);
	struct addrinfo hints = {.ai_family = strchr(host, ':') ? AF_INET6 : AF_INET,
				 .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0 || !res || res->ai_addrlen > sizeof(p->addr)) {
		snprintf(err, errlen, "unknown host '%s' (%s)", host,
			 rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return false;
	}
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	struct usock *s = sock_for(in, (struct sockaddr *)&p->addr, err, errlen);
	if (!s)
		return false;
	p->sock = s;
	s->n_peers++;
	ht_insert(&in->by_addr, &p->by_addr, addr_hash(s, (struct sockaddr *)&p->addr));
	return true;
}

static void peer_detach(struct peer *p)
{
	if (!p->sock)
		return;
	ht_remove(&p->inst->by_addr, &p->by_addr);
	sock_release(p->inst, p->sock);
	p->sock = NULL;
}

/* The transport's calls, from inside net-snmp. */
static int tr_send(netsnmp_transport *t, const void *buf, int len, void **opaque, int *olen)
{
	(void)opaque;
	(void)olen;
	struct peer *p = ((struct ptransport *)t)->peer;
	ssize_t n = sendto(p->sock->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&p->addr, p->addrlen);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)) {
		/* No room in the socket's buffer: lost like any datagram, and
		 * retransmitted or timed out like one. Never a wait. */
		p->inst->send_drops++;
		return len;
	}
	return n < 0 ? -1 : (int)n;
}

static int tr_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen)
{
	struct ptransport *pt = (struct ptransport *)t;
	*opaque = NULL;
	*olen = 0;
	if (!pt->pkt || size <= 0) {
		t->flags |= NETSNMP_TRANSPORT_FLAG_EMPTY_PKT; /* nothing: not an error */
		return 0;
	}
	size_t n = pt->pkt_len < (size_t)size ? pt->pkt_len : (size_t)size;
	memcpy(buf, pt->pkt, n);
	pt->pkt = NULL;
	return (int)n;
}

static int tr_close(netsnmp_transport *t)
{
	(void)t; /* the socket is shared: sock_release() closes it */
	return 0;
}

static struct ptransport *transport_new(struct peer *p)
{
	struct ptransport *pt = calloc(1, sizeof(*pt));
	if (!pt)
		abort();
	bool v6 = p->addr.ss_family == AF_INET6;
	pt->t.domain = v6 ? UDP6_DOMAIN : UDP4_DOMAIN;
	pt->t.domain_length = v6 ? (int)(sizeof(UDP6_DOMAIN) / sizeof(oid))
				 : (int)(sizeof(UDP4_DOMAIN) / sizeof(oid));
	pt->t.sock = p->sock->fd;
	pt->t.flags = NETSNMP_TRANSPORT_FLAG_OPENED;
	pt->t.msgMaxSize = 0xffff - 8 - (v6 ? 40 : 20); /* as net-snmp's UDP transports */
	pt->t.f_recv = tr_recv;
	pt->t.f_send = tr_send;
	pt->t.f_close = tr_close;
	pt->peer = p;
	return pt;
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                 */

static void peer_close(struct peer *p)
{
	if (p->sess)
		snmp_sess_close(p->sess); /* frees the transport */
	p->sess = NULL;
	p->tr = NULL;
	peer_detach(p);
	p->state = PEER_CLOSED;
	p->next_event_us = INT64_MAX; /* nothing outstanding any more */
	set_active(p->inst, p);
}

static void set_open_error(struct peer *p, const char *why)
{
	free(p->open_error);
	p->open_error = strdup(why);
}

/* Opens the session: for v3 without an engine ID, a discovery session. */
static bool peer_open(struct peer *p)
{
	netsnmp_session s = p->tmpl;
	s.timeout = (long)(p->timeout_us / (p->retries + 1));
	s.callback = on_response;
	bool discover = p->tmpl.version == SNMP_VERSION_3 && p->engine_id_len == 0;
	if (discover) {
		/* RFC 3414 4: discovery goes unauthenticated, with no user. */
		s.securityName = (char *)"";
		s.securityNameLen = 0;
		s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		s.contextName = (char *)"";
		s.contextNameLen = 0;
	} else if (p->engine_id_len) {
		s.securityEngineID = p->engine_id;
		s.securityEngineIDLen = p->engine_id_len;
		s.contextEngineID = p->engine_id;
		s.contextEngineIDLen = p->engine_id_len;
	}
	char err[sizeof(p->where) + 200];
	if (!peer_attach(p, err, sizeof(err))) {
		set_open_error(p, err);
		return false;
	}
	struct ptransport *pt = transport_new(p);
	p->sess = snmp_sess_add(&s, &pt->t, NULL, NULL); /* on failure, it frees pt */
	if (!p->sess) {
		peer_detach(p);
		set_open_error(p, snmp_api_errstring(s.s_snmp_errno ? s.s_snmp_errno : snmp_errno));
		return false;
	}
	p->tr = pt;
	/* snmp_sess_add() clears the flag once open; without it, sending
	 * with an unknown engine ID would run the blocking probe. */
	snmp_sess_session(p->sess)->flags |= SNMP_FLAGS_DONT_PROBE;
	p->state = discover ? PEER_DISCOVERING : PEER_READY;
	if (discover) {
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
		pdu->version = SNMP_VERSION_3;
		pdu->securityModel = SNMP_SEC_MODEL_USM;
		pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		pdu->securityName = strdup("");
		pdu->securityNameLen = 0;
		struct inflight *f = calloc(1, sizeof(*f));
		f->peer = p;
		f->discovery = true;
		if (!send_pdu(p, pdu, f)) {
			free(f);
			peer_close(p);
			set_open_error(p, "cannot send the SNMPv3 discovery request");
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

/* Sends pdu with f as its callback's magic. On false, nothing is in
 * flight and the caller still owns f. */
static bool send_pdu(struct peer *p, netsnmp_pdu *pdu, struct inflight *f)
{
	/* A failed send may call the callback before it returns 0: the
	 * callback leaves f alone while in_send is set. */
	f->in_send = true;
	int ok = snmp_sess_async_send(p->sess, pdu, on_response, f);
	f->in_send = false;
	if (!ok) {
		snmp_free_pdu(pdu);
		return false;
	}
	p->n_inflight++;
	return true;
}

static void send_walk_step(struct snmp_inst *in, struct req *r)
{
	struct peer *p = r->check->peer;
	bool v1 = p->tmpl.version == SNMP_VERSION_1;
	netsnmp_pdu *pdu = snmp_pdu_create(v1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK);
	if (!v1) {
		pdu->non_repeaters = 0;
		pdu->max_repetitions = BULK_REPETITIONS;
	}
	snmp_add_null_var(pdu, r->w->cur, r->w->cur_len);
	struct inflight *f = calloc(1, sizeof(*f));
	f->peer = p;
	f->walk = true;
	f->reqs[0] = r;
	f->n = 1;
	if (!send_pdu(p, pdu, f)) {
		free(f);
		fail(in, r, GP_STATE_UNKNOWN, NULL, "cannot send to %s: %s", p->where,
		     snmp_api_errstring(snmp_errno));
	}
}

/* Sends what waits on a ready peer: GETs batched, walks one by one. */
static void flush_peer(struct snmp_inst *in, struct peer *p)
{
	if (p->pending.n == 0)
		return;
	if (p->state == PEER_CLOSED && !p->open_error && !peer_open(p)) {
		/* fall through: the requests fail below */
	}
	if (p->open_error && p->state == PEER_CLOSED) {
		for (size_t i = 0; i < p->pending.n; i++)
			fail(in, p->pending.v[i], GP_STATE_UNKNOWN,
			     "check the target's snmp: block (host, port, version)",
			     "cannot open an SNMP session to %s: %s", p->where, p->open_error);
		p->pending.n = 0;
		free(p->open_error);
		p->open_error = NULL;
		return;
	}
	if (p->state != PEER_READY)
		return; /* discovery under way */

	struct queue q = p->pending;
	memset(&p->pending, 0, sizeof(p->pending));
	struct inflight *f = NULL;
	netsnmp_pdu *pdu = NULL;
	for (size_t i = 0; i <= q.n; i++) {
		struct req *r = i < q.n ? q.v[i] : NULL;
		/* Close the PDU being built when it is full, when a request must
		 * go alone, or at the end. */
		if (pdu && (!r || f->n == MAX_VARBINDS || r->solo || r->check->walk)) {
			if (!p->no_uptime) {
				snmp_add_null_var(pdu, SYS_UPTIME, sizeof(SYS_UPTIME) / sizeof(oid));
				f->has_uptime = true;
			}
			if (!send_pdu(p, pdu, f)) {
				for (size_t k = 0; k < f->n; k++)
					fail(in, f->reqs[k], GP_STATE_UNKNOWN, NULL, "cannot send to %s: %s",
					     p->where, snmp_api_errstring(snmp_errno));
				free(f);
			}
			pdu = NULL;
			f = NULL;
		}
		if (!r)
			break;
		if (r->check->walk) {
			send_walk_step(in, r);
			continue;
		}
		if (!pdu) {
			pdu = snmp_pdu_create(SNMP_MSG_GET);
			f = calloc(1, sizeof(*f));
			f->peer = p;
		}
		snmp_add_null_var(pdu, r->check->name, r->check->name_len);
		f->reqs[f->n++] = r;
		if (r->solo) {
			/* Alone, and without sysUpTime: the smallest answer. */
			if (!send_pdu(p, pdu, f)) {
				fail(in, r, GP_STATE_UNKNOWN, NULL, "cannot send to %s", p->where);
				free(f);
			}
			pdu = NULL;
			f = NULL;
		}
	}
	free(q.v);
}

/* ------------------------------------------------------------------ */
/* Receiving (inside net-snmp: only record and complete)               */

static const char *report_reason(int type, const char **hint)
{
	*hint = "check user, auth_protocol, priv_protocol and both passwords against the agent's "
		"configuration";
	switch (type) {
	case SNMPERR_UNKNOWN_USER_NAME:
		return "the agent knows no such SNMPv3 user";
	case SNMPERR_AUTHENTICATION_FAILURE:
		return "SNMPv3 authentication failed (wrong auth password or protocol)";
	case SNMPERR_DECRYPTION_ERR:
		return "SNMPv3 decryption failed (wrong privacy password or protocol)";
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
		return "the agent does not allow this security level for the user";
	case SNMPERR_NOT_IN_TIME_WINDOW:
		return "SNMPv3 time window error that did not clear on retry";
	case SNMPERR_UNKNOWN_ENG_ID:
		return "the agent does not know the engine ID used";
	case SNMPERR_BAD_CONTEXT:
		*hint = "check the target's snmp: context against the agent's contexts (an empty "
			"context is the agent's default one)";
		return "the agent has no SNMPv3 context"; /* or it is unavailable */
	default:
		*hint = NULL;
		return "the agent answered with an SNMPv3 report";
	}
}

static void walk_response(struct snmp_inst *in, struct req *r, netsnmp_pdu *pdu)
{
	struct snmp_check *c = r->check;
	struct walk *w = r->w;
	bool done = false;
	/* SNMPv1 ends a walk at the end of the agent's view with noSuchName
	 * (echoing the OID asked, which is no row): the walk is complete, as
	 * snmpwalk -v1 takes it. Any other error-status fails the walk. */
	if (pdu->errstat == SNMP_ERR_NOSUCHNAME) {
		done = true;
	} else if (pdu->errstat != SNMP_ERR_NOERROR) {
		fail(in, r, GP_STATE_CRITICAL, NULL, "%s: the agent answered error-status %s (%ld)",
		     c->oid_text, snmp_errstring(pdu->errstat), pdu->errstat);
		return;
	}
	netsnmp_variable_list *vb;
	for (vb = done ? NULL : pdu->variables; vb && !done; vb = vb->next_variable) {
		if (vb->type == SNMP_ENDOFMIBVIEW || vb->type == SNMP_NOSUCHOBJECT ||
		    vb->type == SNMP_NOSUCHINSTANCE ||
		    vb->name_length <= c->name_len ||
		    snmp_oid_compare(vb->name, c->name_len, c->name, c->name_len) != 0) {
			done = true; /* past the column */
			break;
		}
		/* OIDs must increase, or a broken agent walks us in circles. */
		if (snmp_oid_compare(vb->name, vb->name_length, w->cur, w->cur_len) <= 0) {
			fail(in, r, GP_STATE_CRITICAL, "the agent's table is inconsistent: check its software",
			     "%s: the agent returned OIDs out of order", c->oid_text);
			return;
		}
		memcpy(w->cur, vb->name, vb->name_length * sizeof(oid));
		w->cur_len = vb->name_length;
		char text[TEXT_MAX];
		bool numeric, counter;
		double num;
		uint64_t raw;
		if (!value_of(vb, text, sizeof(text), &numeric, &num, &counter, &raw))
			text[0] = '\0';
		w->rows++;
		bool hit = !c->has_re || regexec(&c->re, text, 0, NULL, 0) == 0;
		if (hit) {
			w->matched++;
			size_t used = strlen(w->sample);
			if (w->matched <= 3 && used + strlen(text) + 3 < sizeof(w->sample)) {
				if (used)
					strcat(w->sample, ", ");
				strcat(w->sample, text);
			}
		}
		if (w->rows > MAX_WALK_ROWS) {
			fail(in, r, GP_STATE_CRITICAL, "narrow the OID to one table column",
			     "%s: more than %d rows", c->oid_text, MAX_WALK_ROWS);
			return;
		}
	}
	if (!pdu->variables)
		done = true;
	if (!done && now_us(in) >= r->deadline_us) {
		fail(in, r, GP_STATE_CRITICAL, NULL, "%s: the walk took longer than %lld ms (%ld rows)",
		     c->oid_text, (long long)(c->timeout_us / 1000), w->rows);
		return;
	}
	if (!done) {
		send_walk_step(in, r);
		return;
	}
	char text[32], msg[OID_TEXT_MAX + sizeof(w->sample) + 600];
	snprintf(text, sizeof(text), "%ld", w->matched);
	if (c->has_re)
		snprintf(msg, sizeof(msg), "%ld of %ld rows of %s match '%s'%s%s%s", w->matched, w->rows,
			 c->oid_text, c->match, w->matched ? " (" : "", w->sample,
			 w->matched ? (w->matched > 3 ? ", ...)" : ")") : "");
	else
		snprintf(msg, sizeof(msg), "%ld rows under %s", w->rows, c->oid_text);
	gp_text_clean(msg);
	struct gp_result res = {.state = GP_STATE_OK, .text = text, .has_value = true,
				.value = (double)w->matched, .message = msg};
	finish(in, r, &res);
}

static void get_response(struct snmp_inst *in, struct inflight *f, netsnmp_pdu *pdu)
{
	struct peer *p = f->peer;
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		long idx = pdu->errindex; /* 1-based varbind */
		if (pdu->errstat == SNMP_ERR_TOOBIG && f->n > 1) {
			/* Ask again one by one. */
			for (size_t k = 0; k < f->n; k++) {
				f->reqs[k]->solo = true;
				q_push(&p->pending, f->reqs[k]);
				mark_dirty(p->inst, p);
			}
			return;
		}
		if (f->has_uptime && (size_t)idx == f->n + 1 && pdu->errstat == SNMP_ERR_NOSUCHNAME) {
			/* An SNMPv1 agent without sysUpTime.0 (a subagent, many a
			 * device) refuses the whole PDU for the varbind we added:
			 * ask again without it, now and from now on (no rates). */
			p->no_uptime = true;
			for (size_t k = 0; k < f->n; k++)
				q_push(&p->pending, f->reqs[k]);
			mark_dirty(p->inst, p);
			return;
		}
		if (idx >= 1 && (size_t)idx <= f->n && (f->n > 1 || pdu->errstat == SNMP_ERR_NOSUCHNAME)) {
			/* One varbind the agent refused (v1's noSuchName, genErr,
			 * badValue... with its index) spoils the PDU: that check
			 * fails, the others go again. */
			for (size_t k = 0; k < f->n; k++) {
				if ((long)k + 1 != idx)
					q_push(&p->pending, f->reqs[k]);
				else if (pdu->errstat == SNMP_ERR_NOSUCHNAME)
					fail(in, f->reqs[k], GP_STATE_CRITICAL,
					     "check the OID, and that the agent serves this MIB",
					     "%s: noSuchName (SNMPv1): the agent has no such object",
					     f->reqs[k]->check->oid_text);
				else
					fail(in, f->reqs[k], GP_STATE_CRITICAL, NULL,
					     "%s: the agent answered error-status %s (%ld) for this OID",
					     f->reqs[k]->check->oid_text, snmp_errstring(pdu->errstat),
					     pdu->errstat);
			}
			mark_dirty(p->inst, p);
			return;
		}
		for (size_t k = 0; k < f->n; k++)
			fail(in, f->reqs[k], GP_STATE_CRITICAL, NULL,
			     "%s: the agent answered error-status %s (%ld)%s", f->reqs[k]->check->oid_text,
			     snmp_errstring(pdu->errstat), pdu->errstat,
			     idx > 0 && (size_t)idx == k + 1 ? " for this OID" : "");
		return;
	}
	/* The answer pairs with the question by position. */
	netsnmp_variable_list *vbs[MAX_VARBINDS + 1] = {0};
	size_t n = 0;
	for (netsnmp_variable_list *vb = pdu->variables; vb && n < MAX_VARBINDS + 1;
	     vb = vb->next_variable)
		vbs[n++] = vb;
	bool have_uptime = false;
	uint32_t uptime = 0;
	if (f->has_uptime && n == f->n + 1 && vbs[f->n]->type == ASN_TIMETICKS) {
		have_uptime = true;
		uptime = (uint32_t)(*vbs[f->n]->val.integer & 0xffffffffUL);
	}
	for (size_t k = 0; k < f->n; k++) {
		if (k >= n)
			fail(in, f->reqs[k], GP_STATE_CRITICAL, "the agent answers out of protocol",
			     "%s: the agent's answer lacks this OID", f->reqs[k]->check->oid_text);
		else
			get_result(in, f->reqs[k], vbs[k], have_uptime, uptime);
	}
}

/* No answer in time. When the last stray datagram of the peer's socket
 * came from the agent's address (at another port) meanwhile, the message
 * says so: an agent answering from elsewhere than asked looks silent. */
static void fail_silent(struct snmp_inst *in, struct peer *p, struct req *r)
{
	double ms = (double)(now_us(in) - r->started_us) / 1000.0;
	char note[120] = "";
	if (p->sock && p->sock->stray_us >= r->started_us &&
	    same_host((struct sockaddr *)&p->sock->stray_from, (struct sockaddr *)&p->addr)) {
		char from[INET6_ADDRSTRLEN + 10];
		addr_text(&p->sock->stray_from, from, sizeof(from));
		snprintf(note, sizeof(note), "; a datagram from %s was dropped (not the address and "
					     "port asked)", from);
	}
	/* net-snmp's agent drops a request for a context it does not have. */
	char hint[sizeof(SILENT_HINT) + 200];
	snprintf(hint, sizeof(hint), "%s%s%s%s", SILENT_HINT,
		 p->context && p->context[0] ? ", and that the agent has the v3 context '" : "",
		 p->context && p->context[0] ? p->context : "",
		 p->context && p->context[0] ? "'" : "");
	gp_text_clean(hint);
	fail(in, r, GP_STATE_CRITICAL, hint, "no SNMP response from %s after %d tries (%.0f ms)%s",
	     p->where, p->retries + 1, ms, note);
}

static int on_response(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
	(void)sess;
	(void)reqid;
	struct inflight *f = magic;
	/* Notices that do not end the request: a retransmission, a security
	 * error on the way (the report itself follows as a message). */
	if (!f || f->in_send || op == NETSNMP_CALLBACK_OP_RESEND ||
	    op == NETSNMP_CALLBACK_OP_SEC_ERROR || op == NETSNMP_CALLBACK_OP_CONNECT)
		return 1;
	struct peer *p = f->peer;
	struct snmp_inst *in = p->inst;
	p->n_inflight--;

	if (f->discovery) {
		if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->securityEngineIDLen > 0 &&
		    pdu->securityEngineIDLen <= sizeof(p->engine_id)) {
			memcpy(p->engine_id, pdu->securityEngineID, pdu->securityEngineIDLen);
			p->engine_id_len = pdu->securityEngineIDLen;
			p->reopen = true; /* done in dispatch, outside the library */
		} else {
			/* The agent is silent (or answers nonsense): what waits for
			 * it fails as any unanswered request does. */
			for (size_t k = 0; k < p->pending.n; k++) {
				struct req *r = p->pending.v[k];
				if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
					fail_silent(in, p, r);
				else
					fail(in, r, GP_STATE_CRITICAL, NULL,
					     "SNMPv3 engine discovery with %s failed", p->where);
			}
			p->pending.n = 0;
			p->reopen = true; /* closes the session; discovery again next time */
		}
		free(f);
		return 1;
	}

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
		for (size_t k = 0; k < f->n; k++) {
			struct req *r = f->reqs[k];
			if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
				fail_silent(in, p, r);
			else
				fail(in, r, GP_STATE_UNKNOWN, NULL, "SNMP request to %s failed (%d)", p->where,
				     op);
		}
		free(f);
		return 1;
	}
	if (pdu->command == SNMP_MSG_REPORT) {
		const char *hint;
		int type = snmpv3_get_report_type(pdu);
		const char *why = report_reason(type, &hint);
		for (size_t k = 0; k < f->n; k++)
			fail(in, f->reqs[k], GP_STATE_UNKNOWN, hint,
			     type == SNMPERR_BAD_CONTEXT ? "%s: %s '%s'" : "%s: %s%s", p->where, why,
			     type == SNMPERR_BAD_CONTEXT && p->context ? p->context : "");
		free(f);
		return 1;
	}
	if (f->walk)
		walk_response(in, f->reqs[0], pdu);
	else
		get_response(in, f, pdu);
	free(f);
	return 1;
}

/* ------------------------------------------------------------------ */
/* The ABI                                                             */

static void *snmp_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	/* init_snmp sets MIBS in the environment for its call, and setenv
	 * races any getenv of another thread (the daemon's RRD writer and
	 * alert sender start after the collectors). So the full set-up waits
	 * for the first v3 target only in a one-shot process, which has one
	 * thread (check_genesys says so: GPROBE_LAZY_BIND); the daemon and the
	 * CLI pay for it here, before any thread starts. */
	if (getenv("GPROBE_LAZY_BIND"))
		library_base();
	else
		library_v3();
	struct snmp_inst *in = calloc(1, sizeof(*in));
	if (in) {
		in->host = host;
		in->rbuf = malloc(DATAGRAM_MAX);
		if (!in->rbuf) {
			free(in);
			return NULL;
		}
		netsnmp_large_fd_set_init(&in->info_set, FD_SETSIZE);
		netsnmp_large_fd_set_init(&in->read_set, FD_SETSIZE);
	}
	return in;
}

/* "1.3.6.1..." -> oid array. */
static bool parse_oid(const char *s, oid *out, size_t *len)
{
	size_t n = 0;
	if (*s == '.')
		s++;
	while (*s) {
		if (!isdigit((unsigned char)*s) || n == MAX_OID_LEN)
			return false;
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		if (v > 0xffffffffUL)
			return false;
		out[n++] = (oid)v;
		s = end;
		if (*s == '.')
			s++;
		else if (*s)
			return false;
	}
	*len = n;
	return n >= 2;
}

static void *snmp_check_new(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen)
{
	struct snmp_inst *in = inst;
	oid name[MAX_OID_LEN];
	size_t name_len;
	if (!spec->arg || !parse_oid(spec->arg, name, &name_len)) {
		snprintf(err, errlen, "'%s' is not a numeric OID", spec->arg ? spec->arg : "");
		return NULL;
	}
	char text[OID_TEXT_MAX];
	oid_to_text(name, name_len, text, sizeof(text));
	size_t text_size = strlen(text) + 1;
	struct snmp_check *c = calloc(1, sizeof(*c) + name_len * sizeof(oid) + text_size);
	if (!c)
		return NULL;
	c->name = (oid *)(c + 1);
	memcpy(c->name, name, name_len * sizeof(oid));
	c->name_len = name_len;
	c->oid_text = (char *)(c->name + name_len);
	memcpy(c->oid_text, text, text_size);
	c->walk = strcmp(spec->kind, "snmp_walk") == 0;
	c->timeout_us = spec->timeout_ms * 1000;
	const char *m = gp_spec_option(spec, "match");
	if (m) {
		int rc = regcomp(&c->re, m, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &c->re, err, errlen);
			free(c);
			return NULL;
		}
		c->has_re = true;
		c->match = strdup(m);
	}
	/* One peer per target, shared by its checks. */
	uint64_t h = fnv1a(FNV_BASIS, spec->target, strlen(spec->target));
	struct peer *p = NULL;
	for (struct hnode *e = ht_chain(&in->peers, h); e && !p; e = e->next)
		if (e->hash == h && strcmp(CONTAINER(e, struct peer, by_name)->target, spec->target) == 0)
			p = CONTAINER(e, struct peer, by_name);
	if (!p) {
		p = peer_new(in, spec, err, errlen);
		if (!p) {
			if (c->has_re)
				regfree(&c->re);
			free(c->match);
			free(c);
			return NULL;
		}
		ht_insert(&in->peers, &p->by_name, h);
		p->timeout_us = c->timeout_us;
	}
	/* A PDU carries several checks: it gets the shortest timeout. */
	if (c->timeout_us < p->timeout_us)
		p->timeout_us = c->timeout_us;
	p->refs++;
	c->peer = p;
	return c;
}

static int snmp_start(void *inst, void *check, uint64_t id)
{
	struct snmp_inst *in = inst;
	struct snmp_check *c = check;
	struct req *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->id = id;
	r->check = c;
	r->started_us = now_us(in);
	r->deadline_us = r->started_us + c->timeout_us;
	if (c->walk) {
		r->w = calloc(1, sizeof(*r->w));
		if (!r->w) {
			free(r);
			return -1;
		}
		memcpy(r->w->cur, c->name, c->name_len * sizeof(oid));
		r->w->cur_len = c->name_len;
	}
	/* Queued: poll_fds() sends what was started together as one PDU. */
	q_push(&c->peer->pending, r);
	mark_dirty(in, c->peer);
	return 0;
}

/* Asks net-snmp when the session next needs attention. */
static void peer_refresh(struct snmp_inst *in, struct peer *p)
{
	p->next_event_us = INT64_MAX;
	if (p->sess) {
		int numfds = 0, block = 1;
		struct timeval tv = {0, 0};
		snmp_sess_select_info2(p->sess, &numfds, &in->info_set, &tv, &block);
		if (!block)
			p->next_event_us = now_us(in) + (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	}
	set_active(in, p);
}

static int snmp_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct snmp_inst *in = inst;
	int n = 0;
	int64_t wait = -1, now = now_us(in);
	in->n_polled = 0;
	/* Send what was started since the last turn: a target's checks that
	 * started together go in one PDU. */
	for (size_t i = 0; i < in->n_dirty; i++) {
		struct peer *p = in->dirty[i];
		p->dirty = false;
		flush_peer(in, p);
		peer_refresh(in, p);
	}
	in->n_dirty = 0;
	/* Every shared socket: a late answer or a stranger's datagram is
	 * read and dropped rather than left to fill the buffer. */
	for (size_t i = 0; i < in->n_socks; i++) {
		if (n < max) {
			fds[n] = (struct gp_pollfd){.fd = in->socks[i]->fd, .events = POLLIN};
			grow_ptrs_any((void **)&in->polled, &in->cap_polled, in->n_polled);
			in->polled[in->n_polled++] = in->socks[i];
		}
		n++;
	}
	if (in->n_active) {
		int64_t ms = (in->active[0]->next_event_us - now + 999) / 1000;
		wait = ms < 0 ? 0 : ms;
	}
	/* Requeued work (after a tooBig or a v1 noSuchName) goes next round. */
	if (in->n_dirty)
		wait = 0;
	*timeout_ms = wait;
	return n;
}

/* Something happened to p inside net-snmp: dispatch() sees to it after. */
static void touch(struct snmp_inst *in, struct peer *p)
{
	peer_list_add(&in->touched, &in->n_touched, &in->cap_touched, &p->touched, p);
}

static void log_drops(struct snmp_inst *in, int64_t now)
{
	if ((in->strays == in->strays_logged && in->send_drops == in->send_drops_logged) ||
	    now - in->drops_logged_us < DROP_LOG_EVERY_US)
		return;
	in->host->log(in->host->ctx, GP_LOG_WARN,
		      "snmp: %lu datagrams from unknown sources dropped, %lu sends found no room in "
		      "the socket buffer (since start)",
		      in->strays, in->send_drops);
	in->strays_logged = in->strays;
	in->send_drops_logged = in->send_drops;
	in->drops_logged_us = now;
}

/* Reads what waits on s, at most RECV_PER_TURN datagrams, and hands each
 * to the session of the peer it came from. */
static void sock_drain(struct snmp_inst *in, struct usock *s)
{
	for (int k = 0; k < RECV_PER_TURN; k++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t len = recvfrom(s->fd, in->rbuf, DATAGRAM_MAX, MSG_DONTWAIT,
				       (struct sockaddr *)&from, &fromlen);
		if (len < 0)
			return; /* EAGAIN: all read; anything else: next turn */
		struct peer *p = demux_find(in, s, (struct sockaddr *)&from);
		if (!p || !p->sess || !p->tr) {
			in->strays++;
			s->stray_from = from;
			s->stray_us = now_us(in);
			continue;
		}
		p->tr->pkt = in->rbuf;
		p->tr->pkt_len = (size_t)len;
		netsnmp_large_fd_setfd(s->fd, &in->read_set);
		snmp_sess_read2(p->sess, &in->read_set); /* callbacks run in here */
		netsnmp_large_fd_clr(s->fd, &in->read_set);
		if (p->tr)
			p->tr->pkt = NULL;
		touch(in, p);
	}
}

static void snmp_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	struct snmp_inst *in = inst;
	int64_t now = now_us(in);
	size_t n = (size_t)nfds < in->n_polled ? (size_t)nfds : in->n_polled;
	for (size_t i = 0; i < n; i++) {
		struct usock *s = in->polled[i];
		if (s && fds[i].fd == s->fd && (fds[i].revents & (POLLIN | POLLERR | POLLHUP)))
			sock_drain(in, s);
	}
	/* The due ones leave the heap; peer_refresh below puts back each
	 * that still has something outstanding, at its new time. */
	while (in->n_active && in->active[0]->next_event_us <= now) {
		struct peer *p = in->active[0];
		p->next_event_us = INT64_MAX;
		set_active(in, p);
		if (p->sess) {
			snmp_sess_timeout(p->sess); /* retransmissions, and timeouts */
			touch(in, p);
		}
	}
	/* Outside net-snmp's calls: what the callbacks asked for. */
	for (size_t i = 0; i < in->n_touched; i++) {
		struct peer *p = in->touched[i];
		p->touched = false;
		if (p->reopen) {
			/* Discovery ended: the real session with the engine ID, or
			 * closed until the next request tries again. */
			p->reopen = false;
			peer_close(p);
			if (p->engine_id_len)
				peer_open(p);
		}
		flush_peer(in, p); /* what the callbacks queued again */
		peer_refresh(in, p);
	}
	in->n_touched = 0;
	log_drops(in, now);
}

static void snmp_check_free(void *inst, void *check)
{
	struct snmp_inst *in = inst;
	struct snmp_check *c = check;
	if (c->has_re)
		regfree(&c->re);
	free(c->match);
	struct peer *p = c->peer;
	free(c);
	if (--p->refs > 0)
		return;
	ht_remove(&in->peers, &p->by_name);
	for (size_t i = 0; p->dirty && i < in->n_dirty; i++)
		if (in->dirty[i] == p)
			in->dirty[i] = in->dirty[--in->n_dirty];
	peer_close(p); /* out of the active peers too */
	free(p->pending.v);
	free(p->target);
	free(p->peername);
	free(p->community);
	free(p->user);
	free(p->context);
	free(p->open_error);
	free(p->tmpl.securityAuthProto);
	free(p->tmpl.securityPrivProto);
	memset(&p->tmpl, 0, sizeof(p->tmpl));
	free(p);
}

static void snmp_fini(void *inst)
{
	struct snmp_inst *in = inst;
	netsnmp_large_fd_set_cleanup(&in->info_set);
	netsnmp_large_fd_set_cleanup(&in->read_set);
	while (in->n_socks) /* none: every peer's last check took its socket */
		sock_close(in, in->socks[0]);
	free(in->socks);
	free(in->by_addr.b);
	free(in->polled);
	free(in->touched);
	free(in->rbuf);
	free(in->dirty);
	free(in->active);
	free(in->peers.b);
	keys_free(in);
	free(in);
}

/* ------------------------------------------------------------------ */
/* What a config may say to this collector                             */

static const char *const snmp_versions[] = {"1", "2c", "3", NULL};
static const char *const snmp_levels[] = {"noAuthNoPriv", "authNoPriv", "authPriv", NULL};
static const char *const snmp_auth[] = {"MD5",     "SHA",     "SHA-224", "SHA-256",
					"SHA-384", "SHA-512", NULL};
static const char *const snmp_priv[] = {"DES", "AES", "AES-192", "AES-256", NULL};

static const struct gp_option_decl snmp_block_options[] = {
	{.name = "port", .type = GP_OPT_INTEGER, .def = "161", .min = 1, .max = 65535,
	 .doc = "UDP port of the agent"},
	{.name = "version", .type = GP_OPT_ENUM, .def = "2c", .values = snmp_versions,
	 .doc = "SNMP version: 1, 2c or 3"},
	{.name = "community", .type = GP_OPT_STRING,
	 .doc = "v1/v2c community, inline (or community_file)"},
	{.name = "community_file", .type = GP_OPT_SECRET_FILE,
	 .doc = "v1/v2c community read from a private file"},
	{.name = "user", .type = GP_OPT_STRING, .doc = "v3 security name"},
	{.name = "context", .type = GP_OPT_STRING,
	 .doc = "v3 context name (contextName); default: the agent's default context"},
	{.name = "security_level", .type = GP_OPT_ENUM, .def = "authPriv", .values = snmp_levels,
	 .doc = "v3: noAuthNoPriv, authNoPriv or authPriv"},
	{.name = "auth_protocol", .type = GP_OPT_ENUM, .values = snmp_auth,
	 .doc = "v3 authentication: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512"},
	{.name = "auth_password_file", .type = GP_OPT_SECRET_FILE,
	 .doc = "v3 authentication password, from a private file"},
	{.name = "priv_protocol", .type = GP_OPT_ENUM, .values = snmp_priv,
	 .doc = "v3 privacy: DES, AES, AES-192, AES-256"},
	{.name = "priv_password_file", .type = GP_OPT_SECRET_FILE,
	 .doc = "v3 privacy password, from a private file"},
	{.name = "retries", .type = GP_OPT_INTEGER, .def = "1", .min = 0, .max = 10,
	 .doc = "retransmissions within the check's timeout"},
	{0},
};

static bool written(const struct gp_check_spec *s, const char *key)
{
	const struct gp_option *o = gp_spec_find(s, key);
	return o && o->file;
}

/* What a version and a security level need, and what they do not use. */
static void snmp_validate_block(const struct gp_check_spec *s, const struct gp_problems *p)
{
	const char *ver = gp_spec_option(s, "snmp.version");
	if (strcmp(ver, "3") != 0) {
		static const char *const v3only[] = {"snmp.user",          "snmp.context",
						     "snmp.security_level", "snmp.auth_protocol",
						     "snmp.auth_password_file", "snmp.priv_protocol",
						     "snmp.priv_password_file"};
		for (size_t i = 0; i < sizeof(v3only) / sizeof(v3only[0]); i++)
			if (written(s, v3only[i]))
				p->at_key(p->ctx, v3only[i],
					  "only for SNMP version 3 (this block is version %s)", ver);
		bool has_c = written(s, "snmp.community"), has_f = written(s, "snmp.community_file");
		if (has_c && has_f)
			p->at_key(p->ctx, NULL, "give community or community_file, not both");
		else if (!has_c && !has_f)
			p->at_key(p->ctx, NULL, "missing required key 'community' (or 'community_file')");
		return;
	}
	if (written(s, "snmp.community"))
		p->at_key(p->ctx, "snmp.community", "not used by SNMP version 3");
	if (written(s, "snmp.community_file"))
		p->at_key(p->ctx, "snmp.community_file", "not used by SNMP version 3");
	if (!written(s, "snmp.user"))
		p->at_key(p->ctx, NULL, "missing required key 'user'");
	const char *lvl = gp_spec_option(s, "snmp.security_level");
	bool need_auth = strcmp(lvl, "noAuthNoPriv") != 0, need_priv = strcmp(lvl, "authPriv") == 0;
	static const struct {
		const char *key;
		bool is_auth;
	} v3keys[] = {{"auth_protocol", true}, {"auth_password_file", true},
		      {"priv_protocol", false}, {"priv_password_file", false}};
	for (size_t i = 0; i < sizeof(v3keys) / sizeof(v3keys[0]); i++) {
		char key[64];
		snprintf(key, sizeof(key), "snmp.%s", v3keys[i].key);
		bool needed = v3keys[i].is_auth ? need_auth : need_priv;
		bool present = written(s, key);
		if (needed && !present)
			p->at_key(p->ctx, NULL, "missing required key '%s' (security_level %s)",
				  v3keys[i].key, lvl);
		else if (!needed && present)
			p->at_key(p->ctx, key, "not used with security_level %s", lvl);
	}
}

/* A numeric OID: at least two arcs, each within 32 bits, at most 128. */
static bool valid_oid(const char *s)
{
	if (*s == '.')
		s++;
	int arcs = 0;
	while (*s) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned long long v = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (v > 4294967295ULL)
				return false;
		}
		arcs++;
		if (*s == '.') {
			s++;
			if (!*s)
				return false;
		} else if (*s) {
			return false;
		}
	}
	return arcs >= 2 && arcs <= 128;
}

static void snmp_validate_check(const struct gp_check_spec *s, const struct gp_problems *p)
{
	if (!valid_oid(s->arg))
		p->at_value(p->ctx, "", "'%s' is not a numeric OID (like 1.3.6.1.2.1.1.3.0)", s->arg);
}

static const struct gp_option_decl get_options[] = {
	{.name = "match", .type = GP_OPT_REGEX, .flags = GP_OPT_VARS,
	 .doc = "POSIX ERE the value must match"},
	{0},
};

static const struct gp_option_decl walk_options[] = {
	{.name = "match", .type = GP_OPT_REGEX, .flags = GP_OPT_VARS,
	 .doc = "count only the rows whose value matches (POSIX ERE)"},
	{0},
};

static const struct gp_kind_decl snmp_kinds[] = {
	{.name = "snmp_get",
	 .block = "snmp",
	 .arg = {.name = "oid", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .doc = "numeric OID to GET"},
	 .options = get_options,
	 .doc = "the value of one object",
	 .validate = snmp_validate_check},
	{.name = "snmp_walk",
	 .block = "snmp",
	 .arg = {.name = "oid", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .doc = "numeric OID of a table column"},
	 .options = walk_options,
	 .doc = "the number of rows of a table column (that match)",
	 .validate = snmp_validate_check},
	{0},
};

static const struct gp_block_decl snmp_blocks[] = {
	{.name = "snmp",
	 .options = snmp_block_options,
	 .doc = "how to reach the target's SNMP agent",
	 .validate = snmp_validate_block},
	{0},
};

static const struct gp_collector snmp_collector = {
	.abi_version = GP_COLLECTOR_ABI_VERSION,
	.name = "snmp",
	.kinds = snmp_kinds,
	.blocks = snmp_blocks,
	.init = snmp_init,
	.check_new = snmp_check_new,
	.start = snmp_start,
	.poll_fds = snmp_poll_fds,
	.dispatch = snmp_dispatch,
	.check_free = snmp_check_free,
	.fini = snmp_fini,
};

GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
{
	return &snmp_collector;
}
