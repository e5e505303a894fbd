#!/usr/bin/python3
"""The HTTP collector against the lab's HTTP server: health documents in
JSON, XML and text, failures of every kind, and hostile bodies."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (GPROBE, LAB_DIR, diag_json, lab, lab_info, run, wait_until,  # noqa: E402
                     write_config)


class HttpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.base = "http://127.0.0.1:%d" % lab_info()["ports"]["http"]
        self.n = 0

    def tearDown(self):
        self.tmp.cleanup()

    def route(self, *opts):
        """A fresh path on the lab's server answering as opts say (fresh in
        its log too: a lab that outlives a run keeps the old requests)."""
        self.n += 1
        path = "/test/%s/%d-%d" % (self.id().rsplit(".", 1)[-1], os.getpid(), self.n)
        lab("http-set", path, *opts)
        return path

    def diag(self, checks, timeout="2s", http_extra=""):
        lines = ["probe: {timeout: %s, data_dir: %s}" % (timeout, self.tmp.name),
                 "targets:", "  - name: web", "    host: 127.0.0.1", "    owner: supplier",
                 '    http: {base_url: "%s"%s}' % (self.base, http_extra), "    checks:"]
        lines += ["      - " + c for c in checks]
        cfg = write_config(self.tmp.name, "\n".join(lines) + "\n")
        return diag_json(cfg, "web")

    def test_gws_version_json(self):
        rc, c = self.diag(["{name: v, http_get: /api/v2/diagnostics/version, expect_status: 200, "
                           "json: /statusCode, expect: '0'}"])
        self.assertEqual(rc, 0)
        v = c["v"]
        self.assertEqual(v["value"], "0")
        self.assertEqual(v["numeric"], 0)
        names = [m["name"] for m in v["metrics"]]
        self.assertEqual(names, ["dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms",
                                 "size"])
        self.assertGreater(v["metrics"][-1]["value"], len('{"statusCode":0}'))  # the body's bytes
        total = v["metrics"][-2]["value"]
        self.assertGreater(total, 0)
        self.assertLess(total, 2000)

    def test_status_codes(self):
        unavailable = self.route("--status", "503", "--body", '{"statusCode":4}')
        missing = "/test/nowhere"
        rc, c = self.diag(["{name: a, http_get: %s, expect_status: 200}" % unavailable,
                           "{name: b, http_get: %s}" % missing])
        self.assertEqual(rc, 2)
        self.assertEqual(c["a"]["message"], 'HTTP 503 (expected 200): {"statusCode":4}')
        self.assertIn("reports itself unavailable", c["a"]["hint"])
        self.assertEqual(c["b"]["message"], "HTTP 404: not found")

    def test_json_problems(self):
        bad = self.route("--body", '{"statusCode": 0,,}')
        good = self.route("--body", '{"a": [1, {"b~c": "x/y"}]}')
        rc, c = self.diag(["{name: malformed, http_get: %s, json: /statusCode}" % bad,
                           "{name: absent, http_get: %s, json: /a/5}" % good,
                           "{name: escaped, http_get: %s, json: /a/1/b~0c, expect: x/y}" % good])
        self.assertEqual(rc, 2)
        self.assertRegex(c["malformed"]["message"],
                         r"^HTTP 200, but the body is not valid JSON \(line 1, column \d+: ")
        self.assertEqual(c["absent"]["message"],
                         "HTTP 200, but JSON pointer '/a/5' names nothing in the body (at '/5')")
        self.assertEqual(c["escaped"]["state"], "OK")

    def test_xml_problems_and_xxe(self):
        broken = self.route("--content-type", "application/xml", "--body", "<health state='up'>")
        xxe = self.route("--content-type", "application/xml", "--body",
                         '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY x SYSTEM '
                         '"file:///etc/passwd">]><health><state>&x;</state></health>')
        laughs = self.route("--content-type", "application/xml", "--body",
                            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
                            '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><h><s>&d;</s></h>')
        rc, c = self.diag(["{name: broken, http_get: %s, xpath: /health/@state}" % broken,
                           "{name: xxe, http_get: %s, xpath: /health/state}" % xxe,
                           "{name: laughs, http_get: %s, xpath: /h/s}" % laughs])
        self.assertRegex(c["broken"]["message"], r"^HTTP 200, but the body is not well-formed XML")
        # The external entity is neither fetched nor expanded.
        for field in ("value", "message"):
            self.assertNotIn("root:", c["xxe"][field] or "")
        # Internal entities are not expanded either: no amplification.
        self.assertLess(len(c["laughs"]["value"] or ""), 100)

    def test_xpath_module_loaded_only_when_needed(self):
        # XPath is http/xpath.so's (libxml2), beside the collector. A
        # plugin folder without it still serves every other HTTP check;
        # an xpath check says what is missing, as UNKNOWN.
        page = self.route("--content-type", "application/xml", "--body",
                          "<health state='up'><n>7</n></health>")
        checks = ["{name: state, http_get: %s, xpath: /health/@state, expect: up}" % page,
                  "{name: n, http_get: %s, xpath: 'number(/health/n)', critical: '5'}" % page,
                  "{name: plain, http_get: %s, match: health}" % page]
        rc, c = self.diag(checks)
        self.assertEqual(c["state"]["state"], "OK", c["state"])
        self.assertEqual(c["state"]["value"], "up")
        self.assertEqual(c["n"]["state"], "CRITICAL", c["n"])
        self.assertEqual(c["n"]["numeric"], 7)
        built = os.environ["GPROBE_PLUGIN_DIR"]
        plugins = os.path.join(self.tmp.name, "plugins")
        os.makedirs(os.path.join(plugins, "http"))
        for name in ("http.so", os.path.join("http", "curl.so"), os.path.join("http", "plain.so")):
            shutil.copy(os.path.join(built, name), os.path.join(plugins, name))
        old = os.environ["GPROBE_PLUGIN_DIR"]
        os.environ["GPROBE_PLUGIN_DIR"] = plugins
        try:
            rc, c = self.diag(checks)
        finally:
            os.environ["GPROBE_PLUGIN_DIR"] = old
        self.assertEqual(rc, 3, c)
        for name in ("state", "n"):
            self.assertEqual(c[name]["state"], "UNKNOWN", c[name])
            self.assertIn("xpath needs the HTTP collector's XPath module", c[name]["message"])
            self.assertIn("xpath.so", c[name]["message"])
        self.assertEqual(c["plain"]["state"], "OK", c["plain"])

    def test_slow_answer_times_out(self):
        slow = self.route("--delay-ms", "3000", "--body", "late")
        t0 = time.monotonic()
        rc, c = self.diag(["{name: slow, http_get: %s}" % slow], timeout="1s")
        elapsed = time.monotonic() - t0
        self.assertEqual(rc, 2)
        self.assertRegex(c["slow"]["message"], r"^GET http://127\.0\.0\.1:\d+/test/.* failed: "
                                               r"Operation timed out after \d+ milliseconds")
        self.assertLess(elapsed, 2.5)

    def test_oversized_body_is_cut(self):
        # 5 MiB body: more than the 4 MiB cap.
        big = self.route("--body", "x" * 1024, "--body-repeat", str(5 * 1024))
        rc, c = self.diag(["{name: big, http_get: %s}" % big], timeout="5s")
        self.assertEqual(rc, 2)
        self.assertEqual(c["big"]["message"], "the body is larger than 4 MiB; transfer stopped")

    def test_match_on_the_body(self):
        page = self.route("--content-type", "text/plain", "--body", "ONLINE\n")
        rc, c = self.diag(["{name: gms, http_get: %s, match: '^ONLINE', expect: ONLINE}" % page,
                           "{name: miss, http_get: %s, match: OFFLINE}" % page])
        self.assertEqual(c["gms"]["state"], "OK")
        self.assertEqual(c["miss"]["message"], "HTTP 200, but the body does not match 'OFFLINE'")

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        rc, c = self.diag(["{name: down, http_get: 'http://127.0.0.1:%d/health'}" % port])
        self.assertEqual(rc, 2)
        self.assertRegex(c["down"]["message"], r"failed: Failed to connect to 127\.0\.0\.1 port %d"
                         % port)
        self.assertIn("nothing listens", c["down"]["hint"])

    def test_basic_auth_from_password_file(self):
        page = self.route("--auth", "probe:s3cret-pass", "--body", '{"statusCode":0}')
        pw = os.path.join(self.tmp.name, "http-password")
        with open(pw, "w") as f:
            f.write("s3cret-pass\n")
        os.chmod(pw, 0o600)
        rc, c = self.diag(["{name: ok, http_get: %s, json: /statusCode, expect: '0'}" % page],
                          http_extra=", user: probe, password_file: %s" % pw)
        self.assertEqual(rc, 0, c)
        rc, c = self.diag(["{name: no, http_get: %s, expect_status: 200}" % page])
        self.assertEqual(rc, 2)
        self.assertTrue(c["no"]["message"].startswith("HTTP 401 (expected 200)"))
        self.assertNotIn("s3cret", str(c))

    def test_redirects_followed_and_limited(self):
        target = self.route("--body", '{"statusCode":0}')
        hop = self.route("--status", "302", "--location", target)
        loop_a = "/test/loop/a"
        lab("http-set", loop_a, "--status", "302", "--location", loop_a)
        rc, c = self.diag(["{name: hop, http_get: %s, json: /statusCode, expect: '0'}" % hop,
                           "{name: loop, http_get: %s}" % loop_a])
        self.assertEqual(c["hop"]["state"], "OK", c["hop"])
        self.assertEqual(c["loop"]["state"], "CRITICAL")
        self.assertIn("Maximum (3) redirects followed", c["loop"]["message"])

    def test_compressed_and_fresh(self):
        # A server that gzips unasked: decoded, the JSON reads.
        gz = self.route("--body", '{"statusCode":0}', "--gzip", "yes")
        # What the probe asks: fresh (past any cache), any encoding.
        echo = self.route("--echo-headers", "yes")
        rc, c = self.diag(["{name: gz, http_get: %s, json: /statusCode, expect: '0'}" % gz,
                           "{name: cc, http_get: %s, json: /Cache-Control, expect: no-cache}" % echo,
                           "{name: ae, http_get: %s, json: /Accept-Encoding}" % echo])
        self.assertEqual(rc, 0, c)
        self.assertEqual(c["gz"]["value"], "0")
        self.assertIn("gzip", c["ae"]["value"])

    def test_https_to_http_redirect_refused(self):
        target = self.route("--body", '{"statusCode":0}')
        https = "https://127.0.0.1:%d" % lab_info()["ports"]["https"]
        down = self.route("--status", "302", "--location", self.base + target)
        ca = os.path.join(LAB_DIR, "tls", "ca.pem")
        rc, c = self.diag(["{name: d, http_get: '%s%s'}" % (https, down),
                           "{name: ok, http_get: '%s%s', allow_downgrade: true}" % (https, down)],
                          http_extra=", ca_file: %s" % ca)
        self.assertEqual(c["d"]["state"], "CRITICAL", c["d"])
        self.assertIn("downgrade", c["d"]["hint"])
        # Said as it is, not curl's 'Protocol "http" not supported'.
        self.assertTrue(c["d"]["message"].endswith(
            "failed: the redirect to %s%s is refused (https:// to plain http://, a downgrade)"
            % (self.base, target)), c["d"]["message"])
        self.assertEqual(c["ok"]["state"], "OK", c["ok"])

    def test_tls_verification(self):
        ca = os.path.join(LAB_DIR, "tls", "ca.pem")
        https = "https://127.0.0.1:%d" % lab_info()["ports"]["https"]
        check = ["{name: v, http_get: '%s/api/v2/diagnostics/version', json: /statusCode, "
                 "expect: '0'}" % https]
        # Verified by default: the lab's own CA is unknown to the system.
        rc, c = self.diag(check)
        self.assertEqual(rc, 2)
        self.assertIn("SSL certificate problem", c["v"]["message"])
        self.assertIn("http.ca_file", c["v"]["hint"])
        # Trusted through the site's CA file.
        rc, c = self.diag(check, http_extra=", ca_file: %s" % ca)
        self.assertEqual(rc, 0, c)
        self.assertGreater(c["v"]["metrics"][2]["value"], 0)  # tls_ms: a handshake happened
        # The site's CA, but a name the certificate does not carry
        # (it names 127.0.0.1 only): refused.
        wrong = "https://localhost:%d/api/v2/diagnostics/version" % lab_info()["ports"]["https"]
        rc, c = self.diag(["{name: v, http_get: '%s'}" % wrong], http_extra=", ca_file: %s" % ca)
        self.assertEqual(rc, 2, c)
        self.assertIn("no alternative certificate subject name matches", c["v"]["message"])
        # Not verified when configured so, and diag warns.
        cfg_extra = ", tls_verify: false"
        rc, c = self.diag(check, http_extra=cfg_extra)
        self.assertEqual(rc, 0, c)
        rc, out, _ = run([GPROBE, "-c", os.path.join(self.tmp.name, "gprobe.yaml"), "diag", "web"])
        self.assertIn("warning: TLS certificates are not verified for this target", out)

    def test_connection_reused_between_polls(self):
        page = self.route("--body", '{"statusCode":0}')
        cfg_text = ["probe: {timeout: 1s, interval: 1s, retry_interval: 1s, data_dir: %s/data}"
                    % self.tmp.name, "targets:", "  - name: web", "    host: 127.0.0.1",
                    "    owner: supplier", '    http: {base_url: "%s"}' % self.base, "    checks:",
                    "      - {name: p, http_get: %s}" % page]
        cfg = write_config(self.tmp.name, "\n".join(cfg_text) + "\n")
        httplog = os.path.join(LAB_DIR, "logs", "http.log")
        log = open(os.path.join(self.tmp.name, "run.log"), "w")
        p = subprocess.Popen([GPROBE, "-c", cfg, "run"], stdout=log, stderr=log)
        try:
            def clients():
                with open(httplog) as f:
                    return [l.split()[0] for l in f if '"GET %s ' % page in l]
            seen = wait_until("three polls", lambda: len(clients()) >= 3 and clients())
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=30)
            log.close()
            with open(os.path.join(self.tmp.name, "run.log")) as f:
                self.assertEqual(rc, 0, f.read())
        # One client address and port: one connection for every poll.
        self.assertEqual(len(set(seen)), 1, seen)

    def test_interim_chunked_and_deflated_answers(self):
        # A 103 Early Hints before the answer, a chunked body, a zlib one:
        # each reads as the plain body would.
        doc = '{"statusCode":0}'
        chunked = self.route("--interim", "yes", "--chunked", "yes", "--body", doc)
        deflated = self.route("--encoding", "deflate", "--body", doc)
        # An encoding unasked that curl decodes or refuses itself (plain.so
        # hands it to curl.so): the same result from either engine.
        odd = self.route("--encoding", "br", "--body", "not brotli")
        rc, c = self.diag(["{name: ch, http_get: %s, json: /statusCode, expect: '0'}" % chunked,
                           "{name: de, http_get: %s, json: /statusCode, expect: '0'}" % deflated,
                           "{name: br, http_get: %s}" % odd])
        self.assertEqual(c["ch"]["state"], "OK", c["ch"])
        self.assertEqual(c["de"]["state"], "OK", c["de"])
        self.assertEqual(c["br"]["state"], "CRITICAL", c["br"])
        self.assertIn("Content or Transfer-Encoding", c["br"]["message"])

    def test_post_redirected_by_303_goes_on_as_get(self):
        echo = self.route("--echo-headers", "yes")
        see = self.route("--status", "303", "--location", echo)
        rc, c = self.diag(["{name: p, http_get: %s, method: POST, body: 'q=1', "
                           "json: '/:method', expect: GET}" % see])
        self.assertEqual(rc, 0, c)

    def test_post_with_body(self):
        page = self.route("--body", '{"statusCode":0}')
        rc, c = self.diag(["{name: p, http_get: %s, method: POST, body: '{\"q\":1}', "
                           "json: /statusCode, expect: '0'}" % page])
        self.assertEqual(rc, 0, c)
        self.assertTrue(c["p"]["request"].startswith("POST http://"))


class PlainHttpTest(HttpTest):
    """Every case above again with plain.so, the engine of one-shot runs'
    http:// checks (collectors/http_plain.c): the same answers must read
    the same. Its https:// cases are handed to curl.so, as in a one-shot
    run."""

    def setUp(self):
        super().setUp()
        os.environ["GPROBE_HTTP_ENGINE"] = "plain"

    def tearDown(self):
        del os.environ["GPROBE_HTTP_ENGINE"]
        super().tearDown()

    def test_connection_reused_between_polls(self):
        self.skipTest("plain.so closes its connection after each request (one-shot runs)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
