"""A worker killed mid-job: the job is found when a worker starts and runs again, once, from the start."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs import recovery
from caseflow.jobs.models import Job, JobStatus
from caseflow.jobs.queue import close_queue, huey_for, recover_interrupted_jobs
from caseflow.jobs.recovery import GAVE_UP_MESSAGE, RESUMED_MESSAGE
from tests.jobs.conftest import job_row, wait_for
from tests.jobs.test_jobs import start_job


def _worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([str(Path(sys.executable).with_name("caseflow")), "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_a_job_whose_worker_was_killed_runs_again_when_a_worker_starts(committed_app, world, tmp_path):
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue_name = f"caseflow_test_{uuid.uuid4().hex[:12]}"
    committed_app.config.update(QUEUE_URL=queue_url, QUEUE_NAME=queue_name)
    env = {**os.environ, "CASEFLOW_DATABASE_URL": committed_app.config["DATABASE_URL"],
           "CASEFLOW_INSTANCE_PATH": str(tmp_path / "instance"), "CASEFLOW_SECRET_KEY": "test-secret",
           "CASEFLOW_QUEUE_URL": queue_url, "CASEFLOW_QUEUE_NAME": queue_name}
    log = tmp_path / "worker.log"
    first = _worker(env, log)
    second = None
    try:
        job_id = start_job(committed_app, world.admin_id, "selftest", {"count": 40, "delay": 0.25})
        wait_for(lambda: job_row(committed_app, job_id)["status"] == JobStatus.RUNNING, timeout=60)
        time.sleep(1.0)
        first.kill()  # SIGKILL: no clean-up, no "interrupted" mark
        first.wait(timeout=30)
        row = job_row(committed_app, job_id)
        assert row["status"] == JobStatus.RUNNING and row["claimed_by"].endswith(f":{first.pid}")
        assert row["attempts"] == 1

        second = _worker(env, log)
        done = wait_for(lambda: (r := job_row(committed_app, job_id))["status"] == JobStatus.SUCCEEDED and r,
                        timeout=90)
        assert done["attempts"] == 2 and done["result"]["counted"] == 40
        assert done["claimed_by"].endswith(f":{second.pid}")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)
        close_queue(committed_app)
    output = log.read_text()
    assert f"中断されていた処理 1件を、もう一度実行します（処理番号 {job_id}）" in output, output
    assert output.count(f"job {job_id} (selftest) succeeded") == 1, output


def _set(app, job_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        db.session.commit()


def test_a_job_on_another_machine_is_recovered_only_when_its_heartbeat_stops(jobs_app, world):
    job_id = start_job(jobs_app, world.admin_id, "selftest", {"count": 1}, send=False)
    now = utcnow()
    _set(jobs_app, job_id, status=JobStatus.RUNNING, claimed_by="other-host:4242", attempts=1,
         heartbeat_at=now - dt.timedelta(minutes=1))
    assert recover_interrupted_jobs(jobs_app) == []
    assert job_row(jobs_app, job_id)["status"] == JobStatus.RUNNING
    _set(jobs_app, job_id, heartbeat_at=now - dt.timedelta(minutes=6))
    assert recover_interrupted_jobs(jobs_app) == [job_id]
    row = job_row(jobs_app, job_id)
    assert row["status"] == JobStatus.QUEUED and row["message"] == RESUMED_MESSAGE and row["claimed_by"] is None
    assert [task.args[0] for task in huey_for(jobs_app).pending()] == [job_id]


def test_a_job_interrupted_three_times_is_given_up(jobs_app, world):
    job_id = start_job(jobs_app, world.admin_id, "selftest", {"count": 1}, send=False)
    _set(jobs_app, job_id, status=JobStatus.RUNNING, claimed_by="other-host:4242", attempts=3, heartbeat_at=None)
    assert recover_interrupted_jobs(jobs_app) == []
    row = job_row(jobs_app, job_id)
    assert row["status"] == JobStatus.FAILED and row["error"] == GAVE_UP_MESSAGE


def test_a_waiting_job_whose_task_was_lost_is_queued_again_once(jobs_app, world):
    lost = start_job(jobs_app, world.admin_id, "selftest", {"count": 1}, send=False)
    fresh = start_job(jobs_app, world.admin_id, "selftest", {"count": 1}, send=False)
    _set(jobs_app, lost, created_at=utcnow() - dt.timedelta(minutes=2))
    assert recover_interrupted_jobs(jobs_app) == [lost]  # the fresh one may still be on its way
    assert recover_interrupted_jobs(jobs_app) == []  # already pending now
    assert fresh not in [task.args[0] for task in huey_for(jobs_app).pending()]


def test_a_live_worker_on_this_machine_keeps_its_job(jobs_app, world):
    job_id = start_job(jobs_app, world.admin_id, "selftest", {"count": 1}, send=False)
    _set(jobs_app, job_id, status=JobStatus.RUNNING, claimed_by=recovery.worker_id(), attempts=1, heartbeat_at=None)
    assert recover_interrupted_jobs(jobs_app) == []
    assert job_row(jobs_app, job_id)["status"] == JobStatus.RUNNING
