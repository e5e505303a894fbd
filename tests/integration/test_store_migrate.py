"""`gprobe store migrate`: a sqlite installation's history (a month of
outages, maintenance and a phone request entered by hand, then the daemon's
own states, periods, outages and incidents over the lab) into an empty
PostgreSQL database, checked by the command itself and, here, by what
users read: the report, the incidents, the ledger and the event log say
the same from either store."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from labtest import (GPROBE, PG_DIR, Daemon, pg_createdb, pg_info, pg_sql, run,  # noqa: E402
                     wait_until)
from test_report_pdf import MonthTest  # noqa: E402


class MigrateTest(MonthTest):
    def setUp(self):
        if not PG_DIR:
            self.skipTest("needs the tests' PostgreSQL (ctest: integration.pg.test_store_migrate)")
        super().setUp()
        with open(self.cfg, encoding="utf-8") as f:
            text = f.read()
        # The source: the same config on the embedded sqlite store.
        text = re.sub(r"\n  store: .*|\n  store_password_file: .*", "", text)
        self.assertNotIn("store:", text)
        self.sq = os.path.join(self.tmp.name, "sqlite.yaml")
        with open(self.sq, "w", encoding="utf-8") as f:
            f.write(text)
        self.data = re.search(r"data_dir: (.*)", text).group(1).strip()
        self.uri = pg_createdb()
        self.pg = os.path.join(self.tmp.name, "pg.yaml")
        with open(self.pg, "w", encoding="utf-8") as f:
            f.write(text.replace("probe:\n", "probe:\n  store: \"%s\"\n  store_password_file: %s\n"
                                 % (self.uri, pg_info()["password_file"]), 1))

    def migrate(self, *extra, to=None):
        return run([GPROBE, "-c", self.pg, "store", "migrate", "--from", "sqlite:" + self.data,
                    "--to", to or self.uri] + list(extra), timeout=120)

    def views(self, cfg):
        """What users read, from the store of cfg."""
        out = {}
        for args in (["report", "--month", self.month, "--json"], ["incidents", "--all", "--json"],
                     ["downtime", "--month", self.month, "--raw", "--json"],
                     ["events", "--json"], ["maintenance", "list"],
                     ["downtime", "list-entries", "--month", self.month]):
            rc, text, err = run([GPROBE, "-c", cfg] + args)
            self.assertEqual(rc, 0, "%s: %s" % (" ".join(args), err))
            out[" ".join(args)] = text
        return out

    def test_history_copied_and_checked(self):
        self.cfg = self.sq
        self.fill_month()
        # The daemon's own rows: a few seconds over the lab.
        d = Daemon(self.sq, os.path.join(self.tmp.name, "run.log"))
        try:
            wait_until("states of every service", lambda: run(
                [GPROBE, "-c", self.sq, "status", "--json"])[0] == 0 and all(
                s["state"] != "UNKNOWN" for s in json.loads(
                    run([GPROBE, "-c", self.sq, "status", "--json"])[1])["services"]), 60)
        finally:
            self.assertEqual(d.stop(), 0)
        rc, out, err = self.migrate()
        self.assertEqual(rc, 0, err + out)
        self.assertIn("copied incident ", out)
        self.assertRegex(out, r"checked: every table's rows equal; \d+ ledger totals")
        self.assertEqual(self.views(self.sq), self.views(self.pg))
        # The copy goes on: the next incident's id follows the copied ones.
        n = int(pg_sql(self.uri, "SELECT max(id) FROM incident")[0][0])
        rc, out, err = run([GPROBE, "-c", self.pg, "incident", "open", "--service", "outbound",
                            "--priority", "P3", "--channel", "phone", "--reported-at",
                            self.at(20, "10:00"), "--text", "после переноса"])
        self.assertEqual(rc, 0, err)
        self.assertIn("incident #%d opened" % (n + 1), out)

    def test_refusals(self):
        self.cfg = self.sq
        self.fill_month()
        self.assertEqual(self.migrate()[0], 0)
        # Never into a store that has history: nothing merged, nothing lost.
        rc, out, err = self.migrate()
        self.assertEqual(rc, 1)
        self.assertIn("the destination is not empty (", err)
        rc, out, err = self.migrate(to="mysql://x")
        self.assertEqual(rc, 1)
        self.assertIn("a store is sqlite:PATH or postgresql://", err)
        rc, out, err = run([GPROBE, "-c", self.pg, "store", "migrate", "--from",
                            "sqlite:" + self.tmp.name + "/nowhere", "--to", self.uri])
        self.assertEqual(rc, 1)
        self.assertIn("no such directory", err)
        # A password in the URI would sit in the config and in `ps`.
        info = pg_info()
        rc, out, err = self.migrate(to="postgresql://%s:secret@127.0.0.1:%d/x"
                                    % (info["user"], info["port"]))
        self.assertEqual(rc, 1)
        self.assertIn("holds a password", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
