"""`caseflow worker` as people run it: a separate process that runs jobs until Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from caseflow.cli import main
from caseflow.jobs.models import JobStatus
from caseflow.jobs.queue import close_queue
from tests.jobs.conftest import job_row, wait_for
from tests.jobs.test_jobs import start_job


def test_help_lists_the_worker(committed_app):
    result = committed_app.test_cli_runner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0
    assert "-w, --workers" in result.output and "ワーカーを起動します" in result.output


def test_caseflow_worker_runs_jobs_and_stops_on_ctrl_c(committed_app, world, tmp_path):
    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue_name = f"caseflow_test_{uuid.uuid4().hex[:12]}"
    committed_app.config.update(QUEUE_URL=queue_url, QUEUE_NAME=queue_name)
    env = {**os.environ, "CASEFLOW_DATABASE_URL": committed_app.config["DATABASE_URL"],
           "CASEFLOW_INSTANCE_PATH": str(tmp_path / "instance"), "CASEFLOW_SECRET_KEY": "test-secret",
           "CASEFLOW_QUEUE_URL": queue_url, "CASEFLOW_QUEUE_NAME": queue_name}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("caseflow")), "worker"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        job_id = start_job(committed_app, world.admin_id, "selftest", {"count": 3, "delay": 0})
        wait_for(lambda: job_row(committed_app, job_id)["status"] == JobStatus.SUCCEEDED, timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        close_queue(committed_app)
    output = log.read_text()
    assert code == 0, output
    assert f"ワーカーを起動しました: SQLite {tmp_path / 'queue.sqlite3'}" in output, output
    assert "selftest" in output and f"job {job_id} (selftest) succeeded" in output, output
    assert "ワーカーを停止しました。" in output, output
