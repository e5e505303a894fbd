#!/usr/bin/python3
"""The SSH collector against the lab's real sshd: commands, strict host
keys, key authentication, and log tailing through the daemon (appends, a
partial line, a segment switch, a rotation, a restart)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, LAB_DIR, diag_json, lab_info, wait_until, write_config  # noqa: E402

SSH_DIR = os.path.join(LAB_DIR, "ssh")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class SshTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        info = lab_info()
        self.port = info["ports"]["ssh"]
        self.user = info["user"]

    def tearDown(self):
        self.tmp.cleanup()

    def config(self, checks, known_hosts=None, key=None, port=None, timeout="3s",
               interval="10s"):
        lines = ["probe: {timeout: %s, interval: %s, retry_interval: %s, data_dir: %s}"
                 % (timeout, interval, interval, os.path.join(self.tmp.name, "data")),
                 "targets:", "  - name: host", "    host: 127.0.0.1", "    owner: supplier",
                 "    ssh: {port: %d, user: %s, key: %s, known_hosts: %s}" % (
                     port or self.port, self.user, key or os.path.join(SSH_DIR, "id_ed25519"),
                     known_hosts or os.path.join(SSH_DIR, "known_hosts")),
                 "    checks:"]
        lines += ["      - " + c for c in checks]
        return write_config(self.tmp.name, "\n".join(lines) + "\n")

    def host_fingerprint(self):
        out = subprocess.run(["ssh-keygen", "-lf", os.path.join(SSH_DIR, "host_ed25519.pub")],
                             capture_output=True, text=True, check=True).stdout
        return out.split()[1]

    def test_commands(self):
        pid = int(read(os.path.join(LAB_DIR, "pids", "stat-1.pid")))
        cfg = self.config([
            "{name: comm, snapshot: x}".replace("snapshot: x", "ssh_command: 'cat /proc/%d/comm'" % pid),
            "{name: count, ssh_command: 'echo 3', critical: '5:'}",
            "{name: failing, ssh_command: 'echo broken >&2; exit 3'}",
            "{name: missing, ssh_command: 'no-such-command-here'}",
            "{name: flood, ssh_command: 'head -c 2000000 /dev/zero | tr \"\\\\0\" x'}",
            # 2 MB on stderr, then the answer: stderr is kept short, never
            # waited on, and the command's own output still counts.
            "{name: errflood, ssh_command: 'head -c 2000000 /dev/zero | tr \"\\\\0\" e >&2; echo 5'}",
        ])
        rc, c = diag_json(cfg, "host")
        self.assertEqual(c["comm"]["value"], "StatServer")
        self.assertEqual(c["comm"]["state"], "OK")
        self.assertEqual(c["count"]["numeric"], 3)
        self.assertEqual(c["count"]["state"], "CRITICAL")  # 3 is below '5:'
        self.assertEqual(c["failing"]["message"], "the command exited with status 3: broken")
        self.assertEqual(c["missing"]["state"], "UNKNOWN")
        self.assertTrue(c["missing"]["message"].startswith(
            "the command cannot run on the target (exit 127)"))
        self.assertEqual(c["flood"]["state"], "UNKNOWN")
        self.assertEqual(c["flood"]["message"],
                         "the command printed more than 1 MiB; output discarded")
        self.assertEqual((c["errflood"]["state"], c["errflood"]["value"]), ("OK", "5"),
                         c["errflood"])
        self.assertLess(c["errflood"]["duration_ms"], 2900)

    def test_command_timeout(self):
        cfg = self.config(["{name: hang, ssh_command: 'sleep 30', timeout: 1s}",
                           "{name: after, ssh_command: 'echo ok', timeout: 3s}"])
        t0 = time.monotonic()
        rc, c = diag_json(cfg, "host")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertRegex(c["hang"]["message"],
                         r"^SSH to 127\.0\.0\.1:\d+ timed out after \d+ ms during the request$")
        # The next request of the target gets a fresh connection.
        self.assertEqual(c["after"]["value"], "ok")

    def test_changed_host_key_refused(self):
        other = os.path.join(self.tmp.name, "other_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other], check=True)
        kh = os.path.join(self.tmp.name, "known_hosts")
        with open(kh, "w") as f:
            f.write("[127.0.0.1]:%d %s\n" % (self.port, " ".join(read(other + ".pub").split()[:2])))
        rc, c = diag_json(self.config(["{name: x, ssh_command: 'true'}"], known_hosts=kh), "host")
        self.assertEqual(rc, 3)
        self.assertEqual(c["x"]["message"],
                         "host key of 127.0.0.1:%d has CHANGED (now %s); it does not match %s; "
                         "not connecting" % (self.port, self.host_fingerprint(), kh))

    def test_unknown_host_key_refused(self):
        kh = os.path.join(self.tmp.name, "empty_known_hosts")
        open(kh, "w").close()
        rc, c = diag_json(self.config(["{name: x, ssh_command: 'true'}"], known_hosts=kh), "host")
        self.assertEqual(rc, 3)
        self.assertEqual(c["x"]["message"],
                         "host key of 127.0.0.1:%d (%s) is not in %s; not connecting"
                         % (self.port, self.host_fingerprint(), kh))
        self.assertIn("never trusts on first use", c["x"]["hint"])

    def test_wrong_key_refused(self):
        key = os.path.join(self.tmp.name, "stranger")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        rc, c = diag_json(self.config(["{name: x, ssh_command: 'true'}"], key=key), "host")
        self.assertEqual(rc, 3)
        self.assertTrue(c["x"]["message"].startswith(
            "SSH key authentication as '%s' on 127.0.0.1:%d failed" % (self.user, self.port)))

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
        s.close()
        rc, c = diag_json(self.config(["{name: x, ssh_command: 'true'}"], port=closed), "host")
        self.assertEqual(rc, 2)
        self.assertEqual(c["x"]["message"],
                         "SSH connect to 127.0.0.1:%d failed: Connection refused" % closed)

    def test_log_tailing_through_the_daemon(self):
        logs = os.path.join(self.tmp.name, "logs")
        os.makedirs(logs)
        seg1 = os.path.join(logs, "StatServer.20261125_000000_000.log")
        seg2 = os.path.join(logs, "StatServer.20261125_010000_000.log")

        def write(path, text, mode="a"):
            with open(path, mode) as f:
                f.write(text)

        write(seg1, "Application name: stat-1\nLocal Time: 2026-11-25T00:00:00.000\n", "w")
        cfg = self.config(["{name: alarms, ssh_log: '%s/StatServer.*.log', match: 'Std 0450[1-5]', "
                           "interval: 1s, timeout: 1s}" % logs], interval="1s", timeout="1s")
        logpath = os.path.join(self.tmp.name, "run.log")
        log = open(logpath, "w")
        p = None

        def start():
            return subprocess.Popen([GPROBE, "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log)

        def results():
            return re.findall(r"host/alarms OK: (.*)", read(logpath))

        def next_result(after):
            return wait_until("a poll after #%d" % after,
                              lambda: len(results()) > after and results()[after:])

        try:
            p = start()
            first = wait_until("first poll", lambda: results())
            self.assertIn("first poll: following StatServer.20261125_000000_000.log from its end",
                          first[0])
            # Appends: two of three lines match.
            n = len(results())
            write(seg1, "10:00:01.000 Std 04504 Connection to Configuration Server lost\n"
                        "10:00:02.000 Std 05060 Something else\n"
                        "10:00:03.000 Std 04503 Connected to Configuration Server\n")
            got = wait_until("2 matching", lambda: [r for r in results()[n:] if "3 new lines" in r])
            self.assertIn("3 new lines, 2 matching 'Std 0450[1-5]'", got[0])
            self.assertIn("Std 04503 Connected", got[0])
            # A partial line waits for its end.
            n = len(results())
            write(seg1, "10:00:04.000 Std 04504 Connection to Message")
            wait_until("a poll", lambda: len(results()) > n + 1)
            self.assertTrue(all("0 matching" in r for r in results()[n:]))
            n = len(results())
            write(seg1, " Server lost\n")
            got = wait_until("the completed line", lambda: [r for r in results()[n:] if "1 new line," in r])
            self.assertIn("Std 04504 Connection to Message Server lost", got[0])
            # A segment switch: the old segment's last lines are not lost.
            n = len(results())
            write(seg1, "10:59:59.000 Std 04504 last line of the old segment\n")
            write(seg2, "Application name: stat-1\n11:00:00.000 Std 04501 first of the new\n", "w")
            got = wait_until("both segments", lambda: [r for r in results()[n:] if "matching" in r
                                                        and "0 matching" not in r])
            self.assertIn("3 new lines, 2 matching", got[0])
            self.assertIn("last line of the old segment", got[0])
            self.assertIn("first of the new", got[0])
            # A rotation under the same name: read from the start again.
            n = len(results())
            write(seg2, "Application name: stat-1 (restarted)\n12:00:00.000 Std 04502 after rotation\n", "w")
            got = wait_until("rotation", lambda: [r for r in results()[n:] if "rotated" in r])
            self.assertIn("2 new lines, 1 matching", got[0])
            # A restart resumes where it was: no rescan, no skip.
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 0)
            write(seg2, "12:00:01.000 Std 04504 while the probe was down\n"
                        "12:00:02.000 Std 04505 also while down\n")
            n = len(results())
            p = start()
            got = wait_until("after restart", lambda: results()[n:])
            self.assertNotIn("first poll", got[0])
            self.assertIn("2 new lines, 2 matching", got[0])
        finally:
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)
            log.close()

    def test_session_reused_between_polls(self):
        cfg = self.config(["{name: c, ssh_command: 'echo ok', interval: 1s, timeout: 1s}"],
                          interval="1s", timeout="1s")
        sshlog = os.path.join(LAB_DIR, "logs", "sshd.log")
        accepted = lambda: read(sshlog).count("Accepted publickey")  # noqa: E731
        before = accepted()
        logpath = os.path.join(self.tmp.name, "run.log")
        log = open(logpath, "w")
        p = subprocess.Popen([GPROBE, "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log)
        try:
            wait_until("four polls", lambda: read(logpath).count("host/c OK") >= 4)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 0)
            log.close()
        self.assertEqual(accepted() - before, 1)

    def test_log_glob_without_files(self):
        cfg = self.config(["{name: alarms, ssh_log: '%s/nothing.*.log'}" % self.tmp.name])
        rc, c = diag_json(cfg, "host")
        self.assertEqual(c["alarms"]["message"], "no file matches %s/nothing.*.log" % self.tmp.name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
