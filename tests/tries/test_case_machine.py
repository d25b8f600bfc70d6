"""The case workflow driven at random (hypothesis' RuleBasedStateMachine) by every kind of user.

A few cases, opened in random statuses, get random actions — every trigger of the state
machine, dismissal and correction proposals, their returns and withdrawals, amendments of the
viewed status and the cause, viewing suspension, comments, claim and release,
referrals and their answers — from random users: agency A's caseworker, two of its
supervisors, agency B's caseworker, the program's ministry officer and a Digital Agency
officer, with complete (3 times in 4) or missing input and sometimes (1 in 10) a stale version. After every action:

- a refused action raised a DomainError (a subclass) and changed nothing: status, version
  and events as before, nothing pending in the session;
- an accepted action added exactly the events it stands for, moved the status only along
  the machine's transition table (an action that is not a transition keeps it), and bumped
  the version; nobody outside agency A ever changed a status;
- events are append-only (every event seen before is still there, unchanged) and the
  transition events of a case, replayed, lead from ``detected`` to its status.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from types import SimpleNamespace
from typing import ClassVar

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from caseflow.cases import operations, queue
from caseflow.cases.machine import SPECS, TRANSITIONS, triggers_from
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionOutcome,
    DismissReason,
    IdentityMethod,
    NotificationMethod,
    ProposalKind,
    ViewedOnPortal,
)
from caseflow.core.japanese import today_jst
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind
from caseflow.routing import operations as routing
from caseflow.users.models import Role
from tests.conftest import valid_number

EXAMPLES = {"sqlite": 150, "postgresql": 100}
STEPS = 20
CASES = 3
LEGAL = {(spec.source, spec.dest) for spec in TRANSITIONS}
ACTORS = ("caseworker", "supervisor", "second_supervisor", "other_caseworker", "ministry", "digital")
# Drawn with agency A's staff more often, so that more actions get through.
ACTOR = st.sampled_from(("caseworker",) * 3 + ("supervisor", "second_supervisor") * 2 + ACTORS[3:])
# Users outside agency A: they may comment, refer and answer referrals, never change a status.
OUTSIDERS = {"other_caseworker", "ministry", "digital"}
# (status, pending correction, pending dismissal)
STARTS = ([(status, False, False) for status in CaseStatus] + [(CaseStatus.CONFIRMED, True, False)]
          + [(CaseStatus.VERIFYING, False, True)] * 2
          # notified without a number (本人特定待ち), the right one linked later and awaiting approval
          + [(CaseStatus.NOTIFIED, True, False)])


def _arguments(trigger: str, complete: bool, draw) -> dict:
    """What a transition needs, filled in (``complete``) or left out (its input guards refuse)."""
    if not complete:
        return {}
    if trigger == "confirm":
        cause = draw(st.sampled_from(list(Cause)))
        viewed = draw(st.sampled_from(list(ViewedOnPortal)))
        return {"cause": cause, "cause_other": "書類の取り違え", "viewed_on_portal": viewed,
                "viewed_what": "医療保険の資格情報", "viewed_on": today_jst(), "viewing_suspended": draw(st.booleans()),
                "identity_method": draw(st.sampled_from(list(IdentityMethod))), "identity_method_other": "在籍証明",
                "identity_verified_on": today_jst()}
    if trigger in ("reopen", "reopen_confirmation"):
        return {"comment": "再確認します。"}
    if trigger == "notify":
        return {"notified_on": today_jst() - dt.timedelta(days=draw(st.integers(0, 3))),
                "notification_method": draw(st.sampled_from(list(NotificationMethod)))}
    return {"comment": draw(st.sampled_from([None, "承認します。"]))}


class CaseWorkflow(RuleBasedStateMachine):
    """Random users act on a few cases; every action is checked against the machine's table."""

    env: ClassVar[SimpleNamespace]  # set by the test: make_case, users, organisations, counters

    @initialize(starts=st.lists(st.sampled_from(STARTS), min_size=CASES, max_size=CASES))
    def open_cases(self, starts):
        env = self.env
        self.cases = [env.make_case(status, pending_correction=correction, pending_dismissal=dismissal)
                      for status, correction, dismissal in starts]
        self.seen: dict[int, tuple] = {}
        self._remember_events()

    # --- actions ---------------------------------------------------------------------------------

    @rule(data=st.data(), index=st.integers(0, CASES - 1), actor=ACTOR, complete=st.integers(0, 3),
          stale=st.integers(0, 9))
    def fire(self, data, index, actor, complete, stale):
        case = self.cases[index]
        # Mostly (3 in 4) a trigger the machine defines from the case's status, else any trigger.
        defined = triggers_from(case.status)
        any_trigger = not defined or data.draw(st.integers(0, 3), label="any trigger") == 0
        trigger = data.draw(st.sampled_from(list(SPECS) if any_trigger else defined), label="trigger")
        arguments = _arguments(trigger, complete > 0, data.draw)
        version = case.version - 1 if stale == 0 else case.version  # one in ten is stale
        self._act(f"fire:{trigger}", case, actor, [trigger], lambda user: operations.fire(
            case, trigger, user, expected_version=version, **arguments))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR, linked=st.booleans())
    def propose_correction(self, index, actor, linked):
        case = self.cases[index]
        if linked:
            arguments = {"outcome": CorrectionOutcome.LINKED, "linked_number": self.env.right_number,
                         "query_facts": 4, "query_matches": 1}
        else:
            arguments = {"outcome": CorrectionOutcome.UNLINKED}
        self._act("propose_correction", case, actor, ["propose_correction"], lambda user: operations.propose_correction(
            case, user, wrong_number_removed=True, expected_version=case.version, **arguments))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR, comment=st.sampled_from([None, "照会結果を添付"]))
    def return_correction(self, index, actor, comment):
        case = self.cases[index]
        self._act("return_correction", case, actor, ["return_correction"], lambda user: operations.return_correction(
            case, user, comment=comment, expected_version=case.version))

    @rule(data=st.data(), index=st.integers(0, CASES - 1), actor=ACTOR,
          action=st.sampled_from(["propose_dismissal"] * 3 + ["return_dismissal", "withdraw", "amend"]))
    def decide(self, data, index, actor, action):
        """Dismissal proposals and returns, withdrawals of either kind, amendments: one rule, so that
        the machine's transitions keep their share of the steps."""
        case = self.cases[index]
        comment = data.draw(st.sampled_from([None, "理由を記入"]), label="comment")
        if action == "propose_dismissal":
            # Mostly "other", which any verdicts allow; the rest are refused by the factories' verdicts.
            reason = data.draw(st.sampled_from([DismissReason.OTHER] * 3 + list(DismissReason)), label="reason")
            self._act(action, case, actor, [action], lambda user: operations.propose_dismissal(
                case, user, dismiss_reason=reason, dismiss_reason_other="同一人", comment=comment,
                expected_version=case.version))
        elif action == "return_dismissal":
            self._act(action, case, actor, [action], lambda user: operations.return_dismissal(
                case, user, comment=comment, expected_version=case.version))
        elif action == "withdraw":
            kind = data.draw(st.sampled_from(list(ProposalKind)), label="kind")
            self._act(f"withdraw_{kind.value}", case, actor, [f"withdraw_{kind.value}"],
                      lambda user: operations.withdraw_proposal(case, user, kind, comment=comment,
                                                                expected_version=case.version))
        elif data.draw(st.booleans(), label="viewed"):
            viewed = data.draw(st.sampled_from(list(ViewedOnPortal)), label="viewed on portal")
            self._act("amend_viewed", case, actor, ["amend_viewed"], lambda user: operations.amend_viewed(
                case, user, viewed_on_portal=viewed, viewed_what="資格情報", comment=comment,
                expected_version=case.version))
        else:
            cause = data.draw(st.sampled_from(list(Cause)), label="cause")
            self._act("amend_cause", case, actor, ["amend_cause"], lambda user: operations.amend_cause(
                case, user, cause=cause, cause_other="その他の原因", comment=comment, expected_version=case.version))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR, suspended=st.booleans())
    def set_viewing(self, index, actor, suspended):
        case = self.cases[index]
        trigger = "suspend_viewing" if suspended else "resume_viewing"
        self._act("set_viewing", case, actor, [trigger], lambda user: operations.set_viewing_suspended(
            case, user, suspended=suspended, expected_version=case.version))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR, comment=st.sampled_from(["", "確認中です。"]))
    def comment(self, index, actor, comment):
        case = self.cases[index]
        self._act("comment", case, actor, ["comment"], lambda user: operations.add_comment(case, user, comment=comment))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR, claim=st.booleans())
    def claim_or_release(self, index, actor, claim):
        case = self.cases[index]
        if claim:
            self._act("claim", case, actor, ["claim"], lambda user: queue.claim_case(
                case, user, expected_version=case.version))
        else:
            self._act("release", case, actor, ["release"], lambda user: queue.release_case(
                case, user, expected_version=case.version))

    @rule(index=st.integers(0, CASES - 1), actor=ACTOR,
          to=st.sampled_from(["agency", "ministry", "digital", "other_agency"]))
    def refer(self, index, actor, to):
        case = self.cases[index]
        target = self.env.organizations[to]
        self._act("refer", case, actor, ["refer"], lambda user: routing.refer_case(
            user, case, to=target, question="ご確認ください。", expected_version=case.version))

    @rule(data=st.data(), actor=st.one_of(ACTOR, st.just("addressee")))
    def answer(self, data, actor):
        referrals = [r for r in map(routing.open_referral, self.cases) if r is not None]
        if not referrals:
            return
        referral = data.draw(st.sampled_from(referrals), label="referral")
        case = referral.case
        if actor == "addressee":  # the user of the organisation asked, half the time
            actor = next(name for name, user in self.env.users.items()
                         if user.organization_id == referral.to_organization_id)
        self._act("answer", case, actor, ["answer_referral"], lambda user: routing.answer_referral(
            user, referral, answer="回答します。", expected_version=case.version))

    # --- the checks ------------------------------------------------------------------------------

    def _act(self, action: str, case: Case, actor: str, expected: list[str], do) -> None:
        before = self._state(case)
        try:
            do(self.env.users[actor])
        except DomainError as refusal:
            assert isinstance(refusal.message, str) and refusal.message
            # Nothing pending: a refused action must not leave a change for the next flush.
            assert not db.session.new, f"{action} by {actor} refused but left {db.session.new}"
            assert not [o for o in db.session.dirty if db.session.is_modified(o)], f"{action} left changes"
            assert self._state(case) == before, f"{action} by {actor} refused but changed the case"
            self.env.outcomes[(action, "refused", type(refusal).__name__)] += 1
            return
        after = self._state(case)
        added = [trigger for trigger, *_rest in after.events[len(before.events):]]
        assert after.events[:len(before.events)] == before.events, f"{action} rewrote earlier events"
        assert added == expected, f"{action} by {actor} added {added}, expected {expected}"
        assert after.version > before.version, f"{action} did not bump the version"
        # A trigger from several statuses (link_later) has a row per status.
        spec = next((s for s in TRANSITIONS if s.trigger == expected[0] and s.source == before.status),
                    SPECS.get(expected[0]))
        if spec is not None:
            assert (before.status, after.status) == (spec.source, spec.dest), (action, before.status, after.status)
        else:
            assert after.status == before.status, f"{action} changed the status"
        if after.status != before.status:
            assert actor not in OUTSIDERS, f"{actor} (outside agency A) changed a status by {action}"
        self.env.outcomes[(action, "accepted", actor)] += 1

    def _state(self, case: Case) -> SimpleNamespace:
        status, version = db.session.execute(sa.select(Case.status, Case.version).where(Case.id == case.id)).one()
        events = db.session.execute(
            sa.select(CaseEvent.trigger, CaseEvent.id, CaseEvent.from_status, CaseEvent.to_status, CaseEvent.comment)
            .where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        return SimpleNamespace(status=status, version=version, events=[tuple(e) for e in events])

    def _remember_events(self) -> None:
        for case in self.cases:
            for event in self._state(case).events:
                self.seen[event[1]] = (case.id, event)

    @invariant()
    def events_are_append_only_and_replay_to_the_status(self):
        if not hasattr(self, "cases"):
            return
        for case in self.cases:
            state = self._state(case)
            stored = {event[1]: event for event in state.events}
            for event_id, (case_id, event) in self.seen.items():
                if case_id == case.id:
                    assert stored.get(event_id) == event, f"event {event_id} of {case.reference} changed or went"
            status = None
            for trigger, _id, from_status, to_status, _comment in state.events:
                if from_status != to_status:
                    assert (from_status, to_status) in LEGAL or (from_status, trigger) == (None, "detect"), (
                        f"{trigger}: {from_status} -> {to_status} is not in the machine's table")
                    assert from_status == status, f"{trigger} starts from {from_status}, the case was {status}"
                    status = to_status
            assert status == state.status, f"events replay to {status}, the case is {state.status}"
        self._remember_events()


def test_random_actions_follow_the_machine(app, backend, make_case, make_user, make_org, agency, ministry,
                                           program, caseworker, supervisor, report):
    other_agency = make_org(name="別市")
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")
    users = {
        "caseworker": caseworker,
        "supervisor": supervisor,
        "second_supervisor": make_user(Role.SUPERVISOR, name="承認 二郎"),
        "other_caseworker": make_user(Role.CASEWORKER, org=other_agency),
        "ministry": make_user(Role.MINISTRY_OFFICER, org=ministry),
        "digital": make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital),
    }
    outcomes: Counter = Counter()
    CaseWorkflow.env = SimpleNamespace(
        make_case=make_case, users=users, outcomes=outcomes, right_number=valid_number(20_000_000_000),
        organizations={"agency": agency, "ministry": ministry, "digital": digital, "other_agency": other_agency})
    run_state_machine_as_test(CaseWorkflow, settings=settings(
        max_examples=EXAMPLES[backend.kind], stateful_step_count=STEPS, deadline=None, derandomize=True,
        database=None, suppress_health_check=list(HealthCheck)))

    accepted = sum(n for (_a, outcome, _w), n in outcomes.items() if outcome == "accepted")
    refused = sum(n for (_a, outcome, _w), n in outcomes.items() if outcome == "refused")
    report(f"state machine: {EXAMPLES[backend.kind]} runs × up to {STEPS} steps: {accepted} actions accepted, "
           f"{refused} refused")
    by_action: Counter = Counter()
    for (action, outcome, _who), n in outcomes.items():
        by_action[(action, outcome)] += n
    report("  " + ", ".join(f"{action} {outcome} {n}" for (action, outcome), n in sorted(by_action.items())))
    refusals = Counter()
    for (_action, outcome, kind), n in outcomes.items():
        if outcome == "refused":
            refusals[kind] += n
    report("  refusals by kind: " + ", ".join(f"{kind} {n}" for kind, n in refusals.most_common()))
    # The run reached every transition, accepted, at least once.
    assert {action for (action, outcome, _w) in outcomes if outcome == "accepted"} >= {f"fire:{t}" for t in SPECS}
