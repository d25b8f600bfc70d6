"""The inspection job: runs in the worker, found by the job queue's discovery."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from caseflow.core.storage import files_root
from caseflow.extensions import db
from caseflow.inspections.distributed import partitions_on_workers
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.inspections.operations import run_inspection
from caseflow.jobs.models import Job
from caseflow.jobs.operations import create_job
from caseflow.jobs.queue import JobFailed, Progress, job_task, result_link
from caseflow.users.models import User

KIND = "inspection"


def queue_inspection(session: Session, batch: InspectionBatch, actor: User) -> Job:
    """Create the job that will grade ``batch``; the caller commits, then dispatches it."""
    job = create_job(session, KIND, actor, {"batch_id": batch.id})
    batch.job_id = job.id
    return job


@job_task(KIND, label="点検（突合）")
def inspection_job(job: Job, progress: Progress) -> dict:
    batch = db.session.get(InspectionBatch, job.params["batch_id"])
    if batch is None or batch.status is not BatchStatus.QUEUED:
        raise JobFailed("この点検は既に処理されているか、見つかりません。")
    # Large files: their partitions are graded by every running worker, this one included.
    run_inspection(db.session, batch, root=files_root(), progress=progress,
                   grade_parts=partitions_on_workers(current_app._get_current_object()))
    return {
        "batch_id": batch.id,
        "status": batch.status.value,
        "links": [result_link("点検結果を見る", "inspections.batch_detail", batch_id=batch.id)],
    }
