"""The campaign view: per program and agency, the survey's obligation, its deadline and progress, and
the inspection's figures — on the page, in the exports and in the API, within the viewer's rights."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.core.json_errors import API_PREFIX
from caseflow.extensions import db
from caseflow.surveys import operations
from caseflow.surveys.models import InspectionObligation
from tests.api.conftest import bearer
from tests.conftest import drive, login
from tests.reports.conftest import add_batch
from tests.surveys.conftest import KNOWN_CAUSE, SAFE, SHEET


def _world(w):
    """青森市 must inspect (the known cause) and is late, with a batch and a confirmed error;
    弘前市 need not (safe answers) and inspected nothing."""
    operations.save_answers(db.session, w.respondent(w.aomori), None, sheet=SHEET, answers=KNOWN_CAUSE, submit=True)
    operations.save_answers(db.session, w.respondent(w.hirosaki), None, sheet=SHEET, answers=SAFE, submit=True)
    obligation = db.session.scalars(sa.select(InspectionObligation).where(
        InspectionObligation.organization_id == w.aomori.id)).one()
    obligation.deadline = dt.date.today() - dt.timedelta(days=1)  # as if the deadline had passed
    batch = add_batch(w.aomori, w.program, 1_200, 1_150, 40, 10, sha="9")
    batch.obligation_id = obligation.id
    case = Case(program_id=w.program.id, agency_id=w.aomori.id, source_record_id="K0001", batch_id=batch.id,
                grade=Grade.C, field_verdicts={"birth_date": "mismatch"})
    db.session.add(case)
    db.session.flush()
    drive(case, CaseStatus.CONFIRMED, w.users["aomori"], w.users["aomori_boss"])
    db.session.flush()
    return obligation


def test_the_ministry_sees_the_obligated_agency_late_with_its_figures(survey_world, client):
    w = survey_world
    _world(w)
    login(client, w.users["ministry"])
    page = client.get("/reports/campaign").get_data(as_text=True)
    assert "期限を過ぎて終了の報告がない機関：1件" in page
    assert f'data-program="{w.program.id}" class="row--overdue"' in page
    # the program's line: 1 agency must inspect, 0 reported, 1 late, 1 inspected, 1,200 records …
    line = page.split(f'data-program="{w.program.id}"')[1].split("</tr>")[0]
    assert re.findall(r'class="num">(?:<span[^>]*>)?([0-9,]+)', line)[:6] == ["1", "0", "1", "1", "1,200", "1"]
    page = client.get(f"/reports/campaign?program={w.program.id}").get_data(as_text=True)
    assert f'data-agency="{w.aomori.code}" class="row--overdue"' in page
    assert w.hirosaki.name not in page  # 点検不要, and nothing inspected
    assert client.get("/reports/campaign?program=999999").status_code == 404
    rows = list(csv.reader(io.StringIO(client.get("/reports/campaign.csv").get_data().decode("utf-8-sig"))))
    header, [aomori] = rows[0], rows[1:]
    row = dict(zip(header, aomori, strict=True))
    assert row["紐付け実施機関"] == "青森市" and row["点検義務"] == "要" and row["状況"] == "本人確認中"
    assert (row["点検対象件数"], row["未完了の案件"], row["誤り確定"], row["期限超過"]) == ("1200", "1", "1", "期限超過")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/reports/campaign.xlsx").get_data())).active
    assert sheet.cell(4, 4).value == "紐付け実施機関" and sheet.cell(5, 4).value == "青森市"
    assert sheet.cell(5, 8).value == 1200  # a number, as in the published tables


def test_another_ministry_and_the_agency_itself_see_their_own_part(survey_world, client):
    w = survey_world
    _world(w)
    login(client, w.users["other_ministry"])
    page = client.get("/reports/campaign").get_data(as_text=True)
    assert w.program.name not in page and "まだありません" in page
    assert client.get(f"/reports/campaign?program={w.program.id}").status_code == 404
    client = client.application.test_client()
    login(client, w.users["hirosaki"])
    assert w.aomori.name not in client.get("/reports/campaign").get_data(as_text=True)


def test_the_api_gives_the_same_rows_and_tables(survey_world, client, make_token):
    w = survey_world
    _world(w)
    headers = bearer(make_token(w.users["digital"]))
    campaign = client.get(f"{API_PREFIX}/reports/campaign", headers=headers).get_json()
    [row] = [r for r in campaign["rows"] if r["agency_code"] == w.aomori.code]
    assert (row["obligation"], row["overdue"], row["records"], row["confirmed"], row["status"]) == \
        ("required", True, 1200, 1, "本人確認中")
    table = client.get(f"{API_PREFIX}/reports/programs", headers=headers).get_json()
    [line] = [x for x in table["lines"] if x["program_id"] == w.program.id]
    assert (line["records"], line["errors"], line["rate"], line["errors_separate"]) == (1200, 1, "0.083", 0)
    assert table["source"] == "live"
    agencies = client.get(f"{API_PREFIX}/reports/programs/{w.program.id}/agencies", headers=headers).get_json()
    assert [x["label"] for x in agencies["lines"]] == ["青森市"] and agencies["total"]["errors"] == 1
    published = client.get(f"{API_PREFIX}/reports/programs?dataset=2023", headers=headers).get_json()
    assert published["source"] == "published"
    other = bearer(make_token(w.users["other_ministry"]))
    assert client.get(f"{API_PREFIX}/reports/programs/{w.program.id}/agencies", headers=other).status_code == 404
    assert client.get(f"{API_PREFIX}/reports/campaign", headers=other).get_json()["rows"] == []
