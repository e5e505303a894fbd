#!/usr/bin/python3
"""gprobe next to collectd's snmp plugin, in one run, on the same load
against the same real snmpd (the lab's, tests/lab/lab.py): N targets x M
SNMP GETs every --interval seconds, the targets spread over --agents
loopback addresses snmpd answers at, --blackhole percent of them at
loopback addresses nobody listens at (127.2.x.y: every request times
out). First collectd (`collectd -f`, its snmp plugin: one <Host> per
target, one <Data> per OID, --collectd-threads read threads), then
`gprobe run`, one after the other. Each runs until its first value is
out, half an interval more (start-up), then the measured window of
--seconds (a daemon with no value two intervals after its start gets its
window from then on). Prints for both, and gprobe/collectd:

  - CPU seconds in the window (user + sys, /proc/PID/stat) and per
    delivered value, in microseconds; the CPU before the window apart;
  - delivered values, and their share of what the schedule asks of the
    healthy targets (healthy targets x checks x seconds / interval); how
    many healthy targets delivered nothing in the window; the longest gap
    between two values of a check (99th percentile and worst over the
    healthy checks; a check with fewer than two values counts the whole
    window); how long the first value took;
  - peak RSS (VmHWM), the most threads and descriptors;
  - snmpd's side in the window: GET PDUs answered, objects asked, its CPU.

A delivered value is one line of the daemon's output, in a file: for
collectd its write_log plugin's (Graphite format, through the logfile
plugin), or with --collectd-writer csv a line of the csv plugin's files;
for gprobe the debug line of a result with a value (`gprobe -v run`).

  bench/vs_collectd.py [--targets 2000] [--checks 5] [--interval 10]
                       [--blackhole 0] [--seconds 60] [--collectd-threads 5]
                       [--agents 101] [--collectd-writer write_log|csv]
                       [--retry 5] [--build DIR]

Needs collectd-core and libyajl2 (write_log's library; apt-get install
--no-install-recommends collectd-core libyajl2). Without --build it
builds build-bench/ (RelWithDebInfo). Work files go to
bench/out/vs-collectd/ (kept until the next run). Each daemon runs in a
session of its own; at the end it gets SIGTERM, then anything left in
its session SIGKILL, by PID, and the session is checked empty. All
traffic stays on loopback addresses.
"""
import argparse
import calendar
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from common import (OIDS, OUT, ROOT, LabSnmpd, build, cpu_seconds, estate, open_fds,
                    peak_rss_mb, threads, write_config)

COLLECTD = "/usr/sbin/collectd"
COLLECTD_PLUGINS = "/usr/lib/collectd"
COLLECTD_TYPES = "/usr/share/collectd/types.db"

# A value line: t the target, c the check, v the value, ts its time.
# collectd's write_log, Graphite: "t00012.snmp.gauge-uptime 1234 1764619880"
GRAPHITE = re.compile(rb"^(?P<t>t\d{5})\.snmp\.gauge-(?P<c>\S+) (?P<v>\S+) (?P<ts>\d+)\r?$",
                      re.M)
# gprobe -v: "2026-12-01T20:11:29Z DEBUG t00001/uptime OK: 1.3.6.1.2.1.1.3.0 = 335"
GPROBE_VALUE = re.compile(rb"^(?P<ts>\S+) DEBUG (?P<t>t\d{5})/(?P<c>\S+) [A-Z]+: [0-9.]+ = "
                          rb"(?P<v>\S+)", re.M)


# ------------------------------------------------------------------ #
# Processes: each daemon in its own session, stopped by PID.

def session_members(sid):
    """PIDs of the live processes in session SID."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found


def stop_session(proc, deadline_s=30.0):
    """SIGTERM to the daemon, then SIGKILL to whatever is left in its
    session, each by PID. Returns (exit status, PIDs that were killed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            pass
    killed = []
    for _ in range(3):
        left = session_members(proc.pid)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
        if proc.poll() is None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    if session_members(proc.pid):
        sys.exit("bench: processes of session %d would not stop: %s"
                 % (proc.pid, session_members(proc.pid)))
    return proc.returncode, killed


def watch(proc, a, what, log_path, first_value, lab):
    """Runs PROC until FIRST_VALUE() says its first value is out and half
    an interval more (or two intervals, if no value came), then the window
    of --seconds. At the window's start and end: (wall clock, CPU s, size
    of LOG_PATH, snmpd's counters). Returns those two points, when the
    first value came (s after the start, or None), peak RSS MB, the most
    threads and the most (descriptors, sockets)."""
    t0 = time.time()
    most_thr, most_fds = 0, (0, 0)
    points, due, first = [], None, None
    while True:
        if proc.poll() is not None:
            sys.exit("bench: %s exited early (%d): see %s" % (what, proc.returncode, log_path))
        now = time.time()
        if first is None and first_value():
            first = now - t0
            if due is None:
                due = [now + a.interval / 2.0, now + a.interval / 2.0 + a.seconds]
        if due is None and now - t0 >= 2 * a.interval:
            due = [now, now + a.seconds]
        while due and now >= due[0]:
            due.pop(0)
            points.append((now, cpu_seconds(proc.pid), os.path.getsize(log_path),
                           lab.counters()))
            now = time.time()
        if due == []:
            break
        try:
            most_thr = max(most_thr, threads(proc.pid))
            most_fds = max(most_fds, open_fds(proc.pid))
        except OSError:
            pass
        time.sleep(max(min(0.5, due[0] - time.time()) if due else 0.2, 0.001))
    if first is None and first_value():
        first = time.time() - t0
    return points, first, peak_rss_mb(proc.pid), most_thr, most_fds


def window(points, data, regex, epoch):
    """[(target, check, time)] of the values logged in the window, by the
    log's size at the points (a line counts where it starts). REGEX on
    bytes (groups t, c, v, ts); EPOCH(ts) the time in seconds."""
    (_, _, s0, _), (_, _, s1, _) = points
    found = []
    for m in regex.finditer(data, s0, s1):
        if m.group("v").lower() in (b"nan", b"-nan"):
            continue
        found.append((m.group("t").decode(), m.group("c").decode(), epoch(m.group("ts"))))
    return found


def iso_epoch(ts, cache={}):
    if ts not in cache:
        cache[ts] = calendar.timegm(time.strptime(ts.decode(), "%Y-%m-%dT%H:%M:%SZ"))
    return cache[ts]


def first_in(log_path, regex):
    def seen():
        with open(log_path, "rb") as f:
            return regex.search(f.read()) is not None
    return seen


# ------------------------------------------------------------------ #
# collectd

def collectd_config(path, work, a, targets, snmp_port):
    lines = [
        "# Written by bench/vs_collectd.py",
        'Hostname "vs-collectd"',
        "FQDNLookup false",
        'BaseDir "%s"' % work,
        'PIDFile "%s/collectd.pid"' % work,
        'PluginDir "%s"' % COLLECTD_PLUGINS,
        'TypesDB "%s"' % COLLECTD_TYPES,
        "AutoLoadPlugin false",
        "CollectInternalStats false",
        "Interval %d" % a.interval,
        "ReadThreads %d" % a.collectd_threads,
        "WriteThreads 5",
        "",
        "LoadPlugin logfile",
        "<Plugin logfile>",
        '  LogLevel "info"',
        '  File "stdout"',
        "  Timestamp false",
        "  PrintSeverity true",
        "</Plugin>",
    ]
    if a.collectd_writer == "csv":
        lines += ["LoadPlugin csv", "<Plugin csv>", '  DataDir "%s/csv"' % work,
                  "  StoreRates false", "</Plugin>"]
    else:
        lines += ["LoadPlugin write_log", "<Plugin write_log>", '  Format "Graphite"',
                  "</Plugin>"]
    lines += ["LoadPlugin snmp", "<Plugin snmp>"]
    for name, oid, _ in OIDS[:a.checks]:
        lines += ['  <Data "%s">' % name, '    Type "gauge"', "    Table false",
                  '    TypeInstance "%s"' % name, '    Values "%s"' % oid, "  </Data>"]
    collect = " ".join('"%s"' % name for name, _, _ in OIDS[:a.checks])
    # gprobe's `timeout: 2s` with `retries: 1` is net-snmp's 1 s a try,
    # 2 tries (collectors/snmp.c): the same here.
    for name, host, _ in targets:
        lines += ['  <Host "%s">' % name, '    Address "udp:%s:%d"' % (host, snmp_port),
                  "    Version 2", '    Community "public"', "    Collect %s" % collect,
                  "    Interval %d" % a.interval, "    Timeout 1", "    Retries 1", "  </Host>"]
    lines += ["</Plugin>", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def collectd_csv_values(work, points):
    """window() for the csv plugin's files, by the values' own times."""
    t0, t1 = (p[0] for p in points)
    found = []
    root = os.path.join(work, "csv")
    for host in os.listdir(root) if os.path.isdir(root) else []:
        for dirpath, _, files in os.walk(os.path.join(root, host)):
            for fn in files:
                # DataDir/HOST/snmp/gauge-CHECK-YYYY-MM-DD
                check = fn[len("gauge-"):-len("-YYYY-MM-DD")]
                with open(os.path.join(dirpath, fn)) as f:
                    for line in f:
                        ts, _, val = line.strip().partition(",")
                        try:
                            ts = float(ts)
                        except ValueError:
                            continue  # the header
                        if val.lower() not in ("nan", "-nan") and t0 <= ts < t1:
                            found.append((host, check, ts))
    return found


def collectd_version():
    out = subprocess.run([COLLECTD, "-h"], capture_output=True, text=True).stdout
    m = re.search(r"collectd (\d+\.\d+\.\d+)", out)
    return m.group(1) if m else "?"


def run_collectd(a, lab, targets, work):
    os.makedirs(work)
    conf = os.path.join(work, "collectd.conf")
    collectd_config(conf, work, a, targets, lab.port)
    # net-snmp inside collectd: no MIB loading (gprobe loads none either),
    # none of the host's config, its persistent files in the work dir.
    snmp_dir = os.path.join(work, "snmp")
    os.makedirs(snmp_dir)
    with open(os.path.join(snmp_dir, "snmp.conf"), "w") as f:
        f.write("mibs :\n")
    env = dict(os.environ, MIBS="", MIBDIRS="/nonexistent", SNMPCONFPATH=snmp_dir,
               SNMP_PERSISTENT_DIR=snmp_dir)
    check = subprocess.run([COLLECTD, "-t", "-C", conf], capture_output=True, text=True,
                           env=env, cwd=work)
    if check.returncode != 0 or "rror" in check.stdout + check.stderr:
        sys.exit("bench: collectd -t refused %s:\n%s%s" % (conf, check.stdout, check.stderr))
    log_path = os.path.join(work, "collectd.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([COLLECTD, "-f", "-C", conf], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=env, cwd=work,
                                start_new_session=True)
    try:
        if a.collectd_writer == "csv":
            def first():
                return os.path.isdir(os.path.join(work, "csv"))
        else:
            first = first_in(log_path, GRAPHITE)
        points, first_s, rss, thr, fds = watch(proc, a, "collectd", log_path, first, lab)
    finally:
        rc, killed = stop_session(proc)
    with open(log_path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", "replace")
    if a.collectd_writer == "csv":
        values = collectd_csv_values(work, points)
    else:
        values = window(points, data, GRAPHITE, int)
    return {"points": points, "first": first_s, "rss": rss, "threads": thr, "fds": fds,
            "values": values, "rc": rc, "killed": killed,
            "timeouts": text.count("snmp_sess_synch_response failed"),
            "suspended": text.count("Will suspend it for")}


# ------------------------------------------------------------------ #
# gprobe

def run_gprobe(a, lab, build_dir, work):
    os.makedirs(work)
    cfg = os.path.join(work, "gprobe.yaml")
    write_config(cfg, a, os.path.join(work, "data"), lab.port, lab.agents)
    log_path = os.path.join(work, "gprobe.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([os.path.join(build_dir, "probe", "gprobe"), "-v", "-c", cfg,
                                 "run"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=dict(os.environ, GPROBE_PLUGIN_DIR=os.path.join(
                                    build_dir, "collectors")),
                                cwd=work, start_new_session=True)
    try:
        points, first_s, rss, thr, fds = watch(proc, a, "gprobe run", log_path,
                                               first_in(log_path, GPROBE_VALUE), lab)
    finally:
        rc, killed = stop_session(proc)
    if rc != 0:
        sys.exit("bench: gprobe run ended with %d: see %s" % (rc, log_path))
    with open(log_path, "rb") as f:
        data = f.read()
    values = window(points, data, GPROBE_VALUE, iso_epoch)
    return {"points": points, "first": first_s, "rss": rss, "threads": thr, "fds": fds,
            "values": values, "rc": rc, "killed": killed,
            "timeouts": data.count(b"no SNMP response")}


# ------------------------------------------------------------------ #

def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("inf")


def summarize(r, a, healthy):
    (t0, cpu0, _, snmp0), (t1, cpu1, _, snmp1) = r["points"]
    n = len(r["values"])
    r["n"] = n
    r["window"] = t1 - t0
    r["cpu"] = cpu1 - cpu0
    r["cpu_before"] = cpu0
    r["expected"] = len(healthy) * a.checks * a.seconds / a.interval
    r["share"] = 100.0 * n / r["expected"] if r["expected"] else 0.0
    r["us_per_value"] = 1e6 * r["cpu"] / n if n else float("inf")
    got = {t for t, _, _ in r["values"]}
    r["starved"] = sum(1 for t in healthy if t not in got)
    times = {(t, c[0]): [] for t in healthy for c in OIDS[:a.checks]}
    for t, c, ts in r["values"]:
        times.setdefault((t, c), []).append(ts)
    worst = []
    for ts in times.values():
        ts.sort()
        worst.append(max((y - x for x, y in zip(ts, ts[1:])), default=a.seconds)
                     if len(ts) > 1 else a.seconds)
    r["gap_p99"], r["gap_max"] = percentile(worst, 0.99), max(worst, default=float("inf"))
    r["first_s"] = r["first"] if r["first"] is not None else float("inf")
    cpu_s, answers, objects = (y - x for x, y in zip(snmp0, snmp1))
    # The counters' own GETs in between (a reading is two GETs of one
    # object): the second at the start, the first at the end.
    r["answers"], r["objects"] = max(answers - 1, 0), max(objects - 1, 0)
    r["snmpd_cpu"] = cpu_s
    r["snmpd_us"] = 1e6 * cpu_s / n if n else float("inf")


def ratio(g, c):
    inf = float("inf")
    if c == 0 or inf in (c, g):
        return "-"
    return "%.2f" % (g / c)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", type=int, default=2000)
    p.add_argument("--checks", type=int, default=5, choices=range(1, len(OIDS) + 1))
    p.add_argument("--interval", type=int, default=10)
    p.add_argument("--retry", type=int, default=5, help="gprobe's retry_interval")
    p.add_argument("--blackhole", type=int, default=0, help="percent of targets")
    p.add_argument("--seconds", type=int, default=60, help="each daemon's measured window")
    p.add_argument("--collectd-threads", type=int, default=5, help="collectd's ReadThreads")
    p.add_argument("--collectd-writer", choices=("write_log", "csv"), default="write_log")
    p.add_argument("--agents", type=int, default=101, choices=range(1, 102),
                   metavar="1..101", help="loopback addresses snmpd answers at (1: 127.0.0.1)")
    p.add_argument("--build", default=None)
    a = p.parse_args()
    if a.seconds < a.interval:
        sys.exit("bench: --seconds must be at least --interval")
    if not os.access(COLLECTD, os.X_OK):
        sys.exit("bench: %s missing: apt-get install --no-install-recommends collectd-core "
                 "libyajl2" % COLLECTD)

    build_dir = os.path.abspath(a.build or os.path.join(ROOT, "build-bench"))
    if not a.build:
        build(build_dir)
    work = os.path.join(OUT, "vs-collectd")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    version = collectd_version()
    load0 = os.getloadavg()

    with LabSnmpd(os.path.join(OUT, "lab-vs"), a.agents) as lab:
        targets = estate(a.targets, a.blackhole, lab.agents)
        healthy = [t for t, _, ok in targets if ok]
        print("vs collectd: %d targets x %d SNMP GETs every %d s, %d black-holed (%d%%), "
              "snmpd at %d loopback addresses, a %d s window each"
              % (a.targets, a.checks, a.interval, len(targets) - len(healthy), a.blackhole,
                 len(lab.agents), a.seconds), flush=True)
        t0 = time.time()
        c = run_collectd(a, lab, targets, os.path.join(work, "collectd"))
        time.sleep(3)  # late answers and retransmissions die out
        g = run_gprobe(a, lab, build_dir, os.path.join(work, "gprobe"))
        wall = time.time() - t0
    load1 = os.getloadavg()
    for r in (c, g):
        summarize(r, a, healthy)

    inf = float("inf")
    rows = [
        ("CPU s in the window", "%.2f", "cpu"),
        ("CPU per value, us", "%.1f", "us_per_value"),
        ("values delivered", "%d", "n"),
        ("  share of expected, %", "%.1f", "share"),
        ("  healthy targets with none", "%d", "starved"),
        ("  gap of a check, p99, s", "%.0f", "gap_p99"),
        ("  gap of a check, worst, s", "%.0f", "gap_max"),
        ("first value after, s", "%.1f", "first_s"),
        ("peak RSS (VmHWM), MB", "%.1f", "rss"),
        ("threads (most)", "%d", "threads"),
        ("descriptors (most)", "%d", "fds"),
        ("CPU s before the window", "%.2f", "cpu_before"),
        ("snmpd: CPU s in the window", "%.2f", "snmpd_cpu"),
        ("snmpd: GET PDUs answered", "%d", "answers"),
        ("snmpd: objects asked", "%d", "objects"),
        ("snmpd: CPU per value, us", "%.1f", "snmpd_us"),
        ("timeouts logged (whole run)", "%d", "timeouts"),
    ]
    cname = "collectd %s, %d thr" % (version, a.collectd_threads)
    print("%-29s %21s %10s %16s" % ("", cname, "gprobe", "gprobe/collectd"))
    for label, fmt, key in rows:
        cv, gv = c[key], g[key]
        if key == "fds":
            cv, gv = cv[0], gv[0]
        print("%-29s %21s %10s %16s" % (label, fmt % cv if cv != inf else "-",
                                        fmt % gv if gv != inf else "-", ratio(gv, cv)))
    print("expected: %d healthy targets x %d checks x %d s / %d s = %.0f values a daemon"
          % (len(healthy), a.checks, a.seconds, a.interval, c["expected"]))
    if a.blackhole:
        print("collectd suspended a failing read %d times (its back-off: 2x the interval, "
              "doubling)" % c["suspended"])
    print("measured: the same snmpd (lab), collectd (writer %s) then gprobe (-v), one after "
          "the other, each a %d s window (%.1f s / %.1f s measured) from its first value "
          "+ %.0f s; %.0f s in all; CPU user+sys from /proc/PID/stat; %d cores; load "
          "average %.2f %.2f %.2f before, %.2f %.2f %.2f after; work files in %s"
          % (a.collectd_writer, a.seconds, c["window"], g["window"], a.interval / 2.0, wall,
             os.cpu_count() or 0, load0[0], load0[1], load0[2], load1[0], load1[1], load1[2],
             os.path.relpath(work, ROOT)))
    for name, r in (("collectd", c), ("gprobe", g)):
        if r["killed"]:
            print("note: %s left %d processes, killed by PID: %s" % (name, len(r["killed"]),
                                                                      r["killed"]))


if __name__ == "__main__":
    main()
