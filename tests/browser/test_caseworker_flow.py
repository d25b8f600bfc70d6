"""A caseworker logs in, opens a case, starts verification, confirms it, and sees the timeline."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password

pytestmark = pytest.mark.browser


def test_caseworker_confirms_a_case_in_the_browser(live_server, page, committed_app):
    page.goto(live_server + "/")
    expect(page).to_have_title(re.compile("ログイン"))
    page.get_by_label("ログインID").fill("aomori-caseworker")
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="自分の担当（未完了）")).to_be_visible()

    page.get_by_role("link", name="案件一覧").click()
    page.get_by_label("状態").select_option("detected")
    page.get_by_role("button", name="絞り込む").click()
    first_case = page.locator("table tbody tr").first.get_by_role("link")
    reference = first_case.inner_text()
    first_case.click()
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    # The number is masked: only the last four digits show.
    expect(page.locator("#registered-number")).to_have_text(re.compile(r"^●{8}\d{4}$"))

    page.get_by_role("button", name="確認を開始").click()
    expect(page.get_by_role("status")).to_contain_text("「確認を開始」を記録しました")

    confirm = page.locator("form", has=page.get_by_role("button", name="紐付け誤りと確定"))
    confirm.get_by_label("主な原因").select_option(label="家族のマイナンバーの取り違え")
    confirm.get_by_label("閲覧なし").check()
    confirm.get_by_label("本人確認の方法", exact=True).select_option(label="本人への照会")  # the day: today
    confirm.get_by_label("確認の経緯（任意）").fill("本人に電話で確認し、家族の番号と判明。")
    confirm.get_by_role("button", name="紐付け誤りと確定").click()

    expect(page.get_by_role("status")).to_contain_text("「紐付け誤りと確定」を記録しました")
    timeline = page.locator(".timeline")
    expect(timeline.locator("li").last).to_contain_text("紐付け誤りと確定")
    expect(timeline.locator("li").last).to_contain_text("佐藤 花子")
    expect(timeline).to_contain_text("本人に電話で確認し、家族の番号と判明。")
    # The caseworker may not approve a correction: the page never offers it.
    expect(page.get_by_role("button", name="訂正を承認")).to_have_count(0)

    with committed_app.app_context():
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        case = db.session.scalars(sa.select(Case).where(Case.agency_id == aomori.id,
                                                        Case.id == int(reference.removeprefix("CF-")))).one()
        assert case.status is CaseStatus.CONFIRMED
