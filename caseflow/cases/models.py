"""Cases, their append-only event log, and the proposals a second person decides (corrections, dismissals)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from caseflow.cases.vocabulary import (
    CaseSource,
    CaseStatus,
    Cause,
    CorrectionOutcome,
    CorrectionStatus,
    DismissReason,
    FieldVerdict,
    Grade,
    IdentityMethod,
    NotificationMethod,
    ProposalKind,
    ProposalStatus,
    Sex,
    ViewedOnPortal,
)
from caseflow.core.free_text import free_text
from caseflow.core.limits import ADDRESS_MAX, PERSON_NAME_MAX, RECORD_ID_MAX
from caseflow.crypto.keys import lookup_digest
from caseflow.crypto.types import EncryptedDate, EncryptedEnum, EncryptedString
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import User

_ERRORS_WHERE = "status IN ('confirmed', 'corrected', 'notified')"


def birth_or_sex_mismatch(verdicts: dict | None) -> bool:
    """①生年月日・性別不一致 rather than ②氏名等不一致, from a case's field verdicts."""
    verdicts = verdicts or {}
    return FieldVerdict.MISMATCH.value in (verdicts.get("birth_date"), verdicts.get("sex"))


def _birth_or_sex_mismatch(context) -> bool:
    return birth_or_sex_mismatch(context.get_current_parameters().get("field_verdicts"))


def _number_digest(context) -> str | None:
    # Rows inserted in bulk (sa.insert(Case)) get their digest here; ORM objects from the validator.
    number = context.get_current_parameters().get("registered_number")
    return lookup_digest(number) if number is not None else None


class Case(Base):
    """A suspected linkage error: one business record set against the registry."""

    __tablename__ = "cases"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "program_id", "source_record_id"),
        sa.Index("ix_cases_agency_status_due", "agency_id", "status", "due_date"),
        # The case list in its default order (due date, then id), a page at a time: for an agency's
        # staff, and for those who see every case (ix_cases_due).
        sa.Index("ix_cases_agency_due", "agency_id", "due_date", "id"),
        sa.Index("ix_cases_due", "due_date", "id"),
        # The reports' per-(program, agency) figures: an index-only scan on PostgreSQL.
        sa.Index("ix_cases_program_agency_report", "program_id", "agency_id",
                 postgresql_include=["status", "viewed_on_portal", "birth_or_sex_mismatch", "batch_id"]),
        # Linkage errors by cause: a small partial index (errors are a few percent of cases).
        sa.Index("ix_cases_errors_by_cause", "program_id", "agency_id", "cause",
                 postgresql_where=sa.text(_ERRORS_WHERE), sqlite_where=sa.text(_ERRORS_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))  # indexed by ix_cases_program_agency_report
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    # The organisation that holds the case now, while a referral (照会) is open; None: the agency.
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    # The agency's management number (管理番号): indexed, the search finds a case by it (caseflow.cases.search).
    source_record_id: Mapped[str] = mapped_column(sa.String(RECORD_ID_MAX), index=True)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_batches.id"), index=True)
    # How the error came to light (発見の経緯; ``other`` with its text) and, for a case opened by hand
    # (caseflow.intake), who opened it; an inspection's cases have None.
    source: Mapped[CaseSource] = mapped_column(str_enum(CaseSource, "case_source"), default=CaseSource.INSPECTION,
                                               server_default=CaseSource.INSPECTION.value)
    source_other: Mapped[str | None] = free_text()
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # My Number and the registry facts are 特定個人情報: encrypted at rest (caseflow.crypto).
    # None once the retention period has passed (caseflow.retention), like every personal fact below.
    registered_number: Mapped[str | None] = mapped_column(EncryptedString("cases.registered_number", 12))
    # HMAC of the number under the look-up key: finds the cases with the same number, which the
    # encrypted column cannot (caseflow.crypto.keys.lookup_digest).
    registered_number_digest: Mapped[str | None] = mapped_column(sa.String(64), index=True, default=_number_digest)

    record_name: Mapped[str | None] = mapped_column(sa.String(PERSON_NAME_MAX))
    record_kana: Mapped[str | None] = mapped_column(sa.String(PERSON_NAME_MAX))
    record_birth_date: Mapped[dt.date | None]
    record_sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "record_sex"))
    record_address: Mapped[str | None] = mapped_column(sa.String(ADDRESS_MAX))
    registry_name: Mapped[str | None] = mapped_column(EncryptedString("cases.registry_name", PERSON_NAME_MAX))
    registry_kana: Mapped[str | None] = mapped_column(EncryptedString("cases.registry_kana", PERSON_NAME_MAX))
    registry_birth_date: Mapped[dt.date | None] = mapped_column(EncryptedDate("cases.registry_birth_date"))
    registry_sex: Mapped[Sex | None] = mapped_column(EncryptedEnum(Sex, "cases.registry_sex"))
    registry_address: Mapped[str | None] = mapped_column(EncryptedString("cases.registry_address", ADDRESS_MAX))
    # Where letters go (送付先) is kept per party: caseflow.letters.models.Recipient.
    # When the people's facts above were deleted at the end of the retention period (caseflow.retention).
    facts_disposed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    grade: Mapped[Grade] = mapped_column(str_enum(Grade, "grade"))
    field_verdicts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    grade_reason: Mapped[str | None] = mapped_column(sa.Text)
    # ①生年月日・性別不一致 rather than ②氏名等不一致: set from the verdicts when the case is opened;
    # the expected-remaining estimate weighs the two kinds differently.
    birth_or_sex_mismatch: Mapped[bool] = mapped_column(default=_birth_or_sex_mismatch, server_default=sa.false())

    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "case_status"), default=CaseStatus.DETECTED
    )
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_date: Mapped[dt.date | None]
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    cause: Mapped[Cause | None] = mapped_column(str_enum(Cause, "cause"))
    cause_other: Mapped[str | None] = free_text()
    dismiss_reason: Mapped[DismissReason | None] = mapped_column(str_enum(DismissReason, "dismiss_reason"))
    dismiss_reason_other: Mapped[str | None] = free_text()
    viewed_on_portal: Mapped[ViewedOnPortal | None] = mapped_column(
        str_enum(ViewedOnPortal, "viewed_on_portal")
    )
    viewed_what: Mapped[str | None] = free_text()
    viewed_on: Mapped[dt.date | None]
    viewing_suspended: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    notified_on: Mapped[dt.date | None]
    notification_method: Mapped[NotificationMethod | None] = mapped_column(
        str_enum(NotificationMethod, "notification_method")
    )
    # How identity was verified for the confirmation (本人確認の方法), on which day, by whom.
    identity_method: Mapped[IdentityMethod | None] = mapped_column(str_enum(IdentityMethod, "identity_method"))
    identity_method_other: Mapped[str | None] = free_text()
    identity_verified_on: Mapped[dt.date | None]
    identity_verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    agency: Mapped[Organization] = relationship(foreign_keys=[agency_id], lazy="joined", innerjoin=True)
    holder: Mapped[Organization | None] = relationship(foreign_keys=[holder_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    identity_verified_by: Mapped[User | None] = relationship(foreign_keys=[identity_verified_by_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", lazy="select"
    )
    # Loaded with the case, so that guards and the version check see one snapshot.
    corrections: Mapped[list[Correction]] = relationship(
        back_populates="case", order_by="Correction.id", lazy="selectin"
    )
    dismissals: Mapped[list[Dismissal]] = relationship(
        back_populates="case", order_by="Dismissal.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("registered_number")
    def _keep_digest(self, _key: str, number: str | None) -> str | None:
        self.registered_number_digest = lookup_digest(number) if number is not None else None
        return number

    @property
    def reference(self) -> str:
        """The case reference residents and staff quote (never the My Number)."""
        return f"CF-{self.id:07d}"

    @property
    def opened_by_hand(self) -> bool:
        """Whether staff opened the case by hand (caseflow.intake) rather than an inspection batch."""
        return self.opened_by_id is not None

    @property
    def holder_organization_id(self) -> int:
        return self.holder_id or self.agency_id

    @property
    def masked_number(self) -> str:
        return mask_number(self.registered_number)

    @property
    def pending_correction(self) -> Correction | None:
        return next((c for c in self.corrections if c.status is CorrectionStatus.PROPOSED), None)

    @property
    def pending_dismissal(self) -> Dismissal | None:
        return next((d for d in self.dismissals if d.status is ProposalStatus.PROPOSED), None)

    def pending(self, kind: ProposalKind) -> Correction | Dismissal | None:
        """The proposal of ``kind`` awaiting a supervisor's decision (at most one per case)."""
        return self.pending_dismissal if kind is ProposalKind.DISMISSAL else self.pending_correction

    @property
    def pending_proposal(self) -> Correction | Dismissal | None:
        """Whichever proposal awaits a decision: a dismissal while verifying, a correction once confirmed."""
        return self.pending_dismissal or self.pending_correction

    @hybrid_property
    def awaits_identification(self) -> bool:
        """本人特定待ち: an approved correction left the number unlinked (本人特定まで保留) and no approved
        correction has linked the right number since; the people's facts are still kept (to query with).

        The same rule in Python (for one case) and in SQL (the case list's filter, the dashboards).
        """
        approved = {c.outcome for c in self.corrections if c.status is ProposalStatus.APPROVED}
        return (CorrectionOutcome.UNLINKED in approved and CorrectionOutcome.LINKED not in approved
                and self.facts_disposed_at is None)

    @awaits_identification.inplace.expression
    @classmethod
    def _awaits_identification_clause(cls) -> sa.ColumnElement[bool]:
        def approved(outcome: CorrectionOutcome) -> sa.Exists:
            return sa.exists().where(Correction.case_id == cls.id, Correction.status == ProposalStatus.APPROVED,
                                     Correction.outcome == outcome)

        return sa.and_(approved(CorrectionOutcome.UNLINKED), ~approved(CorrectionOutcome.LINKED),
                       cls.facts_disposed_at.is_(None))

    def verdict(self, field: str) -> FieldVerdict | None:
        value = (self.field_verdicts or {}).get(field)
        return FieldVerdict(value) if value else None

    def __repr__(self) -> str:
        # Never include the number: reprs end up in logs and tracebacks.
        return f"<Case {self.id} {self.status}>"


# The personal data a case holds about its two people, with the label a disposal record gives each
# (caseflow.retention deletes them once the retention period has passed).
PERSONAL_FACTS: tuple[tuple[str, str], ...] = (
    ("registered_number", "紐付けられていた個人番号"),
    ("registered_number_digest", "個人番号の照合用ハッシュ"),
    ("record_name", "業務データの氏名"),
    ("record_kana", "業務データのカナ氏名"),
    ("record_birth_date", "業務データの生年月日"),
    ("record_sex", "業務データの性別"),
    ("record_address", "業務データの住所"),
    ("registry_name", "住民基本台帳の氏名"),
    ("registry_kana", "住民基本台帳のカナ氏名"),
    ("registry_birth_date", "住民基本台帳の生年月日"),
    ("registry_sex", "住民基本台帳の性別"),
    ("registry_address", "住民基本台帳の住所"),
)


def mask_number(number: str | None) -> str:
    """Show only the last four digits of a My Number."""
    if not number:
        return ""
    return "●" * max(len(number) - 4, 0) + number[-4:]


class CaseEvent(Base):
    """One entry of a case's audit trail. Append-only (enforced in the database too)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    trigger: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, "event_from_status"))
    to_status: Mapped[CaseStatus | None] = mapped_column(str_enum(CaseStatus, "event_to_status"))
    comment: Mapped[str | None] = free_text()
    details: Mapped[dict] = free_text(sa.JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")


class Correction(Base):
    """A proposed correction of the linkage, approved or returned by a supervisor."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus, "correction_status"), default=CorrectionStatus.PROPOSED
    )
    wrong_number_removed: Mapped[bool]
    outcome: Mapped[CorrectionOutcome] = mapped_column(str_enum(CorrectionOutcome, "correction_outcome"))
    linked_number: Mapped[str | None] = mapped_column(EncryptedString("corrections.linked_number", 12))
    # The resident-registry query behind it: how many facts (4, or 3 without sex) and how
    # many people matched. Linking needs exactly one.
    query_facts: Mapped[int | None]
    query_matches: Mapped[int | None]
    note: Mapped[str | None] = free_text()
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str | None] = free_text()

    case: Mapped[Case] = relationship(back_populates="corrections")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    kind = ProposalKind.CORRECTION


class Dismissal(Base):
    """A proposed dismissal (誤りなしの判断) with its reason, approved, returned or withdrawn.

    Like a correction, it is decided by a supervisor of the case's organisation who did not
    propose it; the approval fires ``dismiss``. A withdrawal is decided by the proposer.
    """

    __tablename__ = "dismissals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "dismissal_status"), default=ProposalStatus.PROPOSED
    )
    reason: Mapped[DismissReason] = mapped_column(str_enum(DismissReason, "dismissal_reason"))
    reason_other: Mapped[str | None] = free_text()
    note: Mapped[str | None] = free_text()
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str | None] = free_text()

    case: Mapped[Case] = relationship(back_populates="dismissals")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    kind = ProposalKind.DISMISSAL


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session: Session, _ctx, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, CaseEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("case events are append-only")


# --- What the reports count, as it was at any moment ------------------------------------------------

# The columns of a case the reports count (caseflow.reports.figures): each change of one of them
# appends a CaseState, so that any figure can be computed as of a past moment.
REPORTED_COLUMNS = ("program_id", "agency_id", "holder_id", "batch_id", "status", "cause", "viewed_on_portal",
                    "birth_or_sex_mismatch")


class CaseState(Base):
    """A case's reported facts from ``valid_from`` on, until its next state: the history the
    figures as of a past moment (month ends) are computed from. Written on every change of
    REPORTED_COLUMNS, by the ORM (``_record_case_states``) and by ``kernel.open_cases``;
    never changed afterwards."""

    __tablename__ = "case_states"
    __table_args__ = (
        sa.Index("ix_case_states_case_valid_from", "case_id", "valid_from"),
        # The errors by cause as of a moment: a few percent of the states, read from the index alone.
        sa.Index("ix_case_states_errors", "program_id", "agency_id", "cause", "valid_from", "valid_to", "status",
                 postgresql_where=sa.text(_ERRORS_WHERE), sqlite_where=sa.text(_ERRORS_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    # When the next state of the case began (None: in force now). As of a moment, a case's state is
    # the one with valid_from ≤ moment < valid_to: one scan, no search for each case's latest.
    valid_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_batches.id"))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "case_state_status"))
    cause: Mapped[Cause | None] = mapped_column(str_enum(Cause, "case_state_cause"))
    viewed_on_portal: Mapped[ViewedOnPortal | None] = mapped_column(
        str_enum(ViewedOnPortal, "case_state_viewed_on_portal"))
    birth_or_sex_mismatch: Mapped[bool] = mapped_column(default=False)


def case_state_row(case_id: int, values: dict, valid_from: dt.datetime) -> dict:
    """The CaseState row of a case whose reported columns hold ``values`` (a Case's, or a bulk insert's row)."""
    return {"case_id": case_id, "valid_from": valid_from,
            **{column: values.get(column) for column in REPORTED_COLUMNS},
            "birth_or_sex_mismatch": bool(values.get("birth_or_sex_mismatch"))}


@event.listens_for(Session, "after_flush")
def _record_case_states(session: Session, _ctx) -> None:
    """A CaseState for every case inserted or with a reported column changed in this flush."""
    rows = []
    now = utcnow()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Case) or obj.id is None:
            continue
        state = sa.inspect(obj)
        if obj in session.new or any(state.attrs[c].history.has_changes() for c in REPORTED_COLUMNS):
            rows.append(case_state_row(obj.id, {c: getattr(obj, c) for c in REPORTED_COLUMNS}, now))
    if rows:
        connection = session.connection()
        connection.execute(sa.update(CaseState).where(CaseState.case_id.in_([r["case_id"] for r in rows]),
                                                      CaseState.valid_to.is_(None)).values(valid_to=now))
        connection.execute(sa.insert(CaseState), rows)
