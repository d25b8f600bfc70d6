"""A committed database holding cases and corrections with known My Numbers and registry facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from caseflow.cases import kernel, operations
from caseflow.cases.models import Case, Correction
from caseflow.cases.vocabulary import Cause, CorrectionOutcome, Grade, Sex, ViewedOnPortal
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.conftest import IDENTITY, PASSWORD, valid_number

CASES = 7
REGISTRY_NAME = "暗号　花子"
REGISTRY_KANA = "アンゴウ　ハナコ"
REGISTRY_ADDRESS = "青森県むつ市金曲一丁目9番9号"


@dataclass
class World:
    app: object
    facts: dict[int, tuple]  # case id → (number, name, kana, birth date, sex, address)
    linked: dict[int, str]  # correction id → linked number

    @property
    def numbers(self) -> list[str]:
        return [f[0] for f in self.facts.values()] + list(self.linked.values())


def read_back(session) -> tuple[dict[int, tuple], dict[int, str]]:
    """What the application reads now, through the ORM."""
    session.expire_all()
    facts = {c.id: (c.registered_number, c.registry_name, c.registry_kana, c.registry_birth_date, c.registry_sex,
                    c.registry_address) for c in session.scalars(sa.select(Case).order_by(Case.id))}
    linked = dict(session.execute(sa.select(Correction.id, Correction.linked_number)).all())
    return facts, linked


@pytest.fixture
def world(committed_app) -> World:
    with committed_app.app_context():
        session = db.session
        load_reference(session)
        agency = session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = session.scalars(sa.select(Program).order_by(Program.id)).first()
        worker = create_user(session, login="w", display_name="担当", organization=agency,
                             roles={Role.CASEWORKER}, password=PASSWORD)
        for n in range(CASES):
            case = kernel.open_case(
                session, program=program, agency=agency, source_record_id=f"E{n}",
                registered_number=valid_number(30_000_000_000 + n), grade=Grade.C, field_verdicts={},
                record_name="山田　太郎", record_sex=Sex.FEMALE, registry_name=REGISTRY_NAME, registry_kana=REGISTRY_KANA,
                registry_birth_date=dt.date(1972, 5, 1 + n), registry_sex=Sex.FEMALE,
                registry_address=REGISTRY_ADDRESS)
            if n < 2:
                operations.start_verification(case, worker)
                operations.confirm_case(case, worker, cause=Cause.FAMILY_MEMBER_NUMBER,
                                        viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
                operations.propose_correction(case, worker, wrong_number_removed=True,
                                              outcome=CorrectionOutcome.LINKED,
                                              linked_number=valid_number(40_000_000_000 + n),
                                              query_facts=4, query_matches=1)
        session.commit()
        facts, linked = read_back(session)
        db.session.remove()
    assert len(facts) == CASES and len(linked) == 2
    return World(committed_app, facts, linked)
