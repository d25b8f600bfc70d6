"""Sessions: a new one at login, idle and absolute timeouts, cookie flags, logout ends copies too."""

from __future__ import annotations

import time

from caseflow.users.views import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, LOGIN_AT, SEEN_AT
from tests.conftest import csrf_token, login

COOKIE = "session"


def _cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie is not None else None


def _logged_in(client) -> bool:
    return client.get("/cases/mine").status_code == 200


def test_the_session_is_replaced_at_login(app, client, caseworker):
    csrf_token(client)  # the login page starts a session (its CSRF token)
    before = _cookie(client)
    with client.session_transaction() as session:
        token_before = session["csrf_token"]
    assert before is not None

    assert login(client, caseworker).status_code == 302
    after = _cookie(client)
    assert after != before
    with client.session_transaction() as session:
        assert session.get("csrf_token") != token_before
        assert isinstance(session[LOGIN_AT], int) and isinstance(session[SEEN_AT], int)


def test_a_session_obtained_before_login_is_useless_after_it(app, client, caseworker):
    csrf_token(client)
    planted = _cookie(client)  # e.g. set in the victim's browser by an attacker
    assert login(client, caseworker).status_code == 302
    assert _logged_in(client)

    attacker = app.test_client()
    attacker.set_cookie(COOKIE, planted)
    response = attacker.get("/cases/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_a_copied_cookie_too(app, client, caseworker):
    assert login(client, caseworker).status_code == 302
    copy = app.test_client()
    copy.set_cookie(COOKIE, _cookie(client))
    assert _logged_in(copy)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/mine")})
    assert not _logged_in(client)
    response = copy.get("/cases/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_idle_session_ends(client, caseworker):
    login(client, caseworker)
    with client.session_transaction() as session:
        session[SEEN_AT] -= 31 * 60
    response = client.get("/cases/mine")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases/mine"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert IDLE_TIMEOUT in page
    assert not _logged_in(client)


def test_activity_keeps_a_session_alive(client, caseworker):
    login(client, caseworker)
    with client.session_transaction() as session:
        session[SEEN_AT] -= 29 * 60
    assert _logged_in(client)
    with client.session_transaction() as session:
        assert time.time() - session[SEEN_AT] < 60  # the request counted as activity


def test_a_session_ends_hours_after_login_even_when_busy(client, caseworker):
    login(client, caseworker)
    with client.session_transaction() as session:
        session[LOGIN_AT] -= 12 * 3600 + 1
    response = client.get("/cases/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert ABSOLUTE_TIMEOUT in client.get("/login").get_data(as_text=True)
    assert not _logged_in(client)


def test_the_timeouts_come_from_the_configuration(app, client, caseworker, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    login(client, caseworker)
    with client.session_transaction() as session:
        session[SEEN_AT] -= 6 * 60
    assert not _logged_in(client)


def test_a_session_without_login_time_is_not_trusted(client, caseworker):
    login(client, caseworker)
    with client.session_transaction() as session:
        del session[LOGIN_AT]
    assert not _logged_in(client)


def test_a_post_after_the_timeout_is_not_carried_out(client, caseworker):
    login(client, caseworker)
    token = csrf_token(client, "/cases/mine")
    with client.session_transaction() as session:
        session[SEEN_AT] -= 31 * 60
    response = client.post("/cases/filters", data={"csrf_token": token, "name": "検出のみ", "query": "status=detected",
                                                   "return_to": "list"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_cookie_flags(app, client, caseworker, monkeypatch):
    response = login(client, caseworker)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith(COOKIE + "="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # off by default: the demo runs on http://127.0.0.1
    assert "Expires" not in session_cookie  # ends with the browser, besides the timeouts
    assert not any(c.startswith("remember_token=") for c in cookies)  # no "remember me"

    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    other = app.test_client()
    response = other.get("/login", base_url="https://localhost")
    assert "Secure" in next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
