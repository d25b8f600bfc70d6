"""No My Number, name or address from the input reaches a log (finding 5 of the sweep).

A refusal of a file quotes the cell it could not read, and a Polars error quotes the value it
choked on; both went to the worker's log.
"""

from __future__ import annotations

import io
import logging
import re

import polars as pl
import pytest

from caseflow.core.logs import exception_summary, scrub_record, scrubbed_exception
from tests.conftest import PASSWORD, csrf_token, login
from tests.inspections.test_inspections import HEADER_JA, PEOPLE, csv_bytes, registry_file
from tests.jobs.conftest import wait_for

POISON_NAME = "齋藤　恵"
POISON_ADDRESS = "青森県青森市浪打二丁目9番9号"
WORKER_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"  # as `caseflow worker`


@pytest.fixture
def log_file(tmp_path):
    """The log as `caseflow worker` writes it: every record of every logger, formatted, into a file."""
    path = tmp_path / "worker.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(WORKER_FORMAT))
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield path
    root.removeHandler(handler)
    root.setLevel(saved_level)
    handler.close()


def _polars_error_on(cell: str) -> Exception:
    try:
        pl.Series("生年月日", [cell]).str.to_date("%Y-%m-%d", strict=True)
    except Exception as exc:  # noqa: BLE001 - whatever Polars raises, with its text
        return exc
    raise AssertionError("Polars read the cell")


def test_a_polars_error_quotes_the_cell_and_the_log_does_not(app, log_file):
    error = _polars_error_on(POISON_NAME)
    assert POISON_NAME in str(error)  # the danger is real: Polars quotes what it could not read
    try:
        raise RuntimeError("採点に失敗しました") from error
    except RuntimeError:
        logging.getLogger("caseflow.jobs").exception("job %s failed with an unexpected error", 7)
    text = log_file.read_text(encoding="utf-8")
    assert "job 7 failed with an unexpected error" in text
    assert POISON_NAME not in text
    assert "polars.exceptions." in text and "本文は記録しません" in text  # the kind, for a developer
    assert re.search(r'File ".*test_logs.py", line \d+, in _polars_error_on', text)  # and where it happened
    assert "The above exception was the direct cause of the following exception:" in text


def test_a_number_in_a_message_is_masked(app, log_file):
    logging.getLogger("caseflow").warning("looked up %s", "1234-5678-9018")
    text = log_file.read_text(encoding="utf-8")
    assert "looked up ●●●●●●●●9018" in text and "5678" not in text


def test_the_scrubber_leaves_a_record_usable():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "job %s: %s", (3, "ok"), None)
    assert scrub_record(record).getMessage() == "job 3: ok"
    assert scrubbed_exception(None, None, None) == ""
    assert exception_summary(ValueError()) == "ValueError"
    assert exception_summary(ValueError(POISON_NAME)) == "ValueError: <本文は記録しません（4文字）>"


def test_a_refused_file_is_explained_to_the_user_and_not_quoted_in_the_worker_log(jobs_app, worker, log_file):
    """The real inspection job in a real worker: a sex cell holding a name, the address beside it."""
    from tests.inspections.test_upload import _setup

    program_id = _setup(jobs_app)
    client = jobs_app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client), "login": "uploader", "password": PASSWORD})
    records = csv_bytes(HEADER_JA, [["R1", PEOPLE[0][0], "山田　太郎", "ヤマダ　タロウ", "1970-03-02", POISON_NAME,
                                     POISON_ADDRESS]])
    response = client.post("/inspections/new", data={
        "csrf_token": csrf_token(client, "/inspections/new"), "program": str(program_id),
        "records": (io.BytesIO(records), "業務データ.csv"), "registry": (io.BytesIO(registry_file()), "住基.csv"),
    }, content_type="multipart/form-data")
    worker.start()
    job_url = response.headers["Location"]
    wait_for(lambda: client.get(job_url + "/status").json["finished"])
    batch_id = int(re.search(r'/inspections/(\d+)"', client.get("/inspections/").get_data(as_text=True)).group(1))
    page = client.get(f"/inspections/{batch_id}").get_data(as_text=True)
    assert f"性別「{POISON_NAME}」を読み取れません" in page  # the uploader is told which cell
    worker.stop()
    text = log_file.read_text(encoding="utf-8")
    assert "(inspection) succeeded" in text
    assert POISON_NAME not in text and POISON_ADDRESS not in text and PEOPLE[0][0] not in text


def test_a_refusal_is_logged_by_its_kind_only(jobs_app, worker, log_file):
    """A job refused with a message (DomainError) logs the kind of refusal; the user reads the message."""
    from tests.jobs.conftest import job_row
    from tests.jobs.test_jobs import start_job

    with jobs_app.app_context():
        from caseflow.extensions import db
        from caseflow.organizations.models import Organization
        from caseflow.users.models import Role
        from caseflow.users.operations import create_user
        from tests.conftest import give_second_factor

        org = Organization(code="LOG01", name="ログ市", kind="linking_agency", prefecture="青森県")
        db.session.add(org)
        admin = create_user(db.session, login="log-admin", display_name="管理", organization=org,
                            roles={Role.ADMINISTRATOR}, password=PASSWORD)
        give_second_factor(admin)
        db.session.commit()
        admin_id = admin.id
    # An inspection job whose batch is not there: refused with a Japanese message.
    job_id = start_job(jobs_app, admin_id, "inspection", {"batch_id": 999_999})
    worker.start()
    wait_for(lambda: job_row(jobs_app, job_id)["status"].value == "failed")
    assert "見つかりません" in job_row(jobs_app, job_id)["error"]
    worker.stop()
    text = log_file.read_text(encoding="utf-8")
    assert f"job {job_id} (inspection) failed: caseflow.jobs.queue.JobFailed: <本文は記録しません" in text, text
    assert "見つかりません" not in text


def test_login_is_unaffected(client, caseworker, log_file):
    assert login(client, caseworker).status_code == 302
