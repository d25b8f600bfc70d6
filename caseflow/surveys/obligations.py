"""Inspection obligations: what submitted answers decide, by the rule table in force, and their progress.

An obligation is per (survey, organisation, program): 点検 要 or 不要, the scope (全件, or 住登外者等
after Q1 ①), the reasons (each rule that applies, with its text) and a deadline (the survey's,
原則11月末, changed per organisation with a reason). Its progress follows the organisation's work
on the program: 未着手 → 点検中 (an inspection registered) → 本人確認中 (cases open) → 完了, which
the organisation's supervisor reports (「本人確認作業が終了」) when no case is left open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import OPEN_STATUSES
from caseflow.core.japanese import today_jst
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.organizations.models import Organization
from caseflow.policy import Permission, clause, may, require
from caseflow.surveys import questionnaire, rules
from caseflow.surveys.models import (
    InspectionObligation,
    ObligationRuleTable,
    ObligationStatus,
    ResponseStatus,
    Survey,
    SurveyRespondent,
    SurveyStatus,
)
from caseflow.users.models import User

REASON_MAX = 1_000
NO_ANSWER_REASON = "Q13の回答により、この団体はQ1〜Q12を回答しません（点検は回答する団体が行います）。"


# --- the rule table ---------------------------------------------------------------------------------


def current_rule_table(session: Session) -> ObligationRuleTable:
    """The rule table in force: the newest version (the seed's rules are version 1)."""
    table = session.scalars(sa.select(ObligationRuleTable).order_by(ObligationRuleTable.version.desc())
                            .limit(1)).first()
    if table is None:
        table = ObligationRuleTable(version=1, table=rules.default_rule_table(),
                                    note="調査項目（介護保険関係事務）と紐付け誤りの原因（デジタル庁）による初期の規則")
        session.add(table)
        session.flush()
    return table


def change_rule_table(session: Session, actor: User | None, table: dict, note: str) -> ObligationRuleTable:
    """A new version of the rule table (the Digital Agency's); every submitted answer of an open survey is decided again."""
    if actor is not None:
        require(actor, Permission.OBLIGATION_RULES)
    note = (note or "").strip()
    if not note:
        raise DomainError("変更の理由を記入してください。")
    if len(note) > REASON_MAX:
        raise DomainError(f"変更の理由は{REASON_MAX}文字以内で記入してください。")
    found = rules.rule_table_problems(table, questionnaire.load_questionnaire())
    if found:
        raise DomainError("規則を保存できません。" + "／".join(found[:20]))
    version = current_rule_table(session).version + 1
    new = ObligationRuleTable(version=version, table=table, note=note, created_by_id=actor.id if actor else None)
    session.add(new)
    session.flush()
    respondents = session.scalars(sa.select(SurveyRespondent).join(SurveyRespondent.survey).where(
        Survey.status == SurveyStatus.OPEN, SurveyRespondent.status == ResponseStatus.SUBMITTED))
    for respondent in respondents:
        decide_for(session, respondent, new)
    return new


# --- deciding -----------------------------------------------------------------------------------------


def decide_for(session: Session, respondent: SurveyRespondent, table: ObligationRuleTable | None = None) -> None:
    """The respondent's obligations for each program of its survey, from its submitted answers."""
    table = table or current_rule_table(session)
    existing = {o.program_id: o for o in session.scalars(
        sa.select(InspectionObligation).where(InspectionObligation.respondent_id == respondent.id))}
    survey = respondent.survey
    q = questionnaire.load_questionnaire(survey.questionnaire, additions=tuple(survey.additions or ()))
    answers = dict(respondent.answers or {})
    reached = questionnaire.reached(q, respondent.kind, answers)
    if "2" not in reached:  # Q13 leaves Q1–Q12 to the union or to the members
        verdict = rules.Verdict(False, "all", (("Q13", NO_ANSWER_REASON),))
    else:
        verdict = rules.decide(table.table, answers, reached_items=reached)
    for program in respondent.survey.programs:
        obligation = existing.get(program.id)
        if obligation is None:
            obligation = InspectionObligation(survey_id=respondent.survey_id, respondent_id=respondent.id,
                                              organization_id=respondent.organization_id, program_id=program.id,
                                              deadline=respondent.survey.inspection_deadline)
            session.add(obligation)
        obligation.required = verdict.required
        obligation.scope = verdict.scope
        obligation.reasons = [list(r) for r in verdict.reasons]
        obligation.rule_version = table.version
        obligation.decided_at = utcnow()
    session.flush()


def withdraw_for(session: Session, respondent: SurveyRespondent) -> None:
    """Answers taken back to a draft decide nothing until submitted again; sign-offs and batches keep theirs."""
    for obligation in session.scalars(sa.select(InspectionObligation)
                                      .where(InspectionObligation.respondent_id == respondent.id)):
        if obligation.signed_off_at is None and not _has_batches(session, obligation):
            session.delete(obligation)
    session.flush()


def _has_batches(session: Session, obligation: InspectionObligation) -> bool:
    return session.scalar(sa.select(sa.func.count(InspectionBatch.id))
                          .where(InspectionBatch.obligation_id == obligation.id)) > 0


def obligation_for_batch(session: Session, agency_id: int, program_id: int) -> InspectionObligation | None:
    """The obligation an inspection of ``program_id`` by ``agency_id`` answers: the newest open survey's, if any."""
    return session.scalars(
        sa.select(InspectionObligation).join(InspectionObligation.survey)
        .where(InspectionObligation.organization_id == agency_id, InspectionObligation.program_id == program_id,
               Survey.status == SurveyStatus.OPEN)
        .order_by(InspectionObligation.survey_id.desc()).limit(1)).first()


# --- progress -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """An obligation with what its organisation has done: batches, open cases, the status, overdue."""

    obligation: InspectionObligation
    batches: int
    records_inspected: int
    open_cases: int
    status: ObligationStatus
    overdue: bool


def progress(session: Session, items: list[InspectionObligation], *, today: dt.date | None = None) -> list[Progress]:
    """The progress of each obligation, read in two queries whatever their number."""
    today = today or today_jst()
    pairs = {(o.organization_id, o.program_id) for o in items}
    batches: dict[int, tuple[int, int]] = {}
    cases: dict[tuple[int, int], int] = {}
    if items:
        ids = [o.id for o in items]
        for obligation_id, n, records in session.execute(
                sa.select(InspectionBatch.obligation_id, sa.func.count(), sa.func.coalesce(
                    sa.func.sum(InspectionBatch.records_inspected), 0))
                .where(InspectionBatch.obligation_id.in_(ids),
                       InspectionBatch.status.not_in((BatchStatus.REFUSED, BatchStatus.FAILED)))
                .group_by(InspectionBatch.obligation_id)):
            batches[obligation_id] = (n, int(records))
        organizations = {a for a, _ in pairs}
        programs = {p for _, p in pairs}
        for agency_id, program_id, n in session.execute(
                sa.select(Case.agency_id, Case.program_id, sa.func.count())
                .where(Case.agency_id.in_(organizations), Case.program_id.in_(programs),
                       Case.status.in_(OPEN_STATUSES))
                .group_by(Case.agency_id, Case.program_id)):
            cases[(agency_id, program_id)] = n
    result = []
    for o in items:
        n_batches, records = batches.get(o.id, (0, 0))
        open_cases = cases.get((o.organization_id, o.program_id), 0)
        if not o.required:
            status = ObligationStatus.NOT_REQUIRED
        elif o.signed_off_at is not None:
            status = ObligationStatus.DONE
        elif open_cases:
            status = ObligationStatus.VERIFYING
        elif n_batches:
            status = ObligationStatus.INSPECTING
        else:
            status = ObligationStatus.NOT_STARTED
        overdue = o.required and o.signed_off_at is None and o.deadline < today
        result.append(Progress(o, n_batches, records, open_cases, status, overdue))
    return result


def visible_obligations(session: Session, actor: User, *, survey: Survey | None = None,
                        required: bool | None = None) -> list[InspectionObligation]:
    """The obligations ``actor`` may see (own, the ministry's programs', all), by organisation code and program."""
    stmt = (sa.select(InspectionObligation).join(InspectionObligation.organization)
            .where(clause(actor, Permission.OBLIGATION_VIEW)) if actor is not None
            else sa.select(InspectionObligation).join(InspectionObligation.organization))
    if survey is not None:
        stmt = stmt.where(InspectionObligation.survey_id == survey.id)
    if required is not None:
        stmt = stmt.where(InspectionObligation.required.is_(required))
    return list(session.scalars(stmt.order_by(Organization.code, InspectionObligation.program_id)))


def get_obligation(session: Session, obligation_id: int, actor: User) -> InspectionObligation:
    obligation = session.get(InspectionObligation, obligation_id)
    if obligation is None or not may(actor, Permission.OBLIGATION_VIEW, obligation):
        raise NotFound("点検義務が見つかりません。")
    return obligation


def batches_of(session: Session, obligation: InspectionObligation) -> list[InspectionBatch]:
    return list(session.scalars(sa.select(InspectionBatch).where(InspectionBatch.obligation_id == obligation.id)
                                .order_by(InspectionBatch.id)))


# --- the organisation's report and the ministry's deadline ----------------------------------------------


def sign_off(session: Session, obligation: InspectionObligation, actor: User) -> InspectionObligation:
    """「本人確認作業が終了」: the supervisor reports the inspection done; refused while nothing was
    inspected or a case of the program is still open."""
    require(actor, Permission.OBLIGATION_SIGN_OFF, obligation)
    if not obligation.required:
        raise DomainError("この事務は点検不要と判定されています。終了の報告はありません。")
    if obligation.signed_off_at is not None:
        raise DomainError("本人確認作業の終了は既に報告されています。")
    [state] = progress(session, [obligation])
    if not state.batches:
        raise DomainError("この事務の点検が登録されていません。点検を終えてから報告してください。")
    if state.open_cases:
        raise DomainError(f"この事務の案件が{state.open_cases}件、まだ終わっていません。すべて通知まで終えてから報告してください。")
    obligation.signed_off_at = utcnow()
    obligation.signed_off_by_id = actor.id
    session.flush()
    return obligation


def change_deadline(session: Session, obligation: InspectionObligation, actor: User | None, deadline: dt.date,
                    reason: str) -> InspectionObligation:
    """A deadline of its own for this organisation (原則11月末), with the reason."""
    if actor is not None:
        require(actor, Permission.OBLIGATION_DEADLINE, obligation)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("期限を変更する理由を記入してください。")
    if len(reason) > REASON_MAX:
        raise DomainError(f"理由は{REASON_MAX}文字以内で記入してください。")
    if deadline < obligation.survey.deadline.date():
        raise DomainError("点検の期限は調査の回答期限より後の日にしてください。")
    obligation.deadline = deadline
    obligation.deadline_reason = reason
    session.flush()
    return obligation


# One row per obligation: the CSV of the list page and `caseflow survey obligations`.
OBLIGATION_COLUMNS = ("調査", "組織コード", "組織名", "事務", "点検", "対象", "期限", "状況", "期限超過", "理由")


def obligation_row(state: Progress) -> list[str]:
    """One obligation as the list page's CSV and the CLI write it (OBLIGATION_COLUMNS)."""
    o = state.obligation
    return [o.survey.code, o.organization.code, o.organization.name, o.program.name, "要" if o.required else "不要",
            o.scope_label if o.required else "", o.deadline.isoformat() if o.required else "", state.status.label,
            "期限超過" if state.overdue else "", " ".join(f"[{code}] {reason}" for code, reason in o.reasons)]
