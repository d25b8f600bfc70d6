"""A caseworker finds a case from the header's search box, typing the family name in half-width kana
as an old system prints it, then by My Number with a purpose."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password

pytestmark = pytest.mark.browser

_HALF = {unicodedata.normalize("NFKC", chr(c) + mark): chr(c) + mark for c in range(0xFF66, 0xFF9E)
         for mark in ("", "ﾞ", "ﾟ") if len(unicodedata.normalize("NFKC", chr(c) + mark)) == 1}


def half_width(kana: str) -> str:
    katakana = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in kana)
    return "".join(_HALF.get(c, c) for c in katakana)


def test_find_a_case_by_half_width_kana_and_by_my_number(live_server, page, committed_app):
    with committed_app.app_context():
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        case = db.session.scalars(sa.select(Case).where(Case.agency_id == aomori.id, Case.record_kana.is_not(None))
                                  .order_by(Case.id)).first()
        reference, number = case.reference, case.registered_number
        family_kana = case.record_kana.replace("\u3000", " ").split(" ")[0]
        db.session.remove()

    page.goto(live_server + "/login")
    page.get_by_label("ログインID").fill("aomori-caseworker")
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()

    box = page.get_by_role("search", name="案件の検索").first.get_by_role("searchbox")
    box.fill(half_width(family_kana))
    box.press("Enter")
    expect(page.get_by_role("heading", name="検索結果")).to_be_visible()
    expect(page.locator(f'tr[data-case="{reference}"]')).to_be_visible()

    page.locator("summary", has_text="個人番号で検索する").click()
    page.get_by_label("個人番号（12桁）").fill(number)
    page.get_by_label("検索する目的").fill("本人からの電話照会に回答するため")
    page.get_by_role("button", name="個人番号で検索").click()
    results = page.locator("#number-results")
    expect(results).to_contain_text("この検索はアクセス記録に残りました")
    expect(results.locator(f'tr[data-case="{reference}"]')).to_be_visible()
    assert number not in page.url and number not in page.content()
