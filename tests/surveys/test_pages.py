"""The survey pages as their users meet them: answering, gathering, the list, reminders, obligations."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.inspections.models import InspectionBatch
from caseflow.surveys import operations, workbook
from caseflow.surveys.models import InspectionObligation, ResponseStatus
from tests.conftest import login, post_form
from tests.surveys.conftest import KNOWN_CAUSE, SAFE, SHEET


def _form(answers: dict, intent: str, sheet: dict = SHEET) -> dict:
    data = {f"sheet-{key}": value for key, value in sheet.items()}
    for key, value in answers.items():
        data[f"answer-{key}"] = list(value) if key in ("6", "7-4", "13") else value
    return data | {"intent": intent}


def test_a_municipality_submits_on_the_web_form(survey_world, client):
    w = survey_world
    respondent = w.respondent(w.aomori)
    login(client, w.users["aomori"])
    path = f"/surveys/answers/{respondent.id}"
    page = client.get(path).get_data(as_text=True)
    assert "迷う場合は、より慎重な選択肢を選択" in page and "02青森県青森市" in page
    response = post_form(client, path, _form(KNOWN_CAUSE, "submit"), token_from=path)
    assert response.status_code == 302
    assert respondent.status is ResponseStatus.SUBMITTED and respondent.answers["6"] == "①②"
    assert "提出済" in client.get(path).get_data(as_text=True)


def test_a_refused_form_comes_back_with_what_was_typed_and_the_item(survey_world, client):
    w = survey_world
    respondent = w.respondent(w.aomori)
    login(client, w.users["aomori"])
    path = f"/surveys/answers/{respondent.id}"
    response = post_form(client, path, _form(SAFE | {"3": "②"}, "submit"), token_from=path)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Q4：Q3で②を選んだ場合は回答しません" in page and "介護保険課長" in page
    assert respondent.status is ResponseStatus.NOT_STARTED


def test_the_page_script_asks_which_questions_are_reached(survey_world, client):
    w = survey_world
    respondent = w.respondent(w.aomori)
    login(client, w.users["aomori"])
    path = f"/surveys/answers/{respondent.id}"
    response = post_form(client, f"{path}/reached", {"answer-3": "②"}, token_from=path)
    reached = response.get_json()["reached"]
    assert "6" in reached and "4" not in reached and "5" not in reached


def test_other_organisations_cannot_open_or_answer(survey_world, client):
    w = survey_world
    respondent = w.respondent(w.aomori)
    login(client, w.users["hirosaki"])
    path = f"/surveys/answers/{respondent.id}"
    assert client.get(path).status_code == 404
    response = post_form(client, path, _form(SAFE, "submit"), token_from="/surveys/")
    assert response.status_code == 404 and respondent.status is ResponseStatus.NOT_STARTED


def test_the_prefecture_sees_its_municipalities_and_downloads_the_list(survey_world, client):
    w = survey_world
    for org, answers in ((w.aomori, KNOWN_CAUSE), (w.hirosaki, SAFE)):
        operations.save_answers(db.session, w.respondent(org), None, sheet=SHEET, answers=answers, submit=True)
    login(client, w.users["prefecture"])
    page = client.get(f"/surveys/{w.survey.id}").get_data(as_text=True)
    assert "青森市" in page and "弘前市" in page and "札幌市" not in page and "空知中部" not in page
    response = client.get(f"/surveys/{w.survey.id}/list.xlsx")
    assert response.status_code == 200
    assert "%E3%80%90%E9%9D%92%E6%A3%AE%E7%9C%8C%E3%80%91" in response.headers["Content-Disposition"]  # 【青森県】
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(workbook.LISTING_HEADERS)
    q = operations.questionnaire_of(w.respondent(w.aomori))
    expected = [workbook.listing_row(q, operations.sheet_of(w.respondent(org)), dict(w.respondent(org).answers))
                for org in (w.aomori, w.hirosaki)]
    assert [[v or "" for v in row] for row in rows[1:]] == expected


def test_the_ministry_sees_every_respondent_and_another_ministry_none(survey_world, client):
    w = survey_world
    login(client, w.users["ministry"])
    page = client.get(f"/surveys/{w.survey.id}").get_data(as_text=True)
    assert all(name in page for name in ("青森市", "弘前市", "札幌市", "空知中部広域連合", "歌志内市"))
    post_form(client, "/logout", {}, token_from="/surveys/")
    login(client, w.users["other_ministry"])
    assert client.get(f"/surveys/{w.survey.id}").status_code == 404


def test_reminding_from_the_gathering_page_fills_the_inboxes(survey_world, client):
    w = survey_world
    login(client, w.users["prefecture"])
    response = post_form(client, f"/surveys/{w.survey.id}/remind", {}, token_from=f"/surveys/{w.survey.id}")
    assert response.status_code == 302
    post_form(client, "/logout", {}, token_from="/surveys/")
    login(client, w.users["aomori"])
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "調査の回答の督促" in inbox and w.survey.title in inbox


def test_an_inspection_answers_the_obligation_and_the_supervisor_signs_off(survey_world, client, tmp_path):
    from caseflow.inspections.operations import start_inspection

    w = survey_world
    operations.save_answers(db.session, w.respondent(w.aomori), None, sheet=SHEET, answers=KNOWN_CAUSE, submit=True)
    obligation = db.session.scalars(sa.select(InspectionObligation).where(
        InspectionObligation.organization_id == w.aomori.id)).one()
    batch = start_inspection(db.session, w.users["aomori"], agency=w.aomori, program=w.program,
                             records=("r.csv", b"x"), registry=("g.csv", b"y"), root=tmp_path)
    assert batch.obligation_id == obligation.id
    login(client, w.users["aomori_boss"])
    page = client.get(f"/surveys/obligations/{obligation.id}").get_data(as_text=True)
    assert "点検中" in page and f"点検 {batch.id}" in page
    response = post_form(client, f"/surveys/obligations/{obligation.id}/sign-off", {},
                         token_from=f"/surveys/obligations/{obligation.id}")
    assert response.status_code == 302 and obligation.signed_off_at is not None
    assert "完了" in client.get("/surveys/obligations").get_data(as_text=True)
    assert db.session.get(InspectionBatch, batch.id).obligation_id == obligation.id


def test_the_ministry_changes_a_deadline_with_a_reason(survey_world, client):
    w = survey_world
    operations.save_answers(db.session, w.respondent(w.aomori), None, sheet=SHEET, answers=KNOWN_CAUSE, submit=True)
    obligation = db.session.scalars(sa.select(InspectionObligation)).one()
    login(client, w.users["ministry"])
    path = f"/surveys/obligations/{obligation.id}"
    post_form(client, f"{path}/deadline", {"deadline": "2099-12-28", "reason": ""}, token_from=path)
    assert obligation.deadline_reason is None
    post_form(client, f"{path}/deadline", {"deadline": "2099-12-28", "reason": "システム改修のため"}, token_from=path)
    assert obligation.deadline.isoformat() == "2099-12-28" and obligation.deadline_reason == "システム改修のため"
    csv_text = client.get("/surveys/obligations?format=csv").get_data(as_text=True)
    assert "青森市" in csv_text and "2099-12-28" in csv_text
