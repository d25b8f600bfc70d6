"""Published aggregate figures (e.g. the 2023 inspection) and frozen month-end snapshots."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import Base, UTCDateTime, utcnow
from caseflow.organizations.models import Program
from caseflow.users.models import User


class PublishedFigure(Base):
    """One program's line of a published table: aggregate data, no case behind it."""

    __tablename__ = "published_figures"
    __table_args__ = (sa.UniqueConstraint("dataset", "program_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which publication, e.g. "2023" for the マイナンバー情報総点検 of 2023.
    dataset: Mapped[str] = mapped_column(sa.String(40), index=True)
    position: Mapped[int]  # the line's place in the published table
    program_name: Mapped[str] = mapped_column(sa.String(200))
    ministry_name: Mapped[str] = mapped_column(sa.String(200))
    # The program of this installation with the same name, when there is one.
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"))
    inspected_institutions: Mapped[int]
    inspected_records: Mapped[int] = mapped_column(sa.BigInteger)
    linkage_errors: Mapped[int]
    viewed_on_portal: Mapped[int]
    resolved: Mapped[int]
    main_cause: Mapped[str | None] = mapped_column(sa.Text)
    source_filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    program: Mapped[Program | None] = relationship()


class ReportSnapshot(Base):
    """The national figures frozen at a month end, so that months can be compared.

    ``rows`` holds the figures per (program, agency) — the finest grain every table is
    built from — so each viewer later sees only the part of a snapshot within their rights.
    """

    __tablename__ = "report_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[dt.date] = mapped_column(unique=True)  # the month end it stands for
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None when taken from the server's command line (cron)
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rows: Mapped[list] = mapped_column(sa.JSON)
    causes: Mapped[list] = mapped_column(sa.JSON)

    taken_by: Mapped[User | None] = relationship(lazy="joined")
