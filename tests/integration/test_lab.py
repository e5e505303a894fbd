#!/usr/bin/python3
"""The lab itself: every server is real and answers as the Genesys estate
it simulates, and tests can change what it serves."""
import json
import os
import smtplib
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import LAB_DIR, lab, lab_info, run, wait_until  # noqa: E402

SNMP_ENV = {"MIBS": ""}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def pid_of(component):
    return int(read(os.path.join(LAB_DIR, "pids", component + ".pid")))


class LabTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.info = lab_info()
        cls.ports = cls.info["ports"]
        cls.snmp = "127.0.0.1:%d" % cls.ports["snmp"]

    def snmpget(self, *args):
        rc, out, err = run(["snmpget", "-On", "-t", "1", "-r", "1"] + list(args), env=SNMP_ENV)
        self.assertEqual(rc, 0, err)
        return out

    def test_snmp_v2c_genesys_subtree(self):
        out = self.snmpget("-v2c", "-c", "public", self.snmp,
                           "1.3.6.1.4.1.1729.100.1.2.1.3.103", "1.3.6.1.4.1.1729.100.1.2.1.2.103")
        self.assertIn(".1.3.6.1.4.1.1729.100.1.2.1.3.103 = INTEGER: 4", out)
        self.assertIn('.1.3.6.1.4.1.1729.100.1.2.1.2.103 = STRING: "stat-1"', out)

    def test_snmp_v3_authpriv(self):
        secrets = os.path.join(LAB_DIR, "secrets")
        auth, priv = (read(os.path.join(secrets, f)).strip() for f in ("snmp-auth", "snmp-priv"))
        out = self.snmpget("-v3", "-l", "authPriv", "-u", "probe", "-a", "SHA", "-A", auth,
                           "-x", "AES", "-X", priv, self.snmp, "1.3.6.1.4.1.1729.100.1.2.1.3.101")
        self.assertIn("INTEGER: 4", out)
        # A wrong privacy password gets no answer: the agent really checks.
        rc, _, _ = run(["snmpget", "-On", "-t", "0.5", "-r", "0", "-v3", "-l", "authPriv",
                        "-u", "probe", "-a", "SHA", "-A", auth, "-x", "AES", "-X", "wrong-pass-1",
                        self.snmp, "1.3.6.1.4.1.1729.100.1.2.1.3.101"], env=SNMP_ENV)
        self.assertNotEqual(rc, 0)

    def test_process_table_shows_components(self):
        # hrSWRunName is indexed by PID: this lab's components are there
        # under their binaries' names (other labs on the host may add more).
        # snmpd caches the table for a while: a component another test just
        # restarted appears once the cache expires.
        def table():
            rc, out, err = run(["snmpwalk", "-On", "-v2c", "-c", "public", self.snmp,
                                "1.3.6.1.2.1.25.4.2.1.2"], env=SNMP_ENV)
            self.assertEqual(rc, 0, err)
            return all('.1.3.6.1.2.1.25.4.2.1.2.%d = STRING: "%s"' % (pid_of(comp), name) in out
                       for comp, name in (("stat-1", "StatServer"), ("stat-2", "StatServer"),
                                          ("ocs-1", "OCServer"), ("conf-1", "confserv")))
        wait_until("the lab's processes in hrSWRunName", table, deadline_s=90)

    def test_snmp_state_change_is_served(self):
        oid = "1.3.6.1.4.1.1729.100.1.2.1.3.106"
        lab("snmp-set", oid, "integer", "2")
        try:
            wait_until("status 2 served", lambda: "INTEGER: 2" in run(
                ["snmpget", "-On", "-v2c", "-c", "public", self.snmp, oid], env=SNMP_ENV)[1])
        finally:
            lab("snmp-set", oid, "integer", "4")
        lab("snmp-del", "1.3.6.1.4.1.1729.100.1.9.9.9")
        rc, out, _ = run(["snmpget", "-On", "-v2c", "-c", "public", self.snmp,
                          "1.3.6.1.4.1.1729.100.1.9.9.9"], env=SNMP_ENV)
        self.assertIn("No Such", out)

    def test_ssh_key_login_and_strict_host_key(self):
        ssh = os.path.join(LAB_DIR, "ssh")
        rc, out, err = run(["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                            "-o", "UserKnownHostsFile=" + os.path.join(ssh, "known_hosts"),
                            "-i", os.path.join(ssh, "id_ed25519"), "-p", str(self.ports["ssh"]),
                            "%s@127.0.0.1" % self.info["user"],
                            "cat /proc/%d/comm" % pid_of("stat-1")])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "StatServer")
        # Password login is off: without the key, no way in.
        rc, _, _ = run(["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                        "-o", "UserKnownHostsFile=" + os.path.join(ssh, "known_hosts"),
                        "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null",
                        "-p", str(self.ports["ssh"]), "%s@127.0.0.1" % self.info["user"], "true"])
        self.assertNotEqual(rc, 0)

    def test_http_routes_and_changes(self):
        base = "http://127.0.0.1:%d" % self.ports["http"]
        with urllib.request.urlopen(base + "/api/v2/diagnostics/version", timeout=5) as r:
            self.assertEqual(json.load(r)["statusCode"], 0)
        lab("http-set", "/lab/test", "--status", "503", "--body", "down")

        def status():
            try:
                urllib.request.urlopen(base + "/lab/test", timeout=5)
            except urllib.error.HTTPError as e:
                return e.code
            return 200
        wait_until("503 served", lambda: status() == 503)

    def test_smtp_stores_mail(self):
        newdir = os.path.join(LAB_DIR, "mail", "new")
        before = set(os.listdir(newdir))
        s = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=10)
        s.sendmail("gprobe@example.kz", ["noc@example.kz"],
                   "Subject: lab test\r\n\r\nhello\r\n".encode())
        s.quit()
        new = wait_until("mail stored", lambda: set(os.listdir(newdir)) - before)
        body = read(os.path.join(newdir, new.pop()))
        self.assertIn("Subject: lab test", body)

    def test_component_stop_start(self):
        port = self.ports["dbsrv-1"]
        lab("component-stop", "dbsrv-1")
        rc = subprocess.run(["pgrep", "-f", "component.py %d" % port]).returncode
        self.assertEqual(rc, 1)
        lab("component-start", "dbsrv-1")
        rc = subprocess.run(["pgrep", "-f", "component.py %d" % port],
                            capture_output=True).returncode
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
