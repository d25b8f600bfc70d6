"""A caseworker uploads two files; a real worker grades them; the summary, the result
file and the cases are there, each B and C with both records side by side."""

from __future__ import annotations

import io
import re
from pathlib import Path

import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.conftest import PASSWORD, csrf_token
from tests.inspections.test_inspections import PEOPLE, records_file, registry_file
from tests.jobs.conftest import wait_for


def _setup(app) -> int:
    with app.app_context():
        load_reference(db.session)
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        create_user(db.session, login="uploader", display_name="担当 花子", organization=aomori,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        program = db.session.scalars(sa.select(Program).where(Program.code == "disability-handbook")).one()
        db.session.commit()
        return program.id


def test_upload_progress_summary_and_cases(jobs_app, worker):
    program_id = _setup(jobs_app)
    client = jobs_app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client), "login": "uploader", "password": PASSWORD})

    response = client.post("/inspections/new", data={
        "csrf_token": csrf_token(client, "/inspections/new"),
        "program": str(program_id),
        "records": (io.BytesIO(records_file("cp932")), "業務データ.csv"),
        "registry": (io.BytesIO(registry_file()), "住基.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_url)
    assert "進" in client.get(job_url).get_data(as_text=True)  # the progress page

    worker.start()
    status = wait_for(lambda: (s := client.get(job_url + "/status").json)["finished"] and s)
    assert status["status"] == "succeeded", status

    batch_page = client.get("/inspections/").get_data(as_text=True)
    batch_id = int(re.search(r'/inspections/(\d+)"', batch_page).group(1))
    summary = client.get(f"/inspections/{batch_id}").get_data(as_text=True)
    assert "判定の内訳（5件）" in summary and "<svg" in summary
    assert "案件を3件登録しました" in summary
    # the chart's numbers are also in a table beside it
    assert re.search(r"A 確認不要</th><td class=\"num\">2</td>", summary)

    result = client.get(f"/inspections/{batch_id}/result.csv")
    try:
        assert result.status_code == 200 and result.headers["Content-Disposition"].startswith("attachment")
        assert "record_id,grade,reason" in result.get_data(as_text=True)
    finally:
        result.close()  # the file is streamed from disk

    cases = client.get(f"/cases/?batch={batch_id}").get_data(as_text=True)
    references = re.findall(r"(CF-\d{7})</a>", cases)
    assert len(references) == 3
    family = next(r for r in references if "山田　花子" in client.get(f"/cases/{int(r[3:])}").get_data(as_text=True))
    detail = client.get(f"/cases/{int(family[3:])}").get_data(as_text=True)
    assert "山田　太郎" in detail  # the registry record beside the business record
    assert "家族の番号の可能性" in detail
    assert 'data-field="birth_date"' in detail and "不一致" in detail
    assert PEOPLE[0][0] not in detail  # the number stays masked


def test_other_organisations_cannot_see_the_batch(jobs_app, worker):
    program_id = _setup(jobs_app)
    with jobs_app.app_context():
        hirosaki = db.session.scalars(sa.select(Organization).where(Organization.code == "022021")).one()
        create_user(db.session, login="outsider", display_name="他市 職員", organization=hirosaki,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        db.session.commit()
    client = jobs_app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client), "login": "uploader", "password": PASSWORD})

    client.post("/inspections/new", data={
        "csrf_token": csrf_token(client, "/inspections/new"), "program": str(program_id),
        "records": (io.BytesIO(records_file()), "r.csv"), "registry": (io.BytesIO(registry_file()), "z.csv"),
    }, content_type="multipart/form-data")
    with jobs_app.app_context():
        from caseflow.inspections.models import InspectionBatch

        batch_id = db.session.scalar(sa.select(sa.func.max(InspectionBatch.id)))
    other = jobs_app.test_client()
    other.post("/login", data={"csrf_token": csrf_token(other), "login": "outsider", "password": PASSWORD})
    assert other.get(f"/inspections/{batch_id}").status_code == 404
    assert other.get(f"/inspections/{batch_id}/result.csv").status_code == 404


def test_files_go_to_the_shared_storage_and_a_damaged_result_is_refused(jobs_app, worker, tmp_path):
    """With STORAGE_PATH set (a folder every host mounts), the uploads and the result are there,
    not in the host's instance folder; a result file cut short is refused, never sent."""
    shared = tmp_path / "nfs"
    jobs_app.config["STORAGE_PATH"] = str(shared)
    program_id = _setup(jobs_app)
    client = jobs_app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client), "login": "uploader", "password": PASSWORD})
    response = client.post("/inspections/new", data={
        "csrf_token": csrf_token(client, "/inspections/new"), "program": str(program_id),
        "records": (io.BytesIO(records_file()), "業務データ.csv"),
        "registry": (io.BytesIO(registry_file()), "住基.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    uploads = sorted(p.name for p in shared.glob("inspections/*/*"))
    assert uploads == ["records.upload.csv", "records.upload.csv.sha256",
                       "registry.upload.csv", "registry.upload.csv.sha256"]
    worker.start()
    wait_for(lambda: client.get(response.headers["Location"] + "/status").json["finished"])
    batch_folder = next(shared.glob("inspections/*"))
    assert sorted(p.name for p in batch_folder.iterdir()) == ["result.csv", "result.csv.sha256"]
    assert not list(Path(jobs_app.instance_path).glob("inspections"))

    result = client.get(f"/inspections/{batch_folder.name}/result.csv")
    assert result.status_code == 200 and result.get_data() == (batch_folder / "result.csv").read_bytes()
    result.close()
    (batch_folder / "result.csv").write_bytes(b"record_id,grade,reason\n")  # cut short
    refused = client.get(f"/inspections/{batch_folder.name}/result.csv")
    assert refused.status_code == 503
    assert "チェックサムと一致しません" in refused.get_data(as_text=True)
