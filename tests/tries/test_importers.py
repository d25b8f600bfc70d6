"""Agency files fuzzed into the importer, and formula injection out of every export.

The reader (caseflow.matching.extracts) gets random bytes, mangled CSVs (any header, hostile
cells, seven encodings, cut at any byte), parsed frames with any headers, and a table of
hostile files (UTF-16, EUC-JP, ISO-2022-JP, NUL bytes, a 1 MB cell, 5,000 columns, a
truncated quote, a broken .xlsx …). It always either returns the documented frame, every
value a case can store, or refuses with a structured list of problems in Japanese — never
another exception, never a My Number echoed in a message.

The hostile files then go the whole inspection path (start_inspection, run_inspection): a
refused batch says why in Japanese, opens no case and leaves no file behind.

Every CSV the application writes neutralises a cell a spreadsheet would run as a formula:
the inspection result, the print run's manifest and the report export.
"""

from __future__ import annotations

import csv
import io
import time
import unicodedata

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, Party
from caseflow.core.cells import FORMULA_TRIGGERS
from caseflow.core.mynumber import check_digit, contains_my_number
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus
from caseflow.inspections.operations import batch_directory, run_inspection, start_inspection
from caseflow.letters import operations as letters
from caseflow.letters.models import LetterKind
from caseflow.matching.extracts import ExtractRefused, extract_from_strings, read_extract
from caseflow.matching.fields import EXTRACT_SCHEMA, MAX_LENGTHS
from caseflow.organizations.models import OrganizationKind, Program
from caseflow.users.models import Role
from tests.conftest import login
from tests.test_authorization_matrix import LETTERHEAD

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEADER_JA = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
HEADER_EN = ["record_id", "my_number", "name", "name_kana", "birth_date", "sex", "address"]
REGISTRY_HEADER = ["個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", '=HYPERLINK("http://example.com","x")', "\t=1+1")
ENCODINGS = ("utf-8", "utf-8-sig", "cp932", "utf-16", "utf-16-le", "euc-jp", "iso2022_jp")


def number(seed: int) -> str:
    first = f"{seed:011d}"
    return first + str(check_digit(first))


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def _japanese(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for ch in text)


def check_outcome(read) -> str:
    """Run ``read``; the frame is the documented one and storable, or the refusal is structured."""
    try:
        frame = read()
    except ExtractRefused as refusal:
        assert refusal.problems and refusal.total >= len(refusal.problems)
        assert _japanese(refusal.message)
        for problem in refusal.problems:
            assert isinstance(problem.row, int) and problem.row >= 1
            assert isinstance(problem.column, str)
            assert _japanese(problem.problem), problem
            assert not contains_my_number(problem.problem), "a problem echoes a My Number"
        return "refused"
    assert frame.schema == EXTRACT_SCHEMA
    for key, limit in MAX_LENGTHS.items():
        assert (frame[key].str.len_chars().fill_null(0) <= limit).all(), f"{key} longer than a case keeps"
    for key in ("record_id", "my_number", "name", "name_kana", "address"):
        assert not frame[key].str.contains("\x00", literal=True).fill_null(False).any(), f"NUL in {key}"
    return "accepted"


# --- the reader, fuzzed ---------------------------------------------------------------------------

@SETTINGS
@given(data=st.binary(max_size=4096), kind=st.sampled_from(["records", "registry"]),
       filename=st.sampled_from([None, "data.csv", "data.xlsx", "data.xls", "data.txt"]))
def test_random_bytes_are_read_or_refused(data, kind, filename):
    check_outcome(lambda: read_extract(data, kind=kind, filename=filename))


CELL = st.one_of(
    st.sampled_from(FORMULAS),
    st.sampled_from(["", " ", "\u3000", "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "昭和45年3月2日", "男", "2",
                     "青森市新町1-2-3", '"', '""', ",", "\n", "\r\n", "\x00", "\x1b[31m", "\ufeff", "\u202e", "①", "²",
                     "𠮷野家"]),
    st.builds(number, st.integers(1, 10**10)),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["山", "a", "1"]), st.integers(50, 400)),
)
HEADER = st.one_of(
    st.just(HEADER_JA), st.just(HEADER_EN), st.just(REGISTRY_HEADER),
    st.lists(st.sampled_from(HEADER_JA + HEADER_EN + ["備考", "", "氏名"]), min_size=1, max_size=10),
    st.lists(st.text(max_size=8), min_size=1, max_size=6),
)


@SETTINGS
@given(header=HEADER, rows=st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=12),
       encoding=st.sampled_from(ENCODINGS), cut=st.one_of(st.none(), st.integers(0, 2000)),
       kind=st.sampled_from(["records", "registry"]))
def test_mangled_csv_is_read_or_refused(header, rows, encoding, cut, kind):
    data = csv_bytes(header, rows, encoding)
    if cut is not None:
        data = data[:cut]
    check_outcome(lambda: read_extract(data, kind=kind, filename="data.csv"))


@SETTINGS
@given(header=HEADER.map(lambda h: list(dict.fromkeys(h))), rows=st.lists(st.lists(CELL, min_size=9, max_size=9),
                                                                          min_size=1, max_size=8),
       kind=st.sampled_from(["records", "registry"]))
def test_parsed_frames_are_read_or_refused(header, rows, kind):
    # A header may name up to 10 columns and rows hold 9 cells: the missing cells are blank.
    frame = pl.DataFrame({name: [row[i] if i < len(row) else None for row in rows] for i, name in enumerate(header)},
                         schema=dict.fromkeys(header, pl.String))
    check_outcome(lambda: extract_from_strings(frame, kind=kind))


# --- hostile files, through the whole inspection ---------------------------------------------------

PEOPLE = [(number(101 + i), "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", "青森県青森市新町二丁目1番2号")
          for i in range(4)]
# 1,500 rows (past the 64 KiB the encoding check reads), then a name with U+0000.
_LONG_THEN_NUL = [[f"F{i}", number(500 + i), "山田　太郎", "", "1970-03-02", "男", "青森市"] for i in range(1500)] + [
    ["RZ", number(101), "別人\x00花子", "", "1970-03-02", "女", "青森市"]]


def _records(rows=None, header=HEADER_JA, encoding="utf-8") -> bytes:
    rows = rows if rows is not None else [[f"R{i}", *person] for i, person in enumerate(PEOPLE)]
    return csv_bytes(header, rows, encoding)


def _registry() -> bytes:
    return csv_bytes(REGISTRY_HEADER, [list(person) for person in PEOPLE])


def _xlsx() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADER_JA, *[[f"R{i}", *p] for i, p in enumerate(PEOPLE)]]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return out.getvalue()


_GOOD = [f"R{i}" for i in range(len(PEOPLE))]
HOSTILE_FILES = {
    "UTF-16 with BOM": lambda: _records(encoding="utf-16"),
    "UTF-16 BE without BOM": lambda: _records(encoding="utf-16-be"),
    "EUC-JP": lambda: _records(encoding="euc-jp"),
    "EUC-JP, English headers": lambda: _records(header=HEADER_EN, encoding="euc-jp"),
    "ISO-2022-JP": lambda: _records(header=HEADER_EN, encoding="iso2022_jp"),
    "NUL in the first line": lambda: _records()[:10] + b"\x00" + _records()[10:],
    "NUL in a name after 64 KiB": lambda: _records(_LONG_THEN_NUL),
    "1 MB cell": lambda: _records([["R0", PEOPLE[0][0], "山" * 350_000, "", "1970-03-02", "男", "青森市"]]),
    "record id of 65 characters": lambda: _records([["R" * 65, *PEOPLE[0]]]),
    "address of 301 characters": lambda: _records([["R0", *PEOPLE[0][:5], "青" * 301]]),
    "5,000 columns": lambda: _records([[f"R{i}", *p, *["x"] * 5000] for i, p in enumerate(PEOPLE)],
                                      header=HEADER_JA + [f"列{i}" for i in range(5000)]),
    "unclosed quote at the end": lambda: _records() + b'R9,"' + b"abc",
    "cut in a character": lambda: _records()[:-4],
    "random bytes named .xlsx": lambda: b"PK\x03\x04" + bytes(range(256)) * 8,
    "truncated .xlsx": lambda: _xlsx()[:600],
    "Excel 97 (.xls)": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
    "empty but for a BOM": lambda: b"\xef\xbb\xbf",
    "header only": lambda: _records([]),
    "CR-only line ends": lambda: _records().replace(b"\r\n", b"\r"),
    "formula cells": lambda: _records([[formula, PEOPLE[i % 4][0], formula, "", "1970-03-02", "男", formula]
                                       for i, formula in enumerate(FORMULAS)]),
}
# Read on purpose: extra columns are ignored, CR-only line ends (a classic Mac OS export) are
# line ends, and a formula is what a person may write (text here; the exports below neutralise it).
ACCEPTED = {"5,000 columns", "formula cells", "CR-only line ends"}


@pytest.fixture
def inspect(app, agency, program, caseworker):
    def run(records: bytes, filename: str = "records.csv"):
        batch = start_inspection(db.session, caseworker, agency=agency, program=program, records=(filename, records),
                                 registry=("registry.csv", _registry()), root=app.instance_path)
        run_inspection(db.session, batch, root=app.instance_path)
        db.session.flush()
        return batch

    return run


def test_hostile_files_are_refused_whole_with_nothing_kept(app, backend, inspect, report):
    lines = []
    for name, make in HOSTILE_FILES.items():
        content = make()
        filename = "records.xlsx" if "xlsx" in name else "records.csv"
        started = time.perf_counter()
        outcome = check_outcome(lambda content=content, filename=filename: read_extract(
            content, kind="records", filename=filename))
        batch = inspect(content, filename)
        took = time.perf_counter() - started
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.batch_id == batch.id))
        left = sorted(p.name for p in batch_directory(app.instance_path, batch.id).glob("*"))
        if name in ACCEPTED:
            assert outcome == "accepted" and batch.status is BatchStatus.DONE, (name, batch.error)
            assert left == ["result.csv", "result.csv.sha256"]  # the grades and their checksum
        else:
            assert outcome == "refused", name
            assert batch.status is BatchStatus.REFUSED and _japanese(batch.error), name
            assert batch.problems and all({"file", "row", "column", "problem"} <= set(p) for p in batch.problems)
            assert cases == 0 and left == [], (name, cases, left)
        first = batch.problems[0]["problem"] if batch.problems else ""
        lines.append(f"  {name}: {batch.status.value}, {len(batch.problems)} problems, {cases} cases, "
                     f"{took * 1000:.0f} ms{' — ' + first[:60] if first else ''}")
    report(f"hostile files: {len(HOSTILE_FILES)} through read_extract and run_inspection")
    for line in lines:
        report(line)


# --- exports: formula injection neutralised ---------------------------------------------------------

def _neutralised(cell: str, written: str) -> bool:
    return cell == "'" + written if written.startswith(FORMULA_TRIGGERS) else cell == written


def test_inspection_result_neutralises_formulas_in_record_ids(app, inspect):
    rows = [[formula, PEOPLE[i % 4][0], "別人　花子", "", "1980-01-01", "女", "弘前市"]
            for i, formula in enumerate(FORMULAS)]
    batch = inspect(_records(rows))
    assert batch.status is BatchStatus.DONE
    with open(batch_directory(app.instance_path, batch.id) / "result.csv", encoding="utf-8-sig", newline="") as fh:
        ids = [row["record_id"] for row in csv.DictReader(fh)]
    assert len(ids) == len(FORMULAS)
    # The reader strips white space around a value (the tab of "\t=1+1" too).
    assert all(_neutralised(cell, formula.strip()) for cell, formula in zip(ids, FORMULAS, strict=True)), ids


def test_print_run_manifest_neutralises_formulas(make_case, agency, caseworker, tmp_path):
    agency.letterhead = dict(LETTERHEAD, prefix='=HYPERLINK("http://example.com","x")')
    case = make_case(CaseStatus.CORRECTED, record_name='=HYPERLINK("http://example.com","x")')
    letters.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="山田　太郎", postal_code="030-0801",
                          address="青森県青森市新町一丁目1番1号")
    letter = letters.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    run = letters.create_print_run(db.session, caseworker)
    letters.build_print_run(db.session, run, root=tmp_path)
    with open(letters.print_run_directory(tmp_path, run.id) / "manifest.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == "'" + letter.document_number


def test_report_export_neutralises_formulas(client, make_org, make_user, make_case, agency):
    ministry = make_org(OrganizationKind.MINISTRY, "@SUM(A1)")
    program = Program(name='=HYPERLINK("http://example.com","x")', ministry_id=ministry.id)
    db.session.add(program)
    db.session.flush()
    make_case(CaseStatus.CONFIRMED, program_=program)
    login(client, make_user(Role.MINISTRY_OFFICER, org=ministry))
    response = client.get("/reports/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    line = next(row for row in rows if "HYPERLINK" in row[0])
    assert line[0] == "'" + program.name and line[1] == "'@SUM(A1)"
