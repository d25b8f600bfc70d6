"""A small world for reports: two agencies in one program, a second ministry's program, batches."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from caseflow.cases.models import CaseState
from caseflow.cases.vocabulary import CaseStatus, Cause, FieldVerdict, ViewedOnPortal
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.organizations.models import OrganizationKind, Program
from caseflow.users.models import Role

# Fixtures of other areas the reports use: the survey's world (obligations) and API tokens.
from tests.api.conftest import make_token  # noqa: F401
from tests.surveys.conftest import survey_world  # noqa: F401

BIRTH_MISMATCH = {"name": FieldVerdict.MATCH.value, "kana": FieldVerdict.MATCH.value,
                  "birth_date": FieldVerdict.MISMATCH.value, "sex": FieldVerdict.MATCH.value,
                  "address": FieldVerdict.MATCH.value}
NAME_MISMATCH = {"name": FieldVerdict.MISMATCH.value, "kana": FieldVerdict.MISMATCH.value,
                 "birth_date": FieldVerdict.MATCH.value, "sex": FieldVerdict.MATCH.value,
                 "address": FieldVerdict.MATCH.value}


def add_batch(agency, program, records: int, a: int, b: int, c: int, *, sha: str,
              status: BatchStatus = BatchStatus.DONE) -> InspectionBatch:
    batch = InspectionBatch(agency_id=agency.id, program_id=program.id, status=status, records_filename="r.csv",
                            registry_filename="g.csv", records_sha256=sha * 64, registry_sha256="f" * 64,
                            records_inspected=records, count_a=a, count_b=b, count_c=c,
                            finished_at=dt.datetime.now(dt.UTC))
    db.session.add(batch)
    db.session.flush()
    return batch


@pytest.fixture
def reports_world(make_org, make_user, make_case, agency, ministry, program, caseworker, supervisor):
    """Agency A and agency B inspect program P (ministry M); A also inspects P2 (ministry M2).

    P: A 10,000 records (the same file imported twice counts once; a refused file not at all),
    B 2,000,000. Cases in P — A: 2 errors (1 viewed, 1 corrected), 1 dismissed, 2 unverified;
    B: 1 notified error. P2 — A: 1 confirmed error.
    """
    other_agency = make_org(name="別市")
    other_ministry = make_org(OrganizationKind.MINISTRY, "別省")
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（集計テスト）")
    program2 = Program(name="別省の事務", code="other-program", ministry_id=other_ministry.id)
    db.session.add(program2)
    db.session.flush()
    other_staff = (make_user(Role.CASEWORKER, org=other_agency), make_user(Role.SUPERVISOR, org=other_agency))
    batch_a = add_batch(agency, program, 10_000, 9_000, 700, 300, sha="a")
    add_batch(agency, program, 10_000, 9_000, 700, 300, sha="a")  # the same extract again
    add_batch(agency, program, 5_000, 0, 0, 0, sha="b", status=BatchStatus.REFUSED)
    batch_c = add_batch(other_agency, program, 2_000_000, 1_990_000, 9_000, 1_000, sha="c")
    batch_d = add_batch(agency, program2, 500, 490, 10, 0, sha="d")

    viewed = make_case(CaseStatus.CONFIRMED, field_verdicts=BIRTH_MISMATCH, batch_id=batch_a.id)
    viewed.viewed_on_portal = ViewedOnPortal.YES
    viewed.cause = Cause.TWO_FACT_QUERY
    corrected = make_case(CaseStatus.CORRECTED, field_verdicts=NAME_MISMATCH, batch_id=batch_a.id)
    dismissed = make_case(CaseStatus.FALSE, field_verdicts=NAME_MISMATCH, batch_id=batch_a.id)
    unverified = [make_case(CaseStatus.DETECTED, field_verdicts=BIRTH_MISMATCH, batch_id=batch_a.id),
                  make_case(CaseStatus.VERIFYING, field_verdicts=NAME_MISMATCH, batch_id=batch_a.id)]
    other = make_case(CaseStatus.NOTIFIED, agency_=other_agency, staff=other_staff, batch_id=batch_c.id)
    in_program2 = make_case(CaseStatus.CONFIRMED, program_=program2, batch_id=batch_d.id)
    db.session.flush()
    return SimpleNamespace(
        agency=agency, other_agency=other_agency, ministry=ministry, other_ministry=other_ministry,
        program=program, program2=program2, viewed=viewed, corrected=corrected, dismissed=dismissed,
        unverified=unverified, other=other, in_program2=in_program2,
        caseworker=caseworker, supervisor=supervisor, other_caseworker=other_staff[0],
        ministry_officer=make_user(Role.MINISTRY_OFFICER, org=ministry),
        other_ministry_officer=make_user(Role.MINISTRY_OFFICER, org=other_ministry),
        digital=make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital),
        admin=make_user(Role.ADMINISTRATOR),
    )


def happened_at(when: dt.datetime, *, since: int = 0) -> int:
    """As if what the cases did (their states after id ``since``) and the batches that finished had
    happened at ``when``: the reports' history placed in time. Returns the last state's id, for ``since``."""
    db.session.flush()
    db.session.execute(sa.update(CaseState).where(CaseState.id > since).values(valid_from=when))
    # each state lasts until the next one of its case begins, wherever it was moved to
    states, following = CaseState.__table__, CaseState.__table__.alias("following")
    next_start = (sa.select(following.c.valid_from).where(following.c.case_id == states.c.case_id,
                                                          following.c.id > states.c.id)
                  .order_by(following.c.id).limit(1).scalar_subquery())
    db.session.execute(states.update().where(states.c.valid_to.is_not(None)).values(valid_to=next_start))
    if not since:
        db.session.execute(sa.update(InspectionBatch).where(InspectionBatch.finished_at.is_not(None))
                           .values(finished_at=when))
    return db.session.scalar(sa.select(sa.func.max(CaseState.id))) or 0
