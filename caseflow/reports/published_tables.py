"""The other tables of a published report: per agency, its figures outside the tables, the support
tool's grades and the health-insurance trial.

Each table is a CSV in seed/ beside the per-program one (caseflow.reports.published):
``published_<dataset>_agencies.csv``, ``…_notes.csv``, ``…_support_tool.csv`` and ``…_trial.csv``,
described in seed/README.md. Every file is read and checked before anything is stored: a problem
in any of them refuses them all (``PublishedFileRefused``, each problem with its file, row and
column) and what was loaded before stays as it was. The per-agency rows must add up to the
program's errors in the per-program table, which is why that table is loaded first (or with them:
``import_published_dataset``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.errors import DomainError
from caseflow.reports import published
from caseflow.reports.models import (
    PublishedAgencyFigure,
    PublishedFigure,
    PublishedGrade,
    PublishedNote,
    PublishedTrialLine,
)
from caseflow.reports.published import MAX_BYTES, Problem, PublishedFileRefused
from caseflow.reports.tables import Line, format_count

PROGRAMS_FILE = "programs_{dataset}_inspection.csv"
FILES = {
    "agencies": "published_{dataset}_agencies.csv",
    "notes": "published_{dataset}_notes.csv",
    "grades": "published_{dataset}_support_tool.csv",
    "trial": "published_{dataset}_trial.csv",
}
# The parts of the report a note belongs to, in the report's order.
SECTIONS = {
    "overview": "概要",
    "programs": "総点検で判明した紐付け誤り",
    "institutions": "総点検の対象事務・対象機関",
    "detail": "本人確認作業が終了した事務",
    "support_tool": "自治体における点検支援ツールの活用結果",
    "trial": "登録済データ全体の確認（健康保険証の試行実施）",
}
# Where in its section a note is printed: a sentence of the text, a footnote, or in a program's cell.
PLACEMENTS = {"body": "本文", "footnote": "注", "cell": "表中"}
FLAGS = {"yes": True, "no": False}


@dataclass(frozen=True)
class FileProblem(Problem):
    """A problem of one of several files: the file is named too."""

    file: str = ""

    def __str__(self) -> str:
        where = f" {self.row}行目" if self.row else ""
        return f"{self.file}{where} {self.column}: {self.problem}"


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    read: Callable[[str], object]  # the value, or raises ValueError with the problem in Japanese
    required: bool = True


def _text(limit: int) -> Callable[[str], str]:
    def read(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"{limit}文字を超えています")
        return value
    return read


def _count(value: str) -> int:
    digits = value.replace(",", "")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("0以上の整数ではありません")
    return int(digits)


def _share(value: str) -> int:
    number = _count(value)
    if number > 100:
        raise ValueError("100を超えています")
    return number


def _flag(value: str) -> bool:
    if value not in FLAGS:
        raise ValueError("yes か no で書いてください")
    return FLAGS[value]


def _percent(value: str) -> str:
    try:
        number = Decimal(value) if value.isascii() else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 100:
        raise ValueError("0から100までの数ではありません")
    return value


def _choice(choices: dict) -> Callable[[str], str]:
    def read(value: str) -> str:
        if value not in choices:
            raise ValueError(f"{'・'.join(choices)} のいずれかで書いてください")
        return value
    return read


def _key(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9_.]{1,80}", value):
        raise ValueError("英小文字・数字・「_」「.」で80文字までにしてください")
    return value


COLUMNS = {
    "agencies": {
        "program_name": Column("事務", _text(200)),
        "agency_name": Column("機関", _text(200)),
        "linkage_errors": Column("紐付け誤り件数", _count),
        "count_published": Column("件数の記載", _flag),
        "remark": Column("補足", _text(2000), required=False),
    },
    "notes": {
        "key": Column("キー", _key),
        "section": Column("区分", _choice(SECTIONS)),
        "placement": Column("位置", _choice(PLACEMENTS)),
        "marker": Column("注の記号", _text(10), required=False),
        "program_name": Column("事務", _text(200), required=False),
        "shown": Column("数字", _text(60), required=False),
        "text": Column("本文", _text(2000)),
        "remark": Column("補足", _text(2000), required=False),
    },
    "grades": {
        "grade": Column("判定", _choice({"A": 0, "B": 0, "C": 0})),
        "label": Column("判定の名前", _text(40)),
        "description": Column("内容", _text(200)),
        "records": Column("件数", _count),
        "approximate": Column("約", _flag),
        "share_percent": Column("割合", _share),
    },
    "trial": {
        "mark": Column("番号", _text(4)),
        "kind": Column("種類", _key),
        "label": Column("不一致の種類", _text(100)),
        "error_rate_percent": Column("誤登録の発生割合", _percent),
        "remaining": Column("不一致データ数", _count),
        "remaining_approximate": Column("約", _flag),
    },
}
# The column whose value must not repeat within a dataset (besides agencies: program and agency).
UNIQUE = {"notes": ("key",), "grades": ("grade",), "trial": ("kind",), "agencies": ("program_name", "agency_name")}


def decode(data: bytes, file: str) -> str:
    """The text of a CSV file (UTF-8, with or without BOM, or Shift_JIS), or refused."""
    if len(data) > MAX_BYTES:
        raise PublishedFileRefused([FileProblem(0, "ファイル", "大きすぎます（5MBまで）", file)])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PublishedFileRefused([FileProblem(0, "ファイル", "文字コードを読み取れません（UTF-8 または Shift_JIS）", file)])


def read_rows(text: str, kind: str, file: str) -> tuple[list[dict], list[FileProblem]]:
    """The rows of one table (each with its line number as ``row``) and every problem of its cells."""
    columns = COLUMNS[kind]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [FileProblem(1, column.label, f"列 {key} がありません", file)
               for key, column in columns.items() if key not in header]
    if missing:
        return [], missing
    rows, problems, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(FileProblem(number, "行", "列の数が見出しと合いません", file))
            continue
        row: dict = {"row": number}
        for key, column in columns.items():
            value = (raw.get(key) or "").strip()
            if not value:
                if column.required:
                    problems.append(FileProblem(number, column.label, "空欄です", file))
                row[key] = None
                continue
            try:
                row[key] = column.read(value)
            except ValueError as exc:
                problems.append(FileProblem(number, column.label, str(exc), file))
                row[key] = None
        unique = tuple(row[k] for k in UNIQUE[kind])
        if None not in unique:
            if unique in seen:
                problems.append(FileProblem(number, columns[UNIQUE[kind][-1]].label, "同じ行が2回あります", file))
            seen.add(unique)
        rows.append(row)
    if not rows and not problems:
        problems.append(FileProblem(2, "行", "データがありません", file))
    return rows, problems


# Figures as printed ------------------------------------------------------------------------------

_FIGURE = re.compile(r"(約)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(万)?(.*)")


@dataclass(frozen=True)
class Figure:
    """A figure as printed: 「約67万件」 is 670,000, approximate, in 件."""

    value: Decimal
    approximate: bool
    unit: str


def parse_figure(shown: str) -> Figure | None:
    """The number a printed figure stands for; None when ``shown`` does not start with one."""
    found = _FIGURE.fullmatch(shown)
    if not found:
        return None
    value = Decimal(found[2].replace(",", "") + (found[3] or ""))
    if found[4]:
        value *= 10_000
    return Figure(value, bool(found[1]), found[5])


def figure_span(text: str, shown: str) -> tuple[int, int] | None:
    """Where ``shown`` is printed in ``text`` as a whole figure (「1」 is not found in 「11月」)."""
    before = r"(?<![\d,.])" if shown[:1].isdigit() else ""
    after = r"(?![\d,.])" if shown[-1:].isdigit() else ""
    found = re.search(before + re.escape(shown) + after, text)
    return found.span() if found else None


def _check_notes(rows: list[dict], programs: dict[str, dict], file: str) -> list[FileProblem]:
    problems = []
    labels = COLUMNS["notes"]
    for row in rows:
        if row["program_name"] and row["program_name"] not in programs:
            problems.append(FileProblem(row["row"], labels["program_name"].label, "事務別の表にない事務です", file))
        if row["placement"] == "cell" and not row["program_name"]:
            problems.append(FileProblem(row["row"], labels["program_name"].label, "表中の注には事務が要ります", file))
        if row["shown"] and row["text"]:
            if parse_figure(row["shown"]) is None:
                problems.append(FileProblem(row["row"], labels["shown"].label, "数字で始まっていません", file))
            elif figure_span(row["text"], row["shown"]) is None:
                problems.append(FileProblem(row["row"], labels["shown"].label, "本文にこの数字がありません", file))
    return problems


def _check_agencies(rows: list[dict], programs: dict[str, dict], file: str) -> list[FileProblem]:
    """Each row's program is in the per-program table, and a program's agencies add up to its errors."""
    problems = []
    labels = COLUMNS["agencies"]
    by_program: dict[str, list[dict]] = {}
    for row in rows:
        if row["program_name"] is None:
            continue
        if row["program_name"] not in programs:
            problems.append(FileProblem(row["row"], labels["program_name"].label, "事務別の表にない事務です", file))
            continue
        by_program.setdefault(row["program_name"], []).append(row)
    for name, agencies in by_program.items():
        program, first = programs[name], agencies[0]["row"]
        if any(a["linkage_errors"] is None for a in agencies):
            continue
        added = sum(a["linkage_errors"] for a in agencies)
        if added != program["linkage_errors"]:
            problems.append(FileProblem(first, labels["linkage_errors"].label,
                                        f"{name}の機関の合計（{added:,}件）が事務別の表の紐付け誤り件数"
                                        f"（{program['linkage_errors']:,}件）と合いません", file))
        if len(agencies) > program["inspected_institutions"]:
            problems.append(FileProblem(first, labels["agency_name"].label,
                                        f"{name}の機関の数（{len(agencies)}）が点検対象機関数"
                                        f"（{program['inspected_institutions']:,}）より多くなっています", file))
        if len(agencies) > 1 and any(a["count_published"] is False for a in agencies):
            problems.append(FileProblem(first, labels["count_published"].label,
                                        "件数の記載がない（no）のは、事務の機関が1つのときだけです", file))
    return problems


# Loading ------------------------------------------------------------------------------------------


@dataclass
class Tables:
    """The four tables of one dataset, read and checked."""

    files: dict[str, str] = field(default_factory=dict)  # kind → file name
    rows: dict[str, list[dict]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {kind: len(rows) for kind, rows in self.rows.items()}


def _file_bytes(directory: Path, name: str) -> tuple[bytes | None, list[FileProblem]]:
    try:
        return (directory / name).read_bytes(), []
    except FileNotFoundError:
        return None, [FileProblem(0, "ファイル", "見つかりません", name)]
    except OSError as exc:
        return None, [FileProblem(0, "ファイル", f"開けません（{exc.strerror}）", name)]


def read_tables(directory: Path, dataset: str, programs: dict[str, dict] | None) -> tuple[Tables, list[FileProblem]]:
    """Read the four files of ``dataset`` in ``directory``.

    ``programs``: the per-program table's figures by name, which the agencies and notes are checked
    against; None when that table was refused itself (its problems are reported instead).
    """
    tables, problems = Tables(), []
    for kind, pattern in FILES.items():
        name = pattern.format(dataset=dataset)
        tables.files[kind] = name
        data, missing = _file_bytes(directory, name)
        problems += missing
        if data is None:
            continue
        try:
            text = decode(data, name)
        except PublishedFileRefused as refused:
            problems += refused.problems
            continue
        rows, found = read_rows(text, kind, name)
        tables.rows[kind] = rows
        problems += found
        if programs is None:
            continue
        if kind == "agencies":
            problems += _check_agencies(rows, programs, name)
        elif kind == "notes":
            problems += _check_notes(rows, programs, name)
    return tables, problems


def _check_dataset(dataset: str) -> None:
    if dataset not in published.DATASETS:
        raise DomainError(f"公表値の区分 {dataset} はありません（{', '.join(published.DATASETS)}）。")


def _stored_programs(session: Session, dataset: str) -> dict[str, dict]:
    figures = session.scalars(sa.select(PublishedFigure).where(PublishedFigure.dataset == dataset)).all()
    return {f.program_name: {"linkage_errors": f.linkage_errors, "inspected_institutions": f.inspected_institutions}
            for f in figures}


def import_published_tables(session: Session, directory: str | Path, dataset: str = "2023") -> dict[str, int]:
    """Load the four tables of ``dataset`` from ``directory``, replacing the dataset's previous load.

    All or nothing; the per-program table must be loaded already (``import_published``).
    Returns the rows loaded per kind of table.
    """
    _check_dataset(dataset)
    programs = _stored_programs(session, dataset)
    if not programs:
        raise DomainError(f"事務別の表（{PROGRAMS_FILE.format(dataset=dataset)}）を先に取り込んでください。")
    tables, problems = read_tables(Path(directory), dataset, programs)
    if problems:
        raise PublishedFileRefused(problems)
    _store(session, dataset, tables)
    return tables.counts()


def import_published_dataset(session: Session, directory: str | Path, dataset: str = "2023") -> dict[str, int]:
    """The per-program table and the four others of ``dataset``, from one directory; all or nothing.

    Every file is checked (the per-agency rows against the per-program table of the same
    directory) before anything is replaced. Returns the rows loaded per kind, with ``programs``.
    """
    _check_dataset(dataset)
    directory = Path(directory)
    name = PROGRAMS_FILE.format(dataset=dataset)
    data, problems = _file_bytes(directory, name)
    programs: dict[str, dict] | None = None
    if data is not None:
        try:
            programs = {row["program_name"]: row for row in published.parse_published(data)}
        except PublishedFileRefused as refused:
            problems += [p if isinstance(p, FileProblem) else FileProblem(p.row, p.column, p.problem, name)
                         for p in refused.problems]
    tables, found = read_tables(directory, dataset, programs)
    problems += found
    if problems:
        raise PublishedFileRefused(problems)
    count = published.import_published(session, directory / name, dataset)
    _store(session, dataset, tables)
    return {"programs": count, **tables.counts()}


def _store(session: Session, dataset: str, tables: Tables) -> None:
    for model in (PublishedAgencyFigure, PublishedNote, PublishedGrade, PublishedTrialLine):
        session.execute(sa.delete(model).where(model.dataset == dataset))
    made = {"agencies": PublishedAgencyFigure, "notes": PublishedNote, "grades": PublishedGrade,
            "trial": PublishedTrialLine}
    for kind, model in made.items():
        session.add_all(
            model(dataset=dataset, position=position, source_filename=tables.files[kind],
                  **{k: v for k, v in row.items() if k != "row"})
            for position, row in enumerate(tables.rows[kind], start=1)
        )
    session.flush()


# Reading back -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """One sentence or footnote of the report, with the figures printed in it."""

    section: str
    placement: str
    marker: str
    program_name: str
    text: str
    figures: tuple[tuple[str, str], ...]  # (key, shown) of its rows in the file's order; shown "" for none
    remarks: tuple[str, ...]

    @property
    def parts(self) -> list[tuple[str, bool]]:
        """The text cut around its figures: (piece, is a figure)."""
        spans = sorted(s for _, shown in self.figures if shown and (s := figure_span(self.text, shown)))
        parts, at = [], 0
        for start, end in spans:
            if start < at:
                continue
            parts += [(self.text[at:start], False), (self.text[start:end], True)]
            at = end
        parts.append((self.text[at:], False))
        return [p for p in parts if p[0]]


@dataclass(frozen=True)
class TrialLine:
    mark: str
    kind: str
    label: str
    rate: Decimal  # percent, as printed
    remaining: int
    approximate: bool

    @property
    def expected(self) -> Decimal:
        """The errors expected among the remaining mismatches: remaining × rate."""
        return self.remaining * self.rate / 100

    @property
    def remaining_text(self) -> str:
        return ("約" if self.approximate else "") + format_count(self.remaining)


@dataclass
class PublishedReport:
    """Every table of a published dataset, as the report page and the CLI print them."""

    dataset: str
    programs: list[Line]
    notes: list[Note]
    agencies: dict[str, list[PublishedAgencyFigure]]
    grades: list[PublishedGrade]
    trial: list[TrialLine]

    def section(self, section: str, *placements: str) -> list[Note]:
        """The section's notes printed in ``placements`` (body, footnote), whatever their program."""
        return [n for n in self.notes if n.section == section and n.placement in placements]

    def cell(self, section: str, program: str) -> list[Note]:
        return [n for n in self.notes if n.section == section and n.placement == "cell" and n.program_name == program]

    def figure(self, key: str) -> str:
        """A note's figure as printed, by key (empty when not loaded)."""
        return next((shown for n in self.notes for k, shown in n.figures if k == key), "")

    @property
    def trial_expected(self) -> Decimal:
        return sum((x.expected for x in self.trial), Decimal(0))


def grade_text(grade: PublishedGrade) -> str:
    """「約585,000件（87%）」."""
    return f"{'約' if grade.approximate else ''}{format_count(grade.records)}（{grade.share_percent}%）"


def one_decimal(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def agencies_text(agencies: list[PublishedAgencyFigure]) -> str:
    """The agencies as the detail table lists them: 「大田区5件、山形市2件」, or 「栃木県」 alone."""
    return "、".join(f"{a.agency_name}{a.linkage_errors:,}件" if a.count_published else a.agency_name
                     for a in agencies)


def _notes(session: Session, dataset: str) -> list[Note]:
    rows = session.scalars(sa.select(PublishedNote).where(PublishedNote.dataset == dataset)
                           .order_by(PublishedNote.position)).all()
    grouped: dict[tuple, dict] = {}
    for r in rows:
        key = (r.section, r.placement, r.marker or "", r.program_name or "", r.text)
        group = grouped.setdefault(key, {"figures": [], "remarks": []})
        group["figures"].append((r.key, r.shown or ""))
        if r.remark and r.remark not in group["remarks"]:
            group["remarks"].append(r.remark)
    order = list(SECTIONS)
    notes = [Note(*key, figures=tuple(g["figures"]), remarks=tuple(g["remarks"])) for key, g in grouped.items()]
    return sorted(notes, key=lambda n: order.index(n.section))  # stable: the file's order within a section


def published_report(session: Session, dataset: str) -> PublishedReport:
    """Everything loaded for ``dataset`` (empty lists for what was never imported)."""
    agencies: dict[str, list[PublishedAgencyFigure]] = {}
    for row in session.scalars(sa.select(PublishedAgencyFigure).where(PublishedAgencyFigure.dataset == dataset)
                               .order_by(PublishedAgencyFigure.position)):
        agencies.setdefault(row.program_name, []).append(row)
    grades = session.scalars(sa.select(PublishedGrade).where(PublishedGrade.dataset == dataset)
                             .order_by(PublishedGrade.position)).all()
    trial = [
        TrialLine(t.mark, t.kind, t.label, Decimal(t.error_rate_percent), t.remaining, t.remaining_approximate)
        for t in session.scalars(sa.select(PublishedTrialLine).where(PublishedTrialLine.dataset == dataset)
                                 .order_by(PublishedTrialLine.position))
    ]
    return PublishedReport(dataset=dataset, programs=published.published_lines(session, dataset),
                           notes=_notes(session, dataset), agencies=agencies, grades=list(grades), trial=trial)


# What the report page's template uses to print the tables.
TEMPLATE_HELPERS = {"format_count": format_count, "agencies_text": agencies_text, "grade_text": grade_text,
                    "one_decimal": one_decimal}
