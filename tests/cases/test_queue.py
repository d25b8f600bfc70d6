"""Queues and deadlines: claim, release, reassign, bulk assign, overdue cases, escalation, saved filters."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases import filters, queue
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.operations import EVENT_LABELS, propose_correction
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, Grade
from caseflow.cli import main
from caseflow.core.japanese import today_jst
from caseflow.errors import Conflict, DomainError, NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user
from tests.conftest import PASSWORD, events_of, valid_number

TODAY = dt.date(2026, 11, 24)  # a Tuesday, the day after 勤労感謝の日


@pytest.fixture
def other_org_staff(make_org, make_user):
    org = make_org()
    return org, make_user(Role.CASEWORKER, org=org), make_user(Role.SUPERVISOR, org=org)


def _triggers(case: Case) -> list[str]:
    return [e.trigger for e in events_of(case.id)]


# --- claim ----------------------------------------------------------------------------------------


def test_caseworker_claims_an_unassigned_case(make_case, caseworker):
    case = make_case()
    version = case.version
    queue.claim_case(case, caseworker, expected_version=version)
    assert case.assignee_id == caseworker.id
    assert case.status is CaseStatus.DETECTED  # claiming is not a transition
    assert case.version == version + 1
    event = events_of(case.id)[-1]
    assert (event.trigger, event.actor_id, event.from_status, event.to_status) == (
        "claim", caseworker.id, CaseStatus.DETECTED, CaseStatus.DETECTED)
    assert event.details["assignee"] == caseworker.display_name
    assert EVENT_LABELS["claim"] == "担当を引き受け"


def test_supervisor_may_claim_too(make_case, supervisor):
    case = make_case()
    queue.claim_case(case, supervisor)
    assert case.assignee_id == supervisor.id


def test_claim_refused_for_another_organisation(make_case, other_org_staff):
    _org, outsider, outside_boss = other_org_staff
    case = make_case()
    for actor in (outsider, outside_boss):
        with pytest.raises(PermissionDenied, match="案件を保有する紐付け実施機関"):
            queue.claim_case(case, actor)
    assert case.assignee_id is None
    assert _triggers(case) == ["detect"]


def test_claim_refused_for_a_ministry_officer(make_case, make_user, ministry):
    case = make_case()
    with pytest.raises(PermissionDenied):
        queue.claim_case(case, make_user(Role.MINISTRY_OFFICER, org=ministry))


def test_claim_refused_when_someone_holds_it(make_case, caseworker, make_user):
    case = make_case(CaseStatus.VERIFYING)  # assigned to the caseworker by start_verification
    colleague = make_user(Role.CASEWORKER)
    with pytest.raises(DomainError, match=f"既に{caseworker.display_name}さんの担当です"):
        queue.claim_case(case, colleague)
    with pytest.raises(DomainError, match="既にあなたの担当です"):
        queue.claim_case(case, caseworker)
    assert case.assignee_id == caseworker.id


@pytest.mark.parametrize("status", [CaseStatus.FALSE, CaseStatus.NOTIFIED])
def test_claim_refused_on_a_closed_case(make_case, caseworker, supervisor, status):
    case = make_case(status)
    with pytest.raises(DomainError, match=f"「{status.label}」で完了している"):
        queue.claim_case(case, supervisor)


def test_claim_with_a_stale_version_is_a_conflict(make_case, caseworker):
    case = make_case()
    stale = case.version
    queue.claim_case(case, caseworker)
    queue.release_case(case, caseworker)
    with pytest.raises(Conflict, match="他の職員により更新されています"):
        queue.claim_case(case, caseworker, expected_version=stale)
    assert case.assignee_id is None


# --- release --------------------------------------------------------------------------------------


def test_assignee_releases_the_case(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    queue.release_case(case, caseworker, comment="休暇のため", expected_version=case.version)
    assert case.assignee_id is None and case.assignee is None
    event = events_of(case.id)[-1]
    assert (event.trigger, event.comment) == ("release", "休暇のため")
    assert event.details["previous_assignee_id"] == caseworker.id


def test_only_the_assignee_may_release(make_case, supervisor, make_user):
    case = make_case(CaseStatus.VERIFYING)
    for actor in (make_user(Role.CASEWORKER), supervisor):
        with pytest.raises(PermissionDenied, match="担当者本人のみ"):
            queue.release_case(case, actor)
    unassigned = make_case()
    with pytest.raises(PermissionDenied):
        queue.release_case(unassigned, supervisor)


def test_release_refused_on_a_closed_case_and_when_stale(make_case, caseworker):
    closed = make_case(CaseStatus.FALSE)
    with pytest.raises(DomainError, match="完了している"):
        queue.release_case(closed, caseworker)
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(Conflict):
        queue.release_case(case, caseworker, expected_version=case.version - 1)
    assert case.assignee_id == caseworker.id


# --- reassign -------------------------------------------------------------------------------------


def test_supervisor_reassigns_to_a_colleague(make_case, caseworker, supervisor, make_user):
    case = make_case(CaseStatus.CONFIRMED)
    colleague = make_user(Role.CASEWORKER, name="青森 次郎")
    queue.reassign_case(case, supervisor, to=colleague, comment="負担の平準化", expected_version=case.version)
    assert case.assignee_id == colleague.id
    event = events_of(case.id)[-1]
    assert (event.trigger, event.actor_id, event.comment) == ("reassign", supervisor.id, "負担の平準化")
    assert (event.details["previous_assignee"], event.details["assignee"]) == (caseworker.display_name, "青森 次郎")
    # an unassigned case may be given out the same way, and to a supervisor
    unassigned = make_case()
    queue.reassign_case(unassigned, supervisor, to=supervisor)
    assert unassigned.assignee_id == supervisor.id


def test_reassign_refused_for_a_caseworker(make_case, caseworker, make_user):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(PermissionDenied, match="承認者（課長級）のみ"):
        queue.reassign_case(case, caseworker, to=make_user(Role.CASEWORKER))
    assert case.assignee_id == caseworker.id


def test_reassign_refused_for_another_organisations_supervisor(make_case, other_org_staff, make_user):
    _org, _outsider, outside_boss = other_org_staff
    case = make_case()
    with pytest.raises(PermissionDenied):
        queue.reassign_case(case, outside_boss, to=make_user(Role.CASEWORKER))


def test_reassign_refused_to_someone_of_another_organisation(make_case, supervisor, other_org_staff, make_user,
                                                            ministry):
    _org, outsider, _boss = other_org_staff
    case = make_case()
    with pytest.raises(DomainError, match="案件を保有する機関の担当職員・承認者ではない"):
        queue.reassign_case(case, supervisor, to=outsider)
    with pytest.raises(DomainError):
        queue.reassign_case(case, supervisor, to=make_user(Role.MINISTRY_OFFICER, org=ministry))
    assert case.assignee_id is None


def test_reassign_refused_to_an_inactive_user_the_same_person_or_a_closed_case(make_case, caseworker, supervisor,
                                                                               make_user):
    case = make_case(CaseStatus.VERIFYING)
    gone = make_user(Role.CASEWORKER)
    gone.active = False
    with pytest.raises(DomainError, match="利用停止中"):
        queue.reassign_case(case, supervisor, to=gone)
    with pytest.raises(DomainError, match="既に"):
        queue.reassign_case(case, supervisor, to=caseworker)
    closed = make_case(CaseStatus.NOTIFIED)
    with pytest.raises(DomainError, match="完了している"):
        queue.reassign_case(closed, supervisor, to=make_user(Role.CASEWORKER))


def test_reassign_with_a_stale_version_is_a_conflict(make_case, supervisor, make_user):
    case = make_case(CaseStatus.VERIFYING)
    stale = case.version
    queue.release_case(case, case.assignee)
    with pytest.raises(Conflict):
        queue.reassign_case(case, supervisor, to=make_user(Role.CASEWORKER), expected_version=stale)
    assert case.assignee_id is None


def test_available_queue_actions(make_case, caseworker, supervisor, make_user, other_org_staff):
    unassigned, mine, closed = make_case(), make_case(CaseStatus.VERIFYING), make_case(CaseStatus.FALSE)
    assert queue.available_queue_actions(unassigned, caseworker) == ["claim"]
    assert queue.available_queue_actions(unassigned, supervisor) == ["claim", "reassign"]
    assert queue.available_queue_actions(mine, caseworker) == ["release"]
    assert queue.available_queue_actions(mine, make_user(Role.CASEWORKER)) == []
    assert queue.available_queue_actions(mine, supervisor) == ["reassign"]
    assert queue.available_queue_actions(closed, supervisor) == []
    assert queue.available_queue_actions(unassigned, other_org_staff[2]) == []


# --- bulk assign ----------------------------------------------------------------------------------


def test_bulk_assign_assigns_every_chosen_case(session, make_case, supervisor, make_user):
    target = make_user(Role.CASEWORKER, name="一括 太郎")
    cases = [make_case(), make_case(CaseStatus.VERIFYING), make_case(CaseStatus.CORRECTED)]
    count = queue.bulk_assign(session, supervisor, [c.id for c in cases] + [cases[0].id], to=target)
    assert count == 3
    for case in cases:
        session.refresh(case)
        assert case.assignee_id == target.id
        event = events_of(case.id)[-1]
        assert (event.trigger, event.details["bulk"], event.actor_id) == ("reassign", True, supervisor.id)
    # already theirs: nothing to do, nothing recorded
    before = len(events_of(cases[0].id))
    assert queue.bulk_assign(session, supervisor, [cases[0].id], to=target) == 0
    assert len(events_of(cases[0].id)) == before


def test_bulk_assign_is_all_or_nothing(session, make_case, supervisor, make_user):
    target = make_user(Role.CASEWORKER)
    fine = [make_case(), make_case(CaseStatus.VERIFYING)]
    closed = make_case(CaseStatus.NOTIFIED)
    assignees = [c.assignee_id for c in fine]
    with pytest.raises(queue.BulkAssignRefused) as refused:
        queue.bulk_assign(session, supervisor, [fine[0].id, closed.id, fine[1].id], to=target)
    message = refused.value.message
    assert closed.reference in message and "「通知済」で完了している" in message
    assert fine[0].reference not in message
    assert "どの案件も割り当てていません" in message
    assert [case_id for case_id, _ in refused.value.refusals] == [closed.id]
    assert refused.value.status_code == 422
    assert [c.assignee_id for c in fine] == assignees
    assert all(e.trigger != "reassign" for c in fine for e in events_of(c.id))


def test_bulk_assign_refuses_another_organisations_case_without_revealing_it(session, make_case, supervisor,
                                                                            make_user, other_org_staff):
    org, outsider, outside_boss = other_org_staff
    theirs = make_case(agency_=org, staff=(outsider, outside_boss))
    ours = make_case()
    with pytest.raises(queue.BulkAssignRefused) as refused:
        queue.bulk_assign(session, supervisor, [ours.id, theirs.id], to=make_user(Role.CASEWORKER))
    assert f"{theirs.reference}：案件が見つかりません" in refused.value.message
    assert refused.value.status_code == 404
    assert ours.assignee_id is None and theirs.assignee_id is None


def test_bulk_assign_needs_a_supervisor_and_a_colleague(session, make_case, caseworker, supervisor, make_user,
                                                       other_org_staff):
    case = make_case()
    with pytest.raises(PermissionDenied, match="承認者（課長級）のみ"):
        queue.bulk_assign(session, caseworker, [case.id], to=caseworker)
    with pytest.raises(DomainError, match="同じ機関の担当職員・承認者"):
        queue.bulk_assign(session, supervisor, [case.id], to=other_org_staff[1])
    with pytest.raises(DomainError, match="選択してください"):
        queue.bulk_assign(session, supervisor, [], to=caseworker)
    assert case.assignee_id is None


# --- two people at once (real commits) ------------------------------------------------------------


@pytest.fixture
def committed_world(committed_app):
    with committed_app.app_context():
        session = db.session
        load_reference(session)
        agency = session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = session.scalars(sa.select(Program).order_by(Program.id)).first()
        workers = [create_user(session, login=f"w{i}", display_name=f"担当{i}", organization=agency,
                               roles={Role.CASEWORKER}, password=PASSWORD) for i in (1, 2)]
        from caseflow.cases.kernel import open_case

        case = open_case(session, program=program, agency=agency, source_record_id="Q1",
                         registered_number=valid_number(9), grade=Grade.C, field_verdicts={},
                         due_date=today_jst() - dt.timedelta(days=3))
        session.commit()
        ids = {"case": case.id, "workers": [w.id for w in workers]}
    return committed_app, ids


def test_two_claims_at_once_one_wins_the_other_gets_a_conflict(committed_world):
    app, ids = committed_world
    engine = db.state(app).engine
    with Session(engine) as first, Session(engine) as second:
        case_1, case_2 = first.get(Case, ids["case"]), second.get(Case, ids["case"])
        worker_1, worker_2 = (s.get(User, w) for s, w in zip((first, second), ids["workers"], strict=True))
        queue.claim_case(case_1, worker_1)
        first.commit()
        with pytest.raises(Conflict):
            queue.claim_case(case_2, worker_2)
        second.rollback()
    with Session(engine) as check:
        case = check.get(Case, ids["case"])
        assert case.assignee_id == ids["workers"][0]
        triggers = check.scalars(sa.select(CaseEvent.trigger).where(CaseEvent.case_id == case.id)).all()
        assert triggers.count("claim") == 1


def test_escalate_command_runs_once_per_case(committed_world):
    app, ids = committed_world
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["cases", "escalate"])
    assert first.exit_code == 0, first.output
    assert "新たに1件を承認者へ通知しました" in first.output
    second = runner.invoke(main, ["cases", "escalate"])
    assert second.exit_code == 0, second.output
    assert "新たに0件" in second.output
    with app.app_context():
        events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == ids["case"],
                                                               CaseEvent.trigger == "escalated")).all()
        assert len(events) == 1 and events[0].actor_id is None


# --- deadlines and escalation ---------------------------------------------------------------------


def test_overdue_means_open_and_past_its_due_date(session, make_case, caseworker, other_org_staff):
    late = make_case(CaseStatus.VERIFYING, due_date=TODAY - dt.timedelta(days=1))
    due_today = make_case(due_date=TODAY)
    closed_late = make_case(CaseStatus.FALSE, due_date=TODAY - dt.timedelta(days=10))
    no_due = make_case(due_date=None)
    org, outsider, outside_boss = other_org_staff
    theirs = make_case(agency_=org, staff=(outsider, outside_boss), due_date=TODAY - dt.timedelta(days=5))
    assert [queue.is_overdue(c, TODAY) for c in (late, due_today, closed_late, no_due)] == [True, False, False,
                                                                                            False]
    assert queue.overdue_cases(session, caseworker, today=TODAY) == [late]
    assert queue.count_overdue(session, caseworker, today=TODAY) == 1
    assert queue.overdue_cases(session, outsider, today=TODAY) == [theirs]


def test_escalation_is_recorded_once_per_overdue_case(session, make_case, caseworker):
    late = make_case(CaseStatus.VERIFYING, due_date=dt.date(2026, 11, 20))  # the Friday before the holiday
    later = make_case(due_date=dt.date(2026, 11, 2))
    on_time = make_case(due_date=TODAY)
    closed = make_case(CaseStatus.NOTIFIED, due_date=dt.date(2026, 11, 2))
    version = late.version

    assert queue.escalate_overdue(session, today=TODAY) == 2
    assert queue.escalate_overdue(session, today=TODAY) == 0
    event = events_of(late.id)[-1]
    assert (event.trigger, event.actor_id, event.from_status, event.to_status) == (
        "escalated", None, CaseStatus.VERIFYING, CaseStatus.VERIFYING)
    assert event.details == {"due_date": "2026-11-20", "business_days_overdue": 1}
    assert events_of(later.id)[-1].details["business_days_overdue"] == 14  # 11/3 and 11/23 are holidays
    assert "escalated" not in _triggers(on_time) and "escalated" not in _triggers(closed)
    session.refresh(late)
    assert late.version == version  # the system's note does not make a caseworker's open form stale
    times = queue.escalation_times(session, [late.id, later.id, on_time.id])
    assert set(times) == {late.id, later.id}
    assert EVENT_LABELS["escalated"].startswith("期限超過")

    # the next day another case falls due: only it is escalated
    on_time_next = queue.escalate_overdue(session, today=TODAY + dt.timedelta(days=1))
    assert on_time_next == 1 and _triggers(on_time)[-1] == "escalated"


def test_approvals_waiting_lists_pending_corrections_of_the_organisation(session, make_case, caseworker, supervisor,
                                                                        other_org_staff):
    waiting = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    make_case(CaseStatus.CONFIRMED)  # nothing proposed yet
    make_case(CaseStatus.CORRECTED)  # already approved
    org, outsider, outside_boss = other_org_staff
    make_case(CaseStatus.CONFIRMED, agency_=org, staff=(outsider, outside_boss), pending_correction=True)
    assert queue.approvals_waiting(session, supervisor) == [waiting]
    with pytest.raises(PermissionDenied, match="承認者"):
        queue.approvals_waiting(session, caseworker)
    # a correction proposed again after a return is waiting again
    returned = make_case(CaseStatus.CONFIRMED)
    propose_correction(returned, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
    assert {c.id for c in queue.approvals_waiting(session, supervisor)} == {waiting.id, returned.id}


# --- saved filters --------------------------------------------------------------------------------


def test_saved_filters_belong_to_their_user(session, caseworker, make_user):
    colleague = make_user(Role.CASEWORKER)
    saved = filters.save_filter(session, caseworker, name=" C判定の検出 ",
                                query="sort=due&status=detected&grade=C&program=&page=3")
    assert (saved.name, saved.query) == ("C判定の検出", "status=detected&grade=C&sort=due")
    assert saved.args == {"status": "detected", "grade": "C", "sort": "due"}
    filters.save_filter(session, colleague, name="期限超過", query="overdue=1")
    assert [f.name for f in filters.saved_filters_of(session, caseworker)] == ["C判定の検出"]
    assert [f.name for f in filters.saved_filters_of(session, colleague)] == ["期限超過"]
    with pytest.raises(NotFound):
        filters.delete_filter(session, colleague, saved.id)
    assert filters.delete_filter(session, caseworker, saved.id) == "C判定の検出"
    assert filters.saved_filters_of(session, caseworker) == []


def test_saving_a_name_again_replaces_its_filters(session, caseworker):
    first = filters.save_filter(session, caseworker, name="私の", query="grade=B")
    again = filters.save_filter(session, caseworker, name="私の", query="grade=C&overdue=1")
    assert again.id == first.id and again.query == "grade=C&overdue=1"
    assert len(filters.saved_filters_of(session, caseworker)) == 1


@pytest.mark.parametrize("query", [
    "colour=red", "status=unknown", "grade=D", "program=abc", "assignee=someone", "overdue=yes", "sort=name",
    "status=detected&status=verifying",
])
def test_a_query_with_unknown_filters_is_refused(session, caseworker, query):
    with pytest.raises(DomainError, match="保存できない絞り込み条件"):
        filters.save_filter(session, caseworker, name="x", query=query)


def test_a_saved_filter_needs_a_name_and_a_condition(session, caseworker):
    with pytest.raises(DomainError, match="名前を入力"):
        filters.save_filter(session, caseworker, name="  ", query="grade=C")
    with pytest.raises(DomainError, match="50文字以内"):
        filters.save_filter(session, caseworker, name="あ" * 51, query="grade=C")
    with pytest.raises(DomainError, match="絞り込み条件がありません"):
        filters.save_filter(session, caseworker, name="空", query="status=&page=2")


def test_saved_filters_take_the_lists_own_filters_and_sorts():
    from caseflow.cases import listing

    assert filters.QUERY_KEYS == (*listing.FILTER_KEYS, "sort")
    for sort in listing.SORTS:
        assert filters.normalize_query(f"sort={sort}") == f"sort={sort}"
    with pytest.raises(DomainError):
        filters.normalize_query("sort=name")
