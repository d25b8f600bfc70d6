"""What people do to cases, and the case kernel every area writes cases through.

The kernel (public, used by inspections, letters, routing, queues and every new area):
``open_case``/``open_cases`` open cases with their detection event, ``fire`` moves a case
through the state machine, ``record_event`` adds a timeline entry that leaves the status as it
is, ``check_version`` refuses a form rendered before someone else's change, ``flush_case``
turns a concurrent write into a Conflict, ``session_of`` gives the case's session. Each
operation takes the acting user, checks permission and state, writes the audit event and
flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError
from transitions import MachineError

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
from caseflow.core.business_days import add_business_days
from caseflow.core.japanese import today_jst
from caseflow.core.mynumber import normalize_number, number_problem
from caseflow.db import is_write_conflict, utcnow
from caseflow.errors import STALE_MESSAGE, Conflict, DomainError
from caseflow.policy import Permission, require
from caseflow.users.models import User

# Sent after every transition, in its transaction: sender is the case; trigger, actor as keywords.
transitioned = Namespace().signal("case-transitioned")


def session_of(case: Case) -> Session:
    """The session ``case`` belongs to (an operation writes its events and rows there)."""
    session = object_session(case)
    if session is None:
        raise RuntimeError("case is not attached to a session")
    return session


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse (Conflict) when the form was rendered from another version of ``case`` (None: no check)."""
    if expected_version is not None and expected_version != case.version:
        raise Conflict(STALE_MESSAGE)


def flush_case(case: Case) -> None:
    """Flush ``case``'s session; a concurrent change of the same case becomes a Conflict (HTTP 409)."""
    try:
        session_of(case).flush()
    except StaleDataError as exc:
        raise Conflict(STALE_MESSAGE) from exc
    except DBAPIError as exc:
        if is_write_conflict(exc):
            raise Conflict(STALE_MESSAGE) from exc
        raise


def record_event(case: Case, actor: User, trigger: str, comment: str | None = None, **details) -> CaseEvent:
    """Add a timeline entry that leaves the status as it is (comment, correction proposal …).

    Bumps the case's version, so that two people acting on the same case at once conflict.
    """
    event = CaseEvent(
        case=case,
        actor_id=actor.id,
        trigger=trigger,
        from_status=case.status,
        to_status=case.status,
        comment=(comment or "").strip() or None,
        details=details,
    )
    session_of(case).add(event)
    case.updated_at = utcnow()  # bumps the version: concurrent actions conflict
    return event


def _may_propose_correction(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="訂正内容の登録")
    if case.status is not CaseStatus.CONFIRMED:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、訂正内容を登録できません。")
    if case.pending_correction is not None:
        raise DomainError("承認待ちの訂正内容が既にあります。承認または差戻しを待ってください。")


def _may_return_correction(case: Case, actor: User) -> None:
    check_deciding_supervisor(case, actor, "差戻し")


def _may_set_viewing(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="閲覧停止の設定")
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
    check_version(case, expected_version)
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
    flush_case(case)
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
    check_version(case, expected_version)
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
    session_of(case).add(correction)
    record_event(case, actor, "propose_correction", note, outcome=outcome.value)
    flush_case(case)
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
    check_version(case, expected_version)
    _may_return_correction(case, actor)
    correction = case.pending_correction
    if not (comment or "").strip():
        raise DomainError("差戻しの理由を記入してください。")
    correction.status = CorrectionStatus.RETURNED
    correction.decided_by_id = actor.id
    correction.decided_at = utcnow()
    correction.decision_comment = comment.strip()
    record_event(case, actor, "return_correction", comment, correction_id=correction.id)
    flush_case(case)


def notify_case(case: Case, actor: User, *, notified_on: dt.date | None,
                notification_method: NotificationMethod | None, comment: str | None = None,
                expected_version: int | None = None) -> None:
    """Record that the resident was told (date and method)."""
    fire(case, "notify", actor, expected_version=expected_version, notified_on=notified_on,
         notification_method=notification_method, comment=comment)


def set_viewing_suspended(case: Case, actor: User, *, suspended: bool, comment: str | None = None,
                          expected_version: int | None = None) -> None:
    """Suspend (閲覧停止) or resume viewing of the linked data on the Mynaportal."""
    check_version(case, expected_version)
    _may_set_viewing(case, actor)
    if case.viewing_suspended == suspended:
        raise DomainError("閲覧停止は既にその状態です。")
    case.viewing_suspended = suspended
    record_event(case, actor, "suspend_viewing" if suspended else "resume_viewing", comment)
    flush_case(case)


def add_comment(case: Case, actor: User, *, comment: str | None) -> CaseEvent:
    """A note in the timeline. Anyone who may see the case may comment."""
    if not (comment or "").strip():
        raise DomainError("コメントを入力してください。")
    event = record_event(case, actor, "comment", comment)
    flush_case(case)
    return event


# A new case is due this many business days (開庁日) after it is detected.
CASE_DUE_BUSINESS_DAYS = 10
_OPEN_CHUNK = 5_000


def due_date_for(detected_on: dt.date) -> dt.date:
    """When a case detected on ``detected_on`` must be decided."""
    return add_business_days(detected_on, CASE_DUE_BUSINESS_DAYS)


def open_case(session: Session, *, details: dict | None = None, **fields) -> Case:
    """Open one case in ``detected`` with its detection event (the grade, and ``details``).

    ``fields`` are the case's columns (program, agency, source record, number, facts, grade …);
    the due date defaults to ``CASE_DUE_BUSINESS_DAYS`` business days from today.
    """
    fields.setdefault("due_date", due_date_for(today_jst()))
    case = Case(status=CaseStatus.DETECTED, **fields)
    session.add(case)
    session.add(CaseEvent(case=case, actor_id=None, trigger="detect", from_status=None,
                          to_status=CaseStatus.DETECTED, details={"grade": case.grade.value, **(details or {})}))
    session.flush()
    return case


def open_cases(session: Session, rows: Iterable[dict], *, details: dict | None = None,
               chunk: int = _OPEN_CHUNK, progress: Callable[[int], None] | None = None) -> int:
    """Open many cases at once (one INSERT per ``chunk``), each in ``detected`` with its detection event.

    Each row holds a case's columns as for ``open_case``; ``details`` go into every detection
    event (e.g. the batch). ``progress(opened so far)`` is called after each chunk. Returns how many
    were opened. Rows go to the database as they are (no ORM events): the free-text guard does
    not see them, so they must carry no free text.
    """
    now = utcnow()
    due = due_date_for(today_jst())
    opened = 0
    for batch in _chunked(rows, chunk):
        values = [{"due_date": due, **row, "status": CaseStatus.DETECTED, "detected_at": now, "updated_at": now,
                   "version": 1} for row in batch]
        inserted = session.execute(sa.insert(Case).returning(Case.id, Case.grade, sort_by_parameter_order=True),
                                   values).all()
        session.execute(sa.insert(CaseEvent), [
            {"case_id": case_id, "actor_id": None, "trigger": "detect", "from_status": None,
             "to_status": CaseStatus.DETECTED, "created_at": now,
             "details": {"grade": case_grade.value, **(details or {})}}
            for case_id, case_grade in inserted
        ])
        opened += len(inserted)
        if progress is not None:
            progress(opened)
    return opened


def _chunked(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
