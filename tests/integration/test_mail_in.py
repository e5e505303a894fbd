#!/usr/bin/python3
"""Acknowledging and confirming by replying (`gprobe mail-in`): `gprobe run`
over components this test opens and closes, mails through aiosmtpd. The
real alert mail is answered as a mail client would (Re: subject,
In-Reply-To, References, the original quoted, quoted-printable) and piped
to `gprobe mail-in`: the NOC's "принято" acknowledges the incident as its
sender; forged replies (a wrong token, the token of another incident, an
unknown sender, no token) are refused with their reason and change
nothing; the "resolved" mail reaches the customer's contacts with the
auto-close moment, and a contact's "подтверждаю" closes the incident."""
import datetime
import email
import email.policy
import json
import mailbox
import os
import re
import subprocess
import sys
import unittest
import zoneinfo
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, run, wait_until  # noqa: E402
from estate import EstateTest  # noqa: E402

TZ = "Asia/Almaty"
NOC = "noc@example.kz"
CONTACT = "aigul@customer.kz"


def add_working(t, seconds, tz=TZ):
    """t plus `seconds` of working time (Mon-Fri 09:00-18:00 in tz, no
    holidays), as the contract counts it."""
    z = zoneinfo.ZoneInfo(tz)
    cur = datetime.datetime.fromtimestamp(t, z)
    left = seconds
    while True:
        day = cur.date()
        start = datetime.datetime(day.year, day.month, day.day, 9, tzinfo=z)
        end = datetime.datetime(day.year, day.month, day.day, 18, tzinfo=z)
        if cur.weekday() < 5 and cur < end:
            frm = max(cur, start)
            avail = (end - frm).total_seconds()
            if avail >= left:
                return frm + datetime.timedelta(seconds=left)
            left -= avail
        nxt = day + datetime.timedelta(days=1)
        cur = datetime.datetime(nxt.year, nxt.month, nxt.day, 0, tzinfo=z)


class MailInTest(EstateTest):
    COMPONENTS = ("ocs-1", "stat-1")
    SERVICES = """  - {name: outbound, title: "Исходящий обзвон", up_when: "ocs-1", priority: P2}
  - {name: stat-monitor, title: "Монитор статистики", up_when: "stat-1", priority: P1}
"""
    EXTRA = f"""calendar:
  timezone: {TZ}
  working_days: [mon, tue, wed, thu, fri]
  working_hours: "09:00-18:00"
  holidays: [2020-01-01]
incidents: {{reopen_window: 1s, auto_close_working_days: 5}}
contacts:
  - {{name: "Айгуль Сериккызы", email: {CONTACT}}}
"""

    def prepare(self):
        self.secret = os.path.join(self.tmp.name, "reply.secret")
        fd = os.open(self.secret, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"a-reply-secret-of-this-test\n")
        os.close(fd)

    def email_extra(self):
        return ("    reply_to: gprobe@example.kz\n"
                "    reply_secret_file: %s\n" % self.secret)

    # -- helpers -----------------------------------------------------------

    def raw_mails(self):
        box = os.path.join(self.tmp.name, "mail")
        if not os.path.isdir(box):
            return []
        md = mailbox.Maildir(box, create=False)
        return [email.message_from_bytes(md.get_bytes(k), policy=email.policy.default)
                for k in md.keys()]

    def mail(self, to, word):
        """The real mail to `to` whose subject has word, once it came."""
        def got():
            for m in self.raw_mails():
                if str(m["To"]) == to and word in str(m["Subject"]):
                    return m
            return None
        return wait_until("a mail '%s' to %s" % (word, to), got, 30)

    def states(self):
        rc, out, _ = run([GPROBE, "-c", self.cfg, "status", "--json"])
        if rc != 0:  # the daemon has not written its schema yet
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}

    def incident_of(self, service):
        for i in self.json("incidents", "--all", "--json"):
            if i["service"] == service:
                return i
        return None

    def show(self, n):
        return self.json("incident", "show", str(n), "--json")

    def reply(self, original, sender, first_line, to=None):
        """A reply as a mail client makes it: to the Reply-To, Re: subject,
        threaded, the original quoted below the answer."""
        r = EmailMessage()
        r["From"] = "Дежурный <%s>" % sender
        r["To"] = to if to is not None else str(original["Reply-To"])
        r["Subject"] = "Re: " + str(original["Subject"])
        r["Message-ID"] = email.utils.make_msgid(domain="client.example.kz")
        r["In-Reply-To"] = str(original["Message-ID"])
        r["References"] = "%s %s" % (original["References"], original["Message-ID"])
        quoted = "\n".join("> " + line for line in original.get_content().splitlines())
        r.set_content("%s\n\nOn %s gprobe wrote:\n%s\n" % (first_line, original["Date"], quoted),
                      cte="quoted-printable")
        return r.as_bytes(policy=email.policy.SMTP)  # CRLF, as delivered

    def mail_in(self, message):
        p = subprocess.run([GPROBE, "-c", self.cfg, "mail-in"], input=message,
                           capture_output=True, timeout=60)
        return p.returncode, p.stderr.decode("utf-8", "replace")

    # -- the test ----------------------------------------------------------

    def test_ack_forgeries_and_confirm(self):
        wait_until("both services up",
                   lambda: self.states() == {"outbound": "UP", "stat-monitor": "UP"}, 30)
        self.comps["ocs-1"].down()
        self.comps["stat-1"].down()
        ocs = self.mail(NOC, "Недоступен сервис «Исходящий обзвон»")
        stat = self.mail(NOC, "Недоступен сервис «Монитор статистики»")
        n_ocs = self.incident_of("outbound")["id"]
        n_stat = self.incident_of("stat-monitor")["id"]
        self.assertNotEqual(n_ocs, n_stat)
        # The alert tells how to answer, and where replies go.
        self.assertIn("ответьте на это письмо, написав первой строкой «принято»",
                      ocs.get_content())
        self.assertRegex(str(ocs["Reply-To"]),
                         r"^gprobe\+%d\.opened\.[0-9a-f]{24}@example\.kz$" % n_ocs)
        self.assertIn("<gprobe.incident.%d@example.kz>" % n_ocs, str(ocs["References"]))
        timeline0 = self.show(n_ocs)["timeline"]

        # Forgeries: each refused with its reason, exit 0, nothing changes.
        token_stat = re.search(r"\.([0-9a-f]{24})@", str(stat["Reply-To"])).group(1)
        token_ocs = re.search(r"\.([0-9a-f]{24})@", str(ocs["Reply-To"])).group(1)
        wrong = token_ocs[:-1] + ("0" if token_ocs[-1] != "0" else "1")
        forged = [
            ("a wrong token", self.reply(ocs, NOC, "принято",
                                         to="gprobe+%d.opened.%s@example.kz" % (n_ocs, wrong)),
             "the reply token does not match"),
            ("another incident's token",
             self.reply(ocs, NOC, "принято",
                        to="gprobe+%d.opened.%s@example.kz" % (n_ocs, token_stat)),
             "the reply token does not match"),
            ("an unknown sender", self.reply(ocs, "mallory@evil.example", "принято"),
             "mallory@evil.example may not acknowledge"),
            ("no token", self.reply(ocs, NOC, "принято", to="gprobe@example.kz"),
             "no reply token"),
        ]
        for what, msg, why in forged:
            rc, err = self.mail_in(msg)
            self.assertEqual(rc, 0, "%s: bounce-free: %s" % (what, err))
            self.assertIn("refused", err, what)
            self.assertIn(why, err, what)
            self.assertNotIn(token_ocs, err, "%s: the log shows no token" % what)
            self.assertEqual(self.incident_of("outbound")["status"], "open", what)
            self.assertEqual(self.show(n_ocs)["timeline"], timeline0, what)
        # A broken message: refused with the reason, never a crash.
        rc, err = self.mail_in(b"\x00\xff garbage without headers\r\n\r\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("refused: a broken message", err)

        # The genuine reply: acknowledged by its sender.
        rc, err = self.mail_in(self.reply(ocs, NOC, "Принято, смотрю OCS"))
        self.assertEqual(rc, 0, err)
        self.assertIn("accepted ack of incident #%d from %s" % (n_ocs, NOC), err)
        inc = self.incident_of("outbound")
        self.assertEqual(inc["status"], "acknowledged")
        tl = self.show(n_ocs)["timeline"]
        ack = [e for e in tl if e["kind"] == "ack"]
        self.assertEqual(len(ack), 1, tl)
        self.assertEqual(ack[0]["actor"], NOC)
        self.assertIn("taken into work by %s" % NOC, ack[0]["text"])
        notes = [e for e in tl if e["kind"] == "note"]
        self.assertEqual([(e["actor"], e["text"]) for e in notes],
                         [(NOC, "by e-mail: смотрю OCS")])
        # The other incident is untouched; a second ack is refused by the
        # incident API with its reason.
        self.assertEqual(self.incident_of("stat-monitor")["status"], "open")
        rc, err = self.mail_in(self.reply(ocs, NOC, "ack"))
        self.assertEqual(rc, 0, err)
        self.assertIn("refused ack of incident #%d from %s: incident #%d is acknowledged"
                      % (n_ocs, NOC, n_ocs), err)

        # Restore, resolve: the customer's contacts get the resolution.
        self.comps["ocs-1"].up()
        wait_until("restored", lambda: self.incident_of("outbound")["status"] == "restored", 30)
        rc, out, err = run([GPROBE, "-c", self.cfg, "incident", "resolve", str(n_ocs),
                            "OCS перезапущен, очередь обзвона восстановлена"])
        self.assertEqual(rc, 0, err)
        resolved = self.mail(CONTACT, "Решён инцидент")
        self.mail(NOC, "Решён инцидент")
        body = resolved.get_content().replace("\r\n", "\n")
        self.assertIn("OCS перезапущен, очередь обзвона восстановлена", body)
        self.assertIn("подтверждаю\n", body)
        self.assertIn("отклоняю: ПРИЧИНА", body)
        resolved_at = datetime.datetime.fromisoformat(
            self.incident_of("outbound")["resolved_at"]).timestamp()
        close = add_working(resolved_at, 5 * 9 * 3600)
        self.assertIn("будет считаться закрытым %s (%s) (через 5 рабочих дн.)"
                      % (close.strftime("%Y-%m-%d %H:%M:%S"), TZ), body)
        self.assertRegex(str(resolved["Reply-To"]),
                         r"^gprobe\+%d\.resolved\.[0-9a-f]{24}@example\.kz$" % n_ocs)
        # The NOC may not confirm for the customer; a contact may not ack.
        rc, err = self.mail_in(self.reply(resolved, NOC, "подтверждаю"))
        self.assertIn("may not confirm a resolution", err)
        rc, err = self.mail_in(self.reply(stat, CONTACT, "принято"))
        self.assertIn("%s may not acknowledge" % CONTACT, err)
        self.assertEqual(self.incident_of("outbound")["status"], "resolved")
        self.assertEqual(self.incident_of("stat-monitor")["status"], "open")
        # The contact confirms: closed, the contact as the actor.
        rc, err = self.mail_in(self.reply(resolved, CONTACT, "Подтверждаю"))
        self.assertEqual(rc, 0, err)
        self.assertIn("accepted confirm of incident #%d from %s" % (n_ocs, CONTACT), err)
        self.assertEqual(self.incident_of("outbound")["status"], "closed")
        confirm = [e for e in self.show(n_ocs)["timeline"] if e["kind"] == "confirm"]
        self.assertEqual([(e["actor"], e["text"]) for e in confirm],
                         [(CONTACT, "resolution confirmed")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
