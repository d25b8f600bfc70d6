"""Opening cases by hand from a list (CSV or .xlsx), for errors found in bulk outside an inspection.

All or nothing: the list is read whole and every row checked (the same checks as one case typed in,
plus management numbers used twice and possible duplicates); any problem refuses the whole list
with every problem and its row (ListRefused), and nothing is stored. Otherwise each row becomes a
case opened by hand with the list's source. The columns are named in Japanese (LIST_COLUMNS; the
registry's facts with the prefix 住基); other columns are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseSource
from caseflow.core.japanese import today_jst
from caseflow.core.mynumber import is_valid_number, normalize_number
from caseflow.crypto.keys import lookup_digest
from caseflow.errors import DomainError
from caseflow.intake.operations import (
    IntakeEntry,
    Prepared,
    cases_with_record_ids,
    check_may_open,
    entry_problems,
    open_prepared,
    possible_duplicates,
    source_problems,
)
from caseflow.matching.by_hand import Entered, Facts, grade_entered
from caseflow.matching.extracts import DUPLICATE_RECORD_ID, ExtractRefused, read_table
from caseflow.matching.fields import LABELS, field_for_header, header_key
from caseflow.matching.values import parse_birth_dates, parse_sexes
from caseflow.organizations.models import Program
from caseflow.users.models import User

LIST_MAX_BYTES = 20 * 1024**2  # a list of tens of thousands of rows is a few MB
LIST_MAX_ROWS = 5_000  # opened in the request: about 20 s on PostgreSQL (the kernel inserts them in bulk)
MAX_PROBLEMS_SHOWN = 1_000
# The registry's facts: the record's column names after one of these (住基氏名, 住基 生年月日 …).
REGISTRY_PREFIXES = ("住民基本台帳の", "住民基本台帳", "住基")
_PREFIX_KEYS = tuple(header_key(p) for p in REGISTRY_PREFIXES)
_SEPARATORS = "_・:：-－"
RECORD_FIELDS = ("record_id", "my_number", "name", "name_kana", "birth_date", "sex", "address")
FACT_FIELDS = ("name", "name_kana", "birth_date", "sex", "address")
# (column, required, what it holds), for the upload page and the README.
LIST_COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("個人番号", True, "紐付けられていた個人番号（12桁）"),
    ("管理番号", False, "宛名番号・管理番号（空欄なら M-000001 のような番号を付けます）"),
    ("氏名", False, "業務データの氏名"),
    ("カナ氏名", False, "業務データのカナ氏名"),
    ("生年月日", False, "業務データの生年月日（1970-03-02、昭和45年3月2日 など）"),
    ("性別", False, "業務データの性別（男・女、1・2、M・F）"),
    ("住所", False, "業務データの住所"),
    ("住基氏名・住基カナ氏名・住基生年月日・住基性別・住基住所", False,
     "住民基本台帳の情報（分かっている場合。空欄なら後で案件の画面から入力）"),
)


@dataclass(frozen=True)
class ListProblem:
    """One reason a list was refused: its spreadsheet row (the header is row 1), column and problem."""

    row: int
    column: str
    problem: str


class ListRefused(DomainError):
    """Nothing was opened; ``problems`` says why, row by row (at most MAX_PROBLEMS_SHOWN, ``total`` found)."""

    def __init__(self, problems: Sequence[ListProblem]) -> None:
        ordered = sorted(problems, key=lambda p: p.row)
        self.total = len(ordered)
        self.problems = ordered[:MAX_PROBLEMS_SHOWN]
        shown = "" if self.total <= MAX_PROBLEMS_SHOWN else f"。先頭の{MAX_PROBLEMS_SHOWN:,}件を表示しています"
        super().__init__(f"一覧に問題があるため、1件も登録しませんでした（問題 {self.total:,}件{shown}）。")


@dataclass(frozen=True)
class ListRow:
    """One data row of a list, read: its row number and its entry (program and source: the list's)."""

    row: int
    entry: IntakeEntry


def import_list(session: Session, actor: User, *, program: Program | None, source: CaseSource | None,
                source_other: str | None, data: bytes, filename: str | None,
                confirm_duplicates: bool = False) -> list[tuple[int, Case]]:
    """Open a case by hand for every row of a list, or none (ListRefused, with every problem by row).

    Returns (row number, case) for each row, in the list's order.
    ``program`` and ``source`` are the whole list's. Rows that may duplicate an open case (same
    program, same number or management number) or each other (same number) are refused unless
    ``confirm_duplicates``; a management number already used by a case of the program is refused.
    """
    agency = check_may_open(actor, program)
    problems = (["事務を選択してください。"] if program is None else []) + source_problems(source, source_other)
    if problems:
        raise DomainError(" ".join(problems))
    if not data:
        raise DomainError("一覧のファイルが空です。")
    if len(data) > LIST_MAX_BYTES:
        raise DomainError(f"一覧のファイルは{LIST_MAX_BYTES // 1024**2} MBまでにしてください。")
    rows = read_list(data, filename, program=program, source=source, source_other=source_other)
    found = _row_problems(rows)
    numbers = {row.row: normalize_number(row.entry.number) for row in rows}
    found += _existing_problems(session, agency, program, rows, numbers, confirm_duplicates)
    if found:
        raise ListRefused(found)
    gradings = grade_entered([Entered(numbers[r.row], r.entry.record, r.entry.registry) for r in rows])
    prepared = [Prepared(r.entry, numbers[r.row], grading, r.entry.source_record_id)
                for r, grading in zip(rows, gradings, strict=True)]
    cases = open_prepared(session, actor, agency, prepared, details={"list_file": (filename or "一覧")[:200]})
    return list(zip([r.row for r in rows], cases, strict=True))


# --- reading -------------------------------------------------------------------------------------


def read_list(data: bytes, filename: str | None, *, program: Program | None, source: CaseSource | None,
              source_other: str | None) -> list[ListRow]:
    """The list's rows as entries, or ListRefused with every problem of reading it (columns, dates, sexes)."""
    try:
        headers, body = read_table(data, filename=filename)
    except ExtractRefused as refused:
        raise ListRefused([ListProblem(p.row, p.column, p.problem) for p in refused.problems]) from None
    columns, problems = _columns(headers)
    if problems:
        raise ListRefused(problems)

    def cell(side: str, key: str) -> pl.Series:
        if (side, key) not in columns:
            return pl.Series(key, [None] * body.height, dtype=pl.String)
        return body[f"c{columns[side, key]}"].str.strip_chars().replace("", None)

    cells = {(side, key): cell(side, key) for side in ("record", "registry")
             for key in (RECORD_FIELDS if side == "record" else FACT_FIELDS)}
    named = pl.DataFrame({f"{side}_{key}": series for (side, key), series in cells.items()})
    blank = named.select(pl.all_horizontal(pl.all().is_null())).to_series()
    keep = ~blank
    rows_at = body["row"].filter(keep).to_list()
    cells = {key: series.filter(keep) for key, series in cells.items()}
    if not rows_at:
        raise ListRefused([ListProblem(1, "", "データ行がありません（見出し行だけです）。")])
    if len(rows_at) > LIST_MAX_ROWS:
        raise ListRefused([ListProblem(1, "", f"一度に登録できるのは{LIST_MAX_ROWS:,}行までです"
                                              f"（{len(rows_at):,}行あります）。一覧を分けてください。")])
    for side in ("record", "registry"):
        for key, parse in (("birth_date", parse_birth_dates), ("sex", parse_sexes)):
            values, texts = parse(cells[side, key])
            cells[side, key] = values
            if texts is not None:
                header = headers[columns[side, key]]
                problems += [ListProblem(row, header, text) for row, text in zip(rows_at, texts.to_list(), strict=True)
                             if text is not None]
    if problems:
        raise ListRefused(problems)
    values = {key: series.to_list() for key, series in cells.items()}
    rows = []
    for i, row in enumerate(rows_at):
        record = _facts({key: values["record", key][i] for key in FACT_FIELDS})
        registry = _facts({key: values["registry", key][i] for key in FACT_FIELDS})
        rows.append(ListRow(row, IntakeEntry(
            program=program, source=source, source_other=source_other, number=values["record", "my_number"][i],
            source_record_id=values["record", "record_id"][i], record=record,
            registry=None if registry.is_empty() else registry)))
    return rows


def _facts(values: dict) -> Facts:
    return Facts(name=values["name"], kana=values["name_kana"], birth_date=values["birth_date"], sex=values["sex"],
                 address=values["address"])


def _columns(headers: list[str]) -> tuple[dict[tuple[str, str], int], list[ListProblem]]:
    """(side, field) → the column's index; problems for a doubled column or a missing 個人番号."""
    columns: dict[tuple[str, str], int] = {}
    problems = []
    for index, header in enumerate(headers):
        side, rest = "record", header
        key = header_key(header)
        for prefix in _PREFIX_KEYS:
            if key.startswith(prefix) and len(key) > len(prefix):
                side, rest = "registry", key[len(prefix):].lstrip(_SEPARATORS)
                break
        found = field_for_header(rest)
        if found is None or found.key not in (RECORD_FIELDS if side == "record" else FACT_FIELDS):
            continue  # a column of the agency's own (備考 …): not read
        if (side, found.key) in columns:
            problems.append(ListProblem(1, header, f"「{_label(side, found.key)}」の列が2つあります。1つにしてください。"))
        columns[side, found.key] = index
    if ("record", "my_number") not in columns:
        problems.append(ListProblem(1, "", "「個人番号」の列がありません。"))
    return columns, problems


def _label(side: str, key: str) -> str:
    return ("住基" if side == "registry" else "") + LABELS[key]


# --- checking the rows -------------------------------------------------------------------------------


def _row_problems(rows: list[ListRow]) -> list[ListProblem]:
    """Each row's own problems (as for one case typed in), and management numbers used twice."""
    today = today_jst()
    problems = [ListProblem(r.row, "", text) for r in rows for text in entry_problems(r.entry, today=today)]
    first_with: dict[str, int] = {}
    for r in rows:
        record_id = r.entry.source_record_id
        if record_id is None:
            continue
        if record_id in first_with:
            problems.append(ListProblem(r.row, LABELS["record_id"], DUPLICATE_RECORD_ID.format(first_with[record_id])))
        else:
            first_with[record_id] = r.row
    return problems


def _existing_problems(session: Session, agency, program: Program, rows: list[ListRow], numbers: dict[int, str],
                       confirm_duplicates: bool) -> list[ListProblem]:
    """Management numbers the program's cases already have; possible duplicates, unless confirmed."""
    problems = []
    ids = {r.entry.source_record_id for r in rows if r.entry.source_record_id}
    taken = cases_with_record_ids(session, agency, program, ids)
    for r in rows:
        case = taken.get(r.entry.source_record_id or "")
        if case is not None:
            problems.append(ListProblem(r.row, LABELS["record_id"], f"管理番号が既存の案件（{case.reference}・"
                                                                     f"{case.status.label}）と同じです。"))
    first_holder: dict[str, int] = {}
    registry_of: dict[str, Facts | None] = {}
    for r in rows:
        number = numbers[r.row]
        if not is_valid_number(number):
            continue  # the row's own problem says what is wrong with it
        if number in first_holder:
            if r.entry.registry is not None and registry_of[number] is not None and r.entry.registry != registry_of[number]:
                problems.append(ListProblem(r.row, "", f"同じ個人番号の{first_holder[number]}行目と、住民基本台帳の情報が"
                                                       "異なります（番号の保有者は1人です）。"))
            elif not confirm_duplicates:
                problems.append(ListProblem(r.row, LABELS["my_number"],
                                            f"個人番号が{first_holder[number]}行目と同じです（重複の可能性）。"))
        else:
            first_holder[number] = r.row
        if registry_of.get(number) is None:
            registry_of[number] = r.entry.registry
    if confirm_duplicates:
        return problems
    # Open cases with the same management number are among those ``taken`` above.
    open_cases = possible_duplicates(session, agency, program, numbers=set(filter(is_valid_number, numbers.values())))
    by_digest: dict[str, list[Case]] = {}
    for case in open_cases:
        by_digest.setdefault(case.registered_number_digest, []).append(case)
    for r in rows:
        if not is_valid_number(numbers[r.row]):
            continue
        same = by_digest.get(lookup_digest(numbers[r.row]), [])
        if same:
            listed = "、".join(f"{c.reference}（{c.status.label}）" for c in same[:5])
            problems.append(ListProblem(r.row, LABELS["my_number"], f"同じ個人番号の未完了の案件があります：{listed}"
                                                                    "（重複の可能性）。"))
    return problems
