#!/usr/bin/python3
"""The probe pair's failover, measured: two `gprobe run` (nodes a and b) on
one PostgreSQL database (tests/lab/pg.py: its own server under bench/out),
a TCP component that goes down and up, an SMTP server (aiosmtpd) that
keeps every message. N times: SIGKILL the active node, time until the
other is active (read from the database's lease, as `gprobe status` shows
it), start the killed one again as standby; every other kill happens with
the service DOWN. Then: the Message-IDs the SMTP server received (each
once?), the incidents, and the ledger (periods contiguous?).

  bench/failover.py [KILLS] [FAILOVER_AFTER_S]     (defaults 20, 15)

Needs a build (build/probe/gprobe, or GPROBE=...) and Debian's
postgresql-15 and python3-aiosmtpd.
"""
import email
import email.policy
import json
import mailbox
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPROBE = os.environ.get("GPROBE", os.path.join(ROOT, "build", "probe", "gprobe"))
PG_PY = os.path.join(ROOT, "tests", "lab", "pg.py")
OUT = os.path.join(ROOT, "bench", "out")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, cond, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)  # the measure's resolution
    sys.exit("failover bench: %s: not within %.0f s" % (what, deadline_s))


class Component:
    def __init__(self):
        self.port = free_port()
        self.sock = None

    def up(self):
        if not self.sock:
            self.sock = socket.socket()
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", self.port))
            self.sock.listen(64)
            threading.Thread(target=self.accept, args=(self.sock,), daemon=True).start()

    def accept(self, s):
        while True:
            try:
                s.accept()[0].close()
            except OSError:
                return

    def down(self):
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None


def psql(pg, db, sql):
    """SQL's rows as text through psql itself (no Python in between: it is
    asked ten times a second); None while the schema is not there yet."""
    with open(os.path.join(pg, "pg.json")) as f:
        info = json.load(f)
    with open(info["password_file"]) as f:
        pw = f.read().strip()
    env = dict(os.environ, PGPASSWORD=pw, PGHOST="127.0.0.1", PGPORT=str(info["port"]),
               PGUSER=info["user"])
    r = subprocess.run([info["bindir"] + "/psql", "-X", "-A", "-t", "-q", "-d", db, "-c", sql],
                       env=env, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    ttl = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    os.makedirs(OUT, exist_ok=True)
    pg = os.path.join(OUT, "pg")
    subprocess.run(["/usr/bin/python3", PG_PY, "stop", pg], capture_output=True)
    shutil.rmtree(pg, ignore_errors=True)
    subprocess.run(["/usr/bin/python3", PG_PY, "start", pg], check=True)
    tmp = tempfile.mkdtemp(prefix="failover-")
    comp = Component()
    comp.up()
    smtp_port = free_port()
    maildir = os.path.join(tmp, "mail")
    smtp = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                             "127.0.0.1:%d" % smtp_port, "-c", "aiosmtpd.handlers.Mailbox",
                             maildir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = {}
    try:
        uri = subprocess.run(["/usr/bin/python3", PG_PY, "createdb", pg], check=True,
                             capture_output=True, text=True).stdout.strip()
        db = uri.rsplit("/", 1)[1]
        with open(os.path.join(pg, "pg.json")) as f:
            pwfile = json.load(f)["password_file"]
        cfgs = {}
        for n in ("a", "b"):
            cfgs[n] = os.path.join(tmp, n + ".yaml")
            with open(cfgs[n], "w") as f:
                f.write(f"""probe: {{data_dir: {tmp}/{n}, interval: 1s, retry_interval: 1s,
  timeout: 1s, attempts: 1, rrd: false, node: {n}, failover_after: {ttl}s,
  store: "{uri}", store_password_file: {pwfile}}}
targets:
  - {{name: stat-1, host: 127.0.0.1, owner: supplier,
     checks: [{{name: port, tcp_connect: {comp.port}}}]}}
services:
  - {{name: stat-monitor, up_when: stat-1, priority: P1}}
alerts:
  restore_delay: 1s
  email: {{smtp_url: "smtp://127.0.0.1:{smtp_port}", from: gprobe@example.kz,
          to: [noc@example.kz], language: en, timeout: 2s}}
""")

        def start(n):
            log = open(os.path.join(tmp, n + ".log"), "a")
            procs[n] = subprocess.Popen([GPROBE, "-c", cfgs[n], "run"], stdout=log, stderr=log)

        def holder():
            out = psql(pg, db, "SELECT holder FROM node_lease WHERE renewed_at > "
                               "clock_timestamp() - ttl_ms * interval '1 millisecond'")
            return out or None

        def service():
            rc = subprocess.run([GPROBE, "-c", cfgs["a"], "status", "--json"],
                                capture_output=True, text=True)
            if rc.returncode != 0:
                return None
            s = json.loads(rc.stdout)["services"]
            return s[0]["state"] if s else None

        start("a")
        wait("a active", lambda: holder() == "a", 60)
        start("b")
        wait("service UP", lambda: service() == "UP", 60)
        took = []
        for k in range(kills):
            down = k % 2 == 0
            if down:
                comp.down()
                wait("DOWN", lambda: service() == "DOWN", 60)
            else:
                comp.up()
                wait("UP", lambda: service() == "UP", 60)
            active = holder()
            other = "b" if active == "a" else "a"
            # The standby must be up and asking before the kill.
            wait("%s started" % other, lambda: procs[other].poll() is None, 5)
            time.sleep(1.0)  # its first ask (a third of the lease at most) has run
            t0 = time.monotonic()
            procs[active].send_signal(signal.SIGKILL)
            procs[active].wait()
            wait("%s active" % other, lambda: holder() == other, 3 * ttl + 30)
            took.append(time.monotonic() - t0)
            print("kill %2d: %s -> %s in %.2f s (service %s)"
                  % (k + 1, active, other, took[-1], "DOWN" if down else "UP"), flush=True)
            start(active)
        comp.up()
        wait("UP at the end", lambda: service() == "UP", 60)
        time.sleep(3)  # the restore's mail (restore_delay 1 s) leaves
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
        box = mailbox.Maildir(maildir, create=False)
        ids = []
        subjects = []
        for key in box.keys():
            m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            ids.append(str(m["Message-ID"]))
            subjects.append(str(m["Subject"]))
        rows = psql(pg, db, "SELECT count(*), count(DISTINCT message_id),"
                            " count(*) FILTER (WHERE status = 'sent') FROM alert")
        incidents = psql(pg, db, "SELECT count(*) FROM incident")
        periods = psql(pg, db, "SELECT start, coalesce(end_at, -1), state FROM service_period"
                               " ORDER BY start").splitlines()
        gaps = 0
        for prev, cur in zip(periods, periods[1:]):
            if prev.split("|")[1] != cur.split("|")[0]:
                gaps += 1
        unmon = sum(1 for p in periods if p.endswith("UNMONITORED"))
        print()
        print("failover_after %d s, %d kills: takeover min %.2f s, median %.2f s, max %.2f s"
              % (ttl, kills, min(took), statistics.median(took), max(took)))
        print("mails received %d, distinct Message-IDs %d; outbox rows, distinct ids, sent: %s"
              % (len(ids), len(set(ids)), rows.replace("|", ", ")))
        print("incidents %s; ledger periods %d, unmonitored %d, gaps or overlaps %d"
              % (incidents, len(periods), unmon, gaps))
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        smtp.terminate()
        comp.down()
        subprocess.run(["/usr/bin/python3", PG_PY, "stop", pg], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
