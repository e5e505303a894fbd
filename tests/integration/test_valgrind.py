#!/usr/bin/python3
"""The daemon under valgrind on the whole lab for a few cycles: no invalid
access, no leak (definite or indirect), a clean exit on SIGTERM. Every
collector runs (TCP, SNMP v2c and v3, SSH command and log, HTTP JSON, XML
and text). And an SSH check whose server stalls in the key exchange: what
libssh2 leaves of it is freed. Skipped in the sanitizer build, where
valgrind cannot run (test_hostile.py's daemon covers the stall there)."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (CHECK_GENESYS, CONFIG, GPROBE, LAB_DIR, Helper,  # noqa: E402
                     free_tcp_port, wait_until)

LAB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab")
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=9"]


@unittest.skipIf(os.environ.get("GPROBE_SANITIZED") == "ON", "sanitizer build")
class ValgrindDaemon(unittest.TestCase):
    def test_daemon_is_valgrind_clean(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "gprobe.yaml")
            with open(CONFIG) as f:
                text = f.read()
            # Its own data folder, short intervals: several cycles quickly.
            text = re.sub(r"data_dir: .*", "data_dir: %s/data" % d, text, count=1)
            text = text.replace("interval: 5s", "interval: 2s", 1)
            with open(cfg, "w") as f:
                f.write(text)
            logpath = os.path.join(d, "run.log")
            with open(logpath, "w") as log:
                p = subprocess.Popen(VALGRIND + [GPROBE, "-c", cfg, "-v", "-v", "run"],
                                     stdout=log, stderr=log)
            try:
                def cycles():
                    with open(logpath) as f:
                        return f.read().count("stat-1/log-alarms ")
                wait_until("three cycles", lambda: cycles() >= 3, deadline_s=120)
            finally:
                p.send_signal(signal.SIGTERM)
                rc = p.wait(timeout=120)
            with open(logpath) as f:
                out = f.read()
            self.assertEqual(rc, 0, out[-4000:])
            self.assertNotIn("==", "\n".join(l for l in out.splitlines() if l.startswith("==")))
            # Every collector took part.
            for check in ("conf-1/port OK", "stat-1/app-status OK", "stat-1/process OK",
                          "conf-1/process-ssh OK", "stat-1/log-alarms OK", "rws-1/version OK",
                          "sm-1/health OK", "qa-rep-1/health OK", "host-1/load-1min OK"):
                self.assertIn(check, out)

    def test_ssh_exchange_cut_short_leaks_nothing(self):
        """A server that sends its key exchange offer and then nothing:
        libssh2 1.10 is left waiting with its ephemeral key pair allocated,
        which its session_free does not release (64 bytes an attempt,
        valgrind's "definitely lost" before the collector's own allocator
        took it back)."""
        port = free_tcp_port()
        peer = Helper(["/usr/bin/python3", os.path.join(LAB, "evil_ssh.py"), str(port),
                       "kexstall"])
        try:
            ssh = os.path.join(LAB_DIR, "ssh")
            p = subprocess.run(VALGRIND + [CHECK_GENESYS, "-H", "127.0.0.1", "-P", "ssh",
                                           "-p", str(port), "-l", "root",
                                           "-i", os.path.join(ssh, "id_ed25519"),
                                           "--known-hosts", os.path.join(ssh, "known_hosts"),
                                           "--command", "true", "-t", "2"],
                               capture_output=True, text=True, timeout=120)
        finally:
            peer.stop()
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"^GENESYS CRITICAL .*timed out after \d+ ms during the SSH "
                                   r"handshake")
        self.assertEqual(p.stderr, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
