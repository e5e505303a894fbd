#!/usr/bin/python3
"""A crash in the hand-over of a mail: `gprobe run` watches one component
(a TCP listener this test closes, so that an incident opens and one mail is
queued) and sends to an SMTP server in this process (aiosmtpd) that keeps
each message as soon as its DATA ends, then holds its 250 until the test
lets it go. The daemon is killed with SIGKILL while the server holds the
reply, several times, and restarted each time.

What must hold: while the reply is held, `gprobe status --json` shows the
row 'sending' with its attempt number (also with the daemon dead); every
restart hands the mail over again with the same Message-ID; once the
server answers, the row is 'sent' and nothing more arrives. The server
then has one copy per hand-over, kills + 1, all with one Message-ID:
at-least-once, deduplicable."""
import asyncio
import email
import email.policy
import json
import os
import signal
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, Daemon, run, wait_until, with_store  # noqa: E402
from test_alerts import Component, free_port  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

KILLS = 4


class HoldingSmtp:
    """aiosmtpd that stores a message when its DATA ends and, while
    `holding`, answers 250 only when the test releases it (or after a
    minute: no wait without a deadline)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.copies = []          # Message-IDs, in arrival order
        self.holding = True
        self.release = threading.Event()
        self.held = 0             # replies being held now
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.port = self.controller.port

    async def handle_DATA(self, server, session, envelope):
        m = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.copies.append(str(m["Message-ID"]))
            hold = self.holding
            release = self.release
            if hold:
                self.held += 1
        if hold:
            # Cancelled when the client's connection drops: counted out
            # all the same.
            try:
                await asyncio.get_running_loop().run_in_executor(None, release.wait, 60)
            finally:
                with self.lock:
                    self.held -= 1
        return "250 OK: queued"

    def let_go(self, keep_holding):
        """Answers the held replies; later ones are held if keep_holding."""
        with self.lock:
            release, self.release = self.release, threading.Event()
            self.holding = keep_holding
        release.set()

    def start(self):
        self.controller.start()

    def stop(self):
        self.let_go(False)
        self.controller.stop()


class CrashInHandOverTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.comp = Component()
        self.comp.up()
        self.smtp = HoldingSmtp()
        self.smtp.start()
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(with_store(f"""probe: {{data_dir: {self.data}, interval: 1s, retry_interval: 1s,
        timeout: 1s, attempts: 1, rrd: false}}
targets:
  - {{name: stat-1, host: 127.0.0.1, owner: supplier,
     checks: [{{name: port, tcp_connect: {self.comp.port}}}]}}
services:
  - {{name: stat-monitor, title: "Монитор статистики", up_when: stat-1, priority: P1}}
alerts:
  email:
    smtp_url: "smtp://127.0.0.1:{self.smtp.port}"
    from: gprobe@example.kz
    to: [noc@example.kz]
    language: en
    timeout: 30s
"""))
        self.logpath = os.path.join(self.tmp.name, "run.log")
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.stop(signal.SIGKILL)
        self.smtp.stop()
        self.comp.down()
        self.tmp.cleanup()

    def start(self):
        self.daemon = Daemon(self.cfg, self.logpath)

    def logged(self):
        with open(self.logpath, encoding="utf-8") as f:
            return f.read()

    def kill(self):
        self.daemon.stop(signal.SIGKILL)

    def has_store(self):
        """Whether the daemon made its store: status can read it."""
        return run([GPROBE, "-c", self.cfg, "status", "--json"])[0] == 0

    def status(self):
        rc, out, err = run([GPROBE, "-c", self.cfg, "status", "--json"])
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def copies(self):
        with self.smtp.lock:
            return list(self.smtp.copies)

    def test_killed_while_the_server_holds_its_250(self):
        self.start()
        wait_until("stat-monitor UP", lambda: self.has_store() and any(
            s["state"] == "UP" for s in self.status()["services"]), 30)
        self.comp.down()
        seen = []  # per kill: (status, attempts) of the row as status shows it, daemon dead
        for kill in range(KILLS):
            wait_until("hand-over %d held" % (kill + 1),
                       lambda: len(self.copies()) == kill + 1 and self.smtp.held == 1, 60)
            live = self.status()
            self.kill()
            dead = self.status()
            # .get: the same test reproduces a gprobe of before 'sending'.
            rows = dead.get("sending_alerts", [])
            seen.append((dead["alerts"].get("sending", 0), dead["alerts"]["queued"],
                         [(r["status"], r["attempts"], r["message_id"]) for r in rows]))
            sys.stderr.write("kill %d: while held %s; after SIGKILL %s\n"
                             % (kill + 1, live["alerts"], seen[-1]))
            # The server answers the connection of the dead daemon; the
            # next hand-over is held again, but for the last kill's.
            self.smtp.let_go(keep_holding=kill + 1 < KILLS)
            self.start()
        wait_until("the mail sent", lambda: self.status()["alerts"]["sent"] == 1, 60)
        final = self.status()
        self.assertEqual(self.daemon.stop(), 0)

        copies = self.copies()
        sys.stderr.write("%d kills in the hand-over: %d copies arrived, %d Message-ID(s): %s\n"
                         % (KILLS, len(copies), len(set(copies)), sorted(set(copies))))
        # One copy per hand-over, one Message-ID for all of them.
        self.assertEqual(len(copies), KILLS + 1)
        self.assertEqual(len(set(copies)), 1, copies)
        # Each kill left the row 'sending' with that hand-over's attempt
        # and the id the server saw; never back to a quiet 'queued'.
        for kill, (sending, queued, rows) in enumerate(seen):
            self.assertEqual((sending, queued), (1, 0),
                             "kill %d: %s" % (kill + 1, self.logged()[-4000:]))
            self.assertEqual(rows, [("sending", kill + 1, copies[0])])
        self.assertEqual(final["alerts"].get("sending"), 0)
        self.assertEqual(final["sending_alerts"], [])
        log = self.logged()
        self.assertEqual(log.count("was left sending by try"), KILLS, log[-3000:])
        self.assertIn("again with the same id %s" % copies[0], log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
