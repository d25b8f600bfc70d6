"""The intake pages: 案件の登録, the duplicate check, the case page's source and registry form, the list filter."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseSource, CaseStatus, Grade
from caseflow.extensions import db
from caseflow.intake import forms
from caseflow.intake.operations import open_by_hand
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.conftest import csrf_token, login, post_form
from tests.intake.conftest import FORM, NUMBER, RECORD_ONLY


def _submit(client, program, **changes):
    return post_form(client, "/cases/new", {**FORM, "program": str(program.id), **changes}, token_from="/cases/new")


def _hand_cases() -> list[Case]:
    return list(db.session.scalars(sa.select(Case).where(Case.opened_by_id.is_not(None)).order_by(Case.id)))


def test_the_form_offers_the_programs_the_organisation_links(client, caseworker, program, prefecture_program):
    login(client, caseworker)
    page = client.get("/cases/new").get_data(as_text=True)
    assert f'<option value="{program.id}"' in page and program.name in page
    assert prefecture_program.name not in page
    assert "住民からの申出" in page and ">点検</option>" not in page  # inspections open their own cases


def test_a_case_typed_in_opens_and_its_page_shows_where_it_came_from(client, caseworker, program):
    login(client, caseworker)
    response = _submit(client, program, source="other", source_other="弘前市からの連絡")
    (case,) = _hand_cases()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{case.id}")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "発見の経緯</dt><dd>その他（弘前市からの連絡）" in page and "手入力で登録：担当 花子" in page
    assert "手入力で登録</strong>" in page and "発見の経緯：その他（弘前市からの連絡）" in page
    assert f"案件 {case.reference} を登録しました（判定：C 優先確認）" in page
    assert NUMBER not in page and "●●●●●●●●" + NUMBER[-4:] in page


def test_a_refused_form_comes_back_without_the_number(client, caseworker, program):
    login(client, caseworker)
    wrong = NUMBER[:11] + str((int(NUMBER[11]) + 1) % 10)
    response = _submit(client, program, registered_number=wrong, record_birth_date="2999-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "個人番号の検査用数字が一致しません。" in page and "業務データの生年月日が未来の日付です。" in page
    assert wrong not in page and wrong[-4:] not in page
    assert "もう一度入力してください" in page and 'value="青森　太郎"' in page  # the rest stays as typed
    assert _hand_cases() == []


def test_a_possible_duplicate_is_shown_and_then_confirmed(client, caseworker, program, make_case):
    earlier = make_case(CaseStatus.VERIFYING, registered_number=NUMBER, source_record_id="B-7")
    login(client, caseworker)
    shown = _submit(client, program)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 409 and _hand_cases() == []
    assert f'href="/cases/{earlier.id}">{earlier.reference}</a>' in page and "確認中" in page
    assert "重複の可能性を確認したうえで登録する" in page
    confirmed = _submit(client, program, confirm_duplicate="1")
    assert confirmed.status_code == 302 and len(_hand_cases()) == 1


def test_a_taken_management_number_is_refused_with_the_case(client, caseworker, program, make_case):
    closed = make_case(CaseStatus.FALSE, source_record_id="A-1001")
    login(client, caseworker)
    response = _submit(client, program, confirm_duplicate="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and closed.reference in page and "空欄にして" in page


def test_the_registry_facts_are_entered_on_the_case_page(client, caseworker, program):
    case = open_by_hand(db.session, caseworker, forms.entry_argument({**RECORD_ONLY}, program))
    db.session.commit()
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "住民基本台帳の情報を入力" in page and case.grade is Grade.B
    response = post_form(client, f"/cases/{case.id}/registry", {
        "version": str(case.version), "registry_name": "青森　太郎", "registry_kana": "アオモリ　タロウ",
        "registry_birth_date": "1970-03-02", "registry_sex": "male", "registry_address": "青森県青森市新町1-1-1"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.grade is Grade.A and case.registry_address == "青森県青森市新町1-1-1"
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "住民基本台帳の情報を入力し、照合し直しました（判定：A 確認不要）" in page
    assert "判定：B → A" in page


def test_no_registry_form_on_an_inspection_case(client, caseworker, make_case):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "住民基本台帳の情報を入力" not in page and "発見の経緯</dt><dd>点検" in page


def test_the_list_filters_by_source_and_links_to_the_intake(client, caseworker, program, make_case):
    inspected = make_case()
    case = open_by_hand(db.session, caseworker, forms.entry_argument({**FORM}, program))
    db.session.commit()
    login(client, caseworker)
    page = client.get("/cases/?source=resident_report").get_data(as_text=True)
    assert case.reference in page and inspected.reference not in page
    assert '<option value="resident_report" selected>' in page
    assert 'href="/cases/new"' in page and 'href="/cases/import"' in page
    page = client.get("/cases/?source=inspection").get_data(as_text=True)
    assert inspected.reference in page and case.reference not in page
    assert client.get("/cases/?source=nope").status_code == 400
    assert 'id="dashboard-intake"' in client.get("/dashboard/").get_data(as_text=True)


def test_officers_and_other_organisations_cannot_open_or_enter(client, caseworker, program, make_user, make_org,
                                                               ministry):
    case = open_by_hand(db.session, caseworker, forms.entry_argument({**RECORD_ONLY}, program))
    db.session.commit()
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    login(client, officer)
    assert client.get("/cases/new").status_code == 403
    assert 'href="/cases/new"' not in client.get("/cases/").get_data(as_text=True)
    token = csrf_token(client, "/cases/")
    assert client.post("/cases/new", data={"csrf_token": token, **FORM, "program": str(program.id)}).status_code == 403
    assert client.post(f"/cases/{case.id}/registry", data={"csrf_token": token, "version": str(case.version),
                                                            "registry_name": "青森　次郎"}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    stranger = make_user(Role.CASEWORKER, org=make_org(OrganizationKind.LINKING_AGENCY, "別市"))
    login(client, stranger)
    response = post_form(client, f"/cases/{case.id}/registry", {"version": str(case.version), "registry_name": "x"})
    assert response.status_code == 404
    # The stranger's own case opens in the stranger's organisation, never the first one's.
    _submit(client, program, source_record_id="")
    (_first, theirs) = _hand_cases()
    assert theirs.agency_id == stranger.organization_id and theirs.source is CaseSource.RESIDENT_REPORT
    assert re.fullmatch(r"M-0+1", theirs.source_record_id)
