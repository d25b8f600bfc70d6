"""Evidence files attached to a case (本人確認の証拠書類), stored encrypted like the registry facts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from caseflow.cases.models import Case
from caseflow.core.free_text import free_text
from caseflow.crypto.types import EncryptedBlob
from caseflow.db import Base, UTCDateTime, utcnow
from caseflow.users.models import User


class Evidence(Base):
    """One file: a PDF, JPEG or PNG (checked by its content), at most EVIDENCE_MAX_BYTES."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = free_text(sa.String(200))
    media_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # None once the case's retention period has passed (caseflow.retention).
    content: Mapped[bytes | None] = deferred(mapped_column(EncryptedBlob("evidence.content")))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disposed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    uploaded_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Evidence {self.id} case {self.case_id}>"
