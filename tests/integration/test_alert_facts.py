#!/usr/bin/python3
"""What the NOC's mails say, against what the ledger recorded: `gprobe run`
over components this test opens and closes (TCP listeners), mails through
aiosmtpd. A reopen through another component tells of that component and
of this outage, not of the incident's first; a restore names what came
back and lasts what the ledger says; lost redundancy is its own mail."""
import datetime
import json
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estate import EstateTest, epoch  # noqa: E402
from labtest import GPROBE, run, wait_until  # noqa: E402

TZ = "Asia/Almaty"


def local(iso):
    """As the mails show a time: '2026-12-01 22:46:33 (Asia/Almaty)'."""
    return "%s (%s)" % (iso[:19].replace("T", " "), TZ)


def hms_ru(seconds):
    """The mails' Russian duration."""
    if seconds >= 3600:
        return "%d ч %02d мин" % (seconds // 3600, seconds // 60 % 60)
    if seconds >= 60:
        return "%d мин %02d с" % (seconds // 60, seconds % 60)
    return "%d с" % seconds


class FactsTest(EstateTest):
    COMPONENTS = ("conf-1", "ocs-1", "ocs-2", "stat-1", "stat-2")
    SERVICES = """  - {name: outbound, title: "Исходящий обзвон", up_when: "any(ocs-1, ocs-2) and conf-1",
     priority: P2}
  - {name: stat-monitor, title: "Монитор статистики", up_when: "any(stat-1, stat-2)",
     priority: P1}
"""
    EXTRA = "calendar: {timezone: %s}\nincidents: {reopen_window: 3s}\n" % TZ

    def outages(self, service):
        return self.json("downtime", "--raw", "--json", "--service",
                         service)["services"][0]["outages"]

    def mail(self, word, containing=""):
        """The mail whose subject has word and whose body has containing,
        once it came: (to, subject, body with LF line ends)."""
        def got():
            for to, subject, body, _ in self.smtp.messages():
                body = body.replace("\r\n", "\n")
                if word in subject and containing in body:
                    return to, subject, body
            return None
        return wait_until("a mail '%s' with '%s'" % (word, containing), got, 30)

    def down_for(self, outage, seconds):
        wait_until("%d s into the outage" % seconds,
                   lambda: time.time() >= epoch(outage["from"]) + seconds)

    def components(self, body):
        """The names the mail lists under its components heading."""
        part = re.search(r"компоненты:\n((?:  .*\n)+)", body)
        self.assertIsNotNone(part, body)
        return re.findall(r"^  (\S+) \(127\.0\.0\.1\)$", part.group(1), re.M)

    def test_reopen_through_another_component(self):
        self.wait_state("outbound", "UP")
        # The first outage: both OCS down.
        self.comps["ocs-1"].down()
        self.comps["ocs-2"].down()
        self.wait_state("outbound", "DOWN")
        first = self.mail("Недоступен сервис «Исходящий обзвон»")
        o1 = self.outages("outbound")[0]
        self.assertIn("недоступен с %s" % local(o1["from"]), first[2])
        self.assertEqual(sorted(self.components(first[2])), ["ocs-1", "ocs-2"])
        self.assertIn("Диагностика: gprobe diag ocs-1", first[2])
        self.assertIn("Диагностика: gprobe diag ocs-2", first[2])
        self.assertIn("port: CRITICAL", first[2])
        self.assertIn("статус: открыт", first[2])

        # Down for whole seconds of the ledger (polls late on a loaded
        # machine can make an outage shorter than its first second).
        self.down_for(o1, 2)
        self.comps["ocs-1"].up()
        self.comps["ocs-2"].up()
        self.wait_state("outbound", "UP")
        back = self.mail("Восстановлен сервис «Исходящий обзвон»", "ocs-1 (")
        o1 = self.outages("outbound")[0]
        self.assertIsNotNone(o1["to"])
        self.assertIn("простой длился %s" % hms_ru(epoch(o1["to"]) - epoch(o1["from"])), back[2])
        self.assertEqual(sorted(self.components(back[2])), ["ocs-1", "ocs-2"])
        self.assertNotIn("Недоступные", back[2])

        # Down again within the reopen window, through the Framework.
        self.comps["conf-1"].down()
        self.wait_state("outbound", "DOWN")
        again = self.mail("Снова недоступен сервис «Исходящий обзвон»")
        outages = self.outages("outbound")
        self.assertEqual(len(outages), 2)
        o2 = outages[1]
        self.assertEqual(o2["incident"], o1["incident"], "the same incident")
        self.assertIn("недоступен с %s" % local(o2["from"]), again[2])
        self.assertNotIn(local(o1["from"]), again[2])
        self.assertEqual(self.components(again[2]), ["conf-1"])
        self.assertIn("Диагностика: gprobe diag conf-1", again[2])
        self.assertNotIn("ocs-1", again[2])

        self.down_for(o2, 2)
        self.comps["conf-1"].up()
        self.wait_state("outbound", "UP")
        back2 = self.mail("Восстановлен сервис «Исходящий обзвон»", "conf-1 (")
        o2 = self.outages("outbound")[1]
        self.assertIn("простой длился %s (с %s)" % (hms_ru(epoch(o2["to"]) - epoch(o2["from"])),
                                                   local(o2["from"])), back2[2])
        self.assertEqual(self.components(back2[2]), ["conf-1"])

        # Attribution per outage: the first was the customer's; the
        # second, through conf-1, stays the supplier's.
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "attribute", "1", "customer",
                            "--reason", "the customer's OCS maintenance", "--outage", "1"])
        self.assertEqual(rc, 0, err)
        shown = self.json("incident", "show", "1", "--json")
        self.assertEqual([(o["n"], o["attribution"], o["members"]) for o in shown["outages"]],
                         [(1, "customer", "ocs-1,ocs-2"), (2, "supplier", "conf-1")])
        self.assertEqual(shown["attribution"], "supplier", "the incident follows its latest")
        intervals = self.json("downtime", "--json", "--service",
                              "outbound")["services"][0]["intervals"]
        down = [i for i in intervals if i["class"] == "down"]
        self.assertEqual(sorted((epoch(i["from"]), i["attribution"]) for i in down),
                         [(epoch(o1["from"]), "customer"), (epoch(o2["from"]), "supplier")],
                         json.dumps({"intervals": intervals, "raw": self.json(
                             "downtime", "--raw", "--json", "--service", "outbound")}, indent=1))
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "attribute", "1", "customer",
                            "--reason", "x", "--outage", "3"])
        self.assertEqual(rc, 1)
        self.assertIn("incident #1 has no outage 3", err)
        # Without --outage: the latest, and the incident with it.
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "attribute", "1", "third-party",
                            "--reason", "the operator's link"])
        self.assertEqual(rc, 0, err)
        shown = self.json("incident", "show", "1", "--json")
        self.assertEqual([o["attribution"] for o in shown["outages"]], ["customer", "third-party"])
        self.assertEqual(shown["attribution"], "third-party")
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=30), 0)

    def test_redundancy_lost(self):
        self.wait_state("stat-monitor", "UP")
        self.comps["stat-2"].down()
        self.wait_state("stat-monitor", "DEGRADED")
        mail = self.mail("Избыточность потеряна")
        self.assertIn("[P3 #", mail[1])
        self.assertIn("«Монитор статистики» (stat-monitor) работает", mail[2])
        self.assertNotIn("Недоступен сервис", mail[1])
        self.assertEqual(self.components(mail[2]), ["stat-2"])
        self.assertIn("Диагностика: gprobe diag stat-2", mail[2])
        since = [s for s in self.json("status", "--json")["services"]
                 if s["name"] == "stat-monitor"][0]["since"]
        self.assertIn("с %s потеряна избыточность" % local(since), mail[2])
        # `gprobe status` shows the P3 beside the service.
        svc = [s for s in self.json("status", "--json")["services"]
               if s["name"] == "stat-monitor"][0]
        self.assertEqual((svc["incident"]["priority"], svc["incident"]["status"]), ("P3", "open"))
        rc, out, err = run([GPROBE, "-c", self.cfg, "status"])
        self.assertRegex(out, r"stat-monitor +DEGRADED .*  incident #1 \(P3, open\)\n")

    def test_redundancy_lost_on_a_request_in_work(self):
        """A request by phone is in work: the lost redundancy is noted on
        it and told on its thread, once, not silently dropped."""
        self.wait_state("stat-monitor", "UP")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "open", "--service",
                            "stat-monitor", "--priority", "P2", "--channel", "phone",
                            "--reported-at", now, "--text", "agents see old figures"])
        self.assertEqual(rc, 0, err)
        self.comps["stat-1"].down()
        self.wait_state("stat-monitor", "DEGRADED")
        mail = self.mail("Избыточность потеряна")
        self.assertIn("[P2 #1]", mail[1])
        self.assertEqual(self.components(mail[2]), ["stat-1"])
        # Noted once, though the daemon looks every second (the loss
        # counts after reopen_window, 3 s; then 3 s more).
        since = [s for s in self.json("status", "--json")["services"]
                 if s["name"] == "stat-monitor"][0]["since"]
        wait_until("a few more turns", lambda: self.heartbeat() > epoch(since) + 3 + 3)
        incidents = self.json("incidents", "--all", "--json")
        self.assertEqual(len(incidents), 1, incidents)
        kinds = [e["kind"] for e in self.json("incident", "show", "1", "--json")["timeline"]]
        self.assertEqual(kinds.count("degraded"), 1, kinds)
        self.assertEqual(len([m for m in self.smtp.messages() if "Избыточность" in m[1]]), 1)


class LanguageTest(EstateTest):
    """A Russian mail is Russian through and through: the check's judgement
    of its value too (a connect time inside an alerting range here)."""
    COMPONENTS = ("app-1",)
    CHECKS = {"app-1": ['{name: latency, tcp_connect: {PORT}, critical: "@0:100000"}']}
    SERVICES = '  - {name: app, title: "Приложение", up_when: app-1, priority: P2}\n'
    EXTRA = "calendar: {timezone: %s}\n" % TZ

    def test_check_text_in_the_mails_language(self):
        self.wait_state("app", "DOWN")

        def opened():
            for _, subject, body, _ in self.smtp.messages():
                if "Недоступен сервис «Приложение»" in subject:
                    return body.replace("\r\n", "\n")
            return None
        body = wait_until("the mail", opened, 30)
        self.assertRegex(body, r"    latency: CRITICAL - .*[0-9.]+ вне критического диапазона "
                               r"'@0:100000'\n")
        self.assertNotIn("outside", body)


class CauseEstate(EstateTest):
    """The Framework's conf-1 under three services, and a fourth service
    without it."""
    COMPONENTS = ("conf-1", "ocs-1", "stat-1")
    SERVICES = """  - {name: outbound, title: "Исходящий обзвон", up_when: "ocs-1 and conf-1", priority: P2}
  - {name: stat-monitor, title: "Монитор статистики", up_when: "stat-1 and conf-1", priority: P1}
  - {name: config, title: "Конфигурация", up_when: conf-1, priority: P1}
  - {name: ocs-only, up_when: ocs-1, priority: P3}
"""
    EXTRA = "calendar: {timezone: %s}\n" % TZ

    def mails(self):
        return [(s, b.replace("\r\n", "\n")) for _, s, b, _ in self.smtp.messages()]


class CauseTest(CauseEstate):
    """One mail names conf-1 and every service with its incident, one mail
    tells of the restore; each service still has its own incident."""

    def test_one_mail_per_root_cause(self):
        for s in ("outbound", "stat-monitor", "config", "ocs-only"):
            self.wait_state(s, "UP")
        self.comps["conf-1"].down()
        for s in ("outbound", "stat-monitor", "config"):
            self.wait_state(s, "DOWN")
        self.assertEqual(self.state("ocs-only"), "UP")
        subject, body = wait_until("the cause mail", lambda: [
            m for m in self.mails() if "Недоступен компонент conf-1" in m[0]], 30)[0]
        incidents = self.json("incidents", "--json")
        self.assertEqual(sorted(i["service"] for i in incidents),
                         ["config", "outbound", "stat-monitor"])
        ids = {i["service"]: i["id"] for i in incidents}
        self.assertRegex(subject, r"^\[P1( #\d){3}\] Недоступен компонент conf-1: сервисов 3$")
        self.assertIn("Компонент conf-1 (127.0.0.1) недоступен с", body)
        for svc, title in (("outbound", "Исходящий обзвон"),
                           ("stat-monitor", "Монитор статистики"), ("config", "Конфигурация")):
            self.assertIn("  «%s» (%s): инцидент #%d, " % (title, svc, ids[svc]), body)
        self.assertIn("port: CRITICAL", body)
        self.assertIn("Диагностика: gprobe diag conf-1", body)
        # ... and no mail per service.
        self.assertEqual([m[0] for m in self.mails() if "Недоступен сервис" in m[0]], [])

        self.comps["conf-1"].up()
        for s in ("outbound", "stat-monitor", "config"):
            self.wait_state(s, "UP")
        subject, body = wait_until("the cause's restore", lambda: [
            m for m in self.mails() if "Восстановлен компонент conf-1" in m[0]], 30)[0]
        self.assertIn("сервисов 3", subject)
        self.assertIn("Компонент conf-1 (127.0.0.1) снова доступен с", body)
        self.assertEqual([m[0] for m in self.mails() if "Восстановлен сервис" in m[0]], [])
        self.assertEqual(len(self.mails()), 2, [m[0] for m in self.mails()])


class CauseFlapTest(CauseEstate):
    """The cause comes back and falls again within the restore delay: its
    restore mail is held back and dropped, no "down again" is sent, and
    the final restore is told once."""
    RESTORE_DELAY = "6s"

    def test_flap_of_the_cause(self):
        for s in ("outbound", "stat-monitor", "config"):
            self.wait_state(s, "UP")
        self.comps["conf-1"].down()
        wait_until("the cause mail", lambda: [
            m for m in self.mails() if "Недоступен компонент conf-1" in m[0]], 30)
        self.comps["conf-1"].up()
        for s in ("outbound", "stat-monitor", "config"):
            self.wait_state(s, "UP")
        back = self.heartbeat()
        self.comps["conf-1"].down()
        for s in ("outbound", "stat-monitor", "config"):
            self.wait_state(s, "DOWN")
        self.assertLess(self.heartbeat(), back + 6, "fell again within the restore delay")
        wait_until("past the restore delay", lambda: self.heartbeat() >= back + 6 + 2, 30)
        self.assertEqual([m[0] for m in self.mails()],
                         [m[0] for m in self.mails() if "Недоступен компонент" in m[0]])
        self.assertEqual(len(self.mails()), 1, [m[0] for m in self.mails()])
        self.comps["conf-1"].up()
        wait_until("the restore", lambda: [
            m for m in self.mails() if "Восстановлен компонент conf-1" in m[0]], 30)
        self.assertEqual(len(self.mails()), 2, [m[0] for m in self.mails()])


if __name__ == "__main__":
    unittest.main(verbosity=2)
