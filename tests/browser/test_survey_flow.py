"""A municipality answers the practice survey on the web form: choosing Q3 ② hides Q4 and Q5, as the
seed's branching says (Q3 ② → Q6); it submits. Its prefecture sees the answer 提出済 and downloads
the gathered list, whose row is the municipality's 「一覧用」 row."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password
from caseflow.surveys.models import SurveyRespondent
from caseflow.surveys.operations import questionnaire_of, sheet_of
from caseflow.surveys.workbook import LISTING_HEADERS, listing_row
from caseflow.users.models import Role
from caseflow.users.operations import create_user

pytestmark = pytest.mark.browser

KUROISHI = "022047"  # 黒石市 (青森県), no answer in the demo


def log_in(page, url: str, login: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()


def choose(page, key: str, mark: str) -> None:
    page.locator(f"fieldset[data-item='{key}'] input[value='{mark}']").check()


def test_a_municipality_answers_on_the_web_and_its_prefecture_downloads_the_list(
        committed_app, live_server, page, tmp_path):
    with committed_app.app_context():
        kuroishi = db.session.scalars(sa.select(Organization).where(Organization.code == KUROISHI)).one()
        create_user(db.session, login="kuroishi-caseworker", display_name="黒石 太郎", organization=kuroishi,
                    roles={Role.CASEWORKER}, password=demo_password())
        db.session.commit()

    log_in(page, live_server, "kuroishi-caseworker")
    page.goto(live_server + "/surveys/")
    page.locator("#surveys tbody tr").first.get_by_role("link", name="未回答").click()
    expect(page.get_by_test_id("response-status")).to_have_text("未回答")
    expect(page.locator("[data-sheet='organization_name']")).to_have_text("02青森県黒石市")
    # Q1-2 is for prefectures, Q13 for unions and their members: a city sees neither.
    expect(page.locator("fieldset[data-item='1-2']")).to_be_hidden()
    expect(page.locator("fieldset[data-item='13']")).to_be_hidden()
    # The rule 「迷う場合は、より慎重な選択肢を選択」 stands beside every question.
    first = page.locator("fieldset[data-item='1-1']")
    expect(first.locator(".survey-caution")).to_contain_text("迷う場合は")

    for field, value in (("担当部署名", "介護保険課"), ("回答責任者役職", "介護保険課長"), ("回答責任者氏名", "黒石 一郎"),
                         ("連絡先氏名", "黒石 太郎"), ("電話番号", "0172-52-2111"), ("メールアドレス", "kaigo@example.jp")):
        page.get_by_label(field).fill(value)
    choose(page, "1-1", "②")
    choose(page, "2", "①")
    choose(page, "3", "①")
    expect(page.locator("fieldset[data-item='4']")).to_be_visible()
    expect(page.locator("fieldset[data-item='5']")).to_be_visible()
    choose(page, "3", "②")  # Q3 ② → Q6
    expect(page.locator("fieldset[data-item='4']")).to_be_hidden()
    expect(page.locator("fieldset[data-item='5']")).to_be_hidden()
    choose(page, "6", "①")
    choose(page, "7-1", "①")
    choose(page, "7-2", "②")  # Q7-2 ② → Q9
    expect(page.locator("fieldset[data-item='7-3']")).to_be_hidden()
    expect(page.locator("fieldset[data-item='8-1']")).to_be_hidden()
    choose(page, "9", "①")
    choose(page, "10", "①")
    choose(page, "11", "①")
    choose(page, "12", "②")
    page.screenshot(path=tmp_path / "1-survey-form.png", full_page=True)
    page.get_by_role("button", name="提出する", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("回答を提出しました。")
    expect(page.get_by_test_id("response-status")).to_contain_text("提出済")
    page.screenshot(path=tmp_path / "2-survey-submitted.png", full_page=True)
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, live_server, "pref-caseworker")
    page.goto(live_server + "/surveys/")
    page.get_by_role("link", name="回答状況を見る").click()
    row = page.locator(f"#respondents tr[data-organization='{KUROISHI}']")
    expect(row.locator("[data-status]")).to_have_text("提出済")
    expect(row).to_contain_text("画面")
    page.screenshot(path=tmp_path / "3-gathering.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="提出済の回答を一覧（Excel）でダウンロード").click()
    assert download.value.suggested_filename == "【青森県】2307 マイナンバー調査回答.xlsx"

    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert tuple(rows[0][:len(LISTING_HEADERS)]) == LISTING_HEADERS
    by_name = {r[LISTING_HEADERS.index("組織名")]: r for r in rows[1:]}
    assert set(by_name) >= {"02青森県黒石市", "02青森県青森市", "02青森県弘前市"}
    assert "02青森県八戸市" not in by_name  # a draft is not gathered
    with committed_app.app_context():
        respondent = db.session.scalars(sa.select(SurveyRespondent).join(SurveyRespondent.organization)
                                        .where(Organization.code == KUROISHI)).one()
        expected = listing_row(questionnaire_of(respondent), sheet_of(respondent), dict(respondent.answers))
    assert [("" if v is None else str(v)) for v in by_name["02青森県黒石市"]] == [str(v) for v in expected]
    assert expected[LISTING_HEADERS.index("3")] == "②" and expected[LISTING_HEADERS.index("4")] == ""
