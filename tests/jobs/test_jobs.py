"""Background jobs end to end: a real Huey consumer on the embedded SQLite queue and on Redis,
against SQLite and PostgreSQL databases with real commits."""

from __future__ import annotations

import json
import re
import threading
import uuid

import pytest
import sqlalchemy as sa
from huey import MemoryHuey, SqliteHuey

from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.jobs import operations, queue, recovery
from caseflow.jobs.models import Job, JobStatus
from caseflow.jobs.queue import JobFailed, Progress, job_task, result_link
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.users.models import User
from tests.conftest import PASSWORD, csrf_token, pass_second_factor, valid_number
from tests.jobs.conftest import job_row, wait_for

# --- job kinds used by these tests, registered as any area registers its own ------------------

GATES: dict[str, threading.Event] = {}
RUNS: dict[str, int] = {}


def new_token() -> str:
    """A job parameter unique to one test, in letters only: a uuid's hex digits can, now and then,
    run into twelve that pass as a My Number, which job parameters refuse."""
    return uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))


@job_task("test_gated", label="テスト（合図を待つ処理）")
def gated(job: Job, progress: Progress) -> dict:
    """Writes a row, reports half-way, then waits for the test's signal before finishing."""
    token = job.params["token"]
    db.session.add(Organization(code=f"G{token[:10]}", name="処理中に作られた組織",
                                kind=OrganizationKind.LINKING_AGENCY))
    db.session.flush()
    progress(1, 2, "半分まで終わりました。")
    if not GATES[token].wait(timeout=20):
        raise RuntimeError("the test never opened the gate")
    progress(2, 2, "すべて終わりました。")
    return {"links": [result_link("自分の担当へ", "cases.my_queue")]}


@job_task("test_refused", label="テスト（読めないデータ）")
def refused(job: Job, progress: Progress) -> None:
    progress(1, 3, "1行目を読みました。")
    raise JobFailed("3行目の生年月日が読めません（2026年2月30日）。")


@job_task("test_crashes", label="テスト（想定外のエラー）")
def crashes(job: Job, progress: Progress) -> None:
    db.session.add(Organization(code=f"X{job.params['token'][:10]}", name="残ってはいけない組織",
                                kind=OrganizationKind.LINKING_AGENCY))
    db.session.flush()
    progress(1, 2)
    raise RuntimeError("internal detail that users must not see")


@job_task("test_waits", label="テスト（待つだけの処理）")
def waits(job: Job, progress: Progress) -> None:
    progress(1, 2, "合図を待っています。")
    GATES[job.params["token"]].wait(timeout=20)


@job_task("test_counts_runs", label="テスト（実行回数）")
def counts_runs(job: Job, progress: Progress) -> dict:
    RUNS[job.params["token"]] = RUNS.get(job.params["token"], 0) + 1
    progress(1, 1)
    return {"ran": True}


@job_task("test_loses_database", label="テスト（データベースの再起動）")
def loses_database(job: Job, progress: Progress) -> dict:
    """Writes a row; on its first run its database connection is cut, as a PostgreSQL restart cuts it."""
    token = job.params["token"]
    RUNS[token] = RUNS.get(token, 0) + 1
    db.session.add(Organization(code=f"L{token[:8]}{RUNS[token]}", name="処理中に作られた組織",
                                kind=OrganizationKind.LINKING_AGENCY))
    db.session.flush()
    if RUNS[token] == 1:
        db.session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
    return {"runs": RUNS[token]}


# --- helpers ---------------------------------------------------------------------------------


def log_in(app, login: str):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "login": login, "password": PASSWORD})
    response = pass_second_factor(client, response)  # administrators enter a code too
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def start_job(app, user_id: int, kind: str, params: dict | None = None, *, send: bool = True) -> int:
    """As a view does it: create, commit once, then dispatch."""
    with app.app_context():
        user = db.session.get(User, user_id)
        job = operations.create_job(db.session, kind, user, params)
        db.session.commit()
        if send:
            assert operations.dispatch(job) is True
        return job.id


def status(client, job_id: int) -> dict:
    response = client.get(f"/jobs/{job_id}/status")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def finished(client, job_id: int):
    state = status(client, job_id)
    return state if state["finished"] else None


# --- the whole path: queued → running (with progress) → succeeded -------------------------------------


def test_selftest_goes_from_queued_through_running_to_succeeded(jobs_app, worker, world, backend):
    client = log_in(jobs_app, "job-admin")
    response = client.post("/jobs/selftest", data={"csrf_token": csrf_token(client, "/cases/"),
                                                   "count": "20", "delay": "0.05"})
    assert response.status_code == 303
    job_id = int(re.fullmatch(r"/jobs/(\d+)", response.headers["Location"]).group(1))

    # No worker yet: it waits in the queue.
    waiting = status(client, job_id)
    assert waiting == {"status": "queued", "status_label": "開始待ち", "done": 0, "total": None, "percent": None,
                       "message": "開始を待っています。", "finished": False}
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and "開始待ち" in page and 'data-job-status-url="/jobs/%d/status"' % job_id in page

    worker.start()
    seen = []

    def observe():
        state = status(client, job_id)
        seen.append(state)
        return state["finished"]

    wait_for(observe)
    running = [s for s in seen if s["status"] == "running" and 0 < s["done"] < 20]
    assert running, f"no progress seen while running: {seen}"
    assert all(s["total"] == 20 and s["percent"] == s["done"] * 100 // 20 for s in running)
    assert running[0]["message"].endswith("を数えました。")
    dones = [s["done"] for s in seen if s["status"] == "running"]
    assert dones == sorted(dones)

    final = seen[-1]
    assert final == {"status": "succeeded", "status_label": "完了", "done": 20, "total": 20, "percent": 100,
                     "message": "20 / 20 を数えました。", "finished": True, "result_url": "/cases/mine"}
    row = job_row(jobs_app, job_id)
    assert row["started_at"] is not None and row["finished_at"] >= row["started_at"]
    assert row["result"]["counted"] == 20 and row["result"]["database"] == backend.kind
    assert row["params"] == {"count": 20, "delay": 0.05}
    assert row["created_by_id"] == world.admin_id and row["organization_id"] == world.agency_id

    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'value="100"' in page and "完了" in page
    assert '<a href="/cases/mine">自分の担当の案件へ</a>' in page
    assert "job-progress.js" not in page  # finished: nothing left to poll


def test_progress_is_visible_while_the_jobs_work_is_uncommitted(jobs_app, worker, world):
    client = log_in(jobs_app, "job-worker")  # before the job holds any lock
    token = new_token()
    GATES[token] = threading.Event()
    try:
        job_id = start_job(jobs_app, world.worker_id, "test_gated", {"token": token})
        worker.start()
        state = wait_for(lambda: (s := status(client, job_id))["done"] == 1 and s)
        assert state["status"] == "running" and state["total"] == 2 and state["percent"] == 50
        assert state["message"] == "半分まで終わりました。"
        page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
        assert 'value="50"' in page and "半分まで終わりました。" in page and "実行中" in page

        # The job's own write is not committed yet, while its progress is already seen.
        code = f"G{token[:10]}"
        with db.state(jobs_app).engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).where(Organization.code == code)) == 0
        assert job_row(jobs_app, job_id)["status"] == JobStatus.RUNNING

        GATES[token].set()
        final = wait_for(lambda: finished(client, job_id))
        assert final["status"] == "succeeded" and final["message"] == "すべて終わりました。"
        with db.state(jobs_app).engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).where(Organization.code == code)) == 1
    finally:
        GATES.pop(token).set()


# --- failures ------------------------------------------------------------------------------------------------


def test_a_refused_job_ends_failed_with_its_japanese_message(jobs_app, worker, world):
    client = log_in(jobs_app, "job-worker")
    job_id = start_job(jobs_app, world.worker_id, "test_refused")
    worker.start()
    final = wait_for(lambda: finished(client, job_id))
    assert final["status"] == "failed" and final["status_label"] == "失敗"
    assert final["message"] == "3行目の生年月日が読めません（2026年2月30日）。"
    assert (final["done"], final["total"]) == (1, 3)  # how far it got
    assert "result_url" not in final
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert re.search(r'role="alert"[^>]*>3行目の生年月日が読めません', page)


def test_an_unexpected_error_fails_the_job_rolls_its_work_back_and_keeps_the_traceback_in_the_log(
        jobs_app, worker, world, caplog):
    client = log_in(jobs_app, "job-worker")
    token = new_token()
    job_id = start_job(jobs_app, world.worker_id, "test_crashes", {"token": token})
    worker.start()
    final = wait_for(lambda: finished(client, job_id))

    assert final["status"] == "failed"
    assert final["message"] == f"{queue.FAILED_MESSAGE}（処理番号 {job_id}）"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    json_text = client.get(f"/jobs/{job_id}/status").get_data(as_text=True)
    for shown in (page, json_text):
        assert "Traceback" not in shown and "internal detail" not in shown and "RuntimeError" not in shown
    assert queue.FAILED_MESSAGE in page
    # The traceback went to the log.
    logged = [r for r in caplog.records if r.name == "caseflow.jobs" and r.exc_info]
    assert logged and "internal detail that users must not see" in caplog.text and "Traceback" in caplog.text
    # Nothing the job wrote was kept.
    with db.state(jobs_app).engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).where(Organization.code == f"X{token[:10]}")) == 0
    assert job_row(jobs_app, job_id)["error"] == final["message"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # a connection cut by the server
def test_a_job_whose_database_goes_away_waits_and_runs_again_from_the_start(jobs_app, worker, world):
    token = new_token()
    job_id = start_job(jobs_app, world.worker_id, "test_loses_database", {"token": token})
    worker.start()
    wait_for(lambda: job_row(jobs_app, job_id)["status"] == JobStatus.QUEUED and RUNS.get(token) == 1)
    row = job_row(jobs_app, job_id)
    assert row["message"] == recovery.RESUMED_AFTER_OUTAGE and row["attempts"] == 1
    with jobs_app.app_context():  # the next sweep, a minute on
        waiting = db.session.get(Job, job_id)
        waiting.created_at -= recovery.LOST_AFTER * 2
        db.session.commit()
    assert queue.recover_interrupted_jobs(jobs_app) == [job_id]
    wait_for(lambda: job_row(jobs_app, job_id)["status"] == JobStatus.SUCCEEDED)
    assert RUNS[token] == 2 and job_row(jobs_app, job_id)["attempts"] == 2
    with db.state(jobs_app).engine.connect() as conn:  # the first run's row rolled back, the second's kept
        codes = conn.scalars(sa.select(Organization.code).where(Organization.code.like(f"L{token[:8]}%"))).all()
    assert codes == [f"L{token[:8]}2"]


def test_a_kind_the_worker_does_not_know_fails_clearly(jobs_app, worker, world):
    with jobs_app.app_context():
        job = Job(kind="no_such_kind", created_by_id=world.worker_id, organization_id=world.agency_id, params={})
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    queue.enqueue(jobs_app, job_id)
    worker.start()
    client = log_in(jobs_app, "job-worker")
    final = wait_for(lambda: finished(client, job_id))
    assert final["status"] == "failed"
    assert final["message"] == "この種類の処理（no_such_kind）は、このワーカーでは実行できません。"


def test_a_job_delivered_twice_runs_once(jobs_app, worker, world):
    token = new_token()
    job_id = start_job(jobs_app, world.worker_id, "test_counts_runs", {"token": token})
    queue.enqueue(jobs_app, job_id)  # e.g. dispatched again by mistake
    worker.start()
    wait_for(lambda: queue.huey_for(jobs_app).pending_count() == 0
             and job_row(jobs_app, job_id)["status"] == JobStatus.SUCCEEDED)
    worker.stop()  # waits for the second delivery, if it was being handled
    assert RUNS.pop(token) == 1


def test_a_worker_stopped_at_once_puts_its_running_job_back_to_run_again(jobs_app, worker, world):
    client = log_in(jobs_app, "job-worker")
    token = new_token()
    GATES[token] = threading.Event()
    try:
        job_id = start_job(jobs_app, world.worker_id, "test_waits", {"token": token})
        worker.start()
        wait_for(lambda: status(client, job_id)["done"] == 1)
        # What the consumer does on SIGTERM: stop without waiting, then report what was cut short.
        worker.consumer.stop()
        queue.huey_for(jobs_app).notify_interrupted_tasks()
        state = status(client, job_id)
        assert state["status"] == "queued" and state["message"] == recovery.RESUMED_MESSAGE
    finally:
        GATES.pop(token).set()
    # The cut-short run, still alive in this process, reaches its end: it no longer holds the job
    # and keeps nothing; the job waits for the sweep to queue it again.
    wait_for(lambda: not any(thread.is_alive() for _, thread in worker.consumer.worker_threads))
    state = job_row(jobs_app, job_id)
    assert state["status"] == JobStatus.QUEUED and state["message"] == recovery.RESUMED_MESSAGE


def test_a_job_made_while_the_queue_is_unreachable_waits_and_the_sweep_queues_it(committed_app, world, tmp_path):
    committed_app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with committed_app.app_context():
            user = db.session.get(User, world.worker_id)
            job = operations.create_job(db.session, "selftest", user, {})
            db.session.commit()
            assert operations.dispatch(job) is False
            job_id = job.id
    finally:
        queue.close_queue(committed_app)
    row = job_row(committed_app, job_id)
    # Not lost, not failed: waiting, and the user is told it will start by itself.
    assert row["status"] == JobStatus.QUEUED and row["message"] == queue.DISPATCH_DELAYED_MESSAGE
    committed_app.config["QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"  # the queue is back
    try:
        with committed_app.app_context():
            waiting = db.session.get(Job, job_id)
            waiting.created_at -= recovery.LOST_AFTER * 2  # the sweep leaves a job just made alone
            db.session.commit()
        assert queue.recover_interrupted_jobs(committed_app) == [job_id]
        assert [task.args[0] for task in queue.huey_for(committed_app).pending()] == [job_id]
    finally:
        queue.close_queue(committed_app)


# --- who sees a job -------------------------------------------------------------------------------------------


def test_only_the_jobs_organisation_sees_it(committed_app, world):
    job_id = start_job(committed_app, world.worker_id, "selftest", send=False)
    colleague = log_in(committed_app, "job-admin")
    assert colleague.get(f"/jobs/{job_id}").status_code == 200
    assert colleague.get(f"/jobs/{job_id}/status").status_code == 200

    outsider = log_in(committed_app, "job-outsider")
    for missing in (job_id, job_id + 1000):
        page = outsider.get(f"/jobs/{missing}")
        assert page.status_code == 404 and "処理が見つかりません" in page.get_data(as_text=True)
        response = outsider.get(f"/jobs/{missing}/status")
        assert response.status_code == 404 and response.get_json() == {"error": "処理が見つかりません。"}

    anonymous = committed_app.test_client()
    assert anonymous.get(f"/jobs/{job_id}").status_code == 302
    assert anonymous.get(f"/jobs/{job_id}/status").status_code == 302


def test_the_page_loads_its_script_from_a_file(committed_app, world):
    """The CSP allows scripts from 'self' only: no inline script on the page."""
    job_id = start_job(committed_app, world.worker_id, "selftest", send=False)
    page = log_in(committed_app, "job-worker").get(f"/jobs/{job_id}").get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script src="/static/js/job-progress.js" defer>']
    with committed_app.test_client().get("/static/js/job-progress.js") as script:
        assert script.status_code == 200 and b"data-job-status-url" in script.data


# --- starting jobs --------------------------------------------------------------------------------------------


def test_only_an_administrator_starts_a_selftest(committed_app, world):
    client = log_in(committed_app, "job-worker")
    response = client.post("/jobs/selftest", data={"csrf_token": csrf_token(client, "/cases/")})
    assert response.status_code == 403
    with committed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


@pytest.mark.parametrize("raw", [valid_number(123), "{0} {1} {2}".format(*re.findall(r"\d{4}", valid_number(456))),
                                 "".join(chr(ord(c) + 0xFEE0) for c in valid_number(789))])
def test_params_never_hold_a_my_number(app, make_user, raw):
    user = make_user()
    with pytest.raises(DomainError, match="個人番号を含めることはできません"):
        operations.create_job(db.session, "selftest", user, {"filter": {"number": raw}})
    with pytest.raises(DomainError):
        operations.create_job(db.session, "selftest", user, {"numbers": [int(valid_number(12_345_678_901))]})


def test_params_may_hold_other_numbers(app, make_user):
    user = make_user()
    number = valid_number(123)
    wrong_check_digit = number[:11] + str((int(number[11]) + 1) % 10)
    job = operations.create_job(db.session, "selftest", user, {"code": wrong_check_digit, "rows": 1_234_567,
                                                               "date": "2026-11-23", "phone": "017-734-1111"})
    assert job.status is JobStatus.QUEUED and job.organization_id == user.organization_id


def test_unknown_kinds_and_uncommitted_jobs_are_programming_errors(app, make_user):
    user = make_user()
    with pytest.raises(ValueError, match="unknown job kind"):
        operations.create_job(db.session, "no_such_kind", user)
    with pytest.raises(RuntimeError, match="after it has been flushed and committed"):
        operations.dispatch(Job(kind="selftest", created_by_id=user.id, organization_id=user.organization_id))


def test_progress_reports_go_to_the_queue_store_and_never_hold_a_my_number():
    huey = MemoryHuey("progress-test")
    progress = Progress(huey, job_id=7)
    progress(3, 10, "3 / 10 件目を処理しました。")
    assert json.loads(huey.storage.peek_data("caseflow.job.7.progress")) == {
        "done": 3, "total": 10, "message": "3 / 10 件目を処理しました。"}
    with pytest.raises(ValueError, match="must not contain a My Number"):
        progress(4, 10, f"{valid_number(42)} を処理中")
    with pytest.raises(ValueError, match="never negative"):
        progress(-1, 10)
    progress.clear()
    assert not huey.storage.has_data_for_key("caseflow.job.7.progress")
    assert not queue.contains_my_number("123,456 件目を処理中（2026-11-23 12:00）")


def test_the_default_queue_is_a_sqlite_file_in_the_instance_folder(committed_app, tmp_path):
    committed_app.instance_path = str(tmp_path / "instance")
    committed_app.config.update(QUEUE_URL=None, QUEUE_NAME="caseflow")
    try:
        huey = queue.huey_for(committed_app)
        assert huey is queue.huey_for(committed_app)  # one per app
        assert isinstance(huey, SqliteHuey) and huey.storage.filename == str(tmp_path / "instance" / "queue.sqlite3")
        assert queue.describe_queue(committed_app).startswith(f"SQLite {tmp_path / 'instance' / 'queue.sqlite3'}")
    finally:
        queue.close_queue(committed_app)
    assert (tmp_path / "instance" / "queue.sqlite3").exists()


def test_a_redis_password_is_never_shown(committed_app):
    committed_app.config.update(QUEUE_URL="redis://:s3cret@queue.example:6380/2", QUEUE_NAME="caseflow")
    described = queue.describe_queue(committed_app)
    assert described == "Redis redis://queue.example:6380/2（キュー名 caseflow）"
    committed_app.config["QUEUE_URL"] = "amqp://elsewhere"
    with pytest.raises(RuntimeError, match="CASEFLOW_QUEUE_URL"):
        queue.huey_for(committed_app)
