"""Queues and deadlines: who works on a case (claim, release, reassign, bulk assign),
which cases are overdue, and their escalation to the supervisors.

Like caseflow.cases.operations, each function takes the acting user, checks
permission and state, writes the case's event and flushes; the caller commits.
Assigning never changes a case's status, so these are not transitions of the
state machine; they bump the case's version all the same, so two people
claiming one case at once get a conflict, not a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.access import visible_cases_clause
from caseflow.cases.kernel import check_version, flush_case, record_event
from caseflow.cases.models import Case, CaseEvent, Correction, Dismissal
from caseflow.cases.vocabulary import OPEN_STATUSES, CaseStatus, ProposalStatus
from caseflow.core.business_days import business_days_between
from caseflow.core.japanese import today_jst
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.policy import Permission, clause, may, require
from caseflow.users.models import User

ESCALATED = "escalated"
MAX_BULK_CASES = 500
_REFUSALS_SHOWN = 5
# Where a correction may be pending: before the first is approved, and after it, linking the number later.
CORRECTABLE_STATUSES = (CaseStatus.CONFIRMED, CaseStatus.CORRECTED, CaseStatus.NOTIFIED)


# --- deadlines -----------------------------------------------------------------------------------


def overdue_clause(today: dt.date) -> sa.ColumnElement[bool]:
    """SQL condition: the case is still open and its due date has passed (the same rule as is_overdue)."""
    return sa.and_(Case.status.in_(OPEN_STATUSES), Case.due_date.is_not(None), Case.due_date < today)


def viewing_stop_pending_clause() -> sa.ColumnElement[bool]:
    """SQL condition: a confirmed linkage error whose viewing on the Mynaportal is not yet suspended
    (閲覧停止が未了): until the correction removes the wrong number, its holder can still see the data."""
    return sa.and_(Case.status == CaseStatus.CONFIRMED, Case.viewing_suspended.is_(False))


def is_overdue(case: Case, today: dt.date | None = None) -> bool:
    """True when the case is open and its due date (JST) has passed."""
    today = today or today_jst()
    return case.status in OPEN_STATUSES and case.due_date is not None and case.due_date < today


def _escalated() -> sa.Exists:
    return sa.exists().where(CaseEvent.case_id == Case.id, CaseEvent.trigger == ESCALATED)


def overdue_cases(session: Session, actor: User, *, today: dt.date | None = None,
                  limit: int | None = None) -> list[Case]:
    """The overdue cases ``actor`` may see, the longest overdue first."""
    stmt = (sa.select(Case).where(visible_cases_clause(actor), overdue_clause(today or today_jst()))
            .order_by(Case.due_date.asc(), Case.id.asc()).limit(limit))
    return list(session.scalars(stmt))


def count_overdue(session: Session, actor: User, *, today: dt.date | None = None) -> int:
    """How many cases ``overdue_cases`` would list without a limit."""
    return session.scalar(sa.select(sa.func.count(Case.id)).where(
        visible_cases_clause(actor), overdue_clause(today or today_jst())))


def escalation_times(session: Session, case_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """When each of these cases was escalated (cases never escalated are absent)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(CaseEvent.case_id, sa.func.min(CaseEvent.created_at))
        .where(CaseEvent.case_id.in_(ids), CaseEvent.trigger == ESCALATED)
        .group_by(CaseEvent.case_id))
    return {case_id: first for case_id, first in rows}


def escalate_overdue(session: Session, today: dt.date | None = None) -> int:
    """Record an "escalated" event on every overdue case that has none yet; returns how many.

    Run by ``caseflow cases escalate`` (daily). Running it again the same day,
    or the next, records nothing new for a case already escalated. The event
    is the system's, not a person's: it does not bump the case's version, so a
    caseworker with the case open is not told someone else changed it.
    """
    today = today or today_jst()
    rows = session.execute(
        sa.select(Case.id, Case.status, Case.due_date).where(overdue_clause(today), ~_escalated())
        .order_by(Case.id)).all()
    now = utcnow()
    for case_id, status, due_date in rows:
        session.add(CaseEvent(
            case_id=case_id, actor_id=None, trigger=ESCALATED, from_status=status, to_status=status,
            created_at=now,
            details={"due_date": due_date.isoformat(), "business_days_overdue": business_days_between(due_date, today)},
        ))
    session.flush()
    return len(rows)


def approvals_waiting(session: Session, actor: User) -> list[Case]:
    """Cases of the supervisor's organisation whose proposal awaits a decision: a correction of a
    confirmed case (or one linking the number later, 本人特定待ち), or a dismissal of a case in
    verification (``Case.pending_proposal`` names it)."""
    check_may_supervise(actor)
    correction = sa.exists().where(Correction.case_id == Case.id, Correction.status == ProposalStatus.PROPOSED)
    dismissal = sa.exists().where(Dismissal.case_id == Case.id, Dismissal.status == ProposalStatus.PROPOSED)
    stmt = (sa.select(Case)
            .where(clause(actor, Permission.DECISION_APPROVE),
                   sa.or_(sa.and_(Case.status.in_(CORRECTABLE_STATUSES), correction),
                          sa.and_(Case.status == CaseStatus.VERIFYING, dismissal)))
            .order_by(Case.due_date.asc().nulls_last(), Case.id.asc()))
    return list(session.scalars(stmt))


def count_awaiting_identification(session: Session, actor: User) -> int:
    """How many cases ``actor`` may see await identification (本人特定待ち: ``Case.awaits_identification``)."""
    return session.scalar(sa.select(sa.func.count(Case.id)).where(
        visible_cases_clause(actor), Case.awaits_identification))


def check_may_supervise(actor: User) -> None:
    """The supervisors' page (承認待ち・期限超過) is for supervisors (承認者) only."""
    require(actor, Permission.CASE_SUPERVISE, action="承認待ち・期限超過の画面の利用")


# --- who works on a case -------------------------------------------------------------------------


def _check_open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise DomainError(f"この案件は「{case.status.label}」で完了しているため、担当者を変更できません。")


def _may_claim(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="担当の引受け")
    _check_open(case)
    if case.assignee_id == actor.id:
        raise DomainError("この案件は既にあなたの担当です。")
    if case.assignee_id is not None:
        raise DomainError(f"この案件は既に{case.assignee.display_name}さんの担当です。"
                          "担当者の変更は承認者に依頼してください。")


def _may_release(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="担当の解除")
    _check_open(case)
    if case.assignee_id != actor.id:
        raise PermissionDenied("担当を外せるのは、この案件の担当者本人のみです。")


def _may_reassign(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_SUPERVISE, case)
    _check_open(case)


def _check_assignee(case: Case, to: User) -> None:
    if not to.is_active:
        raise DomainError(f"{to.display_name}さんは利用停止中のため、担当にできません。")
    if not may(to, Permission.CASE_ACT, case):
        raise DomainError(f"{to.display_name}さんは案件を保有する機関の担当職員・承認者ではないため、担当にできません。")
    if case.assignee_id == to.id:
        raise DomainError(f"この案件は既に{to.display_name}さんの担当です。")


_QUEUE_ACTIONS = {"claim": _may_claim, "release": _may_release, "reassign": _may_reassign}


def available_queue_actions(case: Case, actor: User) -> list[str]:
    """Which of claim, release and reassign ``actor`` may do to ``case`` now (checked again on submit)."""
    actions = []
    for name, guard in _QUEUE_ACTIONS.items():
        try:
            guard(case, actor)
        except DomainError:
            continue
        actions.append(name)
    return actions


def _assign(case: Case, actor: User, to: User | None, trigger: str, comment: str | None = None, **extra) -> None:
    previous = case.assignee
    case.assignee_id = to.id if to else None
    case.assignee = to
    details = {"previous_assignee_id": previous.id if previous else None,
               "previous_assignee": previous.display_name if previous else None} | extra
    if to is not None:
        details |= {"assignee_id": to.id, "assignee": to.display_name}
    record_event(case, actor, trigger, comment, **details)


def claim_case(case: Case, actor: User, *, expected_version: int | None = None) -> None:
    """A caseworker or supervisor of the linking agency takes an unassigned open case (担当にする)."""
    check_version(case, expected_version)
    _may_claim(case, actor)
    _assign(case, actor, actor, "claim")
    flush_case(case)


def release_case(case: Case, actor: User, *, comment: str | None = None,
                 expected_version: int | None = None) -> None:
    """The assignee gives the case back: it is unassigned, for someone else to claim (担当を外す)."""
    check_version(case, expected_version)
    _may_release(case, actor)
    _assign(case, actor, None, "release", comment)
    flush_case(case)


def reassign_case(case: Case, actor: User, *, to: User, comment: str | None = None,
                  expected_version: int | None = None) -> None:
    """A supervisor of the case's organisation gives it to a caseworker or supervisor of that organisation."""
    check_version(case, expected_version)
    _may_reassign(case, actor)
    _check_assignee(case, to)
    _assign(case, actor, to, "reassign", comment)
    flush_case(case)


class BulkAssignRefused(DomainError):
    """At least one of the chosen cases may not be assigned, so none was."""

    code = "bulk_refused"

    def __init__(self, refusals: list[tuple[int, DomainError]]) -> None:
        self.refusals = refusals
        lines = [f"{_reference(case_id)}：{error.message}" for case_id, error in refusals[:_REFUSALS_SHOWN]]
        if len(refusals) > _REFUSALS_SHOWN:
            lines.append(f"ほか{len(refusals) - _REFUSALS_SHOWN}件")
        super().__init__(
            f"割り当てられない案件が{len(refusals)}件あるため、一括割当を行いませんでした"
            f"（どの案件も割り当てていません）。{' '.join(lines)}")
        statuses = {error.status_code for _case_id, error in refusals}
        self.status_code = statuses.pop() if len(statuses) == 1 else DomainError.status_code


def _reference(case_id: int) -> str:
    return f"CF-{case_id:07d}"


def bulk_assign(session: Session, actor: User, case_ids: Iterable[int], *, to: User,
                comment: str | None = None) -> int:
    """A supervisor assigns many cases to one staff member, all or nothing.

    Every case is checked as ``reassign_case`` would; if any is refused,
    BulkAssignRefused names each refused case and why, and nothing changes.
    Cases already assigned to ``to`` are left as they are. Returns how many
    cases changed hands.
    """
    require(actor, Permission.CASE_SUPERVISE, action="一括割当")
    if not to.is_active or not may(to, Permission.CASE_ACT, actor.organization):  # one who may hold its cases
        raise DomainError(f"{to.display_name}さんには割り当てられません。同じ機関の担当職員・承認者を選んでください。")
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise DomainError("割り当てる案件を選択してください。")
    if len(ids) > MAX_BULK_CASES:
        raise DomainError(f"一度に割り当てられるのは{MAX_BULK_CASES}件までです。")
    found = {case.id: case for case in session.scalars(
        sa.select(Case).where(Case.id.in_(ids), visible_cases_clause(actor)))}
    refusals: list[tuple[int, DomainError]] = []
    to_assign: list[Case] = []
    for case_id in ids:
        case = found.get(case_id)
        try:
            if case is None:
                raise NotFound("案件が見つかりません。")
            _may_reassign(case, actor)
            if case.assignee_id == to.id:
                continue
            _check_assignee(case, to)
        except DomainError as exc:
            refusals.append((case_id, exc))
            continue
        to_assign.append(case)
    if refusals:
        raise BulkAssignRefused(refusals)
    for case in to_assign:
        _assign(case, actor, to, "reassign", comment, bulk=True)
    if to_assign:
        flush_case(to_assign[0])
    return len(to_assign)
