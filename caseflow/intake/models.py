"""The numbering of management numbers generated for cases opened by hand without one (M-000001 …)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base


class IntakeSerial(Base):
    """The last serial given to a hand-opened case of an agency that had no management number."""

    __tablename__ = "intake_serials"

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)
