"""Referrals (照会) between the linking agency, the ministry and the Digital Agency, and inboxes.

A referral hands the case to the organisation asked; its answer hands it back. Every
hand-off is in the case's timeline. A confirmed error is put in the inbox of the program's
ministry and of the Digital Agency at once. Operations take the acting user and flush; the
caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from caseflow.cases.kernel import check_version, flush_case, record_event, session_of
from caseflow.cases.models import Case
from caseflow.cases.operations import transitioned
from caseflow.core.limits import TEXT_MAX
from caseflow.core.mynumber import mask_my_numbers
from caseflow.core.params import required_text
from caseflow.db import Statements, utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.organizations import reference
from caseflow.organizations.models import Organization
from caseflow.policy import Permission, audience, clause, may, require
from caseflow.routing.models import InboxItem, InboxKind, Referral, ReferralStatus
from caseflow.users.models import User

MAX_TEXT = TEXT_MAX


def _text(value: str | None, missing: str) -> str:
    return required_text(value, missing, MAX_TEXT)


def digital_agency(session: Session) -> Organization | None:
    """The Digital Agency (from the per-process reference cache)."""
    return reference.digital_agency(session)


def open_referral(case: Case, referrals: list[Referral] | None = None) -> Referral | None:
    """The case's referral awaiting an answer; from ``referrals`` (``referrals_of``) when already loaded."""
    if referrals is not None:
        return next((r for r in referrals if r.status is ReferralStatus.OPEN), None)
    return session_of(case).scalars(sa.select(Referral).where(Referral.case_id == case.id,
                                                            Referral.status == ReferralStatus.OPEN)).first()


def referrals_of(session: Session, case: Case) -> list[Referral]:
    # Not the case again, joined into every referral: it is loaded already.
    return list(session.scalars(sa.select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
                                .options(lazyload(Referral.case))))


def referral_targets(case: Case, actor: User, referrals: list[Referral] | None = None) -> list[Organization]:
    """Where ``actor`` may refer the case now (empty when they may not refer it); ``referrals`` as for ``open_referral``."""
    session = session_of(case)
    holder = case.holder or case.agency
    if not may(actor, Permission.REFERRAL_SEND, holder) or open_referral(case, referrals) is not None:
        return []
    candidates = [case.agency, case.program.ministry, digital_agency(session)]
    seen, targets = set(), []
    for organization in candidates:
        if organization is None or organization.id == holder.id or organization.id in seen:
            continue
        seen.add(organization.id)
        targets.append(organization)
    return targets


def refer_case(actor: User, case: Case, *, to: Organization, question: str | None,
               expected_version: int | None = None) -> Referral:
    """Send the case to ``to`` with a question; ``to`` holds the case until it answers.

    The holder refers: the linking agency to the program's ministry or the Digital Agency;
    a ministry or the Digital Agency back to the agency (差戻し) or on to the other.
    """
    check_version(case, expected_version)
    holder = case.holder or case.agency
    require(actor, Permission.REFERRAL_SEND, holder)
    if open_referral(case) is not None:
        raise DomainError("回答待ちの照会があります。回答が戻ってから照会してください。")
    if to.id not in {organization.id for organization in referral_targets(case, actor)}:
        raise DomainError("照会先は、この事務の所管省庁、デジタル庁、または紐付け実施機関から選んでください。")
    question = _text(question, "照会の内容を入力してください。")
    session = session_of(case)
    referral = Referral(case=case, from_organization_id=holder.id, to_organization_id=to.id,
                        question=question, asked_by_id=actor.id)
    session.add(referral)
    case.holder_id = to.id if to.id != case.agency_id else None
    session.flush()
    record_event(case, actor, "refer", question, referral_id=referral.id, to=to.name)
    _deliver(session, to, case, InboxKind.REFERRAL, f"{holder.name}から照会がありました：{_short(question)}")
    flush_case(case)
    return referral


def answer_referral(actor: User, referral: Referral, *, answer: str | None,
                    expected_version: int | None = None) -> None:
    """Answer an open referral; the case returns to the organisation that asked."""
    case = referral.case
    check_version(case, expected_version)
    if referral.status is not ReferralStatus.OPEN:
        raise DomainError("この照会には既に回答しています。")
    require(actor, Permission.REFERRAL_ANSWER, referral)
    referral.answer = _text(answer, "回答の内容を入力してください。")
    referral.status = ReferralStatus.ANSWERED
    referral.answered_by_id = actor.id
    referral.answered_at = utcnow()
    back = referral.from_organization
    case.holder_id = back.id if back.id != case.agency_id else None
    record_event(case, actor, "answer_referral", referral.answer, referral_id=referral.id, to=back.name)
    _deliver(session_of(case), back, case, InboxKind.ANSWER,
             f"{referral.to_organization.name}から照会への回答がありました：{_short(referral.answer)}")
    flush_case(case)


def get_visible_referral(session: Session, actor: User, referral_id: int) -> Referral:
    referral = session.scalars(sa.select(Referral).join(Referral.case)
                               .where(Referral.id == referral_id, clause(actor, Permission.CASE_VIEW))).one_or_none()
    if referral is None:
        raise NotFound("照会が見つかりません。")
    return referral


# --- inboxes ------------------------------------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    # Masked before it is cut: a cut could leave eight digits of a number the guard no longer sees.
    text = mask_my_numbers(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _deliver(session: Session, organization: Organization, case: Case, kind: InboxKind, message: str) -> None:
    session.add(InboxItem(organization_id=organization.id, case=case, kind=kind, message=message))


@transitioned.connect
def _share_confirmed(case: Case, *, trigger: str, actor: User, **_) -> None:
    """A confirmed error goes at once to the program's ministry and to the Digital Agency."""
    if trigger != "confirm":
        return
    session = session_of(case)
    message = f"{case.agency.name}が紐付け誤りを確定しました（{case.program.name}）。"
    recipients = [case.program.ministry, digital_agency(session)]
    for organization in {o.id: o for o in recipients if o is not None and o.id != case.agency_id}.values():
        _deliver(session, organization, case, InboxKind.CONFIRMED, message)


def _visible(actor: User, *, joined: bool = True) -> sa.ColumnElement[bool]:
    """The organisation's items ``actor`` may see: about a case they may see, or about a survey
    (``joined``: the statement joins the items' cases, outer)."""
    case_visible = clause(actor, Permission.CASE_VIEW)
    if not joined:
        case_visible = InboxItem.case_id.in_(sa.select(Case.id).where(case_visible))
    return sa.and_(clause(actor, Permission.INBOX_READ), sa.or_(InboxItem.case_id.is_(None), case_visible))


def inbox(session: Session, actor: User, *, unread_only: bool = False, limit: int = 200) -> list[InboxItem]:
    """The actor's organisation's inbox, newest first (only cases the actor may see)."""
    stmt = (sa.select(InboxItem).outerjoin(InboxItem.case).where(_visible(actor))
            .order_by(InboxItem.id.desc()).limit(limit))
    if unread_only:
        stmt = stmt.where(InboxItem.read_at.is_(None))
    return list(session.scalars(stmt))


# The unread count runs on every page (the navigation bar's badge): its statement is kept per audience.
_UNREAD_COUNTS = Statements()


def unread_count(session: Session, actor: User) -> int:
    key = (audience(actor, Permission.INBOX_READ), audience(actor, Permission.CASE_VIEW))
    return session.scalar(_UNREAD_COUNTS.get(key, lambda: (
        sa.select(sa.func.count(InboxItem.id)).outerjoin(InboxItem.case)
        .where(_visible(actor), InboxItem.read_at.is_(None))))) or 0


def mark_read(session: Session, actor: User, item_ids: list[int] | None = None) -> int:
    """Mark read the organisation's items that ``actor`` may see (all unread ones when ``item_ids`` is None).

    The same items as ``inbox`` shows: an item about a case the actor may not see stays unread
    for those who may.
    """
    stmt = (sa.update(InboxItem).where(_visible(actor, joined=False), InboxItem.read_at.is_(None))
            .values(read_at=utcnow(), read_by_id=actor.id))
    if item_ids is not None:
        stmt = stmt.where(InboxItem.id.in_(item_ids))
    return session.execute(stmt).rowcount or 0
