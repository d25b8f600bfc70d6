"""What people do to cases. Each function takes the acting user, checks permission and state,
writes the audit event and flushes; the caller commits.

``fire`` moves a case through the one state machine; with the kernel in caseflow.cases.kernel
(opening cases, timeline entries, version checks) it is how every area writes a case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from blinker import Namespace
from transitions import MachineError

from caseflow.cases.kernel import check_version, flush_case, record_event, session_of
from caseflow.cases.machine import (
    CASE_MACHINE,
    SPECS,
    allowed_triggers,
    cause_details,
    cause_values,
    check_cause_input,
    check_deciding_supervisor,
    check_dismissal_input,
    check_viewed_input,
    decide_proposal,
    set_values,
    triggers_from,
    viewed_details,
    viewed_values,
)
from caseflow.cases.models import Case, CaseEvent, Correction, Dismissal
from caseflow.cases.vocabulary import (
    CaseSource,
    CaseStatus,
    Cause,
    CorrectionOutcome,
    CorrectionStatus,
    DismissReason,
    IdentityMethod,
    NotificationMethod,
    ProposalKind,
    ProposalStatus,
    ViewedOnPortal,
)
from caseflow.core.mynumber import normalize_number, number_problem
from caseflow.errors import DomainError, PermissionDenied
from caseflow.organizations.models import CorrectionKind, Program
from caseflow.policy import Permission, require
from caseflow.users.models import User

# Sent after every transition, in its transaction: sender is the case; trigger, actor as keywords.
transitioned = Namespace().signal("case-transitioned")


def _may_propose_correction(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="訂正内容の登録")
    # Once corrected, only a case whose number was left unlinked (本人特定待ち) gets another correction.
    if case.status is not CaseStatus.CONFIRMED and not case.awaits_identification:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、訂正内容を登録できません。")
    if case.pending_correction is not None:
        raise DomainError("承認待ちの訂正内容が既にあります。承認または差戻しを待ってください。")


def _may_return_correction(case: Case, actor: User) -> None:
    check_deciding_supervisor(case, actor, ProposalKind.CORRECTION, "差戻し")


def _may_propose_dismissal(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="誤りなしの判断の登録")
    if case.status is not CaseStatus.VERIFYING:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、誤りなしの判断を登録できません。")
    if case.pending_dismissal is not None:
        raise DomainError("承認待ちの誤りなしの判断が既にあります。承認または差戻しを待ってください。")


def _may_return_dismissal(case: Case, actor: User) -> None:
    check_deciding_supervisor(case, actor, ProposalKind.DISMISSAL, "差戻し")


def _may_withdraw(kind: ProposalKind) -> Callable[[Case, User], Correction | Dismissal]:
    def check(case: Case, actor: User) -> Correction | Dismissal:
        require(actor, Permission.CASE_ACT, case, action=f"{kind.label}の取下げ")
        proposal = case.pending(kind)
        if proposal is None:
            raise DomainError(f"取り下げられる承認待ちの{kind.label}がありません。")
        if proposal.proposed_by_id != actor.id:
            raise PermissionDenied(f"{kind.label}を取り下げられるのは、登録した職員本人のみです。"
                                   "承認者は差し戻すことができます。")
        return proposal

    return check


# The facts recorded with a confirmation can be amended as long as the case stays an error.
AMENDABLE_STATUSES = (CaseStatus.CONFIRMED, CaseStatus.CORRECTED, CaseStatus.NOTIFIED)


def _may_amend(what: str) -> Callable[[Case, User], None]:
    def check(case: Case, actor: User) -> None:
        require(actor, Permission.CASE_ACT, case, action=f"{what}の修正")
        if case.status not in AMENDABLE_STATUSES:
            raise DomainError(f"この案件は現在「{case.status.label}」のため、{what}を修正できません"
                              "（紐付け誤りと確定した後に修正できます）。")

    return check


_may_amend_viewed = _may_amend("マイナポータルでの閲覧の有無")
_may_amend_cause = _may_amend("主な原因")


def _may_set_viewing(case: Case, actor: User) -> None:
    require(actor, Permission.CASE_ACT, case, action="閲覧停止の設定")
    if case.status in (CaseStatus.NOTIFIED, CaseStatus.FALSE) and not case.viewing_suspended:
        raise DomainError("この案件では閲覧停止を設定できません。")


# The actions that are not transitions, each with the check that decides whether a user may take it now.
OTHER_ACTIONS = {
    "propose_dismissal": _may_propose_dismissal,
    "return_dismissal": _may_return_dismissal,
    "withdraw_dismissal": _may_withdraw(ProposalKind.DISMISSAL),
    "propose_correction": _may_propose_correction,
    "return_correction": _may_return_correction,
    "withdraw_correction": _may_withdraw(ProposalKind.CORRECTION),
    "amend_viewed": _may_amend_viewed,
    "amend_cause": _may_amend_cause,
    "set_viewing": _may_set_viewing,
}

# How each kind of timeline entry reads.
EVENT_LABELS = {spec.trigger: spec.label for spec in SPECS.values()} | {
    "detect": "検出",
    "propose_dismissal": "誤りなしの判断を登録（承認待ち）",
    "return_dismissal": "誤りなしの判断を差戻し",
    "withdraw_dismissal": "誤りなしの判断を取下げ",
    "propose_correction": "訂正内容を登録",
    "return_correction": "訂正内容を差戻し",
    "withdraw_correction": "訂正内容を取下げ",
    "amend_viewed": "閲覧の有無を修正",
    "amend_cause": "主な原因を修正",
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
    "add_evidence": "証拠書類を登録",
    "open_by_hand": "手入力で登録",
    "enter_registry": "住民基本台帳の情報を入力",
}


def describe_event(event: CaseEvent) -> str | None:
    """What a decision or an amendment in the timeline was about, in words (None: its label says it all)."""
    details = event.details or {}
    if event.trigger in ("propose_dismissal", "dismiss") and details.get("dismiss_reason"):
        return "理由：" + _labelled(DismissReason, details["dismiss_reason"], details.get("dismiss_reason_other"))
    if event.trigger == "open_by_hand":
        words = "発見の経緯：" + _labelled(CaseSource, details.get("source"), details.get("source_other"))
        return words + (f"（一覧「{details['list_file']}」から登録）" if details.get("list_file") else "")
    if event.trigger == "enter_registry" and details.get("grade"):
        return f"判定：{details.get('previous_grade')} → {details['grade']}"
    if event.trigger == "propose_correction" and details.get("link_later"):
        return "本人特定後の紐付け（本人特定待ちの案件）"
    if event.trigger == "amend_viewed":
        return f"{_viewed_words(details.get('previous') or {})} → {_viewed_words(details)}"
    if event.trigger == "amend_cause":
        before = details.get("previous") or {}
        return (f"{_labelled(Cause, before.get('cause'), before.get('cause_other'))} → "
                f"{_labelled(Cause, details.get('cause'), details.get('cause_other'))}")
    return None


def _labelled(enum_cls, value: str | None, other: str | None = None) -> str:
    if not value:
        return "（未入力）"
    try:
        label = enum_cls(value).label
    except ValueError:
        label = value
    return f"{label}（{other}）" if other else label


def _viewed_words(details: dict) -> str:
    words = _labelled(ViewedOnPortal, details.get("viewed_on_portal"))
    if details.get("viewed_what"):
        words += f"：{details['viewed_what']}"
    if details.get("viewed_on"):
        words += f"（{details['viewed_on']}）"
    return words


def available_actions(case: Case, actor: User) -> list[str]:
    """What ``actor`` may do to ``case`` now: the machine's allowed triggers, then other actions.

    Pages offer exactly these; every one is checked again when submitted.
    """
    actions = [spec.trigger for spec in allowed_triggers(case, actor)]
    for name, guard in OTHER_ACTIONS.items():
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
    identity_method: IdentityMethod | None,
    identity_verified_on: dt.date | None,
    identity_method_other: str | None = None,
    cause_other: str | None = None,
    viewed_what: str | None = None,
    viewed_on: dt.date | None = None,
    viewing_suspended: bool | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Record a confirmed linkage error: its cause, whether it was viewed on the Mynaportal, and how
    identity was verified (method, day; the actor is who verified it)."""
    fire(case, "confirm", actor, expected_version=expected_version, cause=cause, cause_other=cause_other,
         viewed_on_portal=viewed_on_portal, viewed_what=viewed_what, viewed_on=viewed_on,
         viewing_suspended=viewing_suspended, identity_method=identity_method,
         identity_method_other=identity_method_other, identity_verified_on=identity_verified_on, comment=comment)


def propose_dismissal(
    case: Case,
    actor: User,
    *,
    dismiss_reason: DismissReason | None,
    dismiss_reason_other: str | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Dismissal:
    """Propose that the registered number is the person's after all (誤りなし), for a supervisor to approve.

    The reason must fit the verdicts (「表記の違い」 is refused when the name or the birth date is a
    mismatch …: ``caseflow.cases.machine.DISMISS_REASON_CANNOT_EXPLAIN``). The case stays in
    verification until a supervisor of its organisation, not the proposer, approves (``dismiss``).
    """
    check_version(case, expected_version)
    _may_propose_dismissal(case, actor)
    check_dismissal_input(case, {"dismiss_reason": dismiss_reason, "dismiss_reason_other": dismiss_reason_other})
    reason_other = ((dismiss_reason_other or "").strip() or None) if dismiss_reason is DismissReason.OTHER else None
    dismissal = Dismissal(case=case, status=ProposalStatus.PROPOSED, reason=dismiss_reason, reason_other=reason_other,
                          note=(comment or "").strip() or None, proposed_by_id=actor.id, proposed_by=actor)
    session_of(case).add(dismissal)
    record_event(case, actor, "propose_dismissal", comment, dismiss_reason=dismiss_reason.value,
                 dismiss_reason_other=reason_other)
    flush_case(case)
    return dismissal


def approve_dismissal(case: Case, actor: User, *, comment: str | None = None,
                      expected_version: int | None = None) -> None:
    """A supervisor of the same organisation, not the proposer, approves: the case becomes 誤りなし."""
    fire(case, "dismiss", actor, expected_version=expected_version, comment=comment)


def return_dismissal(case: Case, actor: User, *, comment: str | None,
                     expected_version: int | None = None) -> None:
    """A supervisor sends the proposed dismissal back with a comment; the case stays in verification."""
    check_version(case, expected_version)
    dismissal = check_deciding_supervisor(case, actor, ProposalKind.DISMISSAL, "差戻し")
    if not (comment or "").strip():
        raise DomainError("差戻しの理由を記入してください。")
    decide_proposal(dismissal, actor, ProposalStatus.RETURNED, comment)
    record_event(case, actor, "return_dismissal", comment, dismissal_id=dismissal.id)
    flush_case(case)


def withdraw_proposal(case: Case, actor: User, kind: ProposalKind, *, comment: str | None,
                      expected_version: int | None = None) -> None:
    """The proposer takes back their own pending proposal (a dismissal or a correction), with the reason.

    Anyone of the organisation's staff may then propose again: a supervisor's own proposal, which
    no one else could approve in an organisation with one supervisor, is withdrawn and proposed
    again by a caseworker, for the supervisor to approve.
    """
    check_version(case, expected_version)
    proposal = _may_withdraw(kind)(case, actor)
    if not (comment or "").strip():
        raise DomainError("取り下げる理由を記入してください。")
    decide_proposal(proposal, actor, ProposalStatus.WITHDRAWN, comment)
    record_event(case, actor, f"withdraw_{kind.value}", comment, **{f"{kind.value}_id": proposal.id})
    flush_case(case)


def amend_viewed(case: Case, actor: User, *, viewed_on_portal: ViewedOnPortal | None, comment: str | None,
                 viewed_what: str | None = None, viewed_on: dt.date | None = None,
                 expected_version: int | None = None) -> None:
    """Amend whether the data was viewed on the Mynaportal after the confirmation (不明 → あり/なし, or
    a mistake corrected), with the reason; the event keeps what it was before. Reports count the new value."""
    check_version(case, expected_version)
    _may_amend_viewed(case, actor)
    data = {"viewed_on_portal": viewed_on_portal, "viewed_what": viewed_what, "viewed_on": viewed_on}
    check_viewed_input(data)
    _require_reason(comment)
    values = viewed_values(data)
    if all(getattr(case, name) == value for name, value in values.items()):
        raise DomainError("マイナポータルでの閲覧の有無は既にその内容です。")
    previous = viewed_details(case)
    set_values(case, values)
    record_event(case, actor, "amend_viewed", comment, previous=previous, **viewed_details(case))
    flush_case(case)


def amend_cause(case: Case, actor: User, *, cause: Cause | None, comment: str | None,
                cause_other: str | None = None, expected_version: int | None = None) -> None:
    """Amend the main cause after the confirmation, with the reason; the event keeps the one before."""
    check_version(case, expected_version)
    _may_amend_cause(case, actor)
    data = {"cause": cause, "cause_other": cause_other}
    check_cause_input(data)
    _require_reason(comment)
    values = cause_values(data)
    if all(getattr(case, name) == value for name, value in values.items()):
        raise DomainError("主な原因は既にその内容です。")
    previous = cause_details(case)
    set_values(case, values)
    record_event(case, actor, "amend_cause", comment, previous=previous, **cause_details(case))
    flush_case(case)


def _require_reason(comment: str | None) -> None:
    if not (comment or "").strip():
        raise DomainError("修正の理由を記入してください。")


def reopen_case(case: Case, actor: User, *, comment: str | None, expected_version: int | None = None) -> None:
    """Take a dismissed case back into verification; the reason is required."""
    fire(case, "reopen", actor, expected_version=expected_version, comment=comment)


def reopen_confirmation(case: Case, actor: User, *, comment: str | None,
                        expected_version: int | None = None) -> None:
    """A supervisor takes a confirmation back before any correction (誤り確定 → 確認中), with the reason.

    The cause, the viewed status and the identity verification are cleared (the event keeps them).
    """
    fire(case, "reopen_confirmation", actor, expected_version=expected_version, comment=comment)


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

    A case whose approved correction left the number unlinked (本人特定待ち, corrected or notified)
    gets a new correction once the person is identified: the right number linked, with its query,
    approved like the first (``approve_correction`` fires ``link_later``; the status stays).
    """
    check_version(case, expected_version)
    _may_propose_correction(case, actor)
    linking_later = case.awaits_identification
    if not wrong_number_removed:
        raise DomainError("誤って紐付けられた個人番号を業務システムから削除したことを確認してください。")
    if linking_later and outcome is not CorrectionOutcome.LINKED:
        raise DomainError("この案件は本人特定待ちです。本人を特定できたら「正しい番号を紐付け」を選び、"
                          "住基照会の内容と紐付けた個人番号を登録してください。")
    if not isinstance(outcome, CorrectionOutcome) or outcome not in correction_outcomes(case.program):
        raise DomainError("訂正の内容を選択してください（" + "、".join(
            f"「{o.label}」" for o in correction_outcomes(case.program)) + "）。")
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
    record_event(case, actor, "propose_correction", note, outcome=outcome.value,
                 **({"link_later": True} if linking_later else {}))
    flush_case(case)
    return correction


# More people than this cannot answer one query on 基本4情報 (the whole registry is ~125 million).
MAX_QUERY_MATCHES = 9_999


def outcomes_for(case: Case) -> tuple[CorrectionOutcome, ...]:
    """The corrections ``case`` may get now: its program's, or only the right number linked when it
    awaits identification (本人特定待ち)."""
    return (CorrectionOutcome.LINKED,) if case.awaits_identification else correction_outcomes(case.program)


def correction_outcomes(program: Program) -> tuple[CorrectionOutcome, ...]:
    """The corrections a program's error may get: for 公金受取口座, the account's deletion and a request to
    register again; elsewhere, the right number linked or the linking left until the person is identified."""
    if program.correction_kind is CorrectionKind.ACCOUNT_DELETION:
        return (CorrectionOutcome.ACCOUNT_DELETED,)
    return (CorrectionOutcome.LINKED, CorrectionOutcome.UNLINKED)


def _check_registry_query(case: Case, outcome: CorrectionOutcome | None, facts: int | None,
                          matches: int | None) -> None:
    if facts is not None and facts not in (3, 4):
        raise DomainError("住基照会に用いた情報は、基本4情報または3情報（性別を除く）から選んでください。")
    # The query is about the record's person: what the program holds and what its record says decide;
    # the registry's sex is the number's holder's, another person's.
    if facts == 3 and case.program.holds("sex") and case.record_sex is not None:
        raise DomainError("この事務は性別を保有しており、業務データに性別があるため、住基照会は基本4情報で行ってください"
                          "（3情報は性別を保有しない事務、または性別が不明な場合のみ）。")
    if facts == 4 and case.record_sex is None:
        raise DomainError(f"業務データに性別がないため（{case.program.name}）、住基照会は3情報（性別を除く）で行ってください。")
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
    """A supervisor of the same organisation, not the proposer, approves: the case becomes corrected.

    A correction linking the right number later (本人特定待ち) is approved the same way, by ``link_later``:
    the case stays corrected or notified, and leaves the 本人特定待ち queue.
    """
    trigger = "link_later" if "link_later" in triggers_from(case.status) else "correct"
    fire(case, trigger, actor, expected_version=expected_version, comment=comment)


def return_correction(case: Case, actor: User, *, comment: str | None,
                      expected_version: int | None = None) -> None:
    """A supervisor sends the proposed correction back to the caseworker with a comment."""
    check_version(case, expected_version)
    correction = check_deciding_supervisor(case, actor, ProposalKind.CORRECTION, "差戻し")
    if not (comment or "").strip():
        raise DomainError("差戻しの理由を記入してください。")
    decide_proposal(correction, actor, CorrectionStatus.RETURNED, comment)
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
