#!/usr/bin/python3
"""Alerts through the outbox: `gprobe run` watching one component (a TCP
listener this test opens and closes), its own SMTP server (aiosmtpd, on a
free port, stopped and restarted by PID) and a webhook receiver (an HTTP
server in this process that answers 500 first). Every mail arrives exactly
once, also across an SMTP outage and a kill -9 of the daemon; a flapping
service makes one incident and a few mails; the webhook's JSON is signed
and a 500 is retried."""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import mailbox
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, PG_DIR, pg_createdb, run, wait_until, with_store  # noqa: E402

SECRET = b"webhook-secret-for-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Component:
    """A TCP port that is up while it listens."""

    def __init__(self):
        self.port = free_port()
        self.sock = None

    def up(self):
        if self.sock is None:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", self.port))
            self.sock.listen(64)
            self.thread = threading.Thread(target=self._accept, args=(self.sock,), daemon=True)
            self.thread.start()

    def _accept(self, sock):
        while True:
            try:
                c, _ = sock.accept()
                c.close()
            except OSError:
                return

    def down(self):
        if self.sock is not None:
            # shutdown() wakes the thread blocked in accept(); the port is
            # free once it has returned.
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.thread.join(timeout=10)
            self.sock.close()
            self.sock = None


class Smtp:
    """aiosmtpd storing each message in a Maildir."""

    def __init__(self, directory, tls=()):
        self.port = free_port()
        os.makedirs(directory, exist_ok=True)
        self.dir = os.path.join(directory, "mail")
        self.tls = list(tls)  # --tlscert C --tlskey K (STARTTLS), --smtpscert...
        self.p = None

    def start(self):
        self.p = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                   "127.0.0.1:%d" % self.port] + self.tls +
                                  ["-c", "aiosmtpd.handlers.Mailbox", self.dir],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_until("smtp listening", listening)

    def alerts_yaml(self):
        """A config's `alerts:` block mailing the NOC through this server
        (English, restore_delay 1s, a 2 s timeout)."""
        return f"""alerts:
  restore_delay: 1s
  email:
    smtp_url: "smtp://127.0.0.1:{self.port}"
    from: gprobe@example.kz
    to: [noc@example.kz]
    language: en
    timeout: 2s
"""

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            self.p.wait(timeout=30)

    def messages(self):
        """[(to, subject, body, message-id)], decoded."""
        if not os.path.isdir(self.dir):
            return []
        out = []
        box = mailbox.Maildir(self.dir, create=False)
        for key in box.keys():
            m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            out.append((str(m["To"]), str(m["Subject"]), m.get_content(), str(m["Message-ID"])))
        return out


class Hook:
    """An HTTP receiver: answers each POST with the next status of `replies`
    (then 200), and keeps (headers, body) of every request."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((dict(self.headers), body))
                status = hook.replies.pop(0) if hook.replies else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class AlertsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.comp = Component()
        self.comp.up()
        self.smtp = Smtp(self.tmp.name)
        self.smtp.start()
        self.hook = Hook([500])
        secret = os.path.join(self.tmp.name, "hook.secret")
        with open(secret, "wb") as f:
            f.write(SECRET + b"\n")
        os.chmod(secret, 0o600)
        self.secret = secret
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        self.write_config('smtp_url: "smtp://127.0.0.1:%d"' % self.smtp.port)
        self.log = open(os.path.join(self.tmp.name, "run.log"), "a")
        self.daemon = None

    def write_config(self, smtp):
        # One store for the test, whatever its configs (a new one each
        # on PostgreSQL would lose what the last daemon wrote).
        if not hasattr(self, "store_uri"):
            self.store_uri = pg_createdb() if PG_DIR else None
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(with_store(f"""probe: {{data_dir: {self.data}, interval: 1s, retry_interval: 1s,
        timeout: 1s, attempts: 1, rrd: false}}
targets:
  - {{name: stat-1, host: 127.0.0.1, owner: supplier,
     checks: [{{name: port, tcp_connect: {self.comp.port}}}]}}
services:
  - {{name: stat-monitor, title: "Монитор статистики", up_when: stat-1, priority: P1}}
incidents: {{reopen_window: 30m}}
alerts:
  restore_delay: 3s
  email:
    {smtp}
    from: gprobe@example.kz
    to: [noc@example.kz]
    escalate_to: [lead@example.kz]
    language: ru
    timeout: 5s
  webhook: {{url: "http://127.0.0.1:{self.hook.port}/hook", secret_file: {self.secret},
            timeout: 5s}}
""", self.store_uri))

    def tearDown(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.log.close()
        self.smtp.stop()
        self.hook.close()
        self.comp.down()
        self.tmp.cleanup()

    def start(self):
        self.daemon = subprocess.Popen([GPROBE, "-c", self.cfg, "run"], stdout=self.log,
                                       stderr=self.log)

    def gprobe(self, *args):
        return run([GPROBE, "-c", self.cfg] + list(args))

    def logged(self):
        with open(os.path.join(self.tmp.name, "run.log"), encoding="utf-8") as f:
            return f.read()

    def service_state(self):
        rc, out, _ = self.gprobe("status", "--json")
        if rc != 0:
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}.get("stat-monitor")

    def wait_state(self, state):
        wait_until("stat-monitor " + state, lambda: self.service_state() == state, 30)

    def mails(self, word):
        return [m for m in self.smtp.messages() if word in m[1]]

    def assert_each_once(self):
        ids = [m[3] for m in self.smtp.messages()]
        self.assertEqual(len(ids), len(set(ids)), "a Message-ID arrived twice")

    def alerts(self):
        rc, out, err = self.gprobe("status", "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)["alerts"]

    def test_outage_smtp_down_and_kill(self):
        self.start()
        self.wait_state("UP")

        # Down: one mail, readable Russian, with what to run.
        self.comp.down()
        self.wait_state("DOWN")
        opened = wait_until("the opened mail", lambda: self.mails("Недоступен сервис"))
        to, subject, body, _ = opened[0]
        self.assertEqual(to, "noc@example.kz")
        self.assertEqual(subject, "[P1 #1] Недоступен сервис «Монитор статистики» (stat-monitor)")
        self.assertIn("Сервис «Монитор статистики» (stat-monitor) недоступен с", body)
        self.assertIn("  stat-1 (127.0.0.1)\r\n    port: CRITICAL", body)
        self.assertIn("Диагностика: gprobe diag stat-1", body)
        self.assertIn("ответственность: поставщик", body)

        # The webhook: the 500 is retried; the same key, a valid signature.
        wait_until("the webhook retried", lambda: len(self.hook.requests) >= 2, 30)
        (h1, b1), (h2, b2) = self.hook.requests[:2]
        self.assertEqual(h1["Idempotency-Key"], h2["Idempotency-Key"])
        self.assertEqual(b1, b2)
        sig = "sha256=" + hmac.new(SECRET, b2, hashlib.sha256).hexdigest()
        self.assertEqual(h2["X-Gprobe-Signature"], sig)
        event = json.loads(b2)
        self.assertEqual((event["event"], event["incident"]["id"], event["incident"]["service"]),
                         ("opened", 1, "stat-monitor"))

        # The SMTP server goes; the service comes back: the mail waits.
        self.smtp.stop()
        self.comp.up()
        self.wait_state("UP")
        wait_until("a delivery tried and failed",
                   lambda: "email to noc@example.kz not delivered" in self.logged())
        self.assertGreaterEqual(self.alerts()["queued"], 1)
        self.smtp.start()
        wait_until("the restored mail", lambda: self.mails("Восстановлен сервис"), 60)

        # Down again, the SMTP server gone, the daemon killed with the mail
        # queued; after the restart it arrives once.
        self.smtp.stop()
        self.comp.down()
        self.wait_state("DOWN")
        wait_until("queued", lambda: self.alerts()["queued"] >= 1)
        self.daemon.send_signal(signal.SIGKILL)
        self.daemon.wait()
        self.smtp.start()
        self.start()
        wait_until("the reopened mail", lambda: self.mails("Снова недоступен"), 60)

        # The engineer resolves it: one more mail.
        self.comp.up()
        self.wait_state("UP")
        self.assertEqual(self.gprobe("incident", "ack", "1", "--by", "duty")[0], 0)
        wait_until("restored", lambda: self.gprobe("incident", "resolve", "1",
                                                   "Stat Server restarted")[0] == 0)
        wait_until("the resolved mail", lambda: self.mails("Решён инцидент"), 60)
        wait_until("the second restored mail",
                   lambda: len(self.mails("Восстановлен сервис")) == 2, 60)
        wait_until("nothing left", lambda: self.alerts()["queued"] == 0, 30)

        self.assert_each_once()
        counts = {}
        for m in self.smtp.messages():
            key = m[1].split("] ", 1)[1].split(" ", 1)[0]
            counts[key] = counts.get(key, 0) + 1
        self.assertEqual(counts, {"Недоступен": 1, "Восстановлен": 2, "Снова": 1, "Решён": 1})
        self.assertTrue(all(m[1].startswith("[P1 #1] ") for m in self.smtp.messages()))
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=30), 0)

    def test_tls(self):
        """STARTTLS and smtps:// with the server's certificate verified: a
        self-signed one is refused until ca_file names it."""
        cert, key = (os.path.join(self.tmp.name, n) for n in ("cert.pem", "key.pem"))
        rc, _, err = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                          "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1"])
        self.assertEqual(rc, 0, err)
        self.smtp.stop()
        starttls = Smtp(os.path.join(self.tmp.name, "starttls"), ["--tlscert", cert,
                                                                   "--tlskey", key])
        smtps = Smtp(os.path.join(self.tmp.name, "smtps"), ["--smtpscert", cert,
                                                             "--smtpskey", key])
        starttls.start()
        smtps.start()
        try:
            # Not trusted: not delivered, and the log says why.
            self.write_config('smtp_url: "smtp://127.0.0.1:%d"\n    starttls: true'
                              % starttls.port)
            self.start()
            self.wait_state("UP")
            self.comp.down()
            wait_until("refused", lambda: "email to noc@example.kz not delivered"
                       in self.logged())
            self.assertRegex(self.logged(), r"SMTP smtp://127\.0\.0\.1:\d+: .*(SSL|certificate)")
            self.assertEqual(starttls.messages(), [])
            self.daemon.send_signal(signal.SIGTERM)
            self.assertEqual(self.daemon.wait(timeout=30), 0)
            # Trusted through ca_file: the queued mail goes over STARTTLS.
            self.write_config('smtp_url: "smtp://127.0.0.1:%d"\n    starttls: true\n'
                              '    ca_file: %s' % (starttls.port, cert))
            self.start()
            got = wait_until("over STARTTLS", lambda: starttls.messages(), 60)
            self.assertTrue(got[0][1].startswith("[P1 #1] Недоступен сервис"))
            self.daemon.send_signal(signal.SIGTERM)
            self.assertEqual(self.daemon.wait(timeout=30), 0)
            # smtps://: implicit TLS.
            self.write_config('smtp_url: "smtps://127.0.0.1:%d"\n    ca_file: %s'
                              % (smtps.port, cert))
            self.start()
            self.comp.up()
            got = wait_until("over smtps", lambda: smtps.messages(), 60)
            self.assertTrue(got[0][1].startswith("[P1 #1] Восстановлен сервис"))
            self.daemon.send_signal(signal.SIGTERM)
            self.assertEqual(self.daemon.wait(timeout=30), 0)
        finally:
            starttls.stop()
            smtps.stop()

    def test_flapping(self):
        self.start()
        self.wait_state("UP")
        # 100 flaps in half a minute, faster than the polls can follow.
        end = time.monotonic() + 30
        flaps = 0
        while flaps < 100:
            self.comp.down()
            time.sleep(max(0.0, min(0.15, end - time.monotonic())))
            self.comp.up()
            time.sleep(max(0.0, min(0.15, end - time.monotonic())))
            flaps += 1
        self.wait_state("UP")
        rc, out, err = self.gprobe("incidents", "--all", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(json.loads(out)), 1, "one incident for all the flaps")
        outages = self.logged().count("outage of stat-monitor opened")
        self.assertGreater(outages, 1, "the probe saw it flap")
        wait_until("nothing left", lambda: self.alerts()["queued"] == 0, 30)
        mails = self.smtp.messages()
        sys.stderr.write("flapping: %d outages seen, %d mails: %s\n"
                         % (outages, len(mails), sorted(m[1] for m in mails)))
        self.assertGreaterEqual(len(mails), 2)
        self.assertLessEqual(len(mails), 6, [m[1] for m in mails])
        self.assert_each_once()
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
