#!/usr/bin/python3
"""The graph of one outage of one service (`gprobe graph --outage`, the
graph the monthly report shows): the check the event log shows failing,
only that service's outages shaded, every text in the report's language.

The lab's estate under `gprobe run` with short intervals, and one more
service, outbound-primary (up when ocs-1 is), beside outbound (up when
any of ocs-1, ocs-2 is). The OCSes' application status (gServerTable,
SNMP) is set to "stopped" while their ports stay open: the outage is
caused by each one's app-status check, not by its first availability
check (port), which has values the whole time. First ocs-1 alone (an
outage of outbound-primary), then ocs-1 and ocs-2 (an outage of both
services, tipped over by ocs-2). Then an outage whose failed check gives
no number (no graph, and why), and a log that says nothing (the first
availability check with values).
"""
import datetime
import json
import os
import re
import signal
import sqlite3
import sys
import tempfile
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (CONFIG, GPROBE, PG_DIR, Daemon, lab, pg_createdb, pg_sql, run,  # noqa: E402
                     wait_until, with_store)

APP_STATUS = "1.3.6.1.4.1.1729.100.1.2.1.3"   # .DBID: 2 stopped, 4 running
OCS_1, OCS_2 = APP_STATUS + ".105", APP_STATUS + ".106"
QA_REP_HEALTH = ["/reports/health", "--status", "200", "--content-type", "text/plain",
                 "--body", "OK\n"]


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso).timestamp())


class OutageGraphTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        with open(CONFIG, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"data_dir: .*", "data_dir: " + self.data, text, count=1)
        text = re.sub(r"\n  interval: 5s", "\n  interval: 1s", text, count=1)
        text = re.sub(r"\n  retry_interval: 2s", "\n  retry_interval: 1s", text, count=1)
        text = re.sub(r"\n  timeout: 2s", "\n  timeout: 1s", text, count=1)
        today = datetime.datetime.now(ZoneInfo("Asia/Almaty")).date()
        last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        text = re.sub(r"\n  start: 2026-01-01", "\n  start: " + last.isoformat(), text, count=1)
        extra = ('  - name: outbound-primary\n    title: "Основной OCS"\n'
                 '    up_when: "ocs-1"\n    priority: P3\n')
        text = text.replace("\ncontract:\n", "\n" + extra + "\ncontract:\n", 1)
        self.assertIn("outbound-primary", text)
        self.assertIn("\n    language: ru\n", text)
        # One store for both configs (on PostgreSQL, one database).
        self.store_uri = pg_createdb() if PG_DIR else None
        text = with_store(text, self.store_uri)
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(text)
        # The same estate and data, the report in English.
        self.cfg_en = os.path.join(self.tmp.name, "gprobe-en.yaml")
        with open(self.cfg_en, "w", encoding="utf-8") as f:
            f.write(text.replace("\n    language: ru\n", "\n    language: en\n", 1))
        self.daemon = None

    def tearDown(self):
        lab("snmp-set", OCS_1, "integer", "4")
        lab("snmp-set", OCS_2, "integer", "4")
        lab("http-set", *QA_REP_HEALTH)
        if self.daemon and self.daemon.p.poll() is None:
            self.daemon.stop(signal.SIGKILL)
        self.tmp.cleanup()

    def gprobe(self, *args, cfg=None):
        return run([GPROBE, "-c", cfg or self.cfg] + list(args))

    def json(self, *args, cfg=None):
        rc, out, err = self.gprobe(*args, "--json", cfg=cfg)
        self.assertEqual(rc, 0, "%s: %s" % (" ".join(args), err))
        return json.loads(out)

    def state(self, service):
        rc, out, _ = self.gprobe("status", "--json")
        if rc != 0:
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}.get(service)

    def wait_state(self, service, *states):
        wait_until("%s %s" % (service, "/".join(states)),
                   lambda: self.state(service) in states, 40)

    def outages(self, service):
        return self.json("downtime", "--raw", "--service", service)["services"][0]["outages"]

    def check_events(self, subject):
        return [e for e in self.json("events", "--subject", subject, "--last", "0")
                if e["kind"] == "check"]

    def graph(self, *args, cfg=None):
        png = os.path.join(self.tmp.name, "g.png")
        if os.path.exists(png):
            os.unlink(png)
        g = self.json("graph", *args, "-o", png, cfg=cfg)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(g["file"], png)
        return g

    def test_outage_graph_shows_the_failed_check(self):
        self.daemon = Daemon(self.cfg, os.path.join(self.tmp.name, "run.log"))
        self.wait_state("outbound", "UP")
        self.wait_state("outbound-primary", "UP")
        self.wait_state("qa-reports", "UP")
        # The port checks have values before anything breaks.
        for t in ("ocs-1", "ocs-2"):
            wait_until("%s/port values" % t, lambda t=t: os.path.exists(
                os.path.join(self.data, "rrd", t, "port.rrd")))

        # ocs-1's application stopped: outbound-primary down, outbound not.
        lab("snmp-set", OCS_1, "integer", "2")
        self.wait_state("outbound-primary", "DOWN")
        self.assertEqual(self.state("outbound"), "DEGRADED")
        lab("snmp-set", OCS_1, "integer", "4")
        self.wait_state("outbound-primary", "UP", "DEGRADED")
        # Both: outbound down too, from ocs-2's failure.
        lab("snmp-set", OCS_1, "integer", "2")
        self.wait_state("outbound-primary", "DOWN")
        lab("snmp-set", OCS_2, "integer", "2")
        self.wait_state("outbound", "DOWN")
        lab("snmp-set", OCS_2, "integer", "4")
        lab("snmp-set", OCS_1, "integer", "4")
        self.wait_state("outbound", "UP", "DEGRADED")
        self.wait_state("outbound-primary", "UP", "DEGRADED")

        primary = self.outages("outbound-primary")
        outbound = self.outages("outbound")
        self.assertEqual(len(primary), 2, primary)
        self.assertEqual(len(outbound), 1, outbound)
        self.assertEqual(outbound[0]["members"], "ocs-1,ocs-2")
        start = epoch(outbound[0]["from"])
        # What the old choice (the first member's first availability
        # check with values) would draw: ocs-1/port, OK all along.
        self.assertTrue(os.path.exists(os.path.join(self.data, "rrd", "ocs-1", "port.rrd")))
        self.assertEqual([e["new_state"] for e in self.check_events("ocs-1/port")], ["OK"])
        # The log: ocs-2's app-status failed when outbound went down.
        failed = [e for e in self.check_events("ocs-2/app-status")
                  if e["new_state"] == "CRITICAL"]
        self.assertEqual([epoch(e["at"]) for e in failed], [start])

        # outbound's outage: ocs-2's app-status, the one that tipped it
        # over (ocs-1's had failed before), with outbound's outage alone
        # shaded, not outbound-primary's two around it.
        g = self.graph("--outage", "outbound")
        self.assertEqual(g["caption"], "ocs-2 / app-status")
        self.assertEqual(g["service"], "outbound")
        self.assertEqual(epoch(g["outage"]["from"]), start)
        self.assertEqual(g["shaded"], 1)
        self.assertTrue(g["has_values"])
        self.assertEqual(epoch(g["from"]), start - 1800)
        self.assertLessEqual(epoch(g["to"]), epoch(outbound[0]["to"]) + 1800)
        # In Russian: the title, the legend (no thresholds on app-status).
        self.assertEqual(g["title"],
                         "ocs-2 / app-status: проверка SNMP, OID %s" % OCS_2)
        self.assertEqual(g["legend"], ["простой (1)", "значение"])

        # outbound-primary's latest outage: ocs-1's app-status, its two
        # outages shaded (outbound's is not one of them).
        g = self.graph("--outage", "outbound-primary")
        self.assertEqual(g["caption"], "ocs-1 / app-status")
        self.assertEqual(epoch(g["outage"]["from"]), epoch(primary[1]["from"]))
        self.assertEqual(g["shaded"], 2)
        self.assertEqual(g["legend"], ["простой (2)", "значение"])
        # Its first, by a time inside it.
        g = self.graph("--outage", "outbound-primary", "--at", primary[0]["from"])
        self.assertEqual(epoch(g["outage"]["from"]), epoch(primary[0]["from"]))
        self.assertEqual(g["caption"], "ocs-1 / app-status")
        self.assertEqual(g["shaded"], 2)

        # The same check drawn by hand: every service naming ocs-1 (three
        # outages), or the one asked for.
        span = ("--from", str(start - 1800), "--to", str(start + 60))
        self.assertEqual(self.graph("ocs-1", "app-status", *span)["shaded"], 3)
        self.assertEqual(self.graph("ocs-1", "app-status", *span, "--service",
                                    "outbound")["shaded"], 1)
        self.assertEqual(self.graph("ocs-1", "app-status", *span, "--service",
                                    "outbound-primary")["shaded"], 2)
        rc, out, err = self.gprobe("graph", "ocs-1", "app-status", *span, "-o",
                                   os.path.join(self.tmp.name, "t.png"))
        self.assertEqual((rc, out), (0, "%s: ocs-1 / app-status, 3 outages shaded\n"
                                     % os.path.join(self.tmp.name, "t.png")), err)

        # In English, from the same data.
        g = self.graph("--outage", "outbound", cfg=self.cfg_en)
        self.assertEqual(g["caption"], "ocs-2 / app-status")
        self.assertEqual(g["title"], "ocs-2 / app-status: SNMP get of %s" % OCS_2)
        self.assertEqual(g["legend"], ["outage (1)", "value"])
        # Thresholds, in both languages.
        g = self.graph("host-1", "memory-available", *span)
        self.assertEqual(g["legend"], ["значение", "предупреждение 262144", "авария 65536"])
        self.assertTrue(g["has_values"])
        g = self.graph("host-1", "memory-available", *span, cfg=self.cfg_en)
        self.assertEqual(g["legend"], ["value", "warning 262144", "critical 65536"])

        # An outage whose failed check gives no number (qa-rep-1's health
        # page, matched as text): no graph, and why in one sentence of the
        # report's language, not another check's graph.
        lab("http-set", "/reports/health", "--status", "503", "--body", "down")
        self.wait_state("qa-reports", "DOWN")
        lab("http-set", *QA_REP_HEALTH)
        self.wait_state("qa-reports", "UP", "DEGRADED")
        self.assertFalse(os.path.exists(os.path.join(self.data, "rrd", "qa-rep-1",
                                                     "health.rrd")))
        png = os.path.join(self.tmp.name, "none.png")
        rc, out, err = self.gprobe("graph", "--outage", "qa-reports", "-o", png)
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "gprobe graph: qa-rep-1 / health: графика нет: зонд не записал "
                              "значений этой проверки за время простоя и за полчаса до и "
                              "после него.\n")
        self.assertFalse(os.path.exists(png))
        rc, out, err = self.gprobe("graph", "--outage", "qa-reports", "-o", png,
                                   cfg=self.cfg_en)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "gprobe graph: qa-rep-1 / health: no graph: the probe recorded "
                              "no values of this check during the outage or in the half hour "
                              "before and after it.\n")

        # No such outage.
        rc, out, err = self.gprobe("graph", "--outage", "armo", "-o", png)
        self.assertEqual((rc, err), (1, "gprobe graph: 'armo' has had no outage\n"))
        self.assertEqual(self.daemon.stop(), 0)

        # A log that says nothing of the OCSes' checks (a store from before
        # they were recorded): then, and only then, the first availability
        # check with values of the first member.
        forget = "DELETE FROM event WHERE kind = 'check' AND subject LIKE 'ocs-_/%'"
        if PG_DIR:
            pg_sql(self.store_uri, forget)
        else:
            db = sqlite3.connect(os.path.join(self.data, "gprobe.db"))
            with db:
                db.execute(forget)
            db.close()
        g = self.graph("--outage", "outbound")
        self.assertEqual(g["caption"], "ocs-1 / port")
        self.assertEqual(g["shaded"], 1)
        self.assertTrue(g["title"].startswith("ocs-1 / port: проверка TCP-порта "), g["title"])
        self.assertEqual(g["legend"], ["простой (1)", "значение"])


if __name__ == "__main__":
    unittest.main()
