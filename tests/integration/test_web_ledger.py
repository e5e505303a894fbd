#!/usr/bin/python3
"""The console's ledger and graphs pages over `gprobe run` on a small
estate (a component that is a TCP listener the test opens and closes, as
test_web.py does), values kept in RRD files (probe.rrd on, direct librrd
writes).

The ledger: while the component is down, the service's cell for today on
/ledger has class "down" and its title's DOWN time agrees with `gprobe
downtime --raw --json` (its DOWN periods cut at Almaty's midnights)
within the running second or two; once it is up again, exactly; every
earlier day of the month (the probe not running yet) is unmonitored,
every later one blank; /api/ledger has the same days and the same
month's totals as `gprobe report --json`; a month outside the term, a
malformed one and one not begun are 400; without a session, 303 to
/login (401 for the API).

The graphs: /graphs lists the target's check with its image, not the
check that never gave a number; /graph.png is image/png with the PNG
signature (drawn by a child `gprobe graph ... -o -`, which is reaped:
the console has no child left after); an unknown check or target 404, a
check without values 404 saying so, an unknown period 400; `gprobe graph
T C -o -` writes the PNG alone to standard output.

A headless chromium (selenium) opens the ledger, desktop and phone
sized, and finds the cell's bar with its down part; screenshots go to the
test's temp dir, and to $GPROBE_SCREENSHOT_DIR when set."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, free_tcp_port, run, wait_until  # noqa: E402
from webestate import PASSWORDS, ConsoleEstate  # noqa: E402

ZONE = ZoneInfo("Asia/Almaty")
PNG = b"\x89PNG\r\n\x1a\n"
HMS = {"DOWN": re.compile(r"DOWN (\d+):(\d\d):(\d\d)")}


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def day_span(d):
    """A local day of Asia/Almaty as UTC epoch seconds [start, end)."""
    start = datetime.datetime(d.year, d.month, d.day, tzinfo=ZONE)
    return int(start.timestamp()), int((start + datetime.timedelta(days=1)).timestamp())


def title_seconds(title, label):
    m = HMS[label].search(title)
    if not m:
        return 0
    h, mi, s = (int(x) for x in m.groups())
    return h * 3600 + mi * 60 + s


class WebLedgerTest(ConsoleEstate):
    """One estate, daemon and console for the class; the tests run in name
    order (the outage of test_2 is what test_3 and test_6 look at)."""
    USERS = {"view": PASSWORDS["view"]}
    RRD = "rrd: true"
    ACCEPT_LANGUAGE = "en"
    # Never listened on: no value, no RRD file.
    MORE_TARGETS = "  - {name: dead-1, host: 127.0.0.1, owner: supplier,\n" \
                   "     checks: [{name: port, tcp_connect: DEAD}]}\n"

    @classmethod
    def prepare(cls):
        cls.dead_port = free_tcp_port()
        cls.MORE_TARGETS = cls.MORE_TARGETS.replace("DEAD", str(cls.dead_port))
        cls.last_month = cls.term_start

    @classmethod
    def ready(cls):
        rrd = os.path.join(cls.data, "rrd", "web-1", "port.rrd")
        wait_until("web-1/port's RRD file", lambda: os.path.exists(rrd), 60)

    # --- helpers -----------------------------------------------------------
    def cells(self, month, cookie):
        """The ledger page's day cells of armo: {date: (class, title)}."""
        st, _, body = self.get("/ledger?month=" + month, cookie)
        self.assertEqual(st, 200, body[:500])
        html = body.decode()
        found = re.findall(r'<td id="day-armo-(\d{4}-\d\d-\d\d)" class="day (\w+)" '
                           r'title="([^"]*)"', html)
        return {date: (cls, title) for date, cls, title in found}, html

    def api(self, month, cookie):
        st, h, body = self.get("/api/ledger?month=" + month, cookie)
        self.assertEqual(st, 200, body[:500])
        self.assertEqual(h["Content-Type"], "application/json")
        j = json.loads(body)
        return {s["service"]: s for s in j["services"]}["armo"], j

    def cli_json(self, *args):
        rc, out, err = run([GPROBE, "-c", self.cfg] + list(args) + ["--json"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def raw_down_by_day(self, month):
        """`gprobe downtime --raw --json`'s DOWN periods of armo, cut at the
        local midnights: {date: seconds}."""
        j = self.cli_json("downtime", "--raw", "--month", month, "--service", "armo")
        by_day = {}
        for p in j["services"][0]["periods"]:
            if p["state"] != "DOWN":
                continue
            a, b = epoch(p["from"]), epoch(p["to"])
            d = datetime.datetime.fromtimestamp(a, ZONE).date()
            while True:
                s, e = day_span(d)
                if e <= a:
                    d += datetime.timedelta(days=1)
                    continue
                if s >= b:
                    break
                n = min(b, e) - max(a, s)
                if n > 0:
                    by_day[d.isoformat()] = by_day.get(d.isoformat(), 0) + n
                d += datetime.timedelta(days=1)
        return by_day

    def web_children(self):
        """The console's child processes now (every thread's)."""
        kids = []
        task = "/proc/%d/task" % self.web.pid
        for tid in os.listdir(task):
            try:
                with open(os.path.join(task, tid, "children")) as f:
                    kids += f.read().split()
            except FileNotFoundError:
                pass
        return kids

    # --- the tests ----------------------------------------------------------
    def test_1_without_session(self):
        for path in ("/ledger", "/ledger?month=" + self.month, "/graphs",
                     "/graph.png?target=web-1&check=port&period=day"):
            st, h, _ = self.get(path, None)
            self.assertEqual((st, h["Location"]), (303, "/login"), path)
        st, h, body = self.get("/api/ledger?month=" + self.month, None)
        self.assertEqual(st, 401)
        self.assertIn("error", json.loads(body))

    def test_2_outage_on_the_ledger(self):
        cookie, _ = self.login("view")
        self.comp.down()
        try:
            wait_until("armo DOWN", lambda: self.service_state() == "DOWN", 60)

            # While it is down: the cell of the day it is down on is
            # "down", its DOWN time the CLI's within the running seconds
            # (the two read the store a moment apart; the open period runs
            # to the heartbeat, once a second).
            def down_cell():
                cells, _ = self.cells(self.month, cookie)
                today = datetime.datetime.now(ZONE).date().isoformat()
                if today[:7] != self.month:
                    self.skipTest("the month turned during the test")
                c = cells.get(today)
                return c if c and c[0] == "down" and title_seconds(c[1], "DOWN") >= 2 else None

            _, title = wait_until("today's cell down for 2 s", down_cell, 60)
            today = datetime.datetime.now(ZONE).date().isoformat()
            raw = self.raw_down_by_day(self.month)
            self.assertIn(today, raw)
            self.assertLessEqual(abs(title_seconds(title, "DOWN") - raw[today]), 3,
                                 (title, raw))
        finally:
            self.comp.up()
        wait_until("armo UP", lambda: self.service_state() == "UP", 60)
        # Over: the outage's seconds are fixed, and the same to the second.
        cells, html = self.cells(self.month, cookie)
        raw = self.raw_down_by_day(self.month)
        self.assertTrue(raw)
        for date, seconds in raw.items():
            self.assertEqual(cells[date][0], "down", (date, cells[date]))
            self.assertEqual(title_seconds(cells[date][1], "DOWN"), seconds, cells[date])
        # Before the probe ran: unmonitored; after today: blank.
        for date, (cls, title) in cells.items():
            if date < today and date not in raw:
                self.assertEqual(cls, "unmonitored", (date, title))
            if date > today:
                self.assertEqual(cls, "none", (date, title))
        # The bar of the day has its down part.
        self.assertRegex(html, r'id="day-armo-%s"[^>]*><div class="bar">.*?<i class="down" '
                               r'style="flex:\d+ 0 0"></i>' % today)
        self.assertIn('id="prev" href="/ledger?month=%s"' % self.last_month.strftime("%Y-%m"),
                      html)
        WebLedgerTest.cookie = cookie

    def test_3_api_agrees(self):
        cookie = getattr(WebLedgerTest, "cookie", None) or self.login("view")[0]
        raw = self.raw_down_by_day(self.month)
        svc, j = self.api(self.month, cookie)
        self.assertEqual(j["month"], self.month)
        self.assertTrue(j["partial"])
        self.assertEqual(svc["title"], "АРМО")
        days = {d["date"]: d for d in svc["days"]}
        cells, _ = self.cells(self.month, cookie)
        self.assertEqual(set(days), set(cells))
        for date, d in days.items():
            self.assertEqual(d["state"] or "none", cells[date][0], date)
            # Each second of the day counted once.
            self.assertEqual(sum(d["seconds"].values()), d["elapsed_seconds"], d)
            self.assertEqual(d["seconds"]["down"], raw.get(date, 0), d)
        # The month's totals are the report's (the down time is over; the
        # up time grows each second, so the two are compared when made
        # within the same second: tried again until they are).
        self.assertEqual(svc["down_seconds"], sum(raw.values()))

        def same_as_report():
            rep = {s["service"]: s for s in self.cli_json("report", "--month",
                                                          self.month)["services"]}["armo"]
            mine, _ = self.api(self.month, cookie)
            keys = ("down_seconds", "maintenance_seconds", "unmonitored_seconds",
                    "up_seconds", "availability_percent", "monitored_percent")
            return all(rep[k] == mine[k] for k in keys) and (rep, mine)

        rep, mine = wait_until("/api/ledger's totals = report --json's", same_as_report, 60)
        self.assertGreater(rep["down_seconds"], 0)

    def test_4_months_refused_and_last_month(self):
        cookie, _ = self.login("view")
        next_year = "%04d-01" % (datetime.date.today().year + 2)
        for month in ("1999-01", "2026-13", "2026-1", "x", next_year):
            st, _, body = self.get("/ledger?month=" + month, cookie)
            self.assertEqual(st, 400, (month, body[:300]))
            st, h, body = self.get("/api/ledger?month=" + month, cookie)
            self.assertEqual(st, 400, month)
            self.assertIn("error", json.loads(body))
        # Last month: in the term, the probe not running then.
        last = self.last_month.strftime("%Y-%m")
        cells, html = self.cells(last, cookie)
        self.assertEqual({c for c, _ in cells.values()}, {"unmonitored"})
        self.assertIn('id="next" href="/ledger?month=%s"' % self.month, html)
        svc, _ = self.api(last, cookie)
        self.assertIsNone(svc["availability_percent"])
        self.assertEqual(svc["availability_note"],
                         "not monitored at all this month: no availability to give")
        # The page in Russian.
        st, _, body = self.http("GET", "/ledger", cookie=cookie,
                                headers={"Accept-Language": "ru"})
        self.assertEqual(st, 200)
        self.assertIn("Учёт простоев", body)

    def test_5_graphs(self):
        cookie, _ = self.login("view")
        st, _, body = self.get("/graphs", cookie)
        self.assertEqual(st, 200)
        html = body.decode()
        self.assertIn('id="graph-web-1-port"', html)
        self.assertIn('src="/graph.png?target=web-1&amp;check=port&amp;period=day"', html)
        self.assertNotIn('id="graph-dead-1-port"', html)  # it never had a value
        for period in ("day", "hour", "week"):
            st, h, png = self.get("/graph.png?target=web-1&check=port&period=" + period, cookie)
            self.assertEqual(st, 200, png[:300])
            self.assertEqual(h["Content-Type"], "image/png")
            self.assertTrue(png.startswith(PNG), png[:20])
            self.assertEqual((png.count(PNG), png.count(b"IEND")), (1, 1))
            self.assertGreater(len(png), 2000)
        # Every drawing's child reaped.
        wait_until("no child of the console left", lambda: not self.web_children(), 10)
        # Six at once from six connections: each a PNG or told to come back
        # (at most two drawings at a time), the console answering its
        # health check meanwhile; every child reaped after.
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(7) as pool:
            draws = [pool.submit(self.get, "/graph.png?target=web-1&check=port&period=week",
                                 cookie) for _ in range(6)]
            health = pool.submit(self.get, "/healthz", None)
            answers = [f.result() for f in draws]
            self.assertEqual(health.result()[0], 200)
        for st, h, png in answers:
            if st == 503:
                self.assertGreater(int(h["Retry-After"]), 0)
            else:
                self.assertEqual(st, 200, png[:300])
                self.assertTrue(png.startswith(PNG))
        self.assertIn(200, [a[0] for a in answers])
        wait_until("no child of the console left", lambda: not self.web_children(), 10)
        st, _, body = self.get("/graph.png?target=web-1&check=nope", cookie)
        self.assertEqual(st, 404)
        st, _, body = self.get("/graph.png?target=nope&check=port", cookie)
        self.assertEqual(st, 404)
        st, _, body = self.get("/graph.png?target=dead-1&check=port", cookie)
        self.assertEqual(st, 404)
        self.assertIn(b"no RRD file", body)
        st, _, body = self.get("/graph.png?target=web-1&check=port&period=decade", cookie)
        self.assertEqual(st, 400)
        st, _, body = self.get("/graphs?period=decade", cookie)
        self.assertEqual(st, 400)
        # The CLI the console runs: the PNG alone on standard output.
        p = subprocess.run([GPROBE, "-c", self.cfg, "graph", "web-1", "port", "--from", "-1h",
                            "-o", "-"], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith(PNG))
        self.assertTrue(p.stdout.endswith(b"IEND\xaeB`\x82"))
        # One PNG, not two: one signature, one end.
        self.assertEqual((p.stdout.count(PNG), p.stdout.count(b"IEND")), (1, 1))
        rc, _, err = run([GPROBE, "-c", self.cfg, "graph", "web-1", "port", "-o", "-",
                          "--json"])
        self.assertEqual(rc, 1)

    def test_6_browser(self):
        from selenium.webdriver.common.by import By
        drv = self.browser()
        shots = []
        try:
            drv.set_page_load_timeout(30)
            drv.get(self.base + "/login")
            drv.find_element(By.ID, "user").send_keys("view")
            drv.find_element(By.ID, "password").send_keys(PASSWORDS["view"][1])
            drv.find_element(By.ID, "login").click()
            wait_until("the board", lambda: drv.find_elements(By.ID, "svc-armo"), 30)
            drv.find_element(By.ID, "ledger").click()
            wait_until("the ledger", lambda: drv.find_elements(By.ID, "ledger-table"), 30)
            today = datetime.datetime.now(ZONE).date().isoformat()
            cell = drv.find_element(By.ID, "day-armo-" + today)
            if "down" in cell.get_attribute("class"):
                # The outage's part of the bar is drawn: a visible height.
                part = cell.find_element(By.CSS_SELECTOR, ".bar i.down")
                self.assertGreaterEqual(part.size["height"], 2)
            shot = os.path.join(self.tmp.name, "ledger.png")
            drv.save_screenshot(shot)
            shots.append(shot)
            drv.set_window_size(412, 915)  # a phone
            drv.get(self.base + "/ledger")
            wait_until("the ledger", lambda: drv.find_elements(By.ID, "ledger-table"), 30)
            shot = os.path.join(self.tmp.name, "ledger-phone.png")
            drv.save_screenshot(shot)
            shots.append(shot)
            drv.set_window_size(1280, 800)
            drv.get(self.base + "/graphs")
            img = wait_until("the graph loaded", lambda: drv.execute_script(
                "var i=document.querySelector('#graph-web-1-port img');"
                "return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0"), 60)
            self.assertGreater(img, 300)
            shot = os.path.join(self.tmp.name, "graphs.png")
            drv.save_screenshot(shot)
            shots.append(shot)
        finally:
            drv.quit()
        for s in shots:
            self.assertGreater(os.path.getsize(s), 1000)
        out = os.environ.get("GPROBE_SCREENSHOT_DIR")
        if out:
            os.makedirs(out, exist_ok=True)
            for s in shots:
                shutil.copy(s, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
