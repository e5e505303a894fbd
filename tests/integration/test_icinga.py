#!/usr/bin/python3
"""check_genesys run by a real Icinga 2 (Debian's icinga2 2.13) through the
shipped CheckCommands (packaging/icinga2/gprobe.conf, included unchanged),
against the lab. The daemon runs in the foreground from a temporary
directory of its own (config, state, data, log, cache, spool and run
directories), as the current user, without the API listener; the
PerfdataWriter writes there and rotates every second.

For each service the perfdata file's record (the state, the output, the
perfdata as Icinga splits it, and as Icinga's own parser reads it, through
the DSL's parse_performance_data()) must equal what check_genesys prints
and returns when run directly with the arguments Icinga gave it. The lab
serves values above 1e8 and 2^32: printed as 6.97202e+08, Icinga reads
697202000."""
import grp
import json
import math
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import CHECK_GENESYS, LAB_DIR, LAB_PY, lab, lab_info, run, wait_until  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = os.path.join(SOURCE, "packaging", "icinga2", "gprobe.conf")
ICINGA2 = "/usr/sbin/icinga2"

# Values the lab's agent serves for this test (a subtree no other test uses).
BIG = "1.3.6.1.4.1.1729.998.21"      # Gauge32 697202257: %g made it 6.97202e+08
HUGE = "1.3.6.1.4.1.1729.998.22"     # a number above 2^32, in a string
TINY = "1.3.6.1.4.1.1729.998.23"     # 0.0000125: %g made it 1.25e-05
FRAC = "1.3.6.1.4.1.1729.998.24"     # 1234567890.125: needs 13 digits
NEG = "1.3.6.1.4.1.1729.998.25"      # -5
MISSING = "1.3.6.1.4.1.1729.998.29"  # never served
LAB_VALUES = [(BIG, "gauge", "697202257"), (HUGE, "string", "98765432109876"),
              (TINY, "string", "0.0000125"), (FRAC, "string", "1234567890.125"),
              (NEG, "integer", "-5")]
CLIENTS = "1.3.6.1.4.1.1729.100.1.4.1.1.103"  # the lab's gauge 12
APP_STATUS = "1.3.6.1.4.1.1729.100.1.2.1.3.103"  # 4, running

GPROBE_YAML = """probe: {{rrd: false, data_dir: {d}/gprobe-data}}
targets:
  - name: stat-1
    host: 127.0.0.1
    owner: supplier
    snmp: {{port: {snmp}, version: 3, user: probe, security_level: authPriv,
           auth_protocol: SHA, auth_password_file: {lab}/secrets/snmp-auth,
           priv_protocol: AES, priv_password_file: {lab}/secrets/snmp-priv}}
    checks:
      - {{name: clients, snmp_get: {clients}, warning: "1:", critical: "0:"}}
      - {{name: app-status, snmp_get: {app_status}, expect: "4"}}
      - {{name: requests-total, snmp_get: {big}, warning: "700000000", critical: "800000000"}}
  - name: big
    host: 127.0.0.1
    owner: supplier
    snmp: {{port: {snmp}, version: 2c, community: public}}
    checks:
      - {{name: octets, snmp_get: {big}, uom: B, warning: "~:600000000", critical: "1000000000"}}
      - {{name: huge, snmp_get: {huge}}}
      - {{name: tiny, snmp_get: {tiny}, uom: s, warning: "0.0001"}}
      - {{name: frac, snmp_get: {frac}, uom: ms}}
      - {{name: neg, snmp_get: {neg}, critical: "0:"}}
      - {{name: rate, snmp_get: {clients}, uom: "1/s"}}
      - {{name: spaced, snmp_get: {clients}, uom: "calls per s"}}
  - name: web
    host: 127.0.0.1
    owner: supplier
    http: {{base_url: "http://127.0.0.1:{http}"}}
    checks:
      - {{name: health, http_get: /reports/health, expect_status: 200, match: "^OK"}}
  - name: gone
    host: 127.0.0.1
    owner: supplier
    snmp: {{port: {snmp}, version: 2c, community: public}}
    checks:
      - {{name: missing, snmp_get: {missing}}}
"""

# Icinga's own reading of each check result, in the perfdata file: the
# command it ran, the exit status, the output and the perfdata as split,
# and each perfdata value through Icinga's parser (parse_performance_data).
RECORD_FN = """globals.gprobe_record = function() {
  var s = get_service(macro("$host.name$"), macro("$service.name$"))
  var cr = s.last_check_result
  var parsed = []
  for (p in cr.performance_data) {
    try {
      var v = parse_performance_data(p)
      parsed.add({ label = v.label, value = v.value, unit = v.unit, warn = v.warn,
                   crit = v.crit, min = v.min, max = v.max })
    } except {
      parsed.add({ unparsed = p })
    }
  }
  return Json.encode({ command = cr.command, exit_status = cr.exit_status,
                       output = cr.output, perfdata = cr.performance_data, parsed = parsed })
}
"""

ICINGA_CONF = """include <itl>
const PluginDir = "{plugin_dir}"

object CheckerComponent "checker" {{ }}

object PerfdataWriter "perfdata" {{
  service_perfdata_path = "{d}/perfdata/service-perfdata"
  service_temp_path = "{d}/perfdata/service-perfdata.tmp"
  host_perfdata_path = "{d}/perfdata/host-perfdata"
  host_temp_path = "{d}/perfdata/host-perfdata.tmp"
  service_format_template = "DATATYPE::SERVICEPERFDATA\\tTIMET::$service.last_check$\\tHOSTNAME::$host.name$\\tSERVICEDESC::$service.name$\\tSERVICEPERFDATA::$service.perfdata$\\tSERVICECHECKCOMMAND::$service.check_command$\\tSERVICESTATE::$service.state$\\tSERVICEOUTPUT::$service.output$\\tGPROBE::$service.vars.gprobe_record$"
  rotation_interval = 1s
}}

{record_fn}

// What Debian's conf.d/templates.conf gives the shipped example, with
// short intervals; no network for the hosts.
template Host "generic-host" {{
  check_command = "dummy"
  check_interval = 1s
  max_check_attempts = 1
}}
template Service "generic-service" {{
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 1
  vars.genesys_config = "{cfg}"
  vars.gprobe_record = gprobe_record
}}

include "{shipped}"

object Host "lab" {{
  import "generic-host"
  address = "127.0.0.1"
}}

{services}
"""

# Service name -> (check command, its vars, the options check_genesys must get).
SERVICES = {
    "stat-1-verbose": ("genesys", {"genesys_target": "stat-1", "genesys_verbose": True},
                       {"-T": "stat-1", "-v": None}),
    "octets": ("genesys", {"genesys_target": "big", "genesys_check": "octets"},
               {"-T": "big", "-C": "octets"}),
    "big": ("genesys", {"genesys_target": "big"}, {"-T": "big"}),
    "rate": ("genesys", {"genesys_target": "big", "genesys_check": "rate"},
             {"-T": "big", "-C": "rate"}),
    "web": ("genesys", {"genesys_target": "web"}, {"-T": "web"}),
    "missing": ("genesys", {"genesys_target": "gone"}, {"-T": "gone"}),
    "no-target": ("genesys", {"genesys_target": "nope"}, {"-T": "nope"}),
    "snmp-large": ("genesys_snmp", {"genesys_snmp_port": "{snmp}", "genesys_snmp_oid": BIG,
                                    "genesys_warning": "600000000",
                                    "genesys_critical": "1000000000"},
                   {"-H": "127.0.0.1", "-P": "snmp", "-p": "{snmp}", "-o": BIG, "-C": "public",
                    "-w": "600000000", "-c": "1000000000", "-t": "20"}),
    "snmp-huge": ("genesys_snmp", {"genesys_snmp_port": "{snmp}", "genesys_snmp_oid": HUGE,
                                   "genesys_snmp_version": "1",
                                   "genesys_critical": "~:98765432109875"},
                  {"-H": "127.0.0.1", "-P": "snmp", "-p": "{snmp}", "-o": HUGE, "-C": "public",
                   "--snmp-version": "1", "-c": "~:98765432109875", "-t": "20"}),
}
# The shipped example's own service (host stat-1, target stat-1).
SHIPPED_SERVICE = ("stat-1", "genesys-statserver", {"-T": "stat-1"})

STATE = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}

# Icinga 2's units: what it calls the unit and the factor to it.
ICINGA_UNITS = {"": ("", 1), "s": ("seconds", 1), "ms": ("seconds", 1e-3),
                "us": ("seconds", 1e-6), "%": ("percent", 1), "B": ("bytes", 1),
                "KB": ("bytes", 1e3), "MB": ("bytes", 1e6), "GB": ("bytes", 1e9),
                "TB": ("bytes", 1e12)}

PERF_ITEM = re.compile(r"('(?:[^']|'')+'|[^=' ]+)=(\S*)")
PERF_VALUE = re.compile(r"^([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(.*)$")


def split_perfdata(text):
    """A perfdata string as (label, value, uom, warn, crit, min, max), all
    strings; the label unquoted. Asserts the whole text parses."""
    items = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = PERF_ITEM.match(text, pos)
        if not m:
            raise AssertionError("perfdata does not parse at %r" % text[pos:])
        label = m.group(1)
        if label.startswith("'"):
            label = label[1:-1].replace("''", "'")
        fields = (m.group(2).split(";") + [""] * 5)[:5]
        v = PERF_VALUE.match(fields[0])
        if not v:
            raise AssertionError("perfdata value %r is not a number" % fields[0])
        items.append((label, v.group(1), v.group(2)) + tuple(fields[1:]))
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return items


def plain_number(s):
    """A threshold as Icinga 2.13 keeps it: a plain number, or nothing (it
    drops ranges such as 1:, ~:10, @10:20)."""
    try:
        return float(s)
    except ValueError:
        return None


def read_records(perfdir):
    """The service records of the rotated perfdata files: {service: [record]}."""
    out = {}
    for name in sorted(os.listdir(perfdir)):
        if not re.fullmatch(r"service-perfdata\.[0-9]+", name):
            continue
        with open(os.path.join(perfdir, name), encoding="utf-8") as f:
            for line in f:
                fields = dict(kv.split("::", 1) for kv in line.rstrip("\n").split("\t"))
                if fields.get("DATATYPE") != "SERVICEPERFDATA":
                    continue
                fields["GPROBE"] = json.loads(fields["GPROBE"])
                out.setdefault(fields["SERVICEDESC"], []).append(fields)
    return out


def options(argv):
    """check_genesys's argv after the program as {option: value or None}."""
    opts, i = {}, 1
    while i < len(argv):
        if argv[i] == "-v":
            opts["-v"] = None
            i += 1
        else:
            opts[argv[i]] = argv[i + 1]
            i += 2
    return opts


def icinga_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v)


class IcingaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for oid, typ, value in LAB_VALUES:
            lab("snmp-set", oid, typ, value)
        lab("snmp-del", MISSING)

    @classmethod
    def tearDownClass(cls):
        for oid, _, _ in LAB_VALUES:
            lab("snmp-del", oid)

    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="gprobe-icinga-")
        self.addCleanup(shutil.rmtree, self.d)
        d = self.d
        for sub in ("etc", "data", "log", "cache", "spool", "run", "perfdata", "gprobe-data"):
            os.mkdir(os.path.join(d, sub))
        info = lab_info()
        self.snmp = str(info["ports"]["snmp"])
        self.cfg = os.path.join(d, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(GPROBE_YAML.format(d=d, lab=LAB_DIR, snmp=self.snmp, http=info["ports"]["http"],
                                       clients=CLIENTS, app_status=APP_STATUS, big=BIG,
                                       huge=HUGE, tiny=TINY, frac=FRAC, neg=NEG,
                                       missing=MISSING))
        self.services = {}
        blocks = []
        for name, (command, vars_, opts) in SERVICES.items():
            vars_ = {k: v.format(snmp=self.snmp) if isinstance(v, str) else v
                     for k, v in vars_.items()}
            opts = {k: v.format(snmp=self.snmp) if isinstance(v, str) else v
                    for k, v in opts.items()}
            if command == "genesys":
                opts = dict({"-c": self.cfg, "-t": "20"}, **opts)
            self.services[name] = opts
            blocks.append('object Service "%s" {\n  import "generic-service"\n'
                          '  host_name = "lab"\n  check_command = "%s"\n%s}\n'
                          % (name, command, "".join("  vars.%s = %s\n" % (k, icinga_string(v))
                                                    for k, v in vars_.items())))
        self.services[SHIPPED_SERVICE[1]] = dict({"-c": self.cfg, "-t": "20"},
                                                 **SHIPPED_SERVICE[2])
        self.conf = os.path.join(d, "etc", "icinga2.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(ICINGA_CONF.format(plugin_dir=os.path.dirname(CHECK_GENESYS), d=d,
                                       cfg=self.cfg, shipped=SHIPPED, record_fn=RECORD_FN,
                                       services="\n".join(blocks)))
        self.assertEqual(os.path.basename(CHECK_GENESYS), "check_genesys")
        self.argv = [ICINGA2, "daemon", "-c", self.conf,
                     "-DRunAsUser=" + pwd.getpwuid(os.getuid()).pw_name,
                     "-DRunAsGroup=" + grp.getgrgid(os.getgid()).gr_name,
                     "-DConfigDir=" + os.path.join(d, "etc"),
                     "-DDataDir=" + os.path.join(d, "data"),
                     "-DLogDir=" + os.path.join(d, "log"),
                     "-DCacheDir=" + os.path.join(d, "cache"),
                     "-DSpoolDir=" + os.path.join(d, "spool"),
                     "-DInitRunDir=" + os.path.join(d, "run")]
        rc, out, err = run(self.argv[:2] + ["-C"] + self.argv[2:])
        self.assertEqual(rc, 0, out + err)
        self.log = open(os.path.join(d, "icinga2.out"), "w")
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT)

    def tearDown(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        self.log.close()
        # Icinga's worker processes end with it (their command line names
        # this directory).
        wait_until("Icinga's processes to end", lambda: not self.leftovers(), 30)
        self.assertEqual(rc, 0, self.daemon_log())

    def leftovers(self):
        """Processes still running whose command line names this test's
        directory (the lab's own account of leftovers)."""
        rc, out, _ = run(["/usr/bin/python3", LAB_PY, "leftovers", self.d])
        return out.strip() if rc else ""

    def daemon_log(self):
        with open(os.path.join(self.d, "icinga2.out"), encoding="utf-8") as f:
            return f.read()[-3000:]

    def records(self):
        """Waits for a record of every service; {service: newest record}."""
        perfdir = os.path.join(self.d, "perfdata")

        def all_there():
            if self.p.poll() is not None:
                raise AssertionError("icinga2 exited with %d: %s" % (self.p.returncode,
                                                                      self.daemon_log()))
            recs = read_records(perfdir)
            return recs if set(self.services) <= set(recs) else None
        try:
            recs = wait_until("Icinga's perfdata for every service", all_there, 40)
        except AssertionError:
            raise AssertionError("services with perfdata: %s\n%s"
                                 % (sorted(read_records(perfdir)), self.daemon_log()))
        return {k: v[-1] for k, v in recs.items()}

    def test_pid_file_in_its_own_run_directory(self):
        pidfile = os.path.join(self.d, "run", "icinga2.pid")

        def pid():
            try:
                with open(pidfile) as f:
                    return int(f.read().strip() or 0)
            except (OSError, ValueError):
                return None
        self.assertEqual(wait_until("icinga2.pid", pid, 30), self.p.pid)
        # Rotated every second: several files, each a complete set of lines.
        perfdir = os.path.join(self.d, "perfdata")
        wait_until("three rotated perfdata files", lambda: len(
            [n for n in os.listdir(perfdir) if re.fullmatch(r"service-perfdata\.[0-9]+", n)]) >= 3,
            30)

    def test_icinga_reads_what_check_genesys_says(self):
        recs = self.records()
        seen_states = set()
        for service, opts in sorted(self.services.items()):
            with self.subTest(service=service):
                rec = recs[service]
                got = rec["GPROBE"]
                argv = got["command"]
                # The shipped CheckCommand's arguments, as check_genesys
                # knows them.
                self.assertEqual(argv[0], CHECK_GENESYS)
                self.assertEqual(options(argv), opts)
                rc, out, err = run(argv)
                self.assertEqual(err, "")
                line = out.split("\n")[0]
                text, bar, perf = line.partition("|")
                if bar:
                    self.assertNotEqual(perf.strip(), "", "a bare '|': %r" % line)
                # State and output.
                self.assertEqual(got["exit_status"], rc, out)
                self.assertEqual(rec["SERVICESTATE"], STATE[rc], out)
                self.assertEqual(got["output"], text)
                self.assertEqual(rec["SERVICEOUTPUT"], text)
                seen_states.add(rc)
                # The perfdata as check_genesys gives it, as Icinga splits
                # it, and as the perfdata file has it.
                direct = split_perfdata(perf)
                self.assertEqual([split_perfdata(p)[0] for p in got["perfdata"]], direct)
                self.assertEqual(split_perfdata(rec["SERVICEPERFDATA"]), direct)
                for item in direct:
                    self.assertNotRegex(item[1], "[eE]", "an exponent: %s" % (item,))
                # The values Icinga's parser reads are the plugin's.
                self.assertEqual(len(got["parsed"]), len(direct))
                for (label, value, uom, warn, crit, vmin, vmax), p in zip(direct, got["parsed"]):
                    self.assertNotIn("unparsed", p, p)
                    unit, factor = ICINGA_UNITS.get(uom, ("", 1))
                    self.assertEqual(p["label"], label)
                    self.assertEqual(p["unit"], unit, (label, uom))
                    for name, mine in (("value", value), ("warn", warn), ("crit", crit),
                                       ("min", vmin), ("max", vmax)):
                        want = plain_number(mine)
                        if want is None:
                            self.assertIsNone(p[name], (label, name, mine))
                        elif factor == 1:
                            self.assertEqual(p[name], want, (label, name, mine))
                        else:
                            self.assertTrue(math.isclose(p[name], want * factor, rel_tol=1e-12),
                                            (label, name, mine, p[name]))
        self.assertEqual(seen_states, {0, 1, 2, 3})

        def parsed(service, label):
            found = {p["label"]: p for p in recs[service]["GPROBE"]["parsed"]}
            self.assertIn(label, found, recs[service]["SERVICEOUTPUT"])
            return found[label]
        # The large values, exactly (697202257, not 697202000).
        self.assertEqual(parsed("snmp-large", "snmp")["value"], 697202257)
        self.assertEqual(parsed("snmp-large", "snmp")["crit"], 1000000000)
        self.assertEqual(parsed("octets", "octets")["value"], 697202257)
        self.assertEqual(parsed("big", "huge")["value"], 98765432109876)
        self.assertEqual(parsed("snmp-huge", "snmp")["value"], 98765432109876)
        self.assertEqual(parsed("stat-1-verbose", "requests-total")["warn"], 700000000)
        self.assertEqual(parsed("big", "tiny")["value"], 0.0000125)
        self.assertEqual(parsed("big", "frac")["value"], 1234567.890125)
        self.assertEqual(parsed("big", "neg")["value"], -5)
        # A unit that is no unit ("1/s", "calls per s") is left out: Icinga
        # read 'rate'=121/s as 121 for the lab's 12.
        self.assertEqual(parsed("rate", "rate")["value"], 12)
        self.assertEqual(parsed("big", "spaced")["value"], 12)
        self.assertEqual(parsed("big", "spaced")["warn"], None)
        # States and texts Icinga shows.
        self.assertEqual(recs["octets"]["SERVICEOUTPUT"],
                         "GENESYS WARNING - big: octets WARNING (697202257 is outside the "
                         "warning range '~:600000000') ")
        self.assertEqual(recs["genesys-statserver"]["SERVICESTATE"], "OK")
        self.assertEqual(recs["genesys-statserver"]["SERVICEOUTPUT"],
                         "GENESYS OK - stat-1: 3 checks OK ")
        self.assertEqual(recs["stat-1-verbose"]["SERVICEOUTPUT"],
                         "GENESYS OK - stat-1: 3 checks OK: clients = 12, app-status = 4, "
                         "requests-total = 697202257 ")
        self.assertEqual(recs["web"]["SERVICEOUTPUT"], "GENESYS OK - web: 1 check OK: health = OK")
        self.assertEqual(recs["web"]["SERVICEPERFDATA"], "")
        self.assertEqual(recs["missing"]["SERVICESTATE"], "CRITICAL")
        self.assertEqual(recs["no-target"]["SERVICESTATE"], "UNKNOWN")
        self.assertEqual(recs["snmp-huge"]["SERVICESTATE"], "CRITICAL")


class StockConfigTest(unittest.TestCase):
    """The shipped file copied into conf.d of Debian's own Icinga 2
    configuration (a copy of /etc/icinga2, its templates.conf giving
    generic-host and generic-service) validates: no name clashes with the
    ITL or Debian's examples."""

    def test_validates_in_debians_conf_d(self):
        with tempfile.TemporaryDirectory() as d:
            etc = os.path.join(d, "etc")
            shutil.copytree("/etc/icinga2", etc, ignore=shutil.ignore_patterns("pki"))
            shutil.copy(SHIPPED, os.path.join(etc, "conf.d", "gprobe.conf"))
            dirs = {}
            for name in ("DataDir", "LogDir", "CacheDir", "SpoolDir", "InitRunDir"):
                dirs[name] = os.path.join(d, name)
                os.mkdir(dirs[name])
            rc, out, err = run([ICINGA2, "daemon", "-C", "-c", os.path.join(etc, "icinga2.conf"),
                                "-DConfigDir=" + etc,
                                "-DRunAsUser=" + pwd.getpwuid(os.getuid()).pw_name,
                                "-DRunAsGroup=" + grp.getgrgid(os.getgid()).gr_name]
                               + ["-D%s=%s" % kv for kv in dirs.items()])
            self.assertEqual(rc, 0, out + err)
            # Both commands and the example's objects are there.
            with open(os.path.join(dirs["CacheDir"], "icinga2.debug"), "rb") as f:
                objects = f.read()
            for name in (b'"name":"genesys"', b'"name":"genesys_snmp"',
                         b'"name":"genesys-statserver"'):
                self.assertIn(name, objects)


if __name__ == "__main__":
    unittest.main(verbosity=2)
