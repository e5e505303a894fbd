#!/usr/bin/python3
"""check_genesys --service, --target and --self over a running `gprobe run`
(estate.py: components that are TCP listeners the test opens and closes):
the plugin follows the daemon's states as a component stops and starts,
names the component at fault, says UNKNOWN (--self: CRITICAL) once the
heartbeat is stale, maps no collector plugin, and costs little CPU."""
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estate import EstateTest  # noqa: E402
from labtest import CHECK_GENESYS, run, wait_until  # noqa: E402

# One status line by the Monitoring Plugins guidelines.
LINE = re.compile(r"^GENESYS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]*"
                  r"(\| ?('[^']+'=-?[0-9.]+[a-zA-Z%]*(;[^; \n]*){0,4} ?)*)?\n$")
RC = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


class CheckStateTest(EstateTest):
    COMPONENTS = ("lca-1", "lca-2")
    SERVICES = ('  - {name: stat-monitor, up_when: "lca-1 and lca-2"}\n'
                '  - {name: routing, up_when: "lca-1 or lca-2"}\n')

    def check(self, *args, env=None):
        rc, out, err = run([CHECK_GENESYS, "-c", self.cfg] + list(args), env=env)
        self.assertRegex(out, LINE)
        self.assertEqual(err, "")
        self.assertEqual(rc, RC[out.split()[1]], out)
        return rc, out

    def wait_check(self, want, *args, deadline=15):
        """The first output of check_genesys ARGS in state `want`."""
        seen = []

        def probe():
            rc, out = self.check(*args)
            seen.append(out)
            return out if rc == want else None
        try:
            return wait_until("%s -> %d" % (args, want), probe, deadline)
        except AssertionError:
            raise AssertionError("%s: last output %r" % (args, seen[-1:]))

    def test_service_follows_the_daemon(self):
        out = self.wait_check(0, "--service", "stat-monitor")
        self.assertRegex(out, r"^GENESYS OK - service stat-monitor UP since \S+ \| 'age'=\d+s")
        self.comps["lca-2"].down()
        t0 = time.monotonic()
        out = self.wait_check(2, "--service", "stat-monitor")
        took = time.monotonic() - t0
        self.assertIn("stat-monitor DOWN since", out)
        self.assertIn("(down: lca-2)", out)
        self.assertNotIn("lca-1", out)
        # The plugin reads what `gprobe status` reads: never behind it.
        self.assertEqual(self.state("stat-monitor"), "DOWN")
        # The redundant service lost one member: DEGRADED, WARNING.
        self.wait_state("routing", "DEGRADED")
        rc, out = self.check("--service", "routing")
        self.assertEqual(rc, 1, out)
        self.assertIn("routing DEGRADED since", out)
        self.comps["lca-2"].up()
        out = self.wait_check(0, "--service", "stat-monitor")
        self.assertNotIn("lca-2", out)
        print("service DOWN seen by check_genesys %.2f s after the component stopped"
              % took, file=sys.stderr)

    def test_target_follows_the_daemon(self):
        out = self.wait_check(0, "--target", "lca-1")
        self.assertRegex(out, r"^GENESYS OK - target lca-1 UP since \S+ \| 'age'=\d+s")
        self.comps["lca-1"].down()
        out = self.wait_check(2, "--target", "lca-1")
        self.assertIn("target lca-1 DOWN since", out)
        self.assertIn("failing: port CRITICAL", out)
        rc, out = self.check("--target", "lca-2")
        self.assertEqual(rc, 0, out)
        self.comps["lca-1"].up()
        self.wait_check(0, "--target", "lca-1")

    def test_unknown_names(self):
        self.wait_check(0, "--target", "lca-1")
        rc, out = self.check("--service", "nope")
        self.assertEqual(out, "GENESYS UNKNOWN - no service 'nope' in %s\n" % self.cfg)
        rc, out = self.check("--target", "nope")
        self.assertIn("never seen", out)
        rc, out = self.check("--service", "stat-monitor", "--target", "lca-1")
        self.assertEqual(rc, 3)

    def test_self_ok_then_critical_when_stopped(self):
        self.wait_check(0, "--service", "stat-monitor")
        out = self.wait_check(0, "--self")
        self.assertIn("daemon running", out)
        self.assertRegex(out, r"'heartbeat_age'=\d+s;30;120;0; 'backlog'=0;50;;0; "
                              r"'undelivered'=0;0;;0; 'lag'=\d+ms;5000;;0; 'late_checks'=\d+;;;0; "
                              r"'rrd_failed'=0;0;;0; 'rrd_dropped'=0;0;;0;\n$")
        self.assertRegex(out, r", schedule lag \d+ ms \|")
        rc, out = self.check("--self", "-w", "30", "-c", "120")
        self.assertEqual(rc, 0, out)
        # A minute later (libfaketime) the heartbeat is stale: the daemon
        # is stopped or stuck, and nobody knows the services' states.
        env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        rc, out, _ = run(["faketime", "-f", "+60s", CHECK_GENESYS, "-c", self.cfg, "--self"],
                         env=env)
        self.assertEqual(rc, 2, out)
        self.assertIn("NOT RUNNING OR STUCK", out)
        rc, out, _ = run(["faketime", "-f", "+60s", CHECK_GENESYS, "-c", self.cfg,
                          "--service", "stat-monitor"], env=env)
        self.assertEqual(rc, 3, out)
        self.assertIn("daemon not running or stuck", out)
        self.assertIn("last seen UP", out)
        # Under the thresholds' own -w: WARNING at 60 s.
        rc, out, _ = run(["faketime", "-f", "+60s", CHECK_GENESYS, "-c", self.cfg, "--self",
                          "-w", "30", "-c", "90", "--stale-after", "100"], env=env)
        self.assertEqual(rc, 1, out)
        # The daemon really stopped: CRITICAL once the heartbeat is older
        # than --stale-after.
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(30)
        out = self.wait_check(2, "--self", "--stale-after", "2", deadline=10)
        self.assertIn("NOT RUNNING OR STUCK", out)
        out = self.wait_check(3, "--service", "stat-monitor", "--stale-after", "2", deadline=10)

    def test_self_behind_schedule(self):
        """The daemon stopped (SIGSTOP) for 7 s: its checks then start up
        to 7 s late, and --self says so (WARNING over --max-lag 5 s) for
        the minute that follows; not with a larger --max-lag."""
        self.wait_check(0, "--self")
        self.daemon.send_signal(signal.SIGSTOP)
        try:
            until = time.monotonic() + 7
            wait_until("7 s stopped", lambda: time.monotonic() >= until, 30)
        finally:
            self.daemon.send_signal(signal.SIGCONT)
        out = self.wait_check(1, "--self", deadline=30)
        self.assertIn("BEHIND SCHEDULE", out)
        lag = int(re.search(r"'lag'=(\d+)ms;5000;", out).group(1))
        self.assertGreater(lag, 5000, out)
        self.assertRegex(out, r"\(\d+ checks? more than 1 s late\)")
        rc, out = self.check("--self", "--max-lag", "60")
        self.assertEqual(rc, 0, out)

    def test_service_maps_no_collector(self):
        self.wait_check(0, "--service", "stat-monitor")
        p = subprocess.run([CHECK_GENESYS, "-c", self.cfg, "--service", "stat-monitor"],
                           capture_output=True, text=True, env=dict(os.environ, LD_DEBUG="files"))
        self.assertEqual(p.returncode, 0, p.stdout)
        names = {os.path.basename(n) for n in
                 re.findall(r"file=(\S+) \[\d+\];\s+generating link map", p.stderr)}
        self.assertTrue(names, p.stderr[:500])
        bad = sorted(n for n in names if n.startswith(
            ("tcp.so", "snmp.so", "http.so", "ssh.so", "curl.so", "xpath.so", "libnetsnmp",
             "libcurl", "libssh2", "libxml2", "librrd", "libcairo")))
        self.assertEqual(bad, [], names)

    def test_cpu_of_one_service_run(self):
        self.wait_check(0, "--service", "stat-monitor")
        cpu = []
        for _ in range(50):
            p = subprocess.Popen([CHECK_GENESYS, "-c", self.cfg, "--service", "stat-monitor"],
                                 stdout=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            cpu.append(ru.ru_utime + ru.ru_stime)
        med = statistics.median(cpu)
        print("check_genesys --service CPU (user+sys), median of 50: %.2f ms (min %.2f, "
              "max %.2f)" % (med * 1000, min(cpu) * 1000, max(cpu) * 1000), file=sys.stderr)
        if os.environ.get("GPROBE_SANITIZED") != "ON":
            self.assertLess(med, 0.05)


class CheckSelfRrdTest(EstateTest):
    """RRD writes that fail (an rrdcached socket nobody listens on): --self
    says how many in the last minute, WARNING over --max-rrd-failures."""
    COMPONENTS = ("lca-1",)
    SERVICES = '  - {name: stat-monitor, up_when: "lca-1"}\n'
    RRD = "rrd: true, rrdcached: unix:/nonexistent/rrdcached.sock"

    def test_rrd_failures(self):
        def failing():
            rc, out, _ = run([CHECK_GENESYS, "-c", self.cfg, "--self"])
            return out if rc == 1 and "RRD:" in out else None
        out = wait_until("--self WARNING for the RRD writes", failing, 40)
        self.assertRegex(out, r"RRD: \d+ writes? failed, 0 dropped in the last minute")
        failed = int(re.search(r"'rrd_failed'=(\d+);0;", out).group(1))
        self.assertGreater(failed, 0, out)
        rc, out, _ = run([CHECK_GENESYS, "-c", self.cfg, "--self", "--max-rrd-failures",
                          "100000"])
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()
