#!/usr/bin/python3
"""`gprobe web`, the NOC console, over `gprobe run` on a small estate (a
component that is a TCP listener the test opens and closes, as estate.py
does): in a real browser (headless chromium through selenium) an operator
logs in, sees the service go DOWN on the board when the component breaks,
acknowledges its incident with the button, and `gprobe incident show ID
--json` has the ack by that user; without a browser (urllib): a viewer's
ack is refused 403, a POST without the CSRF token 403, five wrong
passwords then 429, /healthz 200 and /api/status 401 without a session,
/ redirects to /login. Screenshots of the board (normal and ?wall=1) go to
the test's temp dir, and to $GPROBE_SCREENSHOT_DIR when set."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, free_tcp_port, run, tcp_open, wait_until  # noqa: E402
from webestate import PASSWORDS, ConsoleEstate, NoRedirect  # noqa: E402

class WebTest(ConsoleEstate):
    """One estate, daemon and console for the class; the tests run in name
    order, the throttling last (it refuses the test's address after)."""

    def manual_incident(self):
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "open", "--service", "armo",
                            "--priority", "P3", "--channel", "phone", "--reported-at",
                            "2026-01-05T10:00", "--text", "the customer called"])
        self.assertEqual(rc, 0, err)
        return int(re.search(r"incident #(\d+)", out).group(1))

    def show(self, iid):
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "show", str(iid), "--json"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_1_without_session(self):
        st, h, body = self.http("GET", "/healthz")
        self.assertEqual((st, body.strip()), (200, "ok"))
        st, h, body = self.http("GET", "/api/status")
        self.assertEqual(st, 401)
        self.assertEqual(h["Content-Type"], "application/json")
        self.assertIn("error", json.loads(body))
        for path in ("/", "/incidents", "/incidents/1", "/?wall=1"):
            st, h, _ = self.http("GET", path)
            self.assertEqual((st, h["Location"]), (303, "/login"), path)
        st, _, _ = self.http("POST", "/api/incidents/1/ack")
        self.assertEqual(st, 401)
        st, _, body = self.http("GET", "/login")
        self.assertEqual(st, 200)
        self.assertIn('name="viewport"', body)

    def test_2_browser_board_and_ack(self):
        from selenium.webdriver.common.by import By
        drv = self.browser()
        shots = []
        try:
            drv.set_page_load_timeout(30)
            drv.get(self.base + "/")
            self.assertTrue(drv.current_url.endswith("/login"), drv.current_url)
            drv.find_element(By.ID, "user").send_keys("oper")
            drv.find_element(By.ID, "password").send_keys(PASSWORDS["oper"][1])
            drv.find_element(By.ID, "login").click()
            wait_until("the board", lambda: drv.find_elements(By.ID, "svc-armo"), 30)

            def row_state():
                return drv.find_element(By.CSS_SELECTOR, "#svc-armo .state").text

            self.assertEqual(row_state(), "UP")
            shot = os.path.join(self.tmp.name, "board-up.png")
            drv.save_screenshot(shot)
            shots.append(shot)

            self.comp.down()

            def down_on_board():
                drv.get(self.base + "/")
                return row_state() == "DOWN" and drv.find_elements(
                    By.CSS_SELECTOR, "#svc-armo button[id^=ack-]")

            wait_until("armo DOWN on the board with an ack button", down_on_board, 60)
            shot = os.path.join(self.tmp.name, "board-down.png")
            drv.save_screenshot(shot)
            shots.append(shot)
            button = drv.find_element(By.CSS_SELECTOR, "#svc-armo button[id^=ack-]")
            iid = int(button.get_attribute("id").split("-")[1])
            WebTest.probe_incident = iid
            button.click()
            wait_until("the incident page", lambda: drv.current_url.endswith("/incidents/%d" % iid),
                       30)
            self.assertIn("acknowledged", drv.find_element(By.ID, "incident").text)
            inc = self.show(iid)
            self.assertEqual(inc["status"], "acknowledged")
            self.assertEqual(inc["acknowledged_by"], "oper")
            acks = [e for e in inc["timeline"] if e["new_status"] == "acknowledged"]
            self.assertEqual([e["actor"] for e in acks], ["oper"])
            # The board says who took it.
            drv.get(self.base + "/")
            self.assertIn("oper", drv.find_element(By.ID, "svc-armo").text)
            # The wall: large type, no buttons, the board replaced in place.
            drv.get(self.base + "/?wall=1")
            self.assertIn("wall", drv.find_element(By.TAG_NAME, "body").get_attribute("class"))
            self.assertEqual(row_state(), "DOWN")
            self.assertFalse(drv.find_elements(By.CSS_SELECTOR, "#board button"))
            shot = os.path.join(self.tmp.name, "board-wall.png")
            drv.save_screenshot(shot)
            shots.append(shot)
        finally:
            drv.quit()
            self.comp.up()
        for s in shots:
            self.assertGreater(os.path.getsize(s), 1000)
        out = os.environ.get("GPROBE_SCREENSHOT_DIR")
        if out:
            os.makedirs(out, exist_ok=True)
            for s in shots:
                shutil.copy(s, out)

    def test_3_roles_and_csrf(self):
        # The probe's incident (if test_2 ran) restored first: one in work
        # per service.
        wait_until("armo UP", lambda: self.service_state() == "UP", 60)
        wait_until("no incident in work", lambda: all(
            i["status"] not in ("open", "acknowledged")
            for i in json.loads(run([GPROBE, "-c", self.cfg, "incidents", "--json"])[1])), 60)
        iid = self.manual_incident()
        vc, vcsrf = self.login("view")
        # A viewer sees the API...
        st, _, body = self.http("GET", "/api/incidents/%d" % iid, cookie=vc)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["id"], iid)
        st, _, body = self.http("GET", "/api/status", cookie=vc)
        self.assertEqual(st, 200)
        self.assertIn("services", json.loads(body))
        # ...and the page, without the forms; its ack is refused.
        st, _, body = self.http("GET", "/incidents/%d" % iid, cookie=vc)
        self.assertEqual(st, 200)
        self.assertNotIn("/ack", body)
        st, _, body = self.http("POST", "/api/incidents/%d/ack" % iid, {},
                                cookie=vc, headers={"X-CSRF-Token": vcsrf})
        self.assertEqual(st, 403, body)
        st, _, _ = self.http("POST", "/incidents/%d/ack" % iid, {"csrf": vcsrf}, cookie=vc)
        self.assertEqual(st, 403)
        oc, ocsrf = self.login("oper")
        # Without the token, or with another session's: 403.
        st, _, _ = self.http("POST", "/api/incidents/%d/ack" % iid, {}, cookie=oc)
        self.assertEqual(st, 403)
        st, _, _ = self.http("POST", "/incidents/%d/ack" % iid, {}, cookie=oc)
        self.assertEqual(st, 403)
        st, _, _ = self.http("POST", "/incidents/%d/ack" % iid, {"csrf": vcsrf}, cookie=oc)
        self.assertEqual(st, 403)
        self.assertEqual(self.show(iid)["status"], "open")
        # With it, the operator's note and ack go through the incident
        # manager: the same timeline rows as the CLI's, by that user.
        st, _, body = self.http("POST", "/api/incidents/%d/note" % iid, {"text": "on it"},
                                cookie=oc, headers={"X-CSRF-Token": ocsrf})
        self.assertEqual(st, 200, body)
        st, _, body = self.http("POST", "/api/incidents/%d/ack" % iid, {},
                                cookie=oc, headers={"X-CSRF-Token": ocsrf})
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["status"], "acknowledged")
        # A second ack is a refused transition.
        st, _, body = self.http("POST", "/api/incidents/%d/ack" % iid, {},
                                cookie=oc, headers={"X-CSRF-Token": ocsrf})
        self.assertEqual(st, 409, body)
        # Attribution takes a manager.
        st, _, _ = self.http("POST", "/api/incidents/%d/attribute" % iid,
                             {"attribution": "customer", "reason": "x"},
                             cookie=oc, headers={"X-CSRF-Token": ocsrf})
        self.assertEqual(st, 403)
        inc = self.show(iid)
        self.assertEqual(inc["acknowledged_by"], "oper")
        notes = [e for e in inc["timeline"] if e["text"] == "on it"]
        self.assertEqual([e["actor"] for e in notes], ["oper"])
        # The list as `incidents --json`.
        st, _, body = self.http("GET", "/api/incidents", cookie=oc)
        self.assertIn(iid, [i["id"] for i in json.loads(body)])
        # Logging out ends the session.
        st, _, _ = self.http("POST", "/logout", {"csrf": ocsrf}, cookie=oc)
        self.assertEqual(st, 303)
        st, _, _ = self.http("GET", "/api/status", cookie=oc)
        self.assertEqual(st, 401)

    def test_4_manager_attributes_and_languages(self):
        mc, mcsrf = self.login("boss")
        iid = getattr(WebTest, "probe_incident", None)
        if iid is not None:
            # The form of the incident's page, as the CLI's `incident
            # attribute`: its outage attributed by the manager.
            st, _, body = self.http("GET", "/incidents/%d" % iid, cookie=mc)
            self.assertIn('action="/incidents/%d/attribute"' % iid, body)
            st, h, body = self.http("POST", "/incidents/%d/attribute" % iid,
                                    {"csrf": mcsrf, "attribution": "customer",
                                     "reason": "their network"}, cookie=mc)
            self.assertEqual((st, h["Location"]), (303, "/incidents/%d" % iid), body)
            inc = self.show(iid)
            self.assertEqual(inc["attribution"], "customer")
            self.assertEqual(inc["outages"][-1]["attributed_by"], "boss")
        # The list of incidents; Russian or English as the browser asks.
        st, _, body = self.http("GET", "/incidents", cookie=mc,
                                headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
        self.assertEqual(st, 200)
        self.assertIn("Инциденты", body)
        self.assertIn('lang="ru"', body)
        st, _, body = self.http("GET", "/", cookie=mc, headers={"Accept-Language": "en-GB"})
        self.assertIn("Services", body)
        self.assertIn('name="viewport"', body)

    def test_5_report_download(self):
        """The month's report, HTML and PDF, as `gprobe report` writes it,
        for any role; nothing without a session."""
        cookie, _ = self.login("view")
        st, _, body = self.http("GET", "/", cookie=cookie)
        self.assertIn('href="/report?format=pdf"', body)

        def get(path, with_cookie=True):
            return self.get(path, cookie if with_cookie else None)
        st, h, data = get("/report?format=pdf")
        self.assertEqual(st, 200, data[:300])
        self.assertEqual(h["Content-Type"], "application/pdf")
        self.assertEqual(h["Content-Disposition"],
                         'attachment; filename="report-%s.pdf"' % self.month)
        self.assertTrue(data.startswith(b"%PDF-"), data[:20])
        st, h, data = get("/report?month=%s&format=html" % self.month)
        self.assertEqual(st, 200)
        self.assertTrue(h["Content-Type"].startswith("text/html"))
        html = data.decode()
        self.assertIn("armo", html)
        # The same document the CLI writes. The month is running: its open
        # periods, durations and penalty grow each second, so the two are
        # equal only when made within one second; try again until they are.
        path = os.path.join(self.tmp.name, "cli.html")
        clock = re.compile(r"\d\d:\d\d:\d\d")
        deadline = time.monotonic() + 60
        while True:
            rc, out, err = run([GPROBE, "-c", self.cfg, "report", "--month", self.month,
                                "--html", path])
            self.assertEqual(rc, 0, err)
            with open(path, encoding="utf-8") as f:
                cli = f.read()
            if clock.sub("", cli) == clock.sub("", html) or time.monotonic() > deadline:
                break
            st, h, data = get("/report?month=%s&format=html" % self.month)
            self.assertEqual(st, 200)
            html = data.decode()
        self.assertEqual(clock.sub("", cli), clock.sub("", html))
        # A month outside the term, a format it does not have, no session.
        st, _, data = get("/report?month=1999-01&format=pdf")
        self.assertEqual(st, 400)
        st, _, data = get("/report?format=docx")
        self.assertEqual(st, 400)
        st, h, _ = get("/report?format=pdf", with_cookie=False)
        self.assertEqual((st, h["Location"]), (303, "/login"))

    def test_9_throttling(self):
        for i in range(5):
            st, _, _ = self.http("POST", "/login", {"user": "oper", "password": "wrong%d" % i})
            self.assertEqual(st, 401, i)
        # Refused now, even with the right password.
        st, h, _ = self.http("POST", "/login", {"user": "oper",
                                                "password": PASSWORDS["oper"][1]})
        self.assertEqual(st, 429)
        self.assertGreater(int(h["Retry-After"]), 0)


class WebTlsTest(unittest.TestCase):
    """HTTPS with web.tls_cert and web.tls_key: a certificate the client
    verifies, the session cookie Secure; the key must be private."""

    def test_tls(self):
        import ssl
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "web.crt"), os.path.join(d, "web.key")
            p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
                                cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                                "subjectAltName=IP:127.0.0.1"], capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            os.chmod(key, 0o644)
            port = free_tcp_port()
            cfg = os.path.join(d, "gprobe.yaml")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(f"""probe: {{data_dir: {d}/data}}
targets:
  - {{name: t, host: 127.0.0.1, owner: supplier, checks: [{{name: p, tcp_connect: 1}}]}}
web: {{listen: "127.0.0.1:{port}", users_file: users, tls_cert: web.crt, tls_key: web.key}}
""")
            # A key others may read is a config error.
            rc, out, err = run([GPROBE, "-c", cfg, "config", "check"])
            self.assertEqual(rc, 1)
            self.assertIn("web.tls_key", err)
            os.chmod(key, 0o600)
            p = subprocess.run([GPROBE, "-c", cfg, "web", "passwd", "tls", "--role", "viewer"],
                               input="tls-secret-1\n", capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            log = open(os.path.join(d, "web.log"), "a")
            web = subprocess.Popen([GPROBE, "-c", cfg, "web"], stdout=log, stderr=log)
            try:
                wait_until("gprobe web listening", lambda: tcp_open(port), 30)
                ctx = ssl.create_default_context(cafile=cert)
                opener = urllib.request.build_opener(
                    NoRedirect, urllib.request.HTTPSHandler(context=ctx))
                base = "https://127.0.0.1:%d" % port
                with opener.open(base + "/login", timeout=30) as r:
                    self.assertEqual(r.status, 200)
                    self.assertIn("Strict-Transport-Security", r.headers)
                req = urllib.request.Request(base + "/login", method="POST", data=b"user=tls&"
                                             b"password=tls-secret-1")
                with self.assertRaises(urllib.error.HTTPError) as cm:
                    opener.open(req, timeout=30)
                self.assertEqual(cm.exception.code, 303)
                self.assertIn("; Secure", cm.exception.headers["Set-Cookie"])
            finally:
                web.send_signal(signal.SIGTERM)
                rc = web.wait(timeout=30)
                log.close()
            self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
