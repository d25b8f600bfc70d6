"""A live CaseFlow server with the demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from caseflow.extensions import db
from caseflow.seeding import load_demo
from tests.backends import IN_CI, NOT_RUN

CHROMIUM = os.environ.get("CASEFLOW_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(committed_app):
    with committed_app.app_context():
        load_demo(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, committed_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        reason = f"Chromium がありません（{CHROMIUM}）: scripts/setup.sh test が導入します"
        NOT_RUN["browser"] = reason
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(f"NOT RUN: {reason}")
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
