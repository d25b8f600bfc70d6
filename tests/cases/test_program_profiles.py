"""Programs know their facts and their agencies (issue 15, item 5).

Each program declares which facts its records hold and which kinds of organisation link it; the
3-fact registry query follows the program; an inspection of a program the organisation does not
link is refused; 公金受取口座's correction is the account's deletion and a request to register again.
"""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from caseflow.cases import operations
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, Sex
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.inspections.operations import start_inspection
from caseflow.organizations.models import (
    FACTS,
    CorrectionKind,
    Organization,
    OrganizationCategory,
    OrganizationKind,
    Program,
)
from caseflow.seeding import SEED_DIR, load_reference
from caseflow.users.models import Role
from tests.conftest import csrf_token, login
from tests.inspections.test_inspections import records_file, registry_file


def _program(code: str) -> Program:
    return db.session.scalars(sa.select(Program).where(Program.code == code)).one()


def _org(code: str) -> Organization:
    return db.session.scalars(sa.select(Organization).where(Organization.code == code)).one()


def test_every_program_of_the_2023_table_has_a_profile():
    with open(SEED_DIR / "program_profiles.csv", encoding="utf-8") as fh:
        profiles = {row["code"]: row for row in csv.DictReader(fh)}
    with open(SEED_DIR / "program_codes.csv", encoding="utf-8") as fh:
        codes = [row["code"] for row in csv.DictReader(fh)]
    assert sorted(profiles) == sorted(codes) and len(codes) == 24
    for code, row in profiles.items():
        assert set(row["facts"].split()) <= set(FACTS) and {"name", "birth_date", "address"} <= set(row["facts"].split())
        assert row["linking"].split() and all(OrganizationCategory(c) for c in row["linking"].split()), code
        assert CorrectionKind(row["correction"])
    assert profiles["public-fund-account"]["linking"] == "digital_agency"
    assert profiles["public-fund-account"]["correction"] == "account_deletion"
    assert "sex" not in profiles["child-residential-support"]["facts"].split()


def test_reference_data_loads_the_profiles(app):
    load_reference(db.session)
    bank = _program("public-fund-account")
    assert bank.linking_categories == ["digital_agency"] and bank.correction_kind is CorrectionKind.ACCOUNT_DELETION
    assert not _program("child-residential-support").holds("sex") and _program("disability-handbook").holds("sex")
    assert _org("022021").category is OrganizationCategory.MUNICIPALITY
    assert _org("020001").category is OrganizationCategory.PREFECTURE
    assert bank.is_linked_by(_org("digital")) and not bank.is_linked_by(_org("022021"))
    assert not _program("workers-compensation").is_linked_by(_org("020001"))
    assert _program("disability-handbook").is_linked_by(_org("022021"))


@pytest.mark.parametrize("agency_code, program_code, refused", [
    ("022021", "public-fund-account", True),  # 弘前市 and the Digital Agency's program (the sweep's finding 6)
    ("020001", "workers-compensation", True),  # a prefecture and the labour offices' program
    ("mhlw", "disability-handbook", True),  # a ministry inspects nothing
    ("022021", "disability-handbook", False),
    ("digital", "public-fund-account", False),
])
def test_an_inspection_of_a_program_the_organisation_does_not_link_is_refused(app, agency_code, program_code,
                                                                              refused):
    load_reference(db.session)
    agency, program = _org(agency_code), _program(program_code)

    def start():
        return start_inspection(db.session, None, agency=agency, program=program,
                                records=("records.csv", records_file()), registry=("registry.csv", registry_file()),
                                root=app.instance_path)

    if refused:
        with pytest.raises(DomainError) as caught:
            start()
        assert program.name in caught.value.message or "省庁" in caught.value.message
    else:
        assert start().id


def test_the_inspection_page_refuses_the_wrong_program_with_its_reason(app, client, make_user):
    load_reference(db.session)
    hirosaki = _org("022021")
    caseworker = make_user(Role.CASEWORKER, org=hirosaki)
    login(client, caseworker)
    response = client.post("/inspections/new", data={
        "csrf_token": csrf_token(client, "/inspections/new"), "program": str(_program("public-fund-account").id),
        "records": (io.BytesIO(records_file()), "records.csv"), "registry": (io.BytesIO(registry_file()), "r.csv"),
    }, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "弘前市は「公金受取口座情報」の紐付け実施機関ではないため" in page and "デジタル庁" in page


def _no_sex_program(ministry) -> Program:
    program = Program(name="障害児入所支援・措置情報（テスト）", ministry_id=ministry.id,
                      facts_held=["name", "kana", "birth_date", "address"])
    db.session.add(program)
    db.session.flush()
    return program


def test_a_program_without_sex_queries_with_three_facts_whatever_the_holder_s_sex(make_case, ministry, caseworker,
                                                                                  supervisor):
    """The sweep's finding 5: the query was refused because of the *number's holder's* registry sex."""
    program = _no_sex_program(ministry)
    case = make_case(CaseStatus.CONFIRMED, program_=program, record_sex=None, registry_sex=Sex.MALE)
    with pytest.raises(DomainError, match="3情報"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                      linked_number="123456789018", query_facts=4, query_matches=1)
    operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                  linked_number="123456789018", query_facts=3, query_matches=1)
    operations.approve_correction(case, supervisor)
    assert case.status is CaseStatus.CORRECTED


def test_a_program_with_sex_and_a_known_sex_queries_with_four_facts(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED, record_sex=Sex.FEMALE, registry_sex=None)
    with pytest.raises(DomainError, match="基本4情報"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                      linked_number="123456789018", query_facts=3, query_matches=1)


def test_the_bank_account_program_is_corrected_by_deleting_the_account(make_case, ministry, caseworker, supervisor,
                                                                       client):
    bank = Program(name="公金受取口座情報（テスト）", ministry_id=ministry.id,
                   correction_kind=CorrectionKind.ACCOUNT_DELETION)
    db.session.add(bank)
    db.session.flush()
    case = make_case(CaseStatus.CONFIRMED, program_=bank)
    assert operations.correction_outcomes(bank) == (CorrectionOutcome.ACCOUNT_DELETED,)
    with pytest.raises(DomainError, match="口座登録を削除"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                      linked_number="123456789018", query_facts=4, query_matches=1)
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "誤って登録された公金受取口座の登録を削除した" in page and 'name="linked_number"' not in page
    operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                  outcome=CorrectionOutcome.ACCOUNT_DELETED)
    operations.approve_correction(case, supervisor)
    assert case.status is CaseStatus.CORRECTED
    assert case.corrections[-1].outcome is CorrectionOutcome.ACCOUNT_DELETED and case.corrections[-1].linked_number is None
    # Other programs keep their two outcomes.
    other = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError):
        operations.propose_correction(other, caseworker, wrong_number_removed=True,
                                      outcome=CorrectionOutcome.ACCOUNT_DELETED)


def test_new_organisations_of_unknown_kind_link_only_unrestricted_programs(make_org, ministry):
    agency = make_org()  # made without a category, as the test factories do
    assert agency.kind is OrganizationKind.LINKING_AGENCY and agency.category is None
    free = Program(name="自由な事務（テスト）", ministry_id=ministry.id)
    bank = Program(name="口座（テスト）", ministry_id=ministry.id, linking_categories=["digital_agency"])
    assert free.is_linked_by(agency) and not bank.is_linked_by(agency)
