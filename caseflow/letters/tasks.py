"""The print-run job: builds the merged PDF, manifest and cover sheet in the worker."""

from __future__ import annotations

from sqlalchemy.orm import Session

from caseflow.core.storage import files_root
from caseflow.extensions import db
from caseflow.jobs.models import Job
from caseflow.jobs.operations import create_job
from caseflow.jobs.queue import JobFailed, Progress, job_task, result_link
from caseflow.letters.models import PrintRun, PrintRunStatus
from caseflow.letters.operations import build_print_run
from caseflow.users.models import User

KIND = "print_run"


def queue_print_run(session: Session, run: PrintRun, actor: User) -> Job:
    """Create the job that will build ``run``; the caller commits, then dispatches it."""
    job = create_job(session, KIND, actor, {"print_run_id": run.id})
    run.job_id = job.id
    return job


@job_task(KIND, label="通知文書の印刷データ作成")
def print_run_job(job: Job, progress: Progress) -> dict:
    run = db.session.get(PrintRun, job.params["print_run_id"])
    if run is None or run.status is not PrintRunStatus.QUEUED:
        raise JobFailed("この印刷は既に作成されているか、見つかりません。")
    build_print_run(db.session, run, root=files_root(), progress=progress)
    return {
        "print_run_id": run.id,
        "letters": run.letters_count - run.held_count,
        "held": run.held_count,
        "links": [result_link("印刷データを見る", "letters.run_detail", run_id=run.id)],
    }
