"""Helpers for the integration tests: the lab's ports, running gprobe's
programs with a deadline, and waiting on a condition (never a fixed
sleep)."""
import json
import os
import signal
import subprocess
import time

GPROBE = os.environ["GPROBE"]
CHECK_GENESYS = os.environ["CHECK_GENESYS"]
LAB_DIR = os.environ["LAB_DIR"]
LAB_PY = os.environ["LAB_PY"]
CONFIG = os.path.join(LAB_DIR, "gprobe.yaml")
# A PostgreSQL server of tests/lab/pg.py: when set, the tests that write
# their own config run on the postgresql store, each config on a fresh
# database (ctest runs them so a second time; see tests/CMakeLists.txt).
PG_DIR = os.environ.get("GPROBE_TEST_PG")
PG_PY = os.path.join(os.path.dirname(LAB_PY), "pg.py")


def pg_info(pg_dir=None):
    with open(os.path.join(pg_dir or PG_DIR, "pg.json"), encoding="utf-8") as f:
        return json.load(f)


def pg_createdb(pg_dir=None):
    """A fresh database on the tests' PostgreSQL: its URI."""
    return subprocess.run(["/usr/bin/python3", PG_PY, "createdb", pg_dir or PG_DIR],
                          check=True, timeout=60, capture_output=True,
                          text=True).stdout.strip()


def pg_sql(uri, sql, pg_dir=None):
    """Runs SQL in the database of uri as the tests' user: its rows as
    lists of text (psql's unaligned output)."""
    db = uri.rsplit("/", 1)[1]
    out = subprocess.run(["/usr/bin/python3", PG_PY, "psql", pg_dir or PG_DIR, db, sql],
                         check=True, timeout=60, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def store_keys(uri=None):
    """The `probe:` keys of the store under test, as flow-mapping text
    (", store: ..., store_password_file: ..."): none for sqlite; on
    PostgreSQL a fresh database unless uri is given."""
    if not PG_DIR:
        return ""
    return ", store: \"%s\", store_password_file: %s" % (uri or pg_createdb(),
                                                         pg_info()["password_file"])


def with_store(text, uri=None):
    """A config's text with the store under test (store_keys) in its
    `probe:` mapping, flow or block."""
    keys = store_keys(uri)
    if not keys:
        return text
    if "probe: {" in text:
        return text.replace("probe: {", "probe: {" + keys[2:] + ", ", 1)
    block = "probe:\n"
    i = text.find(block) if text.startswith(block) else text.find("\n" + block)
    if i < 0:
        return "probe: {%s}\n" % keys[2:] + text
    i = text.index(block, i) + len(block)
    lines = "".join("  %s\n" % kv.strip() for kv in keys[2:].split(", "))
    return text[:i] + lines + text[i:]


def lab_info():
    with open(os.path.join(LAB_DIR, "lab.json"), encoding="utf-8") as f:
        return json.load(f)


def lab(*args):
    subprocess.run(["/usr/bin/python3", LAB_PY, args[0], LAB_DIR] + list(args[1:]),
                   check=True, timeout=60)


def run(argv, timeout=60, env=None):
    """Runs a program; returns (exit code, stdout, stderr)."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def gprobe(*args, timeout=60):
    return run([GPROBE, "-c", CONFIG] + list(args), timeout=timeout)


def wait_until(what, cond, deadline_s=30.0):
    end = time.monotonic() + deadline_s
    delay = 0.02
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError("%s: not within %.0f s" % (what, deadline_s))
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def write_config(directory, text):
    """A config for one test, next to its own files; returns its path."""
    path = os.path.join(directory, "gprobe.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(with_store(text))
    return path


def lca_config(directory, probe):
    """A config of one target, the lab's lca-1 with its port check, and the
    given `probe:` keys (a flow mapping's inside, data_dir included);
    written into directory, returns its path."""
    return write_config(directory,
                        "probe: {%s}\n"
                        "targets:\n"
                        "  - name: lca-1\n    host: 127.0.0.1\n    owner: supplier\n"
                        "    checks: [{name: port, tcp_connect: %d}]\n"
                        % (probe, lab_info()["ports"]["lca-1"]))


def diag_json(config, target, timeout=60):
    """`gprobe diag TARGET --json`: (exit code, {check name: check})."""
    rc, out, err = run([GPROBE, "-c", config, "diag", target, "--json"], timeout=timeout)
    if not out.strip():
        raise AssertionError("diag printed nothing (exit %d): %s" % (rc, err))
    data = json.loads(out)
    return rc, {c["name"]: c for c in data["checks"]}


class Daemon:
    """One `gprobe run`, logging to a file, stopped by PID."""

    def __init__(self, cfg, logpath, env=None):
        self.log = open(logpath, "a")
        self.p = subprocess.Popen([GPROBE, "-c", cfg, "run"], stdout=self.log, stderr=self.log,
                                  env=dict(os.environ, **(env or {})))

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        rc = self.p.wait(timeout=30)
        self.log.close()
        return rc


def free_tcp_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tcp_open(port):
    """Whether something accepts on 127.0.0.1:port."""
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def free_udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Helper:
    """A helper process of one test (a hostile agent...), stopped by PID."""

    def __init__(self, argv, ready_line="ready"):
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != ready_line:
            self.stop()
            raise AssertionError("helper %s did not start: %r" % (argv, line))

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p.stdout.close()
