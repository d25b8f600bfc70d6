"""A caseworker proposes that a case is not an error (誤りなしの判断); a supervisor finds it waiting and approves it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, ProposalStatus
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.seeding import demo_password
from tests.browser.conftest import enter_code

pytestmark = pytest.mark.browser


def _a_case_in_verification(app) -> str:
    """One of 青森市's demo cases in verification, with nothing pending; returns its reference."""
    with app.app_context():
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        case = next(c for c in db.session.scalars(
            sa.select(Case).where(Case.agency_id == aomori.id, Case.status == CaseStatus.VERIFYING).order_by(Case.id))
            if c.pending_dismissal is None)
        return case.reference


def _log_in(page, url: str, login: str) -> None:
    page.goto(url + "/")
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(demo_password())
    page.get_by_role("button", name="ログイン").click()


def test_caseworker_proposes_a_dismissal_and_a_supervisor_approves(live_server, page, committed_app, tmp_path):
    reference = _a_case_in_verification(committed_app)
    case_id = int(reference.removeprefix("CF-"))

    _log_in(page, live_server, "aomori-caseworker")
    expect(page.get_by_role("heading", name="自分の担当（未完了）")).to_be_visible()
    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    # Not a decision a caseworker takes alone: the page offers a proposal, not 誤りなし.
    expect(page.get_by_role("button", name="誤りなしの判断を承認")).to_have_count(0)
    proposal = page.locator("form", has=page.get_by_role("button", name="誤りなしの判断を登録"))
    proposal.get_by_label("理由", exact=True).select_option(label="その他")
    proposal.get_by_label("理由（その他の場合）").fill("業務データに世帯員の生年月日を誤って入力していた（番号は本人のもの）")
    proposal.get_by_label("確認の経緯（任意）").fill("住民票の写しと申請書を照合し、本人の番号であることを確認。")
    page.screenshot(path=tmp_path / "1-caseworker-proposes.png", full_page=True)
    proposal.get_by_role("button", name="誤りなしの判断を登録").click()

    expect(page.get_by_role("status")).to_contain_text("誤りなしの判断を登録しました。承認者の承認を待っています。")
    expect(page.locator(".case-head .badge--status")).to_have_text("確認中")
    expect(page.locator("#dismissals")).to_contain_text("承認待ち")
    expect(page.locator(".timeline li").last).to_contain_text("誤りなしの判断を登録（承認待ち）")
    expect(page.get_by_role("button", name="取り下げる")).to_be_visible()
    page.screenshot(path=tmp_path / "2-caseworker-waits.png", full_page=True)
    page.get_by_role("button", name="ログアウト").click()

    _log_in(page, live_server, "aomori-supervisor")
    enter_code(page)  # the demo's supervisor enrols on the first login
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="承認待ち・期限超過").click()
    waiting = page.locator("#approvals tr", has=page.get_by_role("link", name=reference))
    expect(waiting).to_contain_text("誤りなしの判断：その他")
    page.screenshot(path=tmp_path / "3-supervisor-queue.png", full_page=True)
    waiting.get_by_role("link", name=reference).click()

    approve = page.locator("form", has=page.get_by_role("button", name="誤りなしの判断を承認"))
    expect(approve).to_contain_text("さんが登録した誤りなしの判断（その他：業務データに世帯員の生年月日を誤って入力していた")
    expect(page.get_by_role("button", name="差し戻す")).to_be_visible()
    approve.get_by_label("コメント（任意）").fill("住民票の写しを確認しました。")
    page.screenshot(path=tmp_path / "4-supervisor-approves.png", full_page=True)
    approve.get_by_role("button", name="誤りなしの判断を承認").click()

    expect(page.get_by_role("status")).to_contain_text("「誤りなしの判断を承認」を記録しました")
    expect(page.locator(".case-head .badge--status")).to_have_text("誤りなし")
    timeline = page.locator(".timeline li")
    expect(timeline.nth(-2)).to_contain_text("誤りなしの判断を登録（承認待ち）")
    expect(timeline.last).to_contain_text("誤りなしの判断を承認")
    expect(timeline.last).to_contain_text("確認中 → 誤りなし")
    expect(page.locator("#dismissals")).to_contain_text("承認済")
    page.screenshot(path=tmp_path / "5-dismissed.png", full_page=True)

    with committed_app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status is CaseStatus.FALSE
        dismissal = case.dismissals[-1]
        assert dismissal.status is ProposalStatus.APPROVED and dismissal.decided_by_id != dismissal.proposed_by_id
    print(f"screenshots: {tmp_path}")
