"""The administrator creates a user (the generated password shown once), the user logs in with it,
the administrator deactivates them, and their next request finds them logged out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from caseflow.administration.models import AdminChange, ChangeAction
from caseflow.extensions import db
from caseflow.seeding import demo_password
from caseflow.users.models import User
from tests.browser.conftest import enter_code

pytestmark = pytest.mark.browser


def _log_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def test_administrator_creates_and_deactivates_a_user(live_server, page, committed_app):
    _log_in(page, live_server, "admin", demo_password())
    enter_code(page)  # the demo's administrator enrols on the first login

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="管理").click()
    expect(page.get_by_role("heading", name="利用者の管理")).to_be_visible()
    page.get_by_role("link", name="利用者を登録").click()
    page.get_by_label("ログインID").fill("aomori-newcomer")
    page.get_by_label("氏名（表示名）").fill("新人 太郎")
    page.get_by_label("所属組織").select_option(label="青森市（022012・紐付け実施機関）")
    page.get_by_label("担当職員").check()
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("heading", name="利用者を登録しました")).to_be_visible()
    password = page.get_by_role("textbox", name="パスワード", exact=True).input_value()
    assert len(password) >= 16

    # The new user logs in with it, in a browser of their own.
    newcomer = page.context.browser.new_context(locale="ja-JP").new_page()
    _log_in(newcomer, live_server, "aomori-newcomer", password)
    expect(newcomer.get_by_role("heading", name="自分の担当（未完了）")).to_be_visible()

    page.get_by_role("link", name="新人 太郎さんの画面へ").click()
    page.get_by_role("button", name="無効にする").click()
    expect(page.locator(".notice--success")).to_contain_text("新人 太郎さんを無効にしました")
    expect(page.locator("#user-state")).to_contain_text("無効（ログインもAPIトークンの利用もできません）")

    newcomer.reload()  # their session ended with the deactivation
    expect(newcomer.get_by_role("button", name="ログイン")).to_be_visible()
    _log_in(newcomer, live_server, "aomori-newcomer", password)
    expect(newcomer.locator(".notice--error")).to_contain_text("ログインIDまたはパスワードが正しくありません")
    newcomer.context.close()

    page.get_by_role("link", name="変更履歴", exact=True).click()
    expect(page.locator("#chain-check")).to_contain_text("改ざんは見つかりませんでした")
    expect(page.locator("table.admin-changes tbody tr").first).to_contain_text("無効化")

    with committed_app.app_context():
        user = db.session.scalars(sa.select(User).where(User.login == "aomori-newcomer")).one()
        assert not user.active
        actions = db.session.scalars(sa.select(AdminChange.action).where(AdminChange.subject_id == user.id)
                                     .order_by(AdminChange.position)).all()
        assert actions == [ChangeAction.CREATED, ChangeAction.DEACTIVATED]
        db.session.remove()
