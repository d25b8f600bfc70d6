"""A live CaseFlow server with the demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from caseflow.users import totp
from tests.backends import require_service
from tests.conftest import TOTP_SECRET

CHROMIUM = os.environ.get("CASEFLOW_TEST_CHROMIUM", "/usr/bin/chromium")


@contextmanager
def serve(app):
    """``app`` served over HTTP on a free local port, for a browser; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def committed_app(demo_app):
    """Every browser test works on the demo's data (a copy of its own)."""
    return demo_app


@pytest.fixture
def live_server(committed_app):
    with serve(committed_app) as url:
        yield url


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        require_service("browser", f"Chromium がありません（{CHROMIUM}）: scripts/setup.sh test が導入します")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def enter_code(page, secret: str = TOTP_SECRET) -> None:
    """After the password, a supervisor or administrator enters the TOTP code, as a person would.

    On the first login (the demo's users) the enrolment page shows the secret: it is read from
    the page, as an authenticator app would; otherwise ``secret`` is the one the user enrolled.
    """
    from playwright.sync_api import expect

    code_field = page.get_by_label("確認コード（6桁）")
    expect(code_field).to_be_visible()
    shown = page.locator("#totp-secret")
    if shown.count():
        secret = shown.inner_text().replace(" ", "")
    code_field.fill(totp.code_at(secret, totp.current_step()))
    page.get_by_role("button", name="設定してログイン" if shown.count() else "確認する").click()
