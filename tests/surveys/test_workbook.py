"""The Excel form (回答シート, 一覧用): generated, filled by openpyxl as a person would, read back; the lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import re

import pytest
from openpyxl import Workbook, load_workbook

from caseflow.surveys.questionnaire import (
    ITEM_KEYS,
    SHEET_FIELDS,
    RespondentKind,
    load_questionnaire,
    normalize_month,
    problems,
    reached,
    sheet_incomplete,
    unanswered,
)
from caseflow.surveys.workbook import (
    ANSWER_SHEET,
    LISTING_HEADERS,
    LISTING_SHEET,
    WorkbookRefused,
    gathered_filename,
    gathered_workbook,
    is_form,
    listing_row,
    read_list,
    read_workbook,
    respondent_workbook,
)

TITLE = "マイナンバー情報連携関係実態調査 調査項目回答シート"
SHEET = {"program_label": "福祉・介護(介護保険)", "category_label": "市区町村", "attribute": "なし",
         "organization_name": "02青森県弘前市", "department": "介護福祉課", "responsible_title": "課長",
         "responsible_name": "弘前 太郎", "contact_name": "津軽 花子", "phone": "0172-00-0000",
         "email": "kaigo@example.lg.jp"}
# A municipality's complete answers, every branch taken the long way.
ANSWERS = {"1-1": "②", "2": "③", "2予定年月": "2024年3月", "3": "①", "4": "②", "5": "②", "6": "①②",
           "7-1": "①", "7-2": "①", "7-3": "①", "7-4": "②③", "8-1": "①", "8-1概要": "複数担当者で4情報を確認",
           "8-2": "①", "9": "①", "10": "①", "11": "①", "12": "②"}


@pytest.fixture(scope="module")
def questionnaire():
    return load_questionnaire()


@pytest.fixture(scope="module")
def answers(questionnaire):
    answers = dict(ANSWERS, **{"2予定年月": normalize_month(ANSWERS["2予定年月"])})
    assert problems(questionnaire, RespondentKind.MUNICIPALITY, answers, complete=True) == []
    return answers


def open_form(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return wb, wb[ANSWER_SHEET]


def row_of(ws, text: str) -> int:
    rows = [cell.row for (cell,) in ws.iter_rows(min_col=1, max_col=1) if cell.value == text]
    assert len(rows) == 1, text
    return rows[0]


def validation_of(ws, coordinate: str):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) <= 1
    return found[0] if found else None


def fill(ws, sheet: dict[str, str], answers: dict[str, str]) -> None:
    """Type the values into the answer cells, as a person would; everything else blank."""
    for field, label in SHEET_FIELDS:
        ws.cell(row_of(ws, label), 3).value = sheet.get(field) or None
    for key in ITEM_KEYS:
        ws.cell(row_of(ws, key), 3).value = answers.get(key) or None


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- A tiny evaluator for the formulas the form writes: IF, AND, OR, NOT, COUNTIF, COUNTBLANK, =, <>, > ---

_TOKEN = re.compile(r"""\s*(?:(?P<str>"(?:[^"]|"")*")|(?P<ref>(?:'[^']+'!)?\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)"""
                    r"""|(?P<func>[A-Z]+)\(|(?P<num>\d+)|(?P<op><>|[=>(),]))""")


def evaluate(wb, sheet: str, coordinate: str):
    """What Excel shows in the cell: its value, or its formula computed."""
    value = wb[sheet][coordinate].value
    if not (isinstance(value, str) and value.startswith("=")):
        return "" if value is None else value
    tokens, at = [], 1
    while at < len(value):
        match = _TOKEN.match(value, at)
        assert match, f"cannot read {value[at:]!r}"
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        at = match.end()
    result, rest = _expression(wb, sheet, tokens)
    assert rest == []
    return result


def _expression(wb, sheet, tokens):
    left, tokens = _operand(wb, sheet, tokens)
    if tokens and tokens[0] in (("op", "="), ("op", "<>"), ("op", ">")):
        op = tokens[0][1]
        right, tokens = _operand(wb, sheet, tokens[1:])
        left = {"=": left == right, "<>": left != right, ">": left > right}[op]
    return left, tokens


def _operand(wb, sheet, tokens):
    (kind, text), tokens = tokens[0], tokens[1:]
    if kind == "str":
        return text[1:-1].replace('""', '"'), tokens
    if kind == "num":
        return int(text), tokens
    if kind == "ref":
        target, _, cells = text.rpartition("!")
        target = target.strip("'") or sheet
        if ":" in cells:
            found = wb[target][cells.replace("$", "")]
            return [evaluate(wb, target, cell.coordinate) for (cell,) in found], tokens
        return evaluate(wb, target, cells.replace("$", "")), tokens
    assert kind == "func", text
    args = []
    while tokens[0] != ("op", ")"):
        arg, tokens = _expression(wb, sheet, tokens)
        args.append(arg)
        if tokens[0] == ("op", ","):
            tokens = tokens[1:]
    tokens = tokens[1:]
    if text == "IF":
        return (args[1] if args[0] else args[2]), tokens
    functions = {"AND": lambda *a: all(a), "OR": lambda *a: any(a), "NOT": lambda a: not a,
                 "COUNTBLANK": lambda cells: sum(v == "" for v in cells),
                 "COUNTIF": lambda cells, wanted: sum(v == wanted for v in cells)}
    return functions[text](*args), tokens


# --- The form ---------------------------------------------------------------------------------------


def test_municipality_form_restricts_answer_cells_to_their_marks(questionnaire):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, SHEET, {}, title=TITLE))
    assert wb.sheetnames[:2] == [ANSWER_SHEET, LISTING_SHEET]
    assert ws["A1"].value == TITLE
    labels = [ws.cell(row_of(ws, label), 1).value for _field, label in SHEET_FIELDS]
    assert [row_of(ws, label) for label in labels] == sorted(row_of(ws, label) for label in labels)
    assert ws.cell(row_of(ws, "組織名"), 3).value == "02青森県弘前市"
    assert ws.cell(row_of(ws, "組織名"), 4).value.startswith("◆入力")
    assert ws.cell(row_of(ws, "組織区分"), 4).value.startswith("◆リストから選択")
    texts = [cell.value for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any("迷う場合は、より慎重な選択肢を選択" in text for text in texts)

    def listed(key):
        dv = validation_of(ws, f"C{row_of(ws, key)}")
        assert dv is not None and dv.type == "list", key
        assert len(dv.formula1) <= 255
        return dv.formula1.strip('"').split(",")

    assert listed("3") == ["①", "②"]
    assert listed("9") == ["①", "②", "③", "④"]
    assert listed("6") == ["①", "②", "①②"]
    q74 = listed("7-4")
    assert len(q74) == 31 and len(set(q74)) == 31
    assert q74[:6] == ["①", "②", "③", "④", "⑤", "①②"] and q74[-1] == "①②③④⑤"
    for key in ("8-1概要", "10概要"):  # free text
        assert validation_of(ws, f"C{row_of(ws, key)}") is None
    month = validation_of(ws, f"C{row_of(ws, '2予定年月')}")
    assert month is None or month.type != "list"
    assert "年" in ws.cell(row_of(ws, "2予定年月"), 4).value  # the hint shows how to write a month
    for key in ("1-2", "13"):  # a municipality outside a union never answers them
        row = row_of(ws, key)
        assert validation_of(ws, f"C{row}") is None
        assert ws.cell(row, 2).fill.fgColor.rgb.endswith("D9D9D9")
        assert ws.cell(row, 5).value == "回答不要"
    assert validation_of(ws, f"C{row_of(ws, '1-1')}") is not None
    assert wb.security is None or not wb.security.workbookPassword
    assert not ws.protection.sheet


def test_union_form_asks_q13_and_reads_its_own_wording(questionnaire):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.UNION, {}, {}, title=TITLE))
    dv = validation_of(ws, f"C{row_of(ws, '13')}")
    assert dv.formula1 == '"①,②,③,①②,①③,②③,①②③"'
    for key in ("1-1", "1-2"):
        assert validation_of(ws, f"C{row_of(ws, key)}") is None
    question = ws.cell(row_of(ws, "7-1"), 2).value
    assert "構成市町村への照会" in question and "組織内の住基システム" not in question
    assert ws.cell(row_of(ws, "制度等"), 3).value == "福祉・介護(介護保険)"  # the ministry's, from the survey
    assert "(広域)" in ws.cell(row_of(ws, "組織名"), 4).value
    municipal = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))[1]
    assert "組織内の住基システム" in municipal.cell(row_of(municipal, "7-1"), 2).value


def test_filled_form_reads_back(questionnaire, answers):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))
    fill(ws, SHEET, answers)
    ws.insert_rows(row_of(ws, "5"))  # a respondent inserted a blank row: the rows are found by 項番
    assert read_workbook(save(wb), questionnaire, RespondentKind.MUNICIPALITY) == (SHEET, answers)


def test_prefilled_form_reads_back_text_as_typed(questionnaire, answers):
    given = dict(answers, **{"8-1概要": "=HYPERLINK(\"http://x\")"})  # stays text, never a formula
    data = respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, SHEET, given, title=TITLE)
    assert read_workbook(data, questionnaire, RespondentKind.MUNICIPALITY) == (SHEET, given)


def test_answers_typed_loosely_are_normalised(questionnaire, answers):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, SHEET, answers, title=TITLE))
    ws.cell(row_of(ws, "3"), 3).value = " ① "
    assert read_workbook(save(wb), questionnaire, RespondentKind.MUNICIPALITY)[1]["3"] == "①"


@pytest.mark.parametrize(("change", "key"), [
    ({"3": "②"}, "4"),  # Q3 ② → Q6: Q4 and Q5 answered though skipped
    ({"7-1": ""}, "7-1"),  # a required question blank
    ({"3": "⑤"}, "3"),  # an option that does not exist
])
def test_inconsistent_answers_are_refused_with_row_and_key(questionnaire, answers, change, key):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))
    fill(ws, SHEET, {**answers, **change})
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(save(wb), questionnaire, RespondentKind.MUNICIPALITY)
    found = [p for p in refused.value.problems if p.key == key]
    assert found, refused.value.problems
    assert found[0].row == row_of(ws, key)
    assert found[0].message.startswith(f"Q{key}")


def test_blank_respondent_sheet_field_is_refused(questionnaire, answers):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))
    fill(ws, {**SHEET, "department": ""}, answers)
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(save(wb), questionnaire, RespondentKind.MUNICIPALITY)
    assert [(p.row, p.key) for p in refused.value.problems] == [(row_of(ws, "担当部署名"), "担当部署名")]


def test_files_that_are_not_the_form_are_refused(questionnaire):
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook("組織名,1-1\n".encode(), questionnaire, RespondentKind.MUNICIPALITY)
    assert refused.value.problems[0].row is None and ".xlsx" in refused.value.problems[0].message
    other = Workbook()
    other.active.title = "Sheet1"
    with pytest.raises(WorkbookRefused) as refused:
        read_workbook(save(other), questionnaire, RespondentKind.MUNICIPALITY)
    assert ANSWER_SHEET in refused.value.problems[0].message
    assert not is_form(save(other))
    assert is_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))


# --- The live flags and 状態 --------------------------------------------------------------------------


def test_flags_show_what_is_missing(questionnaire, answers):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, SHEET, answers, title=TITLE))
    flags = [cell.coordinate for (cell,) in ws.iter_rows(min_col=1, max_col=1)
             if str(cell.value).startswith("=IF(COUNT")]

    def shown():
        return [evaluate(wb, ANSWER_SHEET, coordinate) for coordinate in flags]

    assert shown() == ["", ""]
    ws.cell(row_of(ws, "電話番号"), 3).value = None
    ws.cell(row_of(ws, "7-3"), 3).value = None
    assert shown() == ["情報未入力あり", "未回答あり"]
    assert sheet_incomplete({**SHEET, "phone": ""})
    assert evaluate(wb, ANSWER_SHEET, f"E{row_of(ws, '7-3')}") == "未回答"
    ws.cell(row_of(ws, "7-2"), 3).value = "②"  # Q7-2 ② → Q9: Q7-3 is no longer asked, Q7-4 … must be blank
    assert evaluate(wb, ANSWER_SHEET, f"E{row_of(ws, '7-3')}") == ""
    assert evaluate(wb, ANSWER_SHEET, f"E{row_of(ws, '7-4')}").startswith("回答不要")


@pytest.mark.parametrize("kind", list(RespondentKind))
def test_status_formulas_follow_the_branching(questionnaire, kind):
    """The 状態 column and 未回答あり, computed as Excel would, agree with reached() on many answer sets."""
    wb, ws = open_form(respondent_workbook(questionnaire, kind, SHEET, {}, title=TITLE))
    rows = {key: row_of(ws, key) for key in ITEM_KEYS}
    flag = next(cell.coordinate for (cell,) in ws.iter_rows(min_col=1, max_col=1)
                if "未回答あり" in str(cell.value))
    rng = random.Random(f"workbook-{kind}")
    for _ in range(150):
        answers = {}
        for item in questionnaire.items:
            marks = [option.mark for option in item.options]
            if rng.random() < 0.25:
                continue
            if item.kind == "single":
                answers[item.key] = rng.choice(marks)
            elif item.kind == "multiple":
                answers[item.key] = "".join(m for m in marks if rng.random() < 0.5) or marks[0]
            else:
                answers[item.key] = "記入"
        for key in ITEM_KEYS:
            ws.cell(rows[key], 3).value = answers.get(key)
        asked = set(reached(questionnaire, kind, answers))
        for key in ITEM_KEYS:
            status = evaluate(wb, ANSWER_SHEET, f"E{rows[key]}")
            if status == "回答不要":  # never asked of this kind
                assert key not in asked, (key, answers)
            elif key in asked:
                assert status == ("" if answers.get(key) else "未回答"), (key, answers)
            else:
                assert status == ("回答不要（空欄にしてください）" if answers.get(key) else ""), (key, answers)
        assert (evaluate(wb, ANSWER_SHEET, flag) == "未回答あり") == unanswered(questionnaire, kind, answers)


# --- 一覧用 and the gathered list -----------------------------------------------------------------------


def test_listing_row_is_what_the_formulas_show_and_the_list_holds_it(questionnaire, answers):
    wb, ws = open_form(respondent_workbook(questionnaire, RespondentKind.MUNICIPALITY, {}, {}, title=TITLE))
    fill(ws, SHEET, answers)
    listing = wb[LISTING_SHEET]
    assert tuple(cell.value for cell in listing[1]) == LISTING_HEADERS
    assert LISTING_HEADERS[:len(SHEET_FIELDS)] == tuple(label for _f, label in SHEET_FIELDS)
    assert LISTING_HEADERS[len(SHEET_FIELDS):] == ITEM_KEYS
    assert all(cell.value.startswith(f"=IF('{ANSWER_SHEET}'!C") for cell in listing[2])
    shown = [evaluate(wb, LISTING_SHEET, cell.coordinate) for cell in listing[2]]
    expected = listing_row(questionnaire, SHEET, answers)
    assert shown == expected
    assert expected[LISTING_HEADERS.index("組織名")] == "02青森県弘前市"
    assert expected[LISTING_HEADERS.index("7-4")] == "②③"
    assert expected[LISTING_HEADERS.index("13")] == ""

    union_answers = {"13": "②"}
    other = listing_row(questionnaire, {"organization_name": "02青森県津軽広域連合"}, union_answers)
    gathered = load_workbook(io.BytesIO(gathered_workbook([expected, other])))
    assert gathered.sheetnames == ["一覧"]
    rows = [["" if v is None else v for v in row] for row in gathered["一覧"].iter_rows(values_only=True)]
    assert rows == [list(LISTING_HEADERS), expected, other]


def test_gathered_list_never_writes_a_formula(questionnaire, answers):
    row = listing_row(questionnaire, SHEET, {**answers, "8-1概要": "=1+1"})
    ws = load_workbook(io.BytesIO(gathered_workbook([row], sheet_title="一覧用")))["一覧用"]
    cell = ws.cell(2, LISTING_HEADERS.index("8-1概要") + 1)
    assert cell.data_type == "s" and cell.value == "'=1+1"


def test_gathered_filename():
    assert gathered_filename("青森県") == "【青森県】2307 マイナンバー調査回答.xlsx"
    assert gathered_filename("東京都", "2308") == "【東京都】2308 マイナンバー調査回答.xlsx"


# --- read_list -----------------------------------------------------------------------------------------


def csv_text(rows: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in rows) + "\n"


def list_rows(questionnaire, answers) -> list[list[str]]:
    return [list(LISTING_HEADERS) + ["備考"], listing_row(questionnaire, SHEET, answers) + ["メモ"],
            listing_row(questionnaire, {"organization_name": "02青森県津軽広域連合"}, {"13": "②"}) + [""]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_read_list_csv(questionnaire, answers, encoding):
    data = csv_text(list_rows(questionnaire, answers)).encode(encoding)
    listed = read_list(data, "一覧.csv")
    assert [(r.row, r.organization_name) for r in listed] == [(2, "02青森県弘前市"), (3, "02青森県津軽広域連合")]
    assert listed[0].answers == answers and listed[0].sheet == SHEET
    assert listed[1].answers == {"13": "②"}


def test_read_list_xlsx_tolerates_headers_as_excel_writes_them(questionnaire, answers):
    rows = list_rows(questionnaire, answers)
    headers = [" 組織名 " if h == "組織名" else h for h in rows[0]]
    headers[headers.index("2")] = 2  # a number
    headers[headers.index("3")] = 3.0
    headers[headers.index("7-1")] = "７－１"  # full width
    headers[headers.index("8-2")] = " 8-2"
    headers[headers.index("7-2")] = dt.datetime(2023, 7, 2)  # Excel took 7-2 for a date
    wb = Workbook()
    wb.active.title = "表紙"
    ws = wb.create_sheet("一覧")
    for row in [headers, *rows[1:]]:
        ws.append(row)
    listed = read_list(save(wb), "【青森県】2307 マイナンバー調査回答.xlsx")
    assert listed[0].answers == answers and listed[0].organization_name == "02青森県弘前市"
    assert listed[1].answers == {"13": "②"}
    # the list gathered by CaseFlow reads back too
    gathered = gathered_workbook([listing_row(questionnaire, SHEET, answers)])
    assert read_list(gathered, "list.xlsx")[0].answers == answers


def test_read_list_normalises_when_given_the_questionnaire(questionnaire, answers):
    rows = list_rows(questionnaire, answers)
    rows[1][LISTING_HEADERS.index("3")] = " ① "
    listed = read_list(csv_text(rows).encode(), "a.csv", questionnaire=questionnaire)
    assert listed[0].answers["3"] == "①"


def test_read_list_refuses_with_every_problem(questionnaire, answers):
    rows = list_rows(questionnaire, answers)
    rows[0] = [h for h in rows[0] if h not in ("組織名", "9")] + ["14"]
    with pytest.raises(WorkbookRefused) as refused:
        read_list(csv_text(rows).encode("cp932"), "a.csv")
    assert {(p.row, p.key) for p in refused.value.problems} == {(1, "組織名"), (1, "9"), (1, "14")}

    rows = list_rows(questionnaire, answers)
    rows[2][LISTING_HEADERS.index("組織名")] = ""
    rows.append(list(rows[1]))
    with pytest.raises(WorkbookRefused) as refused:
        read_list(csv_text(rows).encode(), "a.csv")
    assert [(p.row, p.key) for p in refused.value.problems] == [(3, "組織名"), (4, "組織名")]
    assert "2行目" in refused.value.problems[1].message  # the same organisation twice

    for empty in (b"", "\ufeff\n".encode(), csv_text([list(LISTING_HEADERS)]).encode()):
        with pytest.raises(WorkbookRefused):
            read_list(empty, "a.csv")
    with pytest.raises(WorkbookRefused):
        read_list(b"PK\x03\x04 broken", "a.xlsx")
    with pytest.raises(WorkbookRefused) as refused:
        read_list('組織名,1-1\n"02青森県弘前市,②\n'.encode(), "a.csv")  # a quote never closed
    assert refused.value.problems[0].row == 2


def test_survey_without_the_kaigo_questions_has_no_rows_for_them(answers):
    plain = load_questionnaire(additions=())
    own = {key: value for key, value in answers.items() if key not in ("11", "12")}
    wb, ws = open_form(respondent_workbook(plain, RespondentKind.MUNICIPALITY, SHEET, own, title=TITLE))
    keys = [cell.value for (cell,) in ws.iter_rows(min_col=1, max_col=1) if cell.value in ITEM_KEYS]
    assert "11" not in keys and "12" not in keys and "13" in keys
    assert read_workbook(save(wb), plain, RespondentKind.MUNICIPALITY) == (SHEET, own)
    shown = [evaluate(wb, LISTING_SHEET, cell.coordinate) for cell in wb[LISTING_SHEET][2]]
    assert shown == listing_row(plain, SHEET, answers)  # Q11–Q12 keep their columns, blank
    assert shown[LISTING_HEADERS.index("11")] == ""


def test_a_list_too_long_to_write_inline_goes_to_a_hidden_sheet(questionnaire, answers):
    q74 = questionnaire.item("7-4")
    longer = dataclasses.replace(q74, options=(*q74.options, dataclasses.replace(q74.options[0], mark="⑥")))
    wider = dataclasses.replace(questionnaire, items=tuple(longer if item.key == "7-4" else item
                                                           for item in questionnaire.items))
    wb, ws = open_form(respondent_workbook(wider, RespondentKind.MUNICIPALITY, SHEET, answers, title=TITLE))
    dv = validation_of(ws, f"C{row_of(ws, '7-4')}")
    assert len(dv.formula1) <= 255
    sheet, _, cells = dv.formula1.rpartition("!")
    listed = [cell.value for (cell,) in wb[sheet.strip("'")][cells.replace("$", "")]]
    assert len(listed) == 63 and listed[-1] == "①②③④⑤⑥"
    assert wb[sheet.strip("'")].sheet_state == "hidden"
    assert wb.sheetnames[:2] == [ANSWER_SHEET, LISTING_SHEET]
    ws.cell(row_of(ws, "7-4"), 3).value = "①⑥"
    assert read_workbook(save(wb), wider, RespondentKind.MUNICIPALITY)[1]["7-4"] == "①⑥"
