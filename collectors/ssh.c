/*
 * ssh.c - the `ssh_command` and `ssh_log` collector (libssh2).
 *
 * One SSH connection per target, kept between polls (keepalives while
 * idle), driven without blocking: each connection is a state machine that
 * the host's poll loop advances whenever its socket is ready. A target's
 * requests run one after another on its connection; targets never wait on
 * each other.
 *
 * Trust: the server's host key is checked against the configured
 * known_hosts before anything else is sent; an unknown or changed key ends
 * the connection before authentication, with the key's SHA256 fingerprint
 * in the result. Authentication is by key only.
 *
 *   ssh_command  runs the configured command exactly as written (nothing
 *                received is ever put into a command); the value is its
 *                trimmed stdout (1 MiB at most), and the exit status is
 *                reported.
 *   ssh_log      reads, over SFTP, only what was appended to a log since the
 *                last poll and counts the new lines matching `match`. A glob
 *                in the file name follows Genesys' log segments: files sort
 *                by name (their names carry the segment's time), the newest
 *                is followed, and when a new segment appears the rest of the
 *                previous one is read first, so no line is lost at the
 *                switch. The first poll starts at the end. SFTP gives no
 *                inode numbers, so a rotation is seen as the file shrinking
 *                or its first bytes changing. The position survives restarts
 *                through the host's state store.
 */
#include "collector.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUTPUT_MAX (1024 * 1024)       /* ssh_command stdout */
#define STDERR_KEEP 512                /* of stderr, for the message */
#define LOG_READ_MAX (16 * 1024 * 1024) /* new log bytes read per poll */
#define LINE_MAX_LEN (64 * 1024)       /* a longer line is cut */
#define HEAD_LEN 256                   /* fingerprint of a log file's start */
#define KEEP_MATCHES 3                 /* matching lines shown */
#define MAX_FILES 10000                /* entries of a log folder considered */
#define BACKOFF_MAX_US (60LL * 1000000)
#define KEEPALIVE_S 30
/* Bytes one connection may receive in one turn of the host's loop: a peer
 * that streams (endless lines before its banner, a flood of output) gets
 * EAGAIN from our receive callback once it is spent, so libssh2 returns
 * and the loop goes on to every other target. */
#define RECV_TURN_BUDGET (16 * 1024)

struct ssh_inst;
struct conn;

struct log_pos {
	bool have;
	char file[256];
	uint64_t offset;
	uint32_t head_len;
	uint64_t head_hash;
};

struct ssh_check {
	struct conn *conn;
	bool is_log;
	char *command;
	char *dir, *pattern; /* ssh_log: folder and file name (maybe a glob) */
	regex_t re;
	bool has_re;
	char *match;
	int64_t timeout_us;
	char state_key[300];
	struct log_pos pos;
};

struct logfile {
	char name[256];
	uint64_t size;
};

struct op {
	uint64_t id;
	struct ssh_check *chk;
	int64_t started_us, deadline_us;
	int step;
	bool retried;
	/* ssh_command */
	LIBSSH2_CHANNEL *ch;
	char *out;
	size_t out_len;
	bool out_over;
	char err[STDERR_KEEP + 1];
	size_t err_len;
	int exit_status;
	char signal[32];
	/* ssh_log */
	LIBSSH2_SFTP_HANDLE *h;
	struct logfile *files;
	size_t n_files, cap_files;
	size_t plan_first;  /* first file of the plan, in files[] */
	size_t fi;          /* file being read */
	uint64_t off;       /* where reading is, in files[fi] */
	uint64_t start_off; /* where reading started in files[fi] */
	bool need_head;     /* fingerprint files[fi] first */
	char head[HEAD_LEN];
	size_t head_got;
	bool rotated;
	bool first_poll;
	bool capped;
	char *carry;        /* partial line */
	size_t carry_len;
	uint64_t read_total;
	long lines, matched;
	char last[KEEP_MATCHES][200];
	struct log_pos newpos;
};

enum phase { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_AUTH, C_READY };

/* A block of a session's memory (session_alloc): the header before what
 * libssh2 is given, aligned for anything. */
union ssh_block {
	struct {
		union ssh_block *prev, *next;
		size_t size;
	} h;
	max_align_t align;
};

struct conn {
	struct ssh_inst *in;
	char *target, *host, *user, *key, *known_hosts;
	char *passphrase; /* of the key, from ssh.passphrase_file, or NULL; never logged */
	int port;
	char where[300];
	int fd;
	LIBSSH2_SESSION *s;
	union ssh_block *blocks; /* what s has allocated and not freed */
	LIBSSH2_SFTP *sftp;
	enum phase phase;
	int64_t phase_deadline_us;
	int failures;
	int64_t backoff_until_us;
	char last_error[600];
	enum gp_state last_state;
	const char *last_hint;
	struct op **q;
	size_t nq, capq;
	int refs;
	int64_t timeout_us;
	size_t recv_budget; /* left in this turn (RECV_TURN_BUDGET) */
	bool rsa_only;      /* known_hosts holds only an RSA key for this host */
	bool closing;       /* teardown: receive without limits, libssh2 is blocking */
};

struct ssh_inst {
	const struct gp_host_api *host;
	struct conn **conns;
	size_t n_conns;
};

static bool library_ready;

static int64_t now_us(struct ssh_inst *in)
{
	return in->host->now_us(in->host->ctx);
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* A session's memory                                                  */

/*
 * libssh2 1.10 (Debian 12's) does not free all of a key exchange's memory
 * when a session is freed before the exchange ends: a server that stalls
 * after its offer leaves the ephemeral curve25519 key pair allocated
 * (libssh2 issues #282, #299 and #2080 and pull request #2218 are others
 * of the kind). A check timing out there would leak on every attempt, for
 * as long as the daemon runs. So a session allocates through these
 * functions, which keep its blocks in a list, and what libssh2 has not
 * freed by the time libssh2_session_free returns is wiped (it may be key
 * material) and freed by session_release.
 */
static void block_link(struct conn *c, union ssh_block *b)
{
	b->h.prev = NULL;
	b->h.next = c->blocks;
	if (c->blocks)
		c->blocks->h.prev = b;
	c->blocks = b;
}

static void block_unlink(struct conn *c, union ssh_block *b)
{
	if (b->h.prev)
		b->h.prev->h.next = b->h.next;
	else
		c->blocks = b->h.next;
	if (b->h.next)
		b->h.next->h.prev = b->h.prev;
}

static void *session_alloc(size_t count, void **abstract)
{
	struct conn *c = *abstract;
	if (count > SIZE_MAX - sizeof(union ssh_block))
		return NULL;
	union ssh_block *b = malloc(sizeof(*b) + count);
	if (!b)
		return NULL;
	b->h.size = count;
	block_link(c, b);
	return b + 1;
}

static void session_free(void *ptr, void **abstract)
{
	if (!ptr)
		return;
	union ssh_block *b = (union ssh_block *)ptr - 1;
	block_unlink(*abstract, b);
	free(b);
}

static void *session_realloc(void *ptr, size_t count, void **abstract)
{
	struct conn *c = *abstract;
	if (!ptr)
		return session_alloc(count, abstract);
	if (count > SIZE_MAX - sizeof(union ssh_block))
		return NULL;
	union ssh_block *b = (union ssh_block *)ptr - 1;
	block_unlink(c, b);
	union ssh_block *nb = realloc(b, sizeof(*nb) + count);
	if (!nb) {
		block_link(c, b); /* still libssh2's, unchanged */
		return NULL;
	}
	nb->h.size = count;
	block_link(c, nb);
	return nb + 1;
}

/* After libssh2_session_free: whatever it left. */
static void session_release(struct conn *c)
{
	for (union ssh_block *b = c->blocks, *next; b; b = next) {
		next = b->h.next;
		explicit_bzero(b + 1, b->h.size);
		free(b);
	}
	c->blocks = NULL;
}

/* ------------------------------------------------------------------ */
/* Completing requests                                                 */

static void op_free(struct op *o)
{
	free(o->out);
	free(o->files);
	free(o->carry);
	free(o);
}

static void complete(struct ssh_inst *in, struct op *o, struct gp_result *res)
{
	char request[900];
	if (o->chk->is_log)
		snprintf(request, sizeof(request), "SFTP tail of %s/%s on %s", o->chk->dir,
			 o->chk->pattern, o->chk->conn->where);
	else
		snprintf(request, sizeof(request), "ssh %s@%s '%s'", o->chk->conn->user,
			 o->chk->conn->where, o->chk->command);
	gp_text_clean(request);
	if (!res->request)
		res->request = request;
	in->host->complete(in->host->ctx, o->id, res);
	op_free(o);
}

static void fail_op(struct ssh_inst *in, struct op *o, enum gp_state st, const char *hint,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail_op(struct ssh_inst *in, struct op *o, enum gp_state st, const char *hint,
		    const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gp_text_clean(msg);
	struct gp_result res = {.state = st, .message = msg, .hint = hint};
	complete(in, o, &res);
}

static struct op *q_pop(struct conn *c)
{
	struct op *o = c->q[0];
	memmove(c->q, c->q + 1, (c->nq - 1) * sizeof(*c->q));
	c->nq--;
	return o;
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */

/* When the request at the head must be over: past it, ssh_dispatch()
 * ends the connection, so reading on is of no use to anyone. */
static int64_t conn_deadline(const struct conn *c)
{
	return c->nq ? c->q[0]->deadline_us : INT64_MAX;
}

/*
 * libssh2's receive (LIBSSH2_CALLBACK_RECV): libssh2 1.10 keeps reading
 * while data waits (its banner reader takes one byte at a time and never
 * returns EAGAIN on its own), so a peer that never stops sending would
 * hold the host's one thread for ever. Past the turn's byte budget or the
 * request's deadline this says EAGAIN, and libssh2 returns to us.
 */
static ssize_t conn_recv(libssh2_socket_t fd, void *buf, size_t len, int flags,
			 void **abstract)
{
	struct conn *c = *abstract;
	if (!c->closing) {
		if (c->recv_budget == 0 || now_us(c->in) >= conn_deadline(c))
			return -EAGAIN;
		if (len > c->recv_budget)
			len = c->recv_budget;
	}
	ssize_t n = recv(fd, buf, len, flags);
	if (n < 0)
		return -errno;
	if (!c->closing)
		c->recv_budget -= (size_t)n;
	return n;
}

static void teardown(struct conn *c)
{
	c->closing = true;
	/* Non-blocking, libssh2 may stop half way through freeing (EAGAIN).
	 * With the socket shut down first, every send fails at once, so the
	 * blocking frees below end quickly and release everything; the
	 * descriptor is closed only after, so libssh2 never writes to a
	 * number the system has given to someone else. */
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	if (c->s) {
		libssh2_session_set_blocking(c->s, 1);
		libssh2_session_set_timeout(c->s, 200);
	}
	for (size_t i = 0; i < c->nq; i++) {
		/* Channels die with the session; an SFTP handle does not
		 * (sftp_shutdown leaves open handles allocated): closing it
		 * fails to send and frees it. */
		if (c->q[i]->h)
			libssh2_sftp_close_handle(c->q[i]->h);
		c->q[i]->ch = NULL;
		c->q[i]->h = NULL;
		c->q[i]->step = 0;
	}
	if (c->sftp)
		libssh2_sftp_shutdown(c->sftp);
	c->sftp = NULL;
	if (c->s)
		libssh2_session_free(c->s);
	c->s = NULL;
	session_release(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->phase = C_IDLE;
	c->closing = false;
}

/* The connection failed: every waiting request gets the reason, and new
 * ones get it too until the backoff passes. */
static void conn_failed(struct conn *c, enum gp_state st, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void conn_failed(struct conn *c, enum gp_state st, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	gp_text_clean(c->last_error);
	c->last_state = st;
	c->last_hint = hint;
	teardown(c);
	c->failures++;
	int64_t back = 1000000LL << (c->failures < 7 ? c->failures - 1 : 6);
	if (back > BACKOFF_MAX_US)
		back = BACKOFF_MAX_US;
	c->backoff_until_us = now_us(c->in) + back;
	while (c->nq) {
		struct op *o = q_pop(c);
		struct gp_result res = {.state = st, .message = c->last_error, .hint = hint};
		complete(c->in, o, &res);
	}
}

static const char *session_error(struct conn *c)
{
	char *msg = NULL;
	if (c->s)
		libssh2_session_last_error(c->s, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown error";
}

static bool start_connect(struct conn *c)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%d", c->port);
	int rc = getaddrinfo(c->host, port, &hints, &res);
	if (rc == EAI_NONAME) {
		hints.ai_flags = 0; /* a name: resolved here (see the TCP collector) */
		rc = getaddrinfo(c->host, port, &hints, &res);
	}
	if (rc != 0 || !res) {
		conn_failed(c, GP_STATE_UNKNOWN, "check the target's host", "cannot resolve '%s': %s",
			    c->host, gai_strerror(rc));
		return false;
	}
	c->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || (connect(c->fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS)) {
		int e = errno;
		freeaddrinfo(res);
		conn_failed(c, GP_STATE_CRITICAL, "the host or its SSH server is down, or a firewall "
						  "blocks the port",
			    "SSH connect to %s failed: %s", c->where, strerror(e));
		return false;
	}
	freeaddrinfo(res);
	c->phase = C_CONNECTING;
	c->phase_deadline_us = now_us(c->in) + c->timeout_us;
	return true;
}

/* Base64 without padding, as OpenSSH prints SHA256 fingerprints. */
static void b64(const unsigned char *p, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = t[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	out[o] = '\0';
}

/* Strict host key checking; false when the connection must end. */
/*
 * Asks the server for a host key of a type known_hosts holds for this
 * host. Without it libssh2 takes the first type both sides know (ECDSA
 * before ed25519), and a known_hosts holding only the ed25519 key that
 * `ssh` saves on a first connect would not match. Hashed entries and
 * [host]:port are matched by libssh2 itself: each entry's key is checked
 * against this host. Nothing known: the handshake goes as it would, and
 * check_host_key() says the host is unknown.
 */
static void prefer_known_host_keys(struct conn *c)
{
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->s);
	if (!kh)
		return;
	unsigned have = 0;
	enum { ED25519 = 1, ECDSA256 = 2, ECDSA384 = 4, ECDSA521 = 8, RSA = 16, DSS = 32 };
	if (libssh2_knownhost_readfile(kh, c->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0) {
		struct libssh2_knownhost *e = NULL, *prev = NULL;
		while (libssh2_knownhost_get(kh, &e, prev) == 0) {
			prev = e;
			int kt = e->typemask & LIBSSH2_KNOWNHOST_KEY_MASK;
			if (!e->key || libssh2_knownhost_checkp(kh, c->host, c->port, e->key,
							       strlen(e->key),
							       LIBSSH2_KNOWNHOST_TYPE_PLAIN |
								       LIBSSH2_KNOWNHOST_KEYENC_BASE64 | kt,
							       NULL) != LIBSSH2_KNOWNHOST_CHECK_MATCH)
				continue;
			have |= kt == LIBSSH2_KNOWNHOST_KEY_ED25519    ? ED25519
				: kt == LIBSSH2_KNOWNHOST_KEY_ECDSA_256 ? ECDSA256
				: kt == LIBSSH2_KNOWNHOST_KEY_ECDSA_384 ? ECDSA384
				: kt == LIBSSH2_KNOWNHOST_KEY_ECDSA_521 ? ECDSA521
				: kt == LIBSSH2_KNOWNHOST_KEY_SSHRSA    ? RSA
				: kt == LIBSSH2_KNOWNHOST_KEY_SSHDSS    ? DSS
									: 0;
		}
	}
	libssh2_knownhost_free(kh);
	static const struct {
		unsigned bit;
		const char *methods;
	} order[] = {
		{ED25519, "ssh-ed25519"},
		{ECDSA256, "ecdsa-sha2-nistp256"},
		{ECDSA384, "ecdsa-sha2-nistp384"},
		{ECDSA521, "ecdsa-sha2-nistp521"},
		{RSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
		{DSS, "ssh-dss"},
	};
	/* Only names this libssh2 has: it drops unknown ones itself, but
	 * 1.10 does so with an overlapping memcpy (ASan saw it). */
	const char **algs = NULL;
	int n_algs = libssh2_session_supported_algs(c->s, LIBSSH2_METHOD_HOSTKEY, &algs);
	char pref[256] = "";
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(have & order[i].bit))
			continue;
		char list[64];
		snprintf(list, sizeof(list), "%s", order[i].methods);
		for (char *save = NULL, *m = strtok_r(list, ",", &save); m;
		     m = strtok_r(NULL, ",", &save)) {
			bool supported = false;
			for (int k = 0; k < n_algs && !supported; k++)
				supported = strcmp(algs[k], m) == 0;
			if (!supported)
				continue;
			if (pref[0])
				strncat(pref, ",", sizeof(pref) - strlen(pref) - 1);
			strncat(pref, m, sizeof(pref) - strlen(pref) - 1);
		}
	}
	if (n_algs > 0)
		libssh2_free(c->s, algs);
	c->rsa_only = have == RSA;
	if (pref[0])
		libssh2_session_method_pref(c->s, LIBSSH2_METHOD_HOSTKEY, pref);
}

static bool check_host_key(struct conn *c)
{
	size_t len;
	int type;
	const char *key = libssh2_session_hostkey(c->s, &len, &type);
	const unsigned char *sha = (const unsigned char *)libssh2_hostkey_hash(c->s, LIBSSH2_HOSTKEY_HASH_SHA256);
	char fp[64] = "SHA256:?";
	if (sha) {
		strcpy(fp, "SHA256:");
		b64(sha, 32, fp + 7);
	}
	if (!key) {
		conn_failed(c, GP_STATE_UNKNOWN, NULL, "%s sent no host key", c->where);
		return false;
	}
	int kt;
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		kt = LIBSSH2_KNOWNHOST_KEY_SSHRSA;
		break;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		kt = LIBSSH2_KNOWNHOST_KEY_SSHDSS;
		break;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		kt = LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
		break;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		kt = LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
		break;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		kt = LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
		break;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		kt = LIBSSH2_KNOWNHOST_KEY_ED25519;
		break;
	default:
		kt = LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->s);
	if (!kh || libssh2_knownhost_readfile(kh, c->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		if (kh)
			libssh2_knownhost_free(kh);
		conn_failed(c, GP_STATE_UNKNOWN, "check ssh.known_hosts", "cannot read known_hosts '%s'",
			    c->known_hosts);
		return false;
	}
	struct libssh2_knownhost *found = NULL;
	int rc = libssh2_knownhost_checkp(kh, c->host, c->port, key, len,
					  LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
					  &found);
	libssh2_knownhost_free(kh);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return true;
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
		conn_failed(c, GP_STATE_UNKNOWN,
			    "someone may be intercepting the connection, or the host was reinstalled: "
			    "verify the new key with the host's administrators before replacing the "
			    "line in known_hosts",
			    "host key of %s has CHANGED (now %s); it does not match %s; not connecting",
			    c->where, fp, c->known_hosts);
	else
		conn_failed(c, GP_STATE_UNKNOWN,
			    "verify the fingerprint with the host's administrators, then add the key "
			    "(e.g. ssh-keyscan) to known_hosts; gprobe never trusts on first use",
			    "host key of %s (%s) is not in %s; not connecting", c->where, fp,
			    c->known_hosts);
	return false;
}

/* ------------------------------------------------------------------ */
/* ssh_command                                                         */

enum step_rc { STEP_AGAIN, STEP_DONE, STEP_CONN_ERROR };

static bool eagain(struct conn *c)
{
	return libssh2_session_last_errno(c->s) == LIBSSH2_ERROR_EAGAIN;
}

static enum step_rc command_step(struct conn *c, struct op *o)
{
	char buf[16384];
	for (;;) {
		switch (o->step) {
		case 0:
			o->ch = libssh2_channel_open_session(c->s);
			if (!o->ch)
				return eagain(c) ? STEP_AGAIN : STEP_CONN_ERROR;
			o->step = 1;
			break;
		case 1: {
			int rc = libssh2_channel_exec(o->ch, o->chk->command);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			if (rc < 0)
				return STEP_CONN_ERROR;
			o->step = 2;
			break;
		}
		case 2: {
			/* stdout and stderr both, or a full stderr window stalls
			 * the command. */
			bool progress = false;
			ssize_t n = libssh2_channel_read(o->ch, buf, sizeof(buf));
			if (n > 0) {
				progress = true;
				if (o->out_len + (size_t)n > OUTPUT_MAX) {
					o->out_over = true;
				} else {
					char *p = realloc(o->out, o->out_len + (size_t)n + 1);
					if (!p)
						return STEP_CONN_ERROR;
					o->out = p;
					memcpy(o->out + o->out_len, buf, (size_t)n);
					o->out_len += (size_t)n;
					o->out[o->out_len] = '\0';
				}
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
				return STEP_CONN_ERROR;
			}
			ssize_t e = libssh2_channel_read_stderr(o->ch, buf, sizeof(buf));
			if (e > 0) {
				progress = true;
				size_t room = STDERR_KEEP - o->err_len;
				size_t k = (size_t)e < room ? (size_t)e : room;
				memcpy(o->err + o->err_len, buf, k);
				o->err_len += k;
				o->err[o->err_len] = '\0';
			} else if (e < 0 && e != LIBSSH2_ERROR_EAGAIN) {
				return STEP_CONN_ERROR;
			}
			if (o->out_over || (n == 0 && e == 0 && libssh2_channel_eof(o->ch))) {
				o->step = 3;
				break;
			}
			if (!progress)
				return STEP_AGAIN;
			break;
		}
		case 3: {
			int rc = libssh2_channel_close(o->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			o->exit_status = libssh2_channel_get_exit_status(o->ch);
			char *sig = NULL;
			size_t siglen = 0;
			libssh2_channel_get_exit_signal(o->ch, &sig, &siglen, NULL, NULL, NULL, NULL);
			if (sig) {
				snprintf(o->signal, sizeof(o->signal), "%.*s", (int)siglen, sig);
				libssh2_free(c->s, sig);
			}
			o->step = 4;
			break;
		}
		case 4: {
			int rc = libssh2_channel_free(o->ch);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			o->ch = NULL;
			return STEP_DONE;
		}
		}
	}
}

static void command_result(struct ssh_inst *in, struct op *o)
{
	char text[1024], msg[1400], err[STDERR_KEEP + 1];
	size_t n = o->out_len;
	const char *s = o->out ? o->out : "";
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	snprintf(text, sizeof(text), "%.*s", (int)(n < sizeof(text) - 1 ? n : sizeof(text) - 1), s);
	gp_text_clean(text);
	size_t el = o->err_len;
	while (el > 0 && (o->err[el - 1] == '\n' || o->err[el - 1] == '\r' || o->err[el - 1] == ' '))
		el--;
	snprintf(err, sizeof(err), "%.*s", (int)el, o->err);
	gp_text_clean(err);

	if (o->out_over) {
		fail_op(in, o, GP_STATE_UNKNOWN, "make the command print a number or a short status",
			"the command printed more than %d MiB; output discarded", OUTPUT_MAX / (1024 * 1024));
		return;
	}
	if (o->signal[0]) {
		fail_op(in, o, GP_STATE_CRITICAL, NULL, "the command was killed by signal %s%s%s",
			o->signal, err[0] ? ": " : "", err);
		return;
	}
	if (o->exit_status == 126 || o->exit_status == 127) {
		fail_op(in, o, GP_STATE_UNKNOWN, "check the command and the PATH of the SSH user",
			"the command cannot run on the target (exit %d)%s%s", o->exit_status,
			err[0] ? ": " : "", err);
		return;
	}
	if (o->exit_status != 0 && text[0] == '\0') {
		fail_op(in, o, GP_STATE_CRITICAL, NULL, "the command exited with status %d%s%s",
			o->exit_status, err[0] ? ": " : "", err);
		return;
	}
	struct gp_result res = {.state = GP_STATE_OK, .text = text, .message = msg};
	char *end;
	errno = 0;
	double d = strtod(text, &end);
	if (text[0] && end != text && *end == '\0' && errno == 0) {
		res.has_value = true;
		res.value = d;
	}
	snprintf(msg, sizeof(msg), "exit %d, output '%.200s'", o->exit_status, text);
	complete(in, o, &res);
}

/* ------------------------------------------------------------------ */
/* ssh_log                                                             */

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct logfile *)a)->name, ((const struct logfile *)b)->name);
}

static void count_line(struct op *o, const char *line, size_t len)
{
	char tmp[LINE_MAX_LEN + 1];
	if (len > LINE_MAX_LEN)
		len = LINE_MAX_LEN;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	if (len && tmp[len - 1] == '\r')
		tmp[--len] = '\0';
	o->lines++;
	struct ssh_check *k = o->chk;
	if (k->has_re && regexec(&k->re, tmp, 0, NULL, 0) != 0)
		return;
	o->matched++;
	memmove(o->last[0], o->last[1], sizeof(o->last[0]) * (KEEP_MATCHES - 1));
	snprintf(o->last[KEEP_MATCHES - 1], sizeof(o->last[0]), "%.199s", tmp);
	gp_text_clean(o->last[KEEP_MATCHES - 1]);
}

/* Splits new bytes into lines; a partial last line is carried over. */
static void feed(struct op *o, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (o->carry_len + take > LINE_MAX_LEN) {
			/* A runaway line: count what we have as a line. */
			size_t room = LINE_MAX_LEN - o->carry_len;
			char *cr = realloc(o->carry, o->carry_len + room + 1);
			if (cr) {
				o->carry = cr;
				memcpy(o->carry + o->carry_len, p, room);
				o->carry_len += room;
			}
			count_line(o, o->carry, o->carry_len);
			o->carry_len = 0;
			/* skip to the end of this line */
			if (!nl)
				return; /* the rest of it comes later and is skipped then */
		} else if (nl) {
			if (o->carry_len) {
				char *cr = realloc(o->carry, o->carry_len + take + 1);
				if (!cr)
					return;
				o->carry = cr;
				memcpy(o->carry + o->carry_len, p, take);
				count_line(o, o->carry, o->carry_len + take);
				o->carry_len = 0;
			} else {
				count_line(o, p, take);
			}
		} else {
			char *cr = realloc(o->carry, o->carry_len + take + 1);
			if (!cr)
				return;
			o->carry = cr;
			memcpy(o->carry + o->carry_len, p, take);
			o->carry_len += take;
			return;
		}
		p += take + 1;
		n -= take + 1;
	}
}

/* From the folder listing and the remembered position: which files to
 * read, from where. */
static void plan(struct op *o)
{
	struct ssh_check *k = o->chk;
	if (o->n_files == 0)
		return;
	qsort(o->files, o->n_files, sizeof(*o->files), cmp_files);
	size_t newest = o->n_files - 1;
	o->fi = newest;
	o->start_off = 0;
	o->need_head = true;
	if (!k->pos.have) {
		/* First poll: follow the newest file from its end. */
		o->first_poll = true;
		o->start_off = o->files[newest].size;
		return;
	}
	size_t at = o->n_files;
	for (size_t i = 0; i < o->n_files; i++)
		if (strcmp(o->files[i].name, k->pos.file) == 0)
			at = i;
	if (at < o->n_files) {
		o->fi = at;
		if (o->files[at].size < k->pos.offset) {
			o->rotated = true; /* shrank: rotated or truncated */
			o->start_off = 0;
		} else {
			o->start_off = k->pos.offset;
		}
		return;
	}
	/* The remembered file is gone: read every newer segment whole. */
	o->rotated = true;
	for (size_t i = 0; i < o->n_files; i++) {
		if (strcmp(o->files[i].name, k->pos.file) > 0) {
			o->fi = i;
			return;
		}
	}
	o->fi = newest;
}

static char *path_of(struct op *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", o->chk->dir, o->files[o->fi].name);
	return buf;
}

static enum step_rc log_step(struct conn *c, struct op *o)
{
	struct ssh_check *k = o->chk;
	char path[600];
	for (;;) {
		switch (o->step) {
		case 0: /* SFTP subsystem, once per connection */
			if (!c->sftp) {
				c->sftp = libssh2_sftp_init(c->s);
				if (!c->sftp)
					return eagain(c) ? STEP_AGAIN : STEP_CONN_ERROR;
			}
			o->step = 1;
			break;
		case 1: /* list the folder */
			o->h = libssh2_sftp_opendir(c->sftp, k->dir);
			if (!o->h) {
				if (eagain(c))
					return STEP_AGAIN;
				if (libssh2_session_last_errno(c->s) == LIBSSH2_ERROR_SFTP_PROTOCOL) {
					unsigned long e = libssh2_sftp_last_error(c->sftp);
					o->step = 100 + (int)(e > 50 ? 50 : e); /* reported below */
					return STEP_DONE;
				}
				return STEP_CONN_ERROR;
			}
			o->step = 2;
			break;
		case 2: {
			char name[512];
			LIBSSH2_SFTP_ATTRIBUTES a;
			int n = libssh2_sftp_readdir(o->h, name, sizeof(name), &a);
			if (n == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			if (n < 0)
				return STEP_CONN_ERROR;
			if (n == 0) {
				o->step = 3;
				break;
			}
			bool regular = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
				       LIBSSH2_SFTP_S_ISREG(a.permissions);
			if (regular && (size_t)n < sizeof(o->files[0].name) &&
			    fnmatch(k->pattern, name, FNM_PATHNAME | FNM_PERIOD) == 0 &&
			    o->n_files < MAX_FILES) {
				if (o->n_files == o->cap_files) {
					size_t nc = o->cap_files ? o->cap_files * 2 : 16;
					struct logfile *v = realloc(o->files, nc * sizeof(*v));
					if (!v)
						return STEP_CONN_ERROR;
					o->files = v;
					o->cap_files = nc;
				}
				struct logfile *f = &o->files[o->n_files++];
				snprintf(f->name, sizeof(f->name), "%.255s", name);
				f->size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0;
			}
			break;
		}
		case 3: {
			int rc = libssh2_sftp_closedir(o->h);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			o->h = NULL;
			if (o->n_files == 0) {
				o->step = 99; /* nothing matches: reported below */
				return STEP_DONE;
			}
			plan(o);
			o->step = 4;
			break;
		}
		case 4: /* open files[fi] */
			o->h = libssh2_sftp_open(c->sftp, path_of(o, path, sizeof(path)), LIBSSH2_FXF_READ, 0);
			if (!o->h) {
				if (eagain(c))
					return STEP_AGAIN;
				if (libssh2_session_last_errno(c->s) == LIBSSH2_ERROR_SFTP_PROTOCOL) {
					/* Vanished between listing and opening: next one. */
					o->step = 7;
					break;
				}
				return STEP_CONN_ERROR;
			}
			o->head_got = 0;
			o->step = o->need_head ? 5 : 6;
			if (!o->need_head) {
				libssh2_sftp_seek64(o->h, o->start_off);
				o->off = o->start_off;
			}
			break;
		case 5: { /* the file's first bytes: its identity */
			ssize_t n = libssh2_sftp_read(o->h, o->head + o->head_got, HEAD_LEN - o->head_got);
			if (n == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			if (n < 0)
				return STEP_CONN_ERROR;
			o->head_got += (size_t)n;
			if (n > 0 && o->head_got < HEAD_LEN)
				break;
			/* Same name, other start: a new file under the old name. */
			if (k->pos.have && strcmp(k->pos.file, o->files[o->fi].name) == 0 &&
			    !o->rotated &&
			    (o->head_got < k->pos.head_len ||
			     fnv1a(o->head, k->pos.head_len) != k->pos.head_hash)) {
				o->rotated = true;
				o->start_off = 0;
			}
			o->need_head = false;
			libssh2_sftp_seek64(o->h, o->start_off);
			o->off = o->start_off;
			o->step = 6;
			break;
		}
		case 6: { /* the new bytes */
			if (o->read_total >= LOG_READ_MAX) {
				o->capped = true;
				o->step = 7;
				break;
			}
			char buf[32768];
			ssize_t n = libssh2_sftp_read(o->h, buf, sizeof(buf));
			if (n == LIBSSH2_ERROR_EAGAIN)
				return STEP_AGAIN;
			if (n < 0)
				return STEP_CONN_ERROR;
			if (n == 0) {
				o->step = 7;
				break;
			}
			feed(o, buf, (size_t)n);
			o->off += (uint64_t)n;
			o->read_total += (uint64_t)n;
			break;
		}
		case 7: { /* done with files[fi] */
			if (o->h) {
				int rc = libssh2_sftp_close(o->h);
				if (rc == LIBSSH2_ERROR_EAGAIN)
					return STEP_AGAIN;
				o->h = NULL;
			}
			bool last = o->fi + 1 >= o->n_files || o->capped;
			if (!last) {
				/* An older segment is complete: its last line too. */
				if (o->carry_len)
					count_line(o, o->carry, o->carry_len);
				o->carry_len = 0;
				o->fi++;
				o->start_off = 0;
				o->need_head = true;
				o->step = 4;
				break;
			}
			/* Remember where the next poll starts: before a partial line. */
			struct log_pos *np = &o->newpos;
			np->have = true;
			snprintf(np->file, sizeof(np->file), "%s", o->files[o->fi].name);
			np->offset = o->off - o->carry_len;
			np->head_len = (uint32_t)o->head_got;
			np->head_hash = fnv1a(o->head, o->head_got);
			return STEP_DONE;
		}
		default:
			return STEP_DONE;
		}
	}
}

static void log_result(struct ssh_inst *in, struct op *o)
{
	struct ssh_check *k = o->chk;
	if (o->step == 99) {
		fail_op(in, o, GP_STATE_CRITICAL, "check the path and the glob, and that the component "
						  "still writes its log there",
			"no file matches %s/%s", k->dir, k->pattern);
		return;
	}
	if (o->step >= 100) {
		unsigned long e = (unsigned long)(o->step - 100);
		fail_op(in, o, e == LIBSSH2_FX_PERMISSION_DENIED ? GP_STATE_UNKNOWN : GP_STATE_CRITICAL,
			e == LIBSSH2_FX_PERMISSION_DENIED ? "give the SSH user read access to the logs"
							  : "check the log folder exists on the target",
			"cannot list %s: SFTP error %lu%s", k->dir, e,
			e == LIBSSH2_FX_NO_SUCH_FILE ? " (no such folder)"
			: e == LIBSSH2_FX_PERMISSION_DENIED ? " (permission denied)" : "");
		return;
	}
	k->pos = o->newpos;
	char state[400];
	snprintf(state, sizeof(state), "%016llx %u %llu %s", (unsigned long long)k->pos.head_hash,
		 k->pos.head_len, (unsigned long long)k->pos.offset, k->pos.file);

	char text[32], msg[1200];
	snprintf(text, sizeof(text), "%ld", o->matched);
	size_t off = 0;
	if (o->first_poll)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
					"first poll: following %s from its end (%llu bytes); ",
					k->pos.file, (unsigned long long)k->pos.offset);
	off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%ld new line%s, %ld matching%s%s",
				o->lines, o->lines == 1 ? "" : "s", o->matched,
				k->has_re ? " '" : "", k->has_re ? k->match : "");
	if (k->has_re && off < sizeof(msg))
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "'");
	if (o->rotated && off < sizeof(msg))
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "; the log was rotated");
	if (o->capped && off < sizeof(msg))
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
					"; %d MiB read, the rest follows next poll",
					LOG_READ_MAX / (1024 * 1024));
	for (int i = 0; i < KEEP_MATCHES && off < sizeof(msg); i++)
		if (o->last[i][0])
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s",
						i == 0 || !o->last[i - 1][0] ? "; last: " : " | ", o->last[i]);
	/* The new place is stored with this result, in its transaction: a
	 * crash before the result is kept reads the same lines again, never
	 * skips them. */
	struct gp_result res = {.state = GP_STATE_OK, .text = text, .has_value = true,
				.value = (double)o->matched, .message = msg,
				.state_key = k->state_key, .state_value = state};
	complete(in, o, &res);
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */

/* What kind of private key c->key is, from its text (never from its
 * secret parts): RSA, protected by a passphrase. */
static void key_kind(const char *path, bool *rsa, bool *encrypted)
{
	*rsa = *encrypted = false;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512], blob[4096];
	size_t n = 0;
	bool openssh = false, in_body = false;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "BEGIN RSA PRIVATE KEY"))
			*rsa = true;
		if (strstr(line, "ENCRYPTED"))
			*encrypted = true;
		if (strstr(line, "BEGIN OPENSSH PRIVATE KEY")) {
			openssh = in_body = true;
			continue;
		}
		if (strstr(line, "END OPENSSH PRIVATE KEY"))
			break;
		/* The first lines of an OpenSSH key: its cipher, KDF and public
		 * key, in base64 before anything secret. */
		for (char *p = line; in_body && *p && n < 3 * (sizeof(blob) / 4); p++)
			if (*p != '\n' && *p != '\r')
				blob[n++] = *p;
		if (n >= 3 * (sizeof(blob) / 4))
			break;
	}
	fclose(f);
	if (!openssh)
		return;
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[3072];
	size_t m = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && m < sizeof(raw); i++) {
		const char *q = strchr(b64, blob[i]);
		if (!q || !blob[i])
			break;
		acc = (acc << 6) | (unsigned)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[m++] = (unsigned char)(acc >> bits);
		}
	}
	/* "openssh-key-v1\0", cipher name, KDF name, ..., public key. */
	for (size_t i = 0; i + 7 <= m; i++) {
		if (memcmp(raw + i, "ssh-rsa", 7) == 0)
			*rsa = true;
		if (i + 6 <= m && memcmp(raw + i, "bcrypt", 6) == 0)
			*encrypted = true;
	}
}

/* The hint for a failed key authentication: what is likely wrong. */
static const char *auth_hint(struct conn *c)
{
	bool rsa, encrypted;
	key_kind(c->key, &rsa, &encrypted);
	if (encrypted && !c->passphrase)
		return "the private key is protected by a passphrase: give it in ssh.passphrase_file "
		       "(mode 0600)";
	if (rsa)
		return "an RSA user key needs rsa-sha2 signatures, which this probe's libssh2 cannot "
		       "make for OpenSSH 8.8 and later: use an ed25519 or ECDSA key";
	return "check ssh.user and that its authorized_keys holds the probe's public key";
}

static void pump(struct conn *c)
{
	c->recv_budget = RECV_TURN_BUDGET;
	struct ssh_inst *in = c->in;
	for (;;) {
		switch (c->phase) {
		case C_IDLE:
			if (c->nq == 0)
				return;
			if (now_us(in) < c->backoff_until_us) {
				/* Still failing: say so at once, without knocking. */
				while (c->nq) {
					struct op *o = q_pop(c);
					fail_op(in, o, c->last_state, c->last_hint, "%s (retrying in %lld s)",
						c->last_error,
						(long long)((c->backoff_until_us - now_us(in)) / 1000000 + 1));
				}
				return;
			}
			if (!start_connect(c))
				return;
			break;
		case C_CONNECTING: {
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			if (poll(&p, 1, 0) <= 0)
				return;
			int err = 0;
			socklen_t sl = sizeof(err);
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
			if (err) {
				conn_failed(c, GP_STATE_CRITICAL,
					    "the host or its SSH server is down, or a firewall blocks the port",
					    "SSH connect to %s failed: %s", c->where, strerror(err));
				return;
			}
			c->s = libssh2_session_init_ex(session_alloc, session_free,
						       session_realloc, c);
			if (!c->s) {
				conn_failed(c, GP_STATE_UNKNOWN, NULL, "cannot create an SSH session");
				return;
			}
			libssh2_session_callback_set(c->s, LIBSSH2_CALLBACK_RECV, (void *)conn_recv);
			prefer_known_host_keys(c);
			libssh2_session_set_blocking(c->s, 0);
			libssh2_keepalive_config(c->s, 1, KEEPALIVE_S);
			c->phase = C_HANDSHAKE;
			break;
		}
		case C_HANDSHAKE: {
			int rc = libssh2_session_handshake(c->s, c->fd);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc) {
				/* libssh2 1.10 verifies no rsa-sha2 host signature:
				 * say so rather than doubt the server. */
				conn_failed(c, GP_STATE_UNKNOWN,
					    c->rsa_only
						    ? "known_hosts holds only an RSA key for this host, "
						      "and this probe's libssh2 cannot verify rsa-sha2 "
						      "signatures: give the host an ed25519 or ECDSA key "
						      "(ssh-keygen -A) and add it to known_hosts "
						      "(ssh-keyscan -t ed25519)"
						    : "is an SSH server listening on this port?",
					    "SSH handshake with %s failed: %s", c->where, session_error(c));
				return;
			}
			if (!check_host_key(c))
				return;
			c->phase = C_AUTH;
			break;
		}
		case C_AUTH: {
			int rc = libssh2_userauth_publickey_fromfile_ex(c->s, c->user,
									(unsigned)strlen(c->user), NULL,
									c->key, c->passphrase);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return;
			if (rc) {
				conn_failed(c, GP_STATE_UNKNOWN, auth_hint(c),
					    "SSH key authentication as '%s' on %s failed: %s", c->user,
					    c->where, session_error(c));
				return;
			}
			c->phase = C_READY;
			c->failures = 0;
			break;
		}
		case C_READY: {
			if (c->nq == 0) {
				int next;
				libssh2_keepalive_send(c->s, &next);
				return;
			}
			struct op *o = c->q[0];
			enum step_rc rc = o->chk->is_log ? log_step(c, o) : command_step(c, o);
			if (rc == STEP_AGAIN)
				return;
			if (rc == STEP_DONE) {
				q_pop(c);
				if (o->chk->is_log)
					log_result(in, o);
				else
					command_result(in, o);
				break;
			}
			/* The connection broke under the request. A connection
			 * kept idle may have been dropped by the server: one
			 * retry on a fresh one before failing. */
			if (!o->retried && o->step <= 1) {
				o->retried = true;
				teardown(c);
				break;
			}
			conn_failed(c, GP_STATE_CRITICAL, NULL, "SSH connection to %s broke: %s", c->where,
				    session_error(c));
			return;
		}
		}
	}
}

/* ------------------------------------------------------------------ */
/* The ABI                                                             */

static void *ssh_init(const struct gp_host_api *host, char *err, size_t errlen)
{
	if (!library_ready) {
		if (libssh2_init(0) != 0) {
			snprintf(err, errlen, "libssh2_init failed");
			return NULL;
		}
		library_ready = true;
	}
	struct ssh_inst *in = calloc(1, sizeof(*in));
	if (in)
		in->host = host;
	return in;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void check_release(struct ssh_check *k)
{
	if (k->has_re)
		regfree(&k->re);
	free(k->match);
	free(k->command);
	free(k->dir);
	free(k->pattern);
	free(k);
}

static void *ssh_check_new(void *inst, const struct gp_check_spec *spec, char *err, size_t errlen)
{
	struct ssh_inst *in = inst;
	struct ssh_check *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->is_log = strcmp(spec->kind, "ssh_log") == 0;
	k->timeout_us = spec->timeout_ms * 1000;
	const char *arg = spec->arg ? spec->arg : "";
	if (k->is_log) {
		const char *slash = strrchr(arg, '/');
		if (arg[0] != '/' || !slash || !slash[1]) {
			snprintf(err, errlen, "'%s' is not an absolute file path", arg);
			check_release(k);
			return NULL;
		}
		k->dir = strndup(arg, (size_t)(slash - arg));
		if (!k->dir[0]) {
			free(k->dir);
			k->dir = strdup("/");
		}
		k->pattern = strdup(slash + 1);
		if (has_glob(k->dir)) {
			snprintf(err, errlen, "only the file name may hold a glob, not the folder '%s'",
				 k->dir);
			check_release(k);
			return NULL;
		}
		snprintf(k->state_key, sizeof(k->state_key), "ssh_log/%s/%s", spec->target, spec->check);
		char st[400];
		if (in->host->state_get(in->host->ctx, k->state_key, st, sizeof(st)) > 0) {
			unsigned long long h, o;
			unsigned hl;
			int used = 0;
			if (sscanf(st, "%llx %u %llu %n", &h, &hl, &o, &used) == 3 && used > 0 &&
			    hl <= HEAD_LEN) {
				k->pos.have = true;
				k->pos.head_hash = h;
				k->pos.head_len = hl;
				k->pos.offset = o;
				snprintf(k->pos.file, sizeof(k->pos.file), "%s", st + used);
			}
		}
	} else {
		k->command = strdup(arg);
	}
	const char *m = gp_spec_option(spec, "match");
	if (m) {
		int rc = regcomp(&k->re, m, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &k->re, err, errlen);
			check_release(k);
			return NULL;
		}
		k->has_re = true;
		k->match = strdup(m);
	}

	struct conn *c = NULL;
	for (size_t i = 0; i < in->n_conns; i++)
		if (strcmp(in->conns[i]->target, spec->target) == 0)
			c = in->conns[i];
	if (!c) {
		const char *user = gp_spec_option(spec, "ssh.user");
		const char *key = gp_spec_option(spec, "ssh.key");
		const char *kh = gp_spec_option(spec, "ssh.known_hosts");
		if (!user || !key || !kh) {
			snprintf(err, errlen, "the target's ssh block needs user, key and known_hosts");
			check_release(k);
			return NULL;
		}
		/* libssh2 reads the key itself: say plainly when this user
		 * cannot (another user running check_genesys). */
		if (access(key, R_OK) != 0) {
			snprintf(err, errlen, "cannot read ssh.key '%s': %s", key, strerror(errno));
			check_release(k);
			return NULL;
		}
		c = calloc(1, sizeof(*c));
		c->in = in;
		c->fd = -1;
		c->target = strdup(spec->target);
		c->host = strdup(spec->host);
		c->user = strdup(user);
		c->key = strdup(key);
		c->known_hosts = strdup(kh);
		const char *pf = gp_spec_option(spec, "ssh.passphrase_file");
		if (pf && !(c->passphrase = in->host->read_secret(in->host->ctx, pf, err, errlen))) {
			free(c->target);
			free(c->host);
			free(c->user);
			free(c->key);
			free(c->known_hosts);
			free(c);
			check_release(k);
			return NULL;
		}
		const char *port = gp_spec_option(spec, "ssh.port");
		c->port = port ? atoi(port) : 22;
		snprintf(c->where, sizeof(c->where), "%s:%d", spec->host, c->port);
		c->timeout_us = k->timeout_us;
		struct conn **v = realloc(in->conns, (in->n_conns + 1) * sizeof(*v));
		if (!v)
			abort();
		in->conns = v;
		in->conns[in->n_conns++] = c;
	}
	if (k->timeout_us < c->timeout_us)
		c->timeout_us = k->timeout_us;
	c->refs++;
	k->conn = c;
	return k;
}

static int ssh_start(void *inst, void *check, uint64_t id)
{
	struct ssh_inst *in = inst;
	struct ssh_check *k = check;
	struct conn *c = k->conn;
	struct op *o = calloc(1, sizeof(*o));
	if (!o)
		return -1;
	o->id = id;
	o->chk = k;
	o->started_us = now_us(in);
	o->deadline_us = o->started_us + k->timeout_us;
	if (c->nq == c->capq) {
		size_t nc = c->capq ? c->capq * 2 : 8;
		struct op **v = realloc(c->q, nc * sizeof(*v));
		if (!v) {
			free(o);
			return -1;
		}
		c->q = v;
		c->capq = nc;
	}
	c->q[c->nq++] = o;
	return 0;
}

static int ssh_poll_fds(void *inst, struct gp_pollfd *fds, int max, int64_t *timeout_ms)
{
	struct ssh_inst *in = inst;
	int n = 0;
	int64_t wait = -1, now = now_us(in);
	for (size_t i = 0; i < in->n_conns; i++) {
		struct conn *c = in->conns[i];
		if (c->nq == 0)
			continue;
		if (c->phase == C_IDLE) {
			wait = 0; /* a request waits to be started */
			continue;
		}
		short ev = 0;
		if (c->phase == C_CONNECTING) {
			ev = POLLOUT;
		} else if (c->s) {
			int dir = libssh2_session_block_directions(c->s);
			if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
				ev |= POLLIN;
			if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
				ev |= POLLOUT;
			if (!ev)
				wait = 0; /* work that does not wait on the socket */
		}
		if (ev) {
			if (n < max)
				fds[n] = (struct gp_pollfd){.fd = c->fd, .events = ev};
			n++;
		}
		/* The first request's deadline, and the connect's. */
		int64_t due = c->q[0]->deadline_us;
		if (c->phase == C_CONNECTING && c->phase_deadline_us < due)
			due = c->phase_deadline_us;
		int64_t left = due - now;
		int64_t ms = left <= 0 ? 0 : (left + 999) / 1000;
		if (wait < 0 || ms < wait)
			wait = ms;
	}
	*timeout_ms = wait;
	return n;
}

static void ssh_dispatch(void *inst, const struct gp_pollfd *fds, int nfds)
{
	(void)fds;
	(void)nfds;
	struct ssh_inst *in = inst;
	for (size_t i = 0; i < in->n_conns; i++) {
		struct conn *c = in->conns[i];
		pump(c);
		if (c->nq == 0)
			continue;
		/* The request at the head ran out of time: the connection is
		 * mid-conversation and cannot be trusted; drop it. */
		struct op *o = c->q[0];
		int64_t now = now_us(in);
		if (now >= o->deadline_us) {
			static const char *const phases[] = {"waiting", "connecting", "the SSH handshake",
							     "authentication", "the request"};
			double ms = (double)(now - o->started_us) / 1000.0;
			enum phase ph = c->phase;
			teardown(c); /* with o still queued: its handles are freed */
			q_pop(c);
			fail_op(in, o, GP_STATE_CRITICAL,
				ph <= C_HANDSHAKE ? "the host does not answer on its SSH port: down, or "
						    "a firewall drops the packets"
						  : "the target is overloaded, or the command hangs",
				"SSH to %s timed out after %.0f ms during %s", c->where, ms, phases[ph]);
		}
		/* Requests queued behind a slow one keep their own deadline. */
		for (size_t k = 1; k < c->nq;) {
			struct op *w = c->q[k];
			if (now < w->deadline_us) {
				k++;
				continue;
			}
			memmove(c->q + k, c->q + k + 1, (c->nq - k - 1) * sizeof(*c->q));
			c->nq--;
			fail_op(in, w, GP_STATE_CRITICAL, "earlier requests to this target are slow",
				"SSH to %s: timed out waiting for the connection after %.0f ms", c->where,
				(double)(now - w->started_us) / 1000.0);
		}
	}
}

static void ssh_check_free(void *inst, void *check)
{
	struct ssh_inst *in = inst;
	struct ssh_check *k = check;
	struct conn *c = k->conn;
	check_release(k);
	if (--c->refs > 0)
		return;
	for (size_t i = 0; i < in->n_conns; i++)
		if (in->conns[i] == c) {
			in->conns[i] = in->conns[--in->n_conns];
			break;
		}
	teardown(c);
	for (size_t i = 0; i < c->nq; i++)
		op_free(c->q[i]);
	free(c->q);
	free(c->target);
	free(c->host);
	free(c->user);
	free(c->key);
	free(c->known_hosts);
	if (c->passphrase) {
		for (volatile char *p = c->passphrase; *p; p++)
			*p = 0;
		free(c->passphrase);
	}
	free(c);
}

static void ssh_fini(void *inst)
{
	struct ssh_inst *in = inst;
	free(in->conns);
	free(in);
}

/* ------------------------------------------------------------------ */
/* What a config may say to this collector                             */

static const struct gp_option_decl ssh_block_options[] = {
	{.name = "port", .type = GP_OPT_INTEGER, .def = "22", .min = 1, .max = 65535,
	 .doc = "TCP port of the SSH server"},
	{.name = "user", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED, .doc = "login name"},
	{.name = "key", .type = GP_OPT_SECRET_FILE, .flags = GP_OPT_REQUIRED,
	 .doc = "private key file (mode 0600 or 0400)"},
	/* Strict host key checking needs a known_hosts file: no trust on
	 * first use. */
	{.name = "known_hosts", .type = GP_OPT_FILE, .flags = GP_OPT_REQUIRED,
	 .doc = "OpenSSH known_hosts holding the host's key"},
	{.name = "passphrase_file", .type = GP_OPT_SECRET_FILE,
	 .doc = "the key's passphrase, from a private file"},
	{0},
};

static const struct gp_option_decl command_options[] = {
	{.name = "match", .type = GP_OPT_REGEX, .flags = GP_OPT_VARS,
	 .doc = "POSIX ERE the output must match"},
	{0},
};

static const struct gp_option_decl log_options[] = {
	{.name = "match", .type = GP_OPT_REGEX, .flags = GP_OPT_VARS,
	 .doc = "count only the new lines that match (POSIX ERE)"},
	{0},
};

static void ssh_validate_log(const struct gp_check_spec *s, const struct gp_problems *p)
{
	if (s->arg[0] != '/')
		p->at_value(p->ctx, "", "'%s' must be an absolute path on the target", s->arg);
}

static const struct gp_kind_decl ssh_kinds[] = {
	{.name = "ssh_command",
	 .block = "ssh",
	 .arg = {.name = "command", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .doc = "shell command run on the target"},
	 .options = command_options,
	 .doc = "runs a command; the value is its trimmed output"},
	{.name = "ssh_log",
	 .block = "ssh",
	 .arg = {.name = "path", .type = GP_OPT_STRING, .flags = GP_OPT_REQUIRED | GP_OPT_VARS,
		 .doc = "log file or glob on the target (the newest segment is followed)"},
	 .options = log_options,
	 .doc = "new log lines since the last poll; the value is how many match",
	 .validate = ssh_validate_log},
	{0},
};

static const struct gp_block_decl ssh_blocks[] = {
	{.name = "ssh", .options = ssh_block_options, .doc = "how to log in to the target"},
	{0},
};

static const struct gp_collector ssh_collector = {
	.abi_version = GP_COLLECTOR_ABI_VERSION,
	.name = "ssh",
	.kinds = ssh_kinds,
	.blocks = ssh_blocks,

	.init = ssh_init,
	.check_new = ssh_check_new,
	.start = ssh_start,
	.poll_fds = ssh_poll_fds,
	.dispatch = ssh_dispatch,
	.check_free = ssh_check_free,
	.fini = ssh_fini,
};

GP_COLLECTOR_EXPORT const struct gp_collector *gp_collector_entry(void)
{
	return &ssh_collector;
}
