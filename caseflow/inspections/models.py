"""Inspection batches: one agency's extract for one program, graded against the registry."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.cases.vocabulary import LabelledEnum
from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.jobs.models import Job
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import User


class BatchStatus(LabelledEnum):
    QUEUED = "queued", "待機中"
    RUNNING = "running", "処理中"
    DONE = "done", "完了"
    REFUSED = "refused", "取込不可"
    FAILED = "failed", "エラー"


class InspectionBatch(Base):
    """An inspection run: counts, the result file, and the cases it opened."""

    __tablename__ = "inspection_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"))
    # None when started from the server's command line
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus, "batch_status"), default=BatchStatus.QUEUED)
    # File names are typed by people too (a number as the file name …).
    records_filename: Mapped[str] = free_text(sa.String(255))
    registry_filename: Mapped[str] = free_text(sa.String(255))
    records_sha256: Mapped[str] = mapped_column(sa.String(64))
    registry_sha256: Mapped[str] = mapped_column(sa.String(64))
    records_inspected: Mapped[int] = mapped_column(default=0)
    count_a: Mapped[int] = mapped_column(default=0)
    count_b: Mapped[int] = mapped_column(default=0)
    count_c: Mapped[int] = mapped_column(default=0)
    cases_opened: Mapped[int] = mapped_column(default=0)
    cases_already_open: Mapped[int] = mapped_column(default=0)
    # (row, column, problem) of a refused file; never holds a My Number
    problems: Mapped[list] = mapped_column(sa.JSON, default=list)
    error: Mapped[str | None] = mapped_column(sa.Text)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    # The inspection obligation this batch answers (caseflow.surveys), when the survey gave one.
    obligation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection_obligations.id"), index=True)

    agency: Mapped[Organization] = relationship(lazy="joined", innerjoin=True)
    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User | None] = relationship(lazy="joined")
    job: Mapped[Job | None] = relationship(lazy="joined")

    @property
    def shown_status(self) -> BatchStatus:
        """A batch whose job failed stays queued in its row (the job's work was rolled back)."""
        if self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING) and self.job is not None \
                and self.job.status.value == "failed":
            return BatchStatus.FAILED
        return self.status

    @property
    def share(self) -> dict[str, float]:
        """A/B/C as percentages of the records inspected."""
        total = self.records_inspected or 1
        return {g: 100 * getattr(self, f"count_{g.lower()}") / total for g in "ABC"}


def counted_batches(moment: dt.datetime | None = None) -> sa.Select:
    """The ids of the batches whose records the reports count: finished (by ``moment``), each
    distinct extract once (its first inspection). Their records are a rate's denominator and the
    errors among their cases its numerator; errors found otherwise are counted apart (the
    reports' ``errors_separate``, the case list's ``found=separate``)."""
    finished = [InspectionBatch.status == BatchStatus.DONE]
    if moment is not None:
        finished.append(InspectionBatch.finished_at <= moment)
    return (sa.select(sa.func.min(InspectionBatch.id).label("id")).where(*finished)
            .group_by(InspectionBatch.agency_id, InspectionBatch.program_id, InspectionBatch.records_sha256))
