"""The per-process cache of programs and organisations (caseflow.organizations.reference): fresh
after an edit made by any process on any host, checked once per request, never stale after a rollback."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.db import make_engine
from caseflow.extensions import db
from caseflow.organizations import reference
from caseflow.organizations.models import Organization, OrganizationKind, Program
from tests.cases.test_page_costs import statements


def test_an_edit_committed_by_another_host_is_seen_at_the_next_request(committed_app):
    with committed_app.app_context():
        db.session.add(Organization(code="DA0001", name="デジタル庁", kind=OrganizationKind.DIGITAL_AGENCY))
        db.session.commit()
    with committed_app.test_request_context():
        first = reference.reference(db.session)
        assert first.digital_agency.name == "デジタル庁"
    with committed_app.test_request_context():
        assert reference.reference(db.session) is first  # nothing changed: the same cache
    other_host = make_engine(committed_app.config["DATABASE_URL"])  # its own connections, as another host's
    try:
        with other_host.begin() as conn:
            conn.execute(sa.update(Organization).where(Organization.code == "DA0001").values(name="デジタル庁（改）"))
    finally:
        other_host.dispose()
    with committed_app.test_request_context():
        assert reference.reference(db.session).digital_agency.name == "デジタル庁（改）"
        assert reference.digital_agency(db.session).name == "デジタル庁（改）"


def test_an_edit_rolled_back_leaves_nothing_stale(app, program):
    with db.session.begin_nested():
        assert reference.reference(db.session).programs[program.id].name == program.name
    savepoint = db.session.begin_nested()
    db.session.execute(sa.update(Program).where(Program.id == program.id).values(name="取り消される名前"))
    assert reference.reference(db.session).programs[program.id].name == "取り消される名前"
    savepoint.rollback()
    # The stamp is random, not a counter: the rolled-back one is never seen again.
    assert reference.reference(db.session).programs[program.id].name == program.name


def test_the_stamp_is_read_once_per_request(app, program, make_org):
    make_org()
    with app.test_request_context(), statements(app) as seen:
        reference.reference(db.session)
        reference.reference(db.session)
        reference.adopt(db.session, program_ids=[program.id])
    stamps = [s for s in seen if "reference_stamps" in s]
    assert len(stamps) == 1, seen


def test_adopted_programs_load_without_a_statement(app, program):
    with app.test_request_context():
        reference.reference(db.session)
        db.session.expunge_all()
        reference.adopt(db.session, program_ids=[program.id])
        with statements(app) as seen:
            adopted = db.session.get(Program, program.id)
            ministry_name = adopted.ministry.name
        assert seen == [] and ministry_name
