"""Starting and running inspection batches: files in, grades out, a case for every B and C."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.access import STAFF_ROLES
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.core.business_days import add_business_days
from caseflow.core.japanese import today_jst
from caseflow.db import utcnow
from caseflow.errors import DomainError, PermissionDenied
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.matching.extracts import ExtractRefused, read_extract
from caseflow.matching.grading import grade, write_result
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.users.models import User

Progress = Callable[[int, int, str], None]

# Case verdict keys (the case page's FACT_FIELDS) from the grader's field names.
_VERDICT_KEYS = {"name": "name", "kana": "name_kana", "birth_date": "birth_date", "sex": "sex",
                 "address": "address"}
# A new case is due this many business days (開庁日) after it is detected.
CASE_DUE_BUSINESS_DAYS = 10
_INSERT_CHUNK = 5_000
MAX_PROBLEMS_KEPT = 1_000


def batch_directory(instance_path: str | Path, batch_id: int) -> Path:
    return Path(instance_path) / "inspections" / str(batch_id)


def _check_may_inspect(actor: User | None, agency: Organization) -> None:
    if actor is None:  # the server's own command line
        return
    if actor.organization_id != agency.id or not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("点検は、紐付け実施機関の担当職員または承認者のみが登録できます。")
    if agency.kind is OrganizationKind.MINISTRY:
        raise PermissionDenied("制度所管省庁は点検を登録できません。")


def start_inspection(session: Session, actor: User | None, *, agency: Organization, program: Program,
                     records: tuple[str, bytes], registry: tuple[str, bytes],
                     instance_path: str | Path) -> InspectionBatch:
    """Register a batch and keep its two files until the worker has graded them.

    ``records`` and ``registry`` are (filename, content). Nothing is graded
    here; the caller commits and then queues ``run_inspection``.
    """
    _check_may_inspect(actor, agency)
    for label, (name, content) in (("業務データ", records), ("住民基本台帳データ", registry)):
        if not content:
            raise DomainError(f"{label}のファイルが空です。")
        if len(name) > 255:
            raise DomainError(f"{label}のファイル名が長すぎます。")
    batch = InspectionBatch(
        agency_id=agency.id, program_id=program.id, created_by_id=actor.id if actor else None,
        status=BatchStatus.QUEUED,
        records_filename=records[0], registry_filename=registry[0],
        records_sha256=hashlib.sha256(records[1]).hexdigest(),
        registry_sha256=hashlib.sha256(registry[1]).hexdigest(),
        problems=[],
    )
    session.add(batch)
    session.flush()
    directory = batch_directory(instance_path, batch.id)
    # Left over from a batch whose transaction was rolled back after its files were written
    # (its id is free again on SQLite): none of it belongs to this batch.
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "records.upload").write_bytes(records[1])
    (directory / "registry.upload").write_bytes(registry[1])
    return batch


def run_inspection(session: Session, batch: InspectionBatch, *, instance_path: str | Path,
                   progress: Progress | None = None) -> InspectionBatch:
    """Grade the batch's files and open a case for each B and C record.

    All or nothing: the caller commits once at the end. A file with structural
    problems leaves the batch ``refused`` with its (row, column, problem) list
    and opens no case. The uploaded files (they hold My Numbers) are deleted
    once read; the result file holds grades and verdicts only.
    """
    report = progress or (lambda done, total, message: None)
    directory = batch_directory(instance_path, batch.id)
    batch.status = BatchStatus.RUNNING
    report(0, 4, "ファイルを読み込んでいます")
    try:
        records = _read(directory / "records.upload", "records", batch.records_filename, "業務データ")
        registry = _read(directory / "registry.upload", "registry", batch.registry_filename, "住民基本台帳データ")
    except _Refused as refused:
        batch.status = BatchStatus.REFUSED
        batch.error = f"{refused.label}：{refused.cause.message}"
        batch.problems = [
            {"file": refused.label, "row": p.row, "column": p.column, "problem": p.problem}
            for p in refused.cause.problems[:MAX_PROBLEMS_KEPT]
        ]
        batch.finished_at = utcnow()
        _remove_uploads(directory)
        return batch

    report(1, 4, f"{records.height:,}件を照合しています")
    graded = grade(records, registry)
    write_result(graded, directory / "result.csv")

    report(2, 4, "B・C判定の案件を登録しています")
    counts = graded["grade"].value_counts()
    by_grade = dict(zip(counts["grade"].to_list(), counts["count"].to_list(), strict=True))
    batch.records_inspected = graded.height
    batch.count_a, batch.count_b, batch.count_c = (by_grade.get(g, 0) for g in "ABC")
    opened, existing = open_cases(session, batch, graded.filter(pl.col("grade") != "A"), progress=report)
    batch.cases_opened, batch.cases_already_open = opened, existing
    batch.status = BatchStatus.DONE
    batch.finished_at = utcnow()
    session.flush()
    _remove_uploads(directory)
    report(4, 4, "完了しました")
    return batch


class _Refused(Exception):
    def __init__(self, label: str, cause: ExtractRefused) -> None:
        super().__init__(label)
        self.label, self.cause = label, cause


def _read(path: Path, kind: str, filename: str, label: str) -> pl.DataFrame:
    try:
        return read_extract(path, kind=kind, filename=filename)
    except ExtractRefused as refused:
        raise _Refused(label, refused) from refused


def _remove_uploads(directory: Path) -> None:
    for name in ("records.upload", "registry.upload"):
        (directory / name).unlink(missing_ok=True)


def open_cases(session: Session, batch: InspectionBatch, flagged: pl.DataFrame,
               progress: Progress | None = None) -> tuple[int, int]:
    """Insert a ``detected`` case (and its detection event) per flagged record, in bulk.

    A record that already has a case for this agency and program (the same
    file imported again) opens none. Returns (opened, already open).
    """
    existing = set(session.scalars(
        sa.select(Case.source_record_id).where(Case.agency_id == batch.agency_id,
                                               Case.program_id == batch.program_id)))
    fresh = flagged.filter(~pl.col("record_id").is_in(list(existing))) if existing else flagged
    now = utcnow()
    due = add_business_days(today_jst(), CASE_DUE_BUSINESS_DAYS)
    total = fresh.height
    for start in range(0, total, _INSERT_CHUNK):
        rows = [_case_row(row, batch, now, due) for row in fresh.slice(start, _INSERT_CHUNK).iter_rows(named=True)]
        inserted = session.execute(sa.insert(Case).returning(Case.id, Case.grade, sort_by_parameter_order=True),
                                   rows).all()
        session.execute(sa.insert(CaseEvent), [
            {"case_id": case_id, "actor_id": None, "trigger": "detect", "from_status": None,
             "to_status": CaseStatus.DETECTED, "created_at": now,
             "details": {"grade": case_grade.value, "batch_id": batch.id}}
            for case_id, case_grade in inserted
        ])
        if progress:
            progress(2, 4, f"案件を登録しています（{min(start + _INSERT_CHUNK, total):,} / {total:,}件）")
    return total, flagged.height - total


def _case_row(row: dict, batch: InspectionBatch, now: dt.datetime, due: dt.date) -> dict:
    return {
        "program_id": batch.program_id,
        "agency_id": batch.agency_id,
        "batch_id": batch.id,
        "source_record_id": row["record_id"],
        "registered_number": (row["lookup_number"] or row["my_number"] or "")[:12],
        "record_name": row["rec_name"], "record_kana": row["rec_name_kana"],
        "record_birth_date": row["birth_date"], "record_sex": row["sex"], "record_address": row["rec_address"],
        "registry_name": row["reg_name"], "registry_kana": row["reg_name_kana"],
        "registry_birth_date": row["reg_birth_date"], "registry_sex": row["reg_sex"],
        "registry_address": row["reg_address"],
        "grade": Grade(row["grade"]),
        "field_verdicts": {key: row[f"verdict_{field}"] for key, field in _VERDICT_KEYS.items()},
        "grade_reason": row["reason"],
        "status": CaseStatus.DETECTED,
        "due_date": due,
        "detected_at": now,
        "updated_at": now,
        "version": 1,
    }


def discard_batch_files(instance_path: str | Path, batch_id: int) -> None:
    """Remove everything kept for a batch (used when its transaction is rolled back)."""
    shutil.rmtree(batch_directory(instance_path, batch_id), ignore_errors=True)
