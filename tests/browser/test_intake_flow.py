"""A caseworker opens a case by hand from the dashboard after a resident's call, enters the registry's facts on
its page, and finds the case again from the header's search box: by kana typed in half-width, and by its reference."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from caseflow.seeding import demo_password
from tests.conftest import valid_number

pytestmark = pytest.mark.browser


def test_caseworker_opens_a_case_by_hand_and_enters_the_registry_facts(live_server, page, tmp_path):
    number = valid_number(31_415_926_535)
    page.goto(live_server + "/")
    page.get_by_label("ログインID").fill("aomori-caseworker")
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()
    page.goto(live_server + "/dashboard/")
    page.locator("#dashboard-intake").click()
    expect(page.get_by_role("heading", name="案件の登録")).to_be_visible()

    page.get_by_label("事務").select_option(index=1)
    page.get_by_label("発見の経緯", exact=True).select_option(label="住民からの申出")
    page.get_by_label("管理番号（宛名番号など）").fill("BR-0001")
    page.get_by_label("紐付けられていた個人番号").fill(number[:4] + "-" + number[4:8] + "-" + number[8:])
    record = page.locator("fieldset", has_text="業務データの情報")
    record.get_by_label("氏名", exact=True).fill("青森　一郎")
    record.get_by_label("カナ氏名").fill("アオモリ　イチロウ")
    record.get_by_label("生年月日").fill("1965-04-01")
    record.get_by_label("性別").select_option(label="男")
    record.get_by_label("住所").fill("青森県青森市新町二丁目2番2号")
    page.screenshot(path=tmp_path / "1-intake-form.png", full_page=True)
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("status")).to_contain_text(re.compile(r"案件 CF-\d+ を登録しました（判定：B 要確認）"))
    expect(page.locator("#case-source")).to_contain_text("住民からの申出")
    expect(page.locator(".timeline li").first).to_contain_text("手入力で登録")
    expect(page.locator("#registered-number")).not_to_contain_text(number)
    page.screenshot(path=tmp_path / "2-case-opened.png", full_page=True)

    section = page.locator("#registry-entry")
    section.get_by_label("氏名", exact=True).fill("青森　一郎")
    section.get_by_label("カナ氏名").fill("アオモリ　イチロウ")
    section.get_by_label("生年月日").fill("1966-04-01")
    section.get_by_label("性別").select_option(label="男")
    section.get_by_label("住所").fill("青森県青森市新町2-2-2")
    section.get_by_role("button", name="入力して照合する").click()

    expect(page.get_by_role("status")).to_contain_text("照合し直しました（判定：C 優先確認）")
    expect(page.locator("tr[data-field='birth_date']")).to_contain_text("不一致")
    expect(page.locator("tr[data-field='address']")).to_contain_text("表記ゆれ")
    expect(page.locator(".timeline li").last).to_contain_text("判定：B → C")
    page.screenshot(path=tmp_path / "3-registry-entered.png", full_page=True)

    reference = "CF-{:07d}".format(int(re.search(r"/cases/(\d+)", page.url).group(1)))
    box = page.get_by_role("search", name="案件の検索")
    box.get_by_role("searchbox").fill("ｱｵﾓﾘ ｲﾁﾛｳ")  # as an old system prints it
    box.get_by_role("button", name="検索").click()
    expect(page.get_by_role("heading", name="検索結果")).to_be_visible()
    expect(page.locator(f"tr[data-case='{reference}']")).to_be_visible()
    page.screenshot(path=tmp_path / "4-found-by-kana.png", full_page=True)

    box = page.locator("header").get_by_role("search", name="案件の検索")
    box.get_by_role("searchbox").fill(reference.lower().replace("-", ""))
    box.get_by_role("button", name="検索").click()
    expect(page.locator("tr[data-case]")).to_have_count(1)
    page.locator(f"tr[data-case='{reference}']").get_by_role("link", name=reference).click()
    expect(page.locator("#case-source")).to_contain_text("住民からの申出")
