"""Attaching evidence to a case and handing it out, each download recorded in the access records."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from caseflow.audit.operations import append_record
from caseflow.cases.kernel import flush_case, record_event
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.evidence.models import Evidence
from caseflow.policy import Permission, clause, require
from caseflow.users.models import User

# The largest file accepted; a scan of a card or a resident record is well below it.
EVIDENCE_MAX_BYTES = 10 * 1024**2
EVIDENCE_PER_CASE = 20
FILENAME_MAX = 200
# What a file's first bytes say it is: only these are taken, whatever its name says.
MEDIA_TYPES = (
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)
ACCEPTED = "、".join(label for _magic, _type, label in MEDIA_TYPES)
# While a case is decided and corrected, its evidence may grow; a closed case keeps what it has.
OPEN_FOR_EVIDENCE = (CaseStatus.VERIFYING, CaseStatus.CONFIRMED, CaseStatus.CORRECTED)


def media_type_of(data: bytes) -> str | None:
    """The media type the content is (PDF, JPEG or PNG), or None."""
    return next((media for magic, media, _label in MEDIA_TYPES if data.startswith(magic)), None)


def add_evidence(session: Session, actor: User, case: Case, *, filename: str | None, data: bytes) -> Evidence:
    """Attach a file to ``case`` (its linking agency's staff, while the case is being decided or corrected).

    The type is decided by the content, not the name; the file is stored encrypted; the timeline
    records it.
    """
    require(actor, Permission.CASE_ACT, case, action="証拠書類の登録")
    if case.status not in OPEN_FOR_EVIDENCE:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、証拠書類を登録できません。")
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    if not name:
        raise DomainError("登録するファイルを選択してください。")
    if len(name) > FILENAME_MAX:
        raise DomainError(f"ファイル名は{FILENAME_MAX}文字以内にしてください。")
    if not data:
        raise DomainError("ファイルが空です。")
    if len(data) > EVIDENCE_MAX_BYTES:
        raise DomainError(f"証拠書類は1ファイル{EVIDENCE_MAX_BYTES // 1024**2} MBまでです。")
    media_type = media_type_of(data)
    if media_type is None:
        raise DomainError(f"証拠書類は {ACCEPTED} のファイルだけ登録できます（ファイルの内容で判定しています）。")
    count = session.scalar(sa.select(sa.func.count()).select_from(Evidence).where(Evidence.case_id == case.id))
    if count >= EVIDENCE_PER_CASE:
        raise DomainError(f"1つの案件に登録できる証拠書類は{EVIDENCE_PER_CASE}件までです。")
    evidence = Evidence(case=case, filename=name, media_type=media_type, size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_by_id=actor.id)
    session.add(evidence)
    session.flush()
    record_event(case, actor, "add_evidence", evidence_id=evidence.id, filename=evidence.filename,
                 size=evidence.size, media_type=media_type)
    flush_case(case)
    return evidence


def evidence_of(session: Session, case: Case) -> list[Evidence]:
    """The case's files, oldest first (without their content)."""
    return list(session.scalars(sa.select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)
                                .options(lazyload(Evidence.case))))  # the case is loaded already


def get_visible_evidence(session: Session, actor: User, evidence_id: int) -> Evidence:
    """A file of a case whose people's facts ``actor`` may see; any other is 'not found'."""
    evidence = session.scalars(sa.select(Evidence).join(Evidence.case).where(
        Evidence.id == evidence_id, clause(actor, Permission.CASE_FACTS, Case))).one_or_none()
    if evidence is None:
        raise NotFound("証拠書類が見つかりません。")
    return evidence


def open_evidence(session: Session, actor: User, evidence: Evidence, *, remote_addr: str | None) -> bytes:
    """The file's bytes for ``actor``; the download is recorded first in the access records."""
    require(actor, Permission.CASE_FACTS, evidence.case, action="証拠書類の表示")
    if evidence.disposed_at is not None or evidence.content is None:
        raise DomainError("保存期間を過ぎたため、この証拠書類は廃棄されています。")
    append_record(session, actor, evidence.case, what="evidence",
                  purpose=f"証拠書類「{evidence.filename}」の表示（{evidence.id}）", remote_addr=remote_addr)
    return evidence.content


def dispose_evidence(evidence: Evidence) -> str:
    """Delete a file's content at the end of its case's retention period; returns what was deleted."""
    evidence.content = None
    evidence.disposed_at = utcnow()
    return f"証拠書類「{evidence.filename}」"
