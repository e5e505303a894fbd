#!/usr/bin/python3
"""Crash trials: `gprobe run` over the lab, killed with SIGKILL at random
moments N times while a driver stops and starts Genesys components and the
lab's SMTP server, restarted after each kill; then what must survive any
crash is verified:

  - gprobe.db passes `pragma integrity_check` (after every kill, and at the
    end);
  - for every service the ledger (`gprobe downtime --raw --json`) covers
    each second from the first start to the last stop exactly once: its
    periods follow each other without a gap or an overlap;
  - a service never has two open incidents (`gprobe incidents --all
    --json`, after every kill and at the end);
  - every alert row is delivered (sent, or folded into a sent digest, or a
    "restored" or "cause-restored" cancelled by a reopen or a flap of the
    cause within the restore delay, and then never delivered), and none
    arrives twice, except a row the kill left 'sending' (handed over, its
    acceptance not recorded): that one may arrive once more per such kill,
    with the same Message-ID. No mail of this run carries an id that no
    row has.

    crash_trials.py N [--seed S] [--lab DIR] [--keep DIR]

Uses the lab of $LAB_DIR (ctest's fixture) or --lab DIR, else starts one of
its own in a temporary folder and stops it at the end; gprobe from
$GPROBE, else build/probe/gprobe. Every wait has a deadline and the whole
run one too (--max-seconds, by default 60 s a trial plus 20 minutes). It
prints one line "crash trials: N kills, ... OK" (or "... N VIOLATIONS"
after listing them) and exits 1 on any violation."""
import argparse
import datetime
import email.parser
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB_PY = os.path.join(ROOT, "tests", "lab", "lab.py")
# The integration tests' helpers; they read these at import, and this
# script runs without ctest too.
ENV_LAB_DIR = os.environ.get("LAB_DIR")
for k, v in (("GPROBE", os.path.join(ROOT, "build", "probe", "gprobe")),
             ("CHECK_GENESYS", ""), ("LAB_DIR", ""), ("LAB_PY", LAB_PY)):
    os.environ.setdefault(k, v)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import labtest  # noqa: E402
PY = "/usr/bin/python3"
# Components whose stop makes a service DOWN (a port check fails): the
# voice-search chain, the outbound database, and the Framework under all.
FLIPPABLE = ["vp-1", "rcs-1", "ocs-db", "conf-1"]
FROM = "gprobe@soak.example.kz"   # Message-IDs of this run end in @soak.example.kz


class Deadline(Exception):
    pass


class Run:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.end = time.monotonic() + args.max_seconds
        self.violations = []
        self.own_lab = None
        self.daemon = None
        self.kills = 0
        self.kills_in_handover = 0   # kills that left a row 'sending'
        self.handover_budget = {}    # message_id -> kills that left it 'sending'
        self.flips = 0
        self.smtp_flips = 0
        self.starts = 0

    # --- plumbing --------------------------------------------------------
    def left(self):
        return self.end - time.monotonic()

    def wait_until(self, what, cond, deadline_s):
        """labtest's, within the run's own deadline too."""
        try:
            return labtest.wait_until(what, cond, min(deadline_s, max(self.left(), 0)))
        except AssertionError as e:
            raise Deadline(str(e))

    def violation(self, text):
        self.violations.append(text)
        sys.stderr.write("VIOLATION: %s\n" % text)

    def lab(self, *args):
        subprocess.run([PY, LAB_PY, args[0], self.lab_dir] + list(args[1:]), check=True,
                       timeout=60, stdout=subprocess.DEVNULL)

    def gprobe(self, *args, timeout=60):
        p = subprocess.run([self.gprobe_bin, "-c", self.cfg] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def gprobe_json(self, *args):
        rc, out, err = self.gprobe(*args)
        if rc != 0:
            raise RuntimeError("gprobe %s: exit %d: %s" % (" ".join(args), rc, err.strip()))
        return json.loads(out)

    def query(self, sql):
        """Rows of a query on gprobe.db, opened read-only."""
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True, timeout=10)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    # --- setup -----------------------------------------------------------
    def setup(self):
        self.gprobe_bin = labtest.GPROBE
        self.lab_dir = self.args.lab or ENV_LAB_DIR
        if not self.lab_dir:
            self.own_lab = tempfile.mkdtemp(prefix="gprobe-crash-lab-")
            self.lab_dir = self.own_lab
            self.lab("start")
        self.work = self.args.keep or tempfile.mkdtemp(prefix="gprobe-crash-")
        os.makedirs(self.work, exist_ok=True)
        self.data = os.path.join(self.work, "data")
        shutil.rmtree(self.data, ignore_errors=True)
        self.db_path = os.path.join(self.data, "gprobe.db")
        self.logpath = os.path.join(self.work, "run.log")
        open(self.logpath, "w").close()
        with open(os.path.join(self.lab_dir, "gprobe.yaml"), encoding="utf-8") as f:
            text = f.read()
        self.cfg = os.path.join(self.work, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(soak_config(text, self.data))
        self.maildir = os.path.join(self.lab_dir, "mail")
        # A lab kept between runs (ctest's) has the mails of earlier ones.
        self.old_mail = set(self.mail_files())
        self.down = set()       # components this run stopped
        self.smtp_up = True
        # A lab left half-broken by an earlier run would skew everything.
        self.lab("component-stop", "smtp")
        self.lab("component-start", "smtp")

    def teardown(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait(timeout=30)
        try:
            self.repair()
        finally:
            if self.own_lab:
                self.lab("stop")
                shutil.rmtree(self.own_lab, ignore_errors=True)
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)

    def repair(self):
        for c in sorted(self.down):
            self.lab("component-start", c)
        self.down.clear()
        if not self.smtp_up:
            self.lab("component-start", "smtp")
            self.smtp_up = True

    # --- the daemon ------------------------------------------------------
    def start(self):
        with open(self.logpath, encoding="utf-8", errors="replace") as f:
            before = f.read().count("gprobe started:")
        log = open(self.logpath, "a")
        self.daemon = subprocess.Popen([self.gprobe_bin, "-c", self.cfg, "run"], stdout=log,
                                       stderr=log)
        log.close()
        self.starts += 1

        def started():
            if self.daemon.poll() is not None:
                raise RuntimeError("gprobe run exited with %d at start" % self.daemon.returncode)
            with open(self.logpath, encoding="utf-8", errors="replace") as f:
                return f.read().count("gprobe started:") > before
        self.wait_until("gprobe run started", started, 60)

    def kill(self):
        self.daemon.send_signal(signal.SIGKILL)
        self.daemon.wait(timeout=30)
        self.kills += 1

    # --- what a trial does ---------------------------------------------
    def drive(self):
        """One change to the estate: a component flipped, or the SMTP
        server stopped or started."""
        if self.rng.random() < 0.3:
            self.lab("component-start" if not self.smtp_up else "component-stop", "smtp")
            self.smtp_up = not self.smtp_up
            self.smtp_flips += 1
        else:
            c = self.rng.choice(FLIPPABLE)
            if c in self.down:
                self.lab("component-start", c)
                self.down.discard(c)
            else:
                self.lab("component-stop", c)
                self.down.add(c)
            self.flips += 1

    def trial(self):
        self.drive()
        # The kill comes at a random moment of the next seconds: right at
        # the restart's first turn, in a poll, in a commit, in a delivery.
        moment = self.rng.uniform(0.0, self.args.max_wait)
        if self.rng.random() < 0.5:
            self.drive()
        time.sleep(moment)  # not a wait for a condition: the moment is the trial
        self.kill()
        self.after_kill()
        self.start()

    def after_kill(self):
        """With the daemon dead: the database whole, one open incident a
        service at most, and which rows the kill left 'sending'."""
        self.check_integrity("after kill %d" % self.kills)
        self.check_incidents("after kill %d" % self.kills)
        rows = self.query("SELECT message_id FROM alert WHERE status = 'sending'")
        if rows:
            self.kills_in_handover += 1
        for (mid,) in rows:
            self.handover_budget[mid] = self.handover_budget.get(mid, 0) + 1

    # --- the checks ------------------------------------------------------
    def check_integrity(self, when):
        res = self.query("PRAGMA integrity_check")
        if res != [("ok",)]:
            self.violation("integrity_check %s: %s" % (when, res))

    def check_incidents(self, when):
        opened = {}
        for inc in self.gprobe_json("incidents", "--all", "--json"):
            if inc["status"] in ("open", "acknowledged"):
                opened.setdefault(inc["service"], []).append(inc["id"])
        for svc, ids in opened.items():
            if len(ids) > 1:
                self.violation("%s: %s has %d open incidents: %s" % (when, svc, len(ids), ids))

    def check_ledger(self, first_start, last_stop):
        """Each service's periods tile [first start, last stop]."""
        months = sorted({month_of(first_start), month_of(last_stop)})
        periods = {}
        for m in months:
            for svc in self.gprobe_json("downtime", "--raw", "--json", "--month", m)["services"]:
                seen = periods.setdefault(svc["service"], {})
                for p in svc["periods"]:
                    seen[(epoch(p["from"]), epoch(p["to"]))] = p
        self.ledger_seconds = 0
        for svc, by_span in sorted(periods.items()):
            spans = sorted(by_span)
            if not spans:
                self.violation("ledger: %s has no period" % svc)
                continue
            start, end = spans[0][0], spans[-1][1]
            # The first period begins at the first start (in its first
            # second or two), the last ends at the stop's heartbeat.
            if not first_start - 1 <= start <= first_start + 5:
                self.violation("ledger: %s begins at %d, the first start was %d"
                               % (svc, start, first_start))
            if not last_stop - 3 <= end <= last_stop + 1:
                self.violation("ledger: %s ends at %d, the last stop was %d"
                               % (svc, end, last_stop))
            for (a_from, a_to), (b_from, b_to) in zip(spans, spans[1:]):
                if b_from > a_to:
                    self.violation("ledger: %s has a gap %d..%d" % (svc, a_to, b_from))
                elif b_from < a_to:
                    self.violation("ledger: %s counts %d..%d twice" % (svc, b_from, a_to))
            total = sum(t - f for f, t in spans)
            if total != end - start:
                self.violation("ledger: %s periods add up to %d s over %d s"
                               % (svc, total, end - start))
            self.ledger_seconds += total
            opened = [p for p in by_span.values() if p["open"]]
            if len(opened) > 1:
                self.violation("ledger: %s has %d open periods" % (svc, len(opened)))
        self.ledger_services = len(periods)

    def mail_files(self):
        """{message's unique name: path} in the lab's Maildir."""
        files = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                files[name.split(":")[0]] = os.path.join(d, name)
        return files

    def mails(self):
        """Message-ID -> copies, of this run's mails in the lab's Maildir."""
        copies = {}
        parser = email.parser.BytesHeaderParser()
        for name, path in self.mail_files().items():
            if name in self.old_mail:
                continue
            with open(path, "rb") as f:
                mid = str(parser.parse(f).get("Message-ID", "")).strip()
            if mid.endswith("@soak.example.kz>"):
                copies[mid] = copies.get(mid, 0) + 1
        return copies

    def check_alerts(self):
        rows = self.query("SELECT id, event, status, message_id, digest, attempts"
                          " FROM alert ORDER BY id")
        by_id = {r[0]: r for r in rows}
        copies = self.mails()
        known = {r[3] for r in rows}
        self.alert_rows = len(rows)
        self.mail_copies = sum(copies.values())
        self.duplicates = 0
        self.resent_rows = 0
        for rid, event, status, mid, digest, attempts in rows:
            n = copies.get(mid, 0)
            budget = self.handover_budget.get(mid, 0)
            if status == "sent":
                if n == 0:
                    self.violation("alert #%d %s: sent, but no mail has %s" % (rid, event, mid))
                elif n > 1 + budget:
                    self.violation("alert #%d %s: %d copies of %s, %d kill(s) in its hand-over"
                                   % (rid, event, n, mid, budget))
                if n > 1:
                    self.duplicates += n - 1
                    self.resent_rows += 1
            elif status == "folded":
                d = by_id.get(digest)
                if not d or d[2] != "sent":
                    self.violation("alert #%d %s: folded into %s, not sent" % (rid, event, digest))
            elif status == "cancelled":
                if event not in ("restored", "cause-restored"):
                    self.violation("alert #%d %s: cancelled" % (rid, event))
                elif n:
                    self.violation("alert #%d %s: cancelled, yet %d mail(s) have %s"
                                   % (rid, event, n, mid))
            else:
                self.violation("alert #%d %s: left %s after %d tries" % (rid, event, status,
                                                                         attempts))
        for mid in sorted(set(copies) - known):
            self.violation("a mail with Message-ID %s that no alert row has" % mid)

    # --- the whole run ----------------------------------------------------
    def settle(self):
        """Everything repaired, the daemon running: every service UP and
        the outbox empty; bounded by the latest retry the outbox waits for."""
        self.repair()

        def all_up():
            st = self.gprobe_json("status", "--json")
            return st["services"] and all(s["state"] == "UP" for s in st["services"])
        self.wait_until("every service UP after the repair", all_up, 180)
        due = self.query("SELECT MAX(next_attempt_at) FROM alert WHERE status IN"
                         " ('queued', 'sending')")[0][0] or 0
        # The backoff is at most 15 min; a restored mail waits restore_delay.
        wait = min(max(due - time.time(), 0), 900) + 60

        def outbox_empty():
            a = self.gprobe_json("status", "--json")["alerts"]
            return a["queued"] == 0 and a.get("sending", 0) == 0
        self.wait_until("the outbox delivered", outbox_empty, wait)

    def run(self):
        try:
            self.setup()
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
            print("crash trials: 0 kills: cannot set up: %s: %s" % (type(e).__name__, e))
            if self.own_lab:
                self.lab("stop")
            return 1
        t0 = time.monotonic()
        try:
            first_start = int(time.time())
            self.start()
            for i in range(self.args.n):
                if self.left() < 0:
                    raise Deadline("the run's deadline passed after %d trials" % i)
                self.trial()
            self.settle()
            self.daemon.send_signal(signal.SIGTERM)
            rc = self.daemon.wait(timeout=60)
            last_stop = int(time.time())
            if rc != 0:
                self.violation("gprobe run exited with %d on SIGTERM" % rc)
            self.check_integrity("at the end")
            self.check_incidents("at the end")
            self.check_ledger(first_start, last_stop)
            self.check_alerts()
        except Deadline as e:
            self.violation("deadline: %s" % e)
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as e:
            self.violation("the run broke off: %s: %s" % (type(e).__name__, e))
        finally:
            self.teardown()
        took = time.monotonic() - t0
        summary = ("crash trials: %d kills, %d starts, %d component flips, %d SMTP stops/starts,"
                   " seed %d, %.0f s; ledger: %s services, %s s; alerts: %s rows, %s mails,"
                   " %d kill(s) in a hand-over, %s copies beyond the first (same Message-ID)"
                   % (self.kills, self.starts, self.flips, self.smtp_flips, self.args.seed, took,
                      getattr(self, "ledger_services", "?"), getattr(self, "ledger_seconds", "?"),
                      getattr(self, "alert_rows", "?"), getattr(self, "mail_copies", "?"),
                      self.kills_in_handover, getattr(self, "duplicates", "?")))
        if self.violations:
            print("%s: %d VIOLATIONS" % (summary, len(self.violations)))
            return 1
        print("%s: OK" % summary)
        return 0


def soak_config(text, data):
    """The lab's config with this run's data folder, quick polls, a short
    restore delay, no RRD files, its own sender address and no rate limit
    (an hour's limit would hold mails past the run)."""
    probe = ("probe:\n  data_dir: %s\n  interval: 2s\n  retry_interval: 1s\n  attempts: 2\n"
             "  timeout: 2s\n  rrd: false\n\n" % data)
    head, rest = text.split("probe:\n", 1)
    rest = rest[rest.index("\ntargets:") + 1:]
    text = head + probe + rest
    text = text.replace("alerts:\n  email:\n",
                        "alerts:\n  restore_delay: 2s\n  email:\n    timeout: 5s\n"
                        "    rate_limit: 100000\n")
    text = text.replace('from: "gprobe@example.kz"', 'from: "%s"' % FROM)
    if FROM not in text or "restore_delay" not in text:
        raise RuntimeError("the lab's config has changed: cannot make the soak's from it")
    return text


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def month_of(t):
    # The ledger's months are calendar.timezone's, the lab's Asia/Almaty.
    d = datetime.datetime.fromtimestamp(t, zoneinfo.ZoneInfo("Asia/Almaty"))
    return "%04d-%02d" % (d.year, d.month)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="how many kills")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--lab", help="a running lab's folder (default $LAB_DIR, else a new lab)")
    ap.add_argument("--keep", help="keep the run's folder (config, data, log) here")
    ap.add_argument("--max-wait", type=float, default=4.0,
                    help="a kill comes at most this many seconds after the start (4)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="the whole run's deadline (60 s a trial + 20 min)")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 30)
    if args.max_seconds is None:
        args.max_seconds = 60 * args.n + 1200
    return Run(args).run()


if __name__ == "__main__":
    sys.exit(main())
