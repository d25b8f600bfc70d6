"""Reading agency extract files: business records (業務データ) and registry extracts (住基データ).

An agency uploads a CSV (UTF-8 with or without BOM, or Shift_JIS/CP932) or an Excel .xlsx
file. :func:`read_extract` turns it into one polars DataFrame with fixed columns and types,
or refuses the whole file with every problem found, each as (row, column, problem) in plain
Japanese. Nothing partial is ever returned: a caseworker fixes the file and uploads it again.

The reader only checks what it needs to read the file faithfully (dates, sex codes, record
ids, required values). It does not validate My Numbers nor normalise names and addresses:
the grader does that and reports them as findings. A My Number is 特定個人情報, so no
problem text or message ever quotes a cell that could hold one.

The fields, their labels and the headers accepted for them are :mod:`caseflow.matching.fields`;
birth dates and sex codes are parsed by :mod:`caseflow.matching.values`.

This module is on the grader's hot path (≥ 250,000 records/s end to end): every column is
read as a string by polars, per-row work is vectorised, and the slow Python parsing (era
dates, sex codes) runs once per distinct value, never per row.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import fastexcel
import polars as pl

from caseflow.core.mynumber import SEPARATORS
from caseflow.matching.fields import (
    EXTRACT_FIELDS,
    EXTRACT_SCHEMA,
    FIELD_ORDER,
    KINDS,
    LABELS,
    MAX_LENGTHS,
    STORED_TEXT,
    field_for_header,
)
from caseflow.matching.values import parse_birth_dates, parse_flags, parse_sexes

MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """One reason a file was refused."""

    row: int  # spreadsheet row number: header is row 1, first data row is 2
    column: str  # the column header as written in the file ("" when not about a column)
    problem: str  # Japanese, plain, for a caseworker


class ExtractRefused(Exception):
    """The file was not imported; ``problems`` says why, row by row.

    ``problems`` holds at most :data:`MAX_PROBLEMS` entries, ordered by row; ``total`` is the
    number found, and ``message`` says how many were left out.
    """

    def __init__(self, problems: list[Problem], total: int | None = None):
        total = len(problems) if total is None else total
        self.problems: list[Problem] = list(problems[:MAX_PROBLEMS])
        self.total: int = total
        left_out = total - len(self.problems)
        if left_out > 0:
            count = f"{total:,}件。先頭の{len(self.problems):,}件を表示し、残り{left_out:,}件は省略しています"
        else:
            count = f"{total:,}件"
        self.message: str = f"ファイルに問題があるため、取り込みませんでした（{count}）。"
        super().__init__(self.message)


# The problem of a record id used twice ({} is the first row with it); the partitioned grader
# finds those across partitions and words them alike.
DUPLICATE_RECORD_ID = "管理番号が{}行目と重複しています。管理番号は行ごとに別にしてください。"
_DUPLICATE_NUMBER = "個人番号が{}行目と重複しています（同じ個人番号の住民が2行あります）。"
_ENCODING_PROBLEM = "文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存してください。"
_UTF8_BOM = b"\xef\xbb\xbf"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file


def read_extract(
    source: str | Path | bytes | bytearray | memoryview | IO[bytes],
    *,
    kind: str,
    filename: str | None = None,
) -> pl.DataFrame:
    """Read a business-records (``kind="records"``) or registry (``kind="registry"``) extract.

    ``source`` is a path, the file's bytes, or a binary file object (an uploaded file). The
    format is decided by content (an .xlsx is a zip) and the file name's suffix. Returns a
    DataFrame with the columns of :data:`EXTRACT_SCHEMA`, one row per non-empty data row, in
    file order; ``row`` is the row number a spreadsheet would show.

    Raises :class:`ExtractRefused` listing every problem when the file cannot be imported
    whole (unknown encoding, missing columns, unreadable dates, sex codes or 住登外 flags, empty
    or duplicate record ids, a My Number twice in a registry extract, empty required values:
    a record id, a number, a name; in a registry extract an address too).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    data, filename = _read_source(source, filename)
    table = _load_table(data, filename)
    return _build(table, kind)


def extract_from_strings(frame: pl.DataFrame, *, kind: str, record_ids_checked: bool = False) -> pl.DataFrame:
    """Like read_extract, for a file already parsed: string columns named by the file's headers.

    The partitioned grader uses it on its partitions, which carry each row's number in the
    original file (:data:`ROW_COLUMN`), so that problems name the row the user knows.
    ``record_ids_checked``: the record ids were checked for duplicates across the whole file (the
    partitioned grader's cross-record pass): a partition does not report them a second time.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    headers = list(frame.columns)
    body = frame.rename({name: f"c{index}" for index, name in enumerate(headers)}).cast(pl.String)
    body = body.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.UInt32))
    return _build(_Table(headers, body, 2), kind, record_ids_checked=record_ids_checked)


def read_table(source: str | Path | bytes | IO[bytes], *, filename: str | None = None
               ) -> tuple[list[str], pl.DataFrame]:
    """A CSV or .xlsx file read as extracts are (encodings, Excel, blank lines, the header row), its
    columns left as they are: for lists with columns of their own (caseflow.intake).

    Returns the headers as written (stripped) and the rows: ``row`` (the spreadsheet's row number)
    and one string column per header, ``c0``, ``c1`` … (not stripped). Raises ExtractRefused when
    the file cannot be read.
    """
    data, filename = _read_source(source, filename)
    table = _load_table(data, filename)
    return table.headers, table.body


# --- Loading: bytes → a table of strings with spreadsheet row numbers ---------------------------


@dataclass
class _Table:
    headers: list[str]  # as written in the file, stripped
    body: pl.DataFrame  # "row" (UInt32) and one String column per header, named c0, c1, … (not stripped)
    first_data_row: int
    may_hold_nul: bool = True  # False when the file is known to hold no U+0000 (a CSV is checked whole)


def _read_source(source, filename: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), filename or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename
    # An open file or an uploaded werkzeug FileStorage (which carries .filename).
    if filename is None:
        name = getattr(source, "filename", None) or getattr(source, "name", None)
        filename = name if isinstance(name, str) else None
    return source.read(), filename


def _load_table(data: bytes, filename: str | None) -> _Table:
    suffix = Path(filename).suffix.casefold() if filename else ""
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        _refuse_file(
            "Excel 97-2003 形式（.xls）やパスワード付きの Excel ファイルは読み込めません。"
            "パスワードを解除し、.xlsx 形式または CSV で保存してください。"
        )
    if data.startswith(b"PK"):
        return _load_xlsx(data)
    if suffix in (".xlsx", ".xlsm"):
        _refuse_file("Excel ファイル（.xlsx）として読み取れません。ファイルが壊れていないか確認してください。")
    return _load_csv(data)


def _load_xlsx(data: bytes) -> _Table:
    try:
        reader = fastexcel.read_excel(data)
        # header_row=None with skip_rows=0 keeps leading empty rows, so row numbers stay
        # those Excel shows; "string" keeps leading zeros and turns date cells into ISO text.
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        frame = sheet.to_polars()
    except Exception:  # fastexcel raises several unrelated types for damaged files
        _refuse_file("Excel ファイル（.xlsx）として読み取れません。ファイルが壊れていないか確認してください。")
    return _split_header(frame.with_columns(pl.all().cast(pl.String)))


def _load_csv(data: bytes) -> _Table:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data or data.isspace():  # isspace() stops at the first non-space; strip() would copy
        _refuse_file("ファイルが空です。")
    head = data[:65536]
    # UTF-16 (Excel's "Unicode text") decodes as CP932 without error, so rule it out first.
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        _refuse_file(_ENCODING_PROBLEM)
    # ISO-2022-JP (JIS, old mail systems) is 7-bit: it would pass as ASCII and be read as garbage.
    if b"\x1b$" in head or b"\x1b(" in head:
        _refuse_file(_ENCODING_PROBLEM)
    # Line ends of a classic Mac OS export (CR alone): polars knows LF and CRLF only.
    if b"\r" in head and b"\n" not in head:
        data = data.replace(b"\r", b"\n")
    # Empty lines above the header, as in a sheet; polars would take the first as the header.
    data, skipped = _skip_blank_lines(data)
    if _is_utf8_prefix(head):
        try:
            return _parse_csv(data, skipped)
        except pl.exceptions.PolarsError:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass  # valid UTF-8 only at the start: a CP932 file beginning with ASCII
            else:
                _diagnose_csv(text, _separator(data), skipped)
    # polars reads only UTF-8: Python's codec decodes CP932 (~170 MB/s), then re-encode.
    text = _decode_cp932(data)
    data = text.encode("utf-8")
    try:
        return _parse_csv(data, skipped)
    except pl.exceptions.PolarsError:
        _diagnose_csv(text, _separator(data), skipped)


def _parse_csv(data: bytes, skipped: int) -> _Table:
    # Without a header polars reads the header line as data, so doubled or odd column names
    # reach _map_headers as written; infer_schema=False keeps every cell a string.
    frame = pl.read_csv(data, has_header=False, infer_schema=False, separator=_separator(data))
    table = _split_header(frame, skipped)
    # Only the first 64 KiB were looked at for NUL bytes (as a sign of UTF-16); one scan of the
    # whole file (memchr) spares looking for them column by column.
    table.may_hold_nul = b"\x00" in data
    return table


def _skip_blank_lines(data: bytes) -> tuple[bytes, int]:
    start = skipped = 0
    while (end := data.find(b"\n", start)) >= 0 and data[start:end].strip() == b"":
        start, skipped = end + 1, skipped + 1
    return (data[start:] if start else data), skipped


def _is_utf8_prefix(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _decode_cp932(data: bytes) -> str:
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        _refuse_file(_ENCODING_PROBLEM)


def _separator(data: bytes) -> str:
    first_line = data[: data.find(b"\n")] if b"\n" in data else data
    return "\t" if b"\t" in first_line and b"," not in first_line else ","


def _diagnose_csv(text: str, separator: str, skipped: int) -> NoReturn:
    """Explain why polars could not parse the CSV; always raises ExtractRefused."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    width: int | None = None
    row = skipped
    try:
        for row, fields in enumerate(reader, start=1 + skipped):
            if width is None:
                width = len(fields)
            elif len(fields) > width:
                problems.append(
                    Problem(
                        row,
                        "",
                        f"列の数（{len(fields)}）が見出し行（{width}）より多くなっています。"
                        "値の中に「,」がある場合は、値を \"\" で囲んでください。",
                    )
                )
    except csv.Error:
        problems.append(
            Problem(
                row + 1,
                "",
                "CSV の形式として読み取れません（\" で始めた値が閉じられていない可能性があります）。",
            )
        )
    if not problems:
        problems.append(Problem(1, "", "CSV ファイルとして読み取れません。"))
    raise ExtractRefused(problems)


def _split_header(frame: pl.DataFrame, skipped: int = 0) -> _Table:
    """Take the first non-empty row as the header and number every row as a spreadsheet does.

    ``skipped`` empty lines came before ``frame``'s first row.
    """
    cells = [f"c{i}" for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, cells, strict=True)))
    # Only a handful of rows to look at: the header is the first line of a CSV and, in a
    # sheet, follows at most a few empty rows.
    header_at = None
    for start in range(0, frame.height, 1000):
        blank = frame.slice(start, 1000).select(pl.all_horizontal(pl.all().str.strip_chars().fill_null("") == ""))
        non_blank = blank.to_series().not_().arg_true()
        if non_blank.len():
            header_at = start + non_blank[0]
            break
    if header_at is None:
        _refuse_file("ファイルが空です。")
    headers = [(value or "").replace("\ufeff", "").strip() for value in frame.row(header_at)]
    first_data_row = skipped + header_at + 2
    body = frame.slice(header_at + 1).with_row_index("row", offset=first_data_row)
    return _Table(headers, body.with_columns(pl.col("row").cast(pl.UInt32)), first_data_row)


# --- Building the extract: map columns, clean values, check, refuse or return -------------------


def map_headers(headers: list[str], kind: str) -> dict[str, int]:
    """Field key → index of its column; refuses missing or doubled columns."""
    found: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        field = field_for_header(header)
        if field is not None:
            found.setdefault(field.key, []).append(index)
    problems = []
    for field in EXTRACT_FIELDS:
        if kind in field.column_required and field.key not in found:
            aliases = "、".join(dict.fromkeys(field.aliases))
            text = f"必須の列「{field.label}」がありません。1行目の列名を確認してください（使える列名：{aliases}）。"
            problems.append(Problem(1, field.label, text))
        elif len(found.get(field.key, ())) > 1:
            written = "、".join(headers[i] for i in found[field.key])
            problems.append(
                Problem(
                    1,
                    headers[found[field.key][1]],
                    f"「{field.label}」の列が複数あります（{written}）。どれか一つにしてください。",
                )
            )
    if problems:
        raise ExtractRefused(problems)
    return {key: indices[0] for key, indices in found.items()}


# A column the partitioned grader adds to each partition file: the row number the row had in
# the original file, so that problems found in a partition name the row the user knows.
ROW_COLUMN = "__row__"


def _build(table: _Table, kind: str, *, record_ids_checked: bool = False) -> pl.DataFrame:
    if ROW_COLUMN in table.headers:
        original = pl.col(f"c{table.headers.index(ROW_COLUMN)}").cast(pl.UInt32)
        table.body = table.body.with_columns(row=original)
    columns = map_headers(table.headers, kind)
    header_of = {key: table.headers[index] for key, index in columns.items()}

    def cell(key: str) -> pl.Expr:
        if key not in columns:
            return pl.lit(None, dtype=pl.String).alias(key)
        return pl.col(f"c{columns[key]}").alias(key)

    frame = _stripped(table.body.select("row", *(cell(field.key) for field in EXTRACT_FIELDS)))
    # A cell of spaces only is empty. The reader already gives empty cells as null, so this
    # copy of a column is only made where there is such a cell.
    blanked = [pl.col(name).replace("", None) for name in frame.columns[1:]
               if frame[name].dtype == pl.String and (frame[name].str.len_bytes() == 0).any()]
    if blanked:
        frame = frame.with_columns(blanked)
    # Rows with nothing in the columns we read (blank lines, Excel's formatted-but-empty rows).
    blank = frame.select(pl.all_horizontal(pl.exclude("row").is_null())).to_series()
    if blank.any():  # filtering copies every column, so only when there is something to drop
        frame = frame.filter(~blank)
    if frame.height == 0:
        raise ExtractRefused([Problem(table.first_data_row, "", "データ行がありません（見出し行だけです）。")])

    frame = frame.with_columns(_normalized_number(frame["my_number"]))
    problems: list[pl.DataFrame | None] = []
    birth_dates, date_problems = parse_birth_dates(frame["birth_date"])
    sexes, sex_problems = parse_sexes(frame["sex"])
    if date_problems is not None:
        problems.append(_problems_at(frame, "birth_date", date_problems, header_of))
    if sex_problems is not None:
        problems.append(_problems_at(frame, "sex", sex_problems, header_of))
    out_of_area, flag_problems = parse_flags(frame["out_of_area"], LABELS["out_of_area"])
    if flag_problems is not None:
        problems.append(_problems_at(frame, "out_of_area", flag_problems, header_of))
    for field in EXTRACT_FIELDS:
        if kind in field.value_required and frame[field.key].null_count():
            empty = frame.select("row").filter(frame[field.key].is_null())
            problems.append(_with_problem(empty, field.key, header_of, f"{field.label}が空欄です。"))
    if kind == "records":
        if not record_ids_checked:
            problems.append(_duplicates(frame, "record_id", header_of, DUPLICATE_RECORD_ID))
    else:
        problems.append(_duplicates(frame, "my_number", header_of, _DUPLICATE_NUMBER))
    problems.extend(_unstorable(frame, header_of, may_hold_nul=table.may_hold_nul))
    _raise_if_any(problems)
    return frame.with_columns(birth_date=birth_dates, sex=sexes, out_of_area=out_of_area).select(
        [pl.col(name).cast(dtype) for name, dtype in EXTRACT_SCHEMA.items()]
    )


# What str.isspace() calls white space: the Unicode white space that strip_chars() strips (U+3000
# included), and four separators more.
_WHITE_SPACE = [char for char in map(chr, range(0x3001)) if char.isspace()]


def _stripped(frame: pl.DataFrame) -> pl.DataFrame:
    """The text columns without white space around their values.

    Only the columns where a value begins or ends with white space are stripped: stripping writes
    every value anew (240 MB for a million records), looking at the first and last characters
    writes nothing that stays.
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.height == 0:
        return frame
    padded = frame.select(
        (pl.col(name).str.head(1).is_in(_WHITE_SPACE) | pl.col(name).str.tail(1).is_in(_WHITE_SPACE)).any()
        for name in text
    ).row(0)
    return frame.with_columns(pl.col(name).str.strip_chars() for name, found in zip(text, padded, strict=True)
                              if found)


def _unstorable(frame: pl.DataFrame, header_of: dict[str, str], *, may_hold_nul: bool) -> list[pl.DataFrame]:
    """Rows whose values a case could not keep: longer than its column, or holding U+0000.

    Refused here, row by row, rather than failing the database after grading: PostgreSQL
    refuses a value longer than its column and U+0000 in text.
    """
    found = []
    for key in STORED_TEXT:
        if key not in header_of:
            continue
        label = LABELS[key]
        values = frame[key]
        if may_hold_nul:
            nul = values.str.contains("\x00", literal=True).fill_null(False)
            if nul.any():
                text = f"{label}に NUL 文字が含まれています。ファイルが壊れていないか確認してください。"
                found.append(_with_problem(frame.select("row").filter(nul), key, header_of, text))
        limit = MAX_LENGTHS.get(key)
        # A value has at least as many bytes as characters: the byte length (read from the
        # offsets, no scan) rules out nearly every row before characters are counted.
        if limit is not None and (values.str.len_bytes() > limit).any():
            long = (values.str.len_chars() > limit).fill_null(False)
            if long.any():
                text = f"{label}が長すぎます（{limit:,}文字までにしてください）。"
                found.append(_with_problem(frame.select("row").filter(long), key, header_of, text))
    return found


def _normalized_number(numbers: pl.Series) -> pl.Series:
    """NFKC, spaces and hyphen look-alikes removed; not validated (the grader reports that)."""
    if not numbers.str.contains(r"[^0-9]").any():
        return numbers
    cleaned = numbers.str.normalize("NFKC").str.replace_all(SEPARATORS, "")
    return cleaned.set(cleaned == "", None).alias("my_number")


def _problems_at(frame: pl.DataFrame, key: str, texts: pl.Series, header_of: dict[str, str]) -> pl.DataFrame:
    rows = frame.select("row", problem=texts).filter(pl.col("problem").is_not_null())
    return rows.with_columns(column=pl.lit(header_of[key]), order=pl.lit(FIELD_ORDER[key], dtype=pl.UInt8))


def _with_problem(rows: pl.DataFrame, key: str, header_of: dict[str, str], text: str) -> pl.DataFrame:
    return rows.with_columns(
        problem=pl.lit(text), column=pl.lit(header_of[key]), order=pl.lit(FIELD_ORDER[key], dtype=pl.UInt8)
    )


def _duplicates(frame: pl.DataFrame, key: str, header_of: dict[str, str], template: str) -> pl.DataFrame | None:
    """Every row that repeats an earlier row's value, naming the first row with that value."""
    if not _may_have_duplicates(frame[key]):
        return None
    repeated = (
        frame.select("row", key)
        .filter(pl.col(key).is_not_null() & pl.col(key).is_duplicated())
        .with_columns(first=pl.col("row").min().over(key))
        .filter(pl.col("row") != pl.col("first"))
    )
    texts = repeated.select("row", problem=pl.format(template, pl.col("first")))
    return texts.with_columns(column=pl.lit(header_of[key]), order=pl.lit(FIELD_ORDER[key], dtype=pl.UInt8))


def _may_have_duplicates(values: pl.Series) -> bool:
    """False when every non-null value is distinct; True may be a 64-bit hash collision."""
    # Sorting hashes is ~10x faster than polars' exact is_duplicated on a million distinct
    # strings; the exact (slow) check then only runs on files that do have a duplicate.
    hashes = values.drop_nulls().hash().sort()
    return bool((hashes.slice(1) == hashes.slice(0, max(hashes.len() - 1, 0))).any())


def _raise_if_any(parts: list[pl.DataFrame | None]) -> None:
    found = [part.select("row", "order", "column", "problem") for part in parts if part is not None and part.height]
    if not found:
        return
    every = pl.concat(found).sort("row", "order")
    first = every.head(MAX_PROBLEMS).select("row", "column", "problem")
    raise ExtractRefused([Problem(*values) for values in first.iter_rows()], total=every.height)


def _refuse_file(problem: str) -> NoReturn:
    raise ExtractRefused([Problem(1, "", problem)])
