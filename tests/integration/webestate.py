"""The web console's tests' estate: one `gprobe run` and one `gprobe web`
for a test class, over a component that is a TCP listener the test opens
and closes (test_alerts.Component), a service armo over it, a contract
whose term began on the first of last month (Almaty) and the users of
USERS; and the HTTP helpers the tests share (no redirect followed)."""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, free_tcp_port, run, tcp_open, wait_until, with_store  # noqa: E402
from test_alerts import Component  # noqa: E402

TZ = ZoneInfo("Asia/Almaty")
PASSWORDS = {"oper": ("operator", "oper-secret-1"), "view": ("viewer", "view-secret-1"),
             "boss": ("manager", "boss-secret-1")}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class ConsoleEstate(unittest.TestCase):
    USERS = PASSWORDS          # name: (role, password)
    RRD = "rrd: false"         # the probe's RRD keys
    MORE_TARGETS = ""          # targets: entries after web-1 ({...} a line each)

    @classmethod
    def prepare(cls):
        """Before the config is written (cls.tmp is there)."""

    @classmethod
    def ready(cls):
        """After the console listens and armo is UP: more to wait for."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.comp = Component()
        cls.comp.up()
        cls.port = free_tcp_port()
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.cfg = os.path.join(d, "gprobe.yaml")
        cls.data = os.path.join(d, "data")
        cls.users = os.path.join(d, "users")
        # This month and the last are in the term whenever the test runs;
        # the last was never monitored (the probe starts now).
        today = datetime.datetime.now(TZ).date()
        cls.today = today
        cls.month = today.strftime("%Y-%m")
        cls.term_start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        cls.prepare()
        with open(cls.cfg, "w", encoding="utf-8") as f:
            f.write(with_store(f"""probe: {{data_dir: {cls.data}, interval: 1s, retry_interval: 1s,
        timeout: 1s, attempts: 1, {cls.RRD}}}
targets:
  - {{name: web-1, host: 127.0.0.1, owner: supplier,
     checks: [{{name: port, tcp_connect: {cls.comp.port}}}]}}
{cls.MORE_TARGETS}services:
  - {{name: armo, title: "АРМО", up_when: "web-1", priority: P2}}
contract: {{start: {cls.term_start}, term_days: 365, monthly_payment: "1250000.00",
  value_excl_vat: "15000000.00", penalty_hour_divisor: 720, penalty_cap_percent: 5,
  hour_rounding: exact, overlap: union}}
calendar: {{timezone: Asia/Almaty}}
web:
  listen: "127.0.0.1:{cls.port}"
  users_file: users
"""))
        for user, (role, pw) in cls.USERS.items():
            p = subprocess.run([GPROBE, "-c", cls.cfg, "web", "passwd", user, "--role", role],
                               input=pw + "\n", capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
        assert os.stat(cls.users).st_mode & 0o777 == 0o600
        cls.daemon_log = open(os.path.join(d, "run.log"), "a")
        cls.daemon = subprocess.Popen([GPROBE, "-c", cls.cfg, "run"], stdout=cls.daemon_log,
                                      stderr=cls.daemon_log)
        cls.web_log = open(os.path.join(d, "web.log"), "a")
        cls.web = subprocess.Popen([GPROBE, "-c", cls.cfg, "web"], stdout=cls.web_log,
                                   stderr=cls.web_log)
        try:
            wait_until("gprobe web listening", lambda: tcp_open(cls.port), 30)
            wait_until("armo UP", lambda: cls.service_state() == "UP", 60)
            cls.ready()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def service_state(cls):
        rc, out, _ = run([GPROBE, "-c", cls.cfg, "status", "--json"])
        if rc != 0:
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}.get("armo")

    @classmethod
    def stop_all(cls):
        for p in (cls.web, cls.daemon):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        cls.web_log.close()
        cls.daemon_log.close()
        cls.comp.down()

    @classmethod
    def tearDownClass(cls):
        web_running = cls.web.poll() is None
        cls.stop_all()
        with open(os.path.join(cls.tmp.name, "web.log"), encoding="utf-8") as f:
            log = f.read()
        cls.tmp.cleanup()
        # SIGTERM stops the console cleanly.
        assert not web_running or cls.web.returncode == 0, (cls.web.returncode, log)

    # --- HTTP without a browser ------------------------------------------
    def http(self, method, path, form=None, cookie=None, headers=None):
        """(status, headers, body text); redirects are not followed."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if cookie:
            req.add_header("Cookie", cookie)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with OPENER.open(req, timeout=30) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    ACCEPT_LANGUAGE = None     # get()'s Accept-Language (None: the config's language)

    def get(self, path, cookie):
        """(status, headers, bytes) of a GET with the session cookie (None:
        without); redirects are not followed."""
        req = urllib.request.Request(self.base + path)
        if self.ACCEPT_LANGUAGE:
            req.add_header("Accept-Language", self.ACCEPT_LANGUAGE)
        if cookie:
            req.add_header("Cookie", cookie)
        try:
            with OPENER.open(req, timeout=120) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def browser(self):
        """Debian's chromium, headless, driven by selenium (1280x800, en)."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--disable-gpu", "--window-size=1280,800", "--lang=en-US"):
            opts.add_argument(a)
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)

    def login(self, user, password=None):
        """The session cookie and the CSRF token of a fresh login."""
        pw = password or self.USERS[user][1]
        st, h, _ = self.http("POST", "/login", {"user": user, "password": pw})
        self.assertEqual(st, 303)
        self.assertEqual(h["Location"], "/")
        sc = h["Set-Cookie"]
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, sc)
        cookie = sc.split(";")[0]
        st, _, body = self.http("GET", "/", cookie=cookie)
        self.assertEqual(st, 200)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', body).group(1)
        return cookie, csrf
