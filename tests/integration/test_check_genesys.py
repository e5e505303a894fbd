#!/usr/bin/python3
"""check_genesys without a config file against the lab: an SNMP value
under every threshold form of the Monitoring Plugins guidelines, HTTP
status and JSON expectations, and UNKNOWN for a timeout, a bad argument
and a missing option, each with its exit code and output that parses by
the guidelines' grammar."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import CHECK_GENESYS, lab, lab_info, run  # noqa: E402

OID = "1.3.6.1.4.1.1729.998.1"

# One status line: GENESYS STATE - text [| 'label'=value[UOM];warn;crit;min;max ...]
LINE = re.compile(r"^GENESYS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]*"
                  r"(\| ?('[^']+'=-?[0-9.]+(e[-+]?[0-9]+)?[a-zA-Z%]*(;[^; \n]*){0,4} ?)*)?\n$")


def free_udp_port():
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandaloneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.snmp = str(lab_info()["ports"]["snmp"])
        cls.http = "http://127.0.0.1:%d" % lab_info()["ports"]["http"]
        lab("snmp-set", OID, "integer", "42")

    def check(self, *args):
        rc, out, err = run([CHECK_GENESYS] + list(args))
        self.assertRegex(out, LINE)
        self.assertEqual(err, "")
        return rc, out

    def snmp_check(self, *args):
        return self.check("-H", "127.0.0.1", "-p", self.snmp, "-P", "snmp", "-C", "public",
                          "-o", OID, *args)

    def test_snmp_thresholds(self):
        # value 42; (warning, critical) -> expected state
        cases = [
            ((), 0),
            (("-w", "50", "-c", "60"), 0),      # 0..50 and 0..60: inside
            (("-w", "40", "-c", "60"), 1),      # above 40
            (("-w", "40", "-c", "41"), 2),
            (("-w", "42", "-c", "42"), 0),      # the end is inside the range
            (("-c", "43:"), 2),                 # below 43
            (("-c", "42:"), 0),
            (("-c", "~:41"), 2),                # above 41, no lower bound
            (("-c", "~:42"), 0),
            (("-c", "10:20"), 2),               # outside 10..20
            (("-c", "40:45"), 0),
            (("-c", "@40:45"), 2),              # inside 40..45 alerts
            (("-c", "@43:45"), 0),
            (("-w", "@42:42"), 1),              # a single value inside
        ]
        for args, want in cases:
            rc, out = self.snmp_check(*args)
            self.assertEqual(rc, want, "%s: %s" % (args, out))
            self.assertIn("'snmp'=42;", out)
        rc, out = self.snmp_check("-w", "40", "-c", "60")
        self.assertEqual(out, "GENESYS WARNING - 127.0.0.1: snmp WARNING (42 is outside the "
                              "warning range '40') | 'snmp'=42;40;60;;\n")

    def test_snmp_v3(self):
        secrets = os.path.join(lab_info()["dir"], "secrets")
        rc, out = self.check("-H", "127.0.0.1", "-p", self.snmp, "-P", "snmp", "-o", OID,
                             "-U", "probe", "-L", "authPriv", "-a", "SHA",
                             "-A", os.path.join(secrets, "snmp-auth"), "-x", "AES",
                             "-X", os.path.join(secrets, "snmp-priv"), "-c", "50")
        self.assertEqual(rc, 0, out)

    def test_http(self):
        url = self.http + "/api/v2/diagnostics/version"
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", url, "--expect-status", "200",
                             "--json", "/statusCode", "--expect", "0")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"\| 'http'=[0-9.]+")
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", url, "--json",
                             "/statusCode", "--expect", "1")
        self.assertEqual(rc, 2, out)
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", self.http + "/nope",
                             "--expect-status", "200")
        self.assertEqual(rc, 2, out)

    def test_unknown(self):
        # Nobody answers on this port: the plugin's own timeout fires first.
        rc, out = self.check("-H", "127.0.0.1", "-p", str(free_udp_port()), "-P", "snmp",
                             "-o", OID, "-t", "1")
        self.assertEqual((rc, out), (3, "GENESYS UNKNOWN - plugin timed out\n"))
        rc, out = self.snmp_check("-c", "10:5")
        self.assertEqual(rc, 3, out)
        self.assertIn("invalid argument: ", out)
        self.assertNotIn("/proc/self", out)
        rc, out = self.check("-H", "127.0.0.1", "-P", "snmp")
        self.assertEqual((rc, out), (3, "GENESYS UNKNOWN - -P snmp needs -o OID\n"))
        rc, out = self.check("-H", "127.0.0.1", "-P", "ssh", "-l", "u")
        self.assertEqual(rc, 3, out)
        rc, out = self.check("-H", "127.0.0.1", "-P", "telnet")
        self.assertEqual(rc, 3, out)
        # A quote or a newline cannot escape into the generated config.
        rc, out = self.snmp_check("-c", "1\"\n    snmp_walk: x")
        self.assertEqual(rc, 3, out)
        self.assertIn("invalid range", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
