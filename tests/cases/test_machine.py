"""Every state × trigger pair, allowed or refused, through the shared machine."""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow.cases import operations
from caseflow.cases.machine import CASE_MACHINE, TRANSITIONS, IllegalStatusChange
from caseflow.cases.vocabulary import CaseStatus, Cause, NotificationMethod, ProposalStatus, ViewedOnPortal
from caseflow.errors import DomainError, PermissionDenied
from caseflow.users.models import Role
from tests.conftest import IDENTITY, events_of

S = CaseStatus
# The workflow, as the issue states it. The machine must agree with this table exactly.
ALLOWED = {
    (S.DETECTED, "start_verification"): S.VERIFYING,
    (S.VERIFYING, "confirm"): S.CONFIRMED,
    (S.VERIFYING, "dismiss"): S.FALSE,  # a supervisor approves the pending dismissal
    (S.FALSE, "reopen"): S.VERIFYING,
    (S.CONFIRMED, "reopen_confirmation"): S.VERIFYING,  # a supervisor, before any correction
    (S.CONFIRMED, "correct"): S.CORRECTED,
    (S.CORRECTED, "notify"): S.NOTIFIED,
    # 本人特定待ち: a supervisor approves the right number linked later; the status stays.
    (S.CORRECTED, "link_later"): S.CORRECTED,
    (S.NOTIFIED, "link_later"): S.NOTIFIED,
}
TRIGGERS = ["start_verification", "confirm", "dismiss", "reopen", "reopen_confirmation", "correct", "link_later",
            "notify"]
# The second person's triggers: fired by a supervisor on a proposal someone else made.
SUPERVISORS_TRIGGERS = {"dismiss", "correct", "link_later", "reopen_confirmation"}

VALID_INPUT = {
    "start_verification": {},
    "confirm": {"cause": Cause.TWO_FACT_QUERY, "viewed_on_portal": ViewedOnPortal.UNKNOWN, **IDENTITY},
    "dismiss": {"comment": "照合結果を確認しました"},
    "reopen": {"comment": "本人から申出があったため"},
    "reopen_confirmation": {"comment": "本人確認の書類を取り違えていたため"},
    "correct": {"comment": "確認しました"},
    "link_later": {"comment": "住基照会で本人を特定しました"},
    "notify": {"notified_on": dt.date.today(), "notification_method": NotificationMethod.MAIL},
}


def test_machine_matches_the_workflow_table():
    declared = {(spec.source, spec.trigger): spec.dest for spec in TRANSITIONS}
    assert declared == ALLOWED
    assert set(CASE_MACHINE.events) == set(TRIGGERS)  # no to_<state>() auto transitions


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("state", list(CaseStatus))
def test_state_trigger_pair(state, trigger, make_case, caseworker, supervisor):
    # What each approval decides is pending (a correction, a dismissal, proposed by the caseworker).
    approving = (state is S.CONFIRMED and trigger == "correct") or (
        state in (S.CORRECTED, S.NOTIFIED) and trigger == "link_later")
    case = make_case(state, pending_correction=approving,
                     pending_dismissal=(state is S.VERIFYING and trigger == "dismiss"))
    before = len(events_of(case.id))
    actor = supervisor if trigger in SUPERVISORS_TRIGGERS else caseworker

    if (state, trigger) in ALLOWED:
        operations.fire(case, trigger, actor, **VALID_INPUT[trigger])
        assert case.status is ALLOWED[(state, trigger)]
        events = events_of(case.id)
        assert len(events) == before + 1
        last = events[-1]
        assert (last.trigger, last.from_status, last.to_status, last.actor_id) == (
            trigger, state, ALLOWED[(state, trigger)], actor.id)
    else:
        with pytest.raises(DomainError) as refused:
            operations.fire(case, trigger, actor, **VALID_INPUT[trigger])
        assert refused.value.code == "invalid_transition"
        assert state.label in refused.value.message  # says why, in Japanese
        assert case.status is state
        assert len(events_of(case.id)) == before


def test_unknown_trigger_is_refused(make_case, caseworker):
    case = make_case()
    with pytest.raises(DomainError, match="不明な操作"):
        operations.fire(case, "to_corrected", caseworker)
    assert case.status is S.DETECTED


def test_start_verification_assigns_the_case_to_the_actor(make_case, caseworker):
    case = make_case()
    assert case.assignee_id is None
    operations.start_verification(case, caseworker)
    assert case.assignee_id == caseworker.id


def test_corrected_set_by_hand_is_not_stored(make_case, session):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    case.status = CaseStatus.CORRECTED  # no approval: as from a shell or a script
    with pytest.raises(IllegalStatusChange, match="second person"):
        session.flush()


def test_a_status_jump_is_not_stored(make_case, session):
    case = make_case(CaseStatus.DETECTED)
    case.status = CaseStatus.NOTIFIED
    with pytest.raises(IllegalStatusChange, match="not a transition"):
        session.flush()


def test_false_set_by_hand_is_not_stored(make_case, session):
    case = make_case(CaseStatus.VERIFYING, pending_dismissal=True)
    case.status = CaseStatus.FALSE  # proposed, never approved: as from a shell or a script
    with pytest.raises(IllegalStatusChange, match="second person"):
        session.flush()


def test_dismiss_needs_a_pending_dismissal_and_a_second_person(make_case, make_user, caseworker, supervisor):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="承認待ちの誤りなしの判断がありません"):
        operations.fire(case, "dismiss", supervisor)
    boss = make_user(Role.SUPERVISOR)
    proposed_by_boss = make_case(CaseStatus.VERIFYING, staff=(boss, boss), pending_dismissal=True)
    with pytest.raises(PermissionDenied, match="登録した職員本人は承認できません"):
        operations.fire(proposed_by_boss, "dismiss", boss)
    with pytest.raises(PermissionDenied, match="承認者"):
        operations.fire(proposed_by_boss, "dismiss", caseworker)
    assert proposed_by_boss.status is CaseStatus.VERIFYING
    operations.fire(proposed_by_boss, "dismiss", supervisor)
    assert proposed_by_boss.status is CaseStatus.FALSE
    assert proposed_by_boss.dismissals[-1].status is ProposalStatus.APPROVED


def test_confirm_waits_while_a_dismissal_is_pending(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING, pending_dismissal=True)
    assert "confirm" not in operations.available_actions(case, caseworker)
    with pytest.raises(DomainError, match="承認待ちの誤りなしの判断があります"):
        operations.fire(case, "confirm", caseworker, **VALID_INPUT["confirm"])
    assert case.status is CaseStatus.VERIFYING


def test_reopen_confirmation_is_a_supervisors_before_any_correction(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    assert "reopen_confirmation" not in operations.available_actions(case, supervisor)
    with pytest.raises(DomainError, match="承認待ちの訂正内容があります"):
        operations.reopen_confirmation(case, supervisor, comment="書類の取り違え")
    confirmed = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(PermissionDenied, match="誤り確定の取消しは"):
        operations.reopen_confirmation(confirmed, caseworker, comment="書類の取り違え")
    with pytest.raises(DomainError, match="取り消す理由"):
        operations.reopen_confirmation(confirmed, supervisor, comment=" ")
    operations.reopen_confirmation(confirmed, supervisor, comment="書類の取り違え")
    assert (confirmed.status, confirmed.cause, confirmed.viewed_on_portal, confirmed.identity_method) == (
        CaseStatus.VERIFYING, None, None, None)
    event = events_of(confirmed.id)[-1]
    assert (event.trigger, event.comment, event.details["previous"]["cause"]) == (
        "reopen_confirmation", "書類の取り違え", Cause.FAMILY_MEMBER_NUMBER.value)
