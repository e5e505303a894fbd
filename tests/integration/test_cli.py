#!/usr/bin/python3
"""gprobe's commands against the lab: config check, diag, check_genesys,
the run loop with its signals, and who attributed an incident's outages."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (CHECK_GENESYS, CONFIG, GPROBE, gprobe, lab, lab_info,  # noqa: E402
                     run, wait_until)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class ConfigCheck(unittest.TestCase):
    def test_lab_config_ok(self):
        rc, out, err = gprobe("config", "check")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "config OK: 18 targets, 47 checks, 6 services\n")

    def test_broken_config_reports_position(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.yaml")
            with open(CONFIG) as f:
                text = f.read()
            # A typo in the first check written as tcp_connect (ocs-db's).
            at = text.index("tcp_connect:")
            text = text[:at] + "tcp_conect:" + text[at + len("tcp_connect:"):]
            with open(bad, "w") as f:
                f.write(text)
            line_start = text.rindex("\n", 0, at) + 1
            line = text[:at].count("\n") + 1
            key_col = at - line_start + 1
            map_col = text.index("{", line_start) - line_start + 1  # a flow mapping: its brace
            target = text[:at].count("\n  - name: ") - 1
            rc, out, err = run([GPROBE, "-c", bad, "config", "check"])
            self.assertEqual(rc, 1)
            self.assertEqual(err.splitlines(), [
                "%s:%d:%d: targets[%d].checks[0]: no probe kind; give exactly one of http_get, "
                "snmp_get, snmp_walk, ssh_command, ssh_log, tcp_connect" % (bad, line, map_col, target),
                "%s:%d:%d: unknown key 'tcp_conect' in targets[%d].checks[0]"
                % (bad, line, key_col, target),
            ])

    def test_config_from_environment(self):
        rc, out, _ = run([GPROBE, "config", "check"], env={"GPROBE_CONFIG": CONFIG})
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("config OK"))


class Diag(unittest.TestCase):
    def test_diag_ok_then_broken_then_repaired(self):
        rc, out, err = gprobe("diag", "lca-1")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("[OK] port  (tcp_connect %d)" % lab_info()["ports"]["lca-1"], out)
        self.assertIn("OK: 2 OK, 0 WARNING, 0 CRITICAL, 0 UNKNOWN", out)

        lab("component-stop", "lca-1")
        try:
            rc, out, _ = gprobe("diag", "lca-1")
            self.assertEqual(rc, 2)
            self.assertIn("[CRITICAL] port", out)
            self.assertIn("failed: Connection refused", out)
            self.assertIn("hint:", out)
        finally:
            lab("component-start", "lca-1")
        rc, out, _ = gprobe("diag", "lca-1")
        self.assertEqual(rc, 0)

    def test_every_lab_target_answers(self):
        # Every check of every target of the lab (every profile) has a value.
        targets = re.findall(r"^  - name: ([a-z0-9-]+)\n    host:", read(CONFIG), re.M)
        self.assertEqual(len(targets), 18)
        for t in targets:
            rc, out, err = gprobe("diag", t, "--json")
            data = json.loads(out)
            for c in data["checks"]:
                # The collector read a value; availability checks are OK.
                # Metric checks judge this machine (its load, its disk),
                # which a busy test run may push past a threshold.
                self.assertEqual(c["probe_state"], "OK", (t, c))
                self.assertIsNotNone(c["value"], (t, c))
                if c["availability"]:
                    self.assertEqual(c["state"], "OK", (t, c))

    def test_diag_broken_component(self):
        # Stat Server 2 stopped: its port is refused,
        # and diag says so with the reason.
        lab("component-stop", "stat-2")
        try:
            rc, out, _ = gprobe("diag", "stat-2")
            self.assertEqual(rc, 2)
            self.assertRegex(out, r"\[CRITICAL\] port .*\n(.*\n)*  reason: +connect to "
                                  r"127\.0\.0\.1:\d+ failed: Connection refused")
        finally:
            lab("component-start", "stat-2")
        lab("snmp-set", "1.3.6.1.4.1.1729.100.1.2.1.3.104", "integer", "2")
        try:
            rc, out, _ = gprobe("diag", "stat-2")
            self.assertEqual(rc, 2)
            self.assertIn("judged:    value 2 (stopped) is not the expected 4 (running)", out)
        finally:
            lab("snmp-set", "1.3.6.1.4.1.1729.100.1.2.1.3.104", "integer", "4")

    def test_diag_json(self):
        rc, out, _ = gprobe("diag", "stat-2", "--json")
        self.assertEqual(rc, 0)
        data = json.loads(out)
        self.assertEqual(data["target"], "stat-2")
        self.assertEqual(data["state"], "OK")
        names = [c["name"] for c in data["checks"]]
        # From the statserver profile; its log check needs ssh, which
        # stat-2 has not.
        self.assertEqual(names, ["port", "app-status", "process"])
        port, app, proc = data["checks"]
        self.assertGreaterEqual(proc["numeric"], 1)
        self.assertEqual(port["state"], "OK")
        self.assertGreaterEqual(port["numeric"], 0.0)
        self.assertEqual(app["value"], "4")
        self.assertEqual(app["evaluation"], "value 4 (running) is the expected 4 (running)")
        self.assertTrue(app["request"].startswith("GET 1.3.6.1.4.1.1729.100.1.2.1.3.104 from "))

    def test_diag_without_plugins(self):
        # No collector installed: the checks' kinds and blocks are what the
        # collectors declare, so the config cannot be validated; diag says
        # why, naming the plugin directory, and runs nothing.
        with tempfile.TemporaryDirectory() as empty:
            rc, out, err = run([GPROBE, "-c", CONFIG, "diag", "stat-2", "--json"],
                               env={"GPROBE_PLUGIN_DIR": empty})
        self.assertEqual(rc, 3)
        self.assertEqual(out, "")
        self.assertIn("no collector plugin is installed in '%s'" % empty, err)
        self.assertIn("install the collector plugins, or set GPROBE_PLUGIN_DIR", err)

    def test_diag_unknown_target(self):
        rc, _, err = gprobe("diag", "no-such")
        self.assertEqual(rc, 3)
        self.assertIn("no target 'no-such'", err)


class CheckGenesys(unittest.TestCase):
    def test_ok_and_critical(self):
        rc, out, _ = run([CHECK_GENESYS, "-c", CONFIG, "-T", "msgsrv-1"])
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"^GENESYS OK - msgsrv-1: 3 checks OK \| 'port'=[0-9.e+-]+ms;;;; "
                              # Any other lab on this machine has its own MessageServer in
                              # the host's process table: one or more.
                              r"'app-status'=4;;;; 'process'=[1-9][0-9]*;;1:;;\n$")
        lab("component-stop", "msgsrv-1")
        try:
            rc, out, _ = run([CHECK_GENESYS, "-c", CONFIG, "-T", "msgsrv-1", "-C", "port"])
            self.assertEqual(rc, 2, out)
            # No number, no perfdata: no bare "|" either.
            self.assertRegex(out, r"^GENESYS CRITICAL - msgsrv-1: port CRITICAL \(connect to "
                                  r"127\.0\.0\.1:\d+ failed: Connection refused\)\n$")
        finally:
            lab("component-start", "msgsrv-1")

    def test_unknown_target(self):
        rc, out, _ = run([CHECK_GENESYS, "-c", CONFIG, "-T", "nope"])
        self.assertEqual(rc, 3)
        self.assertTrue(out.startswith("GENESYS UNKNOWN - no target 'nope'"))


class RunLoop(unittest.TestCase):
    """The daemon skeleton: it polls, logs, reloads on SIGHUP (keeping the
    old config when the new one is broken) and exits 0 on SIGTERM."""

    def test_run_signals(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "gprobe.yaml")
            with open(CONFIG) as f:
                text = re.sub(r"data_dir: .*", "data_dir: %s/data" % d, f.read(), count=1)
            with open(cfg, "w") as f:
                f.write(text)
            logpath = os.path.join(d, "run.log")
            log = open(logpath, "w")
            p = subprocess.Popen([GPROBE, "-c", cfg, "run"], stdout=log, stderr=log)
            try:
                def logged(s):
                    with open(logpath) as f:
                        return s in f.read()
                wait_until("started", lambda: logged("started: 18 targets, 47 checks"))
                wait_until("a result", lambda: logged("target lca-1: UNKNOWN -> UP"))
                with open(cfg, "a") as f:
                    f.write("bogus_key: 1\n")
                p.send_signal(signal.SIGHUP)
                wait_until("reload refused", lambda: logged("keeping the running config"))
                self.assertIsNone(p.poll())
                # Two bytes that sent libfyaml into a loop: the reload is
                # tried in a child, refused, and the loop goes on.
                with open(cfg, "wb") as f:
                    f.write(b"%\xef")
                p.send_signal(signal.SIGHUP)

                def refusals():
                    with open(logpath) as f:
                        return f.read().count("keeping the running config")
                wait_until("second reload refused", lambda: refusals() >= 2, deadline_s=30)
                self.assertIsNone(p.poll())
                # And the good file again: reloaded.
                with open(cfg, "w") as f:
                    f.write(text)
                p.send_signal(signal.SIGHUP)
                wait_until("reloaded", lambda: logged("config reloaded: 47 checks"), deadline_s=60)
                rc, out, err = run([GPROBE, "-c", cfg, "status", "--json"])
                self.assertEqual(rc, 0, err)
                self.assertEqual(json.loads(out)["daemon"]["state"], "running")
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(timeout=30), 0)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                log.close()
            with open(logpath) as f:
                text = f.read()
            self.assertIn("unknown key 'bogus_key' at the top level", text)
            self.assertIn("not valid UTF-8 (byte 0xef)", text)
            self.assertIn("stopping", text)
            # A minute later (libfaketime), the heartbeat is stale: nothing
            # is shown as if current.
            rc, out, err = run(["faketime", "-f", "+60s", GPROBE, "-c", cfg, "status", "--json"],
                               env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                                    ":verify_asan_link_order=0"})
            self.assertEqual(rc, 0, err)
            st = json.loads(out)
            self.assertEqual(st["daemon"]["state"], "not-running-or-stuck")
            self.assertGreaterEqual(st["daemon"]["heartbeat_age_seconds"], 55)
            lca = {t["name"]: t for t in st["targets"]}["lca-1"]
            self.assertEqual((lca["state"], lca["last_state"]), ("UNKNOWN", "UP"))
            self.assertEqual(lca["since"], st["heartbeat"])
            self.assertTrue(all(s["state"] == "UNKNOWN" for s in st["services"]))
            rc, out, _ = run(["faketime", "-f", "+60s", GPROBE, "-c", cfg, "status"],
                             env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                                  ":verify_asan_link_order=0"})
            self.assertIn("DAEMON NOT RUNNING OR STUCK since", out)

    def test_run_bad_config_exits_1(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "bad.yaml")
            with open(cfg, "w") as f:
                f.write("targets: []\n")
            rc, _, err = run([GPROBE, "-c", cfg, "run"], timeout=30)
            self.assertEqual(rc, 1)
            self.assertIn("bad.yaml:1:10: targets: the list is empty", err)


class IncidentAttribution(unittest.TestCase):
    """`incident show` tells each outage's attribution and by whom it was
    attributed: the person of `incident attribute` and when, or no one
    (the probe's default, from the components' owners)."""

    def test_attributed_by(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "gprobe.yaml")
            with open(CONFIG) as f:
                text = re.sub(r"data_dir: .*", "data_dir: %s/data" % d, f.read(), count=1)
            with open(cfg, "w") as f:
                f.write(text)
            os.makedirs(os.path.join(d, "data"))  # the daemon's, that did not run here
            rc, out, err = run([GPROBE, "-c", cfg, "incident", "open", "--service",
                                "stat-monitor", "--priority", "P2", "--channel", "phone",
                                "--reported-at", "2026-01-12T10:00:00+00:00", "--text",
                                "agents see old figures"])
            self.assertEqual(rc, 0, err)
            # Two outages the probe linked to it, with its default (no
            # daemon here: the rows as outage_link writes them).
            import sqlite3
            db = sqlite3.connect(os.path.join(d, "data", "gprobe.db"), isolation_level=None)
            db.execute("INSERT INTO outage (service, start, end_at, members, incident,"
                       " attribution) VALUES ('stat-monitor', 1768212000, 1768212600,"
                       " 'stat-1,stat-2', 1, 'supplier'), ('stat-monitor', 1768213000, NULL,"
                       " 'stat-2', 1, 'supplier')")
            db.close()
            rc, out, err = run([GPROBE, "-c", cfg, "incident", "attribute", "1", "customer",
                                "--reason", "the customer's maintenance", "--outage", "1"],
                               env={"SUDO_USER": "duty-engineer"})
            self.assertEqual(rc, 0, err)
            rc, out, err = run([GPROBE, "-c", cfg, "incident", "show", "1", "--json"])
            self.assertEqual(rc, 0, err)
            outages = json.loads(out)["outages"]
            self.assertEqual([(o["n"], o["attribution"], o["attributed_by"]) for o in outages],
                             [(1, "customer", "duty-engineer"), (2, "supplier", None)])
            self.assertIsNotNone(outages[0]["attributed_at"])
            self.assertIsNone(outages[1]["attributed_at"])
            rc, out, err = run([GPROBE, "-c", cfg, "incident", "show", "1"])
            self.assertEqual(rc, 0, err)
            self.assertIn(" customer by duty-engineer at %s  down: stat-1,stat-2\n"
                          % outages[0]["attributed_at"], out)
            self.assertRegex(out, r"\n  2  .* \.\. \(open\)  supplier  down: stat-2\n")


class Help(unittest.TestCase):
    def test_every_command_has_help(self):
        for cmd in ["run", "config", "diag", "status", "incidents", "incident", "downtime",
                    "maintenance", "report", "graph"]:
            rc, out, _ = run([GPROBE, cmd, "--help"])
            self.assertEqual(rc, 0, cmd)
            self.assertTrue(out.startswith("usage: "), cmd)

    def test_completion_names(self):
        rc, out, _ = run([GPROBE, "__complete"])
        self.assertEqual(rc, 0)
        self.assertIn("report\n", out)
        rc, out, _ = gprobe("__complete", "services")
        self.assertEqual(rc, 0)
        self.assertIn("stat-monitor\n", out)
        rc, out, _ = gprobe("__complete", "targets")
        self.assertIn("stat-1\n", out)
        rc, out, _ = gprobe("__complete", "checks", "stat-1")
        self.assertIn("port\n", out)
        # A broken config completes nothing, silently.
        rc, out, err = run([GPROBE, "-c", "/nonexistent.yaml", "__complete", "targets"])
        self.assertEqual((rc, out, err), (1, "", ""))
        # The bash script parses.
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "packaging", "bash-completion", "gprobe")
        rc, out, err = run(["bash", "-n", script])
        self.assertEqual(rc, 0, err)

    def test_version(self):
        rc, out, _ = run([GPROBE, "--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^gprobe \d+\.\d+\.\d+ \(collector ABI 2\)\n$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
