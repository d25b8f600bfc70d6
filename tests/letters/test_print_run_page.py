"""A caseworker starts a print run on the page; a real worker builds it; the files download,
and other organisations see nothing of it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.letters.models import LetterKind
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.conftest import PASSWORD, csrf_token, drive
from tests.jobs.conftest import wait_for
from tests.letters.test_flow import LETTERHEAD


def _letters(app, count: int) -> None:
    from caseflow.cases import operations as case_operations
    from caseflow.cases.vocabulary import Grade
    from caseflow.core.japanese import today_jst
    from caseflow.organizations.models import Program
    from tests.conftest import valid_number

    with app.app_context():
        ministry = Organization(code="PM", name="省", kind=OrganizationKind.MINISTRY)
        agency = Organization(code="PA", name="印刷市", kind=OrganizationKind.LINKING_AGENCY,
                              letterhead=dict(LETTERHEAD))
        other = Organization(code="PO", name="他市", kind=OrganizationKind.LINKING_AGENCY)
        db.session.add_all([ministry, agency, other])
        db.session.flush()
        program = Program(name="印刷事務", ministry_id=ministry.id)
        db.session.add(program)
        worker = create_user(db.session, login="printer", display_name="担当", organization=agency,
                             roles={Role.CASEWORKER}, password=PASSWORD)
        boss = create_user(db.session, login="boss", display_name="承認", organization=agency,
                           roles={Role.SUPERVISOR}, password=PASSWORD)
        create_user(db.session, login="outsider", display_name="他市職員", organization=other,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        for n in range(count):
            case = case_operations.open_case(
                db.session, program=program, agency=agency, source_record_id=f"L{n}",
                registered_number=valid_number(30_000_000_000 + n), record_name="山田　太郎",
                record_address="青森市新町1-1", registry_name="山田　次郎", registry_address="青森市新町1-1",
                grade=Grade.C, field_verdicts={}, due_date=today_jst())
            drive(case, CaseStatus.CORRECTED, worker, boss)
            operations.set_recipient(case, worker, name=f"髙橋　花子{n}", postal_code="030-0801",
                                     address="青森県青森市新町一丁目1番1号")
            operations.issue_letter(db.session, worker, case, LetterKind.APOLOGY)
        db.session.commit()


def _login(client, login: str) -> None:
    client.post("/login", data={"csrf_token": csrf_token(client), "login": login, "password": PASSWORD})


def test_print_run_is_built_by_the_worker_and_downloaded(jobs_app, worker):
    _letters(jobs_app, 3)
    client = jobs_app.test_client()
    _login(client, "printer")
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
