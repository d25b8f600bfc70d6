"""Every state × trigger pair, allowed or refused, through the shared machine."""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow.cases import operations
from caseflow.cases.machine import CASE_MACHINE, TRANSITIONS, IllegalStatusChange
from caseflow.cases.vocabulary import CaseStatus, Cause, DismissReason, NotificationMethod, ViewedOnPortal
from caseflow.errors import DomainError
from tests.conftest import events_of

S = CaseStatus
# The workflow, as the issue states it. The machine must agree with this table exactly.
ALLOWED = {
    (S.DETECTED, "start_verification"): S.VERIFYING,
    (S.VERIFYING, "confirm"): S.CONFIRMED,
    (S.VERIFYING, "dismiss"): S.FALSE,
    (S.FALSE, "reopen"): S.VERIFYING,
    (S.CONFIRMED, "correct"): S.CORRECTED,
    (S.CORRECTED, "notify"): S.NOTIFIED,
}
TRIGGERS = ["start_verification", "confirm", "dismiss", "reopen", "correct", "notify"]

VALID_INPUT = {
    "start_verification": {},
    "confirm": {"cause": Cause.TWO_FACT_QUERY, "viewed_on_portal": ViewedOnPortal.UNKNOWN},
    "dismiss": {"dismiss_reason": DismissReason.UNREPORTED_MOVE},
    "reopen": {"comment": "本人から申出があったため"},
    "correct": {"comment": "確認しました"},
    "notify": {"notified_on": dt.date.today(), "notification_method": NotificationMethod.MAIL},
}


def test_machine_matches_the_workflow_table():
    declared = {(spec.source, spec.trigger): spec.dest for spec in TRANSITIONS}
    assert declared == ALLOWED
    assert set(CASE_MACHINE.events) == set(TRIGGERS)  # no to_<state>() auto transitions


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("state", list(CaseStatus))
def test_state_trigger_pair(state, trigger, make_case, caseworker, supervisor):
    case = make_case(state, pending_correction=(state is S.CONFIRMED))
    before = len(events_of(case.id))
    actor = supervisor if trigger == "correct" else caseworker

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
