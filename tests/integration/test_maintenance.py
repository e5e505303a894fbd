#!/usr/bin/python3
"""Planned work, as Nagios and Icinga users know scheduled downtime: a
window on a component (a target) keeps the incident and the mail back
while the service is down for that component only, counts that time as
maintenance, and, when the fault outlives the window, opens the incident
then; a fault elsewhere is not covered; a window entered after the fact
over recorded downtime needs --retroactive and says so. `gprobe run` over
TCP listeners this test opens and closes, mails through aiosmtpd."""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, run, wait_until  # noqa: E402
from test_alerts import Component, Smtp  # noqa: E402


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S+00:00")


class MaintenanceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.comps = {n: Component() for n in ("conf-1", "ocs-1")}
        for c in self.comps.values():
            c.up()
        self.smtp = Smtp(self.tmp.name)
        self.smtp.start()
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        targets = "".join(
            "  - {name: %s, host: 127.0.0.1, owner: supplier,\n"
            "     checks: [{name: port, tcp_connect: %d}]}\n" % (n, c.port)
            for n, c in self.comps.items())
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(f"""probe: {{data_dir: {self.data}, interval: 1s, retry_interval: 1s,
        timeout: 1s, attempts: 1, rrd: false}}
targets:
{targets}services:
  - {{name: outbound, title: "Исходящий обзвон", up_when: "ocs-1 and conf-1", priority: P2}}
calendar: {{timezone: Asia/Almaty}}
alerts:
  restore_delay: 1s
  email:
    smtp_url: "smtp://127.0.0.1:{self.smtp.port}"
    from: gprobe@example.kz
    to: [noc@example.kz]
    language: ru
    timeout: 5s
""")
        self.log = open(os.path.join(self.tmp.name, "run.log"), "a")
        self.daemon = subprocess.Popen([GPROBE, "-c", self.cfg, "run"], stdout=self.log,
                                       stderr=self.log)

    def tearDown(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.log.close()
        self.smtp.stop()
        for c in self.comps.values():
            c.down()
        self.tmp.cleanup()

    def gprobe(self, *args):
        return run([GPROBE, "-c", self.cfg] + list(args))

    def json(self, *args):
        rc, out, err = self.gprobe(*args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def state(self):
        rc, out, _ = self.gprobe("status", "--json")
        if rc != 0:
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}.get("outbound")

    def wait_state(self, state):
        wait_until("outbound " + state, lambda: self.state() == state, 30)

    def heartbeat(self):
        return epoch(self.json("status", "--json")["heartbeat"])

    def down_intervals(self):
        return [(i["class"], epoch(i["from"]), epoch(i["to"]))
                for i in self.json("downtime", "--json", "--service",
                                   "outbound")["services"][0]["intervals"]
                if i["class"] in ("down", "maintenance")]

    def test_window_on_a_component(self):
        self.wait_state("UP")
        end = int(time.time()) + 8
        rc, out, err = self.gprobe("maintenance", "add", "--target", "ocs-1", "--from",
                                   iso(end - 60), "--to", iso(end), "--reason", "OCS upgrade")
        self.assertEqual(rc, 0, err)
        self.assertIn("maintenance window #1: target ocs-1", out)
        listed = self.json("maintenance", "list", "--json")
        self.assertEqual([(w["target"], w["service"], w["retroactive"]) for w in listed],
                         [("ocs-1", None, False)])

        # Down for the component under the window: nothing opens, no mail.
        self.comps["ocs-1"].down()
        self.wait_state("DOWN")
        hb = self.heartbeat()
        wait_until("three more turns", lambda: self.heartbeat() >= hb + 3)
        self.assertLess(self.heartbeat(), end, "the window is still on")
        self.assertEqual(self.json("incidents", "--all", "--json"), [])
        self.assertEqual(self.smtp.messages(), [])

        # The fault outlives the window: the incident opens then, told.
        wait_until("the incident", lambda: self.json("incidents", "--all", "--json"), 30)
        inc = self.json("incidents", "--all", "--json")[0]
        self.assertGreaterEqual(epoch(inc["opened_at"]), end)
        wait_until("the mail", lambda: [m for m in self.smtp.messages()
                                        if "Недоступен сервис" in m[1]], 30)
        start = epoch(self.json("downtime", "--raw", "--json", "--service", "outbound")
                      ["services"][0]["outages"][0]["from"])
        wait_until("down time after the window", lambda: self.heartbeat() >= end + 2)
        self.comps["ocs-1"].up()
        self.wait_state("UP")
        # The ledger: maintenance up to the window's end, down after it.
        iv = self.down_intervals()
        self.assertEqual(iv[0][:2], ("maintenance", start), iv)
        self.assertEqual(iv[0][2], end, iv)
        self.assertEqual(iv[1][:2], ("down", end), iv)

        # Entered after the fact over that recorded downtime: said so.
        rc, out, err = self.gprobe("maintenance", "add", "--service", "outbound", "--from",
                                   iso(end), "--to", iso(end + 3600), "--reason", "late")
        self.assertEqual(rc, 1)
        self.assertIn("--retroactive", err)
        self.assertIn("outbound was recorded DOWN", err)
        rc, out, err = self.gprobe("maintenance", "add", "--service", "outbound", "--from",
                                   iso(end), "--to", iso(end + 3600), "--reason",
                                   "the upgrade overran, agreed with the customer",
                                   "--retroactive")
        self.assertEqual(rc, 0, err)
        listed = self.json("maintenance", "list", "--json")
        self.assertEqual([w["retroactive"] for w in listed if w["service"] == "outbound"], [True])
        rc, out, err = self.gprobe("maintenance", "list")
        self.assertIn("[задним числом", out)
        self.assertEqual([c for c, _, _ in self.down_intervals()], ["maintenance"])
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=30), 0)

    def test_a_fault_elsewhere_is_not_covered(self):
        self.wait_state("UP")
        now = int(time.time())
        rc, out, err = self.gprobe("maintenance", "add", "--target", "ocs-1", "--from",
                                   iso(now - 60), "--to", iso(now + 3600), "--reason", "OCS")
        self.assertEqual(rc, 0, err)
        self.comps["conf-1"].down()
        self.wait_state("DOWN")
        wait_until("the incident", lambda: self.json("incidents", "--all", "--json"), 30)
        wait_until("the mail", lambda: [m for m in self.smtp.messages()
                                        if "Недоступен сервис" in m[1]], 30)
        self.comps["conf-1"].up()
        self.wait_state("UP")
        self.assertEqual([c for c, _, _ in self.down_intervals()], ["down"])
        rc, out, err = self.gprobe("maintenance", "add", "--target", "nope", "--from",
                                   iso(now), "--to", iso(now + 60), "--reason", "x")
        self.assertEqual(rc, 1)
        self.assertIn("no target 'nope'", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
