#!/usr/bin/python3
"""check_genesys against monitoring-plugins' check_snmp and check_http: the
same OID of the lab's snmpd with the same thresholds, and the same page of
the lab's HTTP server with the same expected status, run alternately, N
times each; prints the medians of CPU (user + sys, children included) and
wall time and their ratios. The SNMP pair runs twice: v2c, and v3
authPriv (SHA, AES) as the lab's user probe.

check_genesys asks the agent itself (numeric OIDs, no MIB loading, no
child process); check_snmp runs net-snmp's snmpget for each call.

Then --service and --target, which read the daemon's state from its
store: `gprobe run` polls the lab until the service is UP and is stopped,
and both are timed the same way (a heartbeat of any age taken as fresh,
so that the whole answer is built), beside `check_genesys -V` and
/bin/true for the cost of starting a process at all.

    python3 bench/check_genesys.py [--runs 200] [--build build-bench]

Builds (Release) only check_genesys, gprobe and the collectors they load
here.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_PY = os.path.join(ROOT, "tests", "lab", "lab.py")
CHECK_SNMP = "/usr/lib/nagios/plugins/check_snmp"
CHECK_HTTP = "/usr/lib/nagios/plugins/check_http"
OID = "1.3.6.1.4.1.1729.998.1"
PAGE = "/reports/health"  # the lab's: 200, "OK"


def build(build_dir):
    subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    "-DGPROBE_WERROR=ON"], check=True, stdout=subprocess.DEVNULL)
    # Only what the benchmark runs: work in progress elsewhere in the tree
    # cannot fail it.
    subprocess.run(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2), "--target",
                    "check_genesys", "gprobe", "collector_snmp", "collector_http",
                    "collector_http_curl", "collector_http_xpath", "collector_tcp",
                    "collector_ssh"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "checks", "check_genesys")


def timed(argv):
    """(wall s, CPU s of the process and its children: user + sys by
    wait4, exit code, first line of stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    return wall, ru.ru_utime + ru.ru_stime, p.returncode, out.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    a = p.parse_args()
    if not os.path.exists(CHECK_SNMP):
        sys.exit("bench: %s missing: apt-get install monitoring-plugins-standard" % CHECK_SNMP)
    if not os.path.exists(CHECK_HTTP):
        sys.exit("bench: %s missing: apt-get install monitoring-plugins-basic" % CHECK_HTTP)
    ours = build(a.build)
    out = os.path.join(ROOT, "bench", "out")
    lab_dir = os.path.join(out, "lab-check")
    os.makedirs(out, exist_ok=True)
    subprocess.run([LAB_PY, "stop", lab_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([LAB_PY, "start", lab_dir], check=True, stdout=subprocess.DEVNULL)
    try:
        with open(os.path.join(lab_dir, "lab.json")) as f:
            ports = json.load(f)["ports"]
        port, http_port = str(ports["snmp"]), str(ports["http"])
        subprocess.run([LAB_PY, "snmp-set", lab_dir, OID, "integer", "42"], check=True)
        secrets = os.path.join(lab_dir, "secrets")
        with open(os.path.join(secrets, "snmp-auth")) as f:
            auth = f.read().strip()
        with open(os.path.join(secrets, "snmp-priv")) as f:
            priv = f.read().strip()
        argv = {
            "check_genesys": [ours, "-H", "127.0.0.1", "-p", port, "-P", "snmp", "-C", "public",
                              "-o", OID, "-w", "50", "-c", "60"],
            "check_snmp": [CHECK_SNMP, "-H", "127.0.0.1", "-p", port, "-P", "2c", "-C", "public",
                           "-o", OID, "-w", "50", "-c", "60"],
            # SNMPv3 authPriv, the lab's user: check_genesys reads the
            # passwords from their files, check_snmp takes them in argv.
            "check_genesys v3": [ours, "-H", "127.0.0.1", "-p", port, "-P", "snmp",
                                 "--snmp-version", "3", "-U", "probe", "-L", "authPriv",
                                 "-a", "SHA", "-A", os.path.join(secrets, "snmp-auth"),
                                 "-x", "AES", "-X", os.path.join(secrets, "snmp-priv"),
                                 "-o", OID, "-w", "50", "-c", "60"],
            "check_snmp v3": [CHECK_SNMP, "-H", "127.0.0.1", "-p", port, "-P", "3",
                              "-U", "probe", "-L", "authPriv", "-a", "SHA", "-A", auth,
                              "-x", "AES", "-X", priv, "-o", OID, "-w", "50", "-c", "60"],
            "check_genesys http": [ours, "-H", "127.0.0.1", "-P", "http", "-u",
                                   "http://127.0.0.1:%s%s" % (http_port, PAGE),
                                   "--expect-status", "200"],
            "check_http": [CHECK_HTTP, "-H", "127.0.0.1", "-p", http_port, "-u", PAGE,
                           "-e", "200"],
        }
        wall = {k: [] for k in argv}
        cpu = {k: [] for k in argv}
        for name, cmd in argv.items():  # all must answer OK first
            _, _, rc, line = timed(cmd)
            print("%-18s exit %d: %s" % (name, rc, line))
            if rc != 0:
                sys.exit("bench: %s did not answer OK" % name)
        for _ in range(a.runs):
            for name, cmd in argv.items():
                w, c, _, _ = timed(cmd)
                wall[name].append(w)
                cpu[name].append(c)
        med_w = {k: statistics.median(v) * 1000 for k, v in wall.items()}
        med_c = {k: statistics.median(v) * 1000 for k, v in cpu.items()}
        for k in argv:
            print("%-18s median CPU %.2f ms, wall %.2f ms  (wall min %.2f, max %.2f; %d runs)"
                  % (k, med_c[k], med_w[k], min(wall[k]) * 1000, max(wall[k]) * 1000,
                     len(wall[k])))
        for theirs, mine, goal in (("check_snmp", "check_genesys", ">= 2 (v2c)"),
                                   ("check_snmp v3", "check_genesys v3", ">= 2 (v3)"),
                                   ("check_http", "check_genesys http", ">= 1 (HTTP)")):
            print("ratio %s / %s: CPU %.2f, wall %.2f (goal, CPU: %s)"
                  % (theirs, mine, med_c[theirs] / med_c[mine], med_w[theirs] / med_w[mine],
                     goal))
        print("measured: each command run alternately %d times; CPU is user + sys of the "
              "process and its children (wait4; check_snmp's snmpget included), wall by "
              "perf_counter around it; medians" % a.runs)
        state_modes(a, ours, lab_dir)
    finally:
        subprocess.run([LAB_PY, "stop", lab_dir], stdout=subprocess.DEVNULL)
        shutil.rmtree(lab_dir, ignore_errors=True)


def state_modes(a, ours, lab_dir):
    """--service and --target against the store a short `gprobe run` of the
    lab left."""
    cfg = os.path.join(lab_dir, "gprobe.yaml")
    gprobe = os.path.join(a.build, "probe", "gprobe")
    env = dict(os.environ, GPROBE_PLUGIN_DIR=os.path.join(a.build, "collectors"))
    service = [ours, "-c", cfg, "--service", "voice-search"]
    daemon = subprocess.Popen([gprobe, "-c", cfg, "run"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 90
        while subprocess.run(service, stdout=subprocess.DEVNULL).returncode != 0:
            if time.monotonic() > deadline or daemon.poll() is not None:
                sys.exit("bench: the lab's service voice-search never came UP")
            time.sleep(0.2)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    fresh = ["--stale-after", "1000000000"]
    argv = {"--service": service + fresh,
            "--target": [ours, "-c", cfg, "--target", "stat-1"] + fresh,
            "-V": [ours, "-V"],
            "/bin/true": ["/bin/true"]}
    cpu = {k: [] for k in argv}
    for name, cmd in argv.items():
        _, _, rc, line = timed(cmd)
        print("%-18s exit %d: %s" % (name, rc, line.splitlines()[0] if line else ""))
        if name.startswith("--") and rc != 0:
            sys.exit("bench: %s did not answer OK" % name)
    for _ in range(a.runs):
        for name, cmd in argv.items():
            cpu[name].append(timed(cmd)[1])
    for k in argv:
        print("%-18s median CPU %.2f ms (%d runs)"
              % (k, statistics.median(cpu[k]) * 1000, len(cpu[k])))
    print("goal: --service and --target under 1 ms of CPU; -V (the process and its linked "
          "libraries, nothing read) and /bin/true are the floor under them")


if __name__ == "__main__":
    main()
