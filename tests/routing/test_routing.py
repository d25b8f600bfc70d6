"""Referrals between the linking agency, the ministry and the Digital Agency; inboxes; who sees what."""

from __future__ import annotations

import pytest

from caseflow.cases import operations as case_operations
from caseflow.cases.vocabulary import CaseStatus, Cause, ViewedOnPortal
from caseflow.errors import DomainError, PermissionDenied
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind, Program
from caseflow.routing import operations
from caseflow.routing.models import InboxKind, ReferralStatus
from caseflow.users.models import Role
from tests.conftest import IDENTITY, events_of, login, post_form


def test_referral_round_trip(make_case, caseworker, officer, ministry, agency, digital):
    case = make_case(CaseStatus.VERIFYING)
    assert [o.id for o in operations.referral_targets(case, caseworker)] == [ministry.id, digital.id]
    referral = operations.refer_case(caseworker, case, to=ministry, question="この手帳番号の重複は既知ですか。")
    assert case.holder_id == ministry.id
    assert operations.unread_count(db.session, officer) == 1
    assert operations.inbox(db.session, officer)[0].kind is InboxKind.REFERRAL

    # while the ministry holds it, the agency cannot change its status, and is told why
    assert "confirm" not in case_operations.available_actions(case, caseworker)
    with pytest.raises(DomainError, match="照会中"):
        case_operations.confirm_case(case, caseworker, cause=Cause.FAMILY_MEMBER_NUMBER,
                                     viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    with pytest.raises(DomainError, match="回答待ち"):
        operations.refer_case(caseworker, case, to=digital, question="重ねて照会")

    with pytest.raises(PermissionDenied):
        operations.answer_referral(caseworker, referral, answer="自分で回答")
    operations.answer_referral(officer, referral, answer="既知です。番号は正しいものに更新済みです。")
    assert referral.status is ReferralStatus.ANSWERED and case.holder_id is None
    assert operations.unread_count(db.session, caseworker) == 1
    assert [e.trigger for e in events_of(case.id)][-2:] == ["refer", "answer_referral"]
    case_operations.confirm_case(case, caseworker, cause=Cause.FAMILY_MEMBER_NUMBER,
                                 viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    assert case.status is CaseStatus.CONFIRMED


def test_a_ministry_reads_and_comments_but_does_not_act(make_case, officer):
    case = make_case(CaseStatus.VERIFYING)
    assert case_operations.available_actions(case, officer) == []
    with pytest.raises(PermissionDenied):
        case_operations.confirm_case(case, officer, cause=Cause.FAMILY_MEMBER_NUMBER,
                                     viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    with pytest.raises(PermissionDenied):
        operations.refer_case(officer, case, to=case.agency, question="?")
    case_operations.add_comment(case, officer, comment="所管省庁として確認しました。")


def test_a_confirmed_error_reaches_the_ministry_and_the_digital_agency_at_once(make_case, make_user, officer,
                                                                                 digital, caseworker):
    da_officer = make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital)
    case = make_case(CaseStatus.CONFIRMED)
    for reader in (officer, da_officer):
        items = operations.inbox(db.session, reader)
        assert [(i.kind, i.case_id) for i in items] == [(InboxKind.CONFIRMED, case.id)]
    assert operations.unread_count(db.session, caseworker) == 0
    assert operations.mark_read(db.session, officer) == 1
    assert operations.unread_count(db.session, officer) == 0
    assert operations.unread_count(db.session, da_officer) == 1  # each organisation reads its own


def test_referral_needs_a_question_and_a_known_target(make_case, caseworker, make_org):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="照会の内容"):
        operations.refer_case(caseworker, case, to=case.program.ministry, question="  ")
    with pytest.raises(DomainError, match="照会先"):
        operations.refer_case(caseworker, case, to=make_org(), question="よその市へ")


def test_pages_refer_answer_and_inbox(make_case, caseworker, officer, ministry, client, app):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "保有機関と照会" in page and "照会する" in page
    response = post_form(client, f"/cases/{case.id}/referrals",
                         {"to": ministry.id, "question": "確認をお願いします。", "version": case.version})
    assert response.status_code == 302
    post_form(client, "/logout", {}, token_from=f"/cases/{case.id}")
    login(client, officer)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "確認をお願いします。" in inbox and case.reference in inbox
    assert 'aria-label="未読1件"' in inbox
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "回答して" in page
    referral = operations.open_referral(case)
    response = post_form(client, f"/referrals/{referral.id}/answer", {"answer": "問題ありません。",
                                                                      "version": case.version})
    assert response.status_code == 302
    assert "問題ありません。" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_ministry_officer_sees_its_programs_cases_from_two_municipalities_and_nothing_else(
        make_case, make_org, make_user, ministry, officer, program, client):
    other_city = make_org(name="別市")
    other_ministry = make_org(OrganizationKind.MINISTRY, "別省")
    other_program = Program(name="別省の事務", ministry_id=other_ministry.id)
    db.session.add(other_program)
    db.session.flush()
    other_staff = (make_user(Role.CASEWORKER, org=other_city), make_user(Role.SUPERVISOR, org=other_city))
    mine = [make_case(), make_case(agency_=other_city, staff=other_staff)]
    not_mine = make_case(program_=other_program)
    login(client, officer)
    listing = client.get("/cases/").get_data(as_text=True)
    assert all(case.reference in listing for case in mine)
    assert not_mine.reference not in listing
    assert client.get(f"/cases/{not_mine.id}").status_code == 404
    assert client.get(f"/cases/{mine[1].id}").status_code == 200
