/*
 * test_config.c - the config loader against every file of tests/configs.
 *
 * Files in bad/: each file lists the errors it must produce, in order, as
 * "# expect: LINE:COL: message" lines (or "# expect: FILE:LINE:COL: ..."
 * for an error inside another file). The loader must report exactly those,
 * no more, no fewer. Files in good/ must load, and full.yaml's values are
 * checked one by one.
 *
 * Each file is copied into a fresh folder beside fixtures whose modes git
 * cannot keep: secret-loose (0644), secret-ok (0600), known_hosts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "testconfig.h"
#include "util.h"
#include "yaml.h"

#ifndef CONFIG_DIR
#error CONFIG_DIR must name tests/configs
#endif

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = gp_xmalloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A fresh folder with the fixtures and a copy of src/name (and of any
 * .txt companions in src). */
static char *stage(const char *src, const char *name)
{
	char tmpl[] = "/tmp/gprobe-cfgtest-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	dir = gp_xstrdup(dir);
	char *p = gp_xasprintf("%s/secret-loose", dir);
	write_file(p, "not-a-real-secret\n", 0644);
	free(p);
	p = gp_xasprintf("%s/secret-ok", dir);
	write_file(p, "not-a-real-secret\n", 0600);
	free(p);
	p = gp_xasprintf("%s/known_hosts", dir);
	write_file(p, "[10.0.0.1]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n", 0644);
	free(p);
	DIR *d = opendir(src);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		bool txt = len > 4 && strcmp(de->d_name + len - 4, ".txt") == 0;
		if (!txt && strcmp(de->d_name, name) != 0)
			continue;
		char *from = gp_xasprintf("%s/%s", src, de->d_name);
		char *to = gp_xasprintf("%s/%s", dir, de->d_name);
		char *text = slurp(from);
		assert_non_null(text);
		write_file(to, text, 0644);
		free(text);
		free(from);
		free(to);
	}
	closedir(d);
	return dir;
}

static void unstage(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = gp_xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

/* s with every `from` replaced by `to`; frees s. */
static char *replace_all(char *s, const char *from, const char *to)
{
	char *hit;
	while ((hit = strstr(s, from)) != NULL) {
		*hit = '\0';
		char *n = gp_xasprintf("%s%s%s", s, to, hit + strlen(from));
		free(s);
		s = n;
	}
	return s;
}

static struct gp_config *load(const char *path, struct gp_errlist *el)
{
	return test_config_load(path, CONFIG_DIR "/profiles", el);
}

/* ------------------------------------------------------------------ */

static void test_bad_file(void **state)
{
	const char *name = *state;
	char *srcdir = gp_xstrdup(CONFIG_DIR "/bad");
	char *dir = stage(srcdir, name);
	char *path = gp_xasprintf("%s/%s", dir, name);

	/* Expected errors from the file's "# expect:" lines. */
	char *text = slurp(path);
	char *expected[32];
	size_t n_exp = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "# expect: ", 10) == 0 && n_exp < 32)
			expected[n_exp++] = line + 10;
	if (n_exp == 0)
		fail_msg("%s has no '# expect:' line", name);

	struct gp_errlist el = {0};
	struct gp_config *cfg = load(path, &el);
	assert_null(cfg);

	/* Errors name the staged folder, which differs each run: it reads
	 * "DIR" in the expectations. An error in the config file itself is
	 * compared without the file's name. */
	bool ok = el.n == n_exp;
	char *prefix = gp_xasprintf("DIR/%s:", name);
	for (size_t i = 0; i < el.n; i++) {
		char *got = replace_all(gp_errlist_format(&el, i), dir, "DIR");
		const char *rel = got;
		if (strncmp(rel, prefix, strlen(prefix)) == 0)
			rel += strlen(prefix);
		if (i >= n_exp || strcmp(rel, expected[i]) != 0)
			ok = false;
		print_message("  got:      %s\n", rel);
		if (i < n_exp)
			print_message("  expected: %s\n", expected[i]);
		free(got);
	}
	for (size_t i = el.n; i < n_exp; i++)
		print_message("  missing:  %s\n", expected[i]);
	if (!ok)
		fail_msg("%s: the errors differ from its '# expect:' lines", name);

	gp_errlist_free(&el);
	free(prefix);
	free(text);
	free(path);
	unstage(dir);
	free(srcdir);
}

/* Every key of INTERFACE.md, parsed into its typed field. */
static void test_full_config(void **state)
{
	(void)state;
	char *dir = stage(CONFIG_DIR "/good", "full.yaml");
	char *path = gp_xasprintf("%s/full.yaml", dir);
	struct gp_errlist el = {0};
	struct gp_config *cfg = load(path, &el);
	if (!cfg) {
		gp_errlist_print(&el, stderr);
		fail_msg("full.yaml must load");
	}
	assert_int_equal(cfg->n_targets, 2);
	assert_int_equal(gp_config_check_count(cfg), 8);
	assert_int_equal(cfg->n_services, 1);

	assert_string_equal(cfg->probe.data_dir, "/var/lib/gprobe");
	assert_int_equal(cfg->probe.interval_ms, 10000);
	assert_int_equal(cfg->probe.retry_interval_ms, 5000);
	assert_int_equal(cfg->probe.attempts, 3);
	assert_int_equal(cfg->probe.timeout_ms, 5000);
	assert_string_equal(cfg->probe.rrdcached, "unix:/run/rrdcached.sock");

	const struct gp_target *t = gp_config_target(cfg, "stat-1");
	assert_non_null(t);
	assert_string_equal(t->host, "10.20.0.11");
	assert_int_equal(t->owner, GP_OWNER_SUPPLIER);
	assert_int_equal(t->genesys_dbid, 103);
	/* Blocks as their collectors declared them, defaults filled in. */
	const struct gp_block *snmp = gp_target_block(t, "snmp");
	assert_non_null(snmp);
	assert_string_equal(gp_block_value(snmp, "port"), "161");
	assert_string_equal(gp_block_value(snmp, "version"), "2c");
	assert_string_equal(gp_block_value(snmp, "community"), "public");
	assert_string_equal(gp_block_value(snmp, "retries"), "1");
	const struct gp_block *ssh = gp_target_block(t, "ssh");
	assert_string_equal(gp_block_value(ssh, "port"), "22");
	assert_string_equal(gp_block_value(ssh, "user"), "genesys");
	char *want = gp_xasprintf("%s/secret-ok", dir);
	assert_string_equal(gp_block_value(ssh, "key"), want);
	free(want);
	const struct gp_block *http = gp_target_block(t, "http");
	assert_string_equal(gp_block_value(http, "base_url"), "http://10.20.0.11:8080");
	assert_string_equal(gp_block_value(http, "tls_verify"), "true");
	assert_null(gp_target_block(t, "nosuch"));

	const struct gp_check *c = gp_target_check(t, "app-status");
	assert_non_null(c);
	assert_string_equal(c->kind, "snmp_get");
	assert_string_equal(c->block, "snmp");
	assert_int_equal(c->arg_pos.line > 0, 1);
	assert_string_equal(c->arg, "1.3.6.1.4.1.1729.100.1.2.1.3.103");
	assert_string_equal(c->expect, "4");
	assert_true(c->availability);

	c = gp_target_check(t, "clients");
	assert_false(c->availability);
	assert_true(c->warning.set);
	assert_false(c->warning.end_inf == false);
	assert_true(gp_range_alerts(&c->warning, 0.0));
	assert_false(gp_range_alerts(&c->warning, 1.0));
	assert_true(gp_range_alerts(&c->critical, -1.0));
	assert_false(gp_range_alerts(&c->critical, 0.0));

	c = gp_target_check(t, "port");
	assert_string_equal(c->kind, "tcp_connect");
	assert_null(c->block);
	assert_string_equal(c->arg, "7000");
	assert_int_equal(c->arg_number, 7000);

	c = gp_target_check(t, "processes");
	assert_string_equal(c->kind, "snmp_walk");
	assert_string_equal(gp_check_option(c, "match"), "^StatServer$");

	c = gp_target_check(t, "log-alarms");
	assert_string_equal(c->kind, "ssh_log");
	assert_string_equal(gp_check_option(c, "match"), "Std 0450[1-5]");

	c = gp_target_check(t, "health");
	assert_string_equal(c->kind, "http_get");
	assert_string_equal(gp_check_option(c, "expect_status"), "200");
	assert_int_equal(c->opts[0].number, 200);
	assert_string_equal(gp_check_option(c, "json"), "/statusCode");
	assert_string_equal(gp_check_option(c, "method"), "GET"); /* the default */
	assert_int_equal(c->interval_ms, 30000);
	assert_int_equal(c->timeout_ms, 5000);

	/* v3 target */
	t = gp_config_target(cfg, "stat-2");
	snmp = gp_target_block(t, "snmp");
	assert_string_equal(gp_block_value(snmp, "version"), "3");
	assert_string_equal(gp_block_value(snmp, "security_level"), "authPriv");
	assert_string_equal(gp_block_value(snmp, "auth_protocol"), "SHA");
	assert_string_equal(gp_block_value(snmp, "priv_protocol"), "AES");
	assert_int_equal(t->owner, GP_OWNER_CUSTOMER);

	const struct gp_service *s = &cfg->services[0];
	assert_string_equal(s->name, "stat-monitor");
	assert_string_equal(s->title, "Монитор статистики");
	assert_int_equal(s->priority, GP_P1);
	assert_non_null(s->expr);

	assert_true(cfg->contract.set);
	assert_int_equal(cfg->contract.start.year, 2026);
	assert_int_equal(cfg->contract.term_days, 365);
	assert_int_equal(cfg->contract.monthly_payment_tiyn, 125000000);
	/* 16 800 000.00 incl. 12% VAT = 15 000 000.00 excl. */
	assert_int_equal(cfg->contract.value_incl_vat_tiyn, 1680000000);
	assert_int_equal(cfg->contract.value_excl_vat_tiyn, 1500000000);
	assert_int_equal(cfg->contract.penalty_hour_divisor, 720);
	assert_int_equal(cfg->contract.penalty_cap_percent, 5);
	assert_int_equal(cfg->contract.hour_rounding, GP_ROUND_CEIL);
	assert_int_equal(cfg->contract.overlap, GP_OVERLAP_SUM);

	assert_string_equal(cfg->calendar.timezone, "Asia/Almaty");
	assert_int_equal(cfg->calendar.working_days, 0x1f);
	assert_int_equal(cfg->calendar.work_start_min, 540);
	assert_int_equal(cfg->calendar.work_end_min, 1080);
	assert_int_equal(cfg->calendar.n_holidays, 2);
	assert_int_equal(cfg->calendar.n_working_weekend_days, 1);
	assert_int_equal(cfg->calendar.working_weekend_days[0].day, 4);

	assert_string_equal(cfg->contract.number, "2880-2");
	assert_true(cfg->contract.has_date);
	assert_int_equal(cfg->contract.date.year, 2020);
	assert_string_equal(cfg->contract.customer, "АО «Казахтелеком»");
	assert_int_equal(cfg->contract.n_signatories, 2);
	assert_int_equal(cfg->contract.signatories[1].party, GP_OWNER_SUPPLIER);
	assert_string_equal(cfg->contract.signatories[0].position, "Директор департамента");
	assert_int_equal(cfg->incidents.response_target_web_ms, 45 * 60000);
	assert_int_equal(cfg->incidents.resolution_ms[0], 4 * 3600000);
	assert_int_equal(cfg->incidents.resolution_ms[3], 10LL * 86400000);

	assert_int_equal(cfg->incidents.response_target_ms, 3600000);
	assert_int_equal(cfg->incidents.auto_close_working_days, 5);
	assert_int_equal(cfg->incidents.reopen_window_ms, 1800000);

	assert_true(cfg->email.set);
	assert_string_equal(cfg->email.smtp_url, "smtp://127.0.0.1:25");
	assert_int_equal(cfg->email.n_to, 1);
	assert_string_equal(cfg->email.to[0], "noc@example.kz");
	assert_int_equal(cfg->email.n_escalate_to, 1);
	assert_string_equal(cfg->email.language, "ru");
	assert_true(cfg->webhook.set);
	assert_string_equal(cfg->webhook.url, "https://tickets.example.kz/api/incidents");

	gp_config_free(cfg);
	gp_errlist_free(&el);
	free(path);
	unstage(dir);
}

/* A profile's checks are added to the target; the target's own check of
 * the same name wins; {dbid} becomes the target's DBID. */
static void test_profile(void **state)
{
	(void)state;
	char *dir = stage(CONFIG_DIR "/good", "profiled.yaml");
	char *path = gp_xasprintf("%s/profiled.yaml", dir);
	struct gp_errlist el = {0};
	struct gp_config *cfg = load(path, &el);
	if (!cfg) {
		gp_errlist_print(&el, stderr);
		fail_msg("profiled.yaml must load");
	}
	const struct gp_target *t = gp_config_target(cfg, "stat-1");
	assert_int_equal(t->n_checks, 2);
	assert_null(gp_target_check(t, "process")); /* needs ssh: the target has none */
	const struct gp_check *c = gp_target_check(t, "app-status");
	assert_true(c->from_profile);
	assert_string_equal(c->arg, "1.3.6.1.4.1.1729.100.1.2.1.3.103");
	c = gp_target_check(t, "port");
	assert_false(c->from_profile);
	assert_string_equal(c->arg, "2061");
	gp_config_free(cfg);
	gp_errlist_free(&el);
	free(path);
	unstage(dir);
}

static int is_yaml(const struct dirent *de)
{
	size_t n = strlen(de->d_name);
	return n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0;
}

/* Inputs that once made the loader loop for ever: each must end with a
 * placed error (a regression would hang here until ctest's timeout). */
static void test_inputs_that_hung(void **state)
{
	(void)state;
	char dir[] = "/tmp/gprobe-test-hang-XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* libfyaml 0.7.12's directive scanner on "%" and a stray UTF-8 byte. */
	char *two = gp_xasprintf("%s/two-bytes.yaml", dir);
	write_file(two, "%\xef", 0644);
	struct gp_errlist el = {0};
	assert_null(load(two, &el));
	assert_int_equal(el.n, 1);
	char *m = gp_errlist_format(&el, 0);
	char *want = gp_xasprintf("%s:1:2: not valid UTF-8 (byte 0xef): the file must be UTF-8 text",
				  two);
	assert_string_equal(m, want);
	free(m);
	free(want);
	gp_errlist_free(&el);

	/* holidays_file naming an endless device or a FIFO nobody writes. */
	char *fifo = gp_xasprintf("%s/holidays.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *files[] = {"/dev/zero", fifo};
	for (size_t i = 0; i < 2; i++) {
		char *cfgp = gp_xasprintf("%s/cal.yaml", dir);
		char *text = gp_xasprintf("targets:\n"
					  "  - {name: a, host: 127.0.0.1, owner: supplier,\n"
					  "     checks: [{name: p, tcp_connect: 22}]}\n"
					  "calendar:\n"
					  "  holidays_file: %s\n",
					  files[i]);
		write_file(cfgp, text, 0644);
		struct gp_errlist e2 = {0};
		assert_null(load(cfgp, &e2));
		assert_int_equal(e2.n, 1);
		m = gp_errlist_format(&e2, 0);
		want = gp_xasprintf("%s:5:18: calendar.holidays_file: '%s' is not a regular file", cfgp,
				    files[i]);
		assert_string_equal(m, want);
		free(m);
		free(want);
		gp_errlist_free(&e2);
		unlink(cfgp);
		free(cfgp);
		free(text);
	}
	/* The config itself as a FIFO: refused, not waited on. */
	struct gp_errlist e3 = {0};
	assert_null(load(fifo, &e3));
	m = gp_errlist_format(&e3, 0);
	want = gp_xasprintf("%s: not a regular file", fifo);
	assert_string_equal(m, want);
	free(m);
	free(want);
	gp_errlist_free(&e3);
	unlink(fifo);
	unlink(two);
	rmdir(dir);
	free(fifo);
	free(two);
}

/* A mapping of 200,000 keys is read in linear time: its duplicate keys
 * were found by comparing each key with every one before it, 27 s for
 * 80,000 keys and hours for the 16 MB a file may hold. Duplicates are
 * still found, each pointing at the first. */
static void test_many_keys(void **state)
{
	(void)state;
	enum { N = 200000 };
	size_t cap = (size_t)N * 16 + 64, len = 0;
	char *text = gp_xmalloc(cap);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "k%d: %d\n", i, i);
	len += (size_t)snprintf(text + len, cap - len, "k5: again\nk%d: x\nk5: thrice\n", N - 1);
	struct gp_errlist el = {0};
	int64_t t0 = gp_monotonic_us();
	assert_null(gp_yaml_load_text("big.yaml", text, len, &el));
	int64_t us = gp_monotonic_us() - t0;
	if (us > 10 * 1000000)
		fail_msg("%d keys took %.1f s", N, (double)us / 1e6);
	assert_int_equal(el.n, 3);
	static const char *const want[] = {
		"big.yaml:200001:1: duplicate key 'k5' (first at line 6)",
		"big.yaml:200002:1: duplicate key 'k199999' (first at line 200000)",
		"big.yaml:200003:1: duplicate key 'k5' (first at line 6)",
	};
	for (size_t i = 0; i < 3; i++) {
		char *m = gp_errlist_format(&el, i);
		assert_string_equal(m, want[i]);
		free(m);
	}
	gp_errlist_free(&el);
	free(text);
}

int main(void)
{
	struct dirent **names;
	int n = scandir(CONFIG_DIR "/bad", &names, is_yaml, alphasort);
	if (n <= 0) {
		fprintf(stderr, "no bad configs in %s\n", CONFIG_DIR "/bad");
		return 1;
	}
	struct CMUnitTest *tests = gp_xcalloc((size_t)n + 4, sizeof(*tests));
	for (int i = 0; i < n; i++) {
		tests[i].name = gp_xstrdup(names[i]->d_name);
		tests[i].test_func = test_bad_file;
		tests[i].initial_state = (void *)tests[i].name;
		free(names[i]);
	}
	free(names);
	tests[n] = (struct CMUnitTest)cmocka_unit_test(test_full_config);
	tests[n + 1] = (struct CMUnitTest)cmocka_unit_test(test_profile);
	tests[n + 2] = (struct CMUnitTest)cmocka_unit_test(test_inputs_that_hung);
	tests[n + 3] = (struct CMUnitTest)cmocka_unit_test(test_many_keys);
	int rc = _cmocka_run_group_tests("config", tests, (size_t)n + 4, NULL, NULL);
	for (int i = 0; i < n; i++)
		free((char *)tests[i].name);
	free(tests);
	return rc;
}
