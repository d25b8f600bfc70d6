"""Security headers: CSP and friends everywhere, HSTS over HTTPS, no caching of anything but static files."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login

HSTS = "max-age=31536000; includeSubDomains"


def test_the_login_page(client):
    response = client.get("/login")
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP, secure cookies off


@pytest.mark.parametrize("path", ["/cases/mine", "/cases/", "/dashboard/", "/reports/", "/inbox",
                                  "/account/password", "/account/tokens"])
def test_pages_with_personal_data_are_not_cached(client, caseworker, path):
    login(client, caseworker)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_code_pages_are_not_cached(client, supervisor):
    client.post("/login", data={"csrf_token": csrf_token(client),
                                "login": supervisor.login, "password": "correct horse battery"})
    response = client.get("/login/code")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_hsts_when_cookies_are_secure(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    assert client.get("/login").headers["Strict-Transport-Security"] == HSTS


def test_hsts_over_https(client):
    assert client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"] == HSTS
