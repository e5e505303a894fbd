"""The probe pair on PostgreSQL: two `gprobe run` with the same config but
probe.node, on one database of the tests' server (lab/pg.py). One is
active, the other waits; killing the active or cutting it off its database
hands over within probe.failover_after and a renewal, with one incident,
one delivery per alert (counted by Message-ID at the SMTP server) and a
ledger without gap or overlap."""
import datetime
import json
import re
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(__file__))
from labtest import (GPROBE, PG_DIR, PG_PY, Daemon, pg_createdb, pg_sql, run,  # noqa: E402
                     store_keys, wait_until)
from test_alerts import Component, Smtp  # noqa: E402

FAILOVER_S = 3  # probe.failover_after of these tests (the default is 15 s)
INTERVAL_S = 1


class PairTest(unittest.TestCase):
    def setUp(self):
        if not PG_DIR:
            self.skipTest("needs the tests' PostgreSQL (ctest: integration.pg.test_pair)")
        self.tmp = tempfile.TemporaryDirectory()
        self.comp = Component()
        self.comp.up()
        self.smtp = Smtp(self.tmp.name)
        self.smtp.start()
        self.uri = pg_createdb()
        # The contract's term from the first of last month (Almaty): this
        # month is inside it whenever the test runs.
        today = datetime.datetime.now(ZoneInfo("Asia/Almaty")).date()
        self.month = today.strftime("%Y-%m")
        self.term_start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        self.daemons = {}
        self.cfgs = {n: self.write_config(n) for n in ("a", "b")}

    def tearDown(self):
        for d in self.daemons.values():
            if d.p.poll() is None:
                d.stop(signal.SIGKILL)
        self.smtp.stop()
        self.comp.down()
        self.tmp.cleanup()

    def write_config(self, node):
        path = os.path.join(self.tmp.name, node + ".yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"""probe: {{data_dir: {self.tmp.name}/{node}, interval: {INTERVAL_S}s,
        retry_interval: 1s, timeout: 1s, attempts: 1, rrd: false, node: {node},
        failover_after: {FAILOVER_S}s{store_keys(self.uri)}}}
targets:
  - {{name: stat-1, host: 127.0.0.1, owner: supplier,
     checks: [{{name: port, tcp_connect: {self.comp.port}}}]}}
services:
  - {{name: stat-monitor, up_when: stat-1, priority: P1}}
contract: {{start: {self.term_start}, term_days: 365, monthly_payment: "1250000.00",
  value_excl_vat: "15000000.00", penalty_hour_divisor: 720, penalty_cap_percent: 5,
  hour_rounding: exact, overlap: union}}
calendar: {{timezone: Asia/Almaty}}
""" + self.smtp.alerts_yaml())
        return path

    def start(self, node):
        self.daemons[node] = Daemon(self.cfgs[node],
                                    os.path.join(self.tmp.name, node + ".log"))

    def log(self, node):
        with open(os.path.join(self.tmp.name, node + ".log"), encoding="utf-8") as f:
            return f.read()

    def gprobe(self, *args):
        rc, out, err = run([GPROBE, "-c", self.cfgs["a"]] + list(args))
        self.assertEqual(rc, 0, "%s: %s" % (" ".join(args), err))
        return out

    def status(self, may_fail=False):
        rc, out, err = run([GPROBE, "-c", self.cfgs["a"], "status", "--json"])
        if rc != 0 and may_fail:
            return None
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def roles(self):
        s = self.status(may_fail=True)
        return {n["name"]: n["role"] for n in s["nodes"]} if s else {}

    def service(self):
        s = self.status(may_fail=True)
        return s["services"][0]["state"] if s and s["services"] else None

    def mails(self):
        return self.smtp.messages()

    def assert_once_each(self):
        """Every alert delivered once: no Message-ID twice, and one mail
        per event of the one incident."""
        mails = self.mails()
        ids = [m[3] for m in mails]
        if len(ids) != len(set(ids)):
            said = "\n".join("%s: %s" % (n, line) for n in sorted(self.daemons)
                             for line in self.log(n).splitlines()
                             if re.search(r"alerts:|node |store", line))
            self.fail("a Message-ID twice: %s\nwhat the nodes said:\n%s" % (ids, said))
        return [m[1] for m in mails]

    def assert_ledger_whole(self):
        """Periods follow each other to the second: no gap, no overlap."""
        raw = json.loads(self.gprobe("downtime", "--raw", "--json"))
        periods = raw["services"][0]["periods"]
        for prev, cur in zip(periods, periods[1:]):
            self.assertEqual(prev["to"], cur["from"], periods)
        return periods

    def one_incident(self):
        inc = json.loads(self.gprobe("incidents", "--all", "--json"))
        self.assertEqual(len(inc), 1, inc)
        return inc[0]

    def pair_up(self):
        """a active with the service UP, b standby."""
        self.start("a")
        wait_until("a active, the service up",
                   lambda: self.roles().get("a") == "active" and self.service() == "UP", 60)
        self.start("b")
        wait_until("b standby", lambda: self.roles().get("b") == "standby", 30)
        self.assertEqual(self.roles(), {"a": "active", "b": "standby"})

    def test_status_shows_both_nodes(self):
        self.pair_up()
        s = self.status()
        nodes = {n["name"]: n for n in s["nodes"]}
        self.assertEqual(nodes["a"]["role"], "active")
        self.assertIsNotNone(nodes["a"]["since"])
        self.assertLess(nodes["a"]["lease_age_seconds"], FAILOVER_S)
        self.assertEqual(nodes["b"]["role"], "standby")
        self.assertIn("standby: node a is active", self.log("b"))
        out = self.gprobe("status")
        self.assertRegex(out, r"(?m)^a +- +active ")
        self.assertRegex(out, r"(?m)^b +- +standby ")

    def test_sigkill_the_active_while_down(self):
        self.pair_up()
        self.comp.down()
        wait_until("the outage's mail", lambda: any(
            "stat-monitor" in m[1] for m in self.mails()), 60)
        killed = time.monotonic()
        self.daemons["a"].stop(signal.SIGKILL)
        wait_until("b active", lambda: self.roles().get("b") == "active",
                   FAILOVER_S + INTERVAL_S + 30)
        took = time.monotonic() - killed
        # The lease expires failover_after after a's last renewal (before
        # the kill); b asks every third of it; status is a process of its
        # own, so its time is added to what is measured.
        self.assertLess(took, FAILOVER_S + INTERVAL_S + 2.5, "takeover in %.1f s" % took)
        # Logged once the takeover's unmonitored time is written, which may
        # come just after status shows b active.
        wait_until("b logs the failover",
                   lambda: "failover: node b took over from a" in self.log("b"), 30)
        wait_until("b polls: still DOWN", lambda: self.service() == "DOWN", 30)
        self.comp.up()
        wait_until("restored by b", lambda: self.service() == "UP", 30)
        wait_until("the restore's mail", lambda: len(self.mails()) >= 2, 60)
        inc = self.one_incident()
        self.assertEqual(inc["status"], "restored")
        subjects = self.assert_once_each()
        self.assertEqual(len(subjects), 2, subjects)
        periods = self.assert_ledger_whole()
        states = [p["state"] for p in periods]
        self.assertIn("UNMONITORED", states, periods)
        self.assertEqual(states[-1], "UP", periods)
        # The report says why that time was unmonitored.
        html = os.path.join(self.tmp.name, "report.html")
        self.gprobe("report", "--month", self.month, "--html", html)
        with open(html, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("failover: node b took over from a", text)

    def test_clean_stop_hands_over_at_once(self):
        self.pair_up()
        stopped = time.monotonic()
        self.assertEqual(self.daemons["a"].stop(), 0)
        wait_until("b active", lambda: self.roles().get("b") == "active", 30)
        # Released, not expired: b takes it at its next ask.
        self.assertLess(time.monotonic() - stopped, FAILOVER_S)

    def test_database_gone_active_steps_down_first(self):
        self.pair_up()
        self.comp.down()
        wait_until("the outage's mail", lambda: len(self.mails()) == 1, 60)
        subprocess.run(["/usr/bin/python3", PG_PY, "stop", PG_DIR], check=True, timeout=60)
        try:
            wait_until("a steps down", lambda: "stepping down" in self.log("a"),
                       FAILOVER_S + 10)
            # The component comes back while nobody may write.
            self.comp.up()
            end = time.monotonic() + 2 * FAILOVER_S
            wait_until("the outage lasts", lambda: time.monotonic() >= end, 3 * FAILOVER_S)
        finally:
            subprocess.run(["/usr/bin/python3", PG_PY, "restart", PG_DIR], check=True,
                           timeout=60)
        # Both nodes outlived the outage: one active, the other waiting.
        wait_until("one node active, one standby", lambda: sorted(self.roles().values()) ==
                   ["active", "standby"], 60)
        for n, d in self.daemons.items():
            self.assertIsNone(d.p.poll(), "node %s exited" % n)
        # Whoever took over did so after a had stopped (the logs' seconds).
        down_at = re.search(r"(?m)^(\S+) ERROR +node a (lost the lease|could not renew|could not start)",
                            self.log("a")).group(1)
        for n in ("a", "b"):
            for m in re.finditer(r"(?m)^(\S+) WARN +node %s is active" % n, self.log(n)):
                if n == "b" or m.group(1) > down_at:
                    self.assertGreaterEqual(m.group(1), down_at, self.log(n))
        wait_until("restored", lambda: self.service() == "UP", 60)
        wait_until("the restore's mail", lambda: len(self.mails()) >= 2, 60)
        for d in self.daemons.values():
            d.stop()
        subjects = self.assert_once_each()
        self.assertEqual(len(subjects), 2, subjects)
        self.one_incident()
        self.assert_ledger_whole()

    def test_sessions_terminated_again_and_again(self):
        """The server ends the active's sessions (pg_terminate_backend, as
        an administrator or a failing pooler would) again and again for
        twice failover_after, while the outage ends: the nodes live on,
        one active afterwards, each alert delivered once."""
        self.pair_up()
        self.comp.down()
        wait_until("the outage's mail", lambda: len(self.mails()) == 1, 60)
        killed, rounds = 0, 0
        end = time.monotonic() + 2 * FAILOVER_S
        while time.monotonic() < end:
            rows = pg_sql(self.uri, "SELECT count(pg_terminate_backend(pid)) FROM"
                                    " pg_stat_activity WHERE application_name = 'a'")
            killed += int(rows[0][0])
            rounds += 1
            if rounds == 3:
                self.comp.up()
        self.assertGreater(killed, 0)
        wait_until("one node active, one standby", lambda: sorted(self.roles().values()) ==
                   ["active", "standby"], 60)
        for n, d in self.daemons.items():
            self.assertIsNone(d.p.poll(), "node %s exited" % n)
        wait_until("restored", lambda: self.service() == "UP", 60)
        wait_until("the restore's mail", lambda: len(self.mails()) >= 2, 60)
        for d in self.daemons.values():
            self.assertEqual(d.stop(), 0)
        subjects = self.assert_once_each()
        self.assertEqual(len(subjects), 2, subjects)
        self.one_incident()
        self.assert_ledger_whole()


if __name__ == "__main__":
    unittest.main(verbosity=2)
