#!/usr/bin/python3
"""`gprobe run` on the lab with short intervals: a broken component turns a
service DOWN with its outage dated to the first failed result, the RRD files
hold values, the repair restores it, and the ledger's accounting holds
across a kill -9 and a restart of the daemon."""
import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import CONFIG, GPROBE, lab, lca_config, run, wait_until  # noqa: E402


class Daemon:
    """One `gprobe run`, logging to a file, stopped by PID."""

    def __init__(self, cfg, logpath, env=None):
        self.log = open(logpath, "a")
        self.p = subprocess.Popen([GPROBE, "-c", cfg, "run"], stdout=self.log, stderr=self.log,
                                  env=dict(os.environ, **(env or {})))

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        rc = self.p.wait(timeout=30)
        self.log.close()
        return rc


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        with open(CONFIG, encoding="utf-8") as f:
            text = f.read()
        # Fast polls: every check each second, hard after 3 failures a
        # second apart.
        text = re.sub(r"data_dir: .*", "data_dir: " + self.data, text, count=1)
        text = re.sub(r"\n  interval: 5s", "\n  interval: 1s", text, count=1)
        text = re.sub(r"\n  retry_interval: 2s", "\n  retry_interval: 1s", text, count=1)
        text = re.sub(r"\n  timeout: 2s", "\n  timeout: 1s", text, count=1)
        # The contract's term runs from the first of last month (Almaty), so
        # that this month is inside it whenever the test runs.
        today = datetime.datetime.now(ZoneInfo("Asia/Almaty")).date()
        self.month = today.strftime("%Y-%m")
        last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        text = re.sub(r"\n  start: 2026-01-01", "\n  start: " + last.isoformat(), text, count=1)
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(text)
        self.logpath = os.path.join(self.tmp.name, "run.log")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            if d.p.poll() is None:
                d.stop(signal.SIGKILL)
        self.tmp.cleanup()

    def start(self):
        d = Daemon(self.cfg, self.logpath)
        self.daemons.append(d)
        return d

    def status(self):
        rc, out, err = run([GPROBE, "-c", self.cfg, "status", "--json"])
        if rc != 0:
            return None
        return json.loads(out)

    def service(self, name):
        st = self.status()
        if not st:
            return None
        return {s["name"]: s for s in st["services"]}.get(name)

    def wait_service(self, name, state, deadline=40):
        return wait_until("%s %s" % (name, state),
                          lambda: (self.service(name) or {}).get("state") == state, deadline)

    def gprobe(self, *args):
        return run([GPROBE, "-c", self.cfg] + list(args))

    def incidents(self, all=False):
        rc, out, err = self.gprobe("incidents", "--json", *(["--all"] if all else []))
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def db(self):
        con = sqlite3.connect("file:%s/gprobe.db?mode=ro" % self.data, uri=True)
        con.row_factory = sqlite3.Row
        return con

    def ledger_holds(self):
        """Every service: periods contiguous from the first start to the
        heartbeat; returns {service: {state: seconds}}."""
        with self.db() as con:
            hb = con.execute("SELECT at FROM heartbeat").fetchone()["at"]
            first = con.execute("SELECT MIN(start) AS s FROM service_period").fetchone()["s"]
            totals = {}
            for (svc,) in con.execute("SELECT DISTINCT service FROM service_period"):
                prev, seconds = None, {}
                for r in con.execute("SELECT state, start, end FROM service_period "
                                     "WHERE service = ? ORDER BY start, id", (svc,)):
                    end = r["end"] if r["end"] is not None else hb
                    if prev is None:
                        self.assertEqual(r["start"], first, svc)
                    else:
                        self.assertEqual(r["start"], prev, "%s: gap or overlap" % svc)
                    seconds[r["state"]] = seconds.get(r["state"], 0) + end - r["start"]
                    prev = end
                self.assertEqual(sum(seconds.values()), hb - first, svc)
                totals[svc] = seconds
        return totals

    def test_outage_dated_restored_and_kept_across_kill(self):
        d = self.start()
        self.wait_service("stat-monitor", "UP")

        # One of the HA pair: degraded, no outage.
        lab("component-stop", "stat-2")
        try:
            self.wait_service("stat-monitor", "DEGRADED")
            broken = time.time()
            lab("component-stop", "stat-1")
            self.wait_service("stat-monitor", "DOWN")
            with self.db() as con:
                outages = con.execute("SELECT * FROM outage WHERE service = 'stat-monitor'") \
                    .fetchall()
                self.assertEqual(len(outages), 1)
                start = outages[0]["start"]
                self.assertIsNone(outages[0]["end"])
                # Dated to stat-1's first failed poll: the one whose port
                # check failed first after it broke...
                first_fail = con.execute(
                    "SELECT at, recorded_at FROM event WHERE kind = 'check' "
                    "AND subject = 'stat-1/port' AND new_state = 'CRITICAL' "
                    "ORDER BY id DESC LIMIT 1").fetchone()
                self.assertEqual(start, first_fail["at"])
                self.assertGreaterEqual(start, int(broken) - 1)
                # ...not to the moment it turned hard, two retries later.
                down = con.execute(
                    "SELECT recorded_at FROM event WHERE kind = 'service' "
                    "AND subject = 'stat-monitor' AND new_state = 'DOWN'").fetchone()
                self.assertGreaterEqual(down["recorded_at"] - start, 2)
                self.assertEqual(outages[0]["members"], "stat-1,stat-2")

            # The incident: opened by the probe, P1, the supplier's.
            incidents = self.incidents()
            self.assertEqual(len(incidents), 1, incidents)
            inc = incidents[0]
            self.assertEqual((inc["service"], inc["status"], inc["priority"], inc["channel"],
                              inc["attribution"]),
                             ("stat-monitor", "open", "P1", "probe", "supplier"))
            self.incident_id = inc["id"]
            rc, out, err = self.gprobe("incident", "ack", str(inc["id"]), "--by", "duty")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "incident #%d: acknowledged\n" % inc["id"])
            rc, out, err = self.gprobe("incident", "resolve", str(inc["id"]), "restarted")
            self.assertEqual(rc, 1)
            self.assertIn("the service is still down", err)

            # The RRD files hold values.
            rrd = os.path.join(self.data, "rrd", "stat-1", "port.rrd")
            self.assertTrue(os.path.exists(rrd))
            rc, out, err = run(["rrdtool", "lastupdate", rrd])
            self.assertEqual(rc, 0, err)
            self.assertIn("value", out)
            rc, out, err = run(["rrdtool", "lastupdate",
                                os.path.join(self.data, "rrd", "host-1", "load-1min.rrd")])
            self.assertRegex(out, r"\n\d+: [0-9.e+-]+\n")

            # kill -9 in the middle of the outage, a gap, a restart.
            d.stop(signal.SIGKILL)
            killed = time.time()
            with self.db() as con:
                hb_before = con.execute("SELECT at FROM heartbeat").fetchone()["at"]
            wait_until("a gap of 2 s", lambda: time.time() - killed >= 2)
            d = self.start()
            wait_until("restarted", lambda: self.db().execute(
                "SELECT at FROM heartbeat").fetchone()["at"] > hb_before + 1)
            self.wait_service("stat-monitor", "DOWN")
            with self.db() as con:
                outages = con.execute("SELECT * FROM outage WHERE service = 'stat-monitor'") \
                    .fetchall()
            self.assertEqual(len(outages), 1, "the outage goes on, not a new one")
            self.assertEqual(outages[0]["start"], start)
            totals = self.ledger_holds()
            self.assertGreaterEqual(totals["stat-monitor"].get("UNMONITORED", 0), 2)
        finally:
            lab("component-start", "stat-1")
            lab("component-start", "stat-2")

        # The repair restores it at the first good result.
        self.wait_service("stat-monitor", "UP")
        with self.db() as con:
            o = con.execute("SELECT * FROM outage WHERE service = 'stat-monitor'").fetchone()
            self.assertIsNotNone(o["end"])
            restored = con.execute(
                "SELECT at FROM event WHERE kind = 'outage_restored' "
                "AND subject = 'stat-monitor'").fetchone()
            self.assertEqual(o["end"], restored["at"])
        totals = self.ledger_holds()
        self.assertGreater(totals["stat-monitor"].get("DOWN", 0), 0)

        # The incident is restored; resolved by the engineer; with nobody
        # confirming it, closed after five working days (the clock is moved
        # by dating the resolution back two weeks).
        iid = self.incident_id
        wait_until("restored", lambda: self.incidents()[0]["status"] == "restored")
        self.assertEqual(len(self.incidents(all=True)), 1, "one incident across the kill -9")
        rc, out, err = self.gprobe("incident", "confirm", str(iid))
        self.assertEqual(rc, 1)
        self.assertEqual(err, "gprobe incident confirm: incident #%d is restored: 'confirm' is "
                              "allowed only when it is resolved\n" % iid)
        rc, out, err = self.gprobe("incident", "resolve", str(iid), "Stat Servers restarted")
        self.assertEqual(rc, 0, err)
        with sqlite3.connect("%s/gprobe.db" % self.data, timeout=30) as con:
            con.execute("UPDATE incident SET resolved_at = resolved_at - 14 * 86400 "
                        "WHERE id = ?", (iid,))
        wait_until("auto-closed",
                   lambda: self.incidents(all=True)[0]["status"] == "closed")
        rc, out, err = self.gprobe("incident", "show", str(iid))
        self.assertEqual(rc, 0, err)
        for kind in ("opened", "ack", "restored", "resolve", "auto-closed"):
            self.assertRegex(out, r"\n  \S+  %s " % kind)

        # The month's report: the outage's seconds as the ledger holds them
        # (the kill -9's gap is unmonitored, not down), the supplier's, and
        # the penalty to the tiyn: down x 125 000 000 / (720 x 3600),
        # rounded half up.
        with self.db() as con:
            down = con.execute("SELECT SUM(end - start) FROM service_period WHERE "
                               "service = 'stat-monitor' AND state = 'DOWN'").fetchone()[0]
            gap = con.execute("SELECT COUNT(*) FROM service_period WHERE "
                              "service = 'stat-monitor' AND state = 'UNMONITORED'").fetchone()[0]
        self.assertGreater(down, 0)
        self.assertGreater(gap, 0)
        rc, out, err = self.gprobe("report", "--month", self.month, "--json")
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        self.assertEqual(rep["month"], self.month)
        sm = {x["service"]: x for x in rep["services"]}["stat-monitor"]
        self.assertEqual(sm["down_seconds"], down)
        self.assertEqual(sm["down_supplier_seconds"], down)
        self.assertEqual(sm["down_customer_seconds"], 0)
        self.assertGreater(sm["unmonitored_seconds"], 0)
        self.assertEqual(sm["penalty_tiyn"], (down * 125000000 + 1296000) // 2592000)
        self.assertGreaterEqual(rep["penalty_tiyn"], sm["penalty_tiyn"])
        self.assertEqual(rep["penalty_cap_tiyn"], 75000000)
        self.assertEqual(rep["penalty_cumulative_tiyn"], rep["penalty_tiyn"])
        self.assertTrue(rep["partial"])
        # The same in the table, the CSV and the ledger's intervals.
        rc, out, err = self.gprobe("report", "--month", self.month)
        self.assertEqual(rc, 0, err)
        self.assertIn("Отчёт SLA за %s" % self.month, out)
        self.assertRegex(out, r"stat-monitor\s+%d:%02d:%02d " % (down // 3600, down // 60 % 60,
                                                                 down % 60))
        rc, out, err = self.gprobe("report", "--month", self.month, "--csv")
        self.assertEqual(rc, 0, err)
        row = [r for r in out.splitlines() if r.startswith("stat-monitor,")][0].split(",")
        self.assertEqual((int(row[3]), int(row[4]), int(row[13])),
                         (down, down, sm["penalty_tiyn"]))
        rc, out, err = self.gprobe("downtime", "--month", self.month, "--service",
                                   "stat-monitor", "--json")
        self.assertEqual(rc, 0, err)
        iv = json.loads(out)["services"][0]["intervals"]
        self.assertEqual(sum(i["seconds"] for i in iv if i["class"] == "down"), down)
        self.assertEqual({i["incident"] for i in iv if i["class"] == "down"}, {iid})
        # A printable report with the incident, its timeline and a graph.
        html = os.path.join(self.tmp.name, "sla.html")
        rc, out, err = self.gprobe("report", "--month", self.month, "--html", html)
        self.assertEqual(rc, 0, err)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("<h3>#%d stat-monitor" % iid, page)
        self.assertIn("auto-closed", page)
        self.assertIn("data:image/png;base64,iVBORw0KGgo", page)
        # The ledger refuses a manual entry over monitored time, and a
        # month outside the term.
        rc, out, err = self.gprobe("downtime", "add", "--service", "stat-monitor", "--from",
                                   str(rep["from"]), "--to", str(rep["to"]),
                                   "--attribution", "supplier", "--reason", "test")
        self.assertEqual(rc, 1)
        self.assertIn("the probe monitored the service then", err)
        rc, out, err = self.gprobe("report", "--month", "2020-01")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^gprobe report: 2020-01 is outside the contract term \(")
        rc, out, err = self.gprobe("maintenance", "add", "--service", "stat-monitor", "--from",
                                   "2030-01-01T01:00", "--to", "2030-01-01T03:00", "--reason",
                                   "upgrade")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^maintenance window #1: stat-monitor 2030-01-01T01:00:00\+05:00")

        # The picture of it: values, thresholds, the outage shaded.
        png = os.path.join(self.tmp.name, "port.png")
        rc, out, err = run([GPROBE, "-c", self.cfg, "graph", "stat-1", "port", "--from", "-10min",
                            "-o", png])
        self.assertEqual(rc, 0, err)
        self.assertIn("1 outage shaded", out)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        rc, out, err = run([GPROBE, "-c", self.cfg, "graph", "stat-1", "nope", "-o", png])
        self.assertEqual(rc, 1)
        self.assertIn("no check 'nope' of target 'stat-1'", err)
        self.assertEqual(d.stop(), 0)
        # After a clean stop too.
        self.ledger_holds()
        with open(self.logpath) as f:
            log = f.read()
        self.assertIn("outage of stat-monitor opened", log)
        self.assertIn("outage of stat-monitor restored", log)
        self.assertIn("unmonitored time for every service", log)


class SmallDaemonTest(unittest.TestCase):
    """One target, through rrdcached, under a systemd-like notify socket."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.sock = os.path.join(self.tmp.name, "rrdcached.sock")
        self.cfg = lca_config(self.tmp.name, "data_dir: %s, interval: 1s, timeout: 1s, "
                              "rrdcached: 'unix:%s'" % (self.data, self.sock))
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.tmp.cleanup()

    def test_rrdcached_and_readiness(self):
        # rrdcached holding every update (no writes for an hour).
        rrdcached = subprocess.Popen(["rrdcached", "-g", "-l", "unix:" + self.sock, "-w", "3600",
                                      "-f", "7200", "-z", "1",
                                      "-p", os.path.join(self.tmp.name, "rrdc.pid")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(rrdcached)
        wait_until("rrdcached listening", lambda: os.path.exists(self.sock))
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_path = os.path.join(self.tmp.name, "notify.sock")
        notify.bind(notify_path)
        notify.settimeout(30)
        d = Daemon(self.cfg, os.path.join(self.tmp.name, "run.log"),
                   env={"NOTIFY_SOCKET": notify_path})
        self.procs.append(d.p)
        self.assertIn(b"READY=1", notify.recv(4096))
        rrd = os.path.join(self.data, "rrd", "lca-1", "port.rrd")
        wait_until("the file", lambda: os.path.exists(rrd))

        def last_value(*daemon):
            rc, out, err = run(["rrdtool", "lastupdate"] + list(daemon) + [rrd])
            self.assertEqual(rc, 0, err)
            return re.search(r"\n(\d+): (\S+)", out)

        def updates_received():
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(self.sock)
            c.sendall(b"STATS\n")
            text = b""
            while b"TreeDepth" not in text:
                chunk = c.recv(4096)
                if not chunk:
                    break
                text += chunk
            c.close()
            return int(re.search(rb"UpdatesReceived: (\d+)", text).group(1))

        # Updates reach rrdcached, not the file: the file still has only
        # its creation; asking through the daemon flushes them.
        wait_until("updates at rrdcached", lambda: updates_received() >= 2)
        self.assertEqual(last_value().group(2), "U")
        cached = last_value("--daemon", "unix:" + self.sock)
        self.assertRegex(cached.group(2), r"^[0-9.e+-]+$")

        d.p.send_signal(signal.SIGHUP)
        self.assertIn(b"RELOADING=1", notify.recv(4096))
        self.assertIn(b"READY=1", notify.recv(4096))
        self.assertEqual(d.stop(), 0)
        self.assertIn(b"STOPPING=1", notify.recv(4096))
        notify.close()
        with open(os.path.join(self.tmp.name, "run.log")) as f:
            self.assertRegex(f.read(), r"stats: \d+ s, \d+ checks started \(0 more than 1 s late")


if __name__ == "__main__":
    unittest.main(verbosity=2)
