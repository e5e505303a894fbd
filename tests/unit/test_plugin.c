/*
 * test_plugin.c - the collector plugin ABI: loading, refusing, and the
 * runner driving real collectors.
 *
 * The example plugin (collectors/example.c) is built three ways: as is, with
 * a wrong ABI version, and without its entry symbol. The TCP collector runs
 * against real sockets on 127.0.0.1. The store's libraries, loaded on
 * first use (lazylib.h), load from libc here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lazylib.h"
#include "plugin.h"
#include "runner.h"
#include "util.h"

#ifndef TEST_PLUGIN_DIR
#error TEST_PLUGIN_DIR must name the folder of the test plugins
#endif
#ifndef PLUGIN_DIR
#error PLUGIN_DIR must name the folder of the built collectors
#endif

static void test_example_loads(void **state)
{
	(void)state;
	struct gp_registry r = {0};
	struct gp_errlist el = {0};
	assert_int_equal(gp_registry_load_file(&r, TEST_PLUGIN_DIR "/example.so", &el), 0);
	assert_int_equal(el.n, 0);
	struct gp_plugin *p = gp_registry_for_kind(&r, "example");
	assert_non_null(p);
	assert_string_equal(p->c->name, "example");
	assert_null(gp_registry_for_kind(&r, "snmp_get"));
	gp_registry_free(&r);
}

static void test_wrong_abi_refused(void **state)
{
	(void)state;
	struct gp_registry r = {0};
	struct gp_errlist el = {0};
	assert_int_equal(gp_registry_load_file(&r, TEST_PLUGIN_DIR "/bad_abi.so", &el), -1);
	assert_int_equal(r.n, 0);
	assert_int_equal(el.n, 1);
	char *m = gp_errlist_format(&el, 0);
	char *want = gp_xasprintf("%s/bad_abi.so: collector plugin built for ABI version 999, this "
				  "gprobe has version %d; rebuild the plugin against this "
				  "collector.h",
				  TEST_PLUGIN_DIR, GP_COLLECTOR_ABI_VERSION);
	assert_string_equal(m, want);
	free(want);
	free(m);
	gp_errlist_free(&el);
	gp_registry_free(&r);
}

static void test_missing_symbol_refused(void **state)
{
	(void)state;
	struct gp_registry r = {0};
	struct gp_errlist el = {0};
	assert_int_equal(gp_registry_load_file(&r, TEST_PLUGIN_DIR "/no_entry.so", &el), -1);
	char *m = gp_errlist_format(&el, 0);
	assert_string_equal(m, TEST_PLUGIN_DIR "/no_entry.so: not a gprobe collector plugin: "
					       "missing symbol 'gp_collector_entry'");
	free(m);
	gp_errlist_free(&el);
	gp_registry_free(&r);
}

static void test_dir_load_reports_each(void **state)
{
	(void)state;
	struct gp_registry r = {0};
	struct gp_errlist el = {0};
	/* The test folder holds one good plugin and two bad ones. */
	assert_int_equal(gp_registry_load_dir(&r, TEST_PLUGIN_DIR, &el), 2);
	assert_int_equal(r.n, 1);
	assert_int_equal(el.n, 2);
	assert_non_null(strstr(el.v[0].file, "bad_abi.so"));
	assert_non_null(strstr(el.v[1].file, "no_entry.so"));
	/* Loading the same kind twice is refused, naming both files. */
	assert_int_equal(gp_registry_load_file(&r, TEST_PLUGIN_DIR "/example.so", &el), -1);
	assert_non_null(strstr(el.v[2].msg, "check kind 'example' is already served by"));
	gp_errlist_free(&el);
	gp_registry_free(&r);
	/* An empty folder loads nothing, and is no error. */
	char tmpl[] = "/tmp/gprobe-plugins-XXXXXX";
	char *empty = mkdtemp(tmpl);
	assert_non_null(empty);
	assert_int_equal(gp_registry_load_dir(&r, empty, &el), 0);
	assert_int_equal(r.n, 0);
	rmdir(empty);
	/* A missing folder is one clear error. */
	assert_int_equal(gp_registry_load_dir(&r, "/nonexistent/gprobe", &el), 1);
	assert_string_equal(el.v[0].msg, "cannot open the collector plugin directory");
	gp_errlist_free(&el);
}

/* The example plugin's calls, driven by hand as a host would. */
struct fake_host {
	int completed;
	double value;
	int64_t now_us;
};

static void fh_complete(void *ctx, uint64_t id, const struct gp_result *r)
{
	struct fake_host *h = ctx;
	assert_int_equal(id, 7);
	assert_int_equal(r->state, GP_STATE_OK);
	h->completed++;
	h->value = r->value;
}

static int64_t fh_now(void *ctx)
{
	return ((struct fake_host *)ctx)->now_us;
}

static void test_example_timer_path(void **state)
{
	(void)state;
	struct gp_registry r = {0};
	struct gp_errlist el = {0};
	assert_int_equal(gp_registry_load_file(&r, TEST_PLUGIN_DIR "/example.so", &el), 0);
	const struct gp_collector *c = r.v[0].c;
	struct fake_host fh = {.now_us = 1000000};
	struct gp_host_api host = {.abi_version = GP_COLLECTOR_ABI_VERSION, .ctx = &fh,
				   .complete = fh_complete, .now_us = fh_now};
	char err[128];
	void *inst = c->init(&host, err, sizeof(err));
	assert_non_null(inst);
	struct gp_option opt = {.key = "delay", .value = "250ms", .number = 250};
	struct gp_check_spec spec = {.target = "t", .host = "127.0.0.1", .check = "c",
				     .kind = "example", .arg = "42", .arg_number = 42,
				     .timeout_ms = 1000, .options = &opt, .n_options = 1};
	void *chk = c->check_new(inst, &spec, err, sizeof(err));
	assert_non_null(chk);
	assert_int_equal(c->start(inst, chk, 7), 0);
	int64_t wait;
	struct gp_pollfd fds[4];
	assert_int_equal(c->poll_fds(inst, fds, 4, &wait), 0);
	assert_int_equal(wait, 250);
	fh.now_us += 249000; /* not yet due */
	c->dispatch(inst, fds, 0);
	assert_int_equal(fh.completed, 0);
	fh.now_us += 1000;
	c->dispatch(inst, fds, 0);
	assert_int_equal(fh.completed, 1);
	assert_true(fh.value == 42.0);
	/* A spec without its value is refused with a reason. */
	spec.arg = NULL;
	assert_null(c->check_new(inst, &spec, err, sizeof(err)));
	assert_string_equal(err, "no value");
	c->check_free(inst, chk);
	c->fini(inst);
	gp_registry_free(&r);
}

/* ------------------------------------------------------------------ */
/* The runner with the real TCP collector                              */

static int listen_on_free_port(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port nothing listens on: bound, then closed. */
static int closed_port(void)
{
	int port;
	int fd = listen_on_free_port(&port);
	close(fd);
	return port;
}

static void test_runner_tcp(void **state)
{
	(void)state;
	struct gp_registry reg = {0};
	struct gp_errlist el = {0};
	assert_int_equal(gp_registry_load_dir(&reg, PLUGIN_DIR, &el), 0);

	int open_port;
	int lfd = listen_on_free_port(&open_port);
	int shut = closed_port();

	struct gp_target t = {.name = "lab", .host = "127.0.0.1", .genesys_dbid = -1};
	struct gp_check checks[3] = {
		{.name = "open", .kind = (char *)"tcp_connect", .timeout_ms = 2000},
		{.name = "closed", .kind = (char *)"tcp_connect", .timeout_ms = 2000},
		{.name = "slow-threshold", .kind = (char *)"tcp_connect", .timeout_ms = 2000},
	};
	checks[0].arg = gp_xasprintf("%d", open_port);
	checks[1].arg = gp_xasprintf("%d", shut);
	checks[2].arg = gp_xasprintf("%d", open_port);
	const char *why;
	/* "@0:100000" alerts inside: any real connect time is CRITICAL by
	 * threshold although the probe itself succeeded. */
	assert_true(gp_range_parse("@0:100000", &checks[2].critical, &why));

	struct gp_job jobs[3] = {0};
	for (int i = 0; i < 3; i++) {
		jobs[i].target = &t;
		jobs[i].check = &checks[i];
	}
	gp_run_once(&reg, NULL, jobs, 3);

	assert_int_equal(jobs[0].out.state, GP_STATE_OK);
	assert_true(jobs[0].out.has_value);
	assert_true(jobs[0].out.value >= 0.0 && jobs[0].out.value < 2000.0);

	assert_int_equal(jobs[1].out.state, GP_STATE_CRITICAL);
	char *want = gp_xasprintf("connect to 127.0.0.1:%d failed: Connection refused", shut);
	assert_string_equal(jobs[1].out.message, want);
	free(want);
	assert_non_null(jobs[1].out.hint);

	assert_int_equal(jobs[2].out.probe_state, GP_STATE_OK);
	assert_int_equal(jobs[2].out.state, GP_STATE_CRITICAL);
	assert_non_null(strstr(jobs[2].out.evaluation, "outside the critical range '@0:100000'"));

	for (int i = 0; i < 3; i++) {
		gp_job_clear(&jobs[i]);
		free(checks[i].arg);
	}
	close(lfd);
	gp_registry_free(&reg);
	gp_errlist_free(&el);
}

/* A kind no plugin serves is an UNKNOWN result that says so. */
static void test_runner_missing_plugin(void **state)
{
	(void)state;
	struct gp_registry reg = {0};
	struct gp_target t = {.name = "lab", .host = "127.0.0.1", .genesys_dbid = -1};
	struct gp_check c = {.name = "x", .kind = (char *)"snmp_get", .arg = "1.3.6.1.2.1.1.3.0",
			     .timeout_ms = 1000};
	struct gp_job job = {.target = &t, .check = &c};
	gp_run_once(&reg, NULL, &job, 1);
	assert_int_equal(job.out.state, GP_STATE_UNKNOWN);
	assert_string_equal(job.out.message, "no collector plugin serves 'snmp_get'");
	gp_job_clear(&job);
}

/* expect and thresholds, applied by the host the same for every plugin. */
static void test_evaluate(void **state)
{
	(void)state;
	struct gp_check c = {.expect = "4"};
	struct gp_outcome o = {.probe_state = GP_STATE_OK, .text = gp_xstrdup("2")};
	gp_evaluate(&c, &o);
	assert_int_equal(o.state, GP_STATE_CRITICAL);
	assert_string_equal(o.evaluation, "value '2' is not the expected '4'");
	free(o.text);
	free(o.evaluation);

	/* Named values, and the text in the mails' language. */
	struct gp_value_name names[] = {{"2", "stopped"}, {"4", "running"}};
	c.value_names = names;
	c.n_value_names = 2;
	o = (struct gp_outcome){.probe_state = GP_STATE_OK, .text = gp_xstrdup("2")};
	gp_evaluate(&c, &o);
	assert_string_equal(o.evaluation, "value 2 (stopped) is not the expected 4 (running)");
	free(o.evaluation);
	o.evaluation = NULL;
	gp_evaluate_in(&c, &o, true);
	assert_int_equal(o.state, GP_STATE_CRITICAL);
	assert_string_equal(o.evaluation, "значение 2 (stopped), ожидалось 4 (running)");
	free(o.text);
	free(o.evaluation);
	o = (struct gp_outcome){.probe_state = GP_STATE_OK, .text = gp_xstrdup("9")};
	gp_evaluate_in(&c, &o, true);
	assert_string_equal(o.evaluation, "значение '9', ожидалось 4 (running)");
	free(o.text);
	free(o.evaluation);
	c.value_names = NULL;
	c.n_value_names = 0;

	const char *why;
	struct gp_check t = {0};
	assert_true(gp_range_parse("1:", &t.warning, &why));
	assert_true(gp_range_parse("0:", &t.critical, &why));
	struct gp_outcome v = {.probe_state = GP_STATE_OK, .has_value = true, .value = 0};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_WARNING);
	free(v.evaluation);
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .has_value = true, .value = -1};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_CRITICAL);
	free(v.evaluation);
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .has_value = true, .value = -1};
	gp_evaluate_in(&t, &v, true);
	assert_string_equal(v.evaluation, "-1 вне критического диапазона '0:'");
	free(v.evaluation);
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .has_value = true, .value = 5};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_OK);
	free(v.evaluation);
	/* A non-numeric value cannot be judged by a range: UNKNOWN. */
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .text = gp_xstrdup("abc")};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_UNKNOWN);
	free(v.text);
	free(v.evaluation);
	/* NaN (an Opaque float can carry one) compares false with every
	 * bound: it was CRITICAL against "0:" and would pass any "@" range.
	 * It cannot be judged at all: UNKNOWN. */
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .has_value = true, .value = NAN,
				.text = gp_xstrdup("nan")};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_UNKNOWN);
	assert_string_equal(v.evaluation, "value 'nan' is not a number; thresholds cannot apply");
	free(v.text);
	free(v.evaluation);
	/* Infinity is a magnitude: past every upper bound, judged as such. */
	struct gp_check u = {0};
	assert_true(gp_range_parse("100", &u.critical, &why));
	v = (struct gp_outcome){.probe_state = GP_STATE_OK, .has_value = true, .value = INFINITY};
	gp_evaluate(&u, &v);
	assert_int_equal(v.state, GP_STATE_CRITICAL);
	free(v.evaluation);
	/* A failed probe stays failed whatever the thresholds. */
	v = (struct gp_outcome){.probe_state = GP_STATE_CRITICAL};
	gp_evaluate(&t, &v);
	assert_int_equal(v.state, GP_STATE_CRITICAL);
}

/* A library loaded on first use: its table filled from the real library,
 * once; a missing library or entry point is an error naming the package,
 * every time it is asked, and leaves the table empty. */
#define LIBC_FUNCTIONS(X) X(strlen) X(getpid)
#define LIBC_LACKING(X) X(strlen) X(gp_no_such_function)
int gp_no_such_function(void); /* declared for its type; defined nowhere */

static void test_lazylib_loads_once(void **state)
{
	(void)state;
	static GP_LAZYLIB_TABLE(libc_t, LIBC_FUNCTIONS) t;
	static const char *const names[] = GP_LAZYLIB_NAMES(LIBC_FUNCTIONS);
	static struct gp_lazylib l = GP_LAZYLIB_INIT("libc.so.6", "libc6", names, t);
	char err[256] = "";
	assert_int_equal(l.n, 2);
	assert_null(t.f.strlen);
	assert_true(gp_lazylib_load(&l, err, sizeof(err)));
	assert_true(gp_lazylib_load(&l, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_int_equal(t.f.strlen("gprobe"), 6);
	assert_int_equal(t.f.getpid(), getpid());
}

static void test_lazylib_refuses_missing(void **state)
{
	(void)state;
	static GP_LAZYLIB_TABLE(none_t, LIBC_FUNCTIONS) none;
	static const char *const names[] = GP_LAZYLIB_NAMES(LIBC_FUNCTIONS);
	static struct gp_lazylib l = GP_LAZYLIB_INIT("libgprobe-none.so.0", "gprobe-none", names, none);
	char err[256] = "";
	for (int i = 0; i < 2; i++) {
		assert_false(gp_lazylib_load(&l, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot load libgprobe-none.so.0 (Debian's gprobe-none): "));
		assert_non_null(strstr(err, "No such file"));
	}
	assert_null(none.f.strlen);

	static GP_LAZYLIB_TABLE(lacking_t, LIBC_LACKING) lacking;
	static const char *const names2[] = GP_LAZYLIB_NAMES(LIBC_LACKING);
	static struct gp_lazylib l2 = GP_LAZYLIB_INIT("libc.so.6", "libc6", names2, lacking);
	assert_false(gp_lazylib_load(&l2, err, sizeof(err)));
	assert_string_equal(err, "cannot load libc.so.6 (Debian's libc6): it lacks gp_no_such_function");
	assert_null(lacking.f.strlen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_lazylib_loads_once),
		cmocka_unit_test(test_lazylib_refuses_missing),
		cmocka_unit_test(test_wrong_abi_refused),
		cmocka_unit_test(test_missing_symbol_refused),
		cmocka_unit_test(test_dir_load_reports_each),
		cmocka_unit_test(test_example_timer_path),
		cmocka_unit_test(test_runner_tcp),
		cmocka_unit_test(test_runner_missing_plugin),
		cmocka_unit_test(test_evaluate),
	};
	return cmocka_run_group_tests_name("plugin", tests, NULL, NULL);
}
