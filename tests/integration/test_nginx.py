#!/usr/bin/python3
"""The HTTP collector and standalone check_genesys against a real nginx
(Debian's package), started here on free 127.0.0.1 ports with a private
CA made by openssl: HTTPS trusted through the site's CA (and refused
without it, with curl's reason), gzip that the probe asks for and decodes,
chunked transfer, HTTP/2, basic authentication from a private password
file, redirects (https -> https followed, https -> http refused as a
downgrade unless allowed), health pages asked fresh (Cache-Control:
no-cache) from a server that says they may be cached for 300 s, and
plain.so (check_genesys's engine for http:// URLs) read as curl.so reads
the same pages. What the probe sent and how nginx answered is read back from nginx's access log."""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (CHECK_GENESYS, Daemon, diag_json, free_tcp_port, run,  # noqa: E402
                     tcp_open, wait_until, write_config)

NGINX = "/usr/sbin/nginx"
PASSWORD = "n9inx-Pr0be-secret"
HEALTH = {"statusCode": 0, "status": "ready", "application": "gws-1", "load": 0.1,
          "filler": "x" * 2000}  # big enough for nginx to compress
HEALTH_TEXT = json.dumps(HEALTH)
# A text page longer than nginx's output buffers, its state at the end.
PAGE_TEXT = "GMS node report\n" + "".join("line %05d of the report\n" % i
                                          for i in range(8000)) + "service: @STATE@\n"
# Error pages of a Russian-language site: UTF-8 HTML whose title is longer
# than a message's excerpt, and plain text in cp1251.
RU_TITLE = "Сервис временно недоступен: идёт плановое техническое обслуживание " * 3
RU_PAGE = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>%s</title></head>\n"
           "<body><h1>503</h1></body></html>\n" % RU_TITLE)
CP1251_TEXT = "Ошибка сервера: база данных недоступна\n"
NO_TITLE_PAGE = "<html><body>\n<h1>Bad Gateway</h1>\n<p>upstream   <b>stat-1</b> down</p>\n</body></html>\n"
LOG_FIELDS = ("port", "host", "uri", "status", "protocol", "http2", "cache_control",
              "accept_encoding", "user_agent", "user", "sent_cache_control",
              "sent_content_encoding", "sent_transfer_encoding", "connection")

# One status line: GENESYS STATE - text [| 'label'=value[UOM];warn;crit;min;max ...]
PLUGIN_LINE = (r"^GENESYS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]*"
               r"(\| ?('[^']+'=-?[0-9.]+[a-zA-Z%]*(;[^; \n]*){0,4} ?)*)?\n$")


def openssl(*args, stdin=None):
    p = subprocess.run(["openssl"] + list(args), input=stdin, capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def make_ca(d, name):
    ca_key, ca = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=gprobe nginx test %s" % name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return ca, ca_key


def make_pki(d):
    """A private CA and a server certificate for 127.0.0.1 and localhost."""
    ca, ca_key = make_ca(d, "ca")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "2", "-out", crt, "-extfile", ext)
    return ca, crt, key


def nginx_conf(t):
    """nginx.conf: a plain HTTP/1.1 listener, a TLS listener with HTTP/2
    and a TLS listener with HTTP/1.1 only; everything under t.dir."""
    n = t.ngx
    user = "user nobody nogroup;\n" if os.getuid() == 0 else ""
    log_format = ",".join('"%s":"$%s"' % (f, v) for f, v in zip(LOG_FIELDS, (
        "server_port", "host", "request_uri", "status", "server_protocol", "http2",
        "http_cache_control", "http_accept_encoding", "http_user_agent", "remote_user",
        "sent_http_cache_control", "sent_http_content_encoding",
        "sent_http_transfer_encoding", "connection")))
    common = """
        root %(www)s;
        default_type application/octet-stream;
        types { application/json json; text/plain txt; text/html html; }
        # What Genesys GMS says of its health page: cache it for 5 min.
        add_header Cache-Control "max-age=300" always;
        location = /health.json { }
        # Compressed when the client asks for it (Accept-Encoding).
        location = /gzip/health.json {
            alias %(www)s/health.json;
            gzip on; gzip_types application/json; gzip_min_length 1; gzip_proxied any;
        }
        # Compressed whether asked or not (a pre-compressed file).
        location = /always-gzip/health.json {
            alias %(www)s/health.json;
            gzip_static always; gunzip off;
        }
        # sub_filter drops Content-Length: HTTP/1.1 answers are chunked.
        location = /chunked/page.txt {
            alias %(www)s/page.txt;
            sub_filter "@STATE@" "ONLINE"; sub_filter_types text/plain; sub_filter_once on;
        }
        location = /chunked/health.json {
            alias %(www)s/health.json;
            sub_filter "ready" "ready"; sub_filter_types application/json;
        }
        location /secure/ {
            auth_basic "gprobe test";
            auth_basic_user_file %(htpasswd)s;
            alias %(www)s/;
        }
        location = /redirect/relative { return 302 /health.json$is_args$args; }
        location = /redirect/other-name {
            return 301 https://localhost:%(h2)d/health.json$is_args$args;
        }
        location = /redirect/other-port {
            return 302 https://127.0.0.1:%(h1s)d/health.json$is_args$args;
        }
        location = /redirect/downgrade {
            return 302 http://127.0.0.1:%(plain)d/health.json$is_args$args;
        }
        location = /redirect/upgrade {
            return 302 https://127.0.0.1:%(h2)d/health.json$is_args$args;
        }
        location = /redirect/loop { return 302 /redirect/loop$is_args$args; }
        location = /ru/maintenance { error_page 503 /ru-503.html; return 503; }
        location = /ru-503.html { internal; }
        location = /cp1251/down { error_page 500 /cp1251.txt; return 500; }
        location = /cp1251.txt { internal; }
        location = /no-title { error_page 502 /no-title.html; return 502; }
        location = /no-title.html { internal; }
    """ % {"www": t.www, "htpasswd": os.path.join(n, "htpasswd"), "h2": t.ports["h2"],
           "h1s": t.ports["h1s"], "plain": t.ports["plain"]}
    tls = """
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_protocols TLSv1.2 TLSv1.3;
    """ % (t.crt, t.key)
    return """%(user)sdaemon off;
master_process on;
worker_processes 1;
pid %(n)s/nginx.pid;
lock_file %(n)s/nginx.lock;
error_log %(n)s/error.log info;
events { worker_connections 64; }
http {
    log_format gprobe escape=json '{%(fmt)s}';
    access_log %(n)s/access.log gprobe;
    client_body_temp_path %(n)s/body;
    proxy_temp_path %(n)s/proxy;
    fastcgi_temp_path %(n)s/fastcgi;
    uwsgi_temp_path %(n)s/uwsgi;
    scgi_temp_path %(n)s/scgi;
    server_tokens off;
    keepalive_timeout 30s;
    server { listen 127.0.0.1:%(plain)d; server_name _; %(common)s }
    server { listen 127.0.0.1:%(h2)d ssl http2; server_name _; %(tls)s %(common)s }
    server { listen 127.0.0.1:%(h1s)d ssl; server_name _; %(tls)s %(common)s }
}
""" % {"user": user, "n": n, "fmt": log_format, "plain": t.ports["plain"],
       "h2": t.ports["h2"], "h1s": t.ports["h1s"], "common": common, "tls": tls}


class Nginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        top = cls.tmp.name
        # nginx's workers run as nobody when the tests run as root: they
        # read the pages and the htpasswd file (hashes only); the keys, the
        # probe's password file and config stay in a private directory.
        os.chmod(top, 0o755)
        cls.private = os.path.join(top, "private")
        cls.www = os.path.join(top, "www")
        cls.ngx = os.path.join(top, "nginx")
        os.mkdir(cls.private, 0o700)
        os.mkdir(cls.www, 0o755)
        os.mkdir(cls.ngx, 0o755)
        cls.ca, cls.crt, cls.key = make_pki(cls.private)
        cls.other_ca, _ = make_ca(cls.private, "other-ca")
        with open(os.path.join(cls.www, "health.json"), "w") as f:
            f.write(HEALTH_TEXT)
        with open(os.path.join(cls.www, "health.json.gz"), "wb") as f:
            f.write(gzip.compress(HEALTH_TEXT.encode()))
        with open(os.path.join(cls.www, "page.txt"), "w") as f:
            f.write(PAGE_TEXT)
        with open(os.path.join(cls.www, "ru-503.html"), "w", encoding="utf-8") as f:
            f.write(RU_PAGE)
        with open(os.path.join(cls.www, "cp1251.txt"), "w", encoding="cp1251") as f:
            f.write(CP1251_TEXT)
        with open(os.path.join(cls.www, "no-title.html"), "w") as f:
            f.write(NO_TITLE_PAGE)
        for name in os.listdir(cls.www):
            os.chmod(os.path.join(cls.www, name), 0o644)
        # htpasswd made as Apache's tool makes it; the password on stdin.
        digest = openssl("passwd", "-apr1", "-stdin", stdin=PASSWORD + "\n").strip()
        assert digest.startswith("$apr1$"), digest
        with open(os.path.join(cls.ngx, "htpasswd"), "w") as f:
            f.write("probe:%s\n" % digest)
        os.chmod(os.path.join(cls.ngx, "htpasswd"), 0o644)
        cls.pwfile = cls.secret("http-password", PASSWORD + "\n")
        cls.wrong_pwfile = cls.secret("http-password-wrong", "not-the-password\n")

        cls.ports = {"plain": free_tcp_port(), "h2": free_tcp_port(), "h1s": free_tcp_port()}
        conf = os.path.join(cls.ngx, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(cls))
        cls.access_log = os.path.join(cls.ngx, "access.log")
        cls.stderr = open(os.path.join(cls.ngx, "stderr.log"), "w+")
        cls.addClassCleanup(cls.stderr.close)
        argv = [NGINX, "-p", cls.ngx + "/", "-c", conf, "-e", os.path.join(cls.ngx, "error.log")]
        p = subprocess.run(argv + ["-t"], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise AssertionError("nginx -t: %s" % p.stderr)
        cls.nginx = subprocess.Popen(argv, stdout=cls.stderr, stderr=cls.stderr)
        cls.addClassCleanup(cls.stop_nginx)

        def up():
            if cls.nginx.poll() is not None:
                with open(os.path.join(cls.ngx, "error.log")) as f:
                    raise AssertionError("nginx exited %d: %s" % (cls.nginx.returncode,
                                                                  f.read()))
            return all(tcp_open(p) for p in cls.ports.values())
        wait_until("nginx listening on %s" % cls.ports, up, 20)
        cls.n = 0

    @classmethod
    def secret(cls, name, text):
        path = os.path.join(cls.private, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path

    @classmethod
    def stop_nginx(cls):
        """nginx stopped by its PID; its workers must be gone with it."""
        pid = cls.nginx.pid
        workers = []
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                workers = [int(w) for w in f.read().split()]
        except OSError:
            pass
        if cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGTERM)
        cls.nginx.wait(timeout=30)
        wait_until("nginx's workers %s gone" % workers,
                   lambda: not any(os.path.exists("/proc/%d" % w) for w in workers), 10)

    # -------------------------------------------------------------- helpers

    def setUp(self):
        self.tags = {}

    def tag(self):
        """A query string naming one request, to find it in the access log."""
        Nginx.n += 1
        return "id=%s-%d" % (self.id().rsplit(".", 1)[-1], Nginx.n)

    def url(self, listener, path, host="127.0.0.1"):
        scheme = "http" if listener == "plain" else "https"
        return "%s://%s:%d%s" % (scheme, host, self.ports[listener], path)

    def get(self, name, listener, path, opts="", host="127.0.0.1"):
        """An http_get check called name of path on a listener, its request
        tagged (self.tags[name]); opts: more keys of the check."""
        self.tags[name] = self.tag()
        return "{name: %s, http_get: '%s'%s}" % (
            name, self.url(listener, "%s?%s" % (path, self.tags[name]), host),
            ", " + opts if opts else "")

    def log(self, name, count=1):
        """The access log's entries of the requests of check name (or of a
        tag), once nginx has written at least count of them."""
        tag = self.tags.get(name, name)

        def entries():
            with open(self.access_log) as f:
                found = [json.loads(l) for l in f if l.strip()]
            found = [e for e in found if e["uri"].endswith("?" + tag)]
            return found if len(found) >= count else None
        return wait_until("%d access log entries for %s" % (count, tag), entries, 10)

    def never_asked(self, *names):
        with open(self.access_log) as f:
            logged = f.read()
        for name in names:
            self.assertNotIn(self.tags[name], logged)

    def diag(self, checks, http=None, timeout="5s"):
        """`gprobe diag web --json` over a target of these checks; http is
        the inside of the target's http: block (default: the site's CA)."""
        d = tempfile.mkdtemp(dir=self.private)
        lines = ["probe: {timeout: %s, data_dir: %s, rrd: false}" % (timeout, d),
                 "targets:", "  - name: web", "    host: 127.0.0.1", "    owner: supplier"]
        http = "ca_file: %s" % self.ca if http is None else http
        if http:
            lines.append("    http: {%s}" % http)
        lines.append("    checks:")
        lines += ["      - " + c for c in checks]
        cfg = write_config(d, "\n".join(lines) + "\n")
        rc, checks = diag_json(cfg, "web")
        for c in checks.values():
            self.assertNotIn(PASSWORD, json.dumps(c))
        return rc, checks

    def auth(self, pwfile):
        return "ca_file: %s, user: probe, password_file: %s" % (self.ca, pwfile)

    @staticmethod
    def metric(check, name):
        return {m["name"]: m["value"] for m in check["metrics"]}[name]

    def check_genesys(self, *args):
        rc, out, err = run([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "-t", "10"] +
                           list(args))
        self.assertRegex(out, PLUGIN_LINE)
        self.assertEqual(err, "")
        return rc, out

    # ---------------------------------------------------------------- tests

    def test_https_with_the_private_ca(self):
        ready = "json: /status, expect: ready"
        rc, c = self.diag([self.get("trusted", "h2", "/health.json", ready),
                           self.get("named", "h1s", "/health.json", ready, host="localhost")])
        self.assertEqual(rc, 0, c)
        self.assertEqual(c["trusted"]["value"], "ready")
        self.assertGreater(self.metric(c["trusted"], "tls_ms"), 0)  # a handshake happened
        self.assertEqual(self.log("trusted")[0]["status"], "200")
        self.assertEqual(self.log("named")[0]["host"], "localhost")
        # Without the site's CA: refused before any request, with curl's reason.
        rc, c = self.diag([self.get("untrusted", "h2", "/health.json", ready)], http="")
        self.assertEqual(rc, 2, c)
        self.assertEqual(c["untrusted"]["state"], "CRITICAL")
        self.assertIn("SSL certificate problem: unable to get local issuer certificate",
                      c["untrusted"]["message"])
        self.assertIn("http.ca_file", c["untrusted"]["hint"])
        # Another CA than the one that signed the server's certificate.
        rc, c = self.diag([self.get("other-ca", "h2", "/health.json", ready)],
                          http="ca_file: %s" % self.other_ca)
        self.assertEqual(rc, 2, c)
        self.assertIn("SSL certificate problem: unable to get local issuer certificate",
                      c["other-ca"]["message"])
        self.never_asked("untrusted", "other-ca")

    def test_check_genesys_with_ca_file(self):
        t1, t2, t3 = self.tag(), self.tag(), self.tag()
        url = self.url("h2", "/gzip/health.json?")
        rc, out = self.check_genesys("-u", url + t1, "--json", "/statusCode", "--expect", "0",
                                     "--ca-file", self.ca, "--expect-status", "200")
        self.assertEqual(rc, 0, out)
        self.assertIn("1 check OK: http = 0 |", out)
        # check_http's perfdata: size is the decoded body's.
        self.assertRegex(out, r" 'time'=[0-9.]+s;;;0 'size'=%dB;;;0\n$" % len(HEALTH_TEXT))
        e = self.log(t1)[0]
        self.assertEqual((e["protocol"], e["sent_content_encoding"], e["cache_control"]),
                         ("HTTP/2.0", "gzip", "no-cache"))
        rc, out = self.check_genesys("-u", url + t2, "--json", "/statusCode", "--expect", "0")
        self.assertEqual(rc, 2, out)
        self.assertIn("SSL certificate problem: unable to get local issuer certificate", out)
        # The downgrade refused here too.
        rc, out = self.check_genesys("-u", self.url("h2", "/redirect/downgrade?" + t3),
                                     "--ca-file", self.ca)
        self.assertEqual(rc, 2, out)
        self.assertIn("a downgrade", out)
        self.assertEqual(len(self.log(t3)), 1)

    def test_gzip_asked_and_decoded(self):
        zero = "json: /statusCode, expect: '0'"
        rc, c = self.diag([self.get("h2", "h2", "/gzip/health.json", zero),
                           self.get("h1", "plain", "/gzip/health.json", zero),
                           self.get("unasked", "h1s", "/always-gzip/health.json", zero)])
        self.assertEqual(rc, 0, c)
        for name in ("h2", "h1", "unasked"):
            e = self.log(name)[0]
            self.assertIn("gzip", e["accept_encoding"].replace(" ", "").split(","), e)
            self.assertEqual(e["sent_content_encoding"], "gzip", e)
            self.assertEqual(c[name]["value"], "0")
            # The body as decoded: every byte of the document.
            self.assertEqual(self.metric(c[name], "size"), len(HEALTH_TEXT), name)

    def test_chunked(self):
        online = "match: 'service: ONLINE'"
        rc, c = self.diag([self.get("page", "h1s", "/chunked/page.txt", online),
                           self.get("plain", "plain", "/chunked/page.txt", online),
                           self.get("json", "plain", "/gzip/health.json",
                                    "json: /application, expect: gws-1")])
        self.assertEqual(rc, 0, c)
        for name in ("page", "plain", "json"):
            e = self.log(name)[0]
            self.assertEqual((e["protocol"], e["sent_transfer_encoding"]),
                             ("HTTP/1.1", "chunked"), e)
        # Every chunk read: the page's state is at its end.
        want = len(PAGE_TEXT.replace("@STATE@", "ONLINE"))
        for name in ("page", "plain"):
            self.assertEqual(self.metric(c[name], "size"), want, name)

    def test_http2(self):
        zero = "json: /statusCode, expect: '0'"
        rc, c = self.diag([self.get("h2", "h2", "/health.json", zero),
                           self.get("h1", "h1s", "/health.json", zero)])
        self.assertEqual(rc, 0, c)
        e = self.log("h2")[0]
        self.assertEqual((e["protocol"], e["http2"]), ("HTTP/2.0", "h2"), e)
        # A TLS listener without HTTP/2: ALPN falls back to HTTP/1.1.
        e = self.log("h1")[0]
        self.assertEqual((e["protocol"], e["http2"]), ("HTTP/1.1", ""), e)

    def test_http2_connection_kept_between_polls(self):
        # The daemon: after the first poll, no new connection (no new
        # TLS handshake); the checks share what the first poll opened.
        d = tempfile.mkdtemp(dir=self.private)
        names = ["c0", "c1", "c2"]
        cfg = write_config(d, "\n".join(
            ["probe: {timeout: 1s, interval: 1s, retry_interval: 1s, data_dir: %s, rrd: false}"
             % d, "targets:", "  - name: web", "    host: 127.0.0.1", "    owner: supplier",
             "    http: {ca_file: %s}" % self.ca, "    checks:"] +
            ["      - " + self.get(n, "h2", "/health.json", "json: /statusCode, expect: '0'")
             for n in names]) + "\n")
        daemon = Daemon(cfg, os.path.join(d, "run.log"))
        try:
            polls = [self.log(n, 3) for n in names]
        finally:
            self.assertEqual(daemon.stop(), 0)
        first = {p[0]["connection"] for p in polls}
        later = {e["connection"] for p in polls for e in p[1:]}
        self.assertLessEqual(later, first, polls)
        self.assertEqual({e["protocol"] for p in polls for e in p}, {"HTTP/2.0"})

    def test_basic_auth(self):
        ready = "json: /status, expect: ready"
        rc, c = self.diag([self.get("ok", "h2", "/secure/health.json", ready)],
                          http=self.auth(self.pwfile))
        self.assertEqual(rc, 0, c)
        e = self.log("ok")[0]
        self.assertEqual((e["status"], e["user"]), ("200", "probe"), e)
        # The wrong password: nginx's 401 is the check's reason, its HTML
        # page in a word (its title), not the markup.
        rc, c = self.diag([self.get("wrong", "h2", "/secure/health.json", ready)],
                          http=self.auth(self.wrong_pwfile))
        self.assertEqual(rc, 2, c)
        self.assertEqual(c["wrong"]["message"], "HTTP 401: 401 Authorization Required")
        self.assertIn("credentials", c["wrong"]["hint"])
        e = self.log("wrong")[0]
        self.assertEqual((e["status"], e["user"]), ("401", "probe"), e)
        self.assertNotIn("not-the-password", json.dumps(c))
        # No credentials at all: 401 as well, as expect_status says it.
        rc, c = self.diag([self.get("none", "h2", "/secure/health.json", "expect_status: 200")])
        self.assertEqual(rc, 2, c)
        self.assertEqual(c["none"]["message"],
                         "HTTP 401 (expected 200): 401 Authorization Required")
        self.assertEqual(self.log("none")[0]["user"], "")
        # A password file others may read is refused, and never used.
        loose = self.secret("http-password-loose", PASSWORD + "\n")
        os.chmod(loose, 0o644)
        d = tempfile.mkdtemp(dir=self.private)
        cfg = write_config(d, "probe: {data_dir: %s, rrd: false}\ntargets:\n"
                           "  - name: web\n    host: 127.0.0.1\n    owner: supplier\n"
                           "    http: {%s}\n    checks: [%s]\n"
                           % (d, self.auth(loose), self.get("loose", "h2", "/secure/health.json")))
        rc, out, err = run([os.environ["GPROBE"], "-c", cfg, "diag", "web", "--json"])
        self.assertNotEqual(rc, 0, out)
        self.assertIn("accessible to group or others", out + err)
        self.assertNotIn(PASSWORD, out + err)
        self.never_asked("loose")

    def test_redirects(self):
        zero = "json: /statusCode, expect: '0'"
        rc, c = self.diag([
            self.get("relative", "h2", "/redirect/relative", zero),
            self.get("name", "h2", "/redirect/other-name", zero),
            self.get("port", "h2", "/redirect/other-port", zero),
            self.get("down", "h2", "/redirect/downgrade", zero),
            self.get("allowed", "h2", "/redirect/downgrade", zero + ", allow_downgrade: true"),
            self.get("up", "plain", "/redirect/upgrade", zero),
            self.get("loop", "h2", "/redirect/loop", zero)])
        # https -> https followed: the same server, another name, another port.
        for name in ("relative", "name", "port", "up", "allowed"):
            self.assertEqual(c[name]["state"], "OK", c[name])
        self.assertEqual([(e["status"], e["host"]) for e in self.log("name", 2)],
                         [("301", "127.0.0.1"), ("200", "localhost")])
        ports = {k: str(v) for k, v in self.ports.items()}
        self.assertEqual([e["port"] for e in self.log("port", 2)], [ports["h2"], ports["h1s"]])
        self.assertEqual([e["port"] for e in self.log("up", 2)], [ports["plain"], ports["h2"]])
        # https -> http refused as a downgrade, said as it is (curl says
        # 'Protocol "http" not supported or disabled in libcurl', as if it
        # could not speak HTTP); plain HTTP never asked...
        self.assertEqual(c["down"]["state"], "CRITICAL", c["down"])
        self.assertIn("downgrade", c["down"]["hint"])
        tag = self.tags["down"]
        self.assertEqual(c["down"]["message"],
                         "GET %s failed: the redirect to %s is refused (https:// to plain "
                         "http://, a downgrade)"
                         % (self.url("h2", "/redirect/downgrade?" + tag),
                            self.url("plain", "/health.json?" + tag)))
        self.assertEqual([e["port"] for e in self.log("down")], [ports["h2"]])
        # ...unless the check allows it.
        self.assertEqual([e["port"] for e in self.log("allowed", 2)],
                         [ports["h2"], ports["plain"]])
        self.assertEqual(c["loop"]["state"], "CRITICAL", c["loop"])
        self.assertIn("Maximum (3) redirects followed", c["loop"]["message"])
        self.assertEqual(len(self.log("loop", 4)), 4)  # the request and 3 redirects
        self.assertEqual(rc, 2)
        # The credentials go to the host they were given for, not to
        # another one a redirect names.
        rc, c = self.diag([self.get("auth", "h2", "/redirect/other-name")],
                          http=self.auth(self.pwfile))
        self.assertEqual([(e["host"], e["user"]) for e in self.log("auth", 2)],
                         [("127.0.0.1", "probe"), ("localhost", "")])

    def diag_with(self, engine, checks, http=None):
        """diag as above with GPROBE_HTTP_ENGINE=engine (plain: plain.so,
        check_genesys's engine for http:// URLs; curl: curl.so)."""
        os.environ["GPROBE_HTTP_ENGINE"] = engine
        try:
            return self.diag(checks, http=http)
        finally:
            del os.environ["GPROBE_HTTP_ENGINE"]

    def test_plain_engine_reads_as_curl_does(self):
        """plain.so against nginx's plain listener: gzip, chunked, basic
        auth, error pages, a redirect to https:// handed over to curl.so;
        each check reads as curl.so reads it."""
        def checks(sfx):
            return [self.get("gz" + sfx, "plain", "/gzip/health.json",
                             "json: /statusCode, expect: '0'"),
                    self.get("chunked" + sfx, "plain", "/chunked/page.txt",
                             "match: 'service: ONLINE'"),
                    self.get("chunked-json" + sfx, "plain", "/chunked/health.json",
                             "json: /status, expect: ready"),
                    self.get("auth" + sfx, "plain", "/secure/health.json",
                             "json: /application, expect: gws-1"),
                    self.get("ru" + sfx, "plain", "/ru/maintenance", "expect_status: 200"),
                    self.get("no-title" + sfx, "plain", "/no-title"),
                    self.get("up" + sfx, "plain", "/redirect/upgrade",
                             "json: /statusCode, expect: '0'")]
        rc_p, plain = self.diag_with("plain", checks("-p"), http=self.auth(self.pwfile))
        rc_c, curl = self.diag_with("curl", checks("-c"), http=self.auth(self.pwfile))
        self.assertEqual(rc_p, rc_c, (plain, curl))
        self.assertEqual(rc_p, 2, plain)  # the error pages
        for name in ("gz", "chunked", "chunked-json", "auth", "ru", "no-title", "up"):
            p, c = plain[name + "-p"], curl[name + "-c"]
            for key in ("state", "message", "value"):  # the time in a message aside
                self.assertEqual(re.sub(r" in [0-9.]+ ms", "", p.get(key) or ""),
                                 re.sub(r" in [0-9.]+ ms", "", c.get(key) or ""), (name, key))
            for m in ("size", "status"):
                if m in {x["name"] for x in c["metrics"]}:
                    self.assertEqual(self.metric(p, m), self.metric(c, m), (name, m))
        for name in ("gz", "chunked", "chunked-json", "auth", "up"):
            self.assertEqual(plain[name + "-p"]["state"], "OK", plain[name + "-p"])
        self.assertEqual(self.metric(plain["gz-p"], "size"), len(HEALTH_TEXT))
        self.assertEqual(self.metric(plain["chunked-p"], "size"),
                         len(PAGE_TEXT.replace("@STATE@", "ONLINE")))
        self.assertEqual(plain["no-title-p"]["message"],
                         "HTTP 502: Bad Gateway upstream stat-1 down")
        # What nginx saw of plain.so's requests: its own headers (one
        # connection each, gzip asked), the body sent gzipped or chunked,
        # the credentials; the https:// redirect fetched by curl.so.
        for name in ("gz", "chunked", "chunked-json", "auth", "ru", "no-title"):
            e = self.log(name + "-p")[0]
            self.assertEqual((e["protocol"], e["accept_encoding"], e["user_agent"],
                              e["cache_control"]),
                             ("HTTP/1.1", "gzip, deflate", "gprobe", "no-cache"), e)
        self.assertEqual(self.log("gz-p")[0]["sent_content_encoding"], "gzip")
        self.assertEqual(self.log("chunked-p")[0]["sent_transfer_encoding"], "chunked")
        self.assertEqual(self.log("chunked-json-p")[0]["sent_transfer_encoding"], "chunked")
        self.assertEqual(self.log("auth-p")[0]["user"], "probe")
        ports = {k: str(v) for k, v in self.ports.items()}
        # The handover restarts the request in curl.so from its first URL:
        # plain.so's request, then curl.so's, then curl.so's redirect.
        up = self.log("up-p", 3)
        self.assertEqual([e["port"] for e in up], [ports["plain"], ports["plain"], ports["h2"]],
                         up)
        self.assertEqual(up[0]["accept_encoding"], "gzip, deflate", up)
        for e in up[1:]:
            self.assertNotEqual(e["accept_encoding"], "gzip, deflate", up)

    def test_asked_fresh_past_caches(self):
        ready = "json: /status, expect: ready"
        rc, c = self.diag([self.get("a", "h2", "/health.json", ready),
                           self.get("b", "h2", "/redirect/relative", ready)])
        self.assertEqual(rc, 0, c)
        # Every request, the redirected one included, asks fresh; nginx
        # says the answer may be cached for 300 s.
        for e in self.log("a") + self.log("b", 2):
            self.assertEqual((e["cache_control"], e["sent_cache_control"], e["user_agent"]),
                             ("no-cache", "max-age=300", "gprobe"), e)
        # Polled again within the 300 s: it reaches nginx again.
        tag = self.tags["a"]
        self.diag(["{name: a, http_get: '%s'}" % self.url("h2", "/health.json?" + tag)])
        self.assertEqual(len(self.log("a", 2)), 2)

    def test_error_pages_and_values_as_text(self):
        rc, c = self.diag([self.get("ru", "h2", "/ru/maintenance", "expect_status: 200"),
                           self.get("cp1251", "h2", "/cp1251/down"),
                           self.get("load", "h2", "/health.json", "json: /load, expect: '0.1'"),
                           self.get("no-title", "h1s", "/no-title")])
        self.assertEqual([self.log(n)[0]["status"] for n in ("ru", "cp1251", "no-title")],
                         ["503", "500", "502"])
        # Every check is in diag's JSON (a message that is not UTF-8 was
        # dropped from it), its text cut at a character's start.
        self.assertEqual(set(c), {"ru", "cp1251", "load", "no-title"})
        msg = c["ru"]["message"]
        self.assertTrue(msg.startswith("HTTP 503 (expected 200): Сервис временно недоступен"),
                        msg)
        self.assertTrue(RU_TITLE.startswith(msg[len("HTTP 503 (expected 200): "):]), msg)
        self.assertGreater(len(msg.encode()), 150)
        # cp1251 bytes are not UTF-8: each one a '?', the ASCII kept.
        self.assertEqual(c["cp1251"]["message"],
                         "HTTP 500: " + "".join("?" if ord(ch) > 127 else ch
                                                for ch in CP1251_TEXT.strip()))
        # An HTML page without a title: its text, not its tags.
        self.assertEqual(c["no-title"]["message"], "HTTP 502: Bad Gateway upstream stat-1 down")
        # A JSON number as written in the document.
        self.assertEqual(c["load"]["value"], "0.1")
        self.assertEqual(c["load"]["state"], "OK", c["load"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
