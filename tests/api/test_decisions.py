"""Decisions through the API: a dismissal proposed, returned, withdrawn and approved; a correction withdrawn;
the viewed status and the cause amended; a confirmation reopened; as the pages do."""

from __future__ import annotations

from caseflow.cases.vocabulary import CaseStatus, FieldVerdict
from caseflow.extensions import db
from caseflow.users.models import Role

MISMATCH = FieldVerdict.MISMATCH.value


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json["error"]


def test_a_dismissal_is_proposed_returned_withdrawn_and_approved(api_as, make_case, make_user, caseworker, supervisor,
                                                                 conforms):
    case = make_case(CaseStatus.VERIFYING)  # name and birth date differ: another person, perhaps
    worker, boss = api_as(caseworker), api_as(supervisor)
    response = worker("POST", f"/api/v1/cases/{case.id}/dismissal",
                      {"version": case.version, "dismiss_reason": "notation_difference"})
    assert _error(response, 422) == {"code": "invalid", "message": (
        "照合結果で氏名が「不一致」のため、「表記の違い」とは判断できません。別人の番号の可能性があります。"
        "理由を見直すか、「その他」を選んで確認した内容を記入してください。")}

    body = conforms(worker("POST", f"/api/v1/cases/{case.id}/dismissal", {
        "version": case.version, "dismiss_reason": "other", "dismiss_reason_other": "世帯員の情報を誤入力",
        "comment": "住民票の写しで確認"}), "Case")
    assert body["status"]["value"] == "verifying"
    assert body["dismissals"][0] | {"proposed_at": None} == {
        "id": body["dismissals"][0]["id"], "status": "proposed", "reason": "other", "reason_other": "世帯員の情報を誤入力",
        "note": "住民票の写しで確認", "proposed_by": {"id": caseworker.id, "display_name": caseworker.display_name},
        "proposed_at": None, "decided_by": None, "decided_at": None, "decision_comment": None}
    assert "withdraw_dismissal" in body["allowed_actions"] and "dismiss" not in body["allowed_actions"]
    assert body["events"][-1]["trigger"] == "propose_dismissal"
    assert {"dismiss", "return_dismissal"} <= set(boss("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"])

    response = worker("POST", f"/api/v1/cases/{case.id}/dismissal/approve", {"version": body["version"]})
    assert _error(response, 403)["message"] == (
        "誤りなしの判断の承認は、案件を保有する紐付け実施機関の承認者（課長級）のみが行えます。")
    body = boss("POST", f"/api/v1/cases/{case.id}/dismissal/return",
                {"version": body["version"], "comment": "誤入力の経緯を記入してください"}).json
    assert body["dismissals"][0]["status"] == "returned" and body["status"]["value"] == "verifying"

    body = worker("POST", f"/api/v1/cases/{case.id}/dismissal", {
        "version": body["version"], "dismiss_reason": "other", "dismiss_reason_other": "世帯員の情報を誤入力"}).json
    response = boss("POST", f"/api/v1/cases/{case.id}/dismissal/withdraw", {"version": body["version"], "comment": "x"})
    assert _error(response, 403)["message"] == (
        "誤りなしの判断を取り下げられるのは、登録した職員本人のみです。承認者は差し戻すことができます。")
    response = worker("POST", f"/api/v1/cases/{case.id}/dismissal/withdraw", {"version": body["version"]})
    assert _error(response, 422)["message"] == "取り下げる理由を記入してください。"
    body = worker("POST", f"/api/v1/cases/{case.id}/dismissal/withdraw",
                  {"version": body["version"], "comment": "申請書を見直すため"}).json
    assert body["dismissals"][1]["status"] == "withdrawn"
    assert body["dismissals"][1]["decided_by"]["id"] == caseworker.id

    body = worker("POST", f"/api/v1/cases/{case.id}/dismissal", {
        "version": body["version"], "dismiss_reason": "other", "dismiss_reason_other": "申請書の世帯員欄から誤入力"}).json
    body = conforms(boss("POST", f"/api/v1/cases/{case.id}/dismissal/approve",
                         {"version": body["version"], "comment": "確認しました"}), "Case")
    assert (body["status"]["value"], body["dismiss_reason"], body["dismiss_reason_other"]) == (
        "false", "other", "申請書の世帯員欄から誤入力")
    assert [d["status"] for d in body["dismissals"]] == ["returned", "withdrawn", "approved"]
    assert [e["trigger"] for e in body["events"]][-2:] == ["propose_dismissal", "dismiss"]
    assert body["events"][-1]["label"] == "誤りなしの判断を承認"


def test_a_correction_is_withdrawn_by_its_proposer(api_as, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    response = api_as(supervisor)("POST", f"/api/v1/cases/{case.id}/correction/withdraw",
                                  {"version": case.version, "comment": "x"})
    assert _error(response, 403)["code"] == "forbidden"
    body = api_as(caseworker)("POST", f"/api/v1/cases/{case.id}/correction/withdraw",
                              {"version": case.version, "comment": "照会をやり直します"}).json
    assert body["corrections"][0]["status"] == "withdrawn"
    assert "propose_correction" in body["allowed_actions"]


def test_viewed_and_cause_are_amended_after_the_confirmation(api_as, make_case, caseworker, conforms):
    case = make_case(CaseStatus.CORRECTED)
    api = api_as(caseworker)
    response = api("POST", f"/api/v1/cases/{case.id}/viewed", {"version": case.version, "viewed_on_portal": "yes"})
    assert response.status_code == 400  # the reason (comment) is required by the body
    response = api("POST", f"/api/v1/cases/{case.id}/viewed",
                   {"version": case.version, "viewed_on_portal": "yes", "comment": "ログで確認"})
    assert _error(response, 422)["message"] == "閲覧ありの場合は、閲覧された情報を記入してください。"
    body = conforms(api("POST", f"/api/v1/cases/{case.id}/viewed", {
        "version": case.version, "viewed_on_portal": "yes", "viewed_what": "医療保険の資格情報",
        "viewed_on": "2024-05-01", "comment": "アクセスログで閲覧を確認"}), "Case")
    assert (body["viewed_on_portal"], body["viewed_what"], body["viewed_on"], body["status"]["value"]) == (
        "yes", "医療保険の資格情報", "2024-05-01", "corrected")
    event = body["events"][-1]
    assert (event["trigger"], event["label"], event["details"]["previous"]["viewed_on_portal"]) == (
        "amend_viewed", "閲覧の有無を修正", "no")
    body = api("POST", f"/api/v1/cases/{case.id}/cause", {
        "version": body["version"], "cause": "other", "cause_other": "窓口での聞き取り誤り", "comment": "記録を確認"}).json
    assert (body["cause"], body["cause_other"], body["events"][-1]["trigger"]) == (
        "other", "窓口での聞き取り誤り", "amend_cause")
    verifying = make_case(CaseStatus.VERIFYING)
    response = api("POST", f"/api/v1/cases/{verifying.id}/cause",
                   {"version": verifying.version, "cause": "other", "cause_other": "x", "comment": "y"})
    assert "紐付け誤りと確定した後に修正できます" in _error(response, 422)["message"]


def test_a_supervisor_reopens_a_confirmation(api_as, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED)
    response = api_as(caseworker)("POST", f"/api/v1/cases/{case.id}/transitions/reopen_confirmation",
                                  {"version": case.version, "comment": "取り違え"})
    assert _error(response, 403)["message"] == (
        "誤り確定の取消しは、案件を保有する紐付け実施機関の承認者（課長級）のみが行えます。")
    boss = api_as(supervisor)
    assert "reopen_confirmation" in boss("GET", f"/api/v1/cases/{case.id}").json["allowed_actions"]
    response = boss("POST", f"/api/v1/cases/{case.id}/transitions/reopen_confirmation", {"version": case.version})
    assert _error(response, 422)["message"] == "誤り確定を取り消す理由を記入してください。"
    body = boss("POST", f"/api/v1/cases/{case.id}/transitions/reopen_confirmation",
                {"version": case.version, "comment": "本人確認の書類を取り違えていた"}).json
    assert (body["status"]["value"], body["cause"], body["identity_verification"]) == ("verifying", None, None)
    assert body["events"][-1]["details"]["previous"]["identity_method"] == "resident_record"
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING


def test_the_one_supervisor_is_never_stuck(api_as, make_case, make_org, make_user):
    org = make_org(name="一人承認町")
    boss_user, worker_user = make_user(Role.SUPERVISOR, org=org), make_user(Role.CASEWORKER, org=org)
    case = make_case(CaseStatus.CONFIRMED, agency_=org, staff=(worker_user, boss_user))
    boss, worker = api_as(boss_user), api_as(worker_user)
    body = boss("POST", f"/api/v1/cases/{case.id}/correction",
                {"version": case.version, "wrong_number_removed": True, "outcome": "unlinked"}).json
    assert "correct" not in body["allowed_actions"] and "withdraw_correction" in body["allowed_actions"]
    body = boss("POST", f"/api/v1/cases/{case.id}/correction/withdraw",
                {"version": body["version"], "comment": "担当職員が登録し直す"}).json
    body = worker("POST", f"/api/v1/cases/{case.id}/correction",
                  {"version": body["version"], "wrong_number_removed": True, "outcome": "unlinked"}).json
    body = boss("POST", f"/api/v1/cases/{case.id}/correction/approve", {"version": body["version"]}).json
    assert body["status"]["value"] == "corrected"
