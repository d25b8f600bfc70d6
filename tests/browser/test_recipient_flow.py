"""A caseworker enters a recipient per party: each form starts from its party's facts, a postal
code fills in the address line, and a code that does not exist is named at once."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, Party
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password

pytestmark = pytest.mark.browser


def test_postal_code_fills_the_holders_address(live_server, page, committed_app):
    with committed_app.app_context():
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        case = db.session.scalars(sa.select(Case).where(Case.agency_id == aomori.id,
                                                        Case.status == CaseStatus.CORRECTED,
                                                        Case.record_name != Case.registry_name)
                                  .order_by(Case.id)).first()
        case_id, record_name, holder_name = case.id, case.record_name, case.registry_name
        db.session.remove()

    page.goto(live_server + "/login")
    page.get_by_label("ログインID").fill("aomori-caseworker")
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{live_server}/cases/{case_id}#letters")

    record_form = page.locator("form", has=page.locator('input[name="party"][value="record_person"]'))
    holder_form = page.locator("form", has=page.locator('input[name="party"][value="number_holder"]'))
    # the demo's corrected cases have their recipients already: the forms are folded
    page.locator("summary", has_text="送付先（番号の保有者）を変更").click()
    expect(record_form.get_by_label("宛名（氏名）")).to_have_value(record_name)
    expect(holder_form.get_by_label("宛名（氏名）")).to_have_value(holder_name)

    address = holder_form.get_by_label(re.compile("^住所"))
    address.fill("")
    holder_form.get_by_label("郵便番号").fill("０３０－９９９９")
    expect(holder_form.locator("[data-postal-status]")).to_have_text("郵便番号 030-9999 は存在しません。")
    expect(address).to_have_value("")
    holder_form.get_by_label("郵便番号").fill("036-8364")
    expect(address).to_have_value("青森県弘前市新町")
    expect(holder_form.locator("[data-postal-status]")).to_have_text("〒036-8364：青森県弘前市新町")
    address.press("End")
    address.type("12番地3")
    holder_form.get_by_role("button", name="送付先（番号の保有者）を保存").click()
    expect(page.get_by_role("status").first).to_contain_text("送付先（番号の保有者）を登録しました")

    with committed_app.app_context():
        recipient = operations.recipient_of(db.session.get(Case, case_id), Party.NUMBER_HOLDER)
        assert (recipient.postal_code, recipient.address, recipient.name) == (
            "036-8364", "青森県弘前市新町12番地3", holder_name)
        db.session.remove()
