#!/usr/bin/python3
"""mibs/GPROBE-GENESYS-MIB loads in net-snmp's tools and names exactly the
numeric OIDs the profiles poll."""
import os
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIBS = os.path.join(ROOT, "mibs")


def translate(*args):
    p = subprocess.run(["snmptranslate", "-M", MIBS, "-m", "GPROBE-GENESYS-MIB"] + list(args),
                       capture_output=True, text=True, env=dict(os.environ, MIBS=""))
    return p.returncode, p.stdout.strip(), p.stderr.strip()


class MibTest(unittest.TestCase):
    def test_names_to_numbers(self):
        expected = {
            "gServerName": ".1.3.6.1.4.1.1729.100.1.2.1.2",
            "gServerStatus": ".1.3.6.1.4.1.1729.100.1.2.1.3",
            "gServerType": ".1.3.6.1.4.1.1729.100.1.2.1.4",
            "gsCtrlRefreshStatus": ".1.3.6.1.4.1.1729.100.1.3.1.3",
            "gsCtrlAutoRefresh": ".1.3.6.1.4.1.1729.100.1.3.1.5",
            "gsCtrlRowStatus": ".1.3.6.1.4.1.1729.100.1.3.1.6",
            "gsClientsExistNum": ".1.3.6.1.4.1.1729.100.1.4.1.1",
        }
        for name, oid in expected.items():
            rc, out, err = translate("-On", "GPROBE-GENESYS-MIB::" + name)
            self.assertEqual((rc, out, err), (0, oid, ""), name)

    def test_numbers_to_names(self):
        rc, out, err = translate("1.3.6.1.4.1.1729.100.1.2.1.3.103")
        self.assertEqual((rc, out, err), (0, "GPROBE-GENESYS-MIB::gServerStatus.103", ""))

    def test_profiles_poll_what_the_mib_names(self):
        # Every Genesys OID in a profile is under an object the MIB names.
        prof = os.path.join(ROOT, "checks", "profiles")
        for f in sorted(os.listdir(prof)):
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(prof, f)) as fh:
                for line in fh:
                    if "1.3.6.1.4.1.1729." not in line:
                        continue
                    oid = line.split('"')[1].replace("{dbid}", "103")
                    rc, out, err = translate(oid)
                    self.assertEqual(rc, 0, (f, oid, err))
                    self.assertTrue(out.startswith("GPROBE-GENESYS-MIB::g"), (f, oid, out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
