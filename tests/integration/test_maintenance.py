#!/usr/bin/python3
"""Planned work, as Nagios and Icinga users know scheduled downtime: a
window on a component (a target) keeps the incident and the mail back
while the service is down for that component only, counts that time as
maintenance, and, when the fault outlives the window, opens the incident
then; a fault elsewhere is not covered; a window entered after the fact
over recorded downtime needs --retroactive and says so. `gprobe run` over
TCP listeners this test opens and closes, mails through aiosmtpd."""
import datetime
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estate import EstateTest, epoch  # noqa: E402
from labtest import wait_until  # noqa: E402


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S+00:00")


class MaintenanceTest(EstateTest):
    COMPONENTS = ("conf-1", "ocs-1")
    SERVICES = ('  - {name: outbound, title: "Исходящий обзвон", up_when: "ocs-1 and conf-1",'
                ' priority: P2}\n')
    EXTRA = "calendar: {timezone: Asia/Almaty}\n"

    def wait_state(self, state):
        super().wait_state("outbound", state)

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

    def test_change_while_the_work_goes_on(self):
        """Lengthening a window whose work is under way is not entering
        one after the fact: the down time so far is already covered."""
        self.wait_state("UP")
        now = int(time.time())
        rc, out, err = self.gprobe("maintenance", "add", "--target", "ocs-1", "--from",
                                   iso(now - 60), "--to", iso(now + 600), "--reason", "upgrade")
        self.assertEqual(rc, 0, err)
        self.comps["ocs-1"].down()
        self.wait_state("DOWN")
        hb = self.heartbeat()
        wait_until("down time recorded", lambda: self.heartbeat() >= hb + 2)
        rc, out, err = self.gprobe("maintenance", "change", "1", "--to", iso(now + 1200),
                                   "--reason", "the vendor needs longer")
        self.assertEqual(rc, 0, err)
        listed = [w for w in self.json("maintenance", "list", "--json") if not w["revoked"]]
        self.assertEqual([(w["target"], w["retroactive"]) for w in listed], [("ocs-1", False)])
        self.assertEqual(self.json("incidents", "--all", "--json"), [])

    def test_weekly_and_changed(self):
        self.wait_state("UP")
        # Weekly at 02:00 local across Asia/Almaty's change of offset
        # (+06 to +05 on 2024-03-01): each window keeps its 02:00.
        rc, out, err = self.gprobe("maintenance", "add", "--target", "ocs-1", "--from",
                                   "2024-02-20T02:00", "--to", "2024-02-20T03:30", "--reason",
                                   "weekly OCS housekeeping", "--repeat", "weekly",
                                   "--until", "2024-03-10")
        self.assertEqual(rc, 0, err)
        self.assertIn(": 3, weekly", out)
        listed = self.json("maintenance", "list", "--json")
        self.assertEqual([(w["from"], w["to"]) for w in listed],
                         [("2024-02-20T02:00:00+06:00", "2024-02-20T03:30:00+06:00"),
                          ("2024-02-27T02:00:00+06:00", "2024-02-27T03:30:00+06:00"),
                          ("2024-03-05T02:00:00+05:00", "2024-03-05T03:30:00+05:00")])
        rc, out, err = self.gprobe("maintenance", "add", "--service", "outbound", "--from",
                                   "2024-02-20T02:00", "--to", "2024-02-20T03:00", "--reason",
                                   "x", "--repeat", "monthly", "--until", "2024-03-10")
        self.assertEqual(rc, 1)
        self.assertIn("only weekly", err)

        # A change: the window is kept, cancelled, and a new one says why.
        first = listed[0]["id"]
        rc, out, err = self.gprobe("maintenance", "change", str(first), "--to",
                                   "2024-02-20T04:00", "--reason", "the vendor needs longer")
        self.assertEqual(rc, 0, err)
        listed = {w["id"]: w for w in self.json("maintenance", "list", "--json")}
        old = listed[first]
        new = [w for w in listed.values() if "(replaces #%d)" % first in w["reason"]]
        self.assertEqual(len(new), 1, listed)
        new = new[0]
        self.assertTrue(old["revoked"])
        self.assertEqual(old["revoke_reason"], "replaced by #%d: the vendor needs longer"
                         % new["id"])
        self.assertEqual((new["target"], new["from"], new["to"], new["revoked"]),
                         ("ocs-1", "2024-02-20T02:00:00+06:00", "2024-02-20T04:00:00+06:00",
                          False))
        rc, out, err = self.gprobe("maintenance", "change", str(first), "--to",
                                   "2024-02-20T05:00", "--reason", "again")
        self.assertEqual(rc, 1)
        self.assertIn("cancelled already", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
