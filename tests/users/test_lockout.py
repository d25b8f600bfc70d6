"""Failed logins: five in a row lock the account for a while; nothing tells an unknown login apart."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.users.operations import authenticate
from caseflow.users.views import FAILED_LOGIN, LOCKED_AT_CODE
from tests.conftest import PASSWORD, csrf_token, login


def _attempt(client, login_name: str, password: str):
    return client.post("/login", data={"csrf_token": csrf_token(client), "login": login_name, "password": password})


def _fail(client, user, times: int) -> None:
    for _ in range(times):
        assert login(client, user, password="not the password").status_code == 401


def test_five_failures_lock_the_account(client, caseworker):
    _fail(client, caseworker, 4)
    assert caseworker.failed_logins == 4 and caseworker.locked_until is None
    _fail(client, caseworker, 1)
    assert caseworker.locked_until is not None
    assert caseworker.locked_until - utcnow() > dt.timedelta(minutes=14)

    response = login(client, caseworker)  # the right password, while locked
    assert response.status_code == 401
    assert FAILED_LOGIN in response.get_data(as_text=True)
    assert client.get("/cases/mine").status_code == 302


def test_the_lock_ends_after_its_time(client, caseworker):
    _fail(client, caseworker, 5)
    caseworker.locked_until = utcnow() - dt.timedelta(seconds=1)  # fifteen minutes later
    db.session.flush()
    assert login(client, caseworker).status_code == 302
    assert caseworker.failed_logins == 0 and caseworker.locked_until is None


def test_the_lock_with_a_clock(app, caseworker):
    now = utcnow()
    for _ in range(5):
        assert authenticate(db.session, caseworker.login, "not the password", now=now) is None
    assert authenticate(db.session, caseworker.login, PASSWORD, now=now + dt.timedelta(minutes=14)) is None
    assert authenticate(db.session, caseworker.login, PASSWORD, now=now + dt.timedelta(minutes=16)) == caseworker


def test_after_a_lock_the_count_starts_again(app, caseworker):
    now = utcnow()
    for _ in range(5):
        authenticate(db.session, caseworker.login, "not the password", now=now)
    later = now + dt.timedelta(minutes=16)
    authenticate(db.session, caseworker.login, "not the password", now=later)
    assert caseworker.failed_logins == 1 and not caseworker.is_locked(later)


def test_a_success_resets_the_count(client, caseworker):
    _fail(client, caseworker, 3)
    assert login(client, caseworker).status_code == 302
    assert caseworker.failed_logins == 0


def test_an_unknown_login_gets_the_same_answer(client, caseworker):
    wrong = _attempt(client, caseworker.login, "not the password")
    unknown = _attempt(client, "no-such-login", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert FAILED_LOGIN in wrong.get_data(as_text=True) and FAILED_LOGIN in unknown.get_data(as_text=True)


@pytest.mark.parametrize("case", ["unknown", "wrong", "locked", "inactive"])
def test_every_refusal_costs_one_password_check(client, caseworker, monkeypatch, case):
    """The same work whether the login exists or not: the time taken does not tell."""
    if case == "locked":
        caseworker.locked_until = utcnow() + dt.timedelta(minutes=10)
    if case == "inactive":
        caseworker.active = False
    db.session.flush()
    calls = []
    verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, *a: calls.append(1) or verify(self, *a))
    response = _attempt(client, "no-such-login" if case == "unknown" else caseworker.login,
                        PASSWORD if case in ("locked", "inactive") else "not the password")
    assert response.status_code == 401 and FAILED_LOGIN in response.get_data(as_text=True)
    assert len(calls) == 1


def test_wrong_codes_count_towards_the_lock(client, supervisor):
    for _ in range(4):
        response = _attempt(client, supervisor.login, PASSWORD)
        assert response.headers["Location"] == "/login/code"
        response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": "000000"})
        assert response.status_code == 401
    _attempt(client, supervisor.login, PASSWORD)
    response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": "000000"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert LOCKED_AT_CODE in client.get("/login").get_data(as_text=True)
    assert supervisor.is_locked(utcnow())
    assert login(client, supervisor).status_code == 401  # the password alone no longer passes
