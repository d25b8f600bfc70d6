"""The case pages as a caseworker, a supervisor and outsiders use them."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.extensions import db
from caseflow.users.models import Role
from tests.conftest import csrf_token, events_of, login, post_form


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_login_required(client):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_in_japanese(client, caseworker):
    response = login(client, caseworker, password="wrong password!")
    assert response.status_code == 401
    assert "ログインIDまたはパスワードが正しくありません" in _html(response)
    assert client.get("/cases/").status_code == 302


def test_login_does_not_redirect_off_site(client, caseworker):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/", data={
        "csrf_token": token, "login": caseworker.login, "password": "correct horse battery"})
    assert response.headers["Location"] == "/cases/mine"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "queue": "ok", "storage": "ok"}


def test_healthz_names_the_dependency_that_fails(committed_app, tmp_path):
    from caseflow.jobs.queue import close_queue

    committed_app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = committed_app.test_client().get("/healthz")
    finally:
        close_queue(committed_app)
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "queue": "unreachable", "storage": "ok"}


def test_case_list_shows_only_own_organisation(client, make_case, caseworker, make_org, make_user):
    own = make_case()
    other_org = make_org()
    other = make_case(agency_=other_org, staff=(make_user(Role.CASEWORKER, org=other_org),
                                                 make_user(Role.SUPERVISOR, org=other_org)))
    login(client, caseworker)
    page = _html(client.get("/cases/"))
    assert own.reference in page
    assert other.reference not in page


@pytest.mark.parametrize("method,path", [
    ("get", "/cases/{id}"),
    ("post", "/cases/{id}/transitions/start_verification"),
    ("post", "/cases/{id}/comments"),
    ("post", "/cases/{id}/correction"),
])
def test_another_organisations_case_is_not_found(client, make_case, make_org, make_user, method, path):
    other_org = make_org()
    outsider = make_user(Role.CASEWORKER, org=other_org)
    case = make_case()
    login(client, outsider)
    url = path.format(id=case.id)
    if method == "get":
        response = client.get(url)
    else:
        response = post_form(client, url, {"version": case.version, "comment": "x"})
    assert response.status_code == 404
    assert "見つかりません" in _html(response)
    assert len(events_of(case.id)) == 1  # only the detection event


def test_nonexistent_case_is_not_found(client, caseworker):
    login(client, caseworker)
    assert client.get("/cases/999999").status_code == 404


def test_caseworker_works_a_case_through_the_pages(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "確認を開始" in page and "紐付け誤りと確定" not in page

    response = post_form(client, f"/cases/{case.id}/transitions/start_verification", {"version": case.version})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING

    response = post_form(client, f"/cases/{case.id}/transitions/confirm", {
        "version": case.version, "cause": "family_member_number", "viewed_on_portal": "yes",
        "viewed_what": "障害者手帳の情報", "viewed_on": "2023-06-01", "viewing_suspended": "1",
        "identity_method": "resident_record", "identity_verified_on": "2025-01-06"})
    assert response.status_code == 302
    page = _html(client.get(f"/cases/{case.id}"))
    assert "誤り確定" in page and "家族のマイナンバーの取り違え" in page and "障害者手帳の情報" in page
    assert "住民票・2025年1月6日・" + caseworker.display_name in page  # how identity was verified, by whom
    assert "紐付け誤りと確定" in page  # the timeline entry
    db.session.refresh(case)
    assert (case.status, case.viewing_suspended) == (CaseStatus.CONFIRMED, True)


def test_refused_action_says_why_and_changes_nothing(client, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/transitions/confirm",
                         {"version": case.version, "viewed_on_portal": "no"})
    assert response.status_code == 422
    assert "紐付け誤りの主な原因を選択してください" in _html(response)
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING


def test_bad_date_is_a_clear_error(client, make_case, caseworker):
    case = make_case(CaseStatus.CORRECTED)
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/transitions/notify",
                         {"version": case.version, "notified_on": "23/11/2026", "notification_method": "mail"})
    assert response.status_code == 422
    assert "通知日は 2026-11-23 の形式" in _html(response)


def test_csrf_is_enforced(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    response = client.post(f"/cases/{case.id}/transitions/start_verification", data={"version": case.version})
    assert response.status_code == 400
    assert "フォームの有効期限が切れたか" in _html(response)
    db.session.refresh(case)
    assert case.status is CaseStatus.DETECTED


def test_logout_ends_the_session(client, caseworker):
    login(client, caseworker)
    response = post_form(client, "/logout", {})
    assert response.status_code == 302
    assert client.get("/cases/").status_code == 302


def test_login_form_needs_csrf_too(client, caseworker):
    client.get("/login")
    response = client.post("/login", data={"login": caseworker.login, "password": "correct horse battery"})
    assert response.status_code == 400


def test_stale_form_is_refused_with_a_clear_message(client, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    seen_version = case.version
    # Someone else acts on the case after the page was rendered.
    from caseflow.cases import operations

    operations.add_comment(case, supervisor, comment="確認中です")
    db.session.commit()
    response = post_form(client, f"/cases/{case.id}/dismissal",
                         {"version": seen_version, "dismiss_reason": "other", "dismiss_reason_other": "本人と確認"})
    assert response.status_code == 409
    assert "他の職員により更新されています" in _html(response)
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING


def test_no_route_corrects_without_a_second_persons_approval(client, make_case, caseworker, make_user):
    proposer_boss = make_user(Role.SUPERVISOR)
    case = make_case(CaseStatus.CONFIRMED, staff=(proposer_boss, proposer_boss), pending_correction=True)
    for actor in (caseworker, proposer_boss):
        login(client, actor)
        page = _html(client.get(f"/cases/{case.id}"))
        assert "訂正を承認" not in page  # the page does not offer it …
        response = post_form(client, f"/cases/{case.id}/transitions/correct", {"version": case.version})
        assert response.status_code == 403  # … and the server refuses it
        db.session.refresh(case)
        assert case.status is CaseStatus.CONFIRMED
        post_form(client, "/logout", {})


def test_supervisor_approves_on_the_page(client, make_case, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    login(client, supervisor)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "訂正を承認" in page and "差し戻す" in page
    response = post_form(client, f"/cases/{case.id}/transitions/correct", {"version": case.version, "comment": "OK"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status is CaseStatus.CORRECTED


def test_my_number_is_masked_on_every_page(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    for path in ("/cases/", "/cases/mine", f"/cases/{case.id}"):
        client.get(path)
    list_page = _html(client.get("/cases/"))
    detail_page = _html(client.get(f"/cases/{case.id}"))
    number = case.registered_number
    for page in (list_page, detail_page):
        assert number not in page
        assert "●" * 8 + number[-4:] in page


def test_my_number_is_never_logged(client, make_case, caseworker, supervisor, caplog):
    caplog.set_level(logging.DEBUG)
    case = make_case()
    login(client, caseworker)
    post_form(client, f"/cases/{case.id}/transitions/start_verification", {"version": case.version})
    post_form(client, f"/cases/{case.id}/transitions/confirm", {"version": case.version + 1})  # refused
    assert case.registered_number not in caplog.text
    assert case.registered_number[-8:] not in caplog.text


def test_list_filters_and_sorts_by_due_date(client, make_case, caseworker):
    today = dt.date.today()
    late = make_case(due_date=today + dt.timedelta(days=30))
    soon = make_case(due_date=today + dt.timedelta(days=1), grade=Grade.B)
    verifying = make_case(CaseStatus.VERIFYING, due_date=today + dt.timedelta(days=5))
    login(client, caseworker)
    page = _html(client.get("/cases/"))
    assert page.index(soon.reference) < page.index(verifying.reference) < page.index(late.reference)
    page = _html(client.get("/cases/?sort=-due"))
    assert page.index(late.reference) < page.index(soon.reference)
    page = _html(client.get("/cases/?grade=B"))
    assert soon.reference in page and late.reference not in page
    page = _html(client.get("/cases/?status=verifying"))
    assert verifying.reference in page and soon.reference not in page
    page = _html(client.get("/cases/?assignee=none"))
    assert soon.reference in page and verifying.reference not in page


def test_list_pages(client, make_case, caseworker, app):
    app.config["CASES_PER_PAGE"] = 2
    try:
        cases = [make_case(due_date=dt.date.today() + dt.timedelta(days=i)) for i in range(5)]
        login(client, caseworker)
        first = _html(client.get("/cases/"))
        third = _html(client.get("/cases/?page=3"))
    finally:
        app.config["CASES_PER_PAGE"] = 50
    assert "1 / 3ページ" in first and cases[0].reference in first and cases[2].reference not in first
    assert cases[4].reference in third


def test_my_queue_holds_my_open_cases(client, make_case, caseworker, make_user):
    colleague = make_user(Role.CASEWORKER)
    mine = make_case(CaseStatus.VERIFYING)
    done = make_case(CaseStatus.NOTIFIED)
    theirs = make_case(CaseStatus.VERIFYING, staff=(colleague, colleague))
    login(client, caseworker)
    page = _html(client.get("/cases/mine"))
    assert mine.reference in page
    assert done.reference not in page and theirs.reference not in page


def test_detail_shows_both_records_side_by_side_with_differences_marked(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    page = _html(client.get(f"/cases/{case.id}"))
    rows = dict(re.findall(r'<tr class="([^"]*)" data-field="(\w+)"', page)[i][::-1] for i in range(5))
    assert rows["name"] == "row--differs" and rows["address"] == ""
    assert "山田　太郎" in page and "山田　次郎" in page
    assert "昭和45年3月2日" in page


def test_ministry_officer_sees_its_programs_across_agencies_but_cannot_act(client, make_case, make_user, ministry,
                                                                            make_org):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    second_agency = make_org()
    a = make_case()
    b = make_case(agency_=second_agency, staff=(make_user(Role.CASEWORKER, org=second_agency),
                                                 make_user(Role.SUPERVISOR, org=second_agency)))
    login(client, officer)
    page = _html(client.get("/cases/"))
    assert a.reference in page and b.reference in page
    detail = _html(client.get(f"/cases/{a.id}"))
    assert "確認を開始" not in detail
    response = post_form(client, f"/cases/{a.id}/transitions/start_verification", {"version": a.version})
    assert response.status_code == 403
    assert db.session.get(Case, a.id).status is CaseStatus.DETECTED


def test_case_pages_are_not_cached(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    assert client.get(f"/cases/{case.id}").headers["Cache-Control"] == "no-store"
