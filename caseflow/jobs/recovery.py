"""Jobs whose worker died (killed, machine lost) are found and run again from the start.

A job does its work in one transaction, so a worker that dies mid-run leaves nothing
half-written: the job's row stays ``running`` and its task is gone from the queue. When a
worker starts (and every five minutes while it runs) it looks for such jobs: on its own
machine, a job claimed by a process that no longer exists; on any machine, a job whose
worker has not sent a heartbeat for ``STALE_AFTER``. The job goes back on the queue and
runs again, at most ``MAX_ATTEMPTS`` times in all. Jobs still waiting whose task was lost
(a queue emptied, a queue unreachable when the job was created) are put on the queue again;
delivering one twice is harmless, a job is claimed by one worker only.

This module knows the jobs' rows, not the queue: ``caseflow.jobs.queue`` claims a job with
``worker_id``, beats its ``Heartbeat``, records a job that did not finish with ``mark_failed``,
and puts what ``jobs_to_requeue`` finds back on the queue (``recover_interrupted_jobs``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

import sqlalchemy as sa
from flask import Flask

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

RESUMED_MESSAGE = "前回の実行がワーカーの停止で中断されたため、最初からやり直します。"
GAVE_UP_MESSAGE = "ワーカーの停止で3回中断されたため、処理を中止しました。システム管理者にお問い合わせください。"

RESUMED_AFTER_OUTAGE = "データベースまたは処理待ちの列に一時的に接続できなかったため、最初からやり直します。"

HEARTBEAT_SECONDS = 30
STALE_AFTER = dt.timedelta(minutes=5)
LOST_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 3


def worker_id() -> str:
    """host:pid of this process (a forked worker gets its own pid)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


class Heartbeat:
    """While a job runs, its row's heartbeat_at is renewed from a thread of its own.

    Not on SQLite: the job's transaction holds the database's write lock, and a SQLite
    database has its workers on one machine, where a dead process is seen directly.
    """

    def __init__(self, app: Flask, job_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self._stop = threading.Event()
        self._thread = None
        if db.engine.dialect.name != "sqlite":
            self._thread = threading.Thread(target=self._beat, args=(app, job_id, every), daemon=True,
                                            name=f"heartbeat-{job_id}")
            self._thread.start()

    def _beat(self, app: Flask, job_id: int, every: float) -> None:
        while not self._stop.wait(every):
            try:
                with app.app_context(), db.engine.begin() as conn:
                    conn.execute(sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                                 .values(heartbeat_at=utcnow()))
            except sa.exc.SQLAlchemyError:
                logger.warning("heartbeat of job %s not written", job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def worker_is_gone(claimed_by: str | None, heartbeat_at: dt.datetime | None, now: dt.datetime,
                   *, stale_after: dt.timedelta = STALE_AFTER) -> bool:
    """Whether the worker that claimed a running job can no longer be running it."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host == socket.gethostname()[:100] and pid.isdigit():
        return int(pid) != os.getpid() and not _process_alive(int(pid))
    return heartbeat_at is None or now - heartbeat_at > stale_after


class _Counts(Protocol):
    """What mark_failed keeps of a job's progress (caseflow.jobs.queue.Progress)."""

    done: int
    total: int | None
    message: str | None


def put_back(job_id: int, *, message: str = RESUMED_AFTER_OUTAGE, tries: int = 30, wait: float = 2.0) -> bool:
    """Set a running job that was cut short back to waiting, with ``message`` (the sweep queues it
    again): one that lost its database or queue, trying for a minute while the database comes
    back, or one whose worker was told to stop at once (RESUMED_MESSAGE); failed after
    MAX_ATTEMPTS. If the database stays away longer, the job's heartbeat stops and the sweep finds
    it (STALE_AFTER). The claim is released: should the interrupted run still reach its end, it
    keeps nothing (caseflow.jobs.queue finishes a job only while it holds the claim)."""
    for _ in range(tries):
        try:
            db.session.rollback()
            moved = db.session.execute(
                sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING,
                                     Job.attempts < MAX_ATTEMPTS)
                .values(status=JobStatus.QUEUED, message=message, claimed_by=None, heartbeat_at=None)
                .execution_options(synchronize_session=False)).rowcount
            db.session.commit()
            if not moved and db.session.scalar(sa.select(Job.status).where(Job.id == job_id)) is JobStatus.RUNNING:
                mark_failed(job_id, GAVE_UP_MESSAGE)  # cut short MAX_ATTEMPTS times (not: put back or ended meanwhile)
            return bool(moved)
        except sa.exc.SQLAlchemyError:
            time.sleep(wait)  # the database is still coming back
    return False


def note_waiting(job_id: int, message: str) -> None:
    """Tell, in its own transaction, why a waiting job has not started yet (the queue unreachable)."""
    session = db.session
    session.execute(sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                    .values(message=message).execution_options(synchronize_session=False))
    session.commit()


def mark_failed(job_id: int, message: str, progress: _Counts | None = None) -> None:
    """Record in its own transaction that a job which had not finished has failed."""
    values: dict = {"status": JobStatus.FAILED, "error": message, "finished_at": utcnow()}
    if progress is not None:
        values.update(progress_done=progress.done, progress_total=progress.total, message=progress.message)
    session = db.session
    session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def jobs_to_requeue(app: Flask, pending: Callable[[], Collection[int]], *,
                    stale_after: dt.timedelta = STALE_AFTER) -> list[int]:
    """The jobs to put on the queue again: those of dead workers, and waiting jobs whose task was lost.

    A dead worker's job is set back to waiting (or failed, after ``MAX_ATTEMPTS``); ``pending()``
    gives the ids of the jobs whose task is on the queue. The caller puts the jobs returned on the
    queue (caseflow.jobs.queue.recover_interrupted_jobs): this module does not know the queue.
    """
    requeued: list[int] = []
    with app.app_context():
        session = db.session
        now = utcnow()
        running = session.execute(
            sa.select(Job.id, Job.claimed_by, Job.heartbeat_at, Job.attempts).where(Job.status == JobStatus.RUNNING)
        ).all()
        for job_id, claimed_by, heartbeat_at, attempts in running:
            if not worker_is_gone(claimed_by, heartbeat_at, now, stale_after=stale_after):
                continue
            if attempts >= MAX_ATTEMPTS:
                logger.warning("job %s interrupted %s times: given up", job_id, attempts)
                mark_failed(job_id, GAVE_UP_MESSAGE)
                continue
            moved = session.execute(
                sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.claimed_by == claimed_by)
                .values(status=JobStatus.QUEUED, message=RESUMED_MESSAGE, claimed_by=None, heartbeat_at=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
            if moved:
                logger.warning("job %s: its worker %s is gone; queued again", job_id, claimed_by)
                requeued.append(job_id)
        on_queue = set(pending())
        waiting = session.scalars(
            sa.select(Job.id).where(Job.status == JobStatus.QUEUED, Job.created_at < now - LOST_AFTER)
        ).all()
        requeued += [job_id for job_id in waiting if job_id not in on_queue and job_id not in requeued]
    return requeued
