"""Referrals (照会) of a case to another organisation, and organisations' inboxes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import LabelledEnum
from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.organizations.models import Organization
from caseflow.surveys.models import SurveyRespondent
from caseflow.users.models import User


class ReferralStatus(LabelledEnum):
    OPEN = "open", "回答待ち"
    ANSWERED = "answered", "回答済"


class Referral(Base):
    """A question about a case sent to another organisation; the answer returns the case."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    from_organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    to_organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, "referral_status"),
                                                   default=ReferralStatus.OPEN)
    question: Mapped[str] = free_text()
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str | None] = free_text()
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    from_organization: Mapped[Organization] = relationship(foreign_keys=[from_organization_id], lazy="joined",
                                                           innerjoin=True)
    to_organization: Mapped[Organization] = relationship(foreign_keys=[to_organization_id], lazy="joined",
                                                         innerjoin=True)
    asked_by: Mapped[User] = relationship(foreign_keys=[asked_by_id], lazy="joined", innerjoin=True)
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<Referral {self.id} {self.status}>"


class InboxKind(LabelledEnum):
    CONFIRMED = "confirmed", "誤り確定"
    REFERRAL = "referral", "照会"
    ANSWER = "answer", "照会への回答"
    SURVEY_REMINDER = "survey_reminder", "調査の回答の督促"


class InboxItem(Base):
    """Something an organisation must know about a case (shared at once: 組織横断体制), or about a
    survey it has not answered yet (a reminder: caseflow.surveys)."""

    __tablename__ = "inbox_items"
    __table_args__ = (sa.Index("ix_inbox_items_unread", "organization_id", "read_at"),
                      sa.CheckConstraint("(case_id IS NULL) <> (survey_respondent_id IS NULL)",
                                         name="about_one_thing"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    survey_respondent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_respondents.id", ondelete="CASCADE"))
    kind: Mapped[InboxKind] = mapped_column(str_enum(InboxKind, "inbox_kind"))
    message: Mapped[str] = free_text()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    read_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[Case | None] = relationship(lazy="joined")
    survey_respondent: Mapped[SurveyRespondent | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<InboxItem {self.id} {self.kind}>"
