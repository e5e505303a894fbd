"""What the benchmarks share: the lab's snmpd at many loopback addresses,
the estate of N targets x M SNMP checks (a share black-holed), gprobe's
config for it, and how a process's CPU, memory and descriptors are read
from /proc.

Imported by bench/daemon.py and bench/vs_collectd.py (not run alone).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_PY = os.path.join(ROOT, "tests", "lab", "lab.py")
OUT = os.path.join(ROOT, "bench", "out")

# Objects net-snmp's own agent serves (no pass_persist script in the way):
# (check name, OID, gprobe thresholds).
OIDS = [
    ("uptime", "1.3.6.1.2.1.1.3.0", ""),
    ("processes", "1.3.6.1.2.1.25.1.6.0", ""),
    ("load-1min", "1.3.6.1.4.1.2021.10.1.3.1", "warning: '~:64'"),
    ("memory", "1.3.6.1.4.1.2021.4.6.0", "critical: '1:'"),
    ("users", "1.3.6.1.2.1.25.1.5.0", ""),
    ("sysname", "1.3.6.1.2.1.1.5.0", ""),
    ("hr-uptime", "1.3.6.1.2.1.25.1.1.0", ""),
    ("swap", "1.3.6.1.4.1.2021.4.4.0", ""),
]

SNMP_OUT_GET_RESPONSES = "1.3.6.1.2.1.11.28.0"
SNMP_IN_TOTAL_REQ_VARS = "1.3.6.1.2.1.11.13.0"


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def open_fds(pid):
    """(descriptors, of which sockets) of a process."""
    fds = os.listdir("/proc/%d/fd" % pid)
    socks = 0
    for fd in fds:
        try:
            socks += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return len(fds), socks


def loopback(net, i):
    """The i-th address of 127.NET.0.0/16, from .0.1 on."""
    return "127.%d.%d.%d" % (net, (i + 1) // 256, (i + 1) % 256)


def snmp_counter(port, oid):
    out = subprocess.run(["snmpget", "-v2c", "-c", "public", "-Oqv", "127.0.0.1:%d" % port, oid],
                         capture_output=True, text=True, timeout=10).stdout
    return int(out.strip().split()[0])


def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "probe", "gprobe")):
        subprocess.run(["cmake", "-S", ROOT, "-B", build_dir,
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)], check=True,
                   stdout=subprocess.DEVNULL)


def estate(targets, blackhole, agents):
    """[(name, host, healthy)] of the benchmark's targets: the first
    BLACKHOLE percent at 127.2.x.y (nobody listens there: every request
    times out), the others spread over the snmpd addresses AGENTS."""
    n_hole = targets * blackhole // 100
    return [("t%05d" % i,
             loopback(2, i % len(agents)) if i < n_hole else agents[i % len(agents)],
             i >= n_hole) for i in range(targets)]


def write_config(path, a, data_dir, snmp_port, agents, detect_port=None):
    """gprobe's config for the estate; with DETECT_PORT a target 'detect'
    with one tcp_connect check and a service on it (bench/daemon.py's
    detection latency). Returns how many targets are black-holed."""
    lines = ["# Written by bench/%s" % os.path.basename(sys.argv[0]), "probe:",
             "  data_dir: %s" % data_dir,
             "  interval: %ds" % a.interval,
             "  retry_interval: %ds" % a.retry,
             "  attempts: 3",
             "  timeout: 2s",
             "  rrd: %s" % ("true" if getattr(a, "rrd", False) else "false"),
             "targets:"]
    if getattr(a, "rrdcached_socket", None):
        lines.insert(-1, "  rrdcached: 'unix:%s'" % a.rrdcached_socket)
    n_hole = 0
    for name, host, healthy in estate(a.targets, a.blackhole, agents):
        n_hole += not healthy
        lines += ["  - name: %s" % name, "    host: %s" % host, "    owner: supplier",
                  "    snmp: {port: %d, version: 2c, community: public, retries: 1}" % snmp_port,
                  "    checks:"]
        for check, oid, extra in OIDS[:a.checks]:
            lines.append("      - {name: %s, snmp_get: %s%s}" % (check, oid,
                                                                ", " + extra if extra else ""))
    if detect_port is not None:
        lines += ["  - name: detect", "    host: 127.0.0.1", "    owner: supplier", "    checks:",
                  "      - {name: port, tcp_connect: %d}" % detect_port,
                  "services:", "  - {name: detected, up_when: detect}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return n_hole


class LabSnmpd:
    """The lab (tests/lab/lab.py) in LAB_DIR, its snmpd answering at
    AGENTS loopback addresses (127.0.0.1 and 127.1.0.1...). A context
    manager: stopped, every process by PID, on the way out."""

    def __init__(self, lab_dir, agents):
        self.dir = lab_dir
        self.n_agents = agents

    def __enter__(self):
        os.makedirs(os.path.dirname(self.dir), exist_ok=True)
        subprocess.run([LAB_PY, "stop", self.dir], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([LAB_PY, "start", self.dir], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ,
                                GPROBE_LAB_SNMP_ADDRESSES=str(max(self.n_agents - 1, 0))))
        try:
            with open(os.path.join(self.dir, "lab.json")) as f:
                self.info = json.load(f)
            self.port = self.info["ports"]["snmp"]
            with open(os.path.join(self.dir, "pids", "snmpd.pid")) as f:
                self.pid = int(f.read())
            self.agents = ["127.0.0.1"] + self.info.get("snmp_addresses", [])
        except BaseException:
            self.stop()
            raise
        return self

    def counters(self):
        """(snmpd CPU s, GET responses sent, variables asked) so far."""
        return (cpu_seconds(self.pid), snmp_counter(self.port, SNMP_OUT_GET_RESPONSES),
                snmp_counter(self.port, SNMP_IN_TOTAL_REQ_VARS))

    def stop(self):
        subprocess.run([LAB_PY, "stop", self.dir], stdout=subprocess.DEVNULL)

    def __exit__(self, *exc):
        self.stop()
        return False
