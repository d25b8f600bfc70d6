"""The administrator's organisation, letterhead and program pages (issue 16, part 4): codes checked
as the reference loader checks them, letterheads that make letters possible, programs' profiles
kept within their rules, each change recorded with its values before and after."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.administration.models import AdminChange, ChangeAction, ChangeSubject
from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationCategory, OrganizationKind, Program
from caseflow.organizations.rules import local_government_check_digit, organization_problems
from caseflow.seeding import load_reference
from caseflow.users.models import Role
from tests.conftest import csrf_token, login
from tests.test_authorization_matrix import LETTERHEAD


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, name="管理 太郎")


@pytest.fixture
def as_admin(client, admin):
    db.session.commit()
    assert login(client, admin).status_code == 302
    return client


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/organizations"), **(data or {})})


def _changes(subject: ChangeSubject, subject_id: int) -> list[AdminChange]:
    return db.session.scalars(sa.select(AdminChange).where(AdminChange.subject == subject,
                                                           AdminChange.subject_id == subject_id)
                              .order_by(AdminChange.position)).all()


def _org(code: str) -> Organization:
    return db.session.scalars(sa.select(Organization).where(Organization.code == code)).one()


def test_the_check_digit_of_local_government_codes():
    # 青森市 022012, 弘前市 022021, 八戸市 022039, 青森県 020001, 千代田区 131016
    for code in ("022012", "022021", "022039", "020001", "131016"):
        assert local_government_check_digit(code[:5]) == int(code[5]), code


def test_the_reference_data_keeps_the_rules(app):
    load_reference(db.session)  # refuses a row that breaks them
    assert organization_problems(code="022013", name="青森市", kind=OrganizationKind.LINKING_AGENCY,
                                 category=OrganizationCategory.MUNICIPALITY, prefecture="青森県")


def test_each_organisation_page_opens(as_admin, agency):
    for path, heading in (("/admin/organizations", "組織・差出人の管理"), ("/admin/organizations/new", "組織の登録"),
                          (f"/admin/organizations/{agency.id}", agency.name),
                          (f"/admin/organizations/{agency.id}/letterhead", "差出人の情報"),
                          ("/admin/programs", "事務の設定")):
        page = as_admin.get(path)
        assert page.status_code == 200 and heading in page.get_data(as_text=True), path


def test_searching_organisations(as_admin, make_org, agency):
    ministry = make_org(OrganizationKind.MINISTRY, "検索用省")
    row = f'data-organization="{agency.code}"'
    page = as_admin.get("/admin/organizations?q=検索用").get_data(as_text=True)
    assert "検索用省" in page and row not in page
    assert row in as_admin.get(f"/admin/organizations?q={agency.code}").get_data(as_text=True)
    # The agency sends letters and has no letterhead; the ministry sends none.
    lacking = as_admin.get("/admin/organizations?letterhead=1").get_data(as_text=True)
    assert row in lacking and ministry.name not in lacking


def test_creating_an_organisation_checks_its_code(as_admin):
    base = {"name": "八戸市", "category": "municipality", "prefecture": "青森県"}
    for code, message in (("022038", "検査数字（6桁目）が一致しません"), ("22039", "全国地方公共団体コード"),
                          ("032034", "先頭2桁（03）が青森県の番号（02）と一致しません"), ("", "組織コードを入力してください"),
                          ("八戸", "全国地方公共団体コード")):
        refused = _post(as_admin, "/admin/organizations/new", {**base, "code": code})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), code
        assert 'value="八戸市"' in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdminChange)) == 0

    created = _post(as_admin, "/admin/organizations/new", {**base, "code": "022039"})
    assert created.status_code == 302
    hachinohe = _org("022039")
    assert hachinohe.kind is OrganizationKind.LINKING_AGENCY and hachinohe.category is OrganizationCategory.MUNICIPALITY
    (change,) = _changes(ChangeSubject.ORGANIZATION, hachinohe.id)
    assert change.action is ChangeAction.CREATED and change.changes["code"] == [None, "022039"]

    again = _post(as_admin, "/admin/organizations/new", {**base, "code": "022039"})
    assert again.status_code == 422 and "組織コード 022039 は既に使われています。" in again.get_data(as_text=True)
    ministry = _post(as_admin, "/admin/organizations/new", {"code": "mext", "name": "文部科学省",
                                                            "category": "ministry"})
    assert ministry.status_code == 302 and _org("mext").kind is OrganizationKind.MINISTRY


def test_editing_an_organisation_is_recorded_before_and_after(as_admin, agency):
    response = _post(as_admin, f"/admin/organizations/{agency.id}", {"code": agency.code, "name": "改称市",
                                                                     "category": "other", "prefecture": "岩手県"})
    assert response.status_code == 302
    assert agency.name == "改称市" and agency.prefecture == "岩手県"
    (change,) = _changes(ChangeSubject.ORGANIZATION, agency.id)
    assert change.changes["name"][1] == "改称市" and change.changes["prefecture"] == ["青森県", "岩手県"]
    assert change.changes["category"] == [None, "other"]
    page = as_admin.get(f"/admin/organizations/{agency.id}").get_data(as_text=True)
    assert "青森県 → 岩手県" in page and "（なし） → その他" in page

    unchanged = _post(as_admin, f"/admin/organizations/{agency.id}", {"code": agency.code, "name": "改称市",
                                                                      "category": "other", "prefecture": "岩手県"})
    assert unchanged.status_code == 422 and "変更された項目がありません。" in unchanged.get_data(as_text=True)


def test_an_organisation_with_cases_keeps_its_kind(as_admin, make_case, agency):
    make_case()
    db.session.commit()
    refused = _post(as_admin, f"/admin/organizations/{agency.id}", {"code": "mhlw2", "name": agency.name,
                                                                    "category": "ministry"})
    assert refused.status_code == 422
    assert "組織の種類（紐付け実施機関）は変更できません" in refused.get_data(as_text=True)
    assert agency.kind is OrganizationKind.LINKING_AGENCY


def test_an_organisation_changes_kind_only_if_its_users_roles_fit(as_admin, make_org, make_user):
    office = make_org(name="統合予定の課")
    make_user(Role.CASEWORKER, org=office, name="担当 一郎")
    db.session.commit()
    refused = _post(as_admin, f"/admin/organizations/{office.id}", {"code": "office-x", "name": office.name,
                                                                    "category": "ministry"})
    assert refused.status_code == 422
    assert "利用者（担当 一郎）の役割が制度所管省庁に合わないため" in refused.get_data(as_text=True)
    assert _post(as_admin, f"/admin/organizations/{office.id}", {"code": "office-x", "name": office.name,
                                                                 "category": "insurer"}).status_code == 302
    assert office.kind is OrganizationKind.LINKING_AGENCY and office.category is OrganizationCategory.INSURER


def test_the_letterhead_makes_letters_possible_and_is_recorded(as_admin, agency):
    incomplete = _post(as_admin, f"/admin/organizations/{agency.id}/letterhead", dict(LETTERHEAD, phone=""))
    assert incomplete.status_code == 422
    assert "差出人の情報は全項目が必要です。未入力：電話番号。" in incomplete.get_data(as_text=True)
    wrong_postal = _post(as_admin, f"/admin/organizations/{agency.id}/letterhead",
                         dict(LETTERHEAD, postal_code="000-0000"))
    assert wrong_postal.status_code == 422 and "日本郵便の郵便番号" in wrong_postal.get_data(as_text=True)
    assert agency.letterhead is None

    saved = _post(as_admin, f"/admin/organizations/{agency.id}/letterhead", dict(LETTERHEAD, postal_code="０３０８５５５"))
    assert saved.status_code == 302
    assert agency.letterhead == dict(LETTERHEAD, postal_code="030-8555")
    (change,) = _changes(ChangeSubject.ORGANIZATION, agency.id)
    assert change.action is ChangeAction.LETTERHEAD
    assert change.changes["letterhead.issuer_title"] == [None, "テスト市長"]
    assert f'data-organization="{agency.code}"' not in as_admin.get("/admin/organizations?letterhead=1").get_data(
        as_text=True)

    cleared = _post(as_admin, f"/admin/organizations/{agency.id}/letterhead", dict.fromkeys(LETTERHEAD, ""))
    assert cleared.status_code == 302 and agency.letterhead is None
    assert _changes(ChangeSubject.ORGANIZATION, agency.id)[-1].changes["letterhead.prefix"] == ["テ市民", None]


def test_a_ministry_has_no_letterhead(as_admin, ministry):
    db.session.commit()  # kept when the refused request rolls back
    refused = _post(as_admin, f"/admin/organizations/{ministry.id}/letterhead", LETTERHEAD)
    assert refused.status_code == 422 and "差出人の情報は登録しません" in refused.get_data(as_text=True)


def test_the_missing_letterhead_message_links_administrators_to_the_page(client, make_case, make_user, agency):
    case = make_case(CaseStatus.CORRECTED)
    worker = make_user(Role.CASEWORKER)
    worker_admin = make_user(Role.CASEWORKER, Role.ADMINISTRATOR)
    link = f'href="/admin/organizations/{agency.id}/letterhead"'
    db.session.commit()

    login(client, worker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "発信者情報（差出人・問い合わせ先）が登録されていないため" in page
    assert "システム管理者に登録を依頼してください。" in page and link not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/")})

    login(client, worker_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert link in page and "差出人の情報を登録する" in page
    agency.letterhead = dict(LETTERHEAD)
    db.session.commit()
    assert "letterhead-missing" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_editing_a_program_changes_what_it_holds_and_who_links_it(as_admin, program, agency, make_org):
    prefecture = make_org()
    prefecture.category, agency.category = OrganizationCategory.PREFECTURE, OrganizationCategory.MUNICIPALITY
    db.session.commit()
    response = _post(as_admin, f"/admin/programs/{program.id}", {
        "facts_held": ["name", "kana", "birth_date", "address"], "linking_categories": ["municipality"],
        "holder_notice": "1", "retention_years": "7"})
    assert response.status_code == 302
    assert program.facts_held == ["name", "kana", "birth_date", "address"] and not program.holds("sex")
    assert program.is_linked_by(agency) and not program.is_linked_by(prefecture)
    assert program.retention_years == 7 and program.holder_notice
    (change,) = _changes(ChangeSubject.PROGRAM, program.id)
    assert change.changes["facts_held"] == [["name", "kana", "birth_date", "sex", "address"],
                                            ["name", "kana", "birth_date", "address"]]
    assert change.changes["linking_categories"] == [[], ["municipality"]]
    page = as_admin.get("/admin/changes?subject=program").get_data(as_text=True)
    assert "指定なし（紐付け実施機関すべて） → 市区町村" in page and "既定の期間 → 7年" in page


@pytest.mark.parametrize("data, message", [
    ({"facts_held": ["kana", "birth_date", "sex", "address"]}, "保有する情報に氏名を含めてください。"),
    ({"facts_held": ["name", "kana", "sex"]}, "保有する情報に生年月日・住所を含めてください。"),
    ({"linking_categories": ["ministry"]}, "府省庁は紐付けを行いません。"),
    ({"linking_categories": ["castle"]}, "紐付けを行う組織区分に不明な値があります"),
    ({"retention_years": "0"}, "保存年数は1以上の半角数字で入力してください"),
    ({"retention_years": "５"}, "保存年数は1以上の半角数字で入力してください"),
    ({"retention_years": "101"}, "保存年数は1以上100以下で入力してください"),
])
def test_a_program_keeps_its_rules(as_admin, program, data, message):
    db.session.commit()  # kept when the refused request rolls back
    form = {"facts_held": ["name", "kana", "birth_date", "sex", "address"], "linking_categories": [], **data}
    refused = _post(as_admin, f"/admin/programs/{program.id}", form)
    assert refused.status_code == 422 and message in refused.get_data(as_text=True)
    assert program.facts_held is None or program.holds("sex")
    assert _changes(ChangeSubject.PROGRAM, program.id) == []


def test_the_programs_list_shows_each_profile(as_admin, app):
    load_reference(db.session)
    db.session.commit()
    page = as_admin.get("/admin/programs").get_data(as_text=True)
    assert page.count("data-program=") == db.session.scalar(sa.select(sa.func.count()).select_from(Program))
    assert "氏名・氏名（カナ）・生年月日・住所" in page  # a program that holds no sex
