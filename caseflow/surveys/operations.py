"""Surveys: respondents, answers (drafts, submissions, imports), reminders and the rule table.

Operations take the acting user (None: the server's command line), check the access policy and
the survey's state, change, and flush; they never commit. Submitted answers decide the
respondent's obligations (caseflow.surveys.obligations) by the rule table in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.core.japanese import JST
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.organizations.models import Organization, OrganizationCategory, Program
from caseflow.policy import Permission, clause, may, refusal, require
from caseflow.routing.models import InboxItem, InboxKind
from caseflow.surveys import obligations, questionnaire
from caseflow.surveys.models import ResponseStatus, Survey, SurveyAttachment, SurveyRespondent, SurveyStatus
from caseflow.surveys.questionnaire import SHEET_FIELDS, Problem, RespondentKind
from caseflow.users.models import User

# What the respondent types on the sheet; the rest is written by the ministry or computed.
TYPED_SHEET_FIELDS = ("department", "responsible_title", "responsible_name", "contact_name", "phone", "email")
SHEET_FIELD_MAX = 200
ANSWER_TEXT_MAX = 2_000
MONTH_TEXT_MAX = 20  # 「令和5年12月」, 「2023-12」 …
VIA_LABELS = {"web": "画面", "workbook": "回答票（Excel）", "list": "一覧の取込"}


@dataclass(frozen=True)
class ListProblem:
    """One problem of an imported file: its row (None: the file), 項番 (or the column) and what is wrong."""

    row: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.row}行目 " if self.row is not None else ""
        return f"{where}{self.key}：{self.message}" if self.key else f"{where}{self.message}"


class AnswersRefused(DomainError):
    """Answers or a file that cannot be taken: every problem, nothing saved."""

    def __init__(self, problems: list) -> None:
        self.problems = list(problems)
        shown = [p.message if isinstance(p, Problem) else str(p) for p in self.problems[:20]]
        more = f"（ほか{len(self.problems) - 20}件）" if len(self.problems) > 20 else ""
        super().__init__("回答を受け付けられません。" + "／".join(shown) + more)


# --- surveys and respondents --------------------------------------------------------------------


def create_survey(session: Session, *, code: str, title: str, ministry: Organization, sender: str,
                  programs: list[Program], deadline: dt.datetime, inspection_deadline: dt.date,
                  file_code: str, additions: Iterable[str] = (), questionnaire_key: str = "2023") -> Survey:
    """A survey (campaign) of ``ministry`` about ``programs``; respondents are added with ``add_respondents``."""
    if session.scalar(sa.select(Survey.id).where(Survey.code == code)) is not None:
        raise DomainError(f"調査コード「{code}」は既に使われています。")
    if not programs:
        raise DomainError("調査の対象となる事務を選んでください。")
    foreign = [p.name for p in programs if p.ministry_id != ministry.id]
    if foreign:
        raise DomainError(f"{ministry.name}の所管でない事務は調査の対象にできません：{'、'.join(foreign)}")
    questionnaire.load_questionnaire(questionnaire_key)  # an unknown questionnaire fails here, not later
    survey = Survey(code=code, title=title, ministry=ministry, sender=sender, programs=list(programs),
                    deadline=deadline, inspection_deadline=inspection_deadline, file_code=file_code,
                    additions=list(additions), questionnaire=questionnaire_key, status=SurveyStatus.OPEN)
    session.add(survey)
    session.flush()
    return survey


def respondent_kind(organization: Organization, union: Organization | None) -> RespondentKind:
    """Who an organisation is as a respondent: a prefecture, a union, a union's member, or a municipality."""
    if organization.category is OrganizationCategory.PREFECTURE:
        return RespondentKind.PREFECTURE
    if organization.category is OrganizationCategory.UNION:
        return RespondentKind.UNION
    return RespondentKind.MEMBER if union is not None else RespondentKind.MUNICIPALITY


def add_respondents(session: Session, survey: Survey, entries: Iterable[tuple[Organization, Organization | None,
                                                                              Organization | None]]) -> int:
    """Add (organisation, its union or None, its gatherer or None) as respondents; those already there are kept."""
    present = set(session.scalars(sa.select(SurveyRespondent.organization_id)
                                  .where(SurveyRespondent.survey_id == survey.id)))
    added = 0
    for organization, union, gatherer in entries:
        if organization.id in present:
            continue
        session.add(SurveyRespondent(survey=survey, organization=organization, kind=respondent_kind(organization, union),
                                     union_id=union.id if union else None,
                                     gatherer_id=gatherer.id if gatherer else None,
                                     status=ResponseStatus.NOT_STARTED, sheet={}, answers={}))
        present.add(organization.id)
        added += 1
    session.flush()
    return added


def get_respondent(session: Session, respondent_id: int, actor: User, permission: Permission) -> SurveyRespondent:
    """The respondent, if ``actor`` has ``permission`` for it (otherwise 404 for those who may not even see it)."""
    respondent = session.get(SurveyRespondent, respondent_id)
    if respondent is None:
        raise NotFound("調査の回答が見つかりません。")
    if not may(actor, Permission.SURVEY_VIEW, respondent):  # another organisation's answer is not there for them
        raise NotFound("調査の回答が見つかりません。")
    require(actor, permission, respondent)
    return respondent


def visible_respondents(session: Session, actor: User, survey: Survey, *,
                        status: ResponseStatus | None = None) -> list[SurveyRespondent]:
    """The survey's respondents ``actor`` may see (own, gathered, the ministry's, all), by organisation code."""
    stmt = (sa.select(SurveyRespondent).join(SurveyRespondent.organization)
            .where(SurveyRespondent.survey_id == survey.id, clause(actor, Permission.SURVEY_VIEW))
            .order_by(Organization.code))
    if status is not None:
        stmt = stmt.where(SurveyRespondent.status == status)
    return list(session.scalars(stmt))


def surveys_for(session: Session, actor: User) -> list[Survey]:
    """The surveys in which ``actor`` sees at least one respondent, newest first."""
    ids = sa.select(SurveyRespondent.survey_id).where(clause(actor, Permission.SURVEY_VIEW))
    return list(session.scalars(sa.select(Survey).where(Survey.id.in_(ids)).order_by(Survey.id.desc())))


def latest_open_survey(session: Session) -> Survey | None:
    return session.scalars(sa.select(Survey).where(Survey.status == SurveyStatus.OPEN)
                           .order_by(Survey.id.desc()).limit(1)).first()


def status_counts(session: Session, actor: User, survey: Survey) -> dict[ResponseStatus, int]:
    """未回答 / 回答中 / 提出済 among the respondents ``actor`` sees."""
    rows = session.execute(sa.select(SurveyRespondent.status, sa.func.count())
                           .where(SurveyRespondent.survey_id == survey.id, clause(actor, Permission.SURVEY_VIEW))
                           .group_by(SurveyRespondent.status)).all()
    counts = dict.fromkeys(ResponseStatus, 0)
    counts.update({status: n for status, n in rows})
    return counts


# --- the respondent sheet and the answers ---------------------------------------------------------


def sheet_of(respondent: SurveyRespondent) -> dict[str, str]:
    """The respondent sheet as printed: the ministry's fields, the computed 組織名, and what was typed."""
    from caseflow.surveys.local_governments import organization_name

    survey, organization = respondent.survey, respondent.organization
    typed = {key: str(respondent.sheet.get(key) or "") for key in TYPED_SHEET_FIELDS}
    try:
        name = organization_name(organization.code, union_member=respondent.kind is RespondentKind.MEMBER)
    except (KeyError, ValueError):  # an organisation outside the reference list (a union of our own code …)
        name = organization.name
    return {"program_label": survey.program_label, "category_label": respondent.kind_label,
            "attribute": "なし", "organization_name": name, **typed}


def questionnaire_of(respondent: SurveyRespondent) -> questionnaire.Questionnaire:
    """The survey's questionnaire, with the program's additional questions the survey asks (Q11–Q12)."""
    return survey_questionnaire(respondent.survey)


def survey_questionnaire(survey: Survey) -> questionnaire.Questionnaire:
    return questionnaire.load_questionnaire(survey.questionnaire, additions=tuple(survey.additions or ()))


def clean_answers(respondent: SurveyRespondent, raw: dict[str, str], *, complete: bool,
                  row: int | None = None) -> dict[str, str]:
    """The answers normalised (marks in order, months as 2023-12), or AnswersRefused with every problem."""
    q = questionnaire_of(respondent)
    found: list = []
    answers: dict[str, str] = {}
    for key in questionnaire.ITEM_KEYS:
        value = str(raw.get(key) or "").strip()
        if not value:
            continue
        item = q.item(key)
        limit = MONTH_TEXT_MAX if item.kind == "month" else ANSWER_TEXT_MAX
        if len(value) > limit:
            found.append(Problem(key, f"{item.label}：{limit}文字以内で記入してください"))
            continue
        try:
            if item.kind in ("single", "multiple"):
                value = questionnaire.normalize_choice(item, value)
            elif item.kind == "month":
                value = questionnaire.normalize_month(value)
        except ValueError as exc:
            found.append(Problem(key, f"{item.label}：{exc}"))
            continue
        answers[key] = value
    if not found:
        found = questionnaire.problems(q, respondent.kind, answers, complete=complete)
    if found:
        raise AnswersRefused([ListProblem(row, p.key, p.message) for p in found] if row is not None else found)
    return answers


def _check_open(respondent: SurveyRespondent) -> None:
    _check_survey_open(respondent.survey)


def save_answers(session: Session, respondent: SurveyRespondent, actor: User | None, *, sheet: dict[str, str],
                 answers: dict[str, str], submit: bool, via: str = "web", row: int | None = None) -> SurveyRespondent:
    """Save the sheet and the answers: a draft (回答中) takes anything consistent so far; a submission
    (提出済) needs every question the branching reaches and the whole sheet. Refused: nothing saved."""
    if actor is not None:
        require(actor, Permission.SURVEY_ANSWER, respondent)
    _check_open(respondent)
    cleaned = clean_answers(respondent, answers, complete=submit, row=row)
    typed = {}
    for key in TYPED_SHEET_FIELDS:
        value = str(sheet.get(key) or "").strip()
        if len(value) > SHEET_FIELD_MAX:
            raise DomainError(f"{dict(SHEET_FIELDS)[key]}は{SHEET_FIELD_MAX}文字以内で記入してください。")
        typed[key] = value
    if submit:
        blank = [label for key, label in SHEET_FIELDS if key in TYPED_SHEET_FIELDS and not typed[key]]
        if blank:
            problem = f"回答者情報：{'、'.join(blank)}を記入してください"
            raise AnswersRefused([ListProblem(row, "回答者情報", problem) if row is not None
                                  else Problem("回答者情報", problem)])
    respondent.sheet = typed
    respondent.answers = cleaned
    respondent.updated_at = utcnow()
    respondent.updated_by_id = actor.id if actor is not None else None
    if submit:
        respondent.status = ResponseStatus.SUBMITTED
        respondent.submitted_at = respondent.updated_at
        respondent.submitted_by_id = respondent.updated_by_id
        respondent.submitted_via = via
        session.flush()
        obligations.decide_for(session, respondent)
    else:
        respondent.status = ResponseStatus.DRAFT
        session.flush()
        obligations.withdraw_for(session, respondent)
    return respondent


def flags(respondent: SurveyRespondent) -> dict[str, bool]:
    """「情報未入力あり」 and 「未回答あり」 for the respondent's saved answers."""
    q = questionnaire_of(respondent)
    return {"情報未入力あり": questionnaire.sheet_incomplete(sheet_of(respondent)),
            "未回答あり": questionnaire.unanswered(q, respondent.kind, dict(respondent.answers or {}))}


# --- reminders ------------------------------------------------------------------------------------


def remind(session: Session, actor: User | None, survey: Survey, *, now: dt.datetime | None = None) -> int:
    """Put a reminder in the inbox of every respondent ``actor`` may remind that has not submitted,
    once a day at most; returns how many were sent."""
    now = now or utcnow()
    if survey.status is not SurveyStatus.OPEN:
        raise DomainError("この調査は締め切られています。督促はできません。")
    if actor is not None:
        reaches = sa.select(SurveyRespondent.id).where(SurveyRespondent.survey_id == survey.id,
                                                       clause(actor, Permission.SURVEY_REMIND)).limit(1)
        if session.scalar(reaches) is None:  # neither its prefecture nor its ministry nor the Digital Agency
            raise PermissionDenied(refusal(Permission.SURVEY_REMIND))
    stmt = sa.select(SurveyRespondent).where(SurveyRespondent.survey_id == survey.id,
                                             SurveyRespondent.status != ResponseStatus.SUBMITTED)
    if actor is not None:
        stmt = stmt.where(clause(actor, Permission.SURVEY_REMIND))
    today = now.astimezone(JST).date()
    deadline = survey.deadline.astimezone(JST)
    when = f"{deadline:%Y年%-m月%-d日} {deadline:%-H時}"
    late = now >= survey.deadline
    sent = 0
    for respondent in session.scalars(stmt):
        if respondent.last_reminded_at is not None and respondent.last_reminded_at.astimezone(JST).date() == today:
            continue
        state = "提出されていません" if respondent.status is ResponseStatus.NOT_STARTED else "回答中のまま提出されていません"
        message = (f"「{survey.title}」（{survey.program_label}）の回答が{state}。"
                   + (f"回答期限（{when}）を過ぎています。至急ご回答ください。" if late else f"回答期限は{when}です。"))
        session.add(InboxItem(organization_id=respondent.organization_id, survey_respondent=respondent,
                              kind=InboxKind.SURVEY_REMINDER, message=message))
        respondent.last_reminded_at = now
        sent += 1
    session.flush()
    return sent


# --- the Excel form and lists ---------------------------------------------------------------------


def _row_problems(exc) -> list[ListProblem]:
    return [ListProblem(p.row, p.key, p.message) for p in exc.problems]


def submit_workbook(session: Session, respondent: SurveyRespondent, actor: User | None, data: bytes) -> SurveyRespondent:
    """A filled Excel form (回答票), submitted as it is: refused with every (row, 項番, problem), or taken whole."""
    from caseflow.surveys import workbook

    if actor is not None:
        require(actor, Permission.SURVEY_ANSWER, respondent)
    try:
        sheet, answers = workbook.read_workbook(data, questionnaire_of(respondent), respondent.kind)
    except workbook.WorkbookRefused as exc:
        raise AnswersRefused(_row_problems(exc)) from None
    return save_answers(session, respondent, actor, sheet=sheet, answers=answers, submit=True, via="workbook")


def import_file(session: Session, actor: User | None, survey: Survey, data: bytes, filename: str) -> int:
    """Answers from a file, all or nothing: one respondent's filled Excel form (a 回答シート), or a list
    (.xlsx or .csv, one row per respondent: 組織名 and the 項番). Every row is checked before any is
    saved; any problem refuses the whole file with its (row, 項番, problem). Returns the answers taken."""
    from caseflow.surveys import workbook

    _check_survey_open(survey)
    respondents = list(session.scalars(sa.select(SurveyRespondent).where(SurveyRespondent.survey_id == survey.id)))
    by_name = {sheet_of(r)["organization_name"]: r for r in respondents}
    by_code = {r.organization.code: r for r in respondents}
    if workbook.is_form(data):
        name = workbook.form_organization_name(data)
        respondent = by_name.get(name) or by_code.get(name)
        if respondent is None:
            raise AnswersRefused([ListProblem(None, "組織名", f"組織名「{name}」はこの調査の回答者にありません")])
        submit_workbook(session, respondent, actor, data)
        return 1
    try:
        listed = workbook.read_list(data, filename)
    except workbook.WorkbookRefused as exc:
        raise AnswersRefused(_row_problems(exc)) from None
    found: list[ListProblem] = []
    plan = []
    seen: dict[int, int] = {}
    for entry in listed:
        respondent = by_name.get(entry.organization_name) or by_code.get(entry.organization_name)
        if respondent is None:
            found.append(ListProblem(entry.row, "組織名", f"組織名「{entry.organization_name}」はこの調査の回答者にありません"))
            continue
        if respondent.id in seen:
            found.append(ListProblem(entry.row, "組織名", f"{seen[respondent.id]}行目と同じ団体です"))
            continue
        seen[respondent.id] = entry.row
        if actor is not None and not may(actor, Permission.SURVEY_ANSWER, respondent):
            found.append(ListProblem(entry.row, "組織名", f"{respondent.organization.name}の回答は登録できません"))
            continue
        try:
            clean_answers(respondent, entry.answers, complete=True, row=entry.row)
        except AnswersRefused as exc:
            found.extend(exc.problems)
            continue
        sheet = {key: entry.sheet.get(key, "") or str(respondent.sheet.get(key) or "") for key in TYPED_SHEET_FIELDS}
        blank = [label for key, label in SHEET_FIELDS if key in TYPED_SHEET_FIELDS and not sheet[key].strip()]
        if blank:
            found.append(ListProblem(entry.row, "回答者情報", f"{'、'.join(blank)}を記入してください"))
            continue
        plan.append((respondent, entry, sheet))
    if found:
        raise AnswersRefused(found)
    if not plan:
        raise AnswersRefused([ListProblem(None, "", "回答の行がありません")])
    for respondent, entry, sheet in plan:
        save_answers(session, respondent, actor, sheet=sheet, answers=entry.answers, submit=True, via="list",
                     row=entry.row)
    return len(plan)


def _check_survey_open(survey: Survey) -> None:
    if survey.status is not SurveyStatus.OPEN:
        raise DomainError("この調査は締め切られています。回答は変更できません。")


# --- supplementary files --------------------------------------------------------------------------

ATTACHMENT_MAX_BYTES = 10 * 1024**2
ATTACHMENTS_PER_ITEM = 5
# What a file's first bytes say it is: PDF, or a Word/Excel file (Office Open XML is a zip).
_ATTACHMENT_TYPES = ((b"%PDF-", "application/pdf", ".pdf"), (b"PK\x03\x04", "application/zip", ".zip"))
ATTACHMENT_ITEMS = ("8-1概要", "10概要")


def attachments_of(session: Session, respondent: SurveyRespondent) -> list:
    return list(session.scalars(sa.select(SurveyAttachment).where(SurveyAttachment.respondent_id == respondent.id)
                                .order_by(SurveyAttachment.id)))


def attach(session: Session, respondent: SurveyRespondent, actor: User, item_key: str, filename: str,
           data: bytes):
    """A supplementary file for 8-1概要 or 10概要 (PDF, Word or Excel, by its content)."""
    require(actor, Permission.SURVEY_ANSWER, respondent)
    _check_survey_open(respondent.survey)
    if item_key not in ATTACHMENT_ITEMS:
        raise DomainError("補足資料を添付できるのは Q8-1（別途の方法の概要）と Q10（概要）です。")
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise DomainError("補足資料のファイルが大きすぎます（10 MBまで）。")
    if not data:
        raise DomainError("補足資料のファイルが空です。")
    media = next((m for magic, m, _ in _ATTACHMENT_TYPES if data.startswith(magic)), None)
    if media is None:
        raise DomainError("補足資料は PDF、Word、Excel のファイルを添付してください。")
    count = session.scalar(sa.select(sa.func.count(SurveyAttachment.id)).where(
        SurveyAttachment.respondent_id == respondent.id, SurveyAttachment.item_key == item_key))
    if count >= ATTACHMENTS_PER_ITEM:
        raise DomainError(f"補足資料は1項目に{ATTACHMENTS_PER_ITEM}件までです。")
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "補足資料"
    found = SurveyAttachment(respondent_id=respondent.id, item_key=item_key, filename=name, content_type=media,
                             size=len(data), content=data, uploaded_by_id=actor.id)
    session.add(found)
    session.flush()
    return found


def get_attachment(session: Session, respondent: SurveyRespondent, attachment_id: int):
    found = session.get(SurveyAttachment, attachment_id)
    if found is None or found.respondent_id != respondent.id:
        raise NotFound("補足資料が見つかりません。")
    return found


def suffix_of(attachment) -> str:
    """The download's suffix: the original one for a zip-based Office file, .pdf for a PDF."""
    if attachment.content_type == "application/pdf":
        return ".pdf"
    suffix = attachment.filename.rsplit(".", 1)[-1].lower() if "." in attachment.filename else ""
    return f".{suffix}" if suffix in ("docx", "xlsx", "pptx") else ".zip"
