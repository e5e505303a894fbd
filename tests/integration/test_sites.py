"""Two sites on one ledger (PostgreSQL of tests/lab/pg.py): the probe of
site almaty (node alm) polls only its target, the probe of site astana
(node ast) only its own; a service spans both (up_when over a target of
each). One of the two active nodes keeps the ledger (the lease of '*'):
it evaluates the service from its own results and the other site's
stored states. A component of the other site breaks: one incident, one
mail. The ledger's keeper is killed: the other node takes the ledger over
(a failover, counted once as unmonitored), and the dead site's target is
UNKNOWN while nobody polls it."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from labtest import (GPROBE, PG_DIR, Daemon, pg_createdb, pg_sql, run,  # noqa: E402
                     store_keys, wait_until)
from test_alerts import Component, Smtp  # noqa: E402

FAILOVER_S = 3


class SitesTest(unittest.TestCase):
    def setUp(self):
        if not PG_DIR:
            self.skipTest("needs the tests' PostgreSQL (ctest: integration.pg.test_sites)")
        self.tmp = tempfile.TemporaryDirectory()
        self.comps = {"ta": Component(), "tb": Component()}
        for c in self.comps.values():
            c.up()
        self.smtp = Smtp(self.tmp.name)
        self.smtp.start()
        self.uri = pg_createdb()
        self.daemons = {}
        self.cfgs = {n: self.write_config(n, site)
                     for n, site in (("alm", "almaty"), ("ast", "astana"))}

    def tearDown(self):
        for d in self.daemons.values():
            if d.p.poll() is None:
                d.stop(signal.SIGKILL)
        self.smtp.stop()
        for c in self.comps.values():
            c.down()
        self.tmp.cleanup()

    def write_config(self, node, site):
        path = os.path.join(self.tmp.name, node + ".yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"""probe: {{data_dir: {self.tmp.name}/{node}, interval: 1s,
        retry_interval: 1s, timeout: 1s, attempts: 1, rrd: false, node: {node},
        site: {site}, failover_after: {FAILOVER_S}s{store_keys(self.uri)}}}
targets:
  - {{name: ta, host: 127.0.0.1, owner: supplier, site: almaty,
     checks: [{{name: port, tcp_connect: {self.comps["ta"].port}}}]}}
  - {{name: tb, host: 127.0.0.1, owner: supplier, site: astana,
     checks: [{{name: port, tcp_connect: {self.comps["tb"].port}}}]}}
services:
  - {{name: routing, up_when: "ta and tb", priority: P1}}
""" + self.smtp.alerts_yaml())
        return path

    def start(self, node):
        self.daemons[node] = Daemon(self.cfgs[node], os.path.join(self.tmp.name, node + ".log"))

    def log(self, node):
        with open(os.path.join(self.tmp.name, node + ".log"), encoding="utf-8") as f:
            return f.read()

    def status(self):
        rc, out, err = run([GPROBE, "-c", self.cfgs["alm"], "status", "--json"])
        return json.loads(out) if rc == 0 else None

    def service(self):
        s = self.status()
        return s["services"][0]["state"] if s and s["services"] else None

    def target(self, name):
        s = self.status()
        for t in (s or {}).get("targets", []):
            if t["name"] == name:
                return t["state"]
        return None

    def unknown_seconds(self):
        """Seconds of the ledger's last period when it is UNKNOWN, else 0."""
        rc, out, _ = run([GPROBE, "-c", self.cfgs["ast"], "downtime", "--raw", "--json"])
        if rc != 0:
            return 0
        periods = json.loads(out)["services"][0]["periods"]
        last = periods[-1] if periods else {}
        return last.get("seconds", 0) if last.get("state") == "UNKNOWN" else 0

    def keeper(self):
        """The node keeping the ledger (None before the schema is made)."""
        try:
            rows = pg_sql(self.uri, "SELECT holder FROM node_lease WHERE site = '*' AND"
                                    " renewed_at > clock_timestamp() - ttl_ms * interval"
                                    " '1 millisecond'")
        except subprocess.CalledProcessError:
            return None
        return rows[0][0] if rows else None

    def test_two_sites_one_ledger(self):
        self.start("alm")
        wait_until("alm keeps the ledger", lambda: self.keeper() == "alm", 60)
        self.start("ast")
        wait_until("both sites polled, the service UP", lambda: self.service() == "UP" and
                   self.target("tb") == "UP", 60)
        s = self.status()
        # Each node's own site (not the ledger's '*', whose lease both ask
        # for), the keeper said apart.
        roles = {n["name"]: (n["site"], n["role"], n["keeps_ledger"]) for n in s["nodes"]}
        self.assertEqual(roles, {"alm": ("almaty", "active", True),
                                 "ast": ("astana", "active", False)})
        # Each probe polled its own site's target only.
        self.assertIn("target ta: UNKNOWN -> UP", self.log("alm"))
        self.assertIn("target tb: UNKNOWN -> UP", self.log("ast"))
        self.assertNotRegex(self.log("alm"), r"(check|target) tb")
        self.assertNotRegex(self.log("ast"), r"(check|target) ta")
        self.assertIn("polls its site only", self.log("ast"))

        # Astana's component breaks: the keeper (Almaty) sees it in the store.
        self.comps["tb"].down()
        wait_until("routing DOWN", lambda: self.service() == "DOWN", 30)
        wait_until("the outage's mail", lambda: len(self.smtp.messages()) == 1, 30)
        inc = json.loads(run([GPROBE, "-c", self.cfgs["alm"], "incidents", "--json"])[1])
        self.assertEqual(len(inc), 1)
        self.assertEqual(pg_sql(self.uri, "SELECT count(*) FROM service_period WHERE"
                                          " state = 'DOWN'"), [["1"]])
        self.comps["tb"].up()
        wait_until("routing UP again", lambda: self.service() == "UP", 30)

        # The keeper dies: Astana's node takes the ledger over; nobody
        # polls Almaty's target, which is then UNKNOWN, and so the service.
        self.daemons["alm"].stop(signal.SIGKILL)
        wait_until("ast keeps the ledger", lambda: self.keeper() == "ast", 3 * FAILOVER_S + 30)
        # Said once its restore is done (the lease is taken before).
        wait_until("the failover recorded", lambda: "failover: node ast took over from alm"
                   in self.log("ast"), 30)
        wait_until("routing UNKNOWN", lambda: self.service() == "UNKNOWN", 30)
        nodes = {n["name"]: n for n in self.status()["nodes"]}
        self.assertEqual((nodes["ast"]["site"], nodes["ast"]["role"],
                          nodes["ast"]["keeps_ledger"]), ("astana", "active", True))
        self.assertEqual((nodes["alm"]["role"], nodes["alm"]["keeps_ledger"]),
                         ("standby", False))
        self.assertEqual(self.target("ta"), "UNKNOWN")
        self.assertIn("target ta UNKNOWN: no node of site almaty is active", self.log("ast"))
        # Some whole seconds of it in the ledger before Almaty is back (the
        # ledger counts seconds: an UNKNOWN begun and ended within one
        # second is no period).
        wait_until("UNKNOWN in the ledger for 2 s", lambda: self.unknown_seconds() >= 2, 30)
        # Almaty back: its node polls again (the ledger stays at Astana).
        self.start("alm")
        wait_until("ta UP, routing UP", lambda: self.target("ta") == "UP" and
                   self.service() == "UP", 60)
        self.assertEqual(self.keeper(), "ast")
        wait_until("the restore's mail", lambda: len(self.smtp.messages()) >= 2, 30)
        for d in self.daemons.values():
            self.assertEqual(d.stop(), 0)
        ids = [m[3] for m in self.smtp.messages()]
        self.assertEqual(len(ids), len(set(ids)), ids)
        self.assertEqual(len(ids), 2, [m[1] for m in self.smtp.messages()])
        # One ledger: periods one after another, the failover's time once.
        raw = json.loads(run([GPROBE, "-c", self.cfgs["ast"], "downtime", "--raw",
                              "--json"])[1])
        periods = raw["services"][0]["periods"]
        for prev, cur in zip(periods, periods[1:]):
            self.assertEqual(prev["to"], cur["from"], periods)
        states = [p["state"] for p in periods]
        self.assertEqual(states.count("UNMONITORED"), 1, periods)
        self.assertTrue(re.match(r"UP", states[-1]), periods)
        # The time almaty was unpolled after the takeover is UNKNOWN (before
        # it, since the keeper's last heartbeat, unmonitored).
        self.assertEqual(states[-3:], ["UNMONITORED", "UNKNOWN", "UP"], periods)
        self.assertGreaterEqual(periods[-2]["seconds"], 2, periods)


if __name__ == "__main__":
    unittest.main(verbosity=2)
