#!/usr/bin/python3
"""The daemon's memory per check: `gprobe run` at several sizes of the
same estate (N targets x M SNMP GETs every --interval seconds against the
lab's real snmpd, --blackhole percent of the targets at loopback
addresses nobody listens at), one size after the other. Each runs until
every healthy check has delivered twice (or --settle seconds), then its
peak RSS (VmHWM) is read. Prints per size the checks, peak RSS, heap RSS
and the RSS of mapped files (the libraries), then the least-squares line
through the points: bytes per check (the slope) and the fixed base (the
intercept), with the goal's test (<= 2 KB a check plus a fixed base).

  bench/rss.py [--sizes 200,2000,10000] [--checks 5] [--interval 10]
               [--blackhole 0] [--settle 60] [--agents 101] [--build DIR]

Without --build it builds build-bench/ (RelWithDebInfo). Work files go to
bench/out/rss/. Each daemon is stopped by PID (SIGTERM, then SIGKILL).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

from common import OUT, ROOT, LabSnmpd, build, peak_rss_mb, write_config

GOAL_PER_CHECK = 2048


def rss_parts(pid):
    """(heap kB, mapped files kB) from /proc/PID/smaps."""
    heap = files = 0
    name = ""
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = parts[5] if len(parts) > 5 else ""
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                if name == "[heap]":
                    heap += kb
                elif name.startswith("/"):
                    files += kb
    return heap, files


def values_seen(log_path):
    """Debug lines of results with a value, per check."""
    counts = {}
    with open(log_path, "rb") as f:
        for m in re.finditer(rb"^\S+ DEBUG (t\d{5}/\S+) [A-Z]+: [0-9.]+ = ", f.read(), re.M):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def measure(a, lab, gprobe, plugins, targets):
    work = os.path.join(OUT, "rss", "t%d" % targets)
    subprocess.run(["rm", "-rf", work], check=True)
    os.makedirs(work)
    cfg = os.path.join(work, "gprobe.yaml")
    a.targets = targets
    n_hole = write_config(cfg, a, os.path.join(work, "data"), lab.port, lab.agents)
    healthy = (targets - n_hole) * a.checks
    log_path = os.path.join(work, "gprobe.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([gprobe, "-v", "-c", cfg, "run"], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=dict(os.environ,
                                                                 GPROBE_PLUGIN_DIR=plugins),
                                start_new_session=True)
    try:
        deadline = time.time() + a.settle
        twice = 0
        while time.time() < deadline and proc.poll() is None:
            time.sleep(1)
            counts = values_seen(log_path)
            twice = sum(1 for v in counts.values() if v >= 2)
            if twice >= healthy:
                break
        if proc.poll() is not None:
            sys.exit("bench: gprobe run ended with %d: see %s" % (proc.returncode, log_path))
        peak = peak_rss_mb(proc.pid)
        heap, files = rss_parts(proc.pid)
        return {"targets": targets, "checks": targets * a.checks, "peak_mb": peak,
                "heap_mb": heap / 1024.0, "files_mb": files / 1024.0,
                "settled": twice >= healthy, "twice": twice, "healthy": healthy}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def fit(points):
    """Least squares y = base + slope * x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="200,2000,10000", help="targets, comma-separated")
    p.add_argument("--checks", type=int, default=5)
    p.add_argument("--interval", type=int, default=10)
    p.add_argument("--retry", type=int, default=5)
    p.add_argument("--blackhole", type=int, default=0, help="percent of targets")
    p.add_argument("--settle", type=int, default=60, help="most seconds a size may take")
    p.add_argument("--agents", type=int, default=101, choices=range(1, 102), metavar="1..101")
    p.add_argument("--build", default=None)
    a = p.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    if len(sizes) < 2:
        sys.exit("bench: --sizes needs two sizes or more")

    build_dir = a.build or os.path.join(ROOT, "build-bench")
    if not a.build:
        build(build_dir)
    gprobe = os.path.join(build_dir, "probe", "gprobe")
    plugins = os.path.join(build_dir, "collectors")
    with LabSnmpd(os.path.join(OUT, "rss", "lab"), a.agents) as lab:
        rows = [measure(a, lab, gprobe, plugins, t) for t in sizes]

    print("gprobe run, peak RSS by size: %d SNMP GETs a target every %d s, %d%% black-holed, "
          "%d agent addresses" % (a.checks, a.interval, a.blackhole, a.agents))
    print("%8s %8s %14s %10s %14s %9s" % ("targets", "checks", "peak RSS, MB", "heap, MB",
                                          "libraries, MB", "settled"))
    for r in rows:
        print("%8d %8d %14.1f %10.1f %14.1f %9s" % (
            r["targets"], r["checks"], r["peak_mb"], r["heap_mb"], r["files_mb"],
            "yes" if r["settled"] else "%d/%d" % (r["twice"], r["healthy"])))
    base, slope = fit([(r["checks"], r["peak_mb"] * 1024 * 1024) for r in rows])
    print("per check (least-squares slope of peak RSS over checks): %.0f bytes; fixed base %.1f MB"
          % (slope, base / 1024 / 1024))
    print("goal: <= %d bytes a check plus a fixed base: %s (ratio %.2f)" % (
        GOAL_PER_CHECK, "met" if slope <= GOAL_PER_CHECK else "NOT met", slope / GOAL_PER_CHECK))
    print("measured: VmHWM from /proc/PID/status once every healthy check delivered twice "
          "(the -v log's value lines); heap and libraries from /proc/PID/smaps at that moment")


if __name__ == "__main__":
    main()
