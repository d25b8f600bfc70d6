"""Intake through the JSON API: POST /cases, the duplicate check as 409, the registry's facts later."""

from __future__ import annotations

from caseflow.cases.vocabulary import CaseStatus
from caseflow.users.models import Role
from tests.intake.conftest import FORM, NUMBER, RECORD_ONLY

BODY = {key: value for key, value in FORM.items()}


def test_a_case_opened_through_the_api(api_as, caseworker, program, conforms):
    call = api_as(caseworker)
    response = call("POST", "/api/v1/cases", {**BODY, "program": program.id, "source": "detection_model"})
    assert response.status_code == 201, response.json
    body = conforms(response, "Case")
    assert body["source"] == {"value": "detection_model", "label": "検出モデル"}
    assert body["opened_by"]["id"] == caseworker.id and body["grade"]["value"] == "C"
    assert body["masked_number"].endswith(NUMBER[-4:]) and NUMBER not in response.get_data(as_text=True)
    assert [e["trigger"] for e in body["events"]] == ["open_by_hand"]
    listed = call("GET", "/api/v1/cases?source=detection_model").json
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert call("GET", "/api/v1/cases?source=resident_report").json["total"] == 0


def test_a_possible_duplicate_is_409_until_confirmed(api_as, caseworker, program, make_case):
    earlier = make_case(CaseStatus.DETECTED, registered_number=NUMBER)
    call = api_as(caseworker)
    refused = call("POST", "/api/v1/cases", {**BODY, "program": program.id})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "possible_duplicate" and earlier.reference in refused.json["error"]["message"]
    accepted = call("POST", "/api/v1/cases", {**BODY, "program": program.id, "confirm_duplicate": True})
    assert accepted.status_code == 201
    taken = call("POST", "/api/v1/cases", {**BODY, "program": program.id, "confirm_duplicate": True})
    assert taken.status_code == 409 and taken.json["error"]["code"] == "record_id_taken"


def test_refusals_are_japanese_and_never_echo_the_number(api_as, caseworker, program, prefecture_program):
    call = api_as(caseworker)
    wrong = NUMBER[:11] + str((int(NUMBER[11]) + 1) % 10)
    refused = call("POST", "/api/v1/cases", {**BODY, "program": program.id, "registered_number": wrong,
                                              "record_birth_date": "2999-01-01"})
    assert refused.status_code == 422
    message = refused.json["error"]["message"]
    assert "検査用数字が一致しません" in message and "未来の日付" in message and wrong[-4:] not in message
    unlinked = call("POST", "/api/v1/cases", {**BODY, "program": prefecture_program.id})
    assert unlinked.status_code == 422 and "紐付け実施機関ではない" in unlinked.json["error"]["message"]
    assert call("POST", "/api/v1/cases", {**BODY, "program": 0}).status_code == 422
    assert call("POST", "/api/v1/cases", {**BODY, "program": program.id, "extra": 1}).status_code == 400


def test_the_registry_facts_entered_through_the_api(api_as, caseworker, make_user, program):
    call = api_as(caseworker)
    opened = call("POST", "/api/v1/cases", {**RECORD_ONLY, "program": program.id}).json
    assert opened["grade"]["value"] == "B" and set(opened["field_verdicts"].values()) == {"missing"}
    path = f"/api/v1/cases/{opened['id']}/registry"
    entered = call("POST", path, {"version": opened["version"], "registry_name": "青森　太郎",
                                  "registry_birth_date": "1970-03-02", "registry_address": "青森県青森市新町1-1-1"})
    assert entered.status_code == 200, entered.json
    assert entered.json["field_verdicts"]["birth_date"] == "match"
    assert entered.json["events"][-1]["label"] == "住民基本台帳の情報を入力"
    stale = call("POST", path, {"version": opened["version"], "registry_name": "青森　次郎"})
    assert stale.status_code == 409
    officer = api_as(make_user(Role.MINISTRY_OFFICER, org=program.ministry))
    assert officer("POST", path, {"version": entered.json["version"], "registry_name": "x"}).status_code == 403
    assert officer("POST", "/api/v1/cases", {**BODY, "program": program.id}).status_code == 403
