"""The case list as a file (案件一覧の出力): CSV and Excel, with the list's filters in force.

The rows are what the list shows, in its order, and a little more (dates, cause, viewing); never a
My Number, not even masked. The record's name is written only where the list shows it (the viewer
may see the case's personal facts); otherwise the cell reads （非表示）, as on screen.

Pure code over cases already selected: the view builds the query (``caseflow.cases.listing``)
and checks the count against ``EXPORT_MAX_ROWS`` first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable

import xlsxwriter

from caseflow.cases.models import Case
from caseflow.cases.queue import is_overdue
from caseflow.core.cells import safe_cell
from caseflow.core.japanese import JST

# More than this is a national data set, not a working list: the reports export those figures.
EXPORT_MAX_ROWS = 100_000
HIDDEN = "（非表示）"

HEADER = ("案件番号", "事務", "紐付け実施機関", "管理番号", "氏名（業務データ）", "判定", "状態", "担当者",
          "検出日", "期限", "期限超過", "主な原因", "マイナポータルでの閲覧", "閲覧停止", "通知日", "通知方法")


def _label(value) -> str:
    return value.label if value is not None else ""


def _day_in_japan(moment: dt.datetime) -> dt.date:
    return moment.astimezone(JST).date()


def row_of(case: Case, *, shows_facts: bool, today: dt.date) -> tuple:
    """One case as the export writes it (dates as dates; the writers format them)."""
    return (
        case.reference,
        case.program.name,
        case.agency.name,
        case.source_record_id,
        (case.record_name or "") if shows_facts else HIDDEN,
        case.grade.value,
        case.status.label,
        case.assignee.display_name if case.assignee else "未割当",
        _day_in_japan(case.detected_at),
        case.due_date,
        "期限超過" if is_overdue(case, today) else "",
        _label(case.cause) + (f"（{case.cause_other}）" if case.cause_other else ""),
        _label(case.viewed_on_portal),
        "停止済" if case.viewing_suspended else "",
        case.notified_on,
        _label(case.notification_method),
    )


def rows(cases: Iterable[Case], *, shows_facts: Callable[[Case], bool], today: dt.date) -> Iterable[tuple]:
    for case in cases:
        yield row_of(case, shows_facts=shows_facts(case), today=today)


def cases_csv(lines: Iterable[tuple]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as such), dates as 2026-12-07, text never read as a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow([value.isoformat() if isinstance(value, dt.date) else safe_cell(value or "")
                         for value in line])
    return out.getvalue().encode("utf-8")


def cases_xlsx(lines: Iterable[tuple], *, title: str) -> bytes:
    """One sheet 案件一覧: the title, the header (frozen, filterable) and one row per case."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "constant_memory": True})
    sheet = workbook.add_worksheet("案件一覧")
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, title, bold)
    sheet.write_row(1, 0, HEADER, header)
    widths = [12, 24, 20, 16, 16, 6, 10, 12, 11, 11, 9, 20, 14, 9, 11, 12]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    count = 0
    for count, line in enumerate(lines, start=1):
        for column, value in enumerate(line):
            if isinstance(value, dt.date):
                sheet.write_datetime(count + 1, column, dt.datetime.combine(value, dt.time()), date)
            elif value:
                sheet.write_string(count + 1, column, str(value))
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, count + 1, len(HEADER) - 1)
    workbook.close()
    return buffer.getvalue()
