"""Published aggregate figures: loading a government table (CSV) and reading it back as lines."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.errors import DomainError
from caseflow.organizations.models import Program
from caseflow.reports.models import PublishedFigure
from caseflow.reports.tables import Line

DATASETS = {"2023": "2023年 マイナンバー情報総点検（公表値）"}
COLUMNS = {
    "program_name": "事務",
    "responsible_ministry": "所管府省庁",
    "inspected_institutions": "点検対象機関数",
    "inspected_records": "点検対象件数",
    "linkage_errors": "紐付け誤り件数",
    "viewed_on_portal": "閲覧された件数",
    "resolved": "誤紐付けを解消した件数",
    "main_cause": "主な原因",
}
_COUNTS = ("inspected_institutions", "inspected_records", "linkage_errors", "viewed_on_portal", "resolved")
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    row: int  # 1 = the header line
    column: str
    problem: str

    def __str__(self) -> str:
        return f"{self.row}行目 {self.column}: {self.problem}"


class PublishedFileRefused(DomainError):
    """The file was not loaded; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\nほか{len(problems) - 20}件" if len(problems) > 20 else ""
        super().__init__(f"公表値のファイルを取り込めませんでした（何も取り込んでいません）。\n{shown}{more}")


def parse_published(data: bytes) -> list[dict]:
    """Read and check the whole file; refuse it with every problem found, or return its rows."""
    if len(data) > MAX_BYTES:
        raise PublishedFileRefused([Problem(0, "ファイル", "大きすぎます（5MBまで）")])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PublishedFileRefused([Problem(0, "ファイル", "文字コードを読み取れません（UTF-8 または Shift_JIS）")])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PublishedFileRefused([Problem(1, COLUMNS[c], f"列 {c} がありません") for c in missing])
    rows, problems, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        if None in raw:  # more cells than columns
            problems.append(Problem(number, "行", "列の数が見出しと合いません"))
            continue
        row = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        if not row["program_name"]:
            problems.append(Problem(number, COLUMNS["program_name"], "空欄です"))
        elif row["program_name"] in seen:
            problems.append(Problem(number, COLUMNS["program_name"], "同じ事務が2回あります"))
        seen.add(row["program_name"])
        if not row["responsible_ministry"]:
            problems.append(Problem(number, COLUMNS["responsible_ministry"], "空欄です"))
        for key in _COUNTS:
            value = row[key].replace(",", "")
            if not value.isascii() or not value.isdigit():
                problems.append(Problem(number, COLUMNS[key], "0以上の整数ではありません"))
            else:
                row[key] = int(value)
        if all(isinstance(row[k], int) for k in _COUNTS):
            if row["linkage_errors"] > row["inspected_records"]:
                problems.append(Problem(number, COLUMNS["linkage_errors"], "点検対象件数より多くなっています"))
            if row["viewed_on_portal"] > row["linkage_errors"] or row["resolved"] > row["linkage_errors"]:
                problems.append(Problem(number, COLUMNS["resolved"], "紐付け誤り件数より多くなっています"))
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem(2, "行", "データがありません"))
    if problems:
        raise PublishedFileRefused(problems)
    return rows


def import_published(session: Session, path: str | Path, dataset: str = "2023") -> int:
    """Load a published table as aggregate figures, replacing the dataset's previous load.

    All or nothing: a file with any problem is refused whole and the figures already
    loaded stay as they were. Returns the number of programs loaded.
    """
    if dataset not in DATASETS:
        raise DomainError(f"公表値の区分 {dataset} はありません（{', '.join(DATASETS)}）。")
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError(f"ファイルを開けません: {path.name}（{exc.strerror}）") from None
    rows = parse_published(data)
    programs = dict(session.execute(sa.select(Program.name, Program.id)).all())
    session.execute(sa.delete(PublishedFigure).where(PublishedFigure.dataset == dataset))
    session.add_all(
        PublishedFigure(
            dataset=dataset, position=position, program_name=row["program_name"],
            ministry_name=row["responsible_ministry"], program_id=programs.get(row["program_name"]),
            inspected_institutions=row["inspected_institutions"], inspected_records=row["inspected_records"],
            linkage_errors=row["linkage_errors"], viewed_on_portal=row["viewed_on_portal"],
            resolved=row["resolved"], main_cause=row["main_cause"] or None, source_filename=path.name,
        )
        for position, row in enumerate(rows, start=1)
    )
    session.flush()
    return len(rows)


def published_lines(session: Session, dataset: str) -> list[Line]:
    """The dataset's lines in their published order (empty when it was never imported)."""
    figures = session.scalars(
        sa.select(PublishedFigure).where(PublishedFigure.dataset == dataset).order_by(PublishedFigure.position)
    ).all()
    return [
        Line(label=f.program_name, ministry=f.ministry_name, program_id=f.program_id,
             agencies=f.inspected_institutions, records=f.inspected_records, errors=f.linkage_errors,
             viewed=f.viewed_on_portal, resolved=f.resolved, cause=f.main_cause or "")
        for f in figures
    ]


def imported_at(session: Session, dataset: str):
    return session.scalar(sa.select(sa.func.max(PublishedFigure.imported_at))
                          .where(PublishedFigure.dataset == dataset))
