"""Letters to residents (通知文書), their document numbers, and print runs.

An issued letter keeps the exact PDF it was issued with (and its SHA-256 and the data
snapshot it was rendered from): a reprint hands out the same bytes. Document numbers are
sequential per organisation and fiscal year and never reused, a voided letter keeps its own.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import LabelledEnum, Party
from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.jobs.models import Job
from caseflow.letters.kinds import PARTIES, TITLES
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import User


class LetterKind(LabelledEnum):
    """The kinds of letter (caseflow/letters/kinds.py): the value names the template."""

    BANK_ACCOUNT = "bank_account", TITLES["bank_account"]
    APOLOGY = "apology", TITLES["apology"]
    VIEWED_NOTICE = "viewed_notice", TITLES["viewed_notice"]
    HOLDER_NOTICE = "holder_notice", TITLES["holder_notice"]

    @property
    def party(self) -> Party:
        """Whom a letter of this kind is addressed to (caseflow.letters.kinds.PARTIES)."""
        return PARTIES[self.value]


class LetterStatus(LabelledEnum):
    ISSUED = "issued", "発行済"
    VOIDED = "voided", "無効"


class ReturnReason(LabelledEnum):
    """Why Japan Post brought a letter back (返戻理由)."""

    UNKNOWN_ADDRESS = "unknown_address", "宛所に尋ねあたりません（宛所不明）"
    MOVED = "moved", "転居先不明"
    REFUSED = "refused", "受取拒絶"
    UNCLAIMED = "unclaimed", "保管期間経過"
    OTHER = "other", "その他"


class PrintRunStatus(LabelledEnum):
    QUEUED = "queued", "作成待ち"
    READY = "ready", "作成済（未印刷）"
    FAILED = "failed", "作成失敗"
    PRINTED = "printed", "印刷済"
    MAILED = "mailed", "発送済"


class DocumentNumberSequence(Base):
    """The last serial number given out, per organisation and fiscal year (April–March)."""

    __tablename__ = "document_number_sequences"

    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class Recipient(Base):
    """Where one party's letters about a case go (送付先), entered by the caseworker.

    Each part may be missing while it is being entered; ``recipient_problems`` names what is
    missing before a letter can be issued. Deleted (the row) at the end of the case's retention period.
    """

    __tablename__ = "recipients"
    __table_args__ = (sa.UniqueConstraint("case_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))  # indexed by the unique constraint
    party: Mapped[Party] = mapped_column(str_enum(Party, "recipient_party"))
    name: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(8))
    address: Mapped[str | None] = mapped_column(sa.Text)  # up to three lines
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def address_lines(self) -> list[str]:
        return (self.address or "").splitlines()

    def __repr__(self) -> str:
        # Never the name or the address: reprs end up in logs and tracebacks.
        return f"<Recipient {self.id} case {self.case_id} {self.party}>"


_VALID_LETTER = "status = 'issued'"


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        # The database's own guarantee that a number is never given twice.
        sa.UniqueConstraint("organization_id", "fiscal_year", "serial"),
        # One valid letter per case, kind and party (a voided one may be issued again).
        sa.Index("uq_letters_valid_kind_party", "case_id", "kind", "party", unique=True,
                 postgresql_where=sa.text(_VALID_LETTER), sqlite_where=sa.text(_VALID_LETTER)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    kind: Mapped[LetterKind] = mapped_column(str_enum(LetterKind, "letter_kind"))
    # Whom it was addressed to: the kind's party when it was issued.
    party: Mapped[Party] = mapped_column(str_enum(Party, "letter_party"))
    status: Mapped[LetterStatus] = mapped_column(str_enum(LetterStatus, "letter_status"),
                                                 default=LetterStatus.ISSUED)
    fiscal_year: Mapped[int]
    serial: Mapped[int]
    document_number: Mapped[str] = mapped_column(sa.String(60))
    issued_on: Mapped[dt.date]
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # What the letter was rendered from (a plain dict; never a My Number) and what came out.
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    # The PDF and the postal code are None once the case's retention period has passed (caseflow.retention).
    pdf: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pages: Mapped[int]
    postal_code: Mapped[str | None] = mapped_column(sa.String(8))
    reprints: Mapped[int] = mapped_column(default=0)
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    void_reason: Mapped[str | None] = free_text()
    returned_on: Mapped[dt.date | None]
    return_reason: Mapped[ReturnReason | None] = mapped_column(str_enum(ReturnReason, "return_reason"))
    return_note: Mapped[str | None] = free_text()
    # When the PDF, the postal code and the recipient in the snapshot were deleted (caseflow.retention).
    disposed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id], lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Letter {self.id} {self.kind} {self.status}>"


class PrintRun(Base):
    """Issued letters printed together: one merged PDF, a manifest and a cover sheet."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"))
    kind: Mapped[LetterKind | None] = mapped_column(str_enum(LetterKind, "print_run_kind"))
    status: Mapped[PrintRunStatus] = mapped_column(str_enum(PrintRunStatus, "print_run_status"),
                                                   default=PrintRunStatus.QUEUED)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    built_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    printed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    printed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    mailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    mailed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    letters_count: Mapped[int] = mapped_column(default=0)
    held_count: Mapped[int] = mapped_column(default=0)
    pages_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    # When the run's files were deleted because one of its letters' cases reached the end of its
    # retention period (caseflow.retention); each letter keeps its own record.
    files_disposed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    program: Mapped[Program | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    job: Mapped[Job | None] = relationship(lazy="joined")
    entries: Mapped[list[PrintRunLetter]] = relationship(back_populates="print_run",
                                                         order_by="PrintRunLetter.position", lazy="select")

    def __repr__(self) -> str:
        return f"<PrintRun {self.id} {self.status}>"


class PrintRunLetter(Base):
    """A letter's place in a print run, its pages there, or why it was held back."""

    __tablename__ = "print_run_letters"

    print_run_id: Mapped[int] = mapped_column(sa.ForeignKey("print_runs.id"), primary_key=True)
    letter_id: Mapped[int] = mapped_column(sa.ForeignKey("letters.id"), primary_key=True, index=True)
    position: Mapped[int]
    pages: Mapped[int | None]
    held_reason: Mapped[str | None] = mapped_column(sa.Text)

    print_run: Mapped[PrintRun] = relationship(back_populates="entries")
    letter: Mapped[Letter] = relationship(lazy="joined", innerjoin=True)
