"""What people do to cases. Each function takes the acting user, checks
permission and state, writes the audit event and flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from blinker import Namespace
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError
from transitions import MachineError

from caseflow.cases.access import is_agency_staff
from caseflow.cases.machine import (
    CASE_MACHINE,
    SPECS,
    allowed_triggers,
    check_deciding_supervisor,
    triggers_from,
)
from caseflow.cases.models import Case, CaseEvent, Correction
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionOutcome,
    CorrectionStatus,
    DismissReason,
    NotificationMethod,
    ViewedOnPortal,
)
from caseflow.db import is_write_conflict, utcnow
from caseflow.errors import STALE_MESSAGE, Conflict, DomainError, PermissionDenied
from caseflow.matching.mynumber import normalize_number, number_problem
from caseflow.users.models import User

# Sent after every transition, in its transaction: sender is the case; trigger, actor as keywords.
transitioned = Namespace().signal("case-transitioned")


def _session(case: Case) -> Session:
    session = object_session(case)
    if session is None:
        raise RuntimeError("case is not attached to a session")
    return session


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise Conflict(STALE_MESSAGE)


def _flush(case: Case) -> None:
    try:
        _session(case).flush()
    except StaleDataError as exc:
        raise Conflict(STALE_MESSAGE) from exc
    except DBAPIError as exc:
        if is_write_conflict(exc):
            raise Conflict(STALE_MESSAGE) from exc
        raise


def _record(case: Case, actor: User, trigger: str, comment: str | None = None, **details) -> CaseEvent:
    """An event that leaves the status as it is (comment, correction proposal …)."""
    event = CaseEvent(
        case=case,
        actor_id=actor.id,
        trigger=trigger,
        from_status=case.status,
        to_status=case.status,
        comment=(comment or "").strip() or None,
        details=details,
    )
    _session(case).add(event)
    case.updated_at = utcnow()  # bumps the version: concurrent actions conflict
    return event


def _may_propose_correction(case: Case, actor: User) -> None:
    if not is_agency_staff(actor, case):
        raise PermissionDenied("訂正内容の登録は、案件を保有する機関の職員のみが行えます。")
    if case.status is not CaseStatus.CONFIRMED:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、訂正内容を登録できません。")
    if case.pending_correction is not None:
        raise DomainError("承認待ちの訂正内容が既にあります。承認または差戻しを待ってください。")


def _may_return_correction(case: Case, actor: User) -> None:
    check_deciding_supervisor(case, actor, "差戻し")


def _may_set_viewing(case: Case, actor: User) -> None:
    if not is_agency_staff(actor, case):
        raise PermissionDenied("閲覧停止の設定は、案件を保有する機関の職員のみが行えます。")
    if case.status in (CaseStatus.NOTIFIED, CaseStatus.FALSE) and not case.viewing_suspended:
        raise DomainError("この案件では閲覧停止を設定できません。")


_OTHER_ACTIONS = {
    "propose_correction": _may_propose_correction,
    "return_correction": _may_return_correction,
    "set_viewing": _may_set_viewing,
}

# How each kind of timeline entry reads.
EVENT_LABELS = {spec.trigger: spec.label for spec in SPECS.values()} | {
    "detect": "検出",
    "propose_correction": "訂正内容を登録",
    "return_correction": "訂正内容を差戻し",
    "suspend_viewing": "閲覧停止",
    "resume_viewing": "閲覧停止を解除",
    "comment": "コメント",
    "set_recipient": "送付先を登録",
    "issue_letter": "通知文書を発行",
    "reprint_letter": "通知文書を再印刷",
    "void_letter": "通知文書を無効化",
    "letter_returned": "通知文書が返戻",
    "letter_mailed": "通知文書を発送",
    "claim": "担当を引き受け",
    "release": "担当を外す",
    "reassign": "担当者を変更",
    "escalated": "期限超過（承認者へ通知）",
    "refer": "照会",
    "answer_referral": "照会への回答",
}


def available_actions(case: Case, actor: User) -> list[str]:
    """What ``actor`` may do to ``case`` now: the machine's allowed triggers, then other actions.

    Pages offer exactly these; every one is checked again when submitted.
    """
    actions = [spec.trigger for spec in allowed_triggers(case, actor)]
    for name, guard in _OTHER_ACTIONS.items():
        try:
            guard(case, actor)
        except DomainError:
            continue
        actions.append(name)
    return actions


def fire(case: Case, trigger: str, actor: User, *, expected_version: int | None = None, **data) -> None:
    """Fire ``trigger`` on ``case`` for ``actor`` through the shared state machine.

    ``data`` carries what the transition needs (cause, viewed_on_portal,
    dismiss_reason, comment …). Raises DomainError (Japanese message) when the
    trigger is unknown, not allowed from the current status, refused by a
    guard, or when the case changed since ``expected_version``.
    """
    spec = SPECS.get(trigger)
    if spec is None:
        raise DomainError("不明な操作です。")
    _check_version(case, expected_version)
    if trigger not in triggers_from(case.status):
        raise DomainError(
            f"この案件は現在「{case.status.label}」のため、「{spec.label}」はできません。",
            code="invalid_transition",
        )
    try:
        done = CASE_MACHINE.events[trigger].trigger(case, actor=actor, **data)
    except MachineError as exc:  # pragma: no cover - triggers_from() already checked the source
        raise DomainError(f"「{spec.label}」はできません。", code="invalid_transition") from exc
    if not done:  # guards raise; this only happens if the machine itself refused
        raise DomainError(f"「{spec.label}」はできません。", code="invalid_transition")
    _flush(case)
    # Other areas react in the same transaction (caseflow.routing tells the ministry and the
    # Digital Agency of a confirmed error at once).
    transitioned.send(case, trigger=trigger, actor=actor)


def start_verification(case: Case, actor: User, *, expected_version: int | None = None) -> None:
    """Start checking whether the registered number is the person's; assigns the case to the actor."""
    fire(case, "start_verification", actor, expected_version=expected_version)


def confirm_case(
    case: Case,
    actor: User,
    *,
    cause: Cause | None,
    viewed_on_portal: ViewedOnPortal | None,
    cause_other: str | None = None,
    viewed_what: str | None = None,
    viewed_on: dt.date | None = None,
    viewing_suspended: bool | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Record a confirmed linkage error with its cause and whether it was viewed on the Mynaportal."""
    fire(case, "confirm", actor, expected_version=expected_version, cause=cause, cause_other=cause_other,
         viewed_on_portal=viewed_on_portal, viewed_what=viewed_what, viewed_on=viewed_on,
         viewing_suspended=viewing_suspended, comment=comment)


def dismiss_case(
    case: Case,
    actor: User,
    *,
    dismiss_reason: DismissReason | None,
    dismiss_reason_other: str | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Record that the registered number is the person's after all (not a linkage error)."""
    fire(case, "dismiss", actor, expected_version=expected_version, dismiss_reason=dismiss_reason,
         dismiss_reason_other=dismiss_reason_other, comment=comment)


def reopen_case(case: Case, actor: User, *, comment: str | None, expected_version: int | None = None) -> None:
    """Take a dismissed case back into verification; the reason is required."""
    fire(case, "reopen", actor, expected_version=expected_version, comment=comment)


def propose_correction(
    case: Case,
    actor: User,
    *,
    wrong_number_removed: bool,
    outcome: CorrectionOutcome | None,
    linked_number: str | None = None,
    note: str | None = None,
    query_facts: int | None = None,
    query_matches: int | None = None,
    expected_version: int | None = None,
) -> Correction:
    """Record the correction made in the business system, for a supervisor to approve.

    The wrong number must have been removed; the right number is either linked
    (a valid My Number, different from the wrong one) or left unlinked until
    the person is identified. A linked number was found by a resident-registry query
    with all four facts (three when the sex is not on record) that matched exactly one
    person: with several, linking is refused until the person is identified.
    """
    _check_version(case, expected_version)
    _may_propose_correction(case, actor)
    if not wrong_number_removed:
        raise DomainError("誤って紐付けられた個人番号を業務システムから削除したことを確認してください。")
    if not isinstance(outcome, CorrectionOutcome):
        raise DomainError("正しい個人番号を紐付けたか、紐付けずに保留したかを選択してください。")
    _check_registry_query(case, outcome, query_facts, query_matches)
    number = None
    if outcome is CorrectionOutcome.LINKED:
        number = normalize_number(linked_number)
        problem = number_problem(number)
        if problem:
            raise DomainError(f"紐付ける個人番号に誤りがあります：{problem}")
        if number == case.registered_number:
            raise DomainError("紐付ける個人番号が、誤って紐付けられていた番号と同じです。")
    elif (linked_number or "").strip():
        raise DomainError("「紐付けなし」を選んだ場合は、個人番号を入力しないでください。")
    correction = Correction(
        case=case,
        status=CorrectionStatus.PROPOSED,
        wrong_number_removed=True,
        outcome=outcome,
        linked_number=number,
        query_facts=query_facts,
        query_matches=query_matches,
        note=(note or "").strip() or None,
        proposed_by_id=actor.id,
        proposed_by=actor,
    )
    _session(case).add(correction)
    _record(case, actor, "propose_correction", note, outcome=outcome.value)
    _flush(case)
    return correction


# More people than this cannot answer one query on 基本4情報 (the whole registry is ~125 million).
MAX_QUERY_MATCHES = 9_999


def _check_registry_query(case: Case, outcome: CorrectionOutcome | None, facts: int | None,
                          matches: int | None) -> None:
    if facts is not None and facts not in (3, 4):
        raise DomainError("住基照会に用いた情報は、基本4情報または3情報（性別を除く）から選んでください。")
    if facts == 3 and (case.record_sex is not None or case.registry_sex is not None):
        raise DomainError("性別が分かっているため、住基照会は基本4情報で行ってください（3情報は性別が不明な場合のみ）。")
    if matches is not None and not 0 <= matches <= MAX_QUERY_MATCHES:
        raise DomainError(f"該当人数は0以上{MAX_QUERY_MATCHES:,}以下で入力してください。")
    if outcome is not CorrectionOutcome.LINKED:
        return
    if facts is None or matches is None:
        raise DomainError("正しい番号を紐付けた場合は、住基照会に用いた情報と該当人数を入力してください。")
    if matches == 0:
        raise DomainError("住基照会で該当者がいないため、紐付けできません。照会内容を確認するか、紐付けずに保留してください。")
    if matches > 1:
        raise DomainError(f"住基照会で{matches}人が該当したため、本人を特定するまで紐付けできません。"
                          "「紐付けなし（本人特定まで保留）」を選んでください。")


def approve_correction(case: Case, actor: User, *, comment: str | None = None,
                       expected_version: int | None = None) -> None:
    """A supervisor of the same organisation, not the proposer, approves: the case becomes corrected."""
    fire(case, "correct", actor, expected_version=expected_version, comment=comment)


def return_correction(case: Case, actor: User, *, comment: str | None,
                      expected_version: int | None = None) -> None:
    """A supervisor sends the proposed correction back to the caseworker with a comment."""
    _check_version(case, expected_version)
    _may_return_correction(case, actor)
    correction = case.pending_correction
    if not (comment or "").strip():
        raise DomainError("差戻しの理由を記入してください。")
    correction.status = CorrectionStatus.RETURNED
    correction.decided_by_id = actor.id
    correction.decided_at = utcnow()
    correction.decision_comment = comment.strip()
    _record(case, actor, "return_correction", comment, correction_id=correction.id)
    _flush(case)


def notify_case(case: Case, actor: User, *, notified_on: dt.date | None,
                notification_method: NotificationMethod | None, comment: str | None = None,
                expected_version: int | None = None) -> None:
    """Record that the resident was told (date and method)."""
    fire(case, "notify", actor, expected_version=expected_version, notified_on=notified_on,
         notification_method=notification_method, comment=comment)


def set_viewing_suspended(case: Case, actor: User, *, suspended: bool, comment: str | None = None,
                          expected_version: int | None = None) -> None:
    """Suspend (閲覧停止) or resume viewing of the linked data on the Mynaportal."""
    _check_version(case, expected_version)
    _may_set_viewing(case, actor)
    if case.viewing_suspended == suspended:
        raise DomainError("閲覧停止は既にその状態です。")
    case.viewing_suspended = suspended
    _record(case, actor, "suspend_viewing" if suspended else "resume_viewing", comment)
    _flush(case)


def add_comment(case: Case, actor: User, *, comment: str | None) -> CaseEvent:
    """A note in the timeline. Anyone who may see the case may comment."""
    if not (comment or "").strip():
        raise DomainError("コメントを入力してください。")
    event = _record(case, actor, "comment", comment)
    _flush(case)
    return event


def open_case(session: Session, **fields) -> Case:
    """Create a case in ``detected`` with its first event (used by detection and the demo seed)."""
    case = Case(status=CaseStatus.DETECTED, **fields)
    session.add(case)
    session.add(CaseEvent(case=case, actor_id=None, trigger="detect", from_status=None,
                          to_status=CaseStatus.DETECTED, details={"grade": case.grade.value}))
    session.flush()
    return case
