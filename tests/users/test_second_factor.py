"""TOTP after the password for supervisors and administrators: enrolment, codes, replay."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.users import totp
from caseflow.users.models import Role
from caseflow.users.operations import create_user, reset_second_factor
from caseflow.users.views import PENDING_AT, WRONG_CODE
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login

SECRET = re.compile(r'<code id="totp-secret" class="mono">([A-Z2-7 ]+)</code>')


def _password(client, user, path: str = "/login"):
    return client.post(path, data={"csrf_token": csrf_token(client), "login": user.login, "password": PASSWORD})


def _code(client, code: str, path: str = "/login/code"):
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})


def _now_code(secret: str = TOTP_SECRET, offset: int = 0) -> str:
    return totp.code_at(secret, totp.current_step() + offset)


def _logged_in(client) -> bool:
    return client.get("/cases/mine").status_code == 200


def test_a_caseworker_needs_no_code(client, caseworker):
    response = _password(client, caseworker)
    assert response.status_code == 302 and response.headers["Location"] == "/cases/mine"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_supervisors_and_administrators_need_a_code(client, make_user, role):
    user = make_user(role)
    response = _password(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert not _logged_in(client)  # the password alone opens nothing
    page = client.get("/login/code")
    assert page.status_code == 200 and "確認コード" in page.get_data(as_text=True)

    response = _code(client, _now_code())
    assert response.status_code == 302 and response.headers["Location"] == "/cases/mine"
    assert _logged_in(client)


def test_a_wrong_code_is_refused(client, supervisor):
    _password(client, supervisor)
    response = _code(client, totp.code_at(TOTP_SECRET, totp.current_step() + 5))
    assert response.status_code == 401
    assert WRONG_CODE in response.get_data(as_text=True)
    assert not _logged_in(client)
    assert supervisor.failed_logins == 1


def test_a_code_is_accepted_once(app, client, supervisor):
    code = _now_code()
    _password(client, supervisor)
    assert _code(client, code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/mine")})

    other = app.test_client()  # someone who saw the code over the shoulder
    _password(other, supervisor)
    response = _code(other, code)
    assert response.status_code == 401 and not _logged_in(other)


def test_the_next_step_is_accepted_after_the_current_one(client, supervisor):
    """Clock drift: one step early or late is accepted, the replay rule still holds."""
    _password(client, supervisor)
    step = totp.current_step() + 1
    assert _code(client, totp.code_at(TOTP_SECRET, step)).status_code == 302
    assert supervisor.totp_last_step == step


def test_the_window_and_the_replay_rule():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = totp.current_step(now)
    for offset in (-1, 0, 1):
        code = totp.code_at(secret, step + offset)
        assert totp.matching_step(secret, code, last_step=None, now=now) == step + offset
        assert totp.matching_step(secret, code, last_step=step + offset, now=now) is None
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_at(secret, step + offset), last_step=None, now=now) is None
    assert totp.matching_step(secret, "12345", last_step=None, now=now) is None
    assert totp.matching_step(secret, "abcdef", last_step=None, now=now) is None
    spaced = totp.code_at(secret, step)
    assert totp.matching_step(secret, f"{spaced[:3]} {spaced[3:]}", last_step=None, now=now) == step


def test_the_code_step_keeps_where_the_user_was_going(client, supervisor):
    client.post("/login?next=/cases/", data={"csrf_token": csrf_token(client), "login": supervisor.login,
                                            "password": PASSWORD})
    assert _code(client, _now_code()).headers["Location"] == "/cases/"


def test_the_code_step_expires(client, supervisor):
    _password(client, supervisor)
    with client.session_transaction() as session:
        session[PENDING_AT] -= 301
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "もう一度ログインしてください" in client.get("/login").get_data(as_text=True)


def test_the_code_step_without_a_password_goes_back_to_login(client):
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/login/code/setup").headers["Location"] == "/login"


def test_the_session_is_replaced_at_each_step(client, supervisor):
    csrf_token(client)
    before = client.get_cookie("session").value
    _password(client, supervisor)
    pending = client.get_cookie("session").value
    _code(client, _now_code())
    assert len({before, pending, client.get_cookie("session").value}) == 3


def test_enrolment_on_the_first_login(app, client, agency):
    boss = create_user(db.session, login="new-boss", display_name="新任 承認者", organization=agency,
                       roles={Role.SUPERVISOR}, password=PASSWORD)
    response = _password(client, boss)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code/setup"
    page = client.get("/login/code/setup").get_data(as_text=True)
    shown = SECRET.search(page).group(1)
    secret = shown.replace(" ", "")
    assert len(secret) == 32 and shown.count(" ") == 7  # in groups of four
    assert f"otpauth://totp/CaseFlow:new-boss?secret={secret}" in page.replace("%3A", ":")
    assert SECRET.search(client.get("/login/code/setup").get_data(as_text=True)).group(1) == shown  # same on reload
    stored = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": boss.id}).scalar()
    assert stored.startswith("v1:") and secret not in stored  # encrypted at rest

    assert _code(client, "000000", "/login/code/setup").status_code == 401
    assert boss.totp_confirmed_at is None and not _logged_in(client)
    response = _code(client, _now_code(secret), "/login/code/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/cases/mine"
    assert "確認コードを設定しました" in client.get("/cases/mine").get_data(as_text=True)
    assert boss.has_second_factor

    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/mine")})
    assert _password(client, boss).headers["Location"] == "/login/code"  # enrolled: the code from now on
    assert client.get("/login/code/setup").headers["Location"] == "/login/code"


def test_a_reset_sends_the_user_back_to_enrolment(client, supervisor, make_user):
    with pytest.raises(PermissionDenied):
        reset_second_factor(db.session, supervisor, actor=supervisor)
    reset_second_factor(db.session, supervisor, actor=make_user(Role.ADMINISTRATOR))
    assert supervisor.totp_secret is None and not supervisor.has_second_factor
    assert _password(client, supervisor).headers["Location"] == "/login/code/setup"


def test_the_login_helper_logs_in_twice_in_one_step(client, supervisor):
    """tests.conftest.login picks a code not yet used: logging in again soon after works."""
    for _ in range(3):
        assert login(client, supervisor).headers["Location"] == "/cases/mine"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/mine")})


# Finding 2 of the sweep: \d took any script's digits and hmac.compare_digest then raised (HTTP 500).
NON_ASCII_CODES = ["１２３４５６", "١٢٣٤٥٦", "۱۲۳۴۵۶", "१२३४५६", "１２３ ４５６"]


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_a_code_in_other_digits_is_refused_with_a_message(client, supervisor, code):
    _password(client, supervisor)
    response = _code(client, code)
    assert response.status_code in (200, 400, 401)  # the form again, never a 500
    assert "半角数字6桁" in response.get_data(as_text=True) or WRONG_CODE in response.get_data(as_text=True)
    assert not _logged_in(client)
    # The right code still works afterwards.
    assert _code(client, _now_code()).status_code == 302


@pytest.mark.parametrize("code", NON_ASCII_CODES[:2])
def test_a_code_in_other_digits_is_refused_at_enrolment(client, agency, code):
    boss = create_user(db.session, login=f"enrol-{len(code)}-{ord(code[0])}", display_name="新任",
                       organization=agency, roles={Role.SUPERVISOR}, password=PASSWORD)
    _password(client, boss)
    response = _code(client, code, "/login/code/setup")
    assert response.status_code in (200, 400, 401)  # the form again, never a 500
    assert "確認コード" in response.get_data(as_text=True)
    assert boss.totp_confirmed_at is None


def test_matching_step_reads_ascii_digits_only():
    step = totp.current_step()
    ascii_code = totp.code_at(TOTP_SECRET, step)
    wide = ascii_code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert totp.matching_step(TOTP_SECRET, ascii_code, last_step=None) == step
    assert totp.matching_step(TOTP_SECRET, wide, last_step=None) is None
