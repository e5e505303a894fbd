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
import subprocess
import sys
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (CONFIG, GPROBE, PG_DIR, Daemon, lab, lca_config, run,  # noqa: E402
                     wait_until, with_store)


def epoch(iso):
    """An ISO 8601 time with offset (the CLI's JSON) as UTC epoch seconds."""
    return int(datetime.datetime.fromisoformat(iso).timestamp())


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
            f.write(with_store(text))
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

    def json(self, *args):
        rc, out, err = self.gprobe(*args, "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def heartbeat(self):
        return epoch(self.json("status")["heartbeat"])

    def raw_ledger(self, service=None):
        """The month's ledger as the probe recorded it: `gprobe downtime
        --raw --json` (periods, outages, the heartbeat)."""
        return self.json("downtime", "--raw", *(["--service", service] if service else []))

    def outages(self, service):
        return self.raw_ledger(service)["services"][0]["outages"]

    def events(self, subject):
        return self.json("events", "--subject", subject, "--last", "0")

    def ledger_holds(self):
        """Every service: periods contiguous from the first start to the
        heartbeat; returns {service: {state: seconds}}."""
        raw = self.raw_ledger()
        hb = epoch(raw["heartbeat"])
        starts = [epoch(p["from"]) for s in raw["services"] for p in s["periods"]]
        first = min(starts)
        totals = {}
        for svc in raw["services"]:
            if not svc["periods"]:
                continue
            prev, seconds = None, {}
            for p in svc["periods"]:
                start, end = epoch(p["from"]), epoch(p["to"])
                self.assertEqual(end - start, p["seconds"])
                if prev is None:
                    self.assertEqual(start, first, svc["service"])
                else:
                    self.assertEqual(start, prev, "%s: gap or overlap" % svc["service"])
                seconds[p["state"]] = seconds.get(p["state"], 0) + end - start
                prev = end
            self.assertTrue(svc["periods"][-1]["open"])
            self.assertEqual(prev, hb, svc["service"])
            self.assertEqual(sum(seconds.values()), hb - first, svc["service"])
            totals[svc["service"]] = seconds
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
            outages = self.outages("stat-monitor")
            self.assertEqual(len(outages), 1)
            start = epoch(outages[0]["from"])
            self.assertIsNone(outages[0]["to"])
            # Dated to stat-1's first failed poll: the one whose port
            # check failed first after it broke...
            first_fail = [e for e in self.events("stat-1/port")
                          if e["kind"] == "check" and e["new_state"] == "CRITICAL"][-1]
            self.assertEqual(start, epoch(first_fail["at"]))
            self.assertGreaterEqual(start, int(broken) - 1)
            # ...not to the moment it turned hard, two retries later.
            down = [e for e in self.events("stat-monitor")
                    if e["kind"] == "service" and e["new_state"] == "DOWN"][0]
            self.assertGreaterEqual(epoch(down["recorded_at"]) - start, 2)
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
            hb_before = self.heartbeat()
            wait_until("a gap of 2 s", lambda: time.time() - killed >= 2)
            d = self.start()
            wait_until("restarted", lambda: self.heartbeat() > hb_before + 1)
            self.wait_service("stat-monitor", "DOWN")
            outages = self.outages("stat-monitor")
            self.assertEqual(len(outages), 1, "the outage goes on, not a new one")
            self.assertEqual(epoch(outages[0]["from"]), start)
            totals = self.ledger_holds()
            self.assertGreaterEqual(totals["stat-monitor"].get("UNMONITORED", 0), 2)
        finally:
            lab("component-start", "stat-1")
            lab("component-start", "stat-2")

        # The repair restores it at the first good result.
        self.wait_service("stat-monitor", "UP")
        o = self.outages("stat-monitor")[0]
        self.assertIsNotNone(o["to"])
        restored = [e for e in self.events("stat-monitor") if e["kind"] == "outage_restored"][0]
        self.assertEqual(o["to"], restored["at"])
        totals = self.ledger_holds()
        self.assertGreater(totals["stat-monitor"].get("DOWN", 0), 0)

        # The incident is restored, resolved by the engineer and confirmed.
        iid = self.incident_id
        wait_until("restored", lambda: self.incidents()[0]["status"] == "restored")
        self.assertEqual(len(self.incidents(all=True)), 1, "one incident across the kill -9")
        rc, out, err = self.gprobe("incident", "confirm", str(iid))
        self.assertEqual(rc, 1)
        self.assertEqual(err, "gprobe incident confirm: incident #%d is restored: 'confirm' is "
                              "allowed only when it is resolved\n" % iid)
        rc, out, err = self.gprobe("incident", "resolve", str(iid), "Stat Servers restarted",
                                   "--at", "2020-01-01T10:00")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"cannot be resolved before \S+ \(its restore\)\n$")
        rc, out, err = self.gprobe("incident", "resolve", str(iid), "Stat Servers restarted")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.gprobe("incident", "confirm", str(iid))
        self.assertEqual((rc, out), (0, "incident #%d: closed\n" % iid), err)
        rc, out, err = self.gprobe("incident", "show", str(iid))
        self.assertEqual(rc, 0, err)
        for kind in ("opened", "ack", "restored", "resolve", "confirm"):
            self.assertRegex(out, r"\n  \S+  %s " % kind)

        # A request by phone, taken and resolved three weeks ago and entered
        # now (--at): with nobody confirming it, the daemon closes it, five
        # working days having passed.
        def ago(days):
            return (datetime.datetime.now(ZoneInfo("Asia/Almaty")) -
                    datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
        rc, out, err = self.gprobe("incident", "open", "--service", "qa", "--priority", "P3",
                                   "--channel", "phone", "--reported-at", ago(21),
                                   "--text", "evaluations do not load")
        self.assertEqual(rc, 0, err)
        pid = int(re.match(r"incident #(\d+) opened", out).group(1))
        rc, out, err = self.gprobe("incident", "ack", str(pid), "--by", "duty", "--at", ago(20))
        self.assertEqual(rc, 0, err)
        resolved_at = ago(19)  # once: the minute may turn while the test runs
        rc, out, err = self.gprobe("incident", "resolve", str(pid), "cache cleared",
                                   "--at", resolved_at)
        self.assertEqual(rc, 0, err)
        wait_until("auto-closed", lambda: self.json("incident", "show", str(pid))["status"]
                   == "closed")
        tl = self.json("incident", "show", str(pid))["timeline"]
        # (an escalation may come between the opening and the ack: the
        # response target passed three weeks ago)
        self.assertEqual([e["kind"] for e in tl if e["kind"] != "escalation"],
                         ["opened", "ack", "resolve", "auto-closed"])
        resolve = [e for e in tl if e["kind"] == "resolve"][0]
        self.assertIn("(done at %s:00+" % resolved_at, resolve["text"])

        # The month's report: the outage's seconds as the ledger holds them
        # (the kill -9's gap is unmonitored, not down), the supplier's, and
        # the penalty to the tiyn: down x 125 000 000 / (720 x 3600),
        # rounded half up.
        periods = self.raw_ledger("stat-monitor")["services"][0]["periods"]
        down = sum(p["seconds"] for p in periods if p["state"] == "DOWN")
        gap = len([p for p in periods if p["state"] == "UNMONITORED"])
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
        # A printable report with the outage, the request and the graph
        # of the check that failed in it.
        html = os.path.join(self.tmp.name, "sla.html")
        rc, out, err = self.gprobe("report", "--month", self.month, "--html", html)
        self.assertEqual(rc, 0, err)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertRegex(page, r"<td>#%d</td><td>stat-monitor</td><td>P\d, зонд</td>" % iid)
        self.assertIn("обнаружен зондом", page)
        self.assertIn("data:image/png;base64,iVBORw0KGgo", page)
        self.assertRegex(page, r"<figcaption>Простой с [^<]*, stat-monitor, инцидент #%d: "
                         r"stat-\d / [a-z-]+</figcaption>" % iid)
        # The same as a PDF: the probe's outage with its incident, the graph.
        pdf = os.path.join(self.tmp.name, "sla.pdf")
        rc, out, err = self.gprobe("report", "--month", self.month, "--pdf", pdf)
        self.assertEqual(rc, 0, err)
        rc, text, err = run(["pdftotext", "-layout", pdf, "-"])
        self.assertEqual(rc, 0, err)
        flat = " ".join(text.split())
        self.assertRegex(flat, r" stat-monitor [a-z0-9,. -]+? поставщик #%d [0-9:. ]+ зонд, по "
                         r"владельцам компонентов " % iid)
        self.assertRegex(flat, r"Простой с [0-9 :-]+, stat-monitor, инцидент #%d: stat-\d / "
                         % iid)
        self.assertNotIn("графика нет", text.lower())
        self.assertIn("обнаружен зондом", text)
        rc, out, err = run(["pdfimages", "-list", pdf])
        self.assertGreater(len(out.splitlines()), 2, out)
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
        # An outage the customer reported over monitored time reaches the
        # penalty; revoked, it stays listed and the figures are as before.
        rc, out, err = self.gprobe("downtime", "add", "--service", "stat-monitor", "--from",
                                   str(rep["from"]), "--to", str(rep["to"]),
                                   "--attribution", "supplier", "--reason", "by phone",
                                   "--over-monitored")
        self.assertEqual(rc, 0, err)
        self.assertIn("reported over monitored time", out)
        after = self.json("report", "--month", self.month)
        sm2 = {x["service"]: x for x in after["services"]}["stat-monitor"]
        self.assertGreater(sm2["down_supplier_seconds"], sm["down_supplier_seconds"])
        self.assertGreater(sm2["down_reported_seconds"], 0)
        self.assertGreater(sm2["penalty_tiyn"], sm["penalty_tiyn"])
        entries = self.json("downtime", "list-entries")
        self.assertEqual([(e["id"], e["over_monitored"], e["revoked"]) for e in entries],
                         [(1, True, False)])
        rc, out, err = self.gprobe("downtime", "revoke", "1", "--reason", "wrong service")
        self.assertEqual(rc, 0, err)
        entries = self.json("downtime", "list-entries")
        self.assertEqual((entries[0]["revoked"], entries[0]["revoke_reason"]),
                         (True, "wrong service"))
        again = self.json("report", "--month", self.month)
        sm3 = {x["service"]: x for x in again["services"]}["stat-monitor"]
        self.assertEqual((sm3["down_reported_seconds"], sm3["penalty_tiyn"]),
                         (0, sm["penalty_tiyn"]))
        self.assertRegex(sm3["availability_percent"], r"^\d+\.\d\d$")
        self.assertEqual(again["term_months"][-1]["month"], self.month)
        rc, out, err = self.gprobe("maintenance", "cancel", "1", "--reason", "postponed")
        self.assertEqual(rc, 0, err)
        self.assertTrue(self.json("maintenance", "list")[0]["revoked"])
        # Without --month: the current month, marked partial.
        cur = self.json("report")
        self.assertEqual((cur["month"], cur["partial"]), (self.month, True))

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

    @unittest.skipIf(PG_DIR, "its writer is sqlite's; PostgreSQL's reader is one REPEATABLE READ "
                     "snapshot by the same begin")
    def test_a_reading_command_sees_one_snapshot(self):
        """downtime --raw reads the periods and the heartbeat one after the
        other while the daemon commits every second: they must come from
        one state of the store (a CI run once printed a period ending one
        second before the heartbeat beside it)."""
        with open(self.cfg, "a", encoding="utf-8") as f:
            f.write("services:\n"
                    "  - {name: lca, up_when: lca-1, priority: P2}\n"
                    "  - {name: lca-again, up_when: lca-1, priority: P3}\n")
        d = Daemon(self.cfg, os.path.join(self.tmp.name, "run.log"))
        self.procs.append(d.p)
        db = os.path.join(self.data, "gprobe.db")
        wait_until("a heartbeat", lambda: self.raw(may_fail=True))
        self.assertEqual(d.stop(), 0)
        # A writer in the daemon's place, committing heartbeats as fast as
        # it can (its own process: the CLI and it race for real).
        writer = subprocess.Popen([sys.executable, "-c", """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
end = time.time() + 120
while time.time() < end:
    db.execute("UPDATE heartbeat SET at = at + 1")
""", db])
        self.procs.append(writer)
        try:
            for _ in range(40):
                raw = self.raw()
                hb = epoch(raw["heartbeat"])
                for svc in raw["services"]:
                    last = svc["periods"][-1]
                    self.assertTrue(last["open"])
                    self.assertEqual(epoch(last["to"]), hb, svc["service"])
        finally:
            writer.kill()
            writer.wait()

    def test_processes_creating_the_store_at_once(self):
        """A new database opened by several writers at once (the daemon
        starting, a command beside it): each migration step runs once;
        none fails with 'table ... already exists'."""
        os.makedirs(self.data)
        procs = [subprocess.Popen([GPROBE, "-c", self.cfg, "downtime", "revoke", "1",
                                   "--reason", "x"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(8)]
        errs = [p.communicate(timeout=60)[1] for p in procs]
        for e in errs:
            self.assertNotIn("schema migration", e)
            self.assertIn("no downtime entry #1", e)

    def raw(self, may_fail=False):
        """`downtime --raw --json`; with may_fail, None until the store has
        a schema and the services a period."""
        rc, out, err = run([GPROBE, "-c", self.cfg, "downtime", "--raw", "--json"])
        if may_fail and rc != 0:
            return None
        self.assertEqual(rc, 0, err)
        raw = json.loads(out)
        if may_fail and not all(s["periods"] for s in raw["services"]):
            return None
        return raw


if __name__ == "__main__":
    unittest.main(verbosity=2)
