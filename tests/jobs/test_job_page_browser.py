"""The job page in Chromium: the bar moves while the job runs, then the result appears."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    enter_code,
    page,  # noqa: F401  (the suite's Chromium, reported NOT RUN without it)
    serve,
)
from tests.conftest import PASSWORD
from tests.jobs.test_jobs import start_job

pytestmark = pytest.mark.browser


@pytest.fixture
def server(jobs_app):
    """The app served over HTTP; no demo data needed."""
    with serve(jobs_app) as url:
        yield url


@pytest.mark.parametrize("queue_kind", ["sqlite"], indirect=True)
def test_the_progress_bar_moves_and_the_result_appears(server, page, jobs_app, worker, world):  # noqa: F811
    refused = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(server + "/login")
    page.get_by_label("ログインID").fill("job-admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    enter_code(page)
    expect(page.get_by_role("heading", name="自分の担当（未完了）")).to_be_visible()

    job_id = start_job(jobs_app, world.admin_id, "selftest", {"count": 6, "delay": 0.4})
    page.goto(f"{server}/jobs/{job_id}")
    expect(page.get_by_role("heading", name=re.compile("動作確認"))).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("開始待ち")

    worker.start()
    expect(page.get_by_role("status")).to_have_text("実行中")
    page.wait_for_function("() => { const v = document.getElementById('job-progress').value;"
                           " return v > 0 && v < 100; }")
    expect(page.locator("#job-message")).to_have_text(re.compile(r"^\d / 6 を数えました。$"))

    # Finished: the page reloads itself and shows the outcome and its link.
    expect(page.get_by_role("link", name="自分の担当の案件へ")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("status")).to_have_text("完了")
    assert page.locator("#job-progress").evaluate("bar => bar.value") == 100
    assert refused == []
