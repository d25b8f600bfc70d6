"""The access records and the head of their hash chain."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, utcnow


class AccessRecord(Base):
    """One display of protected data (a full My Number), or one search by a My Number. Each row carries the
    hash of the one before."""

    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1, 2, 3 … with no gap: a removed record breaks the sequence as well as the chain.
    position: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # None for a use that concerned no case: a My Number search that found nothing (caseflow.cases.search).
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    what: Mapped[str] = mapped_column(sa.String(40))  # e.g. "my_number"
    purpose: Mapped[str] = mapped_column(sa.String(200))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    previous_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AccessChainHead(Base):
    """The one row that holds the chain's last hash: locked while a record is added, so that
    two records written at once never both claim the same predecessor."""

    __tablename__ = "access_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    records: Mapped[int] = mapped_column(default=0)
