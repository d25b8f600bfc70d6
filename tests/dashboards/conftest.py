"""A small world for the dashboards: two agencies in one program, a second ministry's program, batches.

Agency A inspects program P (ministry M) and program P2 (ministry M2); agency B inspects P.

=====  ====  ========================================================  =========================
case   where status                                                    notes
=====  ====  ========================================================  =========================
mine   A/P   verifying, verifying (overdue), confirmed (viewed),        assigned to A's caseworker
             corrected, false, confirmed (correction awaiting approval)
free   A/P   detected × 2                                              unassigned
p2     A/P2  confirmed                                                 assigned to A's caseworker
b      B/P   notified, detected                                        B's staff / unassigned
=====  ====  ========================================================  =========================
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from caseflow.cases.vocabulary import CaseStatus, Cause, ViewedOnPortal
from caseflow.core.japanese import today_jst
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind, Program
from caseflow.users.models import Role
from tests.reports.conftest import add_batch


@pytest.fixture
def world(make_org, make_user, make_case, agency, ministry, program, caseworker, supervisor):
    other_agency = make_org(name="別市")
    other_ministry = make_org(OrganizationKind.MINISTRY, "別省")
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")
    program2 = Program(name="別省の事務", code="dashboard-other-program", ministry_id=other_ministry.id)
    db.session.add(program2)
    db.session.flush()
    other_staff = (make_user(Role.CASEWORKER, org=other_agency, name="別市 職員"),
                   make_user(Role.SUPERVISOR, org=other_agency))
    a = add_batch(agency, program, 10_000, 9_000, 700, 300, sha="a").id
    b = add_batch(other_agency, program, 2_000, 1_900, 80, 20, sha="b").id
    c = add_batch(agency, program2, 500, 490, 10, 0, sha="c").id

    today = today_jst()
    mine = [
        make_case(CaseStatus.VERIFYING, batch_id=a),
        make_case(CaseStatus.VERIFYING, due_date=today - dt.timedelta(days=3), batch_id=a),
        make_case(CaseStatus.CONFIRMED, batch_id=a),
        make_case(CaseStatus.CORRECTED, batch_id=a),
        make_case(CaseStatus.FALSE, batch_id=a),
        make_case(CaseStatus.CONFIRMED, pending_correction=True, batch_id=a),
    ]
    mine[2].viewed_on_portal = ViewedOnPortal.YES
    mine[2].cause = Cause.TWO_FACT_QUERY
    free = [make_case(batch_id=a), make_case(batch_id=a)]
    in_program2 = make_case(CaseStatus.CONFIRMED, program_=program2, batch_id=c)
    in_b = [make_case(CaseStatus.NOTIFIED, agency_=other_agency, staff=other_staff, batch_id=b),
            make_case(agency_=other_agency, staff=other_staff, batch_id=b)]
    db.session.flush()
    return SimpleNamespace(
        agency=agency, other_agency=other_agency, ministry=ministry, other_ministry=other_ministry,
        program=program, program2=program2, mine=mine, free=free, in_program2=in_program2, in_b=in_b,
        caseworker=caseworker, supervisor=supervisor, other_caseworker=other_staff[0],
        other_supervisor=other_staff[1],
        ministry_officer=make_user(Role.MINISTRY_OFFICER, org=ministry),
        other_ministry_officer=make_user(Role.MINISTRY_OFFICER, org=other_ministry),
        digital=make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital),
        admin=make_user(Role.ADMINISTRATOR),
    )
