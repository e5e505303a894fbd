#!/usr/bin/python3
"""check_genesys without a config file against the lab: an SNMP value
under every threshold form of the Monitoring Plugins guidelines, HTTP
status and JSON expectations, and UNKNOWN for a timeout, a bad argument
and a missing option, each with its exit code and output that parses by
the guidelines' grammar."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import CHECK_GENESYS, LAB_DIR, lab, lab_info, run, wait_until  # noqa: E402

OID = "1.3.6.1.4.1.1729.998.1"

# One status line: GENESYS STATE - text [| 'label'=value[UOM];warn;crit;min;max ...]
LINE = re.compile(r"^GENESYS (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]*"
                  r"(\| ?('[^']+'=-?[0-9.]+[a-zA-Z%]*(;[^; \n]*){0,4} ?)*)?\n$")


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

    def test_long_timeout(self):
        # The plugins' usual -t 30 (the shipped Icinga command gives 20):
        # the one-check config once refused a timeout above the default
        # 10 s interval ("invalid argument: ... longer than the interval").
        for t in ("11", "12", "20", "60"):
            rc, out = self.snmp_check("-t", t)
            self.assertEqual((rc, out), (0, "GENESYS OK - 127.0.0.1: 1 check OK: snmp = 42 | "
                                            "'snmp'=42;;;;\n"), t)

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
        # The value in the OK text; time and size as check_http gives them.
        self.assertIn("1 check OK: http = 0 |", out)
        self.assertRegex(out, r" 'time'=[0-9.]+s;;;0 'size'=[1-9][0-9]*B;;;0\n$")
        # -vv: the check's account on the next line.
        rc, out, _ = run([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "-u", url, "--json",
                          "/statusCode", "--expect", "0", "-vv"])
        self.assertRegex(out.splitlines()[0] + "\n", LINE)
        self.assertRegex(out.splitlines()[1], r"^http: OK HTTP 200 in [0-9.]+ ms")
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", url, "--json",
                             "/statusCode", "--expect", "1")
        self.assertEqual(rc, 2, out)
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", self.http + "/nope",
                             "--expect-status", "200")
        self.assertEqual(rc, 2, out)

    @unittest.skipUnless(os.getuid() == 0, "needs root to run as another user")
    def test_secret_of_another_target_unreadable(self):
        # Nagios runs the plugin as its own user: a private secret of one
        # target it may not read costs that target only, with the reason.
        d = tempfile.mkdtemp()
        try:
            os.chmod(d, 0o755)
            secret = os.path.join(d, "community")
            with open(secret, "w") as f:
                f.write("public\n")
            os.chmod(secret, 0o600)
            cfg = os.path.join(d, "gprobe.yaml")
            with open(cfg, "w") as f:
                f.write("probe: {data_dir: %s/data, rrd: false}\ntargets:\n"
                        "  - name: a\n    host: 127.0.0.1\n    owner: supplier\n"
                        "    snmp: {port: %s, community_file: %s}\n"
                        "    checks: [{name: x, snmp_get: %s}]\n"
                        "  - name: b\n    host: 127.0.0.1\n    owner: supplier\n"
                        "    checks: [{name: port, tcp_connect: %d}]\n"
                        % (d, self.snmp, secret, OID, lab_info()["ports"]["lca-1"]))
            os.chmod(cfg, 0o644)
            as_nobody = ["runuser", "-u", "nobody", "--", CHECK_GENESYS, "-c", cfg]
            rc, out, _ = run(as_nobody + ["-T", "b"])
            self.assertEqual(rc, 0, out)
            rc, out, _ = run(as_nobody + ["-T", "a"])
            self.assertEqual(rc, 3, out)
            self.assertIn("Permission denied", out)
            # A loose secret stays refused, whoever reads the config.
            os.chmod(secret, 0o644)
            rc, out, _ = run(as_nobody + ["-T", "b"])
            self.assertEqual(rc, 3, out)
            self.assertIn("accessible to group or others", out)
        finally:
            shutil.rmtree(d)

    def test_https_with_the_sites_ca(self):
        # A private CA: trusted with --ca-file, no need for --insecure.
        url = "https://127.0.0.1:%d/api/v2/diagnostics/version" % lab_info()["ports"]["https"]
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", url, "--json", "/statusCode",
                             "--expect", "0")
        self.assertEqual(rc, 2, out)
        self.assertIn("SSL certificate problem", out)
        rc, out = self.check("-H", "127.0.0.1", "-P", "http", "-u", url, "--json", "/statusCode",
                             "--expect", "0", "--ca-file", os.path.join(LAB_DIR, "tls", "ca.pem"))
        self.assertEqual(rc, 0, out)

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


def loaded(argv, env=None):
    """Runs argv with the dynamic loader's log of the objects it maps:
    (exit code, stdout, the file names of every object loaded)."""
    rc, out, err = run(argv, env=dict(env or {}, LD_DEBUG="files"))
    names = re.findall(r"file=(\S+) \[\d+\];\s+generating link map", err)
    return rc, out, {os.path.basename(n) for n in names}


# What libpq brings; a run without a postgresql store maps none of it.
NOT_WITHOUT_POSTGRESQL = ("libpq", "libgssapi", "libkrb5", "libldap", "libsasl2", "libgnutls")
# And SQLite only where a sqlite store is opened (state mode).
NOT_WITHOUT_STORE = NOT_WITHOUT_POSTGRESQL + ("libsqlite3",)


def named(objects, *prefixes):
    return sorted(o for o in objects if o.startswith(prefixes))


class LoadingTest(unittest.TestCase):
    """A one-shot run maps the collector its check needs and nothing else:
    the libraries are most of its CPU time (a plain HTTP GET once loaded
    libxml2 with ICU and libstdc++, a TCP check of a config libcurl,
    libssh2 and net-snmp)."""

    @classmethod
    def setUpClass(cls):
        info = lab_info()
        cls.tmp = tempfile.mkdtemp()
        cls.http = "http://127.0.0.1:%d" % info["ports"]["http"]
        lab("snmp-set", OID, "integer", "42")
        lab("http-set", "/test/loading/state.xml", "--content-type", "application/xml",
            "--body", "<health state='up'/>")
        cls.cfg = os.path.join(cls.tmp, "gprobe.yaml")
        ssh = os.path.join(info["dir"], "ssh")
        with open(cls.cfg, "w") as f:
            f.write("probe: {data_dir: %s/data, rrd: false}\ntargets:\n"
                    "  - name: every\n    host: 127.0.0.1\n    owner: supplier\n"
                    "    snmp: {port: %d, community: public}\n"
                    "    http: {base_url: \"%s\"}\n"
                    "    ssh: {port: %d, user: %s, key: %s/id_ed25519, known_hosts: %s/known_hosts}\n"
                    "    checks:\n"
                    "      - {name: value, snmp_get: %s}\n"
                    "      - {name: page, http_get: /test/loading/state.xml}\n"
                    "      - {name: state, http_get: /test/loading/state.xml, xpath: /health/@state,"
                    " expect: up}\n"
                    "      - {name: shell, ssh_command: 'echo 1'}\n"
                    "      - {name: port, tcp_connect: %d}\n"
                    % (cls.tmp, info["ports"]["snmp"], cls.http, info["ports"]["ssh"],
                       info["user"], ssh, ssh, OID, info["ports"]["lca-1"]))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_plain_http_get_maps_no_xml(self):
        rc, out, objs = loaded([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "-u",
                                self.http + "/api/v2/diagnostics/version"])
        self.assertEqual(rc, 0, out)
        self.assertIn("http.so", objs)
        # An http:// URL to an address: plain.so, without libcurl's thirty
        # libraries (they were 5 of the 7 ms of CPU such a run took).
        self.assertIn("plain.so", objs)
        self.assertEqual(named(objs, "libxml2", "libicu", "xpath.so", "snmp.so",
                               "ssh.so", "tcp.so", "libnetsnmp", "curl.so", "libcurl",
                               "libssl", *NOT_WITHOUT_STORE), [])

    def test_https_and_handed_over_requests_go_through_curl(self):
        https = "https://127.0.0.1:%d" % lab_info()["ports"]["https"]
        lab("http-set", "/test/loading/tls", "--body", "TLS-OK")
        rc, out, objs = loaded([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "--insecure",
                                "-u", https + "/test/loading/tls"])
        self.assertEqual(rc, 0, out)
        self.assertIn("TLS-OK", out)
        self.assertTrue(named(objs, "libcurl") and "curl.so" in objs, objs)
        self.assertNotIn("plain.so", objs)
        # A redirect plain.so cannot follow (to https://) is started again
        # in curl.so, from the first URL, and reads as curl.so reads it.
        lab("http-set", "/test/loading/to-tls", "--status", "302", "--location",
            https + "/test/loading/tls")
        rc, out, objs = loaded([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "--insecure",
                                "-u", self.http + "/test/loading/to-tls"])
        self.assertEqual(rc, 0, out)
        self.assertIn("TLS-OK", out)
        self.assertTrue("plain.so" in objs and "curl.so" in objs, objs)
        # GPROBE_HTTP_ENGINE=curl: every check through curl.so.
        rc, out, objs = loaded([CHECK_GENESYS, "-H", "127.0.0.1", "-P", "http", "-u",
                                self.http + "/api/v2/diagnostics/version"],
                               env={"GPROBE_HTTP_ENGINE": "curl"})
        self.assertEqual(rc, 0, out)
        self.assertTrue("curl.so" in objs and "plain.so" not in objs, objs)

    def test_snmp_maps_only_its_collector(self):
        rc, out, objs = loaded([CHECK_GENESYS, "-H", "127.0.0.1", "-p",
                                str(lab_info()["ports"]["snmp"]), "-P", "snmp", "-o", OID])
        self.assertEqual(rc, 0, out)
        self.assertIn("snmp.so", objs)
        self.assertEqual(named(objs, "http.so", "curl.so", "libcurl", "ssh.so", "libssh2",
                               "tcp.so", "libxml2"), [])
        # libpq (and its Kerberos, LDAP, GnuTLS) only for a postgresql
        # store: linked, they cost every run about 6 ms before main; and
        # SQLite, linked, 0.4 ms and a slower dlopen of snmp.so.
        self.assertEqual(named(objs, *NOT_WITHOUT_STORE), [])

    def test_config_check_maps_what_it_uses(self):
        # Every collector is loaded for the config's declarations; only the
        # check's own starts, and HTTP's transfers (libcurl) and XPath
        # (libxml2) are mapped only for an HTTP check, an xpath one.
        rc, out, objs = loaded([CHECK_GENESYS, "-c", self.cfg, "-T", "every", "-C", "port"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(named(objs, "curl.so", "libcurl", "xpath.so", "libxml2",
                               *NOT_WITHOUT_STORE), [])
        rc, out, objs = loaded([CHECK_GENESYS, "-c", self.cfg, "-T", "every", "-C", "page"])
        self.assertEqual(rc, 0, out)
        self.assertIn("plain.so", objs)
        self.assertEqual(named(objs, "xpath.so", "libxml2", "curl.so", "libcurl"), [])
        rc, out, objs = loaded([CHECK_GENESYS, "-c", self.cfg, "-T", "every", "-C", "state"])
        self.assertEqual(rc, 0, out)
        self.assertIn("state = up", out)
        self.assertTrue(named(objs, "xpath.so") and named(objs, "libxml2"), objs)
        # All of them at once still run, each through its collector.
        rc, out = run([CHECK_GENESYS, "-c", self.cfg, "-T", "every"])[:2]
        self.assertEqual(rc, 0, out)
        self.assertIn("5 checks OK", out)

    def test_state_mode_loads_sqlite(self):
        # --target reads the daemon's store: SQLite is loaded then, and its
        # own error comes through (no daemon has made this data_dir).
        rc, out, objs = loaded([CHECK_GENESYS, "-c", self.cfg, "--target", "every"])
        self.assertEqual(rc, 3, out)
        self.assertIn("unable to open database file", out)
        self.assertTrue(named(objs, "libsqlite3"), objs)
        self.assertEqual(named(objs, *NOT_WITHOUT_POSTGRESQL), [])


NAGIOS_CFG = """log_file={d}/nagios.log
cfg_file={d}/objects.cfg
object_cache_file={d}/objects.cache
precached_object_file={d}/objects.precache
status_file={d}/status.dat
status_update_interval=1
nagios_user={user}
nagios_group={group}
check_external_commands=0
command_file={d}/nagios.cmd
lock_file={d}/nagios.lock
temp_file={d}/nagios.tmp
temp_path={d}
check_result_path={d}/checkresults
check_result_reaper_frequency=1
interval_length=1
retain_state_information=0
state_retention_file={d}/retention.dat
use_syslog=0
enable_notifications=0
enable_event_handlers=0
enable_flap_detection=0
process_performance_data=0
max_service_check_spread=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
"""

OBJECTS_CFG = """define timeperiod {{
  timeperiod_name always
  alias always
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00
}}
define contact {{
  contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands true
  service_notification_commands true
}}
define command {{
  command_name true
  command_line /bin/true
}}
define command {{
  command_name check_genesys_snmp
  command_line {plugin} -H $HOSTADDRESS$ -p {port} -P snmp -o $ARG1$ -C $ARG2$ -w $ARG3$ -c $ARG4$
}}
define host {{
  host_name lab
  address 127.0.0.1
  check_command true
  max_check_attempts 1
  check_period always
  contacts nobody
  notification_period always
}}
define service {{
  host_name lab
  service_description genesys
  check_command check_genesys_snmp!{oid}!public!40!60
  max_check_attempts 1
  check_interval 1
  retry_interval 1
  check_period always
  contacts nobody
  notification_period always
}}
"""


class NagiosTest(unittest.TestCase):
    """check_genesys run by a real Nagios 4 (Debian's nagios4-core): the
    state and output Nagios records are the plugin's."""

    def test_nagios_runs_it(self):
        import grp
        import pwd
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, "checkresults"))
            with open(os.path.join(d, "nagios.cfg"), "w") as f:
                f.write(NAGIOS_CFG.format(d=d, user=pwd.getpwuid(os.getuid()).pw_name,
                                          group=grp.getgrgid(os.getgid()).gr_name))
            with open(os.path.join(d, "objects.cfg"), "w") as f:
                f.write(OBJECTS_CFG.format(plugin=CHECK_GENESYS, oid=OID,
                                           port=lab_info()["ports"]["snmp"]))
            rc, out, _ = run(["/usr/sbin/nagios4", "-v", os.path.join(d, "nagios.cfg")])
            self.assertEqual(rc, 0, out)
            lab("snmp-set", OID, "integer", "42")
            p = subprocess.Popen(["/usr/sbin/nagios4", os.path.join(d, "nagios.cfg")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                def service():
                    try:
                        with open(os.path.join(d, "status.dat")) as f:
                            text = f.read()
                    except OSError:
                        return None
                    for block in text.split("servicestatus {")[1:]:
                        fields = dict(line.strip().split("=", 1)
                                      for line in block.split("}")[0].strip().splitlines()
                                      if "=" in line)
                        if fields.get("has_been_checked") == "1":
                            return fields
                    return None
                st = wait_until("Nagios checked it", service, 60)
                self.assertEqual(st["current_state"], "1", st)
                self.assertEqual(st["plugin_output"],
                                 "GENESYS WARNING - 127.0.0.1: snmp WARNING (42 is outside the "
                                 "warning range '40')")
                self.assertEqual(st["performance_data"], "'snmp'=42;40;60;;")
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
