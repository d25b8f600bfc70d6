"""A supervisor opens 承認待ち・期限超過, approves the correction waiting there, and the case leaves the queue."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.cases import operations
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password
from caseflow.users.models import User
from tests.browser.conftest import enter_code

pytestmark = pytest.mark.browser


def _propose_a_correction(app) -> str:
    """A caseworker of 青森市 proposes a correction on one of its confirmed demo cases; returns its reference."""
    with app.app_context():
        session = db.session
        aomori = session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        worker = session.scalars(sa.select(User).where(User.login == "aomori-caseworker")).one()
        case = session.scalars(sa.select(Case).where(Case.agency_id == aomori.id,
                                                     Case.status == CaseStatus.CONFIRMED)
                               .order_by(Case.id)).first()
        operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED,
                                      note="基本4情報での照会で複数人が該当したため保留。")
        session.commit()
        return case.reference


def test_supervisor_approves_from_the_supervision_queue(live_server, page, committed_app):
    reference = _propose_a_correction(committed_app)

    page.goto(live_server + "/")
    page.get_by_label("ログインID").fill("aomori-supervisor")
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()
    enter_code(page)  # the demo's supervisor enrols on the first login

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="承認待ち・期限超過").click()
    expect(page.get_by_role("heading", name="承認待ち・期限超過", exact=True)).to_be_visible()
    approvals = page.locator("#approvals")
    expect(approvals.get_by_role("link", name=reference)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^承認待ち（\d+件）$"))).to_be_visible()

    approvals.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    approve = page.locator("form", has=page.get_by_role("button", name="訂正を承認"))
    approve.get_by_label("コメント（任意）").fill("照会結果を確認しました。")
    approve.get_by_role("button", name="訂正を承認").click()
    expect(page.locator(".notice--success")).to_contain_text("「訂正を承認」を記録しました")
    expect(page.locator(".timeline li").last).to_contain_text("訂正を承認")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="承認待ち・期限超過").click()
    expect(page.get_by_role("heading", name="承認待ち・期限超過", exact=True)).to_be_visible()
    expect(page.locator("#approvals").get_by_role("link", name=reference)).to_have_count(0)
    expect(page.get_by_text("承認待ちの訂正内容・誤りなしの判断はありません。")).to_be_visible()

    with committed_app.app_context():
        case = db.session.get(Case, int(reference.removeprefix("CF-")))
        assert case.status is CaseStatus.CORRECTED
