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

from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionStatus,
    DismissReason,
    NotificationMethod,
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


def check_deciding_supervisor(case: Case, actor: User, decision: str) -> None:
    """The second person: a supervisor of the case's organisation who did not propose the correction.

    ``decision`` names the act in the messages (承認 or 差戻し).
    """
    require(actor, Permission.CORRECTION_APPROVE, case, action=f"訂正の{decision}")
    check_not_referred_out(case)
    correction = case.pending_correction
    if correction is None:
        raise DomainError("承認待ちの訂正内容がありません。先に担当職員が訂正内容を登録してください。")
    if correction.proposed_by_id == actor.id:
        raise PermissionDenied(f"訂正内容を登録した職員本人は{decision}できません。別の承認者が確認してください。")


def _approving_supervisor(case: Case, actor: User, data: dict) -> None:
    check_deciding_supervisor(case, actor, "承認")


# --- input guards ---------------------------------------------------------


def _require_text(data: dict, key: str, message: str) -> None:
    if not (data.get(key) or "").strip():
        raise DomainError(message)


def _confirm_input(case: Case, actor: User, data: dict) -> None:
    cause = data.get("cause")
    if not isinstance(cause, Cause):
        raise DomainError("紐付け誤りの主な原因を選択してください。")
    if cause is Cause.OTHER:
        _require_text(data, "cause_other", "原因で「その他」を選んだ場合は、内容を記入してください。")
    viewed = data.get("viewed_on_portal")
    if not isinstance(viewed, ViewedOnPortal):
        raise DomainError("マイナポータルでの閲覧の有無（あり／なし／不明）を選択してください。")
    if viewed is ViewedOnPortal.YES:
        _require_text(data, "viewed_what", "閲覧ありの場合は、閲覧された情報を記入してください。")
    viewed_on = data.get("viewed_on")
    if viewed_on is not None and viewed_on > today_jst():
        raise DomainError("閲覧日に未来の日付は指定できません。")


def _dismiss_input(case: Case, actor: User, data: dict) -> None:
    reason = data.get("dismiss_reason")
    if not isinstance(reason, DismissReason):
        raise DomainError("誤りではないと判断した理由を選択してください。")
    if reason is DismissReason.OTHER:
        _require_text(data, "dismiss_reason_other", "理由で「その他」を選んだ場合は、内容を記入してください。")


def _reopen_input(case: Case, actor: User, data: dict) -> None:
    _require_text(data, "comment", "再確認する理由を記入してください。")


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


def _record_confirmation(case: Case, actor: User, data: dict) -> dict:
    case.cause = data["cause"]
    case.cause_other = (data.get("cause_other") or "").strip() or None
    case.viewed_on_portal = data["viewed_on_portal"]
    case.viewed_what = (data.get("viewed_what") or "").strip() or None
    case.viewed_on = data.get("viewed_on")
    if data.get("viewing_suspended") is not None:
        case.viewing_suspended = bool(data["viewing_suspended"])
    case.dismiss_reason = None
    case.dismiss_reason_other = None
    return {
        "cause": case.cause.value,
        "cause_other": case.cause_other,
        "viewed_on_portal": case.viewed_on_portal.value,
        "viewed_what": case.viewed_what,
        "viewed_on": case.viewed_on.isoformat() if case.viewed_on else None,
        "viewing_suspended": case.viewing_suspended,
    }


def _record_dismissal(case: Case, actor: User, data: dict) -> dict:
    case.dismiss_reason = data["dismiss_reason"]
    case.dismiss_reason_other = (data.get("dismiss_reason_other") or "").strip() or None
    return {"dismiss_reason": case.dismiss_reason.value, "dismiss_reason_other": case.dismiss_reason_other}


def _clear_dismissal(case: Case, actor: User, data: dict) -> dict:
    previous = case.dismiss_reason.value if case.dismiss_reason else None
    case.dismiss_reason = None
    case.dismiss_reason_other = None
    return {"previous_dismiss_reason": previous}


def _approve_correction(case: Case, actor: User, data: dict) -> dict:
    correction = case.pending_correction
    correction.status = CorrectionStatus.APPROVED
    correction.decided_by_id = actor.id
    correction.decided_at = utcnow()
    correction.decision_comment = (data.get("comment") or "").strip() or None
    return {
        "correction_id": correction.id,
        "proposed_by": correction.proposed_by.display_name,
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
                   (_agency_staff,), (_confirm_input,), _record_confirmation),
    TransitionSpec("dismiss", CaseStatus.VERIFYING, CaseStatus.FALSE, "誤りなしと判断",
                   (_agency_staff,), (_dismiss_input,), _record_dismissal),
    TransitionSpec("reopen", CaseStatus.FALSE, CaseStatus.VERIFYING, "再確認",
                   (_agency_staff,), (_reopen_input,), _clear_dismissal),
    TransitionSpec("correct", CaseStatus.CONFIRMED, CaseStatus.CORRECTED, "訂正を承認",
                   (_approving_supervisor,), effect=_approve_correction),
    TransitionSpec("notify", CaseStatus.CORRECTED, CaseStatus.NOTIFIED, "本人通知を記録",
                   (_agency_staff,), (_notify_input,), _record_notification),
)
SPECS: dict[str, TransitionSpec] = {spec.trigger: spec for spec in TRANSITIONS}


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
    reaches ``corrected`` without a second person's approval.
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
        if new is CaseStatus.CORRECTED and not any(
            c.status is CorrectionStatus.APPROVED and c.decided_by_id not in (None, c.proposed_by_id)
            for c in obj.corrections
        ):
            raise IllegalStatusChange("corrected needs a correction approved by a second person")


class IllegalStatusChange(RuntimeError):
    """A programming error: a status written without the state machine."""
