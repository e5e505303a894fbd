#!/usr/bin/python3
"""The SNMP collector against the lab's real snmpd (v1, v2c, v3 authPriv)
and against a hostile agent."""
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import (GPROBE, LAB_DIR, Helper, diag_json, free_udp_port, lab,  # noqa: E402
                     lab_info, run, wait_until, write_config)

EVIL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab",
                    "evil_agent.py")
APP_STATUS = "1.3.6.1.4.1.1729.100.1.2.1.3"
HR_SW_RUN_NAME = "1.3.6.1.2.1.25.4.2.1.2"


@contextlib.contextmanager
def evil_agent(mode):
    """A hostile agent (tests/lab/evil_agent.py) on a free port: yields it."""
    port = free_udp_port()
    agent = Helper(["/usr/bin/python3", EVIL, str(port), mode])
    try:
        yield port
    finally:
        agent.stop()


def pid_of(component):
    with open(os.path.join(LAB_DIR, "pids", component + ".pid")) as f:
        return int(f.read())


class SnmpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.port = lab_info()["ports"]["snmp"]
        secrets = os.path.join(LAB_DIR, "secrets")
        self.v3 = ("{port: %d, version: 3, user: probe, security_level: authPriv, "
                   "auth_protocol: SHA, auth_password_file: %s/snmp-auth, priv_protocol: AES, "
                   "priv_password_file: %s/snmp-priv}" % (self.port, secrets, secrets))

    def tearDown(self):
        self.tmp.cleanup()

    def config(self, snmp_block, checks, timeout="2s"):
        lines = ["probe: {timeout: %s, data_dir: %s}" % (timeout, self.tmp.name),
                 "targets:", "  - name: t", "    host: 127.0.0.1", "    owner: supplier",
                 "    snmp: " + snmp_block, "    checks:"]
        lines += ["      - " + c for c in checks]
        return write_config(self.tmp.name, "\n".join(lines) + "\n")

    def test_v2c_get_and_walk(self):
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port, [
            "{name: status, snmp_get: %s.103, expect: '4'}" % APP_STATUS,
            "{name: name, snmp_get: %s.2.103}" % APP_STATUS[:-2],
            "{name: procs, snmp_walk: %s, match: '^StatServer$', critical: '2:'}" % HR_SW_RUN_NAME,
        ])
        rc, checks = diag_json(cfg, "t")
        self.assertEqual(rc, 0, checks)
        self.assertEqual(checks["status"]["value"], "4")
        self.assertEqual(checks["name"]["value"], "stat-1")
        self.assertGreaterEqual(checks["procs"]["numeric"], 2)
        self.assertIn("StatServer", checks["procs"]["message"])

    def test_v3_authpriv_get_and_walk(self):
        cfg = self.config(self.v3, [
            "{name: status, snmp_get: %s.105, expect: '4'}" % APP_STATUS,
            "{name: own-name, snmp_get: %s.%d}" % (HR_SW_RUN_NAME, pid_of("stat-1")),
            "{name: procs, snmp_walk: %s, match: '^confserv$'}" % HR_SW_RUN_NAME,
        ])
        # snmpd caches its process table: a stat-1 restarted by an earlier
        # test shows up in it within the cache's lifetime.
        rc, checks = wait_until("stat-1 in snmpd's process table",
                                lambda: (lambda r: r if r[0] == 0 else None)(diag_json(cfg, "t")),
                                deadline_s=90)
        self.assertEqual(checks["own-name"]["value"], "StatServer")
        self.assertGreaterEqual(checks["procs"]["numeric"], 1)

    def test_v3_levels_and_protocols(self):
        secrets = os.path.join(LAB_DIR, "secrets")
        auth = "auth_password_file: %s/snmp-auth" % secrets
        priv = "priv_password_file: %s/snmp-priv" % secrets
        variants = {
            "SHA-256/AES": "user: probe256, security_level: authPriv, auth_protocol: SHA-256, "
                           "%s, priv_protocol: AES, %s" % (auth, priv),
            "MD5/DES": "user: probemd5, security_level: authPriv, auth_protocol: MD5, %s, "
                       "priv_protocol: DES, %s" % (auth, priv),
            "authNoPriv": "user: probeauth, security_level: authNoPriv, auth_protocol: SHA, %s"
                          % auth,
            "noAuthNoPriv": "user: probenoauth, security_level: noAuthNoPriv",
        }
        for name, block in variants.items():
            cfg = self.config("{port: %d, version: 3, %s}" % (self.port, block), [
                "{name: status, snmp_get: %s.104, expect: '4'}" % APP_STATUS])
            rc, checks = diag_json(cfg, "t")
            self.assertEqual(rc, 0, (name, checks))

    def test_v3_context(self):
        """contextName: the lab's user 'probectx' may read only in the
        context 'genesys' (where snmpd serves the Genesys subtree); without
        the context the agent refuses it, with another one it is silent."""
        block = self.v3.replace("user: probe,", "user: probectx,")
        check = ["{name: status, snmp_get: %s.103, expect: '4'}" % APP_STATUS]
        rc, c = diag_json(self.config(block[:-1] + ", context: genesys}", check), "t")
        self.assertEqual((rc, c["status"]["state"], c["status"]["value"]), (0, "OK", "4"), c)
        rc, c = diag_json(self.config(block, check), "t")
        self.assertEqual(c["status"]["state"], "CRITICAL", c)
        self.assertIn("authorizationError", c["status"]["message"])
        rc, c = diag_json(self.config(block[:-1] + ", context: nope, retries: 0}", check,
                                      timeout="1s"), "t")
        self.assertEqual(c["status"]["state"], "CRITICAL", c)
        self.assertIn("the v3 context 'nope'", c["status"]["hint"])
        # A v2c block has no context.
        cfg = self.config("{port: %d, version: 2c, community: public, context: genesys}"
                          % self.port, check)
        rc, out, err = run([GPROBE, "-c", cfg, "config", "check"])
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"gprobe\.yaml:\d+:\d+: .*context.*only for SNMP version 3")

    def test_v3_keys_derived_once(self):
        """A password becomes a key (RFC 3414 A.2: a megabyte of SHA) once,
        however many targets use it, and a privacy password that is the
        auth password costs nothing more: three v3 targets over the lab's
        two passwords cost two derivations (it was one per key and target:
        six), counted by gdb on the collector's derive_ku in `gprobe run`
        (net-snmp's generate_Ku is no longer called at all).
        A key is localised to the agent's engine ID (generate_kul) once per
        (user, engine ID) and key, whatever the number of targets and
        checks: four targets of user probe and one of probesame, two
        checks each, against one agent: 2 users x 2 keys = 4."""
        secrets = os.path.join(LAB_DIR, "secrets")
        same = ("{port: %d, version: 3, user: probesame, security_level: authPriv, "
                "auth_protocol: SHA, auth_password_file: %s/snmp-auth, priv_protocol: AES, "
                "priv_password_file: %s/snmp-auth}" % (self.port, secrets, secrets))
        lines = ["probe: {timeout: 1s, interval: 2s, data_dir: %s, rrd: false}" % self.tmp.name,
                 "targets:"]
        for name, block in (("t0", self.v3), ("t1", self.v3), ("t2", same), ("t3", self.v3),
                            ("t4", self.v3)):
            lines += ["  - name: " + name, "    host: 127.0.0.1", "    owner: supplier",
                      "    snmp: " + block,
                      "    checks: [{name: status, snmp_get: %s.103, expect: '4'}," % APP_STATUS,
                      "             {name: uptime, snmp_get: 1.3.6.1.2.1.1.3.0}]"]
        cfg = write_config(self.tmp.name, "\n".join(lines) + "\n")
        script = os.path.join(self.tmp.name, "count.gdb")
        with open(script, "w") as f:
            f.write("set pagination off\nset breakpoint pending on\n"
                    "handle SIGTERM nostop noprint pass\nbreak derive_ku\n"
                    "commands\nsilent\ncontinue\nend\nbreak generate_Ku\n"
                    "commands\nsilent\ncontinue\nend\nbreak generate_kul\n"
                    "commands\nsilent\ncontinue\nend\nrun\ninfo breakpoints\n")
        logpath = os.path.join(self.tmp.name, "gdb.log")
        with open(logpath, "w") as log:
            gdb = subprocess.Popen(["gdb", "-nx", "-batch", "-x", script, "--args", GPROBE,
                                    "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL,
                                   # LeakSanitizer cannot trace a traced process.
                                   env=dict(os.environ, ASAN_OPTIONS=os.environ.get(
                                       "ASAN_OPTIONS", "") + ":detect_leaks=0"))
        try:
            def read_log():
                with open(logpath) as f:
                    return f.read()
            wait_until("the five targets' results", lambda: all(
                re.search(r"t%d/status OK" % i, read_log()) for i in range(5)), deadline_s=60)
            with open("/proc/%d/task/%d/children" % (gdb.pid, gdb.pid)) as f:
                inferior = [int(x) for x in f.read().split()]
            self.assertEqual(len(inferior), 1, inferior)
            os.kill(inferior[0], signal.SIGTERM)
            self.assertEqual(gdb.wait(timeout=60), 0)
        finally:
            if gdb.poll() is None:
                gdb.kill()
                gdb.wait()
        text = read_log()
        self.assertIn("exited normally", text)
        # derive_ku's count, then generate_kul's: "info breakpoints" lists a
        # count only for a breakpoint hit, so generate_Ku's is absent.
        self.assertEqual(re.findall(r"breakpoint already hit (\d+) time", text), ["2", "4"], text)
        self.assertRegex(text, r"generate_Ku>?\s*\n(?!\s*breakpoint already hit)")

    def test_v1_getnext_walk_and_nosuchname(self):
        cfg = self.config("{port: %d, version: 1, community: public}" % self.port, [
            "{name: status, snmp_get: %s.101}" % APP_STATUS,
            "{name: missing, snmp_get: 1.3.6.1.4.1.99999.1.0}",
            "{name: procs, snmp_walk: %s, match: '^OCServer$'}" % HR_SW_RUN_NAME,
        ])
        rc, checks = diag_json(cfg, "t")
        self.assertEqual(rc, 2)
        self.assertEqual(checks["status"]["state"], "OK")
        self.assertEqual(checks["missing"]["state"], "CRITICAL")
        self.assertEqual(checks["missing"]["message"],
                         "1.3.6.1.4.1.99999.1.0: noSuchName (SNMPv1): the agent has no such object")
        self.assertGreaterEqual(checks["procs"]["numeric"], 2)

    def test_smi_types(self):
        base = "1.3.6.1.4.1.1729.999.1"
        values = {
            "integer": ("integer", "-42", "-42", -42),
            "gauge": ("gauge", "4294967295", "4294967295", 4294967295),
            "timeticks": ("timeticks", "123456", "123456", 123456),
            "string": ("string", "Stat Server 8.5", "Stat Server 8.5", None),
            "numstring": ("string", "0.42", "0.42", 0.42),
            "oid": ("objectid", ".1.3.6.1.4.1.1729.1", "1.3.6.1.4.1.1729.1", None),
            "ip": ("ipaddress", "10.20.0.11", "10.20.0.11", None),
            "counter32": ("counter", "4294967000", "4294967000", None),  # a rate from the 2nd poll
        }
        checks = []
        for i, (name, (typ, raw, _, _)) in enumerate(values.items(), 1):
            lab("snmp-set", "%s.%d" % (base, i), typ, raw)
            checks.append("{name: %s, snmp_get: %s.%d}" % (name, base, i))
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port, checks)
        rc, c = diag_json(cfg, "t")
        self.assertEqual(rc, 0, c)
        for name, (_, _, text, num) in values.items():
            self.assertEqual(c[name]["value"], text, name)
            self.assertEqual(c[name]["numeric"], num, name)
        self.assertIn("first sample", c["counter32"]["message"])

    def test_octet_strings_as_net_snmp_prints_them(self):
        """Printable UTF-8 stays text; anything else is every byte in hex,
        compared with what net-snmp's own snmpget prints for the same OID.
        The output is valid UTF-8 whatever the agent sends."""
        base = "1.3.6.1.4.1.1729.999.2"
        values = {
            "mac-trailing-nul": "00 1F 12 30 47 00",   # not text: no byte may go
            "zeros": "00 00 00 00",                    # not an empty string
            "cp1251": "C7 E0 EF F3 F1 EA",             # not UTF-8: hex, never raw
            "utf8": "D0 9F D1 80 D0 B8 D0 B2 D0 B5 D1 82",  # "Привет"
            "c-string": "53 74 61 74 00",              # "Stat" and a C string's NUL
            "date": "07 EA 0B 03 0E 00 00 00 2B 05 00",  # DateAndTime
        }
        checks = []
        for i, (name, hexval) in enumerate(values.items(), 1):
            lab("snmp-set", "%s.%d" % (base, i), "octet", hexval)
            checks.append("{name: %s, snmp_get: %s.%d}" % (name, base, i))
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port, checks)
        rc, out, err = run([GPROBE, "-c", cfg, "diag", "t", "--json"])
        out.encode("utf-8")  # valid UTF-8, or this raises
        c = {x["name"]: x for x in json.loads(out)["checks"]}
        self.assertEqual(len(c), len(values), out)  # no check dropped
        self.assertEqual(c["mac-trailing-nul"]["value"], "00 1F 12 30 47 00")
        self.assertEqual(c["zeros"]["value"], "00 00 00 00")
        self.assertEqual(c["cp1251"]["value"], "C7 E0 EF F3 F1 EA")
        self.assertEqual(c["utf8"]["value"], "Привет")
        self.assertEqual(c["c-string"]["value"], "Stat")
        self.assertEqual(c["date"]["value"], "07 EA 0B 03 0E 00 00 00 2B 05 00")
        # net-snmp's snmpget: "Hex-STRING: 00 1F ..." or "STRING: ..."
        for i, name in enumerate(values, 1):
            got = subprocess.run(["snmpget", "-v2c", "-c", "public", "-On", "-Oe", "-Oq",
                                  "127.0.0.1:%d" % self.port, "%s.%d" % (base, i)],
                                 capture_output=True, text=True, errors="replace",
                                 timeout=30).stdout.split(None, 1)[1].strip()
            if name in ("cp1251", "zeros", "mac-trailing-nul", "date"):
                self.assertEqual(got.strip().strip("\"").strip(), c[name]["value"], name)

    def test_v1_walk_to_the_end_of_a_restricted_view(self):
        # The community 'procs' sees only hrSWRunName: past its last row a
        # v1 agent answers noSuchName, echoing the OID. That ends the walk,
        # as for snmpwalk -v1 (it was "OIDs out of order").
        cfg = self.config("{port: %d, version: 1, community: procs}" % self.port,
                          ["{name: procs, snmp_walk: %s}" % HR_SW_RUN_NAME])
        rc, c = diag_json(cfg, "t")
        self.assertEqual(c["procs"]["state"], "OK", c)
        want = subprocess.run(["snmpwalk", "-v1", "-c", "procs", "-On",
                               "127.0.0.1:%d" % self.port, HR_SW_RUN_NAME],
                              capture_output=True, text=True, timeout=60).stdout
        rows = len([line for line in want.splitlines() if line.startswith("." + HR_SW_RUN_NAME)])
        self.assertGreater(rows, 5)
        # The process table moves between the two walks: a row or two.
        self.assertLessEqual(abs(int(c["procs"]["value"]) - rows), 3, (c, rows))

    def test_one_varbind_refused_in_a_batch(self):
        # genErr with its index on one OID of a target's batch fails that
        # check only; the others are asked again and answered.
        port = free_udp_port()
        agent = Helper(["/usr/bin/python3", EVIL, str(port), "generr-one"])
        try:
            cfg = self.config("{port: %d, version: 2c, community: public, retries: 0}" % port,
                              ["{name: a, snmp_get: 1.3.6.1.4.1.1729.1.0}",
                               "{name: bad, snmp_get: 1.3.6.1.4.1.1729.666.0}",
                               "{name: c, snmp_get: 1.3.6.1.4.1.1729.3.0}"])
            rc, c = diag_json(cfg, "t")
            self.assertEqual((c["a"]["state"], c["a"]["value"]), ("OK", "4"), c)
            self.assertEqual((c["c"]["state"], c["c"]["value"]), ("OK", "4"), c)
            self.assertEqual(c["bad"]["state"], "CRITICAL", c)
            self.assertIn("genError", c["bad"]["message"])
            self.assertIn("for this OID", c["bad"]["message"])
        finally:
            agent.stop()

    def test_missing_objects_are_critical(self):
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port, [
            "{name: instance, snmp_get: %s.999}" % APP_STATUS,
            "{name: object, snmp_get: 1.3.6.1.4.1.99999.1.0}",
        ])
        rc, checks = diag_json(cfg, "t")
        self.assertEqual(rc, 2)
        self.assertTrue(checks["instance"]["message"].startswith(
            "%s.999: noSuchInstance" % APP_STATUS))
        self.assertTrue(checks["object"]["message"].startswith("1.3.6.1.4.1.99999.1.0: noSuchObject"))
        self.assertIn("DBID", checks["instance"]["hint"])

    def test_state_change_in_the_lab_is_seen(self):
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port, [
            "{name: status, snmp_get: %s.106, expect: '4'}" % APP_STATUS])
        lab("snmp-set", APP_STATUS + ".106", "integer", "2")
        try:
            rc, checks = diag_json(cfg, "t")
            self.assertEqual(rc, 2)
            self.assertEqual(checks["status"]["evaluation"], "value '2' is not the expected '4'")
        finally:
            lab("snmp-set", APP_STATUS + ".106", "integer", "4")

    def test_no_agent_is_critical_within_timeout(self):
        dead = free_udp_port()
        for block in ("{port: %d, version: 2c, community: public, retries: 1}" % dead,
                      self.v3.replace("port: %d" % self.port, "port: %d" % dead)):
            cfg = self.config(block, ["{name: x, snmp_get: 1.3.6.1.2.1.1.3.0}"], timeout="1s")
            t0 = time.monotonic()
            rc, checks = diag_json(cfg, "t")
            elapsed = time.monotonic() - t0
            self.assertEqual(rc, 2)
            self.assertRegex(checks["x"]["message"],
                             r"^no SNMP response from 127\.0\.0\.1:%d after 2 tries \(\d+ ms\)$"
                             % dead)
            # timeout x tries is 1 s here; the process itself must not add
            # more than a little slack.
            self.assertLess(elapsed, 1.0 + 1.5)

    def test_v3_wrong_password_is_unknown(self):
        wrong = os.path.join(self.tmp.name, "wrong")
        with open(wrong, "w") as f:
            f.write("not-the-password\n")
        os.chmod(wrong, 0o600)
        block = re.sub(r"auth_password_file: [^,]+", "auth_password_file: " + wrong, self.v3)
        cfg = self.config(block, ["{name: x, snmp_get: 1.3.6.1.2.1.1.3.0}"])
        rc, checks = diag_json(cfg, "t")
        self.assertEqual(rc, 3)
        self.assertEqual(checks["x"]["state"], "UNKNOWN")
        self.assertIn("SNMPv3 authentication failed", checks["x"]["message"])

    def test_hostile_agent(self):
        """Whatever a broken agent sends: a clear result, in bounded time,
        and the process survives (under ASan in CI, any memory error
        would change the exit code)."""
        expected = {
            "garbage": r"^no SNMP response",
            "truncated": r"^no SNMP response",
            "wrong-id": r"^no SNMP response",
            "bad-length": r"^no SNMP response",
            "silent": r"^no SNMP response",
            "wrong-oid": r"^the agent answered 1\.3\.6\.1\.2\.1\.1\.5\.0\.7 for 1\.3\.6\.1\.2\.1\.1\.5\.0$",
            "null": r"^1\.3\.6\.1\.2\.1\.1\.5\.0: the agent answered a value of type 0x05$",
            "generr": r"^1\.3\.6\.1\.2\.1\.1\.5\.0: the agent answered error-status \(genError\)",
        }
        for mode, pattern in expected.items():
            port = free_udp_port()
            agent = Helper(["/usr/bin/python3", EVIL, str(port), mode])
            try:
                cfg = self.config("{port: %d, version: 2c, community: public, retries: 0}" % port,
                                  ["{name: x, snmp_get: 1.3.6.1.2.1.1.5.0}"], timeout="1s")
                rc, checks = diag_json(cfg, "t", timeout=30)
                self.assertEqual(rc, 2, mode)
                self.assertRegex(checks["x"]["message"], pattern, mode)
            finally:
                agent.stop()

    def test_hostile_agent_walks_and_huge_values(self):
        port = free_udp_port()
        agent = Helper(["/usr/bin/python3", EVIL, str(port), "loop"])
        try:
            cfg = self.config("{port: %d, version: 2c, community: public, retries: 0}" % port,
                              ["{name: w, snmp_walk: 1.3.6.1.2.1.25.4.2.1.2}"], timeout="1s")
            rc, checks = diag_json(cfg, "t", timeout=30)
            self.assertEqual(rc, 2)
            self.assertEqual(checks["w"]["message"],
                             "1.3.6.1.2.1.25.4.2.1.2: the agent returned OIDs out of order")
        finally:
            agent.stop()
        port = free_udp_port()
        agent = Helper(["/usr/bin/python3", EVIL, str(port), "huge"])
        try:
            cfg = self.config("{port: %d, version: 2c, community: public, retries: 0}" % port,
                              ["{name: x, snmp_get: 1.3.6.1.2.1.1.5.0}"], timeout="1s")
            rc, checks = diag_json(cfg, "t", timeout=30)
            self.assertEqual(rc, 0)
            self.assertLess(len(checks["x"]["value"]), 1024)  # cut, not 30,000 bytes
        finally:
            agent.stop()

    def test_answer_from_another_port_is_dropped(self):
        """Answers are matched to their target by source address and port:
        one from elsewhere is dropped, and the timeout says so."""
        with evil_agent("other-port") as port:
            cfg = self.config("{port: %d, version: 2c, community: public, retries: 0}" % port,
                              ["{name: x, snmp_get: 1.3.6.1.2.1.1.5.0}"], timeout="1s")
            rc, checks = diag_json(cfg, "t", timeout=30)
        self.assertEqual(rc, 2, checks)
        self.assertRegex(checks["x"]["message"],
                         r"^no SNMP response from 127\.0\.0\.1:%d after 1 tries \(\d+ ms\); "
                         r"a datagram from 127\.0\.0\.1:\d+ was dropped \(not the address "
                         r"and port asked\)$" % port)

    def run_daemon(self, targets, until, deadline_s=60):
        """`gprobe run` over targets (YAML lines) until until(log text) is
        true; returns (log text, the daemon's open descriptors then)."""
        lines = ["probe: {timeout: 1s, interval: 2s, data_dir: %s, rrd: false}" % self.tmp.name,
                 "targets:"] + ["  " + t for t in targets]
        cfg = write_config(self.tmp.name, "\n".join(lines) + "\n")
        logpath = os.path.join(self.tmp.name, "run.log")
        with open(logpath, "w") as log:
            p = subprocess.Popen([GPROBE, "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log)
        try:
            def done():
                with open(logpath) as f:
                    text = f.read()
                return text if until(text) else None
            text = wait_until("the daemon's results", done, deadline_s=deadline_s)
            fds = [os.readlink("/proc/%d/fd/%s" % (p.pid, fd))
                   for fd in os.listdir("/proc/%d/fd" % p.pid)]
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 0)
        return text, fds

    def test_targets_on_one_agent_get_their_own_answers(self):
        """Three targets behind the same agent address and port (v1, v2c,
        v3), and a fourth whose agent answers from another port: each of
        the three reads its own object; the fourth's answers are dropped."""
        name = APP_STATUS[:-2] + ".2"
        blocks = {"v1": "{port: %d, version: 1, community: public}" % self.port,
                  "v2c": "{port: %d, version: 2c, community: public}" % self.port,
                  "v3": self.v3}
        dbids = {"v1": (101, "conf-1"), "v2c": (103, "stat-1"), "v3": (105, "ocs-1")}
        targets = []
        for v, block in blocks.items():
            targets += ["- name: same-%s" % v, "  host: 127.0.0.1", "  owner: supplier",
                        "  snmp: " + block,
                        "  checks: [{name: name, snmp_get: %s.%d}]" % (name, dbids[v][0])]
        want = [r"same-%s/name OK: %s\.%d = %s$" % (v, re.escape(name), dbid, value)
                for v, (dbid, value) in dbids.items()]
        want.append(r"stranger/name CRITICAL: no SNMP response .*; a datagram from "
                    r"127\.0\.0\.1:\d+ was dropped")
        with evil_agent("other-port") as evil_port:
            targets += ["- name: stranger", "  host: 127.0.0.1", "  owner: supplier",
                        "  snmp: {port: %d, version: 2c, community: public, retries: 0}"
                        % evil_port, "  checks: [{name: name, snmp_get: 1.3.6.1.2.1.1.5.0}]"]
            text, _ = self.run_daemon(targets, lambda t: all(
                re.search(w, t, re.M) for w in want))
        for v, (dbid, value) in dbids.items():
            # Never another target's answer.
            got = set(re.findall(r"^\S+ DEBUG same-%s/name \w+: (.*)$" % v, text, re.M))
            self.assertEqual(got, {"%s.%d = %s" % (name, dbid, value)}, v)

    def test_targets_share_sockets(self):
        """200 targets at 200 addresses (nobody listens: loopback drops
        them) use two UDP sockets, not 200."""
        port = free_udp_port()
        targets = []
        for i in range(200):
            targets += ["- name: h%03d" % i, "  host: 127.3.0.%d" % (i + 1), "  owner: supplier",
                        "  snmp: {port: %d, version: 2c, community: public, retries: 0}" % port,
                        "  checks: [{name: x, snmp_get: 1.3.6.1.2.1.1.3.0}]"]
        text, fds = self.run_daemon(targets, lambda t: all(
            "h%03d/x CRITICAL: no SNMP response" % i in t for i in range(200)))
        sockets = [fd for fd in fds if fd.startswith("socket:")]
        self.assertLessEqual(len(sockets), 3, fds)

    def test_timeouts_each_on_time(self):
        """60 black-holed targets whose timeouts differ (1, 2 or 3 s, in
        no order): each is given up when its own timeout passes, never
        when another's does (the plugin wakes only the peers due, earliest
        first)."""
        port = free_udp_port()
        targets, timeout_s = [], {}
        for i in range(60):
            t = (i * 7) % 3 + 1
            timeout_s["w%02d" % i] = t
            targets += ["- name: w%02d" % i, "  host: 127.3.1.%d" % (i + 1), "  owner: supplier",
                        "  snmp: {port: %d, version: 2c, community: public, retries: 0}" % port,
                        "  checks: [{name: x, snmp_get: 1.3.6.1.2.1.1.3.0, timeout: %ds, "
                        "interval: 5s}]" % t]
        pattern = r"^\S+ DEBUG (w\d\d)/x CRITICAL: no SNMP response .* after 1 tries \((\d+) ms\)"
        text, _ = self.run_daemon(targets, lambda t: len(set(
            m.group(1) for m in re.finditer(pattern, t, re.M))) == 60)
        for m in re.finditer(pattern, text, re.M):
            want_ms = timeout_s[m.group(1)] * 1000
            # Never early; late by a turn or so (a loaded machine: 0.9 s),
            # not by the next timeout of another target (1 s and more).
            self.assertGreaterEqual(int(m.group(2)), want_ms - 5, m.group(0))
            self.assertLess(int(m.group(2)), want_ms + 900, m.group(0))

    def test_counter64_rate_in_the_daemon(self):
        """A Counter64 becomes a per-second rate between two polls of the
        daemon, timed by the agent's sysUpTime."""
        oid = "1.3.6.1.4.1.1729.100.1.9.1.103"
        lab("snmp-set", oid, "counter64", "5000000000")
        cfg = self.config("{port: %d, version: 2c, community: public}" % self.port,
                          ["{name: c64, snmp_get: %s, interval: 1s, timeout: 1s}" % oid])
        logpath = os.path.join(self.tmp.name, "run.log")
        with open(logpath, "w") as log:
            p = subprocess.Popen([GPROBE, "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log)
        try:
            def logged(pattern):
                with open(logpath) as f:
                    return re.search(pattern, f.read())
            wait_until("first sample", lambda: logged(r"counter 5000000000: first sample"))
            lab("snmp-set", oid, "counter64", "5000012345")
            m = wait_until("a rate", lambda: logged(
                r"t/c64 OK: ([0-9.]+)/s \(counter 5000012345, \+12345 in ([0-9.]+) s"))
            rate, secs = float(m.group(1)), float(m.group(2))
            self.assertGreater(secs, 0)
            self.assertAlmostEqual(rate, 12345 / secs, delta=0.01)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 0)
            lab("snmp-set", oid, "counter64", "1000")

    def test_v3_target_added_by_reload(self):
        """A daemon started with v2c targets only has not initialised
        net-snmp's USM; a v3 target added by a reload initialises it
        then, with the v2c sessions open, and both targets answer."""
        v2c = "{port: %d, version: 2c, community: public}" % self.port
        checks = ["{name: up, snmp_get: 1.3.6.1.2.1.1.3.0, interval: 1s, timeout: 1s}"]
        cfg = self.config(v2c, checks)
        with open(cfg) as f:
            first = f.read()
        logpath = os.path.join(self.tmp.name, "run.log")
        with open(logpath, "w") as log:
            p = subprocess.Popen([GPROBE, "-c", cfg, "-v", "-v", "run"], stdout=log, stderr=log)
        try:
            def count(pattern):
                with open(logpath) as f:
                    return len(re.findall(pattern, f.read(), re.M))
            wait_until("v2c answers", lambda: count(r"\bt/up OK: ") >= 1)
            more = ["  - name: t3", "    host: 127.0.0.1", "    owner: supplier",
                    "    snmp: " + self.v3, "    checks:", "      - " + checks[0]]
            with open(cfg, "w") as f:
                f.write(first + "\n".join(more) + "\n")
            p.send_signal(signal.SIGHUP)
            wait_until("reloaded", lambda: count(r"config reloaded") >= 1, deadline_s=30)
            v2c_before = count(r"\bt/up OK: ")
            wait_until("v3 answers", lambda: count(r"\bt3/up OK: ") >= 2, deadline_s=30)
            wait_until("v2c still answers", lambda: count(r"\bt/up OK: ") >= v2c_before + 2,
                       deadline_s=30)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=30), 0)
        with open(logpath) as f:
            log_text = f.read()
        self.assertNotIn("No log handling enabled", log_text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
