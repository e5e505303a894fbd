"""Helpers for the integration tests: the lab's ports, running gprobe's
programs with a deadline, and waiting on a condition (never a fixed
sleep)."""
import json
import os
import subprocess
import time

GPROBE = os.environ["GPROBE"]
CHECK_GENESYS = os.environ["CHECK_GENESYS"]
LAB_DIR = os.environ["LAB_DIR"]
LAB_PY = os.environ["LAB_PY"]
CONFIG = os.path.join(LAB_DIR, "gprobe.yaml")


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
