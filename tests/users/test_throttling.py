"""Failed logins from one address are throttled (Flask-Limiter); the refusal is in Japanese."""

from __future__ import annotations

from tests.conftest import csrf_token, login


def _fail(client, n: int) -> list[int]:
    token = csrf_token(client)
    return [client.post("/login", data={"csrf_token": token, "login": f"nobody{i}", "password": "guess-guess"})
            .status_code for i in range(n)]


def test_the_eleventh_failure_in_a_minute_is_refused_in_japanese(client):
    assert _fail(client, 10) == [401] * 10
    response = client.post("/login", data={"csrf_token": csrf_token(client), "login": "nobody", "password": "x"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "1分ほど待ってから" in page and "<html lang=\"ja\">" in page
    assert response.headers["Retry-After"] == "60"
    assert client.get("/login").status_code == 200  # reading the page is not limited


def test_the_code_step_shares_the_limit(client, supervisor):
    assert _fail(client, 9) == [401] * 9
    login_form = {"csrf_token": csrf_token(client), "login": supervisor.login, "password": "correct horse battery"}
    assert client.post("/login", data=login_form).status_code == 302
    code = {"csrf_token": csrf_token(client, "/login/code"), "code": "000000"}
    assert client.post("/login/code", data=code).status_code == 401
    assert client.post("/login/code", data=code).status_code == 429


def test_another_address_is_not_affected(app, client):
    assert _fail(client, 10) == [401] * 10
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    assert _fail(other, 1) == [401]


def test_successful_logins_are_not_counted(client, caseworker):
    """An office behind one address logs in at nine o'clock."""
    for _ in range(12):
        assert login(client, caseworker).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/mine")})
