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


class PublishedAgencyFigure(Base):
    """One agency's errors within a program, as a published report lists them (aggregate data).

    ``count_published`` is False where the report names the agency without a count (the only
    agency of its program: the count is the program's).
    """

    __tablename__ = "published_agency_figures"
    __table_args__ = (sa.UniqueConstraint("dataset", "program_name", "agency_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(sa.String(40), index=True)
    position: Mapped[int]
    program_name: Mapped[str] = mapped_column(sa.String(200))
    agency_name: Mapped[str] = mapped_column(sa.String(200))
    linkage_errors: Mapped[int]
    count_published: Mapped[bool]
    remark: Mapped[str | None] = mapped_column(sa.Text)  # CaseFlow's, not the report's (e.g. a misprint)
    source_filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PublishedNote(Base):
    """A figure of a published report outside its tables (a footnote, a sentence, a cell's note), with its text.

    ``shown`` is the figure as printed (「約67万件」, 「3.6%」; empty for a note without one) and
    ``text`` the sentence it is printed in, word for word.
    """

    __tablename__ = "published_notes"
    __table_args__ = (sa.UniqueConstraint("dataset", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(sa.String(40), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(80))
    section: Mapped[str] = mapped_column(sa.String(40))  # caseflow.reports.published_tables.SECTIONS
    placement: Mapped[str] = mapped_column(sa.String(20))  # body, footnote or cell
    marker: Mapped[str | None] = mapped_column(sa.String(10))  # ※1
    program_name: Mapped[str | None] = mapped_column(sa.String(200))
    shown: Mapped[str | None] = mapped_column(sa.String(60))
    text: Mapped[str] = mapped_column(sa.Text)
    remark: Mapped[str | None] = mapped_column(sa.Text)  # CaseFlow's, not the report's
    source_filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PublishedGrade(Base):
    """One grade (A/B/C) of the support tool's results in a published report."""

    __tablename__ = "published_grades"
    __table_args__ = (sa.UniqueConstraint("dataset", "grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(sa.String(40), index=True)
    position: Mapped[int]
    grade: Mapped[str] = mapped_column(sa.String(1))
    label: Mapped[str] = mapped_column(sa.String(40))  # 確認不要
    description: Mapped[str] = mapped_column(sa.String(200))  # 完全一致
    records: Mapped[int] = mapped_column(sa.BigInteger)
    approximate: Mapped[bool]  # printed with 約
    share_percent: Mapped[int]
    source_filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PublishedTrialLine(Base):
    """One kind of mismatch in a published trial: its error rate and the mismatches left to check.

    The rate is kept as printed (「3.6」, 「0.025」 percent): a text read as a Decimal, never a float.
    """

    __tablename__ = "published_trial_lines"
    __table_args__ = (sa.UniqueConstraint("dataset", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(sa.String(40), index=True)
    position: Mapped[int]
    mark: Mapped[str] = mapped_column(sa.String(4))  # ①
    kind: Mapped[str] = mapped_column(sa.String(40))  # the kind of mismatch (caseflow.reports.estimate.KINDS)
    label: Mapped[str] = mapped_column(sa.String(100))
    error_rate_percent: Mapped[str] = mapped_column(sa.String(20))
    remaining: Mapped[int] = mapped_column(sa.BigInteger)
    remaining_approximate: Mapped[bool]
    source_filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
