"""Recording a display of a full My Number, and checking that no record was changed or removed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.audit.models import AccessChainHead, AccessRecord
from caseflow.cases.models import Case
from caseflow.core import free_text
from caseflow.core.limits import PURPOSE_MAX
from caseflow.core.params import required_text
from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.policy import Permission, may, require
from caseflow.users.models import User

GENESIS = "0" * 64
WHAT_LABELS = {"my_number": "個人番号（全桁）", "personal_facts": "本人の情報（氏名・カナ・生年月日・性別・住所・送付先）",
               "evidence": "証拠書類", "number_search": "個人番号による案件の検索"}
DISPOSED_MESSAGE = "保存期間を過ぎたため、この案件の本人の情報（個人番号を含む）は廃棄されています。"


def row_hash(previous_hash: str, *, position: int, occurred_at: dt.datetime, user_id: int, case_id: int | None,
             what: str, purpose: str, remote_addr: str | None) -> str:
    """SHA-256 over the previous hash and the record's fields, in a fixed canonical form."""
    body = json.dumps(
        [previous_hash, position, occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), user_id,
         case_id, what, purpose, remote_addr],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def reveal_number(session: Session, actor: User, case: Case, *, purpose: str, remote_addr: str | None) -> str:
    """The case's full My Number for ``actor``, recorded first; only the holding agency's staff may ask.

    The purpose (e.g. 住基照会のため) is required: a display without a reason is not recorded, so not given.
    """
    require(actor, Permission.NUMBER_REVEAL, case)
    if case.facts_disposed_at is not None:
        raise DomainError(DISPOSED_MESSAGE)
    purpose = _purpose(purpose, "個人番号を表示する目的を入力してください。")
    append_record(session, actor, case, what="my_number", purpose=purpose, remote_addr=remote_addr)
    return case.registered_number


def reveal_personal_facts(session: Session, actor: User, case: Case, *, purpose: str,
                          remote_addr: str | None) -> None:
    """Record that ``actor``, who oversees ``case`` (a ministry, the Digital Agency), is shown its people's facts.

    The caller has loaded the case within the actor's rights; the facts are shown only once this is recorded.
    """
    if may(actor, Permission.CASE_FACTS, case):
        raise DomainError("この案件の本人の情報は、既に表示できる権限があります。")
    if case.facts_disposed_at is not None:
        raise DomainError(DISPOSED_MESSAGE)
    purpose = _purpose(purpose, "本人の情報を表示する目的を入力してください。")
    append_record(session, actor, case, what="personal_facts", purpose=purpose, remote_addr=remote_addr)


def _purpose(purpose: str | None, missing: str) -> str:
    return required_text(purpose, missing, PURPOSE_MAX, "表示の目的は")


def append_record(session: Session, actor: User, case: Case | None, *, what: str, purpose: str,
                  remote_addr: str | None) -> AccessRecord:
    """Add one record at the end of the chain (the head row is locked until the transaction ends).

    ``case`` is None for a use that concerned no case (a My Number search that found nothing)."""
    # Masked here, not at the flush: the hash is taken over the purpose as stored.
    purpose = free_text.guard(session, purpose)
    head = session.scalars(sa.select(AccessChainHead).where(AccessChainHead.id == 1).with_for_update()).first()
    if head is None:
        head = AccessChainHead(id=1, last_hash=GENESIS, records=0)
        session.add(head)
        session.flush()
    record = AccessRecord(position=head.records + 1, occurred_at=utcnow(), user_id=actor.id,
                          case_id=case.id if case is not None else None,
                          what=what, purpose=purpose, remote_addr=(remote_addr or "")[:64] or None,
                          previous_hash=head.last_hash)
    record.row_hash = _hash_of(record)
    session.add(record)
    head.last_hash, head.records = record.row_hash, record.position
    session.flush()
    return record


def _hash_of(record: AccessRecord) -> str:
    return row_hash(record.previous_hash, position=record.position, occurred_at=record.occurred_at,
                    user_id=record.user_id, case_id=record.case_id, what=record.what, purpose=record.purpose,
                    remote_addr=record.remote_addr)


@dataclass(frozen=True)
class Verification:
    records: int
    broken_at: int | None  # position of the first record that does not fit the chain
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, batch: int = 10_000) -> Verification:
    """Walk the access records in order (see ``verify_hash_chain``)."""
    return verify_hash_chain(session, AccessRecord, AccessChainHead, _hash_of, batch=batch)


def verify_hash_chain(session: Session, model, head_model, hash_of: Callable[[object], str], *,
                      batch: int = 10_000, release: bool = True) -> Verification:
    """Walk an append-only, hash-chained record (``position``, ``previous_hash``, ``row_hash``, and a
    one-row head with ``last_hash`` and ``records``) in order: positions without gaps, each link and
    hash, and the head must match. The access records and the administration's changes use it.
    ``release``: forget each batch once checked (a long walk from the command line; not inside a
    request, whose session still holds the user)."""
    previous, count = GENESIS, 0
    while True:
        rows = session.scalars(sa.select(model).where(model.position > count)
                               .order_by(model.position).limit(batch)).all()
        if not rows:
            break
        for record in rows:
            if record.position != count + 1 or record.previous_hash != previous:
                return Verification(count, count + 1, "記録が削除または挿入されています")
            if hash_of(record) != record.row_hash:
                return Verification(count, record.position, "記録の内容が書き換えられています")
            previous, count = record.row_hash, record.position
        if release:
            session.expunge_all()
    head = session.get(head_model, 1)
    if head is not None and (head.last_hash != previous or head.records != count):
        return Verification(count, count + 1, "最後の記録が削除されています")
    return Verification(count, None)
