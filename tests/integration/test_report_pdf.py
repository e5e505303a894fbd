#!/usr/bin/env python3
"""`gprobe report --month M --pdf FILE`: the signed report as a PDF.

The lab's estate (six services) with a contract whose parties and
signatories are given, and a month of figures built by hand: downtime
entered for each attribution, a maintenance window, a request taken by
phone. The PDF's text (poppler's pdftotext) must hold every column,
every service and every figure the text report prints, the month's name
in Russian, the contract, each signatory and "N / M" on every page; and
it is A4.
"""
import datetime
import os
import re
import subprocess
import sys
import tempfile
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(__file__))
from labtest import CONFIG, GPROBE, run, with_store  # noqa: E402

MONTHS_RU = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
             "сентябрь", "октябрь", "ноябрь", "декабрь"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]

# The per-service table's columns, as the PDF heads them.
HEADERS_RU = ["Сервис", "Работа", "Деградация", "Простой: поставщик", "Простой: заказчик",
              "Простой: третьи лица", "Простой: не отнесён", "Плановые работы",
              "Аннулировано", "Без мониторинга", "Доступность, %", "К расчёту, ч",
              "Штраф, тг"]
HEADERS_EN = ["Service", "Up", "Degraded", "Down: supplier", "Down: customer",
              "Down: third party", "Down: unattributed", "Maintenance", "Voided",
              "Unmonitored", "Availability, %", "Charged, h", "Penalty, KZT"]

SIGNATORIES = [("customer", "Иванов Иван Иванович", "Директор департамента ИТ"),
               ("supplier", "Петров Пётр Петрович", "Генеральный директор"),
               ("supplier", "Сидорова Анна Сергеевна", "Руководитель службы поддержки")]


def pdftotext(path):
    p = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True,
                       timeout=60, check=True)
    return p.stdout


class MonthTest(unittest.TestCase):
    """A store of its own with last month filled by hand (fill_month);
    test_report_print.py prints the same month."""
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        data = os.path.join(self.tmp.name, "data")
        os.mkdir(data, 0o700)
        with open(CONFIG, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"data_dir: .*", "data_dir: " + data, text, count=1)
        # Last month, whole, inside the term: the term begins with it.
        today = datetime.datetime.now(ZoneInfo("Asia/Almaty")).date()
        last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        self.year, self.mon = last.year, last.month
        self.month = last.strftime("%Y-%m")
        text = re.sub(r"\n  start: 2026-01-01", "\n  start: " + last.isoformat(), text, count=1)
        parties = ('  number: "2880-2/ГК"\n  date: 2020-10-02\n'
                   '  customer: "АО «Казахтелеком»"\n  supplier: "ТОО «Системный интегратор»"\n'
                   '  signatories:\n')
        for party, name, position in SIGNATORIES:
            parties += '    - {party: %s, name: "%s", position: "%s"}\n' % (party, name, position)
        text = text.replace("  overlap: union\n", "  overlap: union\n" + parties, 1)
        self.assertIn("signatories", text)
        self.cfg = os.path.join(self.tmp.name, "gprobe.yaml")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(with_store(text))

    def tearDown(self):
        self.tmp.cleanup()

    def gprobe(self, *args, cfg=None):
        return run([GPROBE, "-c", cfg or self.cfg] + list(args))

    def ok(self, *args, cfg=None):
        rc, out, err = self.gprobe(*args, cfg=cfg)
        self.assertEqual(rc, 0, "%s: %s" % (" ".join(args), err))
        return out

    def english_config(self):
        """The same config, the reports in English."""
        with open(self.cfg, encoding="utf-8") as f:
            text = f.read()
        en = os.path.join(self.tmp.name, "en.yaml")
        with open(en, "w", encoding="utf-8") as f:
            f.write(text.replace("    language: ru", "    language: en", 1))
        return en

    def at(self, day, hhmm):
        return "%s-%02dT%s" % (self.month, day, hhmm)

    def fill_month(self):
        """Outages of every attribution, over the month's unmonitored time
        (the probe never ran), a maintenance window, a phone request."""
        for service, day, start, end, who in [
                ("stat-monitor", 3, "10:00", "12:30", "supplier"),
                ("outbound", 10, "09:00", "10:15:20", "customer"),
                ("qa-reports", 10, "09:30", "11:00", "third-party"),
                ("armo", 12, "14:00", "14:45:30", "unattributed"),
                ("voice-search", 12, "14:20", "17:05", "supplier")]:
            self.ok("downtime", "add", "--service", service, "--from", self.at(day, start),
                    "--to", self.at(day, end), "--attribution", who,
                    "--reason", "отказ %s" % service)
        self.ok("maintenance", "add", "--service", "outbound", "--from", self.at(14, "01:00"),
                "--to", self.at(14, "03:00"), "--reason", "обновление базы данных")
        out = self.ok("incident", "open", "--service", "stat-monitor", "--priority", "P2",
                      "--channel", "phone", "--reported-at", self.at(3, "10:05"),
                      "--text", "операторы не видят статистику")
        iid = int(re.match(r"incident #(\d+) opened", out).group(1))
        self.ok("incident", "ack", str(iid), "--by", "duty", "--at", self.at(3, "10:12"))
        self.ok("incident", "resolve", str(iid), "Stat Server перезапущен",
                "--at", self.at(3, "12:40"))
        return iid


class ReportPdfTest(MonthTest):
    def test_pdf_holds_the_report(self):
        iid = self.fill_month()
        table = self.ok("report", "--month", self.month)
        pdf = os.path.join(self.tmp.name, "sla.pdf")
        out = self.ok("report", "--month", self.month, "--pdf", pdf)
        self.assertEqual(out, "%s: отчёт SLA %s\n" % (pdf, self.month))
        self.assertFalse(os.path.exists(pdf + ".tmp"))

        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
        self.assertRegex(info, r"Page size:\s+841\.89 x 595\.28 pts \(A4\)")
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        self.assertGreaterEqual(pages, 2)
        text = pdftotext(pdf)
        flat = " ".join(text.split())

        # The month's name, the contract, the parties.
        self.assertIn("Отчёт об уровне обслуживания за %s %d" % (MONTHS_RU[self.mon - 1],
                                                                 self.year), flat)
        self.assertIn("Договор № 2880-2/ГК от 02.10.2020", flat)
        self.assertIn("Заказчик: АО «Казахтелеком»", flat)
        self.assertIn("Поставщик: ТОО «Системный интегратор»", flat)
        # Every column (a header may wrap inside its cell: word by word),
        # every service.
        for h in HEADERS_RU:
            for word in h.split():
                self.assertIn(word, text, h)
        for s in ["voice-search", "stat-monitor", "armo", "outbound", "qa", "qa-reports"]:
            self.assertRegex(text, r"(?<![\w-])%s(?![\w-])" % re.escape(s))
        # Every figure of the text report: durations, availabilities and
        # the amounts of money (per service, the month's, the total, the cap).
        for fig in re.findall(r"\b\d+:\d\d:\d\d\b", table):
            self.assertIn(fig, text)
        money = re.findall(r"(?<![\d:.])\d{1,3}(?: \d{3})*\.\d\d\b", table)
        self.assertGreater(len(money), 6 + 4)
        for fig in money:
            self.assertIn(fig, flat)
        m = re.search(r"Штраф за месяц: (\d{1,3}(?: \d{3})*\.\d\d) тг", table)
        self.assertNotEqual(m.group(1), "0.00")
        self.assertIn("Штраф за месяц: %s тг" % m.group(1), flat)
        # Union, applied: the supplier's 2:30 and 2:45 (apart), as
        # 18 900 s x 125 000 000 tiyn / (720 x 3600) = 911 458.33 tiyn
        # (the sum, rounded once too, is the same 9 114.58; the services'
        # own amounts, 4 774.31 + 4 340.28, are information).
        self.assertIn("Штраф за месяц: 9 114.58 тг", flat)
        self.assertIn("предельная сумма: 750 000.00 тг", flat)
        self.assertRegex(flat, r"Объединение \(.*?\): 9 114.58 тг \(5:15:00\) — применяется по "
                         r"договору Сумма \(.*?\): 9 114.58 тг \(5:15:00\) Штраф за месяц")
        self.assertIn("4 774.31", flat)
        self.assertIn("4 340.28", flat)
        # The outages, the window, the incident, in the contract's time zone.
        self.assertIn("%s-03 10:00:00 %s-03 12:30:00 2:30:00 stat-monitor"
                      % (self.month, self.month), flat)
        self.assertIn("отказ voice-search", flat)
        self.assertIn("обновление базы данных", flat)
        self.assertRegex(flat, r"#%d stat-monitor P2, телефон" % iid)
        self.assertIn("третьи лица", flat)
        # The signatories, a line each to sign and a date.
        for party, name, position in SIGNATORIES:
            self.assertIn("/%s/" % name, flat)
            self.assertIn(position, flat)
        self.assertIn("От заказчика: АО «Казахтелеком»", flat)
        self.assertEqual(flat.count("Дата: «____»"), len(SIGNATORIES))
        # "N / M" on every page.
        sheets = text.split("\f")
        self.assertEqual(len([s for s in sheets if s.strip()]), pages)
        for n in range(1, pages + 1):
            self.assertRegex(sheets[n - 1], r"\b%d\s*/\s*%d\s*\n" % (n, pages), "page %d" % n)
        # The first page, as the test's log shows it to a person.
        png = os.path.join(self.tmp.name, "page")
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", pdf, png],
                       check=True, timeout=60)
        self.assertTrue(os.path.getsize(png + "-1.png") > 10000)

    def test_english(self):
        self.fill_month()
        en = self.english_config()
        pdf = os.path.join(self.tmp.name, "en.pdf")
        self.ok("report", "--month", self.month, "--pdf", pdf, cfg=en)
        text = pdftotext(pdf)
        flat = " ".join(text.split())
        self.assertIn("Service level report for %s %d" % (MONTHS_EN[self.mon - 1], self.year),
                      flat)
        self.assertIn("Contract No. 2880-2/ГК of 2020-10-02", flat)
        for h in HEADERS_EN:
            for word in h.split():
                self.assertIn(word, text, h)
        self.assertIn("Penalty this month: 9 114.58 KZT", flat)
        # One language: no Russian word of the report's own.
        for ru in ["Штраф", "Простой", "Подписи", "Дата", "поставщик", "телефон"]:
            self.assertNotIn(ru, text)

    def test_refusals(self):
        # One output at a time, and a file that cannot be written says so
        # in a sentence, leaving nothing behind.
        self.fill_month()
        rc, out, err = self.gprobe("report", "--month", self.month, "--pdf", "x.pdf", "--json")
        self.assertEqual(rc, 1)
        self.assertIn("usage: gprobe report", err)
        bad = os.path.join(self.tmp.name, "no-such-dir", "sla.pdf")
        rc, out, err = self.gprobe("report", "--month", self.month, "--pdf", bad)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "gprobe report: cannot write %s.tmp: No such file or directory\n"
                         % bad)
        self.assertEqual(sorted(os.listdir(self.tmp.name)), ["data", "gprobe.yaml"])


if __name__ == "__main__":
    unittest.main()
