"""API tokens: issued once, stored as a hash, revoked for good; the page, the command, and 401s."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from caseflow.api.models import ApiToken
from caseflow.api.operations import authenticate_token, get_own_token, issue_token, revoke_token
from caseflow.cli import main
from caseflow.errors import DomainError, NotFound
from caseflow.extensions import db
from caseflow.users.models import Role, User
from tests.api.conftest import bearer
from tests.conftest import csrf_token, login


def _error(response) -> dict:
    assert response.mimetype == "application/json"
    return response.json["error"]


def test_token_is_stored_as_its_hash_only(caseworker):
    token, plaintext = issue_token(db.session, caseworker, "  集計スクリプト ")
    assert len(plaintext) >= 43
    assert token.name == "集計スクリプト"
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.prefix == plaintext[:8]
    row = db.session.execute(sa.select(ApiToken.__table__).where(ApiToken.id == token.id)).one()
    assert plaintext not in [str(v) for v in row]
    assert authenticate_token(db.session, plaintext) is caseworker


def test_each_issue_gives_a_new_token(caseworker):
    first = issue_token(db.session, caseworker, "a")[1]
    second = issue_token(db.session, caseworker, "a")[1]
    assert first != second


def test_a_token_needs_a_name(caseworker):
    with pytest.raises(DomainError, match="名前"):
        issue_token(db.session, caseworker, "   ")


def test_the_api_works_with_a_token_and_records_its_use(client, caseworker, make_token):
    plaintext = make_token(caseworker)
    response = client.get("/api/v1/cases", headers=bearer(plaintext))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # no session for programs
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == caseworker.id)).one()
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_missing_or_malformed_authorization_is_401(client, caseworker, make_token):
    plaintext = make_token(caseworker)
    for headers in ({}, {"Authorization": plaintext}, {"Authorization": f"Basic {plaintext}"},
                    {"Authorization": "Bearer "}):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401, headers
        assert _error(response)["code"] == "unauthorized"
        assert "APIトークンが必要です" in _error(response)["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client):
    response = client.get("/api/v1/cases", headers=bearer("not-a-token-we-issued"))
    assert response.status_code == 401
    assert _error(response) == {
        "code": "unauthorized",
        "message": "APIトークンが無効です。取り消されていないか、正しく指定されているかを確認してください。"}


def test_revoked_token_is_401_at_once(client, caseworker, make_token):
    plaintext = make_token(caseworker)
    assert client.get("/api/v1/cases", headers=bearer(plaintext)).status_code == 200
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == caseworker.id)).one()
    revoke_token(db.session, token)
    db.session.commit()
    assert client.get("/api/v1/cases", headers=bearer(plaintext)).status_code == 401
    assert authenticate_token(db.session, plaintext) is None


def test_an_inactive_users_token_is_refused(client, caseworker, make_token):
    plaintext = make_token(caseworker)
    caseworker.active = False
    db.session.flush()
    assert client.get("/api/v1/cases", headers=bearer(plaintext)).status_code == 401


def test_a_session_cookie_is_not_enough(client, caseworker):
    login(client, caseworker)
    assert client.get("/cases/").status_code == 200  # signed in for the pages
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"


def test_nobody_revokes_anothers_token(caseworker, supervisor):
    token, _plaintext = issue_token(db.session, caseworker, "a")
    with pytest.raises(NotFound):
        get_own_token(db.session, supervisor, token.id)


# --- the page --------------------------------------------------------------------------------

_NEW_TOKEN = re.compile(r'id="new-token"[^>]*value="([^"]+)"')


def test_the_page_issues_shows_once_and_revokes(client, caseworker, supervisor):
    assert client.get("/account/tokens").status_code == 302  # login first
    login(client, caseworker)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "発行済みのトークンはありません" in page.get_data(as_text=True)

    response = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"),
                                                    "name": "進捗集計"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    plaintext = _NEW_TOKEN.search(response.get_data(as_text=True)).group(1)
    assert "今だけ" in response.get_data(as_text=True)
    assert client.get("/api/v1/cases", headers=bearer(plaintext)).status_code == 200

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "進捗集計" in listing and plaintext[:8] in listing
    assert plaintext not in listing  # shown once only

    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == caseworker.id)).one()
    response = client.post(f"/account/tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 302
    assert "無効にしました" in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/cases", headers=bearer(plaintext)).status_code == 401


def test_the_page_refuses_an_empty_name_and_a_missing_csrf_token(client, caseworker):
    login(client, caseworker)
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"),
                                                    "name": " "})
    assert response.status_code == 422
    assert "トークンの名前（用途）を入力してください" in response.get_data(as_text=True)
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_one_cannot_revoke_anothers_token_from_the_page(client, caseworker, supervisor):
    token, plaintext = issue_token(db.session, supervisor, "承認者の")
    login(client, caseworker)
    response = client.post(f"/account/tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 404
    assert authenticate_token(db.session, plaintext) is supervisor


# --- the command -------------------------------------------------------------------------------


def test_users_token_prints_the_token_once(committed_app):
    runner = committed_app.test_cli_runner()
    assert runner.invoke(main, ["seed", "reference"]).exit_code == 0
    created = runner.invoke(main, ["users", "create", "--login", "script-user", "--name", "集計 担当", "--organization",
                                   "022012", "--role", "caseworker"], input="long enough pass\nlong enough pass\n")
    assert created.exit_code == 0, created.output

    result = runner.invoke(main, ["users", "token", "--login", "script-user", "--name", "夜間集計"])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    assert "\n" not in plaintext and len(plaintext) >= 43
    assert "一度だけ" in result.stderr
    with committed_app.app_context():
        user = authenticate_token(db.session, plaintext)
        assert user is not None and user.login == "script-user" and user.has_role(Role.CASEWORKER)
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert token.name == "夜間集計" and token.prefix == plaintext[:8]

    unknown = runner.invoke(main, ["users", "token", "--login", "nobody", "--name", "x"])
    assert unknown.exit_code != 0
    assert "ログインID nobody の利用者がいません" in unknown.output
    with committed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
