"""Surveys (実態調査), their respondents' answers, the obligation rule table and the obligations.

A survey is a campaign of one ministry about its programs: every respondent (a prefecture, a
municipality, a union or a union's member) answers the questionnaire once, on the web form or
the Excel form; a prefecture gathers its municipalities' answers. Submitted answers decide, by
the rule table in force, whether the respondent must inspect its individual records of each of
the survey's programs (an obligation), by a deadline.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.cases.vocabulary import LabelledEnum
from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.organizations.models import Organization, Program
from caseflow.surveys.questionnaire import RespondentKind
from caseflow.users.models import User


class SurveyStatus(LabelledEnum):
    OPEN = "open", "回答受付中"
    CLOSED = "closed", "締切"


class ResponseStatus(LabelledEnum):
    NOT_STARTED = "not_started", "未回答"
    DRAFT = "draft", "回答中"
    SUBMITTED = "submitted", "提出済"


RESPONDENT_KIND_LABELS = {
    RespondentKind.PREFECTURE: "都道府県",
    RespondentKind.MUNICIPALITY: "市区町村",
    RespondentKind.UNION: "広域連合等",
    RespondentKind.MEMBER: "広域連合等の構成市町村",
}

survey_programs = sa.Table(
    "survey_programs", Base.metadata,
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("program_id", sa.ForeignKey("programs.id"), primary_key=True),
)


class Survey(Base):
    """One ministry's questionnaire about its programs, sent to its respondents with a deadline."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # 2307-kaigo
    title: Mapped[str] = mapped_column(sa.String(200))
    ministry_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    # Who in the ministry sends it (厚生労働省老健局), as its letters name it.
    sender: Mapped[str] = mapped_column(sa.String(200))
    questionnaire: Mapped[str] = mapped_column(sa.String(20))  # caseflow.surveys.questionnaire key
    additions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # 介護保険: Q11–Q12
    # The answers' deadline (令和5年7月21日（金）17時) and the inspections' (原則11月末).
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    inspection_deadline: Mapped[dt.date] = mapped_column(sa.Date)
    # The file names' month code: 【都道府県】2307 マイナンバー調査回答.xlsx
    file_code: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[SurveyStatus] = mapped_column(str_enum(SurveyStatus, "survey_status"), default=SurveyStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ministry: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    programs: Mapped[list[Program]] = relationship(secondary=survey_programs, lazy="selectin",
                                                   order_by=Program.id)

    @property
    def program_label(self) -> str:
        """制度等 as the respondent sheet prints it."""
        return "・".join(p.name for p in self.programs)

    def __repr__(self) -> str:
        return f"<Survey {self.code}>"


class SurveyRespondent(Base):
    """One organisation's answer to a survey: its respondent sheet, its answers, its status."""

    __tablename__ = "survey_respondents"
    __table_args__ = (sa.UniqueConstraint("survey_id", "organization_id"),
                      sa.Index("ix_survey_respondents_gatherer", "survey_id", "gatherer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[RespondentKind] = mapped_column(str_enum(RespondentKind, "respondent_kind"))
    # A member's union (広域連合等), and who gathers the answer: the prefecture, or None when it goes
    # to the ministry directly (a prefecture's own answer, a designated city's).
    union_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    gatherer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    status: Mapped[ResponseStatus] = mapped_column(str_enum(ResponseStatus, "response_status"),
                                                   default=ResponseStatus.NOT_STARTED)
    # 回答者情報 (SHEET_FIELDS) and the answers by 項番, as typed (free text: a number typed in is masked).
    sheet: Mapped[dict] = free_text(sa.JSON, default=dict)
    answers: Mapped[dict] = free_text(sa.JSON, default=dict)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # How the answer came: the web form, an Excel form uploaded, a list imported.
    submitted_via: Mapped[str | None] = mapped_column(sa.String(20))
    last_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    survey: Mapped[Survey] = relationship(lazy="joined", innerjoin=True)
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id], lazy="joined",
                                                      innerjoin=True)
    union: Mapped[Organization | None] = relationship(foreign_keys=[union_id])
    gatherer: Mapped[Organization | None] = relationship(foreign_keys=[gatherer_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return RESPONDENT_KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<SurveyRespondent {self.id} {self.status}>"


class SurveyAttachment(Base):
    """A supplementary file the seed asks for (Q8-1 ① 別途の方法, Q10 ②③④ 概要)."""

    __tablename__ = "survey_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_respondents.id", ondelete="CASCADE"),
                                               index=True)
    item_key: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = free_text(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ObligationRuleTable(Base):
    """One version of the rule table (caseflow.surveys.rules); the newest is in force."""

    __tablename__ = "obligation_rule_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    table: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str] = free_text()  # why it changed
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the seed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[User | None] = relationship()


class ObligationStatus(LabelledEnum):
    NOT_REQUIRED = "not_required", "点検不要"
    NOT_STARTED = "not_started", "未着手"
    INSPECTING = "inspecting", "点検中"
    VERIFYING = "verifying", "本人確認中"
    DONE = "done", "完了"


class InspectionObligation(Base):
    """Whether an organisation must inspect its individual records of a program, why, and by when.

    Its progress (未着手 → 点検中 → 本人確認中) follows the organisation's inspections and cases of
    the program (caseflow.surveys.obligations.status_of); 完了 is the supervisor's sign-off.
    """

    __tablename__ = "inspection_obligations"
    __table_args__ = (sa.UniqueConstraint("survey_id", "organization_id", "program_id"),
                      sa.CheckConstraint("scope IN ('all', 'out_of_area')", name="scope_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_respondents.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    required: Mapped[bool]
    scope: Mapped[str] = mapped_column(sa.String(20))
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[rule code, reason], …]
    rule_version: Mapped[int]
    deadline: Mapped[dt.date] = mapped_column(sa.Date)
    deadline_reason: Mapped[str | None] = free_text()
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    survey: Mapped[Survey] = relationship(lazy="joined", innerjoin=True)
    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    signed_off_by: Mapped[User | None] = relationship()

    @property
    def scope_label(self) -> str:
        return "住登外者等" if self.scope == "out_of_area" else "全件"

    def __repr__(self) -> str:
        return f"<InspectionObligation {self.id} {self.required}>"
