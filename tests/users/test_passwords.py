"""Password rules (ASVS V2.1): length only, no composition rules; common and personal passwords refused."""

from __future__ import annotations

import pytest

from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.seeding import DEFAULT_DEMO_PASSWORD
from caseflow.users.models import Role
from caseflow.users.operations import authenticate, create_user
from caseflow.users.passwords import PasswordRejected, check_password, common_passwords
from tests.conftest import PASSWORD, csrf_token, login

ACCEPTED = [
    "correct horse battery",
    DEFAULT_DEMO_PASSWORD,
    "xyzkq9#m",  # 8 characters, nothing else asked
    "マイナンバーの紐付けを確認する合言葉",
    "a long passphrase that goes on and on " * 2 + "ok",  # 78 characters
    "z" + "0123456789abcdefghij" * 5 + "y",  # 102 characters
    "q" * 60 + "w" * 60 + "er1234zz",  # 128 characters: the maximum
]


@pytest.mark.parametrize("password", ACCEPTED)
def test_accepted(password):
    check_password(password, context=("user42", "022012"))


@pytest.mark.parametrize(("password", "message"), [
    ("short12", "8文字以上"),
    ("x" * 129, "128文字以下"),
    ("password", "よく使われている"),
    ("Password1", "よく使われている"),
    ("sunshine2024!", "よく使われている"),  # a common one with digits added
    ("iloveyou", "よく使われている"),
    ("administrator", "よく使われている"),
    ("aaaaaaaaaaaa", "繰り返し"),
    ("abababababab", "繰り返し"),
    ("12345678", "並び順"),
    ("87654321", "並び順"),
    ("qwertyuiop", "並び順"),
    ("hijklmnop", "並び順"),
])
def test_refused(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_password(password)


@pytest.mark.parametrize("password", ["aomori-caseworker", "AOMORI-CASEWORKER-2026", "rekrowesac-iromoa",
                                      "my022012pass"])
def test_the_login_and_the_organisation_code_are_refused(password):
    with pytest.raises(PasswordRejected, match="ログインIDや組織コード"):
        check_password(password, context=("aomori-caseworker", "022012"))


def test_the_list_is_shipped_and_holds_only_passwords_the_length_rule_lets_through():
    passwords = common_passwords()
    assert len(passwords) > 1000
    assert all(len(p) >= 8 and p == p.casefold() for p in passwords)


def test_create_user_applies_the_rules(app, agency):
    with pytest.raises(DomainError, match="ログインID"):
        create_user(db.session, login="kimura-taro", display_name="木村 太郎", organization=agency,
                    roles={Role.CASEWORKER}, password="kimura-taro")
    with pytest.raises(DomainError, match="よく使われている"):
        create_user(db.session, login="kimura-taro", display_name="木村 太郎", organization=agency,
                    roles={Role.CASEWORKER}, password="baseball")
    long = "the quick brown fox jumps over the lazy dog, " * 2 + "ten more.."  # 100 characters
    assert len(long) == 100
    user = create_user(db.session, login="kimura-taro", display_name="木村 太郎", organization=agency,
                       roles={Role.CASEWORKER}, password=long)
    assert authenticate(db.session, "kimura-taro", long) == user


def _change(client, current: str, new: str, confirm: str | None = None):
    return client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": current,
        "new_password": new, "confirm_password": new if confirm is None else confirm})


def test_the_password_page(client, caseworker):
    login(client, caseworker)
    page = client.get("/account/password")
    assert page.status_code == 200 and "パスワードの変更" in page.get_data(as_text=True)


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not the password", "a brand new secret", None, "現在のパスワードが正しくありません"),
    (PASSWORD, "football", None, "よく使われている"),
    (PASSWORD, "short", None, "8文字以上"),
    (PASSWORD, PASSWORD, None, "現在のパスワードと違う"),
    (PASSWORD, "a brand new secret", "a brand new secreT", "一致しません"),
])
def test_a_refused_change(client, caseworker, current, new, confirm, message):
    login(client, caseworker)
    response = _change(client, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert authenticate(db.session, caseworker.login, PASSWORD) is not None


def test_a_wrong_current_password_counts_towards_the_lock(client, caseworker):
    login(client, caseworker)
    for _ in range(5):
        _change(client, "not the password", "a brand new secret")
    assert caseworker.locked_until is not None
    response = _change(client, PASSWORD, "a brand new secret")
    assert response.status_code == 422 and "しばらくの間変更できません" in response.get_data(as_text=True)


def test_a_change_ends_the_other_sessions_and_keeps_this_one(app, client, caseworker):
    login(client, caseworker)
    elsewhere = app.test_client()
    login(elsewhere, caseworker)

    response = _change(client, PASSWORD, "a brand new secret")
    assert response.status_code == 302
    assert "パスワードを変更しました" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/cases/mine").status_code == 200
    assert elsewhere.get("/cases/mine").status_code == 302
    assert authenticate(db.session, caseworker.login, PASSWORD) is None
    assert authenticate(db.session, caseworker.login, "a brand new secret") == caseworker


def test_the_page_needs_a_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
