"""The case state machine: one machine for every case, built once at import.

Guards raise a DomainError with the reason instead of returning False, so a
refused action can never pass unnoticed. Guards are split in two: *actor*
guards (may this user do this to this case at all?) decide which actions a
page offers; *input* guards check what the user filled in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session
from transitions import EventData, Machine

from caseflow.cases.models import Case, CaseEvent, Correction, Dismissal
from caseflow.cases.vocabulary import (
    FACT_FIELDS,
    CaseStatus,
    Cause,
    DismissReason,
    FieldVerdict,
    IdentityMethod,
    NotificationMethod,
    ProposalKind,
    ProposalStatus,
    ViewedOnPortal,
)
from caseflow.core.japanese import today_jst
from caseflow.db import utcnow
from caseflow.errors import DomainError, PermissionDenied
from caseflow.policy import Permission, require
from caseflow.users.models import User

Guard = Callable[[Case, User, dict], None]


# --- actor guards ---------------------------------------------------------


def check_not_referred_out(case: Case) -> None:
    """While another organisation holds the case (an open referral), its status stays as it is."""
    if case.holder_id is not None and case.holder_id != case.agency_id:
        raise DomainError(f"この案件は{case.holder.name if case.holder else '他の機関'}に照会中です。"
                          "回答が戻るまで、状態を変える操作はできません。", code="referred_out")


def _agency_staff(case: Case, actor: User, data: dict) -> None:
    require(actor, Permission.CASE_ACT, case)
    check_not_referred_out(case)


# How the messages name the decision on each kind of proposal (「訂正の承認」「誤りなしの判断の差戻し」).
_DECISION_OF = {ProposalKind.CORRECTION: "訂正", ProposalKind.DISMISSAL: "誤りなしの判断"}


def check_deciding_supervisor(case: Case, actor: User, kind: ProposalKind, decision: str) -> Correction | Dismissal:
    """The second person: a supervisor of the case's organisation who did not propose the pending proposal.

    ``kind`` is the proposal decided on (a correction, a dismissal), ``decision`` names the act in the
    messages (承認 or 差戻し). Returns the pending proposal.
    """
    require(actor, Permission.DECISION_APPROVE, case, action=f"{_DECISION_OF[kind]}の{decision}")
    check_not_referred_out(case)
    proposal = case.pending(kind)
    if proposal is None:
        raise DomainError(f"承認待ちの{kind.label}がありません。先に担当職員が{kind.label}を登録してください。")
    if proposal.proposed_by_id == actor.id:
        raise PermissionDenied(f"{kind.label}を登録した職員本人は{decision}できません。別の承認者が確認してください。")
    return proposal


def _approving_correction(case: Case, actor: User, data: dict) -> None:
    check_deciding_supervisor(case, actor, ProposalKind.CORRECTION, "承認")


def _approving_dismissal(case: Case, actor: User, data: dict) -> None:
    check_deciding_supervisor(case, actor, ProposalKind.DISMISSAL, "承認")


def _no_pending_dismissal(case: Case, actor: User, data: dict) -> None:
    if case.pending_dismissal is not None:
        raise DomainError("承認待ちの誤りなしの判断があります。承認者が差し戻すか、登録した職員が取り下げてから"
                          "紐付け誤りと確定してください。")


def _reopening_supervisor(case: Case, actor: User, data: dict) -> None:
    """A supervisor of the case's organisation takes a confirmation back, before any correction is proposed."""
    require(actor, Permission.DECISION_APPROVE, case, action="誤り確定の取消し")
    check_not_referred_out(case)
    if case.pending_correction is not None:
        raise DomainError("承認待ちの訂正内容があります。差し戻すか、登録した職員が取り下げてから誤り確定を取り消してください。")


# --- input guards ---------------------------------------------------------


def _require_text(data: dict, key: str, message: str) -> None:
    if not (data.get(key) or "").strip():
        raise DomainError(message)


def check_cause_input(data: dict) -> None:
    """The main cause (主な原因): one of the list; "other" with its text. For confirming and amending."""
    cause = data.get("cause")
    if not isinstance(cause, Cause):
        raise DomainError("紐付け誤りの主な原因を選択してください。")
    if cause is Cause.OTHER:
        _require_text(data, "cause_other", "原因で「その他」を選んだ場合は、内容を記入してください。")


def check_viewed_input(data: dict) -> None:
    """Whether the data was viewed on the Mynaportal: yes needs what was viewed; no date in the future."""
    viewed = data.get("viewed_on_portal")
    if not isinstance(viewed, ViewedOnPortal):
        raise DomainError("マイナポータルでの閲覧の有無（あり／なし／不明）を選択してください。")
    if viewed is ViewedOnPortal.YES:
        _require_text(data, "viewed_what", "閲覧ありの場合は、閲覧された情報を記入してください。")
    viewed_on = data.get("viewed_on")
    if viewed_on is not None and viewed_on > today_jst():
        raise DomainError("閲覧日に未来の日付は指定できません。")


def _identity_input(data: dict) -> None:
    method = data.get("identity_method")
    if not isinstance(method, IdentityMethod):
        raise DomainError("本人確認の方法を選択してください。")
    if method is IdentityMethod.OTHER:
        _require_text(data, "identity_method_other", "本人確認の方法で「その他」を選んだ場合は、内容を記入してください。")
    verified_on = data.get("identity_verified_on")
    if not isinstance(verified_on, dt.date):
        raise DomainError("本人確認をした日を入力してください。")
    if verified_on > today_jst():
        raise DomainError("本人確認をした日に未来の日付は指定できません。")


def _confirm_input(case: Case, actor: User, data: dict) -> None:
    check_cause_input(data)
    check_viewed_input(data)
    _identity_input(data)


# The verdicts a reason for dismissing cannot explain: the reason is refused when every field of one
# of its groups is a mismatch (不一致). A surname change leaves the birth date and the sex as they
# were; a move changes only the address; a difference of notation changes no fact; the agency's own
# typing error does not make both the name and the birth date another person's. "Other" explains
# itself in its text, and the supervisor reads it.
DISMISS_REASON_CANNOT_EXPLAIN: dict[DismissReason, tuple[tuple[str, ...], ...]] = {
    DismissReason.SURNAME_CHANGE: (("birth_date",), ("sex",)),
    DismissReason.UNREPORTED_MOVE: (("name",), ("kana",), ("birth_date",), ("sex",)),
    DismissReason.NOTATION_DIFFERENCE: (("name",), ("kana",), ("birth_date",), ("sex",)),
    DismissReason.OWN_DATA_ENTRY_ERROR: (("name", "birth_date"),),
    DismissReason.OTHER: (),
}
_FIELD_LABELS = dict(FACT_FIELDS)


def check_dismissal_input(case: Case, data: dict) -> None:
    """The reason for dismissing (other: with its text), refused when the verdicts contradict it."""
    reason = data.get("dismiss_reason")
    if not isinstance(reason, DismissReason):
        raise DomainError("誤りではないと判断した理由を選択してください。")
    if reason is DismissReason.OTHER:
        _require_text(data, "dismiss_reason_other", "理由で「その他」を選んだ場合は、内容を記入してください。")
    for group in DISMISS_REASON_CANNOT_EXPLAIN[reason]:
        if all(case.verdict(field) is FieldVerdict.MISMATCH for field in group):
            fields = "と".join(_FIELD_LABELS[field] for field in group)
            raise DomainError(f"照合結果で{fields}が「不一致」のため、「{reason.label}」とは判断できません。"
                              "別人の番号の可能性があります。理由を見直すか、「その他」を選んで確認した内容を記入してください。")


def _reopen_input(case: Case, actor: User, data: dict) -> None:
    _require_text(data, "comment", "再確認する理由を記入してください。")


def _reopen_confirmation_input(case: Case, actor: User, data: dict) -> None:
    _require_text(data, "comment", "誤り確定を取り消す理由を記入してください。")


def _notify_input(case: Case, actor: User, data: dict) -> None:
    notified_on = data.get("notified_on")
    if not isinstance(notified_on, dt.date):
        raise DomainError("本人へ通知した日を入力してください。")
    if notified_on > today_jst():
        raise DomainError("通知日に未来の日付は指定できません。")
    if not isinstance(data.get("notification_method"), NotificationMethod):
        raise DomainError("通知の方法を選択してください。")


# --- effects (run after the guards, before the state changes) --------------


def _assign_to_actor(case: Case, actor: User, data: dict) -> dict:
    case.assignee_id = actor.id
    case.assignee = actor
    return {"assignee": actor.display_name}


def cause_values(data: dict) -> dict:
    """The case's cause columns from checked input (the text only with "other")."""
    cause = data["cause"]
    return {"cause": cause, "cause_other": ((data.get("cause_other") or "").strip() or None) if cause is Cause.OTHER
            else None}


def cause_details(case: Case) -> dict:
    """The cause as an event records it."""
    return {"cause": case.cause.value if case.cause else None, "cause_other": case.cause_other}


def viewed_values(data: dict) -> dict:
    """The case's viewed-on-portal columns from checked input (what and when belong to a viewing only)."""
    viewed = data["viewed_on_portal"]
    yes = viewed is ViewedOnPortal.YES
    return {"viewed_on_portal": viewed, "viewed_what": ((data.get("viewed_what") or "").strip() or None) if yes else None,
            "viewed_on": data.get("viewed_on") if yes else None}


def viewed_details(case: Case) -> dict:
    """Whether the data was viewed, as an event records it."""
    return {
        "viewed_on_portal": case.viewed_on_portal.value if case.viewed_on_portal else None,
        "viewed_what": case.viewed_what,
        "viewed_on": case.viewed_on.isoformat() if case.viewed_on else None,
    }


def set_values(case: Case, values: dict) -> None:
    """Write checked values (from ``cause_values``, ``viewed_values``) onto the case."""
    for name, value in values.items():
        setattr(case, name, value)


def _identity_details(case: Case) -> dict:
    return {
        "identity_method": case.identity_method.value if case.identity_method else None,
        "identity_method_other": case.identity_method_other,
        "identity_verified_on": case.identity_verified_on.isoformat() if case.identity_verified_on else None,
    }


def _record_confirmation(case: Case, actor: User, data: dict) -> dict:
    set_values(case, cause_values(data))
    set_values(case, viewed_values(data))
    if data.get("viewing_suspended") is not None:
        case.viewing_suspended = bool(data["viewing_suspended"])
    case.identity_method = data["identity_method"]
    other = (data.get("identity_method_other") or "").strip() or None
    case.identity_method_other = other if case.identity_method is IdentityMethod.OTHER else None
    case.identity_verified_on = data["identity_verified_on"]
    case.identity_verified_by_id = actor.id
    case.identity_verified_by = actor
    case.dismiss_reason = None
    case.dismiss_reason_other = None
    return {**cause_details(case), **viewed_details(case), "viewing_suspended": case.viewing_suspended,
            **_identity_details(case)}


def _clear_confirmation(case: Case, actor: User, data: dict) -> dict:
    previous = {**cause_details(case), **viewed_details(case), **_identity_details(case)}
    case.cause = case.cause_other = None
    case.viewed_on_portal = case.viewed_what = case.viewed_on = None
    case.identity_method = case.identity_method_other = case.identity_verified_on = None
    case.identity_verified_by_id = None
    case.identity_verified_by = None
    return {"previous": previous}


def decide_proposal(proposal: Correction | Dismissal, actor: User, status: ProposalStatus,
                    comment: str | None) -> None:
    """Record the decision on a proposal: approved (by the machine's transitions), returned, or withdrawn."""
    proposal.status = status
    proposal.decided_by_id = actor.id
    proposal.decided_by = actor
    proposal.decided_at = utcnow()
    proposal.decision_comment = (comment or "").strip() or None


def _approve_dismissal(case: Case, actor: User, data: dict) -> dict:
    dismissal = case.pending_dismissal
    proposed_by = dismissal.proposed_by.display_name
    decide_proposal(dismissal, actor, ProposalStatus.APPROVED, data.get("comment"))
    case.dismiss_reason = dismissal.reason
    case.dismiss_reason_other = dismissal.reason_other
    return {"dismissal_id": dismissal.id, "proposed_by": proposed_by,
            "dismiss_reason": case.dismiss_reason.value, "dismiss_reason_other": case.dismiss_reason_other}


def _clear_dismissal(case: Case, actor: User, data: dict) -> dict:
    previous = case.dismiss_reason.value if case.dismiss_reason else None
    case.dismiss_reason = None
    case.dismiss_reason_other = None
    return {"previous_dismiss_reason": previous}


def _approve_correction(case: Case, actor: User, data: dict) -> dict:
    correction = case.pending_correction
    proposed_by = correction.proposed_by.display_name
    decide_proposal(correction, actor, ProposalStatus.APPROVED, data.get("comment"))
    return {
        "correction_id": correction.id,
        "proposed_by": proposed_by,
        "outcome": correction.outcome.value,
    }


def _record_notification(case: Case, actor: User, data: dict) -> dict:
    case.notified_on = data["notified_on"]
    case.notification_method = data["notification_method"]
    details = {"notified_on": case.notified_on.isoformat(), "method": case.notification_method.value}
    if data.get("letter"):  # notified by an issued letter (caseflow.letters): which one
        details["letter"] = data["letter"]
    return details


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    source: CaseStatus
    dest: CaseStatus
    label: str
    actor_guards: tuple[Guard, ...]
    input_guards: tuple[Guard, ...] = ()
    effect: Callable[[Case, User, dict], dict] | None = None


TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec("start_verification", CaseStatus.DETECTED, CaseStatus.VERIFYING, "確認を開始",
                   (_agency_staff,), effect=_assign_to_actor),
    TransitionSpec("confirm", CaseStatus.VERIFYING, CaseStatus.CONFIRMED, "紐付け誤りと確定",
                   (_agency_staff, _no_pending_dismissal), (_confirm_input,), _record_confirmation),
    # A dismissal is proposed by staff (caseflow.cases.operations.propose_dismissal, with its reason
    # checked against the verdicts) and takes effect when a second person approves it: here.
    TransitionSpec("dismiss", CaseStatus.VERIFYING, CaseStatus.FALSE, "誤りなしの判断を承認",
                   (_approving_dismissal,), effect=_approve_dismissal),
    TransitionSpec("reopen", CaseStatus.FALSE, CaseStatus.VERIFYING, "再確認",
                   (_agency_staff,), (_reopen_input,), _clear_dismissal),
    TransitionSpec("reopen_confirmation", CaseStatus.CONFIRMED, CaseStatus.VERIFYING, "誤り確定を取消し（再確認）",
                   (_reopening_supervisor,), (_reopen_confirmation_input,), _clear_confirmation),
    TransitionSpec("correct", CaseStatus.CONFIRMED, CaseStatus.CORRECTED, "訂正を承認",
                   (_approving_correction,), effect=_approve_correction),
    # 本人特定待ち: the correction left the number unlinked until the person is identified. Linking the
    # right number later is a new correction, approved by a second person like the first; the status
    # stays (a self-transition, one row per status it may happen in: before or after the notification).
    *(TransitionSpec("link_later", status, status, "本人特定後の紐付けを承認", (_approving_correction,),
                     effect=_approve_correction) for status in (CaseStatus.CORRECTED, CaseStatus.NOTIFIED)),
    TransitionSpec("notify", CaseStatus.CORRECTED, CaseStatus.NOTIFIED, "本人通知を記録",
                   (_agency_staff,), (_notify_input,), _record_notification),
)
SPECS: dict[str, TransitionSpec] = {}
"""Trigger → its spec (label, guards, effect); a trigger from several statuses has one row per status, alike
but for its source and destination, and is named here by its first."""
for _spec in TRANSITIONS:
    SPECS.setdefault(_spec.trigger, _spec)


def _check_guards(event: EventData) -> bool:
    spec = SPECS[event.event.name]
    case: Case = event.model
    actor: User = event.kwargs["actor"]
    data: dict = event.kwargs
    for guard in spec.actor_guards + spec.input_guards:
        guard(case, actor, data)
    return True


def _apply_effect(event: EventData) -> None:
    spec = SPECS[event.event.name]
    details = spec.effect(event.model, event.kwargs["actor"], event.kwargs) if spec.effect else {}
    event.kwargs["_details"] = details


def _record_event(event: EventData) -> None:
    case: Case = event.model
    session = object_session(case)
    if session is None:
        raise RuntimeError("a case must belong to a session before it changes state")
    session.add(
        CaseEvent(
            case=case,
            actor_id=event.kwargs["actor"].id,
            trigger=event.event.name,
            from_status=CaseStatus[event.transition.source],
            to_status=CaseStatus[event.transition.dest],
            comment=(event.kwargs.get("comment") or "").strip() or None,
            details=event.kwargs.get("_details") or {},
        )
    )
    # Touch the row so that every transition checks and bumps the version.
    case.updated_at = utcnow()


CASE_MACHINE = Machine(
    model=None,
    states=CaseStatus,
    initial=None,
    auto_transitions=False,
    model_attribute="status",
    send_event=True,
    after_state_change=[_record_event],
    transitions=[
        {
            "trigger": spec.trigger,
            "source": spec.source,
            "dest": spec.dest,
            "conditions": [_check_guards],
            "before": [_apply_effect],
        }
        for spec in TRANSITIONS
    ],
)


# Asked of the machine once: get_triggers() scans every event on each call.
_TRIGGERS_FROM = {status: tuple(CASE_MACHINE.get_triggers(status)) for status in CaseStatus}


def triggers_from(status: CaseStatus) -> tuple[str, ...]:
    """Triggers the machine defines from ``status``, in the order declared."""
    return _TRIGGERS_FROM[status]


def allowed_triggers(case: Case, actor: User) -> list[TransitionSpec]:
    """The transitions this user may start on this case now (input not yet checked)."""
    allowed = []
    for trigger in triggers_from(case.status):
        spec = SPECS[trigger]
        try:
            for guard in spec.actor_guards:
                guard(case, actor, {})
        except DomainError:
            continue
        allowed.append(spec)
    return allowed


# --- the same rules at the persistence layer -------------------------------------------

_LEGAL_CHANGES = {(spec.source, spec.dest) for spec in TRANSITIONS}


@event.listens_for(Session, "before_flush")
def _status_changes_follow_the_machine(session: Session, _ctx, _instances) -> None:
    """Refuse to store a status the machine did not produce.

    Operations always go through the machine; this catches code that sets
    ``case.status`` by hand (a script, a shell, a future bug), so no path
    reaches ``corrected`` or ``false`` without a second person's approval,
    nor approves a correction (a later linking leaves the status as it is) without one.
    """
    for obj in session.new:
        if isinstance(obj, Case) and obj.status not in (None, CaseStatus.DETECTED):
            raise IllegalStatusChange("a new case starts as detected")
    for obj in session.dirty:
        if not isinstance(obj, Case):
            continue
        history = sa.inspect(obj).attrs.status.history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0]
        if (old, new) not in _LEGAL_CHANGES:
            raise IllegalStatusChange(f"{old} -> {new} is not a transition of the case machine")
        if new is CaseStatus.CORRECTED and not any(_approved_by_a_second_person(c) for c in obj.corrections):
            raise IllegalStatusChange("corrected needs a correction approved by a second person")
        if new is CaseStatus.FALSE and not (obj.dismissals and _approved_by_a_second_person(obj.dismissals[-1])):
            raise IllegalStatusChange("false needs a dismissal approved by a second person")
    for obj in session.dirty:
        if isinstance(obj, Correction) and ProposalStatus.APPROVED in sa.inspect(obj).attrs.status.history.added \
                and not _approved_by_a_second_person(obj):
            raise IllegalStatusChange("a correction needs approval by a second person")


def _approved_by_a_second_person(proposal: Correction | Dismissal) -> bool:
    return proposal.status is ProposalStatus.APPROVED and proposal.decided_by_id not in (None, proposal.proposed_by_id)


class IllegalStatusChange(RuntimeError):
    """A programming error: a status written without the state machine."""
