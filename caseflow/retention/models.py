"""The disposal records: what was deleted, when, and by which rule. Append-only."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db import Base, UTCDateTime, utcnow


class Disposal(Base):
    """One deletion of personal data at the end of its retention period.

    ``subject`` says what held the data (a case, a letter, a print run's files); ``what`` lists
    what was deleted, in Japanese, as the export shows it; ``rule`` the retention rule applied.
    """

    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    subject: Mapped[str] = mapped_column(sa.String(20))  # case | letter | print_run | evidence
    subject_id: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    what: Mapped[str] = mapped_column(sa.Text)
    rule: Mapped[str] = mapped_column(sa.String(200))
    # Where the retention period was counted from (the case's notification or dismissal).
    closed_on: Mapped[dt.date | None]
