"""Exports of the per-program table: Excel laid out like the published table, CSV, and a PDF report.

Pure code: every function takes lines already computed (``caseflow.reports.tables`` and
``figures``) and returns the file's content; no Flask request, no database.

The PDF is rendered as the letters are (``caseflow.letters.render``): Jinja HTML and one CSS
from ``templates/reports/pdf/``, fonts from fontconfig by family name, and a URL fetcher that
refuses everything, so nothing outside the template is ever loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import unicodedata
from decimal import Decimal
from typing import Any

import jinja2
import xlsxwriter
from weasyprint import HTML

from caseflow import ROOT
from caseflow.core import pdf
from caseflow.core.cells import safe_cell
from caseflow.core.japanese import today_jst, wareki
from caseflow.reports import tables
from caseflow.reports.tables import Line

TEMPLATES = ROOT / "templates"
PDF_TEMPLATE = "reports/pdf/report.html"
PDF_STYLESHEET = TEMPLATES / "reports" / "pdf" / "report.css"

CSV_HEADER = ("事務", "所管府省庁", "点検機関数", "点検対象件数", "点検対象件数（表示）", "紐付け誤り件数", "割合",
              "閲覧された件数", "解消した件数", "主な原因", "点検以外で判明した紐付け誤り")
DETAIL_HEADER = ("事務", "所管府省庁", "点検機関数", "点検対象件数", "紐付け誤り件数", "割合", "閲覧された件数",
                 "解消した件数", "主な原因", "点検以外で判明した紐付け誤り")
AGENCY_HEADER = ("点検機関", "点検対象件数", "紐付け誤り件数", "割合", "閲覧された件数", "解消した件数",
                 "点検以外で判明した紐付け誤り")

# Excel: at most 31 characters in a sheet name, and none of these.
_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "＿" for c in "[]:*?/\\"})


def _rate_fraction(line: Line) -> float | None:
    """Errors per record as a fraction (0.00119 for 0.119%), None without records."""
    return line.errors / line.records if line.records else None


# --- CSV --------------------------------------------------------------------------------------------

def programs_csv(lines: list[Line], total: Line) -> str:
    """The per-program table as CSV text (no BOM: a download adds one for Excel).

    Raw integers, the count as displayed (8,208万件) and the rate in percent to three decimals
    ("0.119"; empty without records). Text cells are neutralised against formula injection.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for line in [*lines, total]:
        writer.writerow([safe_cell(value) for value in (
            line.label, line.ministry, "" if line.agencies is None else line.agencies, line.records,
            line.records_text, line.errors, "" if line.rate is None else str(line.rate), line.viewed,
            line.resolved, line.cause, line.errors_separate,
        )])
    return out.getvalue()


# --- Excel ------------------------------------------------------------------------------------------

def _text_width(text: str) -> int:
    """Display width in Excel's character units: full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _width(values: list[str], minimum: int = 8, maximum: int = 60) -> int:
    return max(minimum, min(maximum, max((_text_width(v) for v in values), default=0) + 2))


def _sheet_name(label: str, used: set[str]) -> str:
    """A valid, unique sheet name from a program's name (cut to Excel's 31 characters)."""
    base = label.translate(_SHEET_NAME_FORBIDDEN).strip("'") or "事務"
    name, n = base[:_SHEET_NAME_MAX], 1
    while name.casefold() in used:
        n += 1
        suffix = f"（{n}）"
        name = base[:_SHEET_NAME_MAX - len(suffix)] + suffix
    used.add(name.casefold())
    return name


class _Formats:
    """The cell formats of a workbook, plain and bold (for the total row)."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        font = {"font_name": "Yu Gothic", "font_size": 10}
        cell = {**font, "border": 1, "valign": "vcenter"}
        self.title = workbook.add_format({**font, "bold": True, "font_size": 14})
        self.subtitle = workbook.add_format(font)
        self.header = workbook.add_format({**cell, "bold": True, "align": "center", "text_wrap": True,
                                           "bg_color": "#D9E1F2"})
        self.plain: dict[str, Any] = {}
        self.bold: dict[str, Any] = {}
        for target, extra in ((self.plain, {}), (self.bold, {"bold": True, "top": 2, "bg_color": "#F2F2F2"})):
            target["text"] = workbook.add_format({**cell, **extra, "text_wrap": True})
            target["right"] = workbook.add_format({**cell, **extra, "align": "right"})
            target["int"] = workbook.add_format({**cell, **extra, "num_format": "#,##0"})
            target["pct"] = workbook.add_format({**cell, **extra, "num_format": "0.000%"})

    def of(self, line: Line) -> dict[str, Any]:
        return self.bold if line.is_total else self.plain


def _heading(sheet, formats: _Formats, title: str, subtitle: str) -> None:
    sheet.write_string(0, 0, title, formats.title)
    sheet.set_row(0, 22)
    if subtitle:
        sheet.write_string(1, 0, subtitle, formats.subtitle)


def _page_setup(sheet, header_rows: tuple[int, int]) -> None:
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(*header_rows)


def _write_number_or_blank(sheet, row: int, col: int, value: float | int | None, fmt) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _published_sheet(workbook, formats: _Formats, title: str, subtitle: str, lines: list[Line]) -> None:
    """「公表形式」: the table as the government report prints it, texts and all."""
    sheet = workbook.add_worksheet("公表形式")
    _heading(sheet, formats, title, subtitle)
    top = 3
    sheet.merge_range(top, 0, top + 1, 0, "事務", formats.header)
    sheet.merge_range(top, 1, top + 1, 1, "点検対象件数", formats.header)
    sheet.merge_range(top, 2, top, 3, "紐付け誤り", formats.header)
    sheet.write_string(top + 1, 2, "件数", formats.header)
    sheet.write_string(top + 1, 3, "割合", formats.header)
    for row, line in enumerate(lines, start=top + 2):
        fmt = formats.of(line)
        sheet.write_string(row, 0, line.label, fmt["text"])
        sheet.write_string(row, 1, line.records_text, fmt["right"])
        sheet.write_string(row, 2, line.errors_text, fmt["right"])
        sheet.write_string(row, 3, line.rate_text, fmt["right"])
    sheet.set_column(0, 0, _width([x.label for x in lines], minimum=20, maximum=50))
    sheet.set_column(1, 1, _width([x.records_text for x in lines], minimum=14))
    sheet.set_column(2, 3, 12)
    sheet.freeze_panes(top + 2, 1)
    _page_setup(sheet, (top, top + 1))


def _detail_sheet(workbook, formats: _Formats, title: str, subtitle: str, lines: list[Line]) -> None:
    """「詳細」: one row per program with the raw numbers, for sorting and calculating."""
    sheet = workbook.add_worksheet("詳細")
    _heading(sheet, formats, title, subtitle)
    top = 3
    for col, name in enumerate(DETAIL_HEADER):
        sheet.write_string(top, col, name, formats.header)
    for row, line in enumerate(lines, start=top + 1):
        fmt = formats.of(line)
        sheet.write_string(row, 0, line.label, fmt["text"])
        sheet.write_string(row, 1, line.ministry, fmt["text"])
        _write_number_or_blank(sheet, row, 2, line.agencies, fmt["int"])
        sheet.write_number(row, 3, line.records, fmt["int"])
        sheet.write_number(row, 4, line.errors, fmt["int"])
        _write_number_or_blank(sheet, row, 5, _rate_fraction(line), fmt["pct"])
        sheet.write_number(row, 6, line.viewed, fmt["int"])
        sheet.write_number(row, 7, line.resolved, fmt["int"])
        sheet.write_string(row, 8, line.cause, fmt["text"])
        sheet.write_number(row, 9, line.errors_separate, fmt["int"])
    sheet.set_column(0, 0, _width([x.label for x in lines], minimum=20, maximum=50))
    sheet.set_column(1, 1, _width([x.ministry for x in lines], minimum=12, maximum=24))
    sheet.set_column(2, 2, 10)
    sheet.set_column(3, 3, 14)
    sheet.set_column(4, 7, 12)
    sheet.set_column(8, 8, _width([x.cause for x in lines], minimum=20, maximum=60))
    sheet.set_column(9, 9, 16)
    body = [x for x in lines if not x.is_total]
    if body:
        sheet.autofilter(top, 0, top + len(body), len(DETAIL_HEADER) - 1)
    sheet.freeze_panes(top + 1, 1)
    _page_setup(sheet, (top, top))


def _agency_sheet(workbook, formats: _Formats, name: str, program: str, lines: list[Line]) -> None:
    """One program's figures per linking agency, with their total."""
    sheet = workbook.add_worksheet(name)
    _heading(sheet, formats, f"{program}（点検機関別）", "")
    top = 2
    for col, heading in enumerate(AGENCY_HEADER):
        sheet.write_string(top, col, heading, formats.header)
    rows = [*lines, tables.total(lines, agencies=len(lines))]
    for row, line in enumerate(rows, start=top + 1):
        fmt = formats.of(line)
        sheet.write_string(row, 0, line.label, fmt["text"])
        sheet.write_number(row, 1, line.records, fmt["int"])
        sheet.write_number(row, 2, line.errors, fmt["int"])
        _write_number_or_blank(sheet, row, 3, _rate_fraction(line), fmt["pct"])
        sheet.write_number(row, 4, line.viewed, fmt["int"])
        sheet.write_number(row, 5, line.resolved, fmt["int"])
        sheet.write_number(row, 6, line.errors_separate, fmt["int"])
    sheet.set_column(0, 0, _width([x.label for x in rows], minimum=20, maximum=50))
    sheet.set_column(1, 6, 14)
    sheet.freeze_panes(top + 1, 1)
    _page_setup(sheet, (top, top))


def programs_xlsx(title: str, lines: list[Line], total: Line, *, subtitle: str = "",
                  all_lines: list[Line] | None = None,
                  agency_lines: dict[str, list[Line]] | None = None) -> bytes:
    """The per-program table as an Excel workbook.

    - 「公表形式」: ``lines`` (usually ``published_layout``) and the total, with the texts exactly
      as the published table prints them (1,571万件, 0.119%, —).
    - 「詳細」: ``all_lines`` (default ``lines``) and the total with raw numbers: counts as
      integers, the rate as a fraction shown as 0.000%.
    - one sheet per entry of ``agency_lines`` (program name → its lines per agency), when given.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    workbook.set_properties({"title": title, "subject": subtitle, "author": "CaseFlow"})
    formats = _Formats(workbook)
    _published_sheet(workbook, formats, title, subtitle, [*lines, total])
    _detail_sheet(workbook, formats, title, subtitle, [*(lines if all_lines is None else all_lines), total])
    used = {"公表形式", "詳細"}
    for program, rows in (agency_lines or {}).items():
        _agency_sheet(workbook, formats, _sheet_name(program, used), program, rows)
    workbook.close()
    return buffer.getvalue()


# --- PDF --------------------------------------------------------------------------------------------

@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["wareki"] = wareki
    env.filters["counted"] = lambda n: f"{n:,}件"  # 1,234件
    return env


def _cause_rows(causes: list[tuple[str, str, int]]) -> list[dict]:
    errors = sum(n for _value, _label, n in causes)
    return [{"label": label, "count": n,
             "share": f"{Decimal(n * 100) / errors:.1f}%" if errors else "—"}
            for _value, label, n in causes]


def report_html(context: dict) -> str:
    """The HTML of the PDF report (see ``report_pdf`` for the context)."""
    generated_on: dt.date = context.get("generated_on") or today_jst()
    causes = context.get("causes")
    values = {
        "title": context["title"], "subtitle": context.get("subtitle", ""),
        "lines": list(context["lines"]), "total": context["total"], "generated_on": generated_on,
        "causes": _cause_rows(causes) if causes else None, "estimate": context.get("estimate"),
    }
    return _environment().get_template(PDF_TEMPLATE).render(values)


def report_pdf(context: dict) -> bytes:
    """A PDF report (A4 landscape, page numbers) of the per-program table.

    Context keys:

    - ``title`` (str): the report's title, also the PDF's title.
    - ``subtitle`` (str, optional): one line under the title (scope, source of the figures).
    - ``lines`` (list[Line]): the lines to print, usually ``tables.published_layout(...)``.
    - ``total`` (Line): the total line.
    - ``generated_on`` (date, optional): printed in 和暦 and stored as the PDF's creation date;
      default today in Japan. The same context gives the same bytes.
    - ``causes`` (list of (value, label, errors), optional): ``figures.cause_table(...)``.
    - ``estimate`` (Estimate, optional): ``figures.estimate(...)``, the expected remaining errors.
    """
    html = report_html(context)
    with pdf.RENDER_LOCK:
        document = HTML(string=html, url_fetcher=pdf.fetcher()).render(stylesheets=[pdf.stylesheet(PDF_STYLESHEET)],
                                                                        font_config=pdf.font_config())
        return document.write_pdf(pdf_identifier=False)
