/*
 * check_genesys.c - Nagios/Icinga plugin over gprobe's collectors.
 *
 *   check_genesys [-c FILE] -T TARGET [-C CHECK] [-t SECONDS]
 *
 * Runs the target's checks (all, or one) once through the same collector
 * plugins as the daemon and prints one line per the Monitoring Plugins
 * guidelines:  GENESYS <STATE> - text | 'label'=value[UOM];warn;crit;;
 * Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 *
 * Standalone, without a config file (-H given; then -c and -w are the
 * critical and warning thresholds and -C the SNMP community, as with
 * check_snmp):
 *
 *   check_genesys -H HOST -P snmp -o OID [-C COMMUNITY | -U USER -L LEVEL
 *                 [-a AUTH -A AUTHFILE] [-x PRIV -X PRIVFILE]] [-w W] [-c C]
 *   check_genesys -H HOST -P http -u URL [--expect-status N]
 *                 [--json POINTER --expect VALUE] [--ca-file PEM | --insecure] [-w W] [-c C]
 *   check_genesys -H HOST -P ssh -l USER -i KEY --known-hosts FILE
 *                 --command CMD [-w W] [-c C]
 *
 * The options become a one-target config in memory, loaded and validated
 * like a file (gp_config_load_text): the same checks, the same collectors. Secrets
 * come from files, never from the command line (which `ps` shows); the
 * v1/v2c community is the exception the guidelines allow.
 */
#include "config.h"
#include "plugin.h"
#include "runner.h"
#include "store.h"
#include "util.h"
#include "yaml.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef GPROBE_VERSION
#define GPROBE_VERSION "0"
#endif

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "GENESYS UNKNOWN - plugin timed out\n";
	ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	_exit(GP_STATE_UNKNOWN);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: check_genesys [-c FILE] -T TARGET [-C CHECK] [-t SECONDS] [-v]\n"
		"       check_genesys -H HOST -P snmp -o OID [-C COMMUNITY] [-p PORT]\n"
		"                     [--snmp-version 1|2c|3] [-U USER -L LEVEL [-a SHA|SHA-256|MD5\n"
		"                     -A AUTHFILE] [-x AES|DES -X PRIVFILE]] [-w RANGE] [-c RANGE]\n"
		"       check_genesys -H HOST -P http -u URL [--expect-status N]\n"
		"                     [--json POINTER] [--expect VALUE] [--ca-file PEM | --insecure]\n"
		"                     [-w RANGE] [-c RANGE]\n"
		"       check_genesys -H HOST -P ssh -l USER -i KEY --known-hosts FILE\n"
		"                     --command CMD [-p PORT] [-w RANGE] [-c RANGE]\n"
		"       check_genesys [-c FILE] --service NAME | --target NAME [--stale-after S]\n"
		"       check_genesys [-c FILE] --self [-w SECONDS] [-c SECONDS] [--max-backlog N]\n"
		"                     [--max-lag S] [--max-rrd-failures N] [--stale-after S]\n"
		"       check_genesys -V | -h\n\n"
		"Config mode runs the checks of TARGET from the gprobe config (default\n"
		"$GPROBE_CONFIG, then /etc/gprobe/gprobe.yaml) once and reports the worst.\n"
		"  -T TARGET   the target's name in the config\n"
		"  -C CHECK    only this check of the target\n"
		"Standalone mode (-H) runs one check without a config; -w and -c are\n"
		"Nagios ranges (10, 10:, ~:10, 10:20, @10:20), -C the SNMP community.\n"
		"Passwords and keys are read from files (mode 0600 or 0400).\n"
		"--service and --target read the running daemon's state from its store\n"
		"(read-only; nothing is polled, no collector loaded): UP OK, DEGRADED\n"
		"WARNING, DOWN CRITICAL, never seen or a stale heartbeat UNKNOWN.\n"
		"--self: the daemon's heartbeat age against -w/-c (30 and 120 s;\n"
		"CRITICAL when stale), the alerts queued or sending (WARNING above\n"
		"--max-backlog, 50) and those undelivered (WARNING above 0); over the\n"
		"daemon's last minute, the latest start of a check behind its time\n"
		"(WARNING above --max-lag, 5 s) and the RRD writes failed or dropped\n"
		"(WARNING above --max-rrd-failures, 0).\n"
		"  --stale-after S  a heartbeat older than S seconds: daemon stopped (30)\n"
		"  --config FILE    the config, where -c is a threshold\n"
		"  -t SECONDS  give up after this long (UNKNOWN), default 10\n"
		"  -v          more detail: -vv adds every check's output\n");
}

/* s made fit for the status line, in place: no line break, and no '|'
 * (which would start perfdata). */
static char *one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '|')
			*p = *p == '|' ? '/' : ' ';
	return s;
}

/* Perfdata labels are quoted; a quote inside is doubled. */
static void perf_label(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			putchar('\'');
		putchar(*s);
	}
	putchar('\'');
}

/* A unit of measurement that perfdata parsers read as a unit: letters,
 * '%' and '/' only ("ms", "KB", "%", "/s"). Anything else (a digit, a
 * space, ';', '=', a quote: "1/s", "calls per s") would run into the
 * number or the next field, and Icinga 2 reads 'x'=121/s as 121 for a
 * value of 12; such a unit is left out, the number stays right. */
static bool perf_uom_ok(const char *u)
{
	for (; *u; u++)
		if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || *u == '%' || *u == '/'))
			return false;
	return true;
}

/* The value as a double-quoted YAML scalar: nothing the caller types can
 * add a key or break out of the string. */
static void yq(FILE *f, const char *v)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* key: "value" when the value is given. */
static void ykv(FILE *f, const char *indent, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(f, "%s%s: ", indent, key);
	yq(f, v);
	fputc('\n', f);
}

/* A file named on the command line, made absolute (the config's relative
 * paths would be taken from its own, in-memory, location). */
static const char *abs_path(const char *p, char *buf)
{
	if (!p || p[0] == '/')
		return p;
	return realpath(p, buf) ? buf : p;
}

struct args {
	const char *c_arg, *C_arg, *target, *host, *proto, *oid, *port, *snmp_version, *v3_user,
		*level, *auth, *auth_file, *priv, *priv_file, *url, *expect_status, *json, *expect,
		*user, *key, *known_hosts, *command, *warn, *ca_file;
	bool insecure;
	int timeout_s, verbose;
};

/* The standalone options as a one-target config. NULL with a reason. */
static char *standalone_yaml(const struct args *a, const char **why)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		*why = "out of memory";
		return NULL;
	}
	char b1[PATH_MAX], b2[PATH_MAX], b3[PATH_MAX];
	int check_timeout = a->timeout_s > 2 ? a->timeout_s - 1 : 1;
	bool snmp = !strcmp(a->proto, "snmp"), http = !strcmp(a->proto, "http"),
	     ssh = !strcmp(a->proto, "ssh");
	*why = NULL;
	if (snmp && !a->oid)
		*why = "-P snmp needs -o OID";
	else if (http && !a->url)
		*why = "-P http needs -u URL";
	else if (ssh && (!a->user || !a->key || !a->known_hosts || !a->command))
		*why = "-P ssh needs -l USER, -i KEY, --known-hosts FILE and --command CMD";
	else if (!snmp && !http && !ssh)
		*why = "-P must be snmp, http or ssh";
	if (*why) {
		fclose(f);
		free(text);
		return NULL;
	}
	fprintf(f, "probe: {rrd: false}\ntargets:\n  - name: standalone\n    host: ");
	yq(f, a->host);
	fprintf(f, "\n    owner: supplier\n");
	if (snmp) {
		const char *version = a->snmp_version ? a->snmp_version : a->v3_user ? "3" : "2c";
		fprintf(f, "    snmp:\n");
		ykv(f, "      ", "version", version);
		ykv(f, "      ", "port", a->port);
		ykv(f, "      ", "community", strcmp(version, "3") ? (a->C_arg ? a->C_arg : "public")
							 : NULL);
		ykv(f, "      ", "user", a->v3_user);
		ykv(f, "      ", "security_level", a->level);
		ykv(f, "      ", "auth_protocol", a->auth);
		ykv(f, "      ", "auth_password_file", abs_path(a->auth_file, b1));
		ykv(f, "      ", "priv_protocol", a->priv);
		ykv(f, "      ", "priv_password_file", abs_path(a->priv_file, b2));
	} else if (ssh) {
		fprintf(f, "    ssh:\n");
		ykv(f, "      ", "user", a->user);
		ykv(f, "      ", "key", abs_path(a->key, b1));
		ykv(f, "      ", "known_hosts", abs_path(a->known_hosts, b3));
		ykv(f, "      ", "port", a->port);
	} else if (a->insecure || a->ca_file) {
		/* A site's own CA instead of switching verification off. */
		fprintf(f, "    http:\n");
		if (a->insecure)
			fprintf(f, "      tls_verify: false\n");
		ykv(f, "      ", "ca_file", abs_path(a->ca_file, b1));
	}
	fprintf(f, "    checks:\n      - name: %s\n", a->proto);
	ykv(f, "        ", snmp ? "snmp_get" : http ? "http_get" : "ssh_command",
	    snmp ? a->oid : http ? a->url : a->command);
	ykv(f, "        ", "expect_status", a->expect_status);
	ykv(f, "        ", "json", a->json);
	ykv(f, "        ", "expect", a->expect);
	ykv(f, "        ", "warning", a->warn);
	ykv(f, "        ", "critical", a->c_arg);
	/* One run, no schedule: the interval only has to hold the timeout
	 * (the default 10 s refused -t 12 and longer). */
	fprintf(f, "        timeout: %ds\n        interval: %ds\n        attempts: 1\n",
		check_timeout, check_timeout > 10 ? check_timeout : 10);
	fclose(f);
	return text;
}

/* The config's first error: for the in-memory config, its message alone
 * (a position in text nobody wrote means nothing). */
static void config_error(struct gp_errlist *el, bool standalone)
{
	char *m = !el->n        ? gp_xstrdup("invalid config")
		  : standalone ? gp_xstrdup(el->v[0].msg)
			       : gp_errlist_format(el, 0);
	const char *text = m;
	printf("GENESYS UNKNOWN - %s", standalone ? "invalid argument: " : "config error: ");
	/* One line, whatever the arguments held; '|' would start perfdata. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p == '|' ? '/' : *p);
	putchar('\n');
	free(m);
}


/* ------------------------------------------------------------------ */
/* --service, --target, --self: the running daemon's state, read from   */
/* its store (read-only, one snapshot), as `gprobe status` reads it. No */
/* collector is loaded and nothing is polled: the config is read for    */
/* probe.data_dir, probe.store and its password file, calendar.timezone */
/* and the service's up_when only.                                       */


struct state_args {
	const char *cfgfile, *service, *target, *warn, *crit;
	bool self;
	long max_backlog, stale_s;
	long max_lag_s, max_rrd_failures;
};

/* The few keys read from the config: a plain YAML read, so that no
 * collector (and none of its libraries) is needed to validate checks. */
struct state_cfg {
	char *data_dir, *tz, *up_when;
	char *store, *store_password_file; /* NULL: the sqlite file in data_dir */
	bool has_service;
};

static const char *yscalar(const struct gp_ynode *map, const char *key)
{
	const struct gp_ynode *v = map && map->type == GP_Y_MAP ? gp_ymap_get(map, key) : NULL;
	return v && v->type == GP_Y_SCALAR && !gp_ynode_is_null(v) ? v->text : NULL;
}

/* path as the loader takes it: relative to the config file's folder. */
static char *config_relative(const char *file, const char *path)
{
	if (path[0] == '/')
		return gp_xstrdup(path);
	char buf[PATH_MAX];
	const char *abs = realpath(file, buf) ? buf : file;
	const char *slash = strrchr(abs, '/');
	return slash ? gp_xasprintf("%.*s/%s", (int)(slash - abs), abs, path) : gp_xstrdup(path);
}

static bool state_cfg_read(const char *file, const char *service, struct state_cfg *sc,
			   char *why, size_t whylen)
{
	struct gp_errlist el = {0};
	struct gp_ynode *root = gp_yaml_load(file, &el);
	if (!root) {
		char *m = el.n ? gp_errlist_format(&el, 0) : gp_xstrdup("cannot read");
		snprintf(why, whylen, "config error: %s", one_line(m));
		free(m);
		gp_errlist_free(&el);
		return false;
	}
	gp_errlist_free(&el);
	const char *dd = yscalar(gp_ymap_get(root, "probe"), "data_dir");
	if (!dd)
		dd = "/var/lib/gprobe";
	sc->data_dir = config_relative(file, dd);
	/* A probe pair's store: the same database on either node. */
	const char *store = yscalar(gp_ymap_get(root, "probe"), "store");
	if (store && strcmp(store, "sqlite") != 0)
		sc->store = gp_xstrdup(store);
	const char *pw = yscalar(gp_ymap_get(root, "probe"), "store_password_file");
	if (pw)
		sc->store_password_file = config_relative(file, pw);
	const char *tz = yscalar(gp_ymap_get(root, "calendar"), "timezone");
	sc->tz = gp_xstrdup(tz ? tz : "Asia/Almaty");
	const struct gp_ynode *svcs = gp_ymap_get(root, "services");
	for (size_t i = 0; service && svcs && svcs->type == GP_Y_SEQ && i < svcs->n; i++) {
		const char *n = yscalar(svcs->items[i], "name");
		if (n && !strcmp(n, service)) {
			const char *uw = yscalar(svcs->items[i], "up_when");
			sc->up_when = uw ? gp_xstrdup(uw) : NULL;
			sc->has_service = true;
		}
	}
	gp_ynode_free(root);
	return true;
}

/* Whether name is a whole word of the expression (a target it names). */
static bool names_target(const char *expr, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = expr; expr && (p = strstr(p, name)) != NULL; p++) {
		bool before = p == expr || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
					     p[-1] == '-' || p[-1] == '.');
		char c = p[len];
		bool after = !(isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.');
		if (before && after)
			return true;
	}
	return false;
}

struct fault_ctx {
	const char *up_when;
	FILE *out;
	size_t n;
};

static void add_down_member(void *ctx, const struct gp_status_row *r)
{
	struct fault_ctx *c = ctx;
	if (r->state != GP_DOWN || !names_target(c->up_when, r->name))
		return;
	fprintf(c->out, "%s%s", c->n++ ? ", " : "", r->name);
}

static void add_failing_check(void *ctx, const struct gp_check_row *r)
{
	struct fault_ctx *c = ctx;
	if (!r->has_result)
		return;
	fprintf(c->out, "%s%s %s", c->n++ ? ", " : "", r->name, gp_state_name(r->state));
	if (r->output && *r->output) {
		char *o = one_line(gp_xstrdup(r->output));
		fprintf(c->out, " (%.*s)", gp_utf8_prefix(o, 80), o);
		free(o);
	}
}

static enum gp_state health_state(enum gp_health h)
{
	switch (h) {
	case GP_UP: return GP_STATE_OK;
	case GP_DEGRADED: return GP_STATE_WARNING;
	case GP_DOWN: return GP_STATE_CRITICAL;
	default: return GP_STATE_UNKNOWN;
	}
}

/* A threshold of --self: a whole number of seconds or alerts, or -1. */
static long parse_count(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	return *end || errno || v < 0 ? -2 : v;
}

static int state_mode(const struct state_args *a)
{
	const char *cfgfile = a->cfgfile ? a->cfgfile
			      : getenv("GPROBE_CONFIG") ? getenv("GPROBE_CONFIG")
							: "/etc/gprobe/gprobe.yaml";
	long warn = a->warn ? parse_count(a->warn) : 30, crit = a->crit ? parse_count(a->crit) : 120;
	if (a->self && (warn < 0 || crit < 0 || a->max_backlog < 0)) {
		printf("GENESYS UNKNOWN - invalid threshold (whole seconds, alerts)\n");
		return GP_STATE_UNKNOWN;
	}
	char why[1024];
	struct state_cfg sc = {0};
	if (!state_cfg_read(cfgfile, a->service, &sc, why, sizeof(why))) {
		printf("GENESYS UNKNOWN - %s\n", why);
		return GP_STATE_UNKNOWN;
	}
	int rc = GP_STATE_UNKNOWN;
	char err[512];
	struct gp_store_where where = {.store = sc.store, .data_dir = sc.data_dir,
				       .password_file = sc.store_password_file};
	struct gp_store *st = gp_store_open(&where, false, err, sizeof(err));
	/* One snapshot: the heartbeat and the rows agree (gp_cli_open). */
	if (!st || gp_store_begin(st) != 0) {
		char *m = gp_xstrdup(st ? gp_store_error(st) : err);
		printf("GENESYS UNKNOWN - cannot read the store in %s: %s\n",
		       sc.store ? sc.store : sc.data_dir, one_line(m));
		free(m);
		goto out;
	}
	int64_t now = (int64_t)time(NULL), hb = gp_store_last_heartbeat(st);
	int64_t hb_age = hb > 0 ? now - hb : -1;
	bool stale = hb <= 0 || hb_age > a->stale_s;
	char when[48];
	if (a->self) {
		struct gp_alert_counts ac = {0};
		bool have_ac = gp_store_alert_counts(st, &ac) == 0;
		int64_t backlog = ac.queued + ac.sending, undelivered = ac.failed + ac.flagged;
		enum gp_state s = GP_STATE_OK;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (!f) {
			printf("GENESYS UNKNOWN - out of memory\n");
			goto out;
		}
		if (hb <= 0) {
			s = GP_STATE_CRITICAL;
			fprintf(f, "daemon never ran: no heartbeat in %s", sc.store ? sc.store : sc.data_dir);
		} else {
			gp_format_local(hb, sc.tz, when, sizeof(when));
			if (stale || hb_age > crit)
				s = GP_STATE_CRITICAL;
			else if (hb_age > warn)
				s = GP_STATE_WARNING;
			fprintf(f, "%s, last heartbeat %s (%lld s ago)",
				stale ? "daemon NOT RUNNING OR STUCK" : "daemon running", when,
				(long long)hb_age);
		}
		if (have_ac) {
			fprintf(f, ", %lld alert%s queued or sending", (long long)backlog,
				backlog == 1 ? "" : "s");
			if (backlog > a->max_backlog)
				s = gp_worse_state(s, GP_STATE_WARNING);
			if (ac.failed)
				fprintf(f, ", %lld FAILED (not retried)", (long long)ac.failed);
			if (ac.flagged)
				fprintf(f, ", %lld UNDELIVERED FOR TOO LONG", (long long)ac.flagged);
			if (undelivered)
				s = gp_worse_state(s, GP_STATE_WARNING);
		}
		/* The daemon's last minute, when it said so lately (a daemon
		 * of before, or one stopped, has no current figures). */
		struct gp_probe_health h;
		bool have_h = !stale && gp_store_health_get(st, &h) == 0 && h.at > 0 &&
			      now - h.at <= 60;
		if (have_h) {
			fprintf(f, ", schedule lag %lld ms", (long long)h.lag_ms);
			if (h.late)
				fprintf(f, " (%lld check%s more than 1 s late)", (long long)h.late,
					h.late == 1 ? "" : "s");
			if (h.lag_ms > a->max_lag_s * 1000) {
				fprintf(f, " BEHIND SCHEDULE");
				s = gp_worse_state(s, GP_STATE_WARNING);
			}
			int64_t rrd_bad = h.rrd_failed + h.rrd_dropped;
			if (rrd_bad)
				fprintf(f, ", RRD: %lld write%s failed, %lld dropped in the last minute",
					(long long)h.rrd_failed, h.rrd_failed == 1 ? "" : "s",
					(long long)h.rrd_dropped);
			if (rrd_bad > a->max_rrd_failures)
				s = gp_worse_state(s, GP_STATE_WARNING);
		}
		fclose(f);
		printf("GENESYS %s - %s |", gp_state_name(s), text);
		if (hb > 0)
			printf(" 'heartbeat_age'=%llds;%ld;%ld;0;", (long long)hb_age, warn, crit);
		if (have_ac)
			printf(" 'backlog'=%lld;%ld;;0; 'undelivered'=%lld;0;;0;", (long long)backlog,
			       a->max_backlog, (long long)undelivered);
		if (have_h)
			/* --max-rrd-failures bounds the two together; each
			 * series carries it. */
			printf(" 'lag'=%lldms;%ld;;0; 'late_checks'=%lld;;;0; 'rrd_failed'=%lld;%ld;;0;"
			       " 'rrd_dropped'=%lld;%ld;;0;",
			       (long long)h.lag_ms, a->max_lag_s * 1000, (long long)h.late,
			       (long long)h.rrd_failed, a->max_rrd_failures, (long long)h.rrd_dropped,
			       a->max_rrd_failures);
		putchar('\n');
		free(text);
		rc = s;
		goto out;
	}
	const char *what = a->service ? "service" : "target", *name = a->service ? a->service
										   : a->target;
	struct gp_service_status ss;
	struct gp_target_status ts;
	bool found;
	enum gp_health h = GP_HEALTH_UNKNOWN;
	int64_t since = 0;
	if (a->service) {
		found = gp_store_load_service(st, name, &ss);
		if (found)
			h = ss.state, since = ss.since;
	} else {
		found = gp_store_load_target(st, name, &ts);
		if (found)
			h = ts.state, since = ts.since;
	}
	if (a->service && !found && !sc.has_service) {
		printf("GENESYS UNKNOWN - no service '%s' in %s\n", name, cfgfile);
		goto out;
	}
	if (!found) {
		printf("GENESYS UNKNOWN - %s %s never seen by the daemon\n", what, name);
		goto out;
	}
	gp_format_local(since, sc.tz, when, sizeof(when));
	long long age = since > 0 && now >= since ? (long long)(now - since) : 0;
	if (stale) {
		/* Nobody knows the state now: never the last one as if current. */
		char hbw[48] = "never";
		if (hb > 0)
			gp_format_local(hb, sc.tz, hbw, sizeof(hbw));
		printf("GENESYS UNKNOWN - %s %s: daemon not running or stuck (last heartbeat %s), "
		       "last seen %s since %s | 'age'=%llds;;;0;\n",
		       what, name, hbw, gp_health_name(h), when, age);
		goto out;
	}
	char *faults = NULL;
	size_t flen = 0;
	struct fault_ctx fc = {.up_when = sc.up_when, .out = open_memstream(&faults, &flen)};
	if (!fc.out) {
		printf("GENESYS UNKNOWN - out of memory\n");
		goto out;
	}
	if (h != GP_UP) {
		if (a->service)
			gp_store_list_targets(st, add_down_member, &fc);
		else
			gp_store_list_checks(st, name, true, add_failing_check, &fc);
	}
	fclose(fc.out);
	rc = health_state(h);
	printf("GENESYS %s - %s %s %s since %s", gp_state_name(rc), what, name, gp_health_name(h),
	       when);
	if (fc.n)
		printf(" (%s: %s)", a->service ? "down" : "failing", faults);
	printf(" | 'age'=%llds;;;0;\n", age);
	free(faults);
out:
	gp_store_close(st);
	free(sc.data_dir);
	free(sc.store);
	free(sc.store_password_file);
	free(sc.tz);
	free(sc.up_when);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {.timeout_s = 10};
	enum {
		O_SNMP_VERSION = 256, O_EXPECT_STATUS, O_JSON, O_EXPECT, O_INSECURE, O_KNOWN_HOSTS,
		O_COMMAND, O_CA_FILE, O_SERVICE, O_TARGET, O_SELF, O_CONFIG, O_MAX_BACKLOG,
		O_STALE_AFTER, O_MAX_LAG, O_MAX_RRD_FAILURES
	};
	struct state_args sa = {.max_backlog = 50, .stale_s = GP_HEARTBEAT_STALE_S,
				.max_lag_s = 5, .max_rrd_failures = 0};
	const char *c_args[2] = {NULL, NULL};
	size_t n_c = 0;
	static const struct option longs[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"verbose", no_argument, NULL, 'v'},
		{"timeout", required_argument, NULL, 't'},
		{"hostname", required_argument, NULL, 'H'},
		{"protocol", required_argument, NULL, 'P'},
		{"snmp-version", required_argument, NULL, O_SNMP_VERSION},
		{"expect-status", required_argument, NULL, O_EXPECT_STATUS},
		{"json", required_argument, NULL, O_JSON},
		{"expect", required_argument, NULL, O_EXPECT},
		{"insecure", no_argument, NULL, O_INSECURE},
		{"ca-file", required_argument, NULL, O_CA_FILE},
		{"known-hosts", required_argument, NULL, O_KNOWN_HOSTS},
		{"command", required_argument, NULL, O_COMMAND},
		{"service", required_argument, NULL, O_SERVICE},
		{"target", required_argument, NULL, O_TARGET},
		{"self", no_argument, NULL, O_SELF},
		{"config", required_argument, NULL, O_CONFIG},
		{"max-backlog", required_argument, NULL, O_MAX_BACKLOG},
		{"stale-after", required_argument, NULL, O_STALE_AFTER},
		{"max-lag", required_argument, NULL, O_MAX_LAG},
		{"max-rrd-failures", required_argument, NULL, O_MAX_RRD_FAILURES},
		{NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:T:C:t:vVhH:P:o:p:U:L:a:A:x:X:u:l:i:w:", longs,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			a.c_arg = optarg;
			if (n_c < 2)
				c_args[n_c++] = optarg;
			break;
		case O_SERVICE: sa.service = optarg; break;
		case O_TARGET: sa.target = optarg; break;
		case O_SELF: sa.self = true; break;
		case O_CONFIG: sa.cfgfile = optarg; break;
		case O_MAX_BACKLOG:
			sa.max_backlog = parse_count(optarg);
			if (sa.max_backlog < 0) {
				printf("GENESYS UNKNOWN - invalid --max-backlog '%s'\n", optarg);
				return GP_STATE_UNKNOWN;
			}
			break;
		case O_MAX_LAG:
		case O_MAX_RRD_FAILURES: {
			long v = parse_count(optarg);
			if (v < 0) {
				printf("GENESYS UNKNOWN - invalid --%s '%s'\n",
				       opt == O_MAX_LAG ? "max-lag" : "max-rrd-failures", optarg);
				return GP_STATE_UNKNOWN;
			}
			*(opt == O_MAX_LAG ? &sa.max_lag_s : &sa.max_rrd_failures) = v;
			break;
		}
		case O_STALE_AFTER:
			sa.stale_s = parse_count(optarg);
			if (sa.stale_s <= 0) {
				printf("GENESYS UNKNOWN - invalid --stale-after '%s'\n", optarg);
				return GP_STATE_UNKNOWN;
			}
			break;
		case 'C': a.C_arg = optarg; break;
		case 'T': a.target = optarg; break;
		case 'H': a.host = optarg; break;
		case 'P': a.proto = optarg; break;
		case 'o': a.oid = optarg; break;
		case 'p': a.port = optarg; break;
		case 'U': a.v3_user = optarg; break;
		case 'L': a.level = optarg; break;
		case 'a': a.auth = optarg; break;
		case 'A': a.auth_file = optarg; break;
		case 'x': a.priv = optarg; break;
		case 'X': a.priv_file = optarg; break;
		case 'u': a.url = optarg; break;
		case 'l': a.user = optarg; break;
		case 'i': a.key = optarg; break;
		case 'w': a.warn = optarg; break;
		case O_SNMP_VERSION: a.snmp_version = optarg; break;
		case O_EXPECT_STATUS: a.expect_status = optarg; break;
		case O_JSON: a.json = optarg; break;
		case O_EXPECT: a.expect = optarg; break;
		case O_INSECURE: a.insecure = true; break;
		case O_CA_FILE: a.ca_file = optarg; break;
		case O_KNOWN_HOSTS: a.known_hosts = optarg; break;
		case O_COMMAND: a.command = optarg; break;
		case 't':
			a.timeout_s = atoi(optarg);
			if (a.timeout_s <= 0) {
				printf("GENESYS UNKNOWN - invalid timeout '%s'\n", optarg);
				return GP_STATE_UNKNOWN;
			}
			break;
		case 'v':
			a.verbose++;
			break;
		case 'V':
			printf("check_genesys %s\n", GPROBE_VERSION);
			return GP_STATE_OK;
		case 'h':
			usage(stdout);
			return GP_STATE_OK;
		default:
			usage(stdout);
			return GP_STATE_UNKNOWN;
		}
	}
	if (sa.service || sa.target || sa.self) {
		if ((sa.service != NULL) + (sa.target != NULL) + sa.self != 1 || a.host || a.target) {
			printf("GENESYS UNKNOWN - give one of --service, --target, --self (without -T or -H)\n");
			return GP_STATE_UNKNOWN;
		}
		/* -c is the config; with --self a number is the critical
		 * threshold (-w 30 -c 120), so both can be given. */
		for (size_t i = 0; i < n_c; i++) {
			if (sa.self && parse_count(c_args[i]) >= 0)
				sa.crit = c_args[i];
			else if (!sa.cfgfile)
				sa.cfgfile = c_args[i];
		}
		sa.warn = a.warn;
		signal(SIGALRM, on_alarm);
		alarm((unsigned)a.timeout_s);
		return state_mode(&sa);
	}
	bool standalone = a.host != NULL;
	if (!standalone && !a.target) {
		printf("GENESYS UNKNOWN - no target given (-T TARGET, or -H HOST -P PROTOCOL)\n");
		return GP_STATE_UNKNOWN;
	}
	if (standalone && !a.proto) {
		printf("GENESYS UNKNOWN - -H needs -P snmp|http|ssh\n");
		return GP_STATE_UNKNOWN;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)a.timeout_s);

	struct gp_errlist el = {0};
	/* Only the collectors the config names are loaded, and only those the
	 * checks to run use are started (gp_registry_retain_kinds below): each
	 * brings its libraries (libcurl, libssh2, OpenSSL, net-snmp), and
	 * their loading is most of a one-shot plugin's run. */
	struct gp_registry reg = {0};
	/* GnuTLS comes into the process only as a dependency of libcurl's
	 * (librtmp, libldap), for protocols a check never uses (HTTP checks
	 * speak TLS through OpenSSL); its constructor's set-up (the ASN.1
	 * trees, the system priorities) is a third of a millisecond of a
	 * run. The variable is GnuTLS's own switch for that; one set by the
	 * caller is kept. */
	setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
	/* This process is a one-shot with one thread: the HTTP collector's
	 * transfers bind libcurl's libraries as they are called, not all at
	 * load (collectors/http_engine.h), and the SNMP collector sets up
	 * net-snmp's SNMPv3 part only for a v3 target (collectors/snmp.c). */
	setenv("GPROBE_LAZY_BIND", "1", 0);
	struct gp_kinds kinds = gp_registry_kinds(&reg);
	struct gp_config_opts opts = {.default_profile_dir = getenv("GPROBE_PROFILE_DIR")
							 ? getenv("GPROBE_PROFILE_DIR")
							 : GPROBE_SOURCE_PROFILE_DIR,
				      .kinds = &kinds};
	struct gp_config *cfg;
	const char *cfgfile = a.c_arg, *target = a.target, *only = a.C_arg;
	if (standalone) {
		const char *why = NULL;
		char *yaml = standalone_yaml(&a, &why);
		if (!yaml) {
			printf("GENESYS UNKNOWN - %s\n", why);
			return GP_STATE_UNKNOWN;
		}
		cfg = gp_config_load_text("(command line)", yaml, strlen(yaml), &opts, &el);
		free(yaml);
		cfgfile = "(command line)";
		target = "standalone";
		only = NULL;
	} else {
		if (!cfgfile)
			cfgfile = sa.cfgfile; /* --config */
		if (!cfgfile)
			cfgfile = getenv("GPROBE_CONFIG") ? getenv("GPROBE_CONFIG")
							  : "/etc/gprobe/gprobe.yaml";
		cfg = gp_config_load(cfgfile, &opts, &el);
	}
	if (!cfg) {
		config_error(&el, standalone);
		gp_errlist_free(&el);
		gp_registry_free(&reg);
		return GP_STATE_UNKNOWN;
	}
	const char *display = standalone ? a.host : target;
	const struct gp_target *t = gp_config_target(cfg, target);
	if (!t) {
		printf("GENESYS UNKNOWN - no target '%s' in %s\n", target, cfgfile);
		gp_config_free(cfg);
		gp_registry_free(&reg);
		return GP_STATE_UNKNOWN;
	}
	struct gp_job *jobs = gp_xcalloc(t->n_checks, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; i < t->n_checks; i++) {
		if (only && strcmp(only, t->checks[i].name) != 0)
			continue;
		jobs[n].target = t;
		jobs[n].check = &t->checks[i];
		n++;
	}
	if (n == 0) {
		printf("GENESYS UNKNOWN - no check '%s' in target '%s'\n", only ? only : "", target);
		free(jobs);
		gp_config_free(cfg);
		gp_registry_free(&reg);
		return GP_STATE_UNKNOWN;
	}
	/* The collectors of other checks (other targets', or other kinds of
	 * this one) were loaded for the config's declarations: they are not
	 * started (net-snmp's init_snmp, libssh2's and libcurl's global
	 * set-up). */
	const char **used = gp_xcalloc(n, sizeof(*used));
	for (size_t i = 0; i < n; i++)
		used[i] = jobs[i].check->kind;
	gp_registry_retain_kinds(&reg, used, n);
	free(used);
	gp_run_once(&reg, NULL, jobs, n);

	enum gp_state worst = GP_STATE_OK;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		worst = gp_worse_state(worst, jobs[i].out.state);
		if (jobs[i].out.state != GP_STATE_OK)
			bad++;
	}
	/* The text names the failing checks first: that is what the
	 * operator reads in the Nagios status line. */
	printf("GENESYS %s - %s: ", gp_state_name(worst), display);
	if (bad == 0)
		printf("%zu check%s OK", n, n == 1 ? "" : "s");
	/* The value is what the operator wants to see: a lone check's always,
	 * every check's with -v. */
	for (size_t i = 0, shown = 0; bad == 0 && (n == 1 || a.verbose) && i < n; i++) {
		struct gp_outcome *o = &jobs[i].out;
		if (o->text) {
			const char *v = one_line(o->text);
			printf("%s%s = %.*s", shown++ ? ", " : ": ", jobs[i].check->name,
			       gp_utf8_prefix(v, 80), v);
		}
	}
	for (size_t i = 0, shown = 0; i < n; i++) {
		const struct gp_outcome *o = &jobs[i].out;
		if (o->state == GP_STATE_OK)
			continue;
		printf("%s%s %s (%s)", shown++ ? ", " : "", jobs[i].check->name, gp_state_name(o->state),
		       o->evaluation ? o->evaluation : o->message ? o->message : "");
	}
	/* "|" only before perfdata: a check without a number has none. */
	bool bar = false;
	for (size_t i = 0; i < n; i++) {
		const struct gp_outcome *o = &jobs[i].out;
		if (!o->has_value)
			continue;
		/* Perfdata is numbers only: a NaN or infinity has no place. */
		if (!isfinite(o->value))
			continue;
		if (!bar) {
			printf(" |");
			bar = true;
		}
		char w[2 * GP_NUMBER_MAX], c[2 * GP_NUMBER_MAX], num[GP_NUMBER_MAX];
		gp_range_format(&jobs[i].check->warning, w, sizeof(w));
		gp_range_format(&jobs[i].check->critical, c, sizeof(c));
		putchar(' ');
		perf_label(jobs[i].check->name);
		const struct gp_kind_decl *kd = gp_registry_kind(&reg, jobs[i].check->kind);
		const char *uom = jobs[i].check->uom ? jobs[i].check->uom
				  : kd && kd->uom     ? kd->uom
						      : "";
		if (!perf_uom_ok(uom))
			uom = "";
		printf("=%s%s;%s;%s;;", gp_format_number(o->value, num, sizeof(num)), uom, w, c);
	}
	/* Without a config, one check: its timings and size as the
	 * Monitoring Plugins' check_http gives them. */
	for (size_t m = 0; standalone && n == 1 && m < jobs[0].out.n_metrics; m++) {
		const char *mn = jobs[0].out.metrics[m].name;
		double mv = jobs[0].out.metrics[m].value;
		char num[GP_NUMBER_MAX];
		if (!isfinite(mv) || (strcmp(mn, "total_ms") != 0 && strcmp(mn, "size") != 0))
			continue;
		if (!bar) {
			printf(" |");
			bar = true;
		}
		if (strcmp(mn, "size") == 0)
			printf(" 'size'=%sB;;;0", gp_format_number(mv, num, sizeof(num)));
		else
			printf(" 'time'=%ss;;;0", gp_format_number(mv / 1000.0, num, sizeof(num)));
	}
	putchar('\n');
	/* -vv: every check's account, on the lines after the first (the
	 * plugin guidelines' long output). */
	for (size_t i = 0; a.verbose >= 2 && i < n; i++) {
		struct gp_outcome *o = &jobs[i].out;
		printf("%s: %s %s%s%s\n", jobs[i].check->name, gp_state_name(o->state),
		       o->message ? one_line(o->message) : "", o->evaluation ? "; " : "",
		       o->evaluation ? one_line(o->evaluation) : "");
	}

	for (size_t i = 0; i < n; i++)
		gp_job_clear(&jobs[i]);
	free(jobs);
#ifndef __SANITIZE_ADDRESS__
	/* The checks are over, their sessions closed and their collectors
	 * finished (gp_run_once); what is left is freeing memory and the
	 * libraries' exit handlers, which nobody outside sees: OpenSSL's
	 * alone (freeing its provider and name tables) was 3% of an SNMPv3
	 * run. The kernel takes the memory back. Under the sanitizers all is
	 * freed, for the leak check. */
	fflush(stdout);
	_exit(worst);
#endif
	gp_registry_free(&reg);
	gp_errlist_free(&el);
	gp_config_free(cfg);
	return worst;
}
