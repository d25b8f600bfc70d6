"""The survey's Excel form (回答シート, 一覧用) and the lists gathered from it (pure: openpyxl, no Flask).

A respondent gets one workbook: 「回答シート」 holds the respondent sheet (回答者情報), the live flags
情報未入力あり / 未回答あり and one row per 項番 with the answer cell restricted by Excel data
validation; 「一覧用」 holds the same answers in one row (row 2, formulas), which a prefecture
copies into its list 【都道府県】2307 マイナンバー調査回答. CaseFlow reads a filled workbook back
(:func:`read_workbook`) and a gathered list (:func:`read_list`), refusing a file with every problem
found as (row, 項番, problem); nothing is returned half-read.

The branching is written once, in :func:`caseflow.surveys.questionnaire.reached`: the formulas
that show which questions are 回答不要 are derived from it by trying each answer of each choice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from caseflow.core.cells import safe_cell
from caseflow.core.japanese import HYPHENS
from caseflow.surveys.questionnaire import (
    CAUTION,
    ITEM_KEYS,
    SHEET_FIELDS,
    Item,
    Questionnaire,
    RespondentKind,
    normalize_choice,
    normalize_month,
    problems,
    reached,
    text_for,
)

ANSWER_SHEET = "回答シート"
LISTING_SHEET = "一覧用"
LISTING_HEADERS = tuple(label for _field, label in SHEET_FIELDS) + ITEM_KEYS
"""The 一覧用 columns and a gathered list's headers: the respondent sheet's labels, then every 項番."""

# The seed's hints beside the respondent sheet's cells; the survey's cover adds its rules for
# 組織名 and 回答責任者 (see _sheet_hints).
SHEET_HINTS = {
    "program_label": "◆リストから選択（厚労省で入力）",
    "category_label": "◆リストから選択",
    "attribute": "◆マイナポータル閲覧対象事務において、同制度内に、マイナンバーと紐付ける管理情報が複数ある場合等（厚労省で入力）",
    "organization_name": "◆入力",
    "department": "◆入力",
    "responsible_title": "◆入力",
    "responsible_name": "◆入力",
    "contact_name": "◆入力 ※不明点がある場合の問い合わせ先の記入をお願いいたします。",
    "phone": "◆入力",
    "email": "◆入力",
}
_ITEM_HINTS = {"single": "◆リストから選択", "multiple": "◆リストから選択（該当するものすべて。例：①②）",
               "month": "◆入力（例：2024年3月）", "text": "◆入力"}
_UNANSWERED, _NOT_ASKED, _SKIPPED = "未回答", "回答不要", "回答不要（空欄にしてください）"
_INLINE_LIST_MAX = 255  # Excel refuses a data-validation list written inline longer than this
_GREY = PatternFill(fill_type="solid", fgColor="D9D9D9")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD, _RED = Font(bold=True), Font(bold=True, color="C00000")
_WIDTHS = {"A": 14, "B": 80, "C": 26, "D": 40, "E": 24}
_FILE_PROBLEM = "Excel ファイル（.xlsx）として読み取れません。ファイルが壊れていないか確認してください。"


@dataclass(frozen=True)
class RowProblem:
    """One reason a file was refused: the spreadsheet row (None for the whole file), 項番 or column, problem."""

    row: int | None
    key: str
    message: str


class WorkbookRefused(Exception):
    """The file was not read; ``problems`` says why, row by row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = list(problems)
        self.message = f"ファイルに問題があるため、取り込みませんでした（{len(self.problems)}件）。"
        super().__init__(self.message)


@dataclass(frozen=True)
class ListedAnswers:
    """One respondent's row of a gathered list."""

    row: int  # spreadsheet (or CSV) row number; the header is row 1
    organization_name: str
    sheet: dict[str, str] = field(default_factory=dict)  # SHEET_FIELDS field → value, for the columns found
    answers: dict[str, str] = field(default_factory=dict)  # 項番 → answer as written, not checked


# --- The respondent's form ------------------------------------------------------------------------


def respondent_workbook(questionnaire: Questionnaire, kind: RespondentKind, sheet: dict[str, str],
                        answers: dict[str, str], *, title: str) -> bytes:
    """The Excel form for one respondent of ``kind``, pre-filled with ``sheet`` and ``answers``.

    「回答シート」: 回答者情報 with the seed's hints, the flags 情報未入力あり / 未回答あり and a 状態
    column as formulas (they follow what is typed), and one row per 項番 whose answer cell only
    takes the item's marks (a multiple choice: every combination in option order). Questions the
    kind never answers are greyed and take anything (they must stay blank). 「一覧用」: the headers
    :data:`LISTING_HEADERS` and, in row 2, formulas copying the answer cells.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = ANSWER_SHEET
    listing = wb.create_sheet(LISTING_SHEET)  # second, before any hidden sheet of choice lists
    wb.properties.title = title
    for column, width in _WIDTHS.items():
        ws.column_dimensions[column].width = width
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A3"] = "回答者情報"
    ws["A3"].font = _BOLD
    cells: dict[str, str] = {}  # field or 項番 → its answer cell ("C4")
    hints = _sheet_hints(questionnaire)
    if questionnaire.cover and not sheet.get("program_label"):  # 制度等: the ministry's, from the cover
        sheet = {**sheet, "program_label": questionnaire.cover.program_label}
    for row, (name, label) in enumerate(SHEET_FIELDS, 4):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.cell(row, 1, label).font = _BOLD
        _put_text(ws.cell(row, 3), sheet.get(name) or "")
        ws.cell(row, 4, hints[name]).alignment = _WRAP
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=5)
        cells[name] = f"C{row}"
    flags_row = 4 + len(SHEET_FIELDS) + 1
    ws.cell(flags_row, 1, f'=IF(COUNTBLANK(C4:C{flags_row - 2})>0,"情報未入力あり","")').font = _RED
    ws.cell(flags_row + 3, 1, "調査項目への回答").font = _BOLD
    ws.cell(flags_row + 4, 1, f"※回答の選択に{CAUTION}してください。"
                              "エクセルの入力規則に従って入力し、既に組み込んでいる関数は編集しないでください。").font = _RED
    headings = ("項番", "質問", "回答をリストから選択（一部自由記載）", "入力方法", "状態", "回答対象")
    for column, heading in enumerate(headings, 1):
        ws.cell(flags_row + 5, column, heading).font = _BOLD
    rows = {key: at for at, key in enumerate(_form_keys(questionnaire), flags_row + 6)}
    cells.update({key: f"C{at}" for key, at in rows.items()})
    _write_items(wb, ws, questionnaire, kind, answers, rows)
    first, last = min(rows.values()), max(rows.values())
    ws.cell(flags_row + 1, 1, f'=IF(COUNTIF(E{first}:E{last},"{_UNANSWERED}")>0,"未回答あり","")').font = _RED
    for row in [*range(4, flags_row - 1), *rows.values()]:
        ws.cell(row, 3).number_format = "@"  # typed text stays text: 03-…, 2024/3
    ws.column_dimensions["F"].hidden = True  # 回答対象: what the 状態 column and 未回答あり follow

    names = [name for name, _label in SHEET_FIELDS] + list(ITEM_KEYS)
    for column, (header, name) in enumerate(zip(LISTING_HEADERS, names, strict=True), 1):
        listing.cell(1, column, header).font = _BOLD
        listing.column_dimensions[get_column_letter(column)].width = 16
        if source := cells.get(name):  # an item this survey does not ask keeps its column, blank
            listing.cell(2, column, f"=IF('{ANSWER_SHEET}'!{source}=\"\",\"\",'{ANSWER_SHEET}'!{source})")
    return _save(wb)


def _sheet_hints(questionnaire: Questionnaire) -> dict[str, str]:
    cover = questionnaire.cover
    if cover is None:
        return SHEET_HINTS
    return {**SHEET_HINTS,
            "organization_name": f"◆入力 ※{cover.organization_name_rule}{cover.union_name_rule}",
            "responsible_title": f"◆入力 ※{cover.responsible_rule}"}


def _write_items(wb: Workbook, ws, questionnaire: Questionnaire, kind: RespondentKind, answers: dict[str, str],
                 rows: dict[str, int]) -> None:
    """One row per 項番: 項番, 質問, the answer cell (validated), 入力方法, 状態 and the hidden 回答対象."""
    gates = _gates(questionnaire, kind)
    lists: dict[tuple[str, ...], DataValidation] = {}
    for key, row in rows.items():
        item = questionnaire.item(key)
        ws.cell(row, 1, key)
        ws.cell(row, 2, _question_text(item, kind)).alignment = _WRAP
        answer = ws.cell(row, 3)
        _put_text(answer, answers.get(key) or "")
        answer.alignment = _WRAP
        if gates[key] is None:
            ws.cell(row, 4, f"{_NOT_ASKED}（この団体は回答しません）")
            ws.cell(row, 5, _NOT_ASKED)
            ws.cell(row, 6, False)
            for column in range(1, 6):
                ws.cell(row, column).fill = _GREY
            continue
        ws.cell(row, 4, _ITEM_HINTS[item.kind]).alignment = _WRAP
        ws.cell(row, 5, f'=IF(F{row},IF(C{row}="","{_UNANSWERED}",""),IF(C{row}="","","{_SKIPPED}"))').font = _RED
        ws.cell(row, 6, _asked_formula(gates[key], rows) if gates[key] else True)
        if item.is_choice:
            values = _choice_values(item)
            if values not in lists:
                lists[values] = _list_validation(wb, values)
                ws.add_data_validation(lists[values])
            lists[values].add(answer.coordinate)
        elif item.kind == "month":
            hint = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="予定年月",
                                  prompt="年月を入力してください（例：2024年3月）。")
            hint.add(answer.coordinate)
            ws.add_data_validation(hint)


def _form_keys(questionnaire: Questionnaire) -> list[str]:
    """The 項番 of the form's rows: those of ITEM_KEYS this survey asks (Q11–Q12 are 介護保険's)."""
    return [key for key in ITEM_KEYS if questionnaire.has(key)]


def _question_text(item: Item, kind: RespondentKind) -> str:
    lines = [line for line in (item.heading, item.audience_note and f"（{item.audience_note}）") if line]
    lines.append(text_for(item, kind))
    lines += [f"{option.mark}{text_for(option, kind)}" for option in item.options]
    if item.note:
        lines.append(item.note)
    return "\n".join(lines)


def _put_text(cell, value: str) -> None:
    """Write text as text: openpyxl would take a value starting with "=" for a formula."""
    cell.value = value or None
    if value:
        cell.data_type = "s"


def _choice_values(item: Item) -> tuple[str, ...]:
    """What the answer cell accepts: the marks (single), or every combination in option order (multiple)."""
    marks = [option.mark for option in item.options]
    if item.kind == "single":
        return tuple(marks)
    return tuple("".join(combination) for size in range(1, len(marks) + 1)
                 for combination in itertools.combinations(marks, size))


def _list_validation(wb: Workbook, values: tuple[str, ...]) -> DataValidation:
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= _INLINE_LIST_MAX:
        formula = inline
    else:  # too long to write inline: the list goes to a hidden sheet
        lists = wb["選択肢"] if "選択肢" in wb.sheetnames else wb.create_sheet("選択肢")
        lists.sheet_state = "hidden"
        column = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
        letter = get_column_letter(column)
        for row, value in enumerate(values, 1):
            lists.cell(row, column, value)
        formula = f"'選択肢'!${letter}$1:${letter}${len(values)}"
    return DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                          errorTitle="選択肢にない回答です",
                          error="リストから選択してください（複数選ぶ場合は ①② のように番号順に続けて）。")


# (gate 項番, the answers of it under which an item is asked, those under which it is not)
_Gates = list[tuple[str, tuple[str, ...], tuple[str, ...]]]


def _gates(questionnaire: Questionnaire, kind: RespondentKind) -> dict[str, _Gates | None]:
    """項番 → the choice items whose answer decides whether it is asked, or None: never for this kind.

    An item is asked when no gate it has reads a refused answer, a gate that is not asked itself
    reading blank (a skip comes from an asked answer only; 「…で①を選んだ場合のみ」 fails on a
    skipped item). Derived from :func:`reached`: start from answers that reach as many questions as
    possible, then try every answer ("" too) of every choice item. The form's test checks the
    formulas written from this against ``reached`` on many answer sets.
    """
    choices = [item for item in questionnaire.items if item.is_choice]
    values = {item.key: ("", *_choice_values(item)) for item in choices}

    def reach(answers: dict[str, str]) -> set[str]:
        return set(reached(questionnaire, kind, {k: v for k, v in answers.items() if v}))

    base: dict[str, str] = {}
    for _ in range(len(choices)):  # a later answer (Q13) may open earlier questions: repeat until settled
        before = dict(base)
        for item in choices:
            if item.key in reach(base):
                base[item.key] = max(values[item.key][1:], key=lambda v, k=item.key: len(reach({**base, k: v})))
            else:
                base.pop(item.key, None)
        if base == before:
            break
    asked = reach(base)
    gates: dict[str, _Gates | None] = {key: [] if key in asked else None for key in _form_keys(questionnaire)}
    for item in choices:
        reach_with = {value: reach({**base, item.key: value}) for value in values[item.key]}
        for key in asked:
            allowed = tuple(value for value in values[item.key] if key in reach_with[value])
            refused = tuple(value for value in values[item.key] if key not in reach_with[value])
            if refused:
                gates[key].append((item.key, allowed, refused))
    return gates


def _asked_formula(gates: _Gates, rows: dict[str, int]) -> str:
    """回答対象 (TRUE/FALSE) as a formula over the gates' answer cells and their own 回答対象."""
    terms = []
    for gate, allowed, refused in gates:
        answer, asked = f"C{rows[gate]}", f"F{rows[gate]}"
        if len(refused) <= len(allowed):
            tests = [f'{answer}<>"{value}"' for value in refused]
            fine = tests[0] if len(tests) == 1 else f"AND({','.join(tests)})"
        else:
            tests = [f'{answer}="{value}"' for value in allowed]
            fine = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
        terms.append(f"AND({asked},{fine})" if "" in refused else f"OR(NOT({asked}),{fine})")
    return "=" + (terms[0] if len(terms) == 1 else f"AND({','.join(terms)})")


# --- The 一覧用 row and the gathered list ------------------------------------------------------------


def listing_row(questionnaire: Questionnaire, sheet: dict[str, str], answers: dict[str, str]) -> list[str]:
    """The 「一覧用」 row 2 for these answers, as Excel computes it: one cell per :data:`LISTING_HEADERS`.

    The one definition of a respondent's row in a prefecture's or ministry's list.
    """
    asked = set(_form_keys(questionnaire))
    return [sheet.get(name) or "" for name, _label in SHEET_FIELDS] + \
        [answers.get(key) or "" if key in asked else "" for key in ITEM_KEYS]


def gathered_workbook(rows: list[list[str]], *, sheet_title: str = "一覧") -> bytes:
    """The list a prefecture or ministry downloads: :data:`LISTING_HEADERS`, then one row per respondent.

    Every value goes through :func:`caseflow.core.cells.safe_cell`: an answer is never read as a formula.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append(list(LISTING_HEADERS))
    for cell in ws[1]:
        cell.font = _BOLD
    for row in rows:
        ws.append([safe_cell(value) for value in row])
    for column in range(1, len(LISTING_HEADERS) + 1):
        ws.column_dimensions[get_column_letter(column)].width = 16
    ws.freeze_panes = "A2"
    return _save(wb)


def gathered_filename(prefecture_name: str, survey_code: str = "2307") -> str:
    """The seed's file name for a prefecture's list: 「【青森県】2307 マイナンバー調査回答.xlsx」."""
    return f"【{prefecture_name.strip()}】{survey_code} マイナンバー調査回答.xlsx"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Reading a filled form -------------------------------------------------------------------------


def is_form(data: bytes) -> bool:
    """Whether ``data`` is a respondent's form (an .xlsx with a 「回答シート」), not a gathered list."""
    try:
        return ANSWER_SHEET in _open(data).sheetnames
    except WorkbookRefused:
        return False


def form_organization_name(data: bytes) -> str:
    """The 組織名 written on a form's respondent sheet ("" when there is none): whose form it is."""
    wb = _open(data)
    if ANSWER_SHEET not in wb.sheetnames:
        return ""
    label = dict(SHEET_FIELDS)["organization_name"]
    for row in wb[ANSWER_SHEET].iter_rows(min_col=1, max_col=3):
        if _cell_text(row[0].value) == label:
            return _cell_text(row[2].value)
    return ""


def _open(data: bytes) -> Workbook:
    """The workbook with the values Excel computed (openpyxl never computes formulas itself)."""
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many unrelated types for a file that is not an xlsx
        raise WorkbookRefused([RowProblem(None, "", _FILE_PROBLEM)]) from None


def read_workbook(data: bytes, questionnaire: Questionnaire,
                  kind: RespondentKind) -> tuple[dict[str, str], dict[str, str]]:
    """The respondent sheet and the answers of a filled form, read from 「回答シート」.

    Rows are found by their label or 項番 in column A (a respondent may have inserted rows); the
    一覧用 sheet is never read. Choices are normalised (:func:`normalize_choice`), months too.
    Returns ``(sheet, answers)`` without blank values. Raises :class:`WorkbookRefused` with every
    problem for a file that is not an xlsx or not the form, a blank in the respondent sheet, or
    answers the questionnaire refuses (:func:`problems` with ``complete=True``).
    """
    wb = _open(data)
    if ANSWER_SHEET not in wb.sheetnames:
        raise WorkbookRefused([RowProblem(None, "", f"「{ANSWER_SHEET}」のシートがありません。"
                                                    "CaseFlow で作成した調査票のファイルを提出してください。")])
    ws = wb[ANSWER_SHEET]
    labels = {label: name for name, label in SHEET_FIELDS}
    rows: dict[str, list[int]] = {}
    answer_column = 3
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        text = _cell_text(cell.value)
        key = labels.get(text) or _item_key(cell.value)
        if key in labels.values() or key in ITEM_KEYS:
            rows.setdefault(key, []).append(cell.row)
        elif text == "項番":  # the table's header names the answer column (a column may have been inserted)
            for header in ws[cell.row]:
                if _cell_text(header.value).startswith("回答"):
                    answer_column = header.column
                    break
    found: list[RowProblem] = []
    for key in [name for name, _label in SHEET_FIELDS] + _form_keys(questionnaire):
        name = dict(SHEET_FIELDS).get(key, key)
        if key not in rows:
            found.append(RowProblem(None, name, f"「{name}」の行がありません。行を消さずに提出してください。"))
        elif len(rows[key]) > 1:
            found.append(RowProblem(rows[key][1], name, f"「{name}」の行が2つあります（{rows[key][0]}行目と"
                                                        f"{rows[key][1]}行目）。1つにしてください。"))
    if found:
        raise WorkbookRefused(found)
    at = {key: at[0] for key, at in rows.items()}

    def raw(key: str) -> object:
        return ws.cell(at[key], answer_column).value

    sheet = {name: text for name, _label in SHEET_FIELDS if (text := _cell_text(raw(name)))}
    found += [RowProblem(at[name], label, f"{label}：入力してください。")
              for name, label in SHEET_FIELDS if name not in sheet]
    answers = {key: value for key in _form_keys(questionnaire)
               if (value := _normalized(questionnaire.item(key), raw(key)))}
    found += [RowProblem(at.get(problem.key), problem.key, problem.message)
              for problem in problems(questionnaire, kind, answers, complete=True)]
    if found:
        raise WorkbookRefused(sorted(found, key=lambda p: (p.row is None, p.row or 0)))
    return sheet, answers


def _normalized(item: Item, value: object) -> str:
    text = _cell_text(_month_text(value) if item.kind == "month" else value)
    if not text:
        return ""
    if item.is_choice:
        return normalize_choice(item, text)
    if item.kind == "month":
        return normalize_month(text)
    return text


def _listed(questionnaire: Questionnaire | None, key: str, value: object) -> str:
    if questionnaire is not None and questionnaire.has(key):
        return _normalized(questionnaire.item(key), value)
    return _cell_text(_month_text(value))  # the only answer that is a date is a month


def _month_text(value: object) -> object:
    """A month cell Excel took for a date (2024/3 typed) as 2024年3月."""
    return f"{value.year}年{value.month}月" if isinstance(value, dt.date) else value


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return str(value).strip()


_ITEM_KEY_LIKE = re.compile(r"\d+(-\d+)?(予定年月|概要)?")
_DASHES = str.maketrans({char: "-" for char in HYPHENS + "ー"})


def _item_key(value: object) -> str:
    """A header or 項番 cell as a 項番: 2 (a number), ７－１ (full width), 7月1日 (Excel took 7-1 for a date)."""
    if isinstance(value, dt.date):
        return f"{value.month}-{value.day}"
    text = unicodedata.normalize("NFKC", _cell_text(value)).translate(_DASHES)
    text = re.sub(r"\s+", "", text)
    return text[1:] if text[:1] in ("Q", "q") and text[1:2].isdigit() else text


# --- Reading a gathered list -----------------------------------------------------------------------


def read_list(data: bytes, filename: str, *, questionnaire: Questionnaire | None = None) -> list[ListedAnswers]:
    """The rows of a gathered list (.xlsx or .csv), one respondent per row.

    An .xlsx is read from its sheet 「一覧」 or 「一覧用」, else its first; a CSV may be UTF-8 (with or
    without BOM) or Shift_JIS (CP932). Headers: 組織名 and every 項番 (written as text or numbers,
    in full width, with spaces); the respondent sheet's other labels are read when present, other
    columns ignored. Answers are the cells' text (a month Excel took for a date written 2024年3月),
    normalised as :func:`read_workbook` does when ``questionnaire`` is given, and not checked
    against a respondent kind: the caller knows the kind from the organisation and calls
    :func:`problems`. Raises :class:`WorkbookRefused` listing every problem: a missing column, an
    unknown 項番, an empty file, a row without 組織名, a 組織名 twice.
    """
    table = _read_rows(data, filename)
    header_at = next((i for i, cells in enumerate(table) if any(_cell_text(v) for v in cells)), None)
    if header_at is None:
        raise WorkbookRefused([RowProblem(None, "", "ファイルが空です。")])
    header_row = header_at + 1
    labels = {label: name for name, label in SHEET_FIELDS}
    columns: dict[str, int] = {}  # 項番 or SHEET_FIELDS field → its column index
    found: list[RowProblem] = []
    for index, value in enumerate(table[header_at]):
        key = labels.get(re.sub(r"\s+", "", _cell_text(value))) or _item_key(value)
        if key in columns:
            found.append(RowProblem(header_row, dict(SHEET_FIELDS).get(key, key),
                                    f"「{_cell_text(value)}」の列が2つあります。1つにしてください。"))
        elif key in ITEM_KEYS or key in labels.values():
            columns[key] = index
        elif _ITEM_KEY_LIKE.fullmatch(key):
            found.append(RowProblem(header_row, key, f"「{_cell_text(value)}」は調査項目の項番にありません。"))
    found += [RowProblem(header_row, name, f"「{name}」の列がありません。")
              for key in ("organization_name", *ITEM_KEYS) if key not in columns
              for name in [dict(SHEET_FIELDS).get(key, key)]]
    if found:
        raise WorkbookRefused(found)

    listed: list[ListedAnswers] = []
    first_row: dict[str, int] = {}
    for row, cells in enumerate(table[header_at + 1:], start=header_row + 1):
        if not any(_cell_text(v) for v in cells):
            continue

        def cell(key: str, cells=cells) -> object:
            index = columns[key]
            return cells[index] if index < len(cells) else None

        sheet = {name: text for name, _label in SHEET_FIELDS if name in columns and (text := _cell_text(cell(name)))}
        name = sheet.get("organization_name", "")
        if not name:
            found.append(RowProblem(row, "組織名", "組織名が空欄です。"))
        elif name in first_row:
            found.append(RowProblem(row, "組織名", f"組織名「{name}」が{first_row[name]}行目と重複しています。"))
        else:
            first_row[name] = row
        answers = {key: value for key in ITEM_KEYS if (value := _listed(questionnaire, key, cell(key)))}
        listed.append(ListedAnswers(row, name, sheet, answers))
    if not listed:
        found.append(RowProblem(header_row + 1, "", "データ行がありません（見出し行だけです）。"))
    if found:
        raise WorkbookRefused(found)
    return listed


def _read_rows(data: bytes, filename: str) -> list[list[object]]:
    """Every row of the list's sheet (or CSV), from row 1, as the cells' values."""
    suffix = PurePath(filename or "").suffix.casefold()
    if not data.strip():
        raise WorkbookRefused([RowProblem(None, "", "ファイルが空です。")])
    if data.startswith(b"PK") or suffix in (".xlsx", ".xlsm"):
        wb = _open(data)
        name = next((n for n in ("一覧", LISTING_SHEET) if n in wb.sheetnames), wb.sheetnames[0])
        return [list(values) for values in wb[name].iter_rows(min_row=1, values_only=True)]
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookRefused([RowProblem(None, "", "Excel 97-2003 形式（.xls）やパスワード付きのファイルは読み込めません。"
                                                    ".xlsx 形式または CSV で保存してください。")])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookRefused([RowProblem(None, "", "文字コードを判別できません。"
                                                    "UTF-8 または Shift_JIS（CP932）で保存してください。")])
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error:
        raise WorkbookRefused([RowProblem(reader.line_num, "", "CSV の形式として読み取れません"
                                                               "（\" で始めた値が閉じられていない可能性があります）。")]) from None
