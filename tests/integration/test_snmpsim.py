#!/usr/bin/python3
"""The SNMP collector against recordings of real devices, served by
Debian's snmpsim (snmpsimd) on a free 127.0.0.1 port, compared with what
net-snmp's own tools read from the same agent.

Every recording snmpsim ships (*.snmprec, and the *.snmprec.gz Debian's
packaging compressed) is served under a community of its own. From each,
OIDs are chosen by rule, not by hand: every OID of a small recording; of a
large one, for each SMI type it holds, up to PER_TYPE OIDs evenly spread
over the file. Records computed by a variation module (a tag such as
"65:numeric": their value changes from one read to the next) are left out.
One more recording, written here, holds what the bundled ones lack: the
maxima of Counter32, Counter64, Gauge32 and TimeTicks, Opaque floats and
doubles (NaN and infinities too), and strings with quotes, line breaks and
more bytes than gprobe keeps.

The rule the comparison applies (gprobe's rendering, gprobe.yaml(5)) to
what `snmpget -On -Oe` prints (net-snmp without MIBs, as gprobe):
  INTEGER, Gauge32, Counter32, Counter64   the decimal number
  Timeticks: (N) ...                       N
  IpAddress, OID                           dotted (an OID without its leading dot)
  STRING: "..." / Hex-STRING: .. / ""      the bytes (net-snmp's escapes undone,
      the hex read back), then: printable UTF-8 (one trailing NUL dropped)
      is the text, a tab or line break in it shown as a space; anything else
      is every byte in upper-case hex, "68 99 CD A5"; cut at 1023 bytes
      (text at a character's start, hex at 341 bytes)
  OPAQUE: ..                               always hex
  Opaque: Float/Double: x                  the number itself, read from the
      recorded bytes (snmpget's %f keeps six decimals, and net-snmp labels
      a double "Float" as well): gprobe's text reads
      back to exactly that float or double, has no more significant digits
      than that needs, no exponent; NaN and infinities are "NaN", "Inf",
      "-Inf" and have no numeric value
and each check is OK. With SNMPv1 the same, except Counter64 (v1 has none).
Walks of the large tables count the rows snmpbulkwalk (v2c) and
snmpwalk -v1 (v1) count.
"""
import gzip
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import GPROBE, Helper, free_udp_port, wait_until, write_config  # noqa: E402

SNMPSIMD = "/usr/bin/snmpsimd"
RECORDING_DIRS = ["/usr/share/doc/snmpsim/examples/data",
                  "/usr/lib/python3/dist-packages/snmpsim"]
PER_TYPE = 30        # OIDs of one SMI type taken from a large recording
SMALL = 150          # a recording this small is compared whole
SNMPGET_BATCH = 40   # OIDs per snmpget
WALK_MIN, WALK_MAX = 100, 3500   # rows of a table walked (v1 walks one row a request)
TEXT_MAX = 1024      # collectors/snmp.c: a value's text is cut here
NET_SNMP_ENV = dict(os.environ, MIBS="", MIBDIRS="/nonexistent")

TAG_NAMES = {"2": "INTEGER", "4": "OCTET STRING", "6": "OBJECT IDENTIFIER",
             "64": "IpAddress", "65": "Counter32", "66": "Gauge32", "67": "TimeTicks",
             "68": "Opaque", "70": "Counter64"}


def find_recordings():
    found = []
    for top in RECORDING_DIRS:
        for root, _, files in os.walk(top):
            for f in files:
                if f.endswith(".snmprec") or f.endswith(".snmprec.gz"):
                    found.append(os.path.join(root, f))
    return sorted(found)


def read_recording(path):
    """[(oid, tag, value)] of the records a plain agent serves, and how
    many variation records were left out."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="latin-1") as f:
        lines = f.read().splitlines()
    records, variations = [], 0
    for line in lines:
        parts = line.split("|", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9]+(\.[0-9]+)+", parts[0]):
            continue
        if not re.fullmatch(r"[0-9]+x?", parts[1]):
            variations += 1
            continue
        # Arcs as numbers ("09" in hp_perf is 9, as the agent reads it).
        records.append((".".join(str(int(a)) for a in parts[0].split(".")), parts[1], parts[2]))
    return records, variations


def oid_key(oid):
    return tuple(int(x) for x in oid.split("."))


def choose_gets(records):
    """The OIDs compared: all of a small recording, else PER_TYPE of each
    type spread evenly."""
    if len(records) <= SMALL:
        return [r for r in records]
    by_type = {}
    for r in records:
        by_type.setdefault(r[1], []).append(r)
    chosen = []
    for _, rs in sorted(by_type.items()):
        step = max(1, len(rs) / PER_TYPE)
        chosen += [rs[int(i * step)] for i in range(min(PER_TYPE, len(rs)))]
    return sorted(chosen, key=lambda r: oid_key(r[0]))


def choose_walks(records):
    """The largest subtrees (tables or columns, 9 arcs or more) of
    WALK_MIN..WALK_MAX rows, at most two, neither inside the other."""
    counts = {}
    for oid, _, _ in records:
        arcs = oid.split(".")
        for k in range(9, len(arcs)):
            p = ".".join(arcs[:k])
            counts[p] = counts.get(p, 0) + 1
    picked = []
    for p, n in sorted(counts.items(), key=lambda x: (-x[1], oid_key(x[0]))):
        if not WALK_MIN <= n <= WALK_MAX:
            continue
        if any(p.startswith(q + ".") or q.startswith(p + ".") for q, _ in picked):
            continue
        picked.append((p, n))
        if len(picked) == 2:
            break
    return picked


def extremes():
    """The records the bundled recordings lack (see the module's doc)."""
    base = "1.3.6.1.4.1.99999.1"
    f32 = lambda v: "9f7804" + struct.pack(">f", v).hex()  # noqa: E731  (opaque float)
    f64 = lambda v: "9f7908" + struct.pack(">d", v).hex()  # noqa: E731  (opaque double)
    values = [
        ("65", "4294967295"), ("70", "18446744073709551615"), ("66", "4294967295"),
        ("67", "4294967295"), ("2", "-2147483648"), ("2", "2147483647"),
        ("64", "255.255.255.255"), ("6", "0.0"), ("65", "0"), ("70", "0"),
        ("4", 'a "quoted" \\ back\\slash'),
        ("4x", "Привет, Алматы".encode().hex()),
        ("4x", "c7e0eff3f1ea"), ("4x", "001f12304700"), ("4x", "00000000"), ("4", ""),
        ("4x", b"line 1\r\nline 2\ttab".hex()), ("4x", b"Stat\0".hex()),
        ("4x", b"form\x0cfeed".hex()), ("4x", b"del\x7f".hex()),
        ("4x", ("x" * 1020 + "Жж").encode().hex()), ("4x", "ab" * 400),
        ("68x", "0102030405"),
        ("68x", f32(math.pi)), ("68x", f32(1e-7)), ("68x", f32(1.5e10)), ("68x", f32(0.1)),
        ("68x", f32(-2.5)), ("68x", f32(123456.789)), ("68x", f32(3.4028234663852886e38)),
        ("68x", f32(1.401298464324817e-45)), ("68x", f32(16777217.0)), ("68x", f32(0.0)),
        ("68x", f32(float("nan"))), ("68x", f32(float("inf"))),
        ("68x", f64(0.1)), ("68x", f64(1 / 3)), ("68x", f64(1e-300)), ("68x", f64(1e300)),
        ("68x", f64(2.0 ** 60)), ("68x", f64(697202257.0)), ("68x", f64(-1e22)),
        ("68x", f64(float("-inf"))), ("68x", f64(float("nan"))),
    ]
    return [("%s.%d.0" % (base, i), tag, v) for i, (tag, v) in enumerate(values, 1)]


# ------------------------------------------------------------------
# The rule

def render_octets(b, may_be_text=True):
    """gprobe's rendering of an OCTET STRING (gprobe.yaml(5))."""
    m = b[:-1] if b.endswith(b"\0") else b
    text = None
    if may_be_text:
        try:
            text = m.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if text is not None and all(c >= " " or c in "\t\n\r" for c in text) and "\x7f" not in text:
        cut = m[:TEXT_MAX - 1]
        while len(cut) < len(m) and cut and (m[len(cut)] & 0xC0) == 0x80:
            cut = cut[:-1]  # not inside a character
        return re.sub(r"[\t\n\r]", " ", cut.decode("utf-8"))
    return " ".join("%02X" % x for x in b[:(TEXT_MAX - 2) // 3 + 1])


def unescape_netsnmp(s):
    """net-snmp's STRING: a backslash before '"' and '\\'."""
    return re.sub(r'\\(["\\])', r"\1", s)


def expected_from_netsnmp(printed):
    """What gprobe must report for a value snmpget printed: text, or
    ("real", float) for an Opaque float or double."""
    if printed == '""':
        return render_octets(b"")
    for exception in ("No Such Object", "No Such Instance"):
        if printed.startswith(exception):
            return ("exception", exception.replace("No Such ", "noSuch"))
    typ, sep, val = printed.partition(": ")
    if not sep:
        raise AssertionError("cannot read net-snmp's %r" % printed)
    if typ in ("INTEGER", "Gauge32", "Counter32", "Counter64", "Unsigned32", "IpAddress"):
        return val.strip()
    if typ == "Timeticks":
        return re.match(r"\((\d+)\)", val).group(1)
    if typ == "OID":
        return val.strip().lstrip(".")
    if typ == "STRING":
        if not (val.startswith('"') and val.endswith('"')):
            raise AssertionError("unquoted STRING %r" % printed)
        return render_octets(unescape_netsnmp(val[1:-1]).encode("latin-1"))
    if typ == "Hex-STRING":
        return render_octets(bytes.fromhex(val))
    if typ == "OPAQUE":
        return render_octets(bytes.fromhex(val), may_be_text=False)
    if typ == "Opaque":
        sub, _, num = val.partition(": ")
        if sub in ("Float", "Double"):
            return ("real", sub, num.strip())
    raise AssertionError("a type this test does not know: %r" % printed)


def recorded_real(tag, value):
    """The float or double an Opaque record holds, or None."""
    b = bytes.fromhex(value) if tag == "68x" else b""
    if b[:3] == b"\x9f\x78\x04" and len(b) == 7:
        return "Float", struct.unpack(">f", b[3:])[0]
    if b[:3] == b"\x9f\x79\x08" and len(b) == 11:
        return "Double", struct.unpack(">d", b[3:])[0]
    return None


def shortest_digits(v, single):
    """The fewest significant digits that read back to v."""
    for p in range(1, 18):
        s = "%.*e" % (p - 1, v)
        back = float(s)
        if single:
            try:
                back = struct.unpack(">f", struct.pack(">f", back))[0]
            except OverflowError:  # rounded up past the largest float
                continue
        if back == v:
            return p
    return 17


def real_matches(got, numeric, sub, recorded, printed):
    """Why gprobe's text for an Opaque float/double is wrong, or None
    (printed: what snmpget printed after "Float: ")."""
    if math.isnan(recorded) or math.isinf(recorded):
        want = "NaN" if math.isnan(recorded) else "Inf" if recorded > 0 else "-Inf"
        if printed.lower() != want.lower():
            return "snmpget printed %r" % printed
        return None if got == want and numeric is None else "want %s, no numeric" % want
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", got):
        return "not a plain decimal number"
    back = float(got)
    if sub == "Float":
        try:
            back = struct.unpack(">f", struct.pack(">f", back))[0]
        except OverflowError:
            return "%s is past the largest float" % got
    if back != recorded:
        return "reads back as %r, not %r" % (back, recorded)
    digits = len(got.lstrip("-").replace(".", "").lstrip("0").rstrip("0")) or 1
    if not ("." not in got and abs(recorded) < (2 ** 24 if sub == "Float" else 2 ** 53)) and \
            digits > shortest_digits(recorded, sub == "Float"):
        return "%d significant digits where %d read back" % (
            digits, shortest_digits(recorded, sub == "Float"))
    # snmpget printed the same number with "%f" (net-snmp cuts it at 128
    # characters).
    if not ("%f" % recorded).startswith(printed):
        return "snmpget printed %r" % printed
    if numeric is None or abs(numeric - recorded) > 1e-9 * max(1.0, abs(recorded)):
        return "numeric %r" % numeric
    return None


# ------------------------------------------------------------------

class Snmpsimd(Helper):
    """snmpsimd, stopped by PID like the tests' other helpers. It prints
    no ready line: readiness is waited for by asking it."""

    def __init__(self, argv, logpath):
        self.errors = open(logpath + ".stderr", "w")
        self.p = subprocess.Popen(argv + ["--logging-method=file:" + logpath],
                                  stdout=subprocess.PIPE, stderr=self.errors, text=True)

    def stop(self):
        super().stop()
        self.errors.close()


class SnmpsimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, "data")
        cache = os.path.join(cls.tmp.name, "cache")
        os.makedirs(cls.data)
        os.makedirs(cache)
        cls.recordings = []  # (community, source, records, variations)
        files = find_recordings()
        for i, path in enumerate(files):
            records, variations = read_recording(path)
            if not records:
                continue  # a variation module's own file (sql, multiplex)
            name = os.path.basename(path).rsplit(".snmprec", 1)[0]
            community = "r%02d-%s" % (i, re.sub(r"[^A-Za-z0-9]+", "-", name))
            cls.recordings.append((community, path, records, variations))
        print("\nsnmpsim recordings: %d files found, %d served (%d records of variation "
              "modules left out, %d files holding nothing else)" % (
                  len(files), len(cls.recordings), sum(r[3] for r in cls.recordings),
                  len(files) - len(cls.recordings)), file=sys.stderr)
        cls.recordings.append(("gprobe-extremes", "(written by this test)", extremes(), 0))
        for community, _, records, _ in cls.recordings:
            with open(os.path.join(cls.data, community + ".snmprec"), "w",
                      encoding="latin-1") as f:
                f.write("".join("%s|%s|%s\n" % r
                                for r in sorted(records, key=lambda r: oid_key(r[0]))))
        cls.port = free_udp_port()
        argv = [SNMPSIMD, "--data-dir=" + cls.data, "--cache-dir=" + cache,
                "--agent-udpv4-endpoint=127.0.0.1:%d" % cls.port]
        if os.geteuid() == 0:  # snmpsimd will not run as root
            argv += ["--process-user=nobody", "--process-group=nogroup"]
            os.chmod(cls.tmp.name, 0o755)
            shutil.chown(cache, "nobody", "nogroup")
        cls.agent = Snmpsimd(argv, os.path.join(cls.tmp.name, "snmpsimd.log"))
        try:
            for community, _, records, _ in cls.recordings:
                wait_until("snmpsimd serving %s" % community,
                           lambda: cls.agent.p.poll() is None and
                           cls.snmpget("2c", community, [records[0][0]], quiet=True),
                           deadline_s=180)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        died = cls.agent.p.poll() is not None
        cls.agent.stop()
        if died:
            for name in ("snmpsimd.log", "snmpsimd.log.stderr"):
                path = os.path.join(cls.tmp.name, name)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        sys.stderr.write(f.read()[-3000:])
        cls.tmp.cleanup()

    @classmethod
    def snmpget(cls, version, community, oids, quiet=False):
        """{oid: what snmpget -On -Oe printed for it}; an OID the agent
        refused (a v1 noSuchName) is missing."""
        p = subprocess.run(["snmpget", "-v" + version, "-c", community, "-On", "-Oe", "-m", "",
                            "-t", "3", "-r", "2", "127.0.0.1:%d" % cls.port] + oids,
                           capture_output=True, env=NET_SNMP_ENV, timeout=120)
        out = p.stdout.decode("latin-1")
        if quiet:
            return out.startswith("." + oids[0] + " = ")
        starts = []
        for o in oids:
            m = re.search(r"(?m)^\.%s = " % re.escape(o), out)
            if m:
                starts.append((m.start(), m.end(), o))
        starts.sort()
        got = {}
        for k, (_, end, o) in enumerate(starts):
            stop = starts[k + 1][0] if k + 1 < len(starts) else len(out)
            value = out[end:stop]
            got[o] = value[:-1] if value.endswith("\n") else value
        if not got and p.returncode != 0:
            raise AssertionError("snmpget failed: %s" % p.stderr.decode("latin-1"))
        return got

    def walk_count(self, tool, version, community, root):
        p = subprocess.run([tool, "-v" + version, "-c", community, "-On", "-m", "", "-t", "3",
                            "-r", "2", "127.0.0.1:%d" % self.port, root],
                           capture_output=True, env=NET_SNMP_ENV, timeout=280)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Rows, not the endOfMibView exceptions snmpbulkwalk prints at the
        # end of a recording (each naming the last OID).
        prefix = "." + root + "."
        return len({line.split(" = ", 1)[0] for line in p.stdout.decode("latin-1").splitlines()
                    if line.startswith(prefix) and " = No more variables left" not in line})

    def diag(self, community, version, checks, timeout="10s"):
        lines = ["probe: {timeout: %s, data_dir: %s}" % (timeout, self.tmp.name), "targets:",
                 "  - name: t", "    host: 127.0.0.1", "    owner: supplier",
                 "    snmp: {port: %d, version: %s, community: %s, retries: 2}"
                 % (self.port, version, json.dumps(community)), "    checks:"]
        lines += ["      - " + c for c in checks]
        cfg = write_config(self.tmp.name, "\n".join(lines) + "\n")
        p = subprocess.run([GPROBE, "-c", cfg, "diag", "t", "--json"], capture_output=True,
                           timeout=290)
        out = p.stdout.decode("utf-8")  # raises unless valid UTF-8
        if not out.strip():
            raise AssertionError("diag printed nothing (exit %d): %s" % (p.returncode, p.stderr))
        got = {c["name"]: c for c in json.loads(out)["checks"]}
        self.assertEqual(len(got), len(checks), "a check missing from diag --json")
        return got

    def compare_gets(self, version):
        """Every chosen OID of every recording: gprobe against snmpget."""
        stats = {"recordings": 0, "oids": 0, "matched": 0, "types": {}}
        failures = []
        for community, source, records, _ in self.recordings:
            chosen = choose_gets(records)
            if version == "1":
                chosen = [r for r in chosen if r[1] != "70"]  # no Counter64 in v1
            if not chosen:
                continue
            stats["recordings"] += 1
            oids = [r[0] for r in chosen]
            printed = {}
            for i in range(0, len(oids), SNMPGET_BATCH):
                printed.update(self.snmpget(version, community, oids[i:i + SNMPGET_BATCH]))
            checks = ["{name: g%d, snmp_get: %s}" % (i, o) for i, o in enumerate(oids)]
            got = self.diag(community, version, checks)
            for i, (oid, tag, value) in enumerate(chosen):
                c = got["g%d" % i]
                stats["oids"] += 1
                t = stats["types"].setdefault(TAG_NAMES.get(tag.rstrip("x"), tag), [0, 0])
                t[0] += 1
                why = self.mismatch(c, printed.get(oid), tag, value)
                if why:
                    failures.append("%s (%s) %s [%s|%s]: %s; gprobe: %s %r (%s)" % (
                        community, source, oid, tag, value[:60], why, c["state"], c["value"],
                        c["message"]))
                else:
                    stats["matched"] += 1
                    t[1] += 1
        return stats, failures

    @staticmethod
    def mismatch(c, printed, tag, value):
        if printed is None:
            # snmpget got no value: gprobe must fail the check too.
            return None if c["state"] == "CRITICAL" else "snmpget had no value"
        want = expected_from_netsnmp(printed)
        if isinstance(want, tuple) and want[0] == "exception":
            return None if c["state"] == "CRITICAL" and want[1] in c["message"] else \
                "want %s" % want[1]
        if c["state"] != "OK" or c["probe_state"] != "OK":
            return "not OK (snmpget: %r)" % printed
        if isinstance(want, tuple):
            # (net-snmp 5.9 labels a double "Float" too: the record says.)
            rec = recorded_real(tag, value)
            if not rec:
                return "snmpget %r for a record that is no float or double" % printed
            return real_matches(c["value"], c["numeric"], rec[0], rec[1], want[2])
        if c["value"] != want:
            return "want %r (snmpget: %r)" % (want, printed[:200])
        if tag in ("2", "66", "67") and c["numeric"] != int(want):
            return "numeric %r" % c["numeric"]
        return None

    def report(self, what, stats, failures):
        types = ", ".join("%s %d/%d" % (k, v[1], v[0]) for k, v in sorted(stats["types"].items()))
        print("\nsnmpsim %s: %d recordings, %d OIDs compared, %d matched (%s)" % (
            what, stats["recordings"], stats["oids"], stats["matched"], types), file=sys.stderr)
        for f in failures[:40]:
            print("  differs: " + f, file=sys.stderr)
        if len(failures) > 40:
            print("  ... and %d more" % (len(failures) - 40), file=sys.stderr)

    def test_get_v2c_as_snmpget(self):
        stats, failures = self.compare_gets("2c")
        self.report("GET v2c", stats, failures)
        # Every SMI type the issue names was compared.
        for t in ("Counter32", "Counter64", "Gauge32", "TimeTicks", "IpAddress",
                  "OBJECT IDENTIFIER", "Opaque", "OCTET STRING", "INTEGER"):
            self.assertGreater(stats["types"].get(t, [0])[0], 0, t)
        self.assertGreater(stats["recordings"], 20)
        self.assertGreater(stats["oids"], 1000)
        self.assertEqual(failures, [])

    def test_get_v1_as_snmpget(self):
        stats, failures = self.compare_gets("1")
        self.report("GET v1", stats, failures)
        self.assertGreater(stats["oids"], 1000)
        self.assertEqual(failures, [])

    def test_walks_count_the_rows_net_snmp_counts(self):
        compared = matched = 0
        failures = []
        for community, source, records, _ in self.recordings:
            walks = choose_walks(records)
            if not walks:
                continue
            for version, tool in (("2c", "snmpbulkwalk"), ("1", "snmpwalk")):
                checks = ["{name: w%d, snmp_walk: %s, timeout: 120s, interval: 5m}" % (i, root)
                          for i, (root, _) in enumerate(walks)]
                got = self.diag(community, version, checks, timeout="120s")
                for i, (root, rows) in enumerate(walks):
                    want = self.walk_count(tool, version, community, root)
                    c = got["w%d" % i]
                    compared += 1
                    ok = c["state"] == "OK" and c["numeric"] == want
                    # v2c serves every record; v1 skips Counter64 rows.
                    ok = ok and (version == "1" or want == rows)
                    if ok:
                        matched += 1
                    else:
                        failures.append("%s (%s) v%s walk %s: gprobe %s %r (%s), %s %d, "
                                        "recorded %d" % (community, source, version, root,
                                                         c["state"], c["value"], c["message"],
                                                         tool, want, rows))
        print("\nsnmpsim walks: %d compared, %d matched" % (compared, matched), file=sys.stderr)
        for f in failures:
            print("  differs: " + f, file=sys.stderr)
        self.assertGreaterEqual(compared, 10)
        self.assertEqual(failures, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
