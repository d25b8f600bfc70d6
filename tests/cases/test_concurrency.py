"""Two people acting on one case at once, with real commits on separate connections."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases import kernel, operations
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus, Cause, CorrectionOutcome, DismissReason, Grade, ViewedOnPortal
from caseflow.errors import Conflict
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user
from tests.conftest import IDENTITY, PASSWORD, valid_number


@pytest.fixture
def world(committed_app):
    """An agency with two supervisors and a caseworker, and a confirmed case awaiting approval."""
    with committed_app.app_context():
        session = db.session
        load_reference(session)
        agency = session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = session.scalars(sa.select(Program).order_by(Program.id)).first()
        worker = create_user(session, login="w", display_name="担当", organization=agency,
                             roles={Role.CASEWORKER}, password=PASSWORD)
        bosses = [create_user(session, login=f"s{i}", display_name=f"承認{i}", organization=agency,
                              roles={Role.SUPERVISOR}, password=PASSWORD) for i in (1, 2)]
        case = kernel.open_case(session, program=program, agency=agency, source_record_id="X1",
                                    registered_number=valid_number(7), grade=Grade.C, field_verdicts={})
        operations.start_verification(case, worker)
        session.commit()
        ids = {"case": case.id, "worker": worker.id, "bosses": [b.id for b in bosses]}
    return committed_app, ids


def test_stale_transition_commits_neither_status_nor_event(world):
    """The loser of a race gets a conflict; its event is not written and its change is lost whole."""
    app, ids = world
    engine = db.state(app).engine
    with Session(engine) as first, Session(engine) as second:
        case_1 = first.get(Case, ids["case"])
        case_2 = second.get(Case, ids["case"])
        worker_1 = first.get(User, ids["worker"])
        worker_2 = second.get(User, ids["worker"])
        operations.propose_dismissal(case_1, worker_1, dismiss_reason=DismissReason.SURNAME_CHANGE)
        operations.approve_dismissal(case_1, first.get(User, ids["bosses"][0]))
        first.commit()
        with pytest.raises(Conflict, match="他の職員により更新"):
            operations.confirm_case(case_2, worker_2, cause=Cause.FAMILY_MEMBER_NUMBER, viewed_on_portal=ViewedOnPortal.NO,
                                    **IDENTITY)
        second.rollback()
    with Session(engine) as check:
        case = check.get(Case, ids["case"])
        triggers = check.scalars(sa.select(CaseEvent.trigger).where(CaseEvent.case_id == case.id)
                                 .order_by(CaseEvent.id)).all()
    assert case.status is CaseStatus.FALSE
    assert triggers == ["detect", "start_verification", "propose_dismissal", "dismiss"]


def test_two_supervisors_approving_at_once_exactly_one_wins(world):
    app, ids = world
    engine = db.state(app).engine
    with Session(engine) as s:
        case = s.get(Case, ids["case"])
        worker = s.get(User, ids["worker"])
        operations.confirm_case(case, worker, cause=Cause.FAMILY_MEMBER_NUMBER, viewed_on_portal=ViewedOnPortal.NO,
                                **IDENTITY)
        operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
        s.commit()
    results = []
    with Session(engine) as first, Session(engine) as second:
        cases = [first.get(Case, ids["case"]), second.get(Case, ids["case"])]
        bosses = [first.get(User, ids["bosses"][0]), second.get(User, ids["bosses"][1])]
        for session, case, boss in zip((first, second), cases, bosses, strict=True):
            try:
                operations.approve_correction(case, boss)
                session.commit()
                results.append("approved")
            except Conflict:
                session.rollback()
                results.append("conflict")
    assert results == ["approved", "conflict"]
    with Session(engine) as check:
        approvals = check.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == ids["case"],
                                                             CaseEvent.trigger == "correct")).all()
        assert len(approvals) == 1
        assert approvals[0].actor_id == ids["bosses"][0]


def test_case_events_cannot_be_edited_or_deleted(world):
    app, ids = world
    engine = db.state(app).engine
    for statement in ("UPDATE case_events SET comment = 'x'", "DELETE FROM case_events"):
        with engine.connect() as conn:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                conn.execute(sa.text(statement))
            conn.rollback()
    with Session(engine) as s:
        event = s.scalars(sa.select(CaseEvent)).first()
        event.comment = "書き換え"
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()
