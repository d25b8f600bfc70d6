"""Starting jobs and finding them. A view creates a job, commits, then dispatches it:

    job = operations.create_job(db.session, "detection_import", current_user, {"upload": name})
    db.session.commit()
    operations.dispatch(job)
    return redirect(url_for("jobs.job_detail", job_id=job.id), 303)
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from caseflow.errors import DomainError, NotFound
from caseflow.jobs import queue
from caseflow.jobs.models import Job, JobStatus
from caseflow.jobs.recovery import note_waiting
from caseflow.policy import Permission, clause, require
from caseflow.users.models import User

logger = logging.getLogger("caseflow.jobs")


def create_job(session: Session, kind: str, actor: User, params: dict | None = None) -> Job:
    """Record a job of ``kind`` that ``actor`` starts for their organisation, and flush.

    ``params`` (JSON) tell the job what to do; they must not hold a My Number. The caller
    checks that ``actor`` may start this kind of work, commits, and then calls dispatch().
    """
    if queue.get_kind(kind) is None:
        raise ValueError(f"unknown job kind {kind!r} (register it with @job_task)")
    params = dict(params or {})
    try:
        json.dumps(params)
    except TypeError as exc:
        raise ValueError(f"job params must be JSON: {exc}") from None
    if queue.contains_my_number(params):
        raise DomainError("処理の条件に個人番号を含めることはできません。")
    job = Job(kind=kind, status=JobStatus.QUEUED, created_by_id=actor.id, organization_id=actor.organization_id,
              params=params, progress_done=0, message=queue.QUEUED_MESSAGE)
    session.add(job)
    session.flush()
    return job


def dispatch(job: Job, app: Flask | None = None) -> bool:
    """Send a committed job to the workers; call it after ``db.session.commit()``.

    A worker may start the job at once, so it must already be committed. When the queue
    cannot be reached the job stays waiting, with a message the user can read, and False is
    returned: the workers' sweep (every minute, caseflow.jobs.recovery) puts it on the queue
    once the queue is back, so an accepted job is never lost.
    """
    identity = sa.inspect(job).identity  # read without loading: no new transaction
    if identity is None:
        raise RuntimeError("dispatch() a job only after it has been flushed and committed")
    app = app or current_app._get_current_object()
    try:
        queue.enqueue(app, identity[0])
    except Exception:
        logger.warning("job %s could not be queued now; the workers' sweep will queue it", identity[0])
        note_waiting(identity[0], queue.DISPATCH_DELAYED_MESSAGE)
        return False
    return True


def get_visible_job(session: Session, job_id: int, user: User) -> Job:
    """A job of the user's organisation; any other is 'not found', whether it exists or not."""
    job = session.scalars(
        sa.select(Job).where(Job.id == job_id, clause(user, Permission.JOB_VIEW))
    ).one_or_none()
    if job is None:
        raise NotFound("処理が見つかりません。")
    return job


def start_selftest(session: Session, actor: User, *, count: int = 10, delay: float = 0.1) -> Job:
    """A diagnostic job counting to ``count``: shows that a worker is running. Administrators only."""
    require(actor, Permission.JOB_SELFTEST)
    if not 1 <= count <= queue.SELFTEST_MAX_COUNT:
        raise DomainError(f"数える回数は1から{queue.SELFTEST_MAX_COUNT}までで指定してください。")
    if not 0 <= delay <= queue.SELFTEST_MAX_DELAY:
        raise DomainError(f"間隔は0から{queue.SELFTEST_MAX_DELAY}秒までで指定してください。")
    return create_job(session, "selftest", actor, {"count": count, "delay": delay})
