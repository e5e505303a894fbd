#!/usr/bin/python3
"""`gprobe run` under a systemd-like supervisor: NOTIFY_SOCKET is a
datagram socket this test reads, WATCHDOG_USEC its watchdog timeout. The
daemon sends WATCHDOG=1 paced at half the timeout while its loop turns;
when the loop is held (the database's write lock taken away for longer
than the timeout) the pings stop, and they resume when it is free again.
A watchdog meant for another process (WATCHDOG_PID) gets no pings."""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, lca_config, wait_until  # noqa: E402

TIMEOUT_S = 3.0  # WATCHDOG_USEC: pings every 1.5 s


class Notifications:
    """Every datagram on the notify socket, with when it came."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.got = []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            with self.lock:
                self.got.append((time.monotonic(), data))

    def times(self, what):
        with self.lock:
            return [t for t, data in self.got if what in data.split(b"\n")]

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()


class WatchdogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.cfg = lca_config(self.tmp.name,
                              "data_dir: %s, interval: 1s, timeout: 1s, rrd: false" % self.data)
        self.logpath = os.path.join(self.tmp.name, "run.log")
        self.notify = Notifications(os.path.join(self.tmp.name, "notify.sock"))
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        self.tmp.cleanup()

    def start(self, **env):
        env = dict(os.environ, NOTIFY_SOCKET=os.path.join(self.tmp.name, "notify.sock"),
                   WATCHDOG_USEC=str(int(TIMEOUT_S * 1e6)), **env)
        with open(self.logpath, "a") as log:
            self.proc = subprocess.Popen([GPROBE, "-c", self.cfg, "run"], stdout=log,
                                         stderr=log, env=env)
        wait_until("READY=1", lambda: self.notify.times(b"READY=1"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0)
        wait_until("STOPPING=1", lambda: self.notify.times(b"STOPPING=1"))

    def pings(self):
        return self.notify.times(b"WATCHDOG=1")

    def test_pings_paced_and_stop_with_a_stuck_loop(self):
        self.start()
        wait_until("four pings", lambda: len(self.pings()) >= 4, 30)
        before = self.pings()
        gaps = [b - a for a, b in zip(before, before[1:])]
        # Paced at half the timeout, not at every turn (many a second)...
        self.assertGreater(min(gaps), TIMEOUT_S / 2 * 0.8, gaps)
        # ...and always within the timeout.
        self.assertLess(max(gaps), TIMEOUT_S, gaps)
        with open(self.logpath) as f:
            self.assertIn("systemd watchdog on: WATCHDOG=1 every 1500 ms", f.read())

        # The write lock held for 4.8 s, under the daemon's busy timeout
        # (5 s): its once-a-second commit waits in the loop, so no turn
        # completes and no ping goes out, though its other thread (the
        # alert sender) runs on.
        db = sqlite3.connect(os.path.join(self.data, "gprobe.db"), isolation_level=None,
                             timeout=10)
        db.execute("BEGIN IMMEDIATE")
        held = time.monotonic()
        time.sleep(4.8)  # the fault itself: a database that does not let go
        db.execute("ROLLBACK")
        released = time.monotonic()
        db.close()
        wait_until("pings again", lambda: len([t for t in self.pings() if t > released]) >= 2,
                   30)
        pings = self.pings()
        seen = [round(t - held, 2) for t in pings]
        # The loop is stuck from its next commit (within about a second)
        # until the lock is gone: not one ping in between...
        self.assertEqual([t for t in pings if held + 2.0 < t < released - 0.05], [], seen)
        # ...a silence longer than the timeout: systemd would have killed it.
        around = [t for t in pings if held - 2 * TIMEOUT_S < t < released + 2 * TIMEOUT_S]
        self.assertGreater(max(b - a for a, b in zip(around, around[1:])), TIMEOUT_S, seen)
        self.stop()

    def test_no_pings_for_another_process(self):
        # WATCHDOG_PID names a process other than the daemon: a parent's
        # watchdog, not its own.
        self.start(WATCHDOG_PID=str(os.getpid()))
        # The loop turns: its heartbeat, committed once a second, moves on
        # for 3 s, in which a watchdog of its own would have had two pings...
        first = wait_until("a heartbeat", self.heartbeat)
        wait_until("3 s of heartbeats", lambda: self.heartbeat() >= first + 3)
        # ...but another's gets none.
        self.assertEqual(self.pings(), [])
        self.stop()
        with open(self.logpath) as f:
            self.assertNotIn("systemd watchdog on", f.read())

    def heartbeat(self):
        """The daemon's last heartbeat (UTC seconds), or 0 before the first."""
        try:
            con = sqlite3.connect("file:%s/gprobe.db?mode=ro" % self.data, uri=True)
        except sqlite3.OperationalError:
            return 0
        try:
            row = con.execute("SELECT at FROM heartbeat").fetchone()
            return row[0] if row else 0
        except sqlite3.OperationalError:
            return 0
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
