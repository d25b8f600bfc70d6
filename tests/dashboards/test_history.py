"""Cases by status over time, from the audit trail, against a brute-force count."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
import sqlalchemy as sa

from caseflow.cases.access import visible_cases_clause
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.core.japanese import JST
from caseflow.dashboards.history import end_of_day, history_dates, status_history
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.conftest import valid_number

TODAY = dt.date(2026, 3, 31)
S = CaseStatus
# Where a case may go next (the state machine's transitions).
NEXT = {S.DETECTED: [S.VERIFYING], S.VERIFYING: [S.CONFIRMED, S.FALSE], S.FALSE: [S.VERIFYING],
        S.CONFIRMED: [S.CORRECTED], S.CORRECTED: [S.NOTIFIED], S.NOTIFIED: []}
_seq = itertools.count(1)


def jst(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=JST)


def case_with_events(agency, program, events: list[tuple[dt.datetime, CaseStatus | None, CaseStatus | None, str]]):
    """A case whose audit trail is exactly ``events`` (moment, from, to, trigger); its status the last one's."""
    n = next(_seq)
    last = next((to for _, frm, to, _ in reversed(events) if frm != to), S.DETECTED)
    # Inserted as rows: the ORM (rightly) lets a new case start only as detected.
    case_id = db.session.scalar(sa.insert(Case).returning(Case.id).values(
        program_id=program.id, agency_id=agency.id, source_record_id=f"H{n:06d}",
        registered_number=valid_number(20_000_000_000 + n), grade=Grade.C, field_verdicts={}, status=last))
    db.session.execute(sa.insert(CaseEvent), [
        {"case_id": case_id, "actor_id": None, "trigger": trigger, "from_status": frm, "to_status": to,
         "created_at": moment, "details": {}}
        for moment, frm, to, trigger in events
    ])
    return case_id


def random_trail(rng: random.Random) -> list:
    """Detection up to 120 days ago, then transitions, comments and escalations, some on JST midnights."""
    moment = jst(TODAY - dt.timedelta(days=rng.randint(0, 120)), rng.randint(0, 23), rng.randint(0, 59))
    events = [(moment, None, S.DETECTED, "detect")]
    status = S.DETECTED
    while NEXT[status] and rng.random() < 0.8:
        gap = rng.choice([dt.timedelta(0), dt.timedelta(hours=rng.randint(1, 300)),
                          dt.timedelta(days=rng.randint(1, 30))])
        moment = moment + gap
        if rng.random() < 0.2:  # exactly on the next JST midnight, or a second before it
            midnight = moment.astimezone(JST).replace(hour=0, minute=0, second=0) + dt.timedelta(days=1)
            moment = max(moment, midnight - dt.timedelta(seconds=rng.choice([0, 1])))
        if rng.random() < 0.3:
            events.append((moment, status, status, rng.choice(["comment", "escalated", "claim"])))
        target = rng.choice(NEXT[status])
        events.append((moment, status, target, "step"))
        status = target
    return events


def brute_force(user, dates: list[dt.date]) -> dict[CaseStatus, list[int]]:
    """Each visible case's status at the end of each day: the to_status of its last event until then."""
    events = db.session.execute(
        sa.select(CaseEvent.case_id, CaseEvent.created_at, CaseEvent.id, CaseEvent.to_status)
        .join(Case, Case.id == CaseEvent.case_id).where(visible_cases_clause(user))
    ).all()
    by_case: dict[int, list] = {}
    for case_id, created_at, event_id, to_status in events:
        by_case.setdefault(case_id, []).append((created_at, event_id, to_status))
    counts = {status: [0] * len(dates) for status in CaseStatus}
    for trail in by_case.values():
        trail.sort()
        for i, day in enumerate(dates):
            before = [e for e in trail if e[0] < end_of_day(day)]
            if before and before[-1][2] is not None:
                counts[before[-1][2]][i] += 1
    return counts


def test_history_dates_end_today_every_step_days():
    assert history_dates(TODAY, 90, 7)[-1] == TODAY
    assert history_dates(TODAY, 90, 7)[0] == TODAY - dt.timedelta(days=84)
    assert len(history_dates(TODAY, 90, 7)) == 13
    assert history_dates(TODAY, 2, 1) == [TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1), TODAY]
    with pytest.raises(ValueError):
        history_dates(TODAY, 90, 0)


def test_end_of_day_is_japan_midnight():
    assert end_of_day(dt.date(2026, 3, 31)) == dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("step", [1, 7])
def test_matches_brute_force_for_what_each_user_may_see(make_org, make_user, program, agency, step):
    other_agency = make_org()
    digital = make_org(OrganizationKind.DIGITAL_AGENCY)
    rng = random.Random(20260331)
    for i in range(40):
        case_with_events(agency if i % 3 else other_agency, program, random_trail(rng))
    caseworker = make_user(Role.CASEWORKER)
    officer = make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital)
    for user in (caseworker, officer):
        history = status_history(db.session, user, days=90, step=step, today=TODAY)
        expected = brute_force(user, list(history.dates))
        assert {s: list(v) for s, v in history.counts.items()} == expected
    mine = status_history(db.session, caseworker, days=90, step=step, today=TODAY)
    everything = status_history(db.session, officer, days=90, step=step, today=TODAY)
    assert 0 < mine.totals()[-1] < everything.totals()[-1]


def test_a_day_ends_at_midnight_in_japan(program, agency, make_user):
    day = TODAY - dt.timedelta(days=1)
    case_with_events(agency, program, [
        (jst(day, 23, 59, 59), None, S.DETECTED, "detect"),   # counts on ``day``
        (jst(TODAY, 0, 0, 0), S.DETECTED, S.VERIFYING, "start"),  # the next day
    ])
    case_with_events(agency, program, [(jst(TODAY + dt.timedelta(days=1), 0, 0, 0), None, S.DETECTED, "detect")])
    history = status_history(db.session, make_user(Role.CASEWORKER), days=2, step=1, today=TODAY)
    assert history.counts[S.DETECTED] == (0, 1, 0)
    assert history.counts[S.VERIFYING] == (0, 0, 1)  # the case detected tomorrow is not counted yet


def test_events_that_do_not_change_the_status_are_not_counted(program, agency, make_user):
    start = jst(TODAY - dt.timedelta(days=5))
    case_with_events(agency, program, [
        (start, None, S.DETECTED, "detect"),
        (start + dt.timedelta(hours=1), S.DETECTED, S.DETECTED, "comment"),
        (start + dt.timedelta(hours=2), S.DETECTED, S.DETECTED, "escalated"),
        (start + dt.timedelta(days=1), S.DETECTED, S.VERIFYING, "start"),
        (start + dt.timedelta(days=2), S.VERIFYING, S.VERIFYING, "claim"),
    ])
    history = status_history(db.session, make_user(Role.CASEWORKER), days=7, step=1, today=TODAY)
    assert history.totals() == (0, 0, 1, 1, 1, 1, 1, 1)
    assert history.counts[S.VERIFYING] == (0, 0, 0, 1, 1, 1, 1, 1)
    assert history.rows()[-1] == (TODAY, [0, 1, 0, 0, 0, 0], 1)


def test_cases_opened_through_the_operations_are_counted_today(make_case, caseworker):
    make_case(CaseStatus.NOTIFIED)
    make_case(CaseStatus.FALSE)
    make_case()
    today = dt.datetime.now(JST).date()
    history = status_history(db.session, caseworker, days=7, step=7, today=today)
    assert history.at(1) == {S.DETECTED: 1, S.VERIFYING: 0, S.CONFIRMED: 0, S.FALSE: 1, S.CORRECTED: 0,
                             S.NOTIFIED: 1}
    assert history.totals() == (0, 3)


def test_a_user_without_rights_sees_no_cases(make_case, make_user):
    make_case()
    admin = make_user(Role.ADMINISTRATOR)
    assert status_history(db.session, admin, days=7, step=7).totals() == (0, 0)
