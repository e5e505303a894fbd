#!/usr/bin/python3
"""The manager's part of `gprobe web` over `gprobe run` on a small estate
(test_web.py's: one service over a TCP listener the test opens and
closes), every outcome read back through the CLI: a manager adds a
maintenance window through the /manage form and `gprobe maintenance list
--json` has it, by that manager, then cancelled with the reason; adds a
ledger entry over last month's unmonitored time and `gprobe downtime
list-entries --json`, `gprobe downtime --month M --json` and `gprobe
report --month M --json` count it, then none of it once revoked; voids
the probe's incident of a real outage and `gprobe incident show ID
--json` has it voided by that manager. An operator's POST to every
manager path is 403 and changes nothing; a POST without the CSRF token is
403; a bad field (to before from, an unknown service, an overlap) is 400
with the reason and the form again; no session is 303 or 401. `gprobe web
passwd USER --remove`: that user's login is refused (401), the others'
is not; the last manager may go, which is said."""
import datetime
import json
import os
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, run, wait_until  # noqa: E402
from webestate import OPENER, PASSWORDS as USERS, TZ, ConsoleEstate  # noqa: E402

PASSWORDS = dict(USERS, temp=("operator", "temp-secret-1"))


class WebManageTest(ConsoleEstate):
    """One estate, daemon and console for the class; the tests run in name
    order, the users' removal last."""
    USERS = PASSWORDS

    @classmethod
    def prepare(cls):
        cls.last_month = cls.term_start.strftime("%Y-%m")
        cls.tomorrow = (cls.today + datetime.timedelta(days=1)).isoformat()

    # --- helpers ---------------------------------------------------------
    def cli_json(self, *args):
        rc, out, err = run([GPROBE, "-c", self.cfg] + list(args) + ["--json"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def windows(self):
        return self.cli_json("maintenance", "list")

    def entries(self):
        return self.cli_json("downtime", "list-entries")

    def api(self, path, body, cookie, csrf):
        """A POST of a JSON object to the API: (status, parsed answer)."""
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Cookie", cookie)
        if csrf:
            req.add_header("X-CSRF-Token", csrf)
        try:
            with OPENER.open(req, timeout=30) as r:
                return r.status, json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    def manager_paths(self, wid, eid):
        """Every manager path a POST goes to, with a body that would do."""
        w = {"service": "armo", "from": self.tomorrow + "T05:00",
             "to": self.tomorrow + "T06:00", "reason": "nobody's"}
        e = {"service": "armo", "from": self.last_month + "-20T10:00",
             "to": self.last_month + "-20T11:00", "attribution": "supplier",
             "reason": "nobody's"}
        paths = [("/manage/maintenance", w), ("/manage/maintenance/%d/cancel" % wid,
                                             {"reason": "x"}),
                 ("/manage/entries", e), ("/manage/entries/%d/revoke" % eid, {"reason": "x"})]
        return paths + [("/api" + p, f) for p, f in paths]

    def assert_operator_refused(self, wid=1, eid=1):
        """An operator's POST to each manager path: 403; the lists as they
        were."""
        before = (self.windows(), self.entries())
        oc, ocsrf = self.login("oper")
        for path, form in self.manager_paths(wid, eid):
            st, _, body = self.http("POST", path, dict(form, csrf=ocsrf), cookie=oc)
            self.assertEqual(st, 403, (path, body))
            self.assertIn("manager", body)
        st, _, _ = self.http("GET", "/manage", cookie=oc)
        self.assertEqual(st, 403)
        st, _, _ = self.http("GET", "/api/manage/entries", cookie=oc)
        self.assertEqual(st, 403)
        self.assertEqual((self.windows(), self.entries()), before)

    # --- tests -----------------------------------------------------------
    def test_1_without_session(self):
        st, h, _ = self.http("GET", "/manage")
        self.assertEqual((st, h["Location"]), (303, "/login"))
        st, h, _ = self.http("POST", "/manage/maintenance", {"service": "armo"})
        self.assertEqual((st, h["Location"]), (303, "/login"))
        for path in ("/api/manage/maintenance", "/api/manage/entries"):
            st, _, body = self.http("GET", path)
            self.assertEqual(st, 401, path)
            self.assertIn("error", json.loads(body))
        st, _, _ = self.http("POST", "/api/manage/entries", {"service": "armo"})
        self.assertEqual(st, 401)
        # Only a manager's header links to the page.
        oc, _ = self.login("oper")
        st, _, body = self.http("GET", "/", cookie=oc)
        self.assertNotIn('href="/manage"', body)
        mc, _ = self.login("boss")
        st, _, body = self.http("GET", "/", cookie=mc)
        self.assertIn('href="/manage"', body)
        self.assertEqual(self.windows(), [])
        self.assertEqual(self.entries(), [])

    def test_2_maintenance(self):
        mc, mcsrf = self.login("boss")
        st, _, body = self.http("GET", "/manage", cookie=mc)
        self.assertEqual(st, 200)
        self.assertIn('action="/manage/maintenance"', body)
        self.assertIn('name="csrf" value="%s"' % mcsrf, body)
        # The form's one select names the service or the component.
        self.assertIn('<option value="service:armo">armo</option>', body)
        self.assertIn('<option value="target:web-1">web-1</option>', body)
        form = {"on": "service:armo", "from": self.tomorrow + "T01:00",
                "to": self.tomorrow + "T03:00", "reason": "database upgrade"}
        # Without the CSRF token, or with an operator's: refused, nothing
        # entered.
        st, _, _ = self.http("POST", "/manage/maintenance", form, cookie=mc)
        self.assertEqual(st, 403)
        st, _, _ = self.http("POST", "/api/manage/maintenance", form, cookie=mc)
        self.assertEqual(st, 403)
        self.assert_operator_refused()
        self.assertEqual(self.windows(), [])
        # The manager's form: redirected to the page, the window in the CLI's
        # list with the manager as who entered it.
        st, h, body = self.http("POST", "/manage/maintenance", dict(form, csrf=mcsrf),
                                cookie=mc)
        self.assertEqual((st, h["Location"]), (303, "/manage"), body)
        [w] = self.windows()
        self.assertEqual((w["service"], w["target"], w["reason"], w["created_by"]),
                         ("armo", None, "database upgrade", "boss"))
        self.assertTrue(w["from"].startswith(self.tomorrow + "T01:00:00"), w)
        self.assertEqual(w["seconds"], 7200)
        self.assertFalse(w["revoked"])
        wid = w["id"]
        st, _, body = self.http("GET", "/manage", cookie=mc)
        self.assertIn('id="maint-%d"' % wid, body)
        self.assertIn('action="/manage/maintenance/%d/cancel"' % wid, body)
        # Bad fields: 400 with the reason, the form again as it was sent.
        for bad, why in ((dict(form, to=self.tomorrow + "T00:30", reason="backwards"),
                          "--to must come after --from"),
                         (dict(form, on="service:nosuch", reason="unknown"),
                          "no service 'nosuch'"),
                         (dict(form, reason=""), "--reason are required"),
                         (dict(form, service="armo", target="web-1", reason="both"),
                          "not both"),
                         (dict(form, **{"from": "tomorrow", "reason": "what time"}),
                          "--from 'tomorrow'")):
            st, _, body = self.http("POST", "/manage/maintenance", dict(bad, csrf=mcsrf),
                                    cookie=mc)
            self.assertEqual(st, 400, (bad, body))
            self.assertIn(why.replace("'", "&#39;"), body)
            self.assertIn('id="error"', body)
            self.assertIn('id="add-maintenance"', body)
            if bad["reason"]:
                self.assertIn('value="%s"' % bad["reason"], body)
            st, _, body = self.http("POST", "/api/manage/maintenance", bad, cookie=mc,
                                    headers={"X-CSRF-Token": mcsrf})
            self.assertEqual(st, 400)
            self.assertIn(why, json.loads(body)["error"])
        self.assertEqual([x["id"] for x in self.windows()], [wid])
        # The API, a JSON object: a component's window, answered as `maintenance
        # list --json` shows it.
        st, tw = self.api("/api/manage/maintenance",
                          {"target": "web-1", "from": self.tomorrow + "T04:00",
                           "to": self.tomorrow + "T05:00", "reason": "OS patches"}, mc, mcsrf)
        self.assertEqual(st, 200, tw)
        self.assertEqual((tw["target"], tw["service"], tw["created_by"]),
                         ("web-1", None, "boss"))
        self.assertIn(tw, self.windows())
        st, _, body = self.http("GET", "/api/manage/maintenance", cookie=mc)
        self.assertEqual((st, json.loads(body)), (200, self.windows()))
        # Cancelled: an operator may not, nor anyone without a reason.
        self.assert_operator_refused(wid=wid)
        st, _, body = self.http("POST", "/manage/maintenance/%d/cancel" % wid,
                                {"csrf": mcsrf, "reason": ""}, cookie=mc)
        self.assertEqual(st, 400, body)
        self.assertIn("a reason is required", body)
        self.assertFalse(self.windows()[0]["revoked"])
        st, h, body = self.http("POST", "/manage/maintenance/%d/cancel" % wid,
                                {"csrf": mcsrf, "reason": "postponed by the customer"},
                                cookie=mc)
        self.assertEqual((st, h["Location"]), (303, "/manage"), body)
        w = [x for x in self.windows() if x["id"] == wid][0]
        self.assertEqual((w["revoked"], w["revoked_by"], w["revoke_reason"]),
                         (True, "boss", "postponed by the customer"))
        rc, out, _ = run([GPROBE, "-c", self.cfg, "maintenance", "list"])
        self.assertTrue("CANCELLED" in out or "ОТМЕНЕНО" in out, out)
        # Once is enough; no such window is 404.
        st, _, body = self.http("POST", "/manage/maintenance/%d/cancel" % wid,
                                {"csrf": mcsrf, "reason": "again"}, cookie=mc)
        self.assertEqual(st, 409, body)
        st, body = self.api("/api/manage/maintenance/9999/cancel", {"reason": "x"}, mc, mcsrf)
        self.assertEqual(st, 404, body)
        st, body = self.api("/api/manage/maintenance/%d/cancel" % tw["id"],
                            {"reason": "done without a window"}, mc, mcsrf)
        self.assertEqual(st, 200, body)
        self.assertEqual((body["revoked"], body["revoked_by"]), (True, "boss"))
        st, _, body = self.http("GET", "/manage", cookie=mc)
        self.assertIn("postponed by the customer", body)
        self.assertNotIn('action="/manage/maintenance/%d/cancel"' % wid, body)

    def month_down(self, eid):
        """Last month's ledger: the seconds of entry eid's intervals, by
        class; and the report's supplier's seconds and penalty."""
        led = self.cli_json("downtime", "--month", self.last_month)
        by = {}
        for s in led["services"]:
            for iv in s["intervals"]:
                if iv["entry"] == eid:
                    key = (iv["class"], iv["attribution"])
                    by[key] = by.get(key, 0) + iv["seconds"]
        rep = self.cli_json("report", "--month", self.last_month)
        [svc] = rep["services"]
        return by, svc["down_supplier_seconds"], rep["penalty_tiyn"]

    def test_3_ledger_entries(self):
        mc, mcsrf = self.login("boss")
        lm = self.last_month
        form = {"service": "armo", "from": lm + "-10T10:00", "to": lm + "-10T12:30",
                "attribution": "supplier", "reason": "before the probe was installed"}
        st, _, body = self.http("GET", "/manage", cookie=mc)
        self.assertIn('action="/manage/entries"', body)
        self.assertIn('name="over_monitored"', body)
        _, sup0, pen0 = self.month_down(0)
        self.assertEqual((sup0, pen0), (0, 0))
        st, _, _ = self.http("POST", "/manage/entries", form, cookie=mc)
        self.assertEqual(st, 403)
        self.assert_operator_refused()
        self.assertEqual(self.entries(), [])
        st, h, body = self.http("POST", "/manage/entries", dict(form, csrf=mcsrf), cookie=mc)
        self.assertEqual((st, h["Location"]), (303, "/manage"), body)
        [e] = self.entries()
        self.assertEqual((e["service"], e["attribution"], e["over_monitored"], e["created_by"],
                          e["seconds"], e["revoked"]),
                         ("armo", "supplier", False, "boss", 9000, False))
        eid = e["id"]
        # The ledger and the report count it: 2.5 h of the supplier's,
        # 2.5 x 1 250 000.00 / 720 = 4 340.277... -> 434 028 tiyn.
        by, sup, pen = self.month_down(eid)
        self.assertEqual(by, {("down", "supplier"): 9000})
        self.assertEqual((sup, pen), (9000, 434028))
        # Refused fields: 400 with the reason, nothing entered.
        for bad, why in ((dict(form, to=lm + "-10T09:00"), "--to must come after --from"),
                         (dict(form, service="nosuch"), "no service 'nosuch'"),
                         (dict(form, attribution="nobody"), "attribution 'nobody'"),
                         (dict(form, reason="twice"), "overlaps downtime entry #%d" % eid),
                         (dict(form, **{"from": "2099-01-01T00:00", "to": "2099-01-01T01:00"}),
                          "in the future")):
            st, _, body = self.http("POST", "/manage/entries", dict(bad, csrf=mcsrf),
                                    cookie=mc)
            self.assertEqual(st, 400, (bad, body))
            self.assertIn(why.replace("'", "&#39;"), body)
            self.assertIn('id="add-entry"', body)
            st, _, body = self.http("POST", "/api/manage/entries", bad, cookie=mc,
                                    headers={"X-CSRF-Token": mcsrf})
            self.assertEqual(st, 400, body)
            self.assertIn(why, json.loads(body)["error"])
        self.assertEqual([x["id"] for x in self.entries()], [eid])
        # The checkbox: an outage the customer reported, through the API.
        st, e2 = self.api("/api/manage/entries",
                          {"service": "armo", "from": lm + "-11T10:00", "to": lm + "-11T11:00",
                           "attribution": "customer", "over_monitored": True,
                           "reason": "customer by phone"}, mc, mcsrf)
        self.assertEqual(st, 200, e2)
        self.assertEqual((e2["over_monitored"], e2["attribution"], e2["created_by"]),
                         (True, "customer", "boss"))
        self.assertIn(e2, self.entries())
        st, _, body = self.http("GET", "/api/manage/entries", cookie=mc)
        self.assertEqual(json.loads(body), self.entries())
        # Revoked: not by an operator, not without a reason; then by the
        # manager, and it no longer counts.
        self.assert_operator_refused(eid=eid)
        st, body = self.api("/api/manage/entries/%d/revoke" % eid, {}, mc, mcsrf)
        self.assertEqual(st, 400, body)
        self.assertFalse([x for x in self.entries() if x["id"] == eid][0]["revoked"])
        st, h, body = self.http("POST", "/manage/entries/%d/revoke" % eid,
                                {"csrf": mcsrf, "reason": "entered against the wrong service"},
                                cookie=mc)
        self.assertEqual((st, h["Location"]), (303, "/manage"), body)
        e = [x for x in self.entries() if x["id"] == eid][0]
        self.assertEqual((e["revoked"], e["revoked_by"], e["revoke_reason"]),
                         (True, "boss", "entered against the wrong service"))
        by, sup, pen = self.month_down(eid)
        self.assertEqual((by, sup, pen), ({}, 0, 0))
        st, body = self.api("/api/manage/entries/%d/revoke" % eid, {"reason": "again"}, mc,
                            mcsrf)
        self.assertEqual(st, 409, body)
        st, body = self.api("/api/manage/entries/%d/revoke" % e2["id"],
                            {"reason": "the customer withdrew it"}, mc, mcsrf)
        self.assertEqual((st, body["revoked"], body["revoked_by"]), (200, True, "boss"))
        st, _, body = self.http("GET", "/manage", cookie=mc)
        self.assertIn("entered against the wrong service", body)

    def test_4_void(self):
        self.comp.down()
        try:
            def probe_incident():
                incs = self.cli_json("incidents")
                return [i for i in incs if i["service"] == "armo" and i["channel"] == "probe"
                        and i["status"] == "open"]
            [inc] = wait_until("armo's incident opened", probe_incident, 60)
            iid = inc["id"]
            # An operator may not void; nor a manager without a reason.
            oc, ocsrf = self.login("oper")
            st, _, body = self.http("GET", "/incidents/%d" % iid, cookie=oc)
            self.assertNotIn("/void", body)
            st, _, _ = self.http("POST", "/incidents/%d/void" % iid,
                                 {"csrf": ocsrf, "reason": "x"}, cookie=oc)
            self.assertEqual(st, 403)
            st, _, _ = self.http("POST", "/api/incidents/%d/void" % iid, {"reason": "x"},
                                 cookie=oc, headers={"X-CSRF-Token": ocsrf})
            self.assertEqual(st, 403)
            mc, mcsrf = self.login("boss")
            st, _, _ = self.http("POST", "/incidents/%d/void" % iid, {"reason": "x"},
                                 cookie=mc)
            self.assertEqual(st, 403)
            st, _, body = self.http("POST", "/incidents/%d/void" % iid,
                                    {"csrf": mcsrf, "reason": ""}, cookie=mc)
            self.assertEqual(st, 400, body)
            self.assertIn("missing the reason", body)
            self.assertEqual(self.cli_json("incident", "show", str(iid))["status"], "open")
            # The manager's form on the incident's page.
            st, _, body = self.http("GET", "/incidents/%d" % iid, cookie=mc)
            self.assertIn('action="/incidents/%d/void"' % iid, body)
            reason = "false alarm: probe's switch port"
            st, h, body = self.http("POST", "/incidents/%d/void" % iid,
                                    {"csrf": mcsrf, "reason": reason}, cookie=mc)
            self.assertEqual((st, h["Location"]), (303, "/incidents/%d" % iid), body)
            shown = self.cli_json("incident", "show", str(iid))
            self.assertEqual(shown["status"], "voided")
            voids = [e for e in shown["timeline"] if e["new_status"] == "voided"]
            self.assertEqual([e["actor"] for e in voids], ["boss"])
            self.assertIn(reason, voids[0]["text"])
            # Voided already: the API's 409; the page offers it no more.
            st, body = self.api("/api/incidents/%d/void" % iid, {"reason": "again"}, mc, mcsrf)
            self.assertEqual(st, 409, body)
            st, _, body = self.http("GET", "/incidents/%d" % iid, cookie=mc)
            self.assertNotIn('action="/incidents/%d/void"' % iid, body)
        finally:
            self.comp.up()
        wait_until("armo UP", lambda: self.service_state() == "UP", 60)

    def test_9_remove_users(self):
        tc, _ = self.login("temp", PASSWORDS["temp"][1])
        st, _, _ = self.http("GET", "/", cookie=tc)
        self.assertEqual(st, 200)

        def passwd(*args, stdin=""):
            p = subprocess.run([GPROBE, "-c", self.cfg, "web", "passwd"] + list(args),
                               input=stdin, capture_output=True, text=True, timeout=60)
            return p.returncode, p.stdout, p.stderr

        rc, out, err = passwd("temp", "--remove")
        self.assertEqual(rc, 0, err)
        self.assertIn("removed", out)
        self.assertEqual(os.stat(self.users).st_mode & 0o777, 0o600)
        with open(self.users, encoding="utf-8") as f:
            names = [line.split(":")[0] for line in f if line.strip()]
        self.assertEqual(sorted(names), ["boss", "oper", "view"])
        # Its open session ends at its next request.
        st, h, _ = self.http("GET", "/", cookie=tc)
        self.assertEqual((st, h["Location"]), (303, "/login"))
        st, _, _ = self.http("GET", "/api/status", cookie=tc)
        self.assertEqual(st, 401)
        st, _, _ = self.http("POST", "/login", {"user": "temp",
                                                "password": PASSWORDS["temp"][1]})
        self.assertEqual(st, 401)
        self.login("oper")
        rc, _, err = passwd("temp", "--remove")
        self.assertEqual(rc, 1)
        self.assertIn("no user 'temp'", err)
        rc, _, err = passwd("oper", "--remove", "--role", "viewer")
        self.assertEqual(rc, 1)
        oc, _ = self.login("oper")
        # A new role ends the sessions of the old one.
        rc, _, err = passwd("oper", "--role", "viewer", stdin=PASSWORDS["oper"][1] + "\n")
        self.assertEqual(rc, 0, err)
        st, h, _ = self.http("GET", "/", cookie=oc)
        self.assertEqual((st, h["Location"]), (303, "/login"))
        oc, _ = self.login("oper")
        st, _, body = self.http("GET", "/", cookie=oc)
        self.assertIn("oper (viewer)", body)
        # The last manager may go: it is said, and the console has none.
        rc, out, err = passwd("boss", "--remove")
        self.assertEqual(rc, 0, err)
        self.assertIn("no manager is left", err)
        st, _, _ = self.http("POST", "/login", {"user": "boss",
                                                "password": PASSWORDS["boss"][1]})
        self.assertEqual(st, 401)
        self.login("view")


if __name__ == "__main__":
    unittest.main(verbosity=2)
