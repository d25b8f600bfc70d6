"""An inspection's partitions graded by every running worker (on the embedded queue and on Redis):
the result file and the cases are those of one process, each case opened once."""

from __future__ import annotations

import math
import signal
import threading
import time

import polars as pl
import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.core.storage import files_root
from caseflow.extensions import db
from caseflow.inspections import distributed
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.inspections.operations import RESULT_FILE, batch_directory, start_inspection
from caseflow.inspections.tasks import queue_inspection
from caseflow.jobs import queue
from caseflow.jobs.operations import dispatch
from caseflow.jobs.queue import create_consumer
from caseflow.matching import partitioned
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user
from caseflow_synthetic import write_dataset
from tests.conftest import PASSWORD
from tests.jobs.conftest import job_row, wait_for


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(3_000, tmp_path_factory.mktemp("distributed"), seed=21)


@pytest.fixture
def small_partitions(monkeypatch):
    monkeypatch.setattr(partitioned, "PARTITION_ABOVE_BYTES", 1)  # every upload counts as large
    monkeypatch.setattr(partitioned, "BYTES_PER_PARTITION", 100_000)


@pytest.fixture
def graders(monkeypatch):
    """Which thread graded each partition; each partition takes a little longer, so that a second
    worker surely finds some left to take."""
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()
    original = distributed.grade_partition

    def grade_and_record(work, part):
        original(work, part)
        with lock:
            seen.append((part, threading.current_thread().name))
        time.sleep(0.2)

    monkeypatch.setattr(distributed, "grade_partition", grade_and_record)
    return seen


def _consumer(app, workers: int):
    consumer = create_consumer(app, workers=workers, initial_delay=0.02, max_delay=0.1, shutdown_timeout=30)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        consumer.start()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return consumer


def _inspect_on_workers(app, dataset, workers: int) -> int:
    with app.app_context():
        load_reference(db.session)
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = db.session.scalars(sa.select(Program).where(Program.code == "disability-handbook")).one()
        user = create_user(db.session, login="distributed", display_name="担当 花子", organization=aomori,
                           roles={Role.CASEWORKER}, password=PASSWORD)
        with open(dataset["records"], "rb") as records, open(dataset["registry"], "rb") as registry:
            batch = start_inspection(db.session, user, agency=aomori, program=program,
                                     records=("records.csv", records), registry=("registry.csv", registry),
                                     root=files_root(app))
        job = queue_inspection(db.session, batch, db.session.get(User, user.id))
        db.session.commit()
        batch_id, job_id = batch.id, job.id
        assert dispatch(job, app)
    consumer = _consumer(app, workers)
    try:
        row = wait_for(lambda: (r := job_row(app, job_id))["status"].value in ("succeeded", "failed") and r,
                       timeout=120)
    finally:
        consumer.stop(graceful=True)
    assert row["status"].value == "succeeded", row["message"]
    return batch_id


def _partitions(dataset) -> int:
    size = dataset["records"].stat().st_size + dataset["registry"].stat().st_size
    return math.ceil(size / 2 / partitioned.BYTES_PER_PARTITION)


def _one_process(dataset, tmp_path) -> tuple[bytes, pl.DataFrame]:
    """The same files graded in this process, partition after partition: the result and the B and C."""
    flagged = []
    summary = partitioned.grade_files(dataset["records"], dataset["registry"], tmp_path / "one.csv",
                                      partitions=_partitions(dataset), on_graded=flagged.append)
    assert summary.partitions == _partitions(dataset) > 2
    return (tmp_path / "one.csv").read_bytes(), pl.concat(flagged)


@pytest.mark.parametrize("workers", [1, 2])
def test_partitions_graded_by_the_workers_give_what_one_process_gives(jobs_app, dataset, small_partitions,
                                                                      graders, workers, tmp_path):
    batch_id = _inspect_on_workers(jobs_app, dataset, workers)
    result, flagged = _one_process(dataset, tmp_path)

    with jobs_app.app_context():
        batch = db.session.get(InspectionBatch, batch_id)
        assert batch.status is BatchStatus.DONE
        directory = batch_directory(files_root(jobs_app), batch_id)
        assert (directory / RESULT_FILE).read_bytes() == result  # byte for byte
        cases = db.session.execute(
            sa.select(Case.source_record_id, Case.grade, Case.grade_reason, Case.field_verdicts)
            .where(Case.batch_id == batch_id)).all()
        assert (batch.records_inspected, batch.cases_opened) == (3_000, flagged.height)
        assert (batch.count_b, batch.count_c) == (flagged.filter(pl.col("grade") == "B").height,
                                                  flagged.filter(pl.col("grade") == "C").height)
        # each B and C opened once: as many cases as records, and no record twice
        ids = [c.source_record_id for c in cases]
        assert len(ids) == len(set(ids)) == flagged.height
        expected = {row["record_id"]: (row["grade"], row["reason"]) for row in flagged.iter_rows(named=True)}
        assert {c.source_record_id: (c.grade.value, c.grade_reason) for c in cases} == expected
        # nothing of the split is left behind, and no upload (they hold My Numbers)
        assert sorted(p.name for p in directory.iterdir()) == [RESULT_FILE, RESULT_FILE + ".sha256"]

    parts = sorted(part for part, _thread in graders)
    assert parts == list(range(_partitions(dataset)))  # each partition graded once
    assert len({thread for _part, thread in graders}) == workers  # by every worker running


def test_a_partition_left_by_a_stopped_worker_is_graded_by_the_job(jobs_app, dataset, small_partitions,
                                                                   graders, monkeypatch, tmp_path):
    """A worker that claimed a partition and stopped: the job grades it itself once it is overdue."""
    monkeypatch.setattr(distributed, "OVERDUE_MIN_SECONDS", 1.0)
    stopped: list[int] = []

    def claim_and_stop(app, where, part):
        if not stopped and distributed._claim(app, where, part):
            stopped.append(part)  # claimed, never graded

    monkeypatch.setitem(queue._SHARES, distributed.TASK, claim_and_stop)  # before the queue is built
    batch_id = _inspect_on_workers(jobs_app, dataset, 2)
    result, flagged = _one_process(dataset, tmp_path)
    with jobs_app.app_context():
        batch = db.session.get(InspectionBatch, batch_id)
        assert (batch_directory(files_root(jobs_app), batch_id) / RESULT_FILE).read_bytes() == result
        assert batch.cases_opened == flagged.height
    assert len(stopped) == 1
    assert sorted(part for part, _thread in graders) == list(range(_partitions(dataset)))
