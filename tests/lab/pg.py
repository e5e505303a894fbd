#!/usr/bin/python3
"""A PostgreSQL server for the tests of the postgresql store: Debian's
own binaries (initdb, pg_ctl), a cluster in a directory of its own,
listening on 127.0.0.1 at a free port, password authentication
(scram-sha-256) for its one user, stopped by PID.

  pg.py start DIR        initdb DIR/data (once), start it; write DIR/pg.json
                         ({port, user, password_file, pid, bindir})
  pg.py stop DIR         stop it by its PID (fast shutdown, then SIGKILL)
  pg.py restart DIR      start it again on the same port (after a stop)
  pg.py createdb DIR     a fresh database; prints its postgresql:// URI
  pg.py psql DIR DB SQL  runs SQL in DB as the user (tests' inspection)

PostgreSQL refuses to run as root: as root the cluster belongs to the
`postgres` user of the Debian package, and its commands run as that user.
"""
import glob
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time

USER = "gprobe"


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("pg.py: no PostgreSQL server binaries (apt-get install postgresql-15)")
    return os.path.dirname(found[-1])


def as_owner():
    """(preexec function, uid) that drops to `postgres` when root."""
    if os.getuid() != 0:
        return None, os.getuid()
    pw = pwd.getpwnam("postgres")

    def drop():
        os.setgid(pw.pw_gid)
        os.setgroups([])
        os.setuid(pw.pw_uid)
    return drop, pw.pw_uid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def info(d):
    with open(os.path.join(d, "pg.json"), encoding="utf-8") as f:
        return json.load(f)


def wait_ready(b, port, deadline_s=60):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = subprocess.run([b + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)])
        if r.returncode == 0:
            return
        time.sleep(0.1)
    sys.exit("pg.py: the server did not accept connections within %d s" % deadline_s)


def start(d, port=None):
    b = bindir()
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    drop, uid = as_owner()
    data = os.path.join(d, "data")
    pwfile = os.path.join(d, "password")
    sock = os.path.join(d, "sock")
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        os.makedirs(data, exist_ok=True)
        os.makedirs(sock, exist_ok=True)
        with open(pwfile, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(16) + "\n")
        os.chmod(pwfile, 0o600)
        for p in (d, data, sock, pwfile):
            os.chown(p, uid, -1)
        subprocess.run([b + "/initdb", "-D", data, "-U", USER, "--pwfile", pwfile,
                        "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C"],
                       check=True, preexec_fn=drop, stdout=subprocess.DEVNULL)
    port = port or free_port()
    log = os.path.join(d, "server.log")
    # Quick to start and to stop; durable enough for tests that never
    # pull the host's power (fsync stays on: it is what users run).
    opts = ("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
            "-c max_connections=200 -c shared_buffers=32MB" % (port, sock))
    subprocess.run([b + "/pg_ctl", "-D", data, "-l", log, "-o", opts, "-w", "-t", "60",
                    "start"], check=True, preexec_fn=drop, stdout=subprocess.DEVNULL)
    wait_ready(b, port)
    with open(os.path.join(data, "postmaster.pid"), encoding="utf-8") as f:
        pid = int(f.readline())
    # The tests' own copy of the password, owned by whoever runs them
    # (gprobe refuses a secret file that is not private).
    mine = os.path.join(d, "password.client")
    with open(pwfile, encoding="utf-8") as f, open(mine, "w", encoding="utf-8") as g:
        g.write(f.read())
    os.chmod(mine, 0o600)
    with open(os.path.join(d, "pg.json"), "w", encoding="utf-8") as f:
        json.dump({"port": port, "user": USER, "password_file": mine, "pid": pid,
                   "bindir": b, "data": data}, f)
    print("pg: PostgreSQL on 127.0.0.1:%d (pid %d)" % (port, pid))


def stop(d):
    try:
        i = info(d)
    except FileNotFoundError:
        return
    pid = i["pid"]
    try:
        os.kill(pid, signal.SIGINT)  # the postmaster's fast shutdown
    except ProcessLookupError:
        return
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def env(d):
    i = info(d)
    with open(i["password_file"], encoding="utf-8") as f:
        pw = f.read().strip()
    return dict(os.environ, PGPASSWORD=pw, PGHOST="127.0.0.1", PGPORT=str(i["port"]),
                PGUSER=i["user"], PGDATABASE="postgres")


def createdb(d):
    i = info(d)
    name = "gp_" + secrets.token_hex(6)
    subprocess.run([i["bindir"] + "/createdb", name], env=env(d), check=True)
    return "postgresql://%s@127.0.0.1:%d/%s" % (i["user"], i["port"], name)


def psql(d, db, sql):
    i = info(d)
    r = subprocess.run([i["bindir"] + "/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", db, "-c", sql], env=env(d), check=True, capture_output=True,
                       text=True)
    return r.stdout


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "start":
        start(d)
    elif cmd == "stop":
        stop(d)
    elif cmd == "restart":
        start(d, info(d)["port"])
    elif cmd == "createdb":
        print(createdb(d))
    elif cmd == "psql":
        print(psql(d, sys.argv[3], sys.argv[4]), end="")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
