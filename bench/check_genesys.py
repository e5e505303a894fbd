#!/usr/bin/python3
"""check_genesys against monitoring-plugins' check_snmp: the same OID of the
lab's snmpd with the same thresholds, run alternately, N times each; prints
both medians and their ratio.

check_genesys asks the agent itself (numeric OIDs, no MIB loading, no
child process); check_snmp runs net-snmp's snmpget for each call.

    python3 bench/check_genesys.py [--runs 200] [--build build-bench]
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
OID = "1.3.6.1.4.1.1729.998.1"


def build(build_dir):
    subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    "-DGPROBE_WERROR=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "checks", "check_genesys")


def timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    return time.perf_counter() - t0, p.returncode, p.stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    a = p.parse_args()
    if not os.path.exists(CHECK_SNMP):
        sys.exit("bench: %s missing: apt-get install monitoring-plugins-standard" % CHECK_SNMP)
    ours = build(a.build)
    out = os.path.join(ROOT, "bench", "out")
    lab_dir = os.path.join(out, "lab-check")
    os.makedirs(out, exist_ok=True)
    subprocess.run([LAB_PY, "stop", lab_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([LAB_PY, "start", lab_dir], check=True, stdout=subprocess.DEVNULL)
    try:
        with open(os.path.join(lab_dir, "lab.json")) as f:
            port = str(json.load(f)["ports"]["snmp"])
        subprocess.run([LAB_PY, "snmp-set", lab_dir, OID, "integer", "42"], check=True)
        argv = {
            "check_genesys": [ours, "-H", "127.0.0.1", "-p", port, "-P", "snmp", "-C", "public",
                              "-o", OID, "-w", "50", "-c", "60"],
            "check_snmp": [CHECK_SNMP, "-H", "127.0.0.1", "-p", port, "-P", "2c", "-C", "public",
                           "-o", OID, "-w", "50", "-c", "60"],
        }
        times = {k: [] for k in argv}
        for name, cmd in argv.items():  # both must answer OK first
            _, rc, line = timed(cmd)
            print("%-14s exit %d: %s" % (name, rc, line))
            if rc != 0:
                sys.exit("bench: %s did not answer OK" % name)
        for _ in range(a.runs):
            for name, cmd in argv.items():
                times[name].append(timed(cmd)[0])
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        for k, v in times.items():
            print("%-14s median %.2f ms  (min %.2f, max %.2f, %d runs)"
                  % (k, med[k], min(v) * 1000, max(v) * 1000, len(v)))
        print("ratio check_snmp / check_genesys: %.2f" % (med["check_snmp"] / med["check_genesys"]))
    finally:
        subprocess.run([LAB_PY, "stop", lab_dir], stdout=subprocess.DEVNULL)
        shutil.rmtree(lab_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
