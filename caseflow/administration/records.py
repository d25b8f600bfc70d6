"""Writing, checking and reading the record of administration changes (``admin_changes``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.administration.models import AdminChainHead, AdminChange, ChangeAction, ChangeSubject
from caseflow.audit.operations import GENESIS, Verification, verify_hash_chain
from caseflow.core import free_text
from caseflow.db import utcnow
from caseflow.organizations.models import LETTERHEAD_FIELDS, OrganizationCategory, OrganizationKind
from caseflow.organizations.rules import FACT_LABELS
from caseflow.users.models import Role, User

# Fields that are never recorded, whatever a caller passes: secrets and what stands for them.
SECRET_FIELDS = frozenset({"password", "password_hash", "totp_secret", "totp_last_step", "session_token"})

FIELD_LABELS = {
    "code": "組織コード", "name": "名称", "category": "組織区分", "kind": "組織の種類", "prefecture": "都道府県",
    "facts_held": "保有する情報", "linking_categories": "紐付けを行う組織区分", "holder_notice": "番号の保有者へのお知らせ",
    "retention_years": "保存年数", "login": "ログインID", "display_name": "氏名（表示名）", "organization": "所属組織",
    "roles": "役割", "active": "状態", "second_factor": "確認コード", "locked_until": "ロックの期限",
    "failed_logins": "連続したログインの失敗", "password": "パスワード",
    **{f"letterhead.{key}": f"差出人：{label}" for key, label in LETTERHEAD_FIELDS.items()},
}


def changed(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, list]:
    """``{field: [before, after]}`` for the fields whose value differs (secrets left out)."""
    return {key: [before.get(key), after.get(key)] for key in after
            if key not in SECRET_FIELDS and before.get(key) != after.get(key)}


def row_hash(previous_hash: str, *, position: int, occurred_at: dt.datetime, actor_id: int, subject: str,
             subject_id: int, subject_label: str, action: str, changes: dict) -> str:
    """SHA-256 over the previous hash and the change's fields, in a fixed canonical form."""
    body = json.dumps(
        [previous_hash, position, occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), actor_id,
         subject, subject_id, subject_label, action, changes],
        ensure_ascii=False, separators=(",", ":"), sort_keys=True,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_change(session: Session, actor: User, subject: ChangeSubject, subject_id: int, subject_label: str,
                  action: ChangeAction, changes: dict[str, list] | None = None) -> AdminChange:
    """Add one change at the end of the chain (the head row stays locked until the transaction ends)."""
    changes = {key: value for key, value in (changes or {}).items() if key not in SECRET_FIELDS}
    # Masked here, not at the flush: the hash is taken over the values as stored.
    changes = free_text.guard(session, changes)
    head = session.scalars(sa.select(AdminChainHead).where(AdminChainHead.id == 1).with_for_update()).first()
    if head is None:
        head = AdminChainHead(id=1, last_hash=GENESIS, records=0)
        session.add(head)
        session.flush()
    record = AdminChange(position=head.records + 1, occurred_at=utcnow(), actor_id=actor.id, subject=subject,
                         subject_id=subject_id, subject_label=subject_label[:200], action=action, changes=changes,
                         previous_hash=head.last_hash)
    record.row_hash = _hash_of(record)
    session.add(record)
    head.last_hash, head.records = record.row_hash, record.position
    session.flush()
    return record


def _hash_of(record: AdminChange) -> str:
    return row_hash(record.previous_hash, position=record.position, occurred_at=record.occurred_at,
                    actor_id=record.actor_id, subject=ChangeSubject(record.subject).value,
                    subject_id=record.subject_id, subject_label=record.subject_label,
                    action=ChangeAction(record.action).value, changes=record.changes)


def verify_changes(session: Session, batch: int = 10_000) -> Verification:
    """Walk the record in order: positions without gaps, each link and hash, and the head must match."""
    return verify_hash_chain(session, AdminChange, AdminChainHead, _hash_of, batch=batch, release=False)


CHANGES_PER_PAGE = 100


@dataclass(frozen=True)
class ChangePage:
    changes: list[AdminChange]
    total: int
    page: int
    pages: int


def changes_page(session: Session, *, subject: ChangeSubject | None = None, subject_id: int | None = None,
                 page: int = 1) -> ChangePage:
    """The newest changes first, of one kind of object (or one object) when asked."""
    conditions = []
    if subject is not None:
        conditions.append(AdminChange.subject == subject)
        if subject_id is not None:
            conditions.append(AdminChange.subject_id == subject_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(AdminChange).where(*conditions)) or 0
    pages = max(1, -(-total // CHANGES_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = session.scalars(sa.select(AdminChange).where(*conditions).order_by(AdminChange.position.desc())
                           .offset((page - 1) * CHANGES_PER_PAGE).limit(CHANGES_PER_PAGE)).all()
    return ChangePage(list(rows), total, page, pages)


# --- how a recorded value reads on the page ----------------------------------------------------


def _labels(values, label_of) -> str:
    return "・".join(label_of(value) for value in values) if values else "（なし）"


def _enum_label(enum_cls):
    def label(value):
        if value is None:
            return "（なし）"
        try:
            return enum_cls(value).label
        except ValueError:
            return str(value)
    return label


_SHOWN = {
    "category": _enum_label(OrganizationCategory),
    "kind": _enum_label(OrganizationKind),
    "roles": lambda values: _labels(values, _enum_label(Role)),
    "facts_held": lambda values: _labels(values, lambda fact: FACT_LABELS.get(fact, fact)),
    "linking_categories": lambda values: _labels(values, _enum_label(OrganizationCategory))
    if values else "指定なし（紐付け実施機関すべて）",
    "active": lambda value: "有効" if value else "無効",
    "second_factor": lambda value: "設定済み" if value else "未設定",
    "holder_notice": lambda value: "送る" if value else "送らない",
    "retention_years": lambda value: f"{value}年" if value else "既定の期間",
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def shown(field: str, value) -> str:
    """A recorded value as the 変更履歴 page prints it."""
    if field in _SHOWN:
        return _SHOWN[field](value)
    if value is None or value == "":
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value)
