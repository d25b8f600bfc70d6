"""Starting and running inspection batches: files in, grades out, a case for every B and C."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.kernel import open_cases
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import Grade
from caseflow.core import storage
from caseflow.db import utcnow
from caseflow.errors import DomainError, PermissionDenied
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.matching.partitioned import FilesRefused, PartsGrader, grade_files
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.policy import Permission, require
from caseflow.surveys.obligations import obligation_for_batch
from caseflow.users.models import User

Progress = Callable[[int, int, str], None]

# Case verdict keys (the case page's FACT_FIELDS) from the grader's field names.
_VERDICT_KEYS = {"name": "name", "kana": "name_kana", "birth_date": "birth_date", "sex": "sex",
                 "address": "address"}
MAX_PROBLEMS_KEPT = 1_000
RESULT_FILE = "result.csv"


def batch_directory(root: str | Path, batch_id: int) -> Path:
    """The batch's folder under the shared storage ``root`` (caseflow.core.storage.files_root)."""
    return Path(root) / "inspections" / str(batch_id)


def _check_may_inspect(actor: User | None, agency: Organization, program: Program) -> None:
    if actor is not None:  # None: the server's own command line
        require(actor, Permission.INSPECTION_START, agency)
    if agency.kind is OrganizationKind.MINISTRY:
        raise PermissionDenied("制度所管省庁は点検を登録できません。")
    if not program.is_linked_by(agency):
        raise DomainError(f"{agency.name}は「{program.name}」の紐付け実施機関ではないため、この事務の点検は登録できません"
                          f"（この事務を紐付けるのは{program.linking_labels}です）。")


# (file name, content): the content as bytes, or a binary stream (an upload, an open file) read in chunks.
Upload = tuple[str, "bytes | BinaryIO"]
UPLOADS = (("records", "業務データ"), ("registry", "住民基本台帳データ"))


def start_inspection(session: Session, actor: User | None, *, agency: Organization, program: Program,
                     records: Upload, registry: Upload, root: str | Path) -> InspectionBatch:
    """Register a batch and keep its two files until the worker has graded them.

    ``records`` and ``registry`` are (filename, content); a stream is copied to the batch's folder
    in chunks (with its SHA-256 on the way), so an upload of any size never sits in memory; the
    folder is under the storage ``root`` every host reads, so any worker can grade it.
    Nothing is graded here; the caller commits and then queues ``run_inspection``.
    """
    _check_may_inspect(actor, agency, program)
    for (_key, label), (name, _content) in zip(UPLOADS, (records, registry), strict=True):
        if len(name) > 255:
            raise DomainError(f"{label}のファイル名が長すぎます。")
    batch = InspectionBatch(
        agency_id=agency.id, program_id=program.id, created_by_id=actor.id if actor else None,
        status=BatchStatus.QUEUED, records_filename=records[0], registry_filename=registry[0],
        records_sha256="", registry_sha256="", problems=[],
    )
    # The survey's obligation for this organisation and program, if its answers gave one (caseflow.surveys).
    obligation = obligation_for_batch(session, agency.id, program.id)
    batch.obligation_id = obligation.id if obligation is not None else None
    session.add(batch)
    session.flush()
    directory = batch_directory(root, batch.id)
    # Left over from a batch whose transaction was rolled back after its files were written
    # (its id is free again on SQLite): none of it belongs to this batch.
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        for (key, label), (_name, content) in zip(UPLOADS, (records, registry), strict=True):
            digest = storage.write_file(directory / upload_name(key, _name), content)
            if digest is None:
                raise DomainError(f"{label}のファイルが空です。")
            setattr(batch, f"{key}_sha256", digest)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return batch


def upload_name(key: str, filename: str) -> str:
    """Where an upload waits in its batch's folder: ``records.upload.csv`` …

    The original suffix stays, because the reader tells an .xls or a broken .xlsx by it.
    """
    suffix = Path(filename).suffix.casefold()
    return f"{key}.upload" + (suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else "")


def _upload(directory: Path, key: str, digest: str) -> Path:
    """The upload waiting in the batch's folder, once its content matches the digest taken when it arrived."""
    found = sorted(path for path in directory.glob(f"{key}.upload*")
                   if not path.name.endswith(storage.CHECKSUM_SUFFIX))
    if not found:
        raise DomainError("この点検のファイルが見つかりません（既に処理されたか、削除されています）。")
    return storage.verified(found[0], expected=digest)


def run_inspection(session: Session, batch: InspectionBatch, *, root: str | Path,
                   progress: Progress | None = None, grade_parts: PartsGrader | None = None) -> InspectionBatch:
    """Grade the batch's files and open a case for each B and C record.

    The files go through the same grader as ``caseflow grade`` (``grade_files``: in memory, or in
    hash partitions when they are large), and the cases of each graded part are opened once the
    result is written; ``grade_parts`` grades the partitions of large files (default: in this process; the job
    hands them to every running worker: caseflow.inspections.distributed). All or nothing: the
    caller commits once at the end. A file with structural problems
    leaves the batch ``refused`` with its (row, column, problem) list and opens no case. The
    uploaded files (they hold My Numbers) are deleted once read; the result file holds grades
    and verdicts only.
    """
    report = progress or (lambda done, total, message: None)
    directory = batch_directory(root, batch.id)
    batch.status = BatchStatus.RUNNING
    report(0, 4, "ファイルを読み込み、照合しています")
    existing = set(session.scalars(
        sa.select(Case.source_record_id).where(Case.agency_id == batch.agency_id,
                                               Case.program_id == batch.program_id)))
    opened = already = 0

    def open_graded(graded: pl.DataFrame) -> None:
        nonlocal opened, already
        report(2, 4, "B・C判定の案件を登録しています")
        new, old = open_batch_cases(session, batch, graded.filter(pl.col("grade") != "A"), existing, report)
        opened, already = opened + new, already + old

    def grading_progress(done: int, total: int, message: str) -> None:
        report(1, 4, message)

    savepoint = session.begin_nested()  # cases of parts graded before a refused one are not kept
    try:
        records = _upload(directory, "records", batch.records_sha256)
        registry = _upload(directory, "registry", batch.registry_sha256)
        partial = directory / f".{RESULT_FILE}.partial"
        summary = grade_files(records, registry, partial, workdir=directory, progress=grading_progress,
                              on_graded=open_graded, grade_parts=grade_parts)
    except FilesRefused as refused:
        savepoint.rollback()
        batch.status = BatchStatus.REFUSED
        batch.error = "　".join(f"{label}：{cause.message}" for label, cause in refused.refused.items())
        batch.problems = [
            {"file": label, "row": p.row, "column": p.column, "problem": p.problem}
            for label, cause in refused.refused.items() for p in cause.problems
        ][:MAX_PROBLEMS_KEPT]
        batch.finished_at = utcnow()
        _remove_uploads(directory)
        return batch
    savepoint.commit()
    storage.place(partial, directory / RESULT_FILE)
    batch.records_inspected = summary.records
    batch.count_a, batch.count_b, batch.count_c = (summary.counts.get(g, 0) for g in "ABC")
    batch.cases_opened, batch.cases_already_open = opened, already
    batch.status = BatchStatus.DONE
    batch.finished_at = utcnow()
    session.flush()
    _remove_uploads(directory)
    report(4, 4, "完了しました")
    return batch


def _remove_uploads(directory: Path) -> None:
    for key, _label in UPLOADS:
        for path in directory.glob(f"{key}.upload*"):  # with their checksums
            path.unlink(missing_ok=True)


def open_batch_cases(session: Session, batch: InspectionBatch, flagged: pl.DataFrame, existing: set[str],
                     progress: Progress | None = None) -> tuple[int, int]:
    """Open a ``detected`` case (through the case kernel, in bulk) per flagged record of ``batch``.

    A record that already has a case for this agency and program (``existing``: the same file
    imported again) opens none; the ids opened join ``existing``. Returns (opened, already open).
    """
    fresh = flagged.filter(~pl.col("record_id").is_in(list(existing))) if existing else flagged
    total = fresh.height

    def report(done: int) -> None:
        if progress:
            progress(2, 4, f"案件を登録しています（{done:,} / {total:,}件）")

    opened = open_cases(session, (_case_row(row, batch) for row in fresh.iter_rows(named=True)),
                        details={"batch_id": batch.id}, progress=report)
    existing.update(fresh["record_id"].to_list())
    return opened, flagged.height - opened


def _case_row(row: dict, batch: InspectionBatch) -> dict:
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
    }


def result_file(root: str | Path, batch: InspectionBatch) -> Path:
    """The batch's result file (grades and verdicts), checked against its checksum."""
    return storage.verified(batch_directory(root, batch.id) / RESULT_FILE)


def discard_batch_files(root: str | Path, batch_id: int) -> None:
    """Remove everything kept for a batch (used when its transaction is rolled back)."""
    shutil.rmtree(batch_directory(root, batch_id), ignore_errors=True)
