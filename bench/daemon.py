#!/usr/bin/python3
"""The daemon's benchmark: `gprobe run` over N targets x M SNMP checks
against the lab's real snmpd, answering at --agents loopback addresses
(targets spread over them, as over an estate's hosts), a share of the
targets black-holed (loopback addresses nobody listens at), for a fixed
time. Prints:

  - checks per second done;
  - the share of checks started within 1 s of their schedule;
  - the daemon's CPU seconds per 1,000 checks next to snmpd's CPU seconds
    per 1,000 answers (snmpOutGetResponses) in the same run;
  - the daemon's peak RSS, and the most descriptors it held open;
  - how long it took to start (to its "gprobe started" line);
  - the detection latency of a failure: a lab component is stopped half
    way; from its check's first failed result to the target's hard DOWN,
    against attempts x retry_interval + 1 s.

  bench/daemon.py [--targets 2000] [--checks 5] [--interval 10]
                  [--blackhole 20] [--seconds 90] [--agents 101] [--rrd]
                  [--data-dir DIR] [--rrdcached] [--build DIR]

Without --build it builds build-bench/ (RelWithDebInfo). --rrd keeps the
values in RRD files too (about 1.7 MB a check: mind the disk; --data-dir
puts the database and the RRD files on a file system with room, emptied
first) and prints the writer's figures; --rrdcached sends the updates
through an rrdcached the bench starts (its files in the same data
folder, written every 60 s, stopped by PID). Work files go to bench/out/.
"""
import argparse
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

from common import (LAB_PY, OIDS, ROOT, LabSnmpd, build, cpu_seconds, open_fds, peak_rss_mb,
                    snmp_counter, write_config)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", type=int, default=2000)
    p.add_argument("--checks", type=int, default=5, choices=range(1, len(OIDS) + 1))
    p.add_argument("--interval", type=int, default=10)
    p.add_argument("--retry", type=int, default=5)
    p.add_argument("--blackhole", type=int, default=20, help="percent of targets")
    p.add_argument("--seconds", type=int, default=90)
    p.add_argument("--agents", type=int, default=101, choices=range(1, 102),
                   metavar="1..101", help="loopback addresses snmpd answers at (1: 127.0.0.1)")
    p.add_argument("--rrd", action="store_true")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--rrdcached", action="store_true")
    p.add_argument("--build", default=None)
    a = p.parse_args()
    if a.rrdcached and not a.rrd:
        p.error("--rrdcached writes RRD files: give --rrd too")

    build_dir = a.build or os.path.join(ROOT, "build-bench")
    if not a.build:
        build(build_dir)
    gprobe = os.path.join(build_dir, "probe", "gprobe")
    out = os.path.join(ROOT, "bench", "out")
    lab_dir = os.path.join(out, "lab")
    data_dir = os.path.abspath(a.data_dir) if a.data_dir else os.path.join(out, "data")
    if os.path.isdir(data_dir):  # emptied, not removed: it may be a mount point
        subprocess.run(["find", data_dir, "-mindepth", "1", "-delete"], check=True)
    os.makedirs(out, exist_ok=True)
    lab = LabSnmpd(lab_dir, a.agents).__enter__()
    daemon = cached = None
    try:
        a.rrdcached_socket = None
        if a.rrdcached:
            a.rrdcached_socket = os.path.join(out, "rrdcached.sock")
            if os.path.exists(a.rrdcached_socket):
                os.unlink(a.rrdcached_socket)
            cached = subprocess.Popen(["rrdcached", "-g", "-l", "unix:" + a.rrdcached_socket,
                                       "-w", "60", "-z", "30", "-f", "3600", "-t", "4"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 30
            while not os.path.exists(a.rrdcached_socket):
                if time.time() > deadline or cached.poll() is not None:
                    sys.exit("rrdcached did not start")
                time.sleep(0.1)
        snmp_port, snmpd_pid = lab.port, lab.pid
        cfg = os.path.join(out, "bench.yaml")
        n_hole = write_config(cfg, a, data_dir, snmp_port, lab.agents, lab.info["ports"]["lca-1"])
        n_checks = a.targets * a.checks
        print("gprobe run: %d targets x %d SNMP checks every %d s, %d targets black-holed, "
              "%d s, %d agent addresses" % (a.targets, a.checks, a.interval, n_hole, a.seconds,
                                         a.agents))

        snmpd_cpu0 = cpu_seconds(snmpd_pid)
        answers0 = snmp_counter(snmp_port, "1.3.6.1.2.1.11.28.0")  # snmpOutGetResponses
        vars0 = snmp_counter(snmp_port, "1.3.6.1.2.1.11.13.0")  # snmpInTotalReqVars
        log = open(os.path.join(out, "run.log"), "w")
        t0 = time.time()
        daemon = subprocess.Popen([gprobe, "-c", cfg, "run"], stdout=log, stderr=log,
                                  env=dict(os.environ, GPROBE_PLUGIN_DIR=os.path.join(
                                      build_dir, "collectors")))
        broken = None
        ready_s = None
        most_fds = (0, 0)
        while time.time() - t0 < a.seconds:
            if daemon.poll() is not None:
                sys.exit("gprobe run exited early: see %s" % log.name)
            if broken is None and time.time() - t0 >= a.seconds / 2:
                subprocess.run([LAB_PY, "component-stop", lab_dir, "lca-1"], check=True)
                broken = time.time()
            if ready_s is None:
                with open(log.name) as f:
                    if "gprobe started" in f.read():
                        ready_s = time.time() - t0
            most_fds = max(most_fds, open_fds(daemon.pid))
            time.sleep(0.1 if ready_s is None else 0.5)
        cpu = cpu_seconds(daemon.pid)
        rss = peak_rss_mb(daemon.pid)
        snmpd_cpu = cpu_seconds(snmpd_pid) - snmpd_cpu0
        answers = snmp_counter(snmp_port, "1.3.6.1.2.1.11.28.0") - answers0 - 1
        varbinds = snmp_counter(snmp_port, "1.3.6.1.2.1.11.13.0") - vars0
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(timeout=60)
        log.close()
        with open(log.name) as f:
            text = f.read()
        m = re.findall(r"stats: (\d+) s, (\d+) checks started \((\d+) more than 1 s late, "
                       r"latest by (\d+) ms\), (\d+) results", text)
        rrd = re.findall(r"rrd (\d+) updates, (\d+) failed, (\d+) created, (\d+) dropped "
                         r"\(queue (\d+) of", text)
        if rc != 0 or not m:
            sys.exit("gprobe run ended with %d and no stats line: see %s" % (rc, log.name))
        secs, started, late, latest_ms, results = (int(x) for x in m[-1])

        con = sqlite3.connect("file:%s/gprobe.db?mode=ro" % data_dir, uri=True)
        first = con.execute("SELECT at FROM event WHERE kind = 'check' AND subject = "
                            "'detect/port' AND new_state = 'CRITICAL'").fetchone()
        down = con.execute("SELECT recorded_at FROM event WHERE kind = 'target' AND subject = "
                           "'detect' AND new_state = 'DOWN'").fetchone()
        # The daemon's own figures for its last minute (check_genesys --self).
        last_minute = con.execute("SELECT rrd_failed, rrd_dropped FROM heartbeat "
                                  "WHERE health_at > 0").fetchone()
        con.close()

        print("checks done:          %d in %d s = %.0f checks/s (schedule: %.0f/s)"
              % (results, secs, results / secs, n_checks / a.interval))
        print("started on time:      %.2f%% of %d starts within 1 s of schedule "
              "(latest %d ms late)" % (100.0 * (started - late) / max(started, 1), started,
                                       latest_ms))
        print("daemon CPU:           %.2f s = %.4f s per 1,000 checks"
              % (cpu, 1000.0 * cpu / max(results, 1)))
        print("snmpd CPU:            %.2f s = %.4f s per 1,000 answers (%d answers of %.1f "
              "objects each; %.4f s per 1,000 objects)"
              % (snmpd_cpu, 1000.0 * snmpd_cpu / max(answers, 1), answers,
                 varbinds / max(answers, 1), 1000.0 * snmpd_cpu / max(varbinds, 1)))
        if a.rrdcached:
            print("RRD through:          rrdcached (-w 60 -z 30 -t 4), its CPU not counted "
                  "above: %.2f s" % cpu_seconds(cached.pid))
        if a.rrd and rrd:
            updates, failed, created, dropped, queued = (int(x) for x in rrd[-1])
            print("RRD:                  %d files created, %d updates (%.2f%% of the results), "
                  "%d failed, %d dropped, %d still queued at the stop"
                  % (created, updates, 100.0 * updates / max(results, 1), failed, dropped,
                     queued))
            if last_minute:
                print("RRD, last minute:     %d writes failed, %d dropped (the daemon's "
                      "figures, as check_genesys --self reads them)" % last_minute)
        print("daemon peak RSS:      %.1f MB" % rss)
        print("daemon descriptors:   at most %d open, %d of them sockets" % most_fds)
        print("start-up:             %s to \"gprobe started\""
              % ("%.1f s" % ready_s if ready_s is not None else "not seen"))
        bound = 3 * a.retry + 1
        if first and down:
            print("detection latency:    %d s from the first failed result to hard DOWN "
                  "(bound attempts x retry_interval + 1 = %d s); %.0f s after the break"
                  % (down[0] - first[0], bound, down[0] - broken))
        else:
            print("detection latency:    not seen (run longer than %d s?)" % a.seconds)
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
        if cached:
            cached.kill()  # what it holds is the benchmark's, not to be kept
            cached.wait()
        lab.stop()


if __name__ == "__main__":
    main()
