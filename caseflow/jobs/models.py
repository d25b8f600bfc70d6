"""Background jobs: one row per piece of long work, from queued to succeeded or failed."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.cases.vocabulary import LabelledEnum
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.organizations.models import Organization
from caseflow.users.models import User


class JobStatus(LabelledEnum):
    QUEUED = "queued", "開始待ち"
    RUNNING = "running", "実行中"
    SUCCEEDED = "succeeded", "完了"
    FAILED = "failed", "失敗"


FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(Base):
    """A job a user started. Its live progress while running is kept in the queue
    (see caseflow.jobs.queue.Progress); this row holds its life cycle and outcome.

    ``params`` and ``result`` are JSON and never hold a My Number (checked when written).
    ``error`` is Japanese text for the user; the traceback goes to the worker's log only.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), default=JobStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Which worker process runs it ("host:pid") and when that worker last said it was alive:
    # a job whose worker died is found by `caseflow worker` and run again (see jobs.recovery).
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    created_by: Mapped[User] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="select")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def __repr__(self) -> str:
        # No params: reprs end up in logs and tracebacks.
        return f"<Job {self.id} {self.kind} {self.status}>"
