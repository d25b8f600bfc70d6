"""The exports read back as a user's tools read them: openpyxl for Excel, csv for CSV, pypdf for the PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import replace

import openpyxl
import pytest
from pypdf import PdfReader

from caseflow import ROOT
from caseflow.letters import checks
from caseflow.reports import exports
from caseflow.reports.estimate import expected_remaining
from caseflow.reports.published import parse_published
from caseflow.reports.tables import Line, published_layout, total
from tests.reports.test_published_table import PUBLISHED_2023

INJECTION = "=cmd|' /C calc'!A0"
A4_LANDSCAPE_PT = (841.89, 595.28)


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    """The 2023 published figures as lines (as ``published_lines`` gives them, without a database)."""
    rows = parse_published((ROOT / "seed" / "programs_2023_inspection.csv").read_bytes())
    return [
        Line(label=r["program_name"], ministry=r["responsible_ministry"], agencies=r["inspected_institutions"],
             records=r["inspected_records"], errors=r["linkage_errors"], viewed=r["viewed_on_portal"],
             resolved=r["resolved"], cause=r["main_cause"])
        for r in rows
    ]


@pytest.fixture(scope="module")
def workbook(lines) -> openpyxl.Workbook:
    agencies = {
        "健康保険証情報": [Line("青森市", records=1_000, errors=2, viewed=1, resolved=2, agencies=1),
                           Line("弘前市", records=500, errors=0, agencies=1)],
        # longer than Excel's 31 characters, and the same first 31 characters twice
        "障害児入所支援・措置、生活援助情報（ひとり親支援関係等）とても長い名前A": [Line("八戸市", 10, 0)],
        "障害児入所支援・措置、生活援助情報（ひとり親支援関係等）とても長い名前B": [Line("八戸市", 10, 0)],
    }
    data = exports.programs_xlsx("2023年 マイナンバー情報総点検（公表値）", published_layout(lines), total(lines),
                                 subtitle="デジタル庁 公表資料より", all_lines=lines, agency_lines=agencies)
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(sheet) -> list[tuple]:
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_the_workbook_has_japanese_sheets(workbook):
    names = workbook.sheetnames
    assert names[:2] == ["公表形式", "詳細"]
    assert len(names) == 5 and len(set(names)) == 5
    assert all(len(name) <= 31 for name in names)
    assert workbook.properties.title == "2023年 マイナンバー情報総点検（公表値）"


def test_the_published_sheet_prints_the_table_as_the_report_does(workbook):
    sheet = workbook["公表形式"]
    assert sheet["A1"].value == "2023年 マイナンバー情報総点検（公表値）"
    assert sheet["A2"].value == "デジタル庁 公表資料より"
    merged = {str(r): sheet.cell(r.min_row, r.min_col).value for r in sheet.merged_cells.ranges}
    assert merged["C4:D4"] == "紐付け誤り"
    assert merged["A4:A5"] == "事務" and merged["B4:B5"] == "点検対象件数"
    assert (sheet["C5"].value, sheet["D5"].value) == ("件数", "割合")
    assert sheet["C4"].font.b
    body = [row[:4] for row in _rows(sheet)[5:]]
    assert body == PUBLISHED_2023
    assert body[-1] == ("合計", "8,208万件", "8,395件", "0.010%")
    assert sheet.freeze_panes == "B6"


def test_the_detail_sheet_holds_raw_numbers(workbook, lines):
    sheet = workbook["詳細"]
    header = _rows(sheet)[3]
    assert header == exports.DETAIL_HEADER
    rows = {row[0]: row for row in _rows(sheet)[4:]}
    assert len(rows) == 25  # every program, not the published grouping, and the total
    health = rows["健康保険証情報"]
    assert health[:5] == ("健康保険証情報", "厚生労働省", 1313, 15_713_895, 1_142)
    assert health[5] == pytest.approx(1_142 / 15_713_895)
    assert health[6:] == (9, 1_142, "マイナンバーの紐付け方の誤り", 0)
    grand = rows["合計"]
    assert grand[3] == 82_076_482 and grand[4] == 8_395
    assert grand[6] == sum(x.viewed for x in lines) and grand[7] == sum(x.resolved for x in lines)
    total_row = next(r for r in sheet.iter_rows() if r[0].value == "合計")
    assert total_row[3].number_format == "#,##0"
    assert total_row[5].number_format == "0.000%"
    assert total_row[0].font.b
    assert sheet.freeze_panes == "B5"


def test_a_program_without_records_has_no_rate():
    data = exports.programs_xlsx("t", [Line("新しい事務", 0, 0)], total([Line("新しい事務", 0, 0)]))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["詳細"]
    assert sheet["A5"].value == "新しい事務" and sheet["F5"].value is None
    assert openpyxl.load_workbook(io.BytesIO(data))["公表形式"]["D6"].value == "—"


def test_agency_sheets_per_program(workbook):
    sheet = workbook[workbook.sheetnames[2]]
    assert sheet.title == "健康保険証情報"
    assert sheet["A1"].value == "健康保険証情報（点検機関別）"
    rows = _rows(sheet)[2:]
    assert rows[0] == exports.AGENCY_HEADER
    assert rows[1][:3] == ("青森市", 1_000, 2)
    assert rows[-1][:3] == ("合計", 1_500, 2)
    long_names = workbook.sheetnames[3:]
    assert long_names[0] != long_names[1]


def test_text_in_excel_is_never_a_formula():
    line = Line(INJECTION, 10, 1, ministry="+81", cause="@SUM(A1)")
    sheet = openpyxl.load_workbook(io.BytesIO(exports.programs_xlsx("t", [line], total([line]))))["詳細"]
    assert [(c.value, c.data_type) for c in sheet[5] if isinstance(c.value, str)] == [
        (INJECTION, "s"), ("+81", "s"), ("@SUM(A1)", "s")]


def test_the_csv_has_raw_numbers_display_texts_and_rates(lines):
    text = exports.programs_csv(lines, total(lines))
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["事務", "所管府省庁", "点検機関数", "点検対象件数", "点検対象件数（表示）", "紐付け誤り件数", "割合",
                       "閲覧された件数", "解消した件数", "主な原因", "点検以外で判明した紐付け誤り"]
    assert rows[1] == ["健康保険証情報", "厚生労働省", "1313", "15713895", "1,571万件", "1142", "0.007", "9", "1142",
                       "マイナンバーの紐付け方の誤り", "0"]
    handbook = next(r for r in rows if r[0] == "障害者手帳情報")
    assert handbook[3:7] == ["4798087", "480万件", "5689", "0.119"]
    assert rows[-1][:7] == ["合計", "", "", "82076482", "8,208万件", "8395", "0.010"]
    assert len(rows) == 1 + 24 + 1


def test_the_csv_of_the_published_layout_and_a_line_without_records(lines):
    shown = [*published_layout(lines), Line("未点検の事務", 0, 0)]
    rows = list(csv.reader(io.StringIO(exports.programs_csv(shown, total(lines)))))
    other = next(r for r in rows if r[0] == "その他（12事務）")
    assert other[3:7] == ["6089", "6,089件", "0", "0.000"]
    assert rows[-2][6] == ""


def test_the_csv_neutralises_formulas():
    line = Line(INJECTION, 10, 1, ministry="-2+3", cause="\tx")
    rows = list(csv.reader(io.StringIO(exports.programs_csv([line], total([line])))))
    assert rows[1][0] == "'" + INJECTION
    assert rows[1][1] == "'-2+3"
    assert rows[1][9] == "'\tx"


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("健康保険証情報", "健康保険証情報"), ("a=b", "a=b"), ("", ""), (-5, -5), (None, None),
])
def test_safe_cell(value, safe):
    assert exports.safe_cell(value) == safe


@pytest.fixture(scope="module")
def report(lines) -> dict:
    return {
        "title": "2023年 マイナンバー情報総点検（公表値）", "subtitle": "全国", "lines": published_layout(lines),
        "total": total(lines), "generated_on": dt.date(2025, 6, 30),
        "causes": [("family", "家族のマイナンバーを登録", 30), ("", "原因未入力", 10)],
        "estimate": expected_remaining({"birth_sex": 2_779, "name_etc": 1_390_000}, {}, {}),
    }


@pytest.fixture(scope="module")
def pdf(report) -> bytes:
    return exports.report_pdf(report)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_report_has_the_table_in_the_published_layout(pdf):
    text = _text(pdf)
    squeezed = re.sub(r"\s", "", text)
    for label, records, errors, rate in PUBLISHED_2023:
        assert f"{label}{records}{errors}{rate}" in squeezed
    assert "合計" in text and "8,208万件" in text and "0.010%" in text
    assert "令和7年6月30日" in text


def test_the_pdf_report_has_causes_estimate_and_page_numbers(pdf):
    squeezed = re.sub(r"\s", "", _text(pdf))
    assert "家族のマイナンバーを登録30件75.0%" in squeezed
    assert "原因未入力10件25.0%" in squeezed
    assert "約448件" in squeezed  # 2,779 × 3.6% + 1,390,000 × 0.025%
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert f"1/{pages}" in squeezed


def test_the_pdf_report_is_a4_landscape_with_fonts_embedded(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_LANDSCAPE_PT, abs=0.5)
    assert checks.fonts_not_embedded(reader) == []
    assert reader.metadata.title == "2023年 マイナンバー情報総点検（公表値）"


def test_the_pdf_report_without_the_optional_parts(lines):
    text = _text(exports.report_pdf({"title": "点検結果", "lines": lines[:3], "total": total(lines[:3]),
                                     "generated_on": dt.date(2025, 7, 1)}))
    assert "点検結果" in text and "原因別" not in text and "見込み" not in text


def test_the_pdf_report_counts_the_errors_found_outside_the_inspection_apart(lines):
    """As the published tables' footnotes do: the errors found otherwise are named, not added to the rates."""
    shown = [replace(lines[0], errors_separate=12), lines[1], replace(lines[2], errors_separate=3)]
    squeezed = re.sub(r"\s", "", _text(exports.report_pdf({"title": "点検結果", "lines": shown, "total": total(shown),
                                                           "generated_on": dt.date(2025, 7, 1)})))
    assert f"点検以外で判明した紐付け誤りが15件ある（{lines[0].label}12件、{lines[2].label}3件）" in squeezed
    assert "上表の件数・割合には含めていない" in squeezed
    assert "点検以外で判明" not in re.sub(r"\s", "", _text(exports.report_pdf(
        {"title": "点検結果", "lines": lines[:3], "total": total(lines[:3]), "generated_on": dt.date(2025, 7, 1)})))


def test_the_pdf_report_is_deterministic_and_escapes_text(report):
    assert exports.report_pdf(report) == exports.report_pdf(report)
    html = exports.report_html({**report, "title": '<img src="file:///etc/passwd">'})
    assert "<img" not in html and "&lt;img" in html
