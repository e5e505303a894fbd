"""A small estate for the tests of what the NOC is told: components that
are TCP listeners the test opens and closes (test_alerts.Component), an
SMTP server (aiosmtpd, test_alerts.Smtp) and `gprobe run` over them, with
the services and config keys a test class gives."""
import datetime
import json
import os
import subprocess
import tempfile
import unittest

from labtest import GPROBE, run, wait_until, with_store
from test_alerts import Component, Smtp


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso).timestamp())


class EstateTest(unittest.TestCase):
    COMPONENTS = ()   # target names, each a TCP listener
    CHECKS = {}       # target: more checks, YAML flow mappings ("{PORT}": its port)
    SERVICES = ""     # the services: list, YAML flow mappings a line each
    EXTRA = ""        # more top-level keys (calendar, incidents, ...)
    LANGUAGE = "ru"
    RESTORE_DELAY = "1s"
    RRD = "rrd: false"  # the probe's RRD keys

    def prepare(self):
        """Before the config is written: files it names (self.tmp is there)."""

    def email_extra(self):
        """More keys of alerts.email, each a line indented 4 spaces."""
        return ""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.comps = {n: Component() for n in self.COMPONENTS}
        for c in self.comps.values():
            c.up()
        self.smtp = Smtp(self.tmp.name)
        self.smtp.start()
        self.prepare()
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        targets = "".join(
            "  - {name: %s, host: 127.0.0.1, owner: supplier,\n"
            "     checks: [{name: port, tcp_connect: %d}%s]}\n"
            % (n, c.port, "".join(", " + x.replace("{PORT}", str(c.port))
                                  for x in self.CHECKS.get(n, ())))
            for n, c in self.comps.items())
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(with_store(f"""probe: {{data_dir: {self.data}, interval: 1s, retry_interval: 1s,
        timeout: 1s, attempts: 1, {self.RRD}}}
targets:
{targets}services:
{self.SERVICES}{self.EXTRA}alerts:
  restore_delay: {self.RESTORE_DELAY}
  email:
    smtp_url: "smtp://127.0.0.1:{self.smtp.port}"
    from: gprobe@example.kz
    to: [noc@example.kz]
    language: {self.LANGUAGE}
    timeout: 5s
{self.email_extra()}"""))
        self.log = open(os.path.join(self.tmp.name, "run.log"), "a")
        self.daemon = subprocess.Popen([GPROBE, "-c", self.cfg, "run"], stdout=self.log,
                                       stderr=self.log)

    def tearDown(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.log.close()
        self.smtp.stop()
        for c in self.comps.values():
            c.down()
        self.tmp.cleanup()

    def gprobe(self, *args):
        return run([GPROBE, "-c", self.cfg] + list(args))

    def json(self, *args):
        rc, out, err = self.gprobe(*args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def state(self, service):
        rc, out, _ = self.gprobe("status", "--json")
        if rc != 0:
            return None
        return {s["name"]: s["state"] for s in json.loads(out)["services"]}.get(service)

    def wait_state(self, service, state):
        wait_until("%s %s" % (service, state), lambda: self.state(service) == state, 30)

    def heartbeat(self):
        return epoch(self.json("downtime", "--raw", "--json")["heartbeat"])
