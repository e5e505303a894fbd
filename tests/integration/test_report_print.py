#!/usr/bin/env python3
"""The HTML report printed as a contract manager prints it: headless
Chromium's "print to PDF" of `gprobe report --html`, read back with
poppler's pdftotext.

The month of test_report_pdf.py (every attribution, a window, a request
by phone, a customer-reported outage over monitored time revoked). The
printed pages must be A4 landscape and hold every column header of every
table and every figure the text report prints, each word within the page
(nothing cut at the right-hand edge), the month's name, the parties and
signatories, "N / M" at each page's foot; in Russian throughout (no word
of the English report), and in English when the report's language is.
Also the same document as `--pdf`: both show the same outage rows.
"""
import os
import re
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import test_report_pdf as base  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Every table's headers, as both renderings head them (a header may wrap
# inside its cell: checked word by word).
TABLES_RU = {
    "outages": ["Начало", "Конец", "Длительность", "Сервис", "Компоненты, вызвавшие простой",
                "Ответственность, кем отнесён", "Инцидент", "В плановых работах",
                "К расчёту, ч", "Сумма, тг"],
    "services": base.HEADERS_RU + ["Мониторинг, % месяца", "Доступность, % наблюдаемого времени"],
    "months": ["Месяц", "Штраф без ограничения, тг", "К оплате, тг", "Нарастающим итогом, тг"],
    "requests": ["Зарегистрировано", "Срок реакции", "Принято в работу", "Срок решения",
                 "Решено", "Соблюдение сроков", "Статус", "Описание"],
}
ENGLISH_WORDS = ["Penalty", "Service", "Outage", "supplier", "customer", "phone", "resolved",
                 "unattributed", "Start", "Duration", "Signatures", "Date:"]


def print_html(html, pdf, tmp):
    """Chromium's print of html into pdf: its own profile, no network."""
    profile = os.path.join(tmp, "chromium-profile")
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-extensions", "--user-data-dir=" + profile,
                        "--no-pdf-header-footer", "--print-to-pdf=" + pdf,
                        "file://" + html],
                       capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, HOME=tmp))
    if not os.path.exists(pdf):
        raise AssertionError("chromium printed nothing: rc %d\n%s" % (p.returncode, p.stderr))


def words_with_boxes(pdf):
    """(page number, page width, word, xMax) of every word of pdf."""
    out = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out)
    root = ET.fromstring(out)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    for n, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), 1):
        width = float(page.get("width"))
        for w in page.findall("x:word", ns):
            yield n, width, w.text or "", float(w.get("xMax"))


@unittest.skipUnless(CHROMIUM, "chromium is not installed (scripts/deps.sh installs it)")
class ReportPrintTest(base.MonthTest):
    def setUp(self):
        super().setUp()
        # Resolution targets (working time) for the requests' table.
        with open(self.cfg, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("  reopen_window: 30m\n", "  reopen_window: 30m\n  priorities:\n"
                            "    P1: {resolution: 4h}\n    P2: {resolution: 8h}\n", 1)
        self.assertIn("P1: {resolution: 4h}", text)
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(text)

    def fill_month_more(self):
        iid = self.fill_month()
        # A P1 registered in InfraManager, taken in time, resolved late:
        # Thursday 09:00 + 4 working hours is 13:00 (09:00-18:00, lunch
        # aside or not, well before Friday 12:00).
        out = self.ok("incident", "open", "--service", "outbound", "--priority", "P1",
                      "--channel", "web", "--reported-at", self.at(5, "09:00"),
                      "--text", "обзвон не запускается")
        late = int(re.match(r"incident #(\d+) opened", out).group(1))
        self.ok("incident", "ack", str(late), "--by", "duty", "--at", self.at(5, "09:30"))
        self.ok("incident", "resolve", str(late), "кампания перезапущена",
                "--at", self.at(6, "12:00"))
        # A customer's call about an outage the probe saw as up, revoked
        # later: listed among the entries, not an outage.
        self.ok("downtime", "add", "--service", "qa", "--from", self.at(20, "10:00"),
                "--to", self.at(20, "11:00"), "--attribution", "supplier",
                "--reason", "звонок заказчика", "--over-monitored")
        self.ok("downtime", "revoke", "6", "--reason", "ошибочная запись")
        # A window agreed afterwards over the last 5 minutes of the
        # voice-search outage: 2:40:00 of its 2:45:00 charged.
        self.ok("maintenance", "add", "--service", "voice-search", "--from", self.at(12, "17:00"),
                "--to", self.at(12, "18:00"), "--retroactive", "--reason", "согласованное окно")
        return iid

    def printed(self, cfg=None):
        html = os.path.join(self.tmp.name, "sla.html")
        pdf = os.path.join(self.tmp.name, "printed.pdf")
        self.ok("report", "--month", self.month, "--html", html, cfg=cfg)
        print_html(html, pdf, self.tmp.name)
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True,
                              check=True).stdout
        return pdf, info, base.pdftotext(pdf)

    def test_printed_html_holds_the_report(self):
        iid = self.fill_month_more()
        table = self.ok("report", "--month", self.month)
        pdf, info, text = self.printed()
        flat = " ".join(text.split())
        # A4 landscape (Chromium rounds the points).
        m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        self.assertAlmostEqual(float(m.group(1)), 841.9, delta=1.5, msg=info)
        self.assertAlmostEqual(float(m.group(2)), 595.3, delta=1.5, msg=info)
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        # Every header of every table, every figure of the text report.
        for name, heads in TABLES_RU.items():
            for h in heads:
                for word in h.split():
                    self.assertIn(word, text, "%s: %s" % (name, h))
        for fig in re.findall(r"\b\d+:\d\d:\d\d\b", table):
            self.assertIn(fig, text)
        money = re.findall(r"(?<![\d:.])\d{1,3}(?: \d{3})*\.\d\d\b", table)
        self.assertGreater(len(money), 10)
        for fig in money:
            self.assertIn(fig, flat)
        # 2:30:00 + 2:40:00 = 18 600 s x 125 000 000 / (720 x 3600) tiyn
        self.assertIn("Штраф за месяц: 8 969.91 тг", flat)
        self.assertIn("%s-12 14:20:00 %s-12 17:05:00 2:45:00 voice-search внесён вручную, "
                      "запись #5: поставщик — 0:05:00 2:40:00 4 629.63"
                      % (self.month, self.month), flat)
        self.assertIn("согласованное окно", flat)
        # Nothing beyond the right-hand edge: every word inside the page,
        # the per-service penalty column on the page where its table is.
        for n, width, word, xmax in words_with_boxes(pdf):
            self.assertLessEqual(xmax, width - 10, "page %d: '%s' ends at %.1f of %.1f"
                                 % (n, word, xmax, width))
        sheets = text.split("\f")
        services_page = [s for s in sheets if "Деградация" in s][0]
        self.assertIn("Штраф, тг", services_page)
        self.assertIn("4 629.63", " ".join(services_page.split()))
        # The month's name, the contract, the parties, the signatories.
        self.assertIn("Отчёт об уровне обслуживания за %s %d"
                      % (base.MONTHS_RU[self.mon - 1], self.year), flat)
        self.assertIn("Договор № 2880-2/ГК от 02.10.2020", flat)
        self.assertIn("Заказчик: АО «Казахтелеком»", flat)
        for party, name, position in base.SIGNATORIES:
            self.assertIn("/%s/" % name, flat)
            self.assertIn(position, flat)
        self.assertEqual(flat.count("Дата: «____»"), len(base.SIGNATORIES))
        # One row per outage, in the contract's zone, with its charged
        # hours and amount: stat-monitor's 2:30 by the supplier.
        self.assertIn("%s-03 10:00:00 %s-03 12:30:00 2:30:00 stat-monitor внесён вручную, "
                      "запись #1: поставщик — 0:00:00 2:30:00 4 340.28"
                      % (self.month, self.month), flat)
        self.assertEqual(flat.count("внёс root"), 5)
        # The revoked customer call is listed, marked, and no outage.
        self.assertIn("отозвана, не учитывается", flat)
        self.assertIn("звонок заказчика", flat)
        self.assertNotRegex(flat, r"сообщён заказчиком, запись #6")
        # The request with its response and resolution against target.
        self.assertRegex(flat, r"#%d stat-monitor P2, телефон" % iid)
        self.assertIn("через 7 раб. мин", flat)
        # (a row's cells wrap: its words are looked for up to the next row)
        first = flat[flat.index("#%d stat-monitor P2, телефон" % iid):]
        first = first[:first.index("#%d outbound P1" % (iid + 1))]
        for words in ["реакция: в срок", "решение: в срок", "операторы не видят"]:
            self.assertIn(words, first)
        second = flat[flat.index("#%d outbound P1" % (iid + 1)):flat.index("Подписи сторон")]
        for words in ["InfraManager", "через 30 раб. мин", "реакция: в срок", "решение:",
                      "НАРУШЕН", "13:00:00", "обзвон не запускается"]:
            self.assertIn(words, second)
        # "N / M" at each page's foot.
        self.assertEqual(len([s for s in sheets if s.strip()]), pages)
        for n in range(1, pages + 1):
            self.assertRegex(sheets[n - 1], r"\b%d\s*/\s*%d\s*$" % (n, pages), "page %d" % n)
        # One language: no word of the English report, no internal text.
        for en in ENGLISH_WORDS:
            self.assertNotRegex(text, r"\b%s\b" % re.escape(en))
        self.assertNotIn("/tmp/", text)
        self.assertNotIn(".rrd", text)

    def test_printed_english(self):
        self.fill_month()
        pdf, info, text = self.printed(cfg=self.english_config())
        flat = " ".join(text.split())
        self.assertIn("Service level report for %s %d" % (base.MONTHS_EN[self.mon - 1],
                                                          self.year), flat)
        for h in base.HEADERS_EN:
            for word in h.split():
                self.assertIn(word, text, h)
        self.assertIn("Penalty this month: 9 114.58 KZT", flat)
        for ru in ["Штраф", "Простой", "Подписи", "Дата", "поставщик", "телефон"]:
            self.assertNotIn(ru, text)

    def test_text_from_the_config_stays_text(self):
        # The contract's number is printed in the page and in each page's
        # footer (a CSS string): markup in it is shown, never obeyed.
        self.fill_month()
        with open(self.cfg, encoding="utf-8") as f:
            text = f.read()
        odd = '2880</style><script>x()</script>&amp;"\\'
        text = text.replace('number: "2880-2/ГК"', "number: '%s'" % odd, 1)
        self.assertIn("<script>", text)
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(text)
        pdf, info, printed = self.printed()
        html = open(os.path.join(self.tmp.name, "sla.html"), encoding="utf-8").read()
        self.assertNotIn("<script>", html)
        self.assertEqual(html.count("</style>"), 1)
        flat = " ".join(printed.split())
        shown = '2880</style><script>x()</script>&amp;"\\'
        self.assertIn("Договор № %s" % shown, flat)
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        self.assertEqual(flat.count("договор № %s" % shown), pages)

    def test_same_rows_as_the_pdf(self):
        self.fill_month()
        printed, info, text = self.printed()
        pdf = os.path.join(self.tmp.name, "sla.pdf")
        self.ok("report", "--month", self.month, "--pdf", pdf)
        drawn = base.pdftotext(pdf)
        row = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                         r"\d+:\d\d:\d\d [a-z-]+")
        a = row.findall(" ".join(text.split()))
        b = row.findall(" ".join(drawn.split()))
        self.assertEqual(len(a), 5 + 1)  # five outages and the window
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
