"""The record of administration changes (organisations, programs, users): append-only, hash-chained.

Like the access records (caseflow.audit): each row carries the hash of the one before and its
position, the database refuses UPDATE and DELETE (triggers, migration 0024), and one head row,
locked while a change is added, holds the chain's end.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.users.models import User


class ChangeSubject(enum.StrEnum):
    ORGANIZATION = "organization"
    PROGRAM = "program"
    USER = "user"

    @property
    def label(self) -> str:
        return {"organization": "組織", "program": "事務", "user": "利用者"}[self.value]


class ChangeAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    LETTERHEAD = "letterhead"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    SECOND_FACTOR_RESET = "second_factor_reset"
    UNLOCKED = "unlocked"
    PASSWORD_RESET = "password_reset"

    @property
    def label(self) -> str:
        return {
            "created": "登録",
            "updated": "変更",
            "letterhead": "差出人情報の変更",
            "deactivated": "無効化",
            "reactivated": "再有効化",
            "second_factor_reset": "確認コードの再設定",
            "unlocked": "ロックの解除",
            "password_reset": "パスワードの再設定",
        }[self.value]


class AdminChange(Base):
    """One change made by an administrator: who, when, to what, and each field's value before and after.

    ``changes`` maps a field to ``[before, after]`` (plain JSON values); secrets (passwords, the
    second factor's key, session tokens) never go in it, only the fact that they changed.
    ``subject_label`` is the object's name or login when changed, so the record reads the same
    after a rename.
    """

    __tablename__ = "admin_changes"
    __table_args__ = (sa.Index("ix_admin_changes_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3 … with no gap: a removed record breaks the sequence as well as the chain.
    position: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    subject: Mapped[ChangeSubject] = mapped_column(str_enum(ChangeSubject, "admin_change_subject"))
    subject_id: Mapped[int]
    subject_label: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[ChangeAction] = mapped_column(str_enum(ChangeAction, "admin_change_action"))
    changes: Mapped[dict] = free_text(sa.JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    actor: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<AdminChange {self.position} {self.subject.value} {self.subject_id} {self.action.value}>"


class AdminChainHead(Base):
    """The one row holding the chain's last hash, locked while a change is added."""

    __tablename__ = "admin_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    records: Mapped[int] = mapped_column(default=0)
