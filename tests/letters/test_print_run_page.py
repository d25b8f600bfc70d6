"""A caseworker starts a print run on the page; a real worker builds it; the files download,
and other organisations see nothing of it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.conftest import PASSWORD, csrf_token
from tests.jobs.conftest import wait_for
from tests.letters.test_flow import corrected_cases


def _letters(app, count: int) -> None:
    with app.app_context():
        corrected_cases(count, issue=True)
        other = Organization(code="PO", name="他市", kind=OrganizationKind.LINKING_AGENCY)
        db.session.add(other)
        db.session.flush()
        create_user(db.session, login="outsider", display_name="他市職員", organization=other,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        db.session.commit()


def _login(client, login: str) -> None:
    client.post("/login", data={"csrf_token": csrf_token(client), "login": login, "password": PASSWORD})


def test_print_run_is_built_by_the_worker_and_downloaded(jobs_app, worker):
    _letters(jobs_app, 3)
    client = jobs_app.test_client()
    _login(client, "w")
    page = client.get("/letters/runs").get_data(as_text=True)
    assert "3通" in page
    response = client.post("/letters/runs", data={"csrf_token": csrf_token(client, "/letters/runs"),
                                                  "program": "", "kind": "apology"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    worker.start()
    status = wait_for(lambda: (s := client.get(job_url + "/status").json)["finished"] and s, timeout=120)
    assert status["status"] == "succeeded", status

    run_id = int(re.search(r"/letters/runs/(\d+)", client.get(job_url).get_data(as_text=True)).group(1))
    detail = client.get(f"/letters/runs/{run_id}").get_data(as_text=True)
    assert "作成済" in detail and "テ市民第3号" in detail
    pdf = client.get(f"/letters/runs/{run_id}/files/letters")
    try:
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    finally:
        pdf.close()
    manifest = client.get(f"/letters/runs/{run_id}/files/manifest")
    try:
        assert "テ市民第1号" in manifest.data.decode("utf-8-sig")
    finally:
        manifest.close()
    client.post(f"/letters/runs/{run_id}/printed", data={"csrf_token": csrf_token(client, "/letters/runs")})
    assert "印刷済" in client.get(f"/letters/runs/{run_id}").get_data(as_text=True)

    outsider = jobs_app.test_client()
    _login(outsider, "outsider")
    assert outsider.get(f"/letters/runs/{run_id}").status_code == 404
    assert outsider.get(f"/letters/runs/{run_id}/files/letters").status_code == 404
    with jobs_app.app_context():
        from caseflow.letters.models import Letter

        letter_id = db.session.scalar(sa.select(Letter.id).limit(1))
    assert outsider.post(f"/letters/{letter_id}/reprint",
                         data={"csrf_token": csrf_token(outsider, "/letters/runs")}).status_code == 404
