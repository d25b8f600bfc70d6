"""The case endpoints: who sees what, the workflow through the API, and its refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from caseflow.cases import operations
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, CorrectionStatus, Grade
from caseflow.errors import STALE_MESSAGE
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind, Program
from caseflow.users.models import Role
from tests.conftest import events_of, login, post_form, valid_number


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {item["id"] for item in response.json["items"]}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"}
    return response.json["error"]


# --- who sees what -----------------------------------------------------------------------------


@pytest.fixture
def landscape(make_case, make_org, make_user, ministry, program):
    """Cases of two agencies under one ministry's program, and one of another ministry's program."""
    other_agency = make_org(name="弘前市（テスト）")
    other_ministry = make_org(OrganizationKind.MINISTRY, "こども家庭庁（テスト）")
    other_program = Program(name="児童手当（テスト）", ministry_id=other_ministry.id)
    db.session.add(other_program)
    db.session.flush()
    return {
        "own": make_case(),
        "other_agency": make_case(agency_=other_agency),
        "other_program": make_case(program_=other_program),
        "other_agency_org": other_agency,
    }


def test_a_ministry_officer_lists_its_programs_cases_of_every_agency(api_as, make_user, ministry, landscape):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    assert _ids(api_as(officer)("GET", "/api/v1/cases")) == {landscape["own"].id, landscape["other_agency"].id}


def test_a_caseworker_lists_only_its_own_agencys_cases(api_as, caseworker, landscape):
    assert _ids(api_as(caseworker)("GET", "/api/v1/cases")) == {landscape["own"].id, landscape["other_program"].id}


def test_the_digital_agency_lists_every_case(api_as, make_org, make_user, landscape):
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")
    officer = make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital)
    response = api_as(officer)("GET", "/api/v1/cases?per_page=200")
    assert {c.id for c in (landscape["own"], landscape["other_agency"], landscape["other_program"])} <= _ids(response)
    assert response.json["total"] == db.session.scalar(sa.select(sa.func.count(Case.id)))


@pytest.mark.parametrize("path", [
    ("GET", "/api/v1/cases/{id}"),
    ("POST", "/api/v1/cases/{id}/transitions/start_verification"),
    ("POST", "/api/v1/cases/{id}/comments"),
    ("POST", "/api/v1/cases/{id}/correction"),
    ("POST", "/api/v1/cases/{id}/correction/approve"),
])
def test_another_organisations_case_is_not_found(api_as, make_user, landscape, path):
    method, template = path
    outsider = make_user(Role.SUPERVISOR, org=landscape["other_agency_org"])
    case = landscape["own"]
    body = None
    if template.endswith("/comments"):
        body = {"comment": "見えないはず"}
    elif template.endswith("/correction"):
        body = {"version": case.version, "wrong_number_removed": True, "outcome": "unlinked"}
    elif template.endswith("start_verification") or template.endswith("approve"):
        body = {"version": case.version}
    response = api_as(outsider)(method, template.format(id=case.id), body)
    assert _error(response, 404) == {"code": "not_found", "message": "案件が見つかりません。"}
    assert len(events_of(case.id)) == 1
    # The same answer as for a case that does not exist, however large its number.
    assert api_as(outsider)("GET", "/api/v1/cases/99999999").json == response.json
    assert api_as(outsider)("GET", "/api/v1/cases/99999999999999999999").json == response.json


# --- the list ------------------------------------------------------------------------------------


def test_list_filters(api_as, make_case, caseworker, program):
    detected_c = make_case(grade=Grade.C)
    detected_b = make_case(grade=Grade.B)
    verifying = make_case(CaseStatus.VERIFYING)  # assigned to the caseworker
    api = api_as(caseworker)
    assert _ids(api("GET", "/api/v1/cases?status=verifying")) == {verifying.id}
    assert _ids(api("GET", "/api/v1/cases?status=detected&grade=B")) == {detected_b.id}
    assert _ids(api("GET", "/api/v1/cases?assignee=me")) == {verifying.id}
    assert _ids(api("GET", f"/api/v1/cases?assignee={caseworker.id}")) == {verifying.id}
    assert _ids(api("GET", "/api/v1/cases?assignee=none")) == {detected_c.id, detected_b.id}
    assert _ids(api("GET", f"/api/v1/cases?program={program.id}")) == {detected_c.id, detected_b.id, verifying.id}
    assert _ids(api("GET", f"/api/v1/cases?program={program.id + 1000}")) == set()
    assert _ids(api("GET", "/api/v1/cases?batch=1")) == set()


def test_list_is_sorted_and_paged(api_as, make_case, caseworker, conforms):
    today = dt.date(2026, 11, 23)
    cases = [make_case(due_date=today + dt.timedelta(days=d)) for d in (5, 1, 3, 2, 4)]
    by_due = [c.id for c in sorted(cases, key=lambda c: c.due_date)]
    api = api_as(caseworker)

    first = api("GET", "/api/v1/cases?per_page=2")
    body = conforms(first, "CaseList")
    assert (body["page"], body["per_page"], body["total"]) == (1, 2, 5)
    assert [item["id"] for item in body["items"]] == by_due[:2]
    third = api("GET", "/api/v1/cases?per_page=2&page=3").json
    assert [item["id"] for item in third["items"]] == by_due[4:]
    assert api("GET", "/api/v1/cases?per_page=2&page=4").json["items"] == []
    latest_first = api("GET", "/api/v1/cases?sort=-due").json
    assert [item["id"] for item in latest_first["items"]] == by_due[::-1]


@pytest.mark.parametrize("query,message", [
    ("status=open", "「status」の値が選択肢にありません。"),
    ("grade=D", "「grade」の値が選択肢にありません。"),
    ("program=abc", "「program」は1以上2147483647以下の整数で指定してください。"),
    ("assignee=someone", "「assignee」は1以上2147483647以下の整数で指定してください。"),
    ("page=0", "「page」は1以上10737418以下の整数で指定してください。"),
    ("batch=99999999999999999999", "「batch」は1以上2147483647以下の整数で指定してください。"),
    ("per_page=201", "「per_page」は1以上200以下の整数で指定してください。"),
    ("sort=name", "「sort」は due、-due、detected、-detected のいずれかで指定してください。"),
])
def test_bad_list_parameters_are_400(api_as, caseworker, query, message):
    response = api_as(caseworker)("GET", f"/api/v1/cases?{query}")
    assert _error(response, 400) == {"code": "invalid_request", "message": message}


def test_a_summary_is_what_the_list_shows(api_as, make_case, caseworker, conforms):
    case = make_case()
    item = conforms(api_as(caseworker)("GET", "/api/v1/cases"), "CaseList")["items"][0]
    assert item["reference"] == case.reference
    assert item["status"] == {"value": "detected", "label": "検出"}
    assert item["grade"] == {"value": "C", "label": "C 優先確認"}
    assert item["masked_number"] == "●●●●●●●●" + case.registered_number[-4:]
    assert item["due_date"] == case.due_date.isoformat()
    assert item["version"] == case.version


# --- one case and its workflow ----------------------------------------------------------------------


def test_get_a_case(api_as, make_case, caseworker, conforms):
    case = make_case()
    body = conforms(api_as(caseworker)("GET", f"/api/v1/cases/{case.id}"), "Case")
    assert body["record"]["name"] == "山田　太郎" and body["registry"]["name"] == "山田　次郎"
    assert body["record"]["birth_date"] == "1970-03-02" and body["record"]["sex"] == "male"
    assert body["field_verdicts"]["name"] == "mismatch" and body["field_verdicts"]["address"] == "match"
    assert body["grade_reason"] == case.grade_reason
    assert body["allowed_actions"] == operations.available_actions(case, caseworker)
    assert "start_verification" in body["allowed_actions"]
    assert [e["trigger"] for e in body["events"]] == ["detect"]
    assert body["events"][0]["label"] == "検出" and body["events"][0]["actor"] is None
    assert body["masked_number"].endswith(case.registered_number[-4:])


def test_start_verification_and_confirm(api_as, make_case, caseworker, conforms):
    case = make_case()
    version = case.version
    api = api_as(caseworker)
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/start_verification", {"version": version})
    body = conforms(response, "Case")
    assert body["status"] == {"value": "verifying", "label": "確認中"}
    assert body["assignee"] == {"id": caseworker.id, "display_name": caseworker.display_name}
    assert body["version"] == version + 1
    assert set(body["allowed_actions"]) >= {"confirm", "propose_dismissal"}
    assert "dismiss" not in body["allowed_actions"]  # a supervisor approves a proposed dismissal

    response = api("POST", f"/api/v1/cases/{case.id}/transitions/confirm", {
        "version": body["version"], "cause": "family_member_number", "viewed_on_portal": "yes",
        "viewed_what": "障害者手帳の情報", "viewed_on": "2023-06-01", "viewing_suspended": True,
        "identity_method": "notification_card", "identity_verified_on": "2025-01-06", "comment": "本人に電話で確認"})
    body = conforms(response, "Case")
    assert body["status"]["value"] == "confirmed"
    assert (body["cause"], body["viewed_on_portal"], body["viewed_what"], body["viewed_on"],
            body["viewing_suspended"]) == ("family_member_number", "yes", "障害者手帳の情報", "2023-06-01", True)
    assert body["identity_verification"] == {
        "method": "notification_card", "method_other": None, "verified_on": "2025-01-06",
        "verified_by": {"id": caseworker.id, "display_name": caseworker.display_name}}
    assert body["events"][-1]["trigger"] == "confirm" and body["events"][-1]["comment"] == "本人に電話で確認"
    assert body["events"][-1]["actor"]["id"] == caseworker.id
    db.session.refresh(case)
    assert case.status is CaseStatus.CONFIRMED and case.viewing_suspended


def test_dismiss_then_reopen_and_notify(api_as, make_case, caseworker, supervisor):
    api = api_as(caseworker)
    case = make_case(CaseStatus.VERIFYING)
    body = api("POST", f"/api/v1/cases/{case.id}/dismissal",
               {"version": case.version, "dismiss_reason": "other", "dismiss_reason_other": "住民票で本人と確認"}).json
    assert (body["status"]["value"], body["dismiss_reason"]) == ("verifying", None)  # until approved
    body = api_as(supervisor)("POST", f"/api/v1/cases/{case.id}/transitions/dismiss", {"version": body["version"]}).json
    assert (body["status"]["value"], body["dismiss_reason"]) == ("false", "other")
    refused = api("POST", f"/api/v1/cases/{case.id}/transitions/reopen", {"version": body["version"]})
    assert _error(refused, 422)["message"] == "再確認する理由を記入してください。"
    body = api("POST", f"/api/v1/cases/{case.id}/transitions/reopen",
               {"version": body["version"], "comment": "本人から申出"}).json
    assert body["status"]["value"] == "verifying" and body["dismiss_reason"] is None

    corrected = make_case(CaseStatus.CORRECTED)
    body = api("POST", f"/api/v1/cases/{corrected.id}/transitions/notify",
               {"version": corrected.version, "notified_on": "2026-01-05", "notification_method": "mail"}).json
    assert (body["status"]["value"], body["notified_on"], body["notification_method"]) == (
        "notified", "2026-01-05", "mail")


def test_a_stale_version_is_409_and_changes_nothing(api_as, make_case, caseworker, supervisor):
    case = make_case()
    api = api_as(caseworker)
    seen = api("GET", f"/api/v1/cases/{case.id}").json["version"]
    operations.add_comment(case, supervisor, comment="先に見ました")  # someone else, in between
    db.session.commit()
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/start_verification", {"version": seen})
    assert _error(response, 409) == {"code": "conflict", "message": STALE_MESSAGE}
    db.session.refresh(case)
    assert case.status is CaseStatus.DETECTED and case.assignee_id is None
    assert [e.trigger for e in events_of(case.id)] == ["detect", "comment"]


def test_a_refused_guard_is_422_in_japanese(api_as, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    api = api_as(caseworker)
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/confirm",
                   {"version": case.version, "viewed_on_portal": "no"})
    assert _error(response, 422) == {"code": "invalid", "message": "紐付け誤りの主な原因を選択してください。"}
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/confirm",
                   {"version": case.version, "cause": "other", "viewed_on_portal": "no"})
    assert _error(response, 422)["message"] == "原因で「その他」を選んだ場合は、内容を記入してください。"
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/notify", {"version": case.version})
    assert _error(response, 422) == {"code": "invalid_transition",
                                     "message": "この案件は現在「確認中」のため、「本人通知を記録」はできません。"}
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING and len(events_of(case.id)) == 2


@pytest.mark.parametrize("body,message", [
    ({"viewed_on": "2023/06/01"}, "閲覧日は 2026-11-23 の形式で入力してください。"),
    ({"cause": "typo"}, "選択肢にない値が送信されました。画面を再読み込みしてください。"),
    ({"cause_other": "長" * 501, "cause": "other"}, "入力が長すぎます（500文字以内）。"),
])
def test_values_are_parsed_as_the_forms_parse_them(api_as, make_case, caseworker, body, message):
    case = make_case(CaseStatus.VERIFYING)
    response = api_as(caseworker)("POST", f"/api/v1/cases/{case.id}/transitions/confirm",
                                  {"version": case.version, "viewed_on_portal": "no", **body})
    assert _error(response, 422)["message"] == message


def test_a_ministry_officer_sees_but_may_not_act(api_as, make_case, make_user, ministry):
    case = make_case()
    api = api_as(make_user(Role.MINISTRY_OFFICER, org=ministry))
    assert api("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"] == []
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/start_verification", {"version": case.version})
    assert _error(response, 403) == {
        "code": "forbidden",
        "message": "この操作は、案件を保有する紐付け実施機関の担当職員または承認者のみが行えます。"}
    # Commenting is open to whoever sees the case, in the UI too.
    body = api("POST", f"/api/v1/cases/{case.id}/comments", {"comment": "進捗を確認しました"}).json
    assert body["events"][-1]["trigger"] == "comment" and body["events"][-1]["comment"] == "進捗を確認しました"


def test_comment_needs_text(api_as, make_case, caseworker):
    case = make_case()
    response = api_as(caseworker)("POST", f"/api/v1/cases/{case.id}/comments", {"comment": "  "})
    assert _error(response, 422)["message"] == "コメントを入力してください。"


def test_propose_then_approve_by_another_supervisor(api_as, make_case, make_user, supervisor, caseworker, conforms):
    case = make_case(CaseStatus.CONFIRMED)
    right_number = valid_number(77_000_000_001)
    proposer = api_as(supervisor)
    response = proposer("POST", f"/api/v1/cases/{case.id}/correction", {
        "version": case.version, "wrong_number_removed": True, "outcome": "linked", "query_facts": 4,
        "query_matches": 1, "linked_number": right_number, "note": "4情報で照会し1人に特定"})
    body = conforms(response, "Case")
    assert body["corrections"][0]["status"] == "proposed"
    assert body["corrections"][0]["masked_linked_number"] == "●●●●●●●●" + right_number[-4:]
    assert right_number not in response.get_data(as_text=True)

    response = proposer("POST", f"/api/v1/cases/{case.id}/correction/approve", {"version": body["version"]})
    assert _error(response, 403) == {
        "code": "forbidden", "message": "訂正内容を登録した職員本人は承認できません。別の承認者が確認してください。"}
    response = api_as(caseworker)("POST", f"/api/v1/cases/{case.id}/correction/approve",
                                  {"version": body["version"]})
    assert _error(response, 403)["message"] == "訂正の承認は、案件を保有する紐付け実施機関の承認者（課長級）のみが行えます。"

    second = make_user(Role.SUPERVISOR, name="承認 二郎")
    response = api_as(second)("POST", f"/api/v1/cases/{case.id}/correction/approve",
                              {"version": body["version"], "comment": "確認しました"})
    body = conforms(response, "Case")
    assert body["status"]["value"] == "corrected"
    correction = body["corrections"][0]
    assert (correction["status"], correction["decided_by"]["id"], correction["decision_comment"]) == (
        "approved", second.id, "確認しました")
    db.session.refresh(case)
    assert case.status is CaseStatus.CORRECTED


def test_a_proposal_is_checked_and_can_be_returned(api_as, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED)
    api = api_as(caseworker)
    response = api("POST", f"/api/v1/cases/{case.id}/correction",
                   {"version": case.version, "wrong_number_removed": False, "outcome": "unlinked"})
    assert _error(response, 422)["message"] == (
        "誤って紐付けられた個人番号を業務システムから削除したことを確認してください。")
    response = api("POST", f"/api/v1/cases/{case.id}/correction", {
        "version": case.version, "wrong_number_removed": True, "outcome": "linked", "query_facts": 4,
        "query_matches": 1, "linked_number": "123456789012"})
    assert _error(response, 422)["message"] == "紐付ける個人番号に誤りがあります：個人番号の検査用数字が一致しません。"
    body = api("POST", f"/api/v1/cases/{case.id}/correction",
               {"version": case.version, "wrong_number_removed": True, "outcome": "unlinked"}).json
    assert "return_correction" not in body["allowed_actions"]

    boss = api_as(supervisor)
    assert "return_correction" in boss("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"]
    response = boss("POST", f"/api/v1/cases/{case.id}/correction/return", {"version": body["version"]})
    assert _error(response, 422)["message"] == "差戻しの理由を記入してください。"
    body = boss("POST", f"/api/v1/cases/{case.id}/correction/return",
                {"version": body["version"], "comment": "照会結果を添付してください"}).json
    assert body["corrections"][0]["status"] == CorrectionStatus.RETURNED.value
    assert body["status"]["value"] == "confirmed" and "propose_correction" in body["allowed_actions"]


def test_viewing_can_be_suspended(api_as, make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    api = api_as(caseworker)
    body = api("POST", f"/api/v1/cases/{case.id}/viewing", {"version": case.version, "suspended": True}).json
    assert body["viewing_suspended"] is True and body["events"][-1]["trigger"] == "suspend_viewing"
    response = api("POST", f"/api/v1/cases/{case.id}/viewing", {"version": body["version"], "suspended": True})
    assert _error(response, 422)["message"] == "閲覧停止は既にその状態です。"


# --- the shape of requests -------------------------------------------------------------------------


def test_bodies_of_the_wrong_shape_are_400(api_as, make_case, caseworker):
    case = make_case()
    api = api_as(caseworker)
    path = f"/api/v1/cases/{case.id}/transitions/start_verification"
    cases = [
        ({"version": "1"}, "「version」は整数で指定してください。"),
        ({"version": True}, "「version」は整数で指定してください。"),
        ({}, "「version」を指定してください。"),
        ({"version": case.version, "viewing_suspended": "yes"}, "「viewing_suspended」は真偽値（true または false）で指定してください。"),
        ({"version": case.version, "casue": "other"}, "不明な項目があります：casue"),
        ([case.version], "リクエストの本文は JSON のオブジェクト（{…}）にしてください。"),
    ]
    for body, message in cases:
        assert _error(api("POST", path, body), 400) == {"code": "invalid_request", "message": message}, body
    response = api("POST", path, data="{not json", headers={"Content-Type": "application/json"})
    assert _error(response, 400)["message"] == "リクエストの本文を JSON として読み取れませんでした。"
    response = api("POST", path, data="version=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert _error(response, 415)["code"] == "unsupported_media_type"
    response = api("POST", path, data=json.dumps({"comment": "長" * 70_000}),
                   headers={"Content-Type": "application/json"})
    assert _error(response, 413)["code"] == "payload_too_large"
    db.session.refresh(case)
    assert case.status is CaseStatus.DETECTED


def test_unknown_routes_and_methods_answer_json(api_as, make_case, caseworker):
    case = make_case()
    api = api_as(caseworker)
    assert _error(api("GET", "/api/v1/nothing-here"), 404)["code"] == "not_found"
    assert _error(api("DELETE", f"/api/v1/cases/{case.id}"), 405)["code"] == "method_not_allowed"
    response = api("POST", f"/api/v1/cases/{case.id}/transitions/explode", {"version": case.version})
    assert _error(response, 404) == {"code": "not_found", "message": "指定された状態遷移はありません。"}
    # The pages keep their HTML error pages.
    assert api("GET", "/no-such-page").mimetype == "text/html"


# --- the same answers as the UI ------------------------------------------------------------------------


def _ui_message(response) -> str:
    return response.get_data(as_text=True)


def test_ui_and_api_refuse_a_missing_cause_alike(client, api_as, make_case, caseworker):
    through_ui, through_api = make_case(CaseStatus.VERIFYING), make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    ui = post_form(client, f"/cases/{through_ui.id}/transitions/confirm",
                   {"version": through_ui.version, "viewed_on_portal": "no"})
    api = api_as(caseworker)("POST", f"/api/v1/cases/{through_api.id}/transitions/confirm",
                             {"version": through_api.version, "viewed_on_portal": "no"})
    assert ui.status_code == api.status_code == 422
    assert api.json["error"]["message"] in _ui_message(ui)


def test_ui_and_api_refuse_the_proposer_alike(client, api_as, make_case, supervisor):
    through_ui, through_api = make_case(CaseStatus.CONFIRMED), make_case(CaseStatus.CONFIRMED)
    for case in (through_ui, through_api):
        operations.propose_correction(case, supervisor, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
    db.session.commit()
    login(client, supervisor)
    ui = post_form(client, f"/cases/{through_ui.id}/transitions/correct", {"version": through_ui.version})
    api = api_as(supervisor)("POST", f"/api/v1/cases/{through_api.id}/correction/approve",
                             {"version": through_api.version})
    assert ui.status_code == api.status_code == 403
    assert api.json["error"]["message"] in _ui_message(ui)


def test_ui_and_api_agree_on_what_may_be_done(client, api_as, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    for user in (caseworker, supervisor):
        allowed = api_as(user)("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"]
        assert allowed == operations.available_actions(case, user)
    assert "correct" in api_as(supervisor)("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"]


# --- My Number never leaves in full ---------------------------------------------------------------------


def test_responses_never_carry_a_full_my_number(api_as, make_case, caseworker, supervisor, make_user):
    case = make_case(CaseStatus.CONFIRMED)
    right_number = valid_number(88_000_000_002)
    api = api_as(caseworker)
    texts = []
    body = api("POST", f"/api/v1/cases/{case.id}/correction", {
        "version": case.version, "wrong_number_removed": True, "outcome": "linked", "query_facts": 4,
        "query_matches": 1, "linked_number": right_number, "note": f"正しい番号 {right_number[:4]}-{right_number[4:8]}-{right_number[8:]} で照会"}).json
    response = api("POST", f"/api/v1/cases/{case.id}/comments",
                   {"comment": f"誤って登録されていた {case.registered_number} を削除"})
    texts.append(response.get_data(as_text=True))
    assert response.json["events"][-1]["comment"] == f"誤って登録されていた ●●●●●●●●{case.registered_number[-4:]} を削除"
    second = make_user(Role.SUPERVISOR)
    texts.append(api_as(second)("POST", f"/api/v1/cases/{case.id}/correction/approve",
                                {"version": body["version"] + 1}).get_data(as_text=True))
    texts.append(api("GET", f"/api/v1/cases/{case.id}").get_data(as_text=True))
    texts.append(api("GET", "/api/v1/cases").get_data(as_text=True))
    # An error message never echoes one either, even when the client sent it.
    texts.append(api("POST", f"/api/v1/cases/{case.id}/comments",
                     {"comment": "x", right_number: "y"}).get_data(as_text=True))
    for text in texts:
        for number in (case.registered_number, right_number):
            assert number not in text
            assert f"{number[:4]}-{number[4:8]}-{number[8:]}" not in text
    assert case.registered_number[-4:] in texts[2]


def test_a_database_that_cannot_be_opened_is_a_json_503(tmp_path):
    """A database that cannot be opened: the API still answers its error body, with nothing of the cause."""
    from caseflow import create_app

    broken = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'caseflow.sqlite3'}",
                         "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test-secret",
                         "PROPAGATE_EXCEPTIONS": False})
    try:
        with broken.test_client() as client:
            response = client.get("/api/v1/cases", headers={"Authorization": "Bearer some-token-value"})
    finally:
        db.state(broken).engine.dispose()
    assert _error(response, 503) == {
        "code": "unavailable",
        "message": "ただいま利用できません（データベースまたは処理待ちの列に接続できません）。しばらくしてからもう一度お試しください。"}
    assert response.headers["Retry-After"] == "30"
