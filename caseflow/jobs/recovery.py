"""Jobs whose worker died (killed, machine lost) are found and run again from the start.

A job does its work in one transaction, so a worker that dies mid-run leaves nothing
half-written: the job's row stays ``running`` and its task is gone from the queue. When a
worker starts (and every five minutes while it runs) it looks for such jobs: on its own
machine, a job claimed by a process that no longer exists; on any machine, a job whose
worker has not sent a heartbeat for ``STALE_AFTER``. The job goes back on the queue and
runs again, at most ``MAX_ATTEMPTS`` times in all. Jobs still waiting whose task was lost
(a queue emptied) are put on the queue again; delivering one twice is harmless, a job is
claimed by one worker only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

import sqlalchemy as sa
from flask import Flask

from caseflow.db import utcnow
from caseflow.extensions import db
from caseflow.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

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


def recover_interrupted_jobs(app: Flask, *, stale_after: dt.timedelta = STALE_AFTER) -> list[int]:
    """Put the jobs of dead workers, and waiting jobs whose task was lost, back on the queue."""
    from caseflow.jobs.queue import GAVE_UP_MESSAGE, RESUMED_MESSAGE, enqueue, huey_for, mark_failed

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
        pending = {task.args[0] for task in huey_for(app).pending() if task.args}
        waiting = session.scalars(
            sa.select(Job.id).where(Job.status == JobStatus.QUEUED, Job.created_at < now - LOST_AFTER)
        ).all()
        requeued += [job_id for job_id in waiting if job_id not in pending and job_id not in requeued]
    for job_id in requeued:
        enqueue(app, job_id)
    return requeued
