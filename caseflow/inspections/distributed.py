"""An inspection's partitions graded by every worker that runs.

Large files are graded in hash partitions (caseflow.matching.partitioned). The inspection job
splits both files and runs the cross-record pass over the whole records file, in the batch's
folder on the storage every host reads; it then puts one task per partition on the queue and
grades partitions itself too, so that one worker alone still gets through. Whoever takes a
partition first claims it in the queue's store (an atomic put-if-empty, on Redis or the SQLite
queue), so each is graded once; the job waits for the others' partitions, then writes the result
file and opens the cases in partition order, itself and once, as a single process would.

A worker that dies with a partition leaves its claim; once that partition is overdue the job
grades it itself. Grading a partition twice writes the same files, renamed into place whole.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Flask

from caseflow.core.storage import files_root
from caseflow.jobs.queue import enqueue_task, huey_for, queue_task
from caseflow.matching.partitioned import PartsGrader, Progress, grade_partition, partition_graded

logger = logging.getLogger(__name__)

TASK = "inspection_partition"
POLL_SECONDS = 0.05
# How long a partition claimed by another worker may take before the job grades it itself: this
# many times the slowest partition the job graded, and never less than OVERDUE_MIN_SECONDS.
OVERDUE_FACTOR = 4
OVERDUE_MIN_SECONDS = 120.0


def partitions_on_workers(app: Flask) -> PartsGrader:
    """``grade_parts`` for grade_files: the partitions go to every worker of ``app``'s queue, and
    the calling worker takes its share."""

    def grade_parts(work: Path, partitions: int, progress: Progress) -> None:
        where = _where(app, work)
        huey = huey_for(app)
        for part in range(partitions):
            enqueue_task(app, TASK, where, part)
        steps = partitions + 2
        slowest = 0.0
        try:
            for part in range(partitions):
                if _claim(app, where, part):
                    started = time.monotonic()
                    grade_partition(work, part)
                    slowest = max(slowest, time.monotonic() - started)
                progress(2 + _graded(work, partitions), steps,
                         f"照合しています（{_graded(work, partitions)} / {partitions}）")
            _wait_for_the_others(work, partitions, progress, max(OVERDUE_MIN_SECONDS, OVERDUE_FACTOR * slowest))
        finally:
            for part in range(partitions):
                huey.storage.delete_data(_claim_key(where, part))

    return grade_parts


def _wait_for_the_others(work: Path, partitions: int, progress: Progress, overdue_after: float) -> None:
    steps = partitions + 2
    done = _graded(work, partitions)
    last_change = time.monotonic()
    while done < partitions:
        time.sleep(POLL_SECONDS)
        now_done = _graded(work, partitions)
        if now_done != done:
            done, last_change = now_done, time.monotonic()
            progress(2 + done, steps, f"照合しています（{done} / {partitions}）")
        elif time.monotonic() - last_change > overdue_after:
            # A worker holding a partition stopped (or is far too slow): grade what is left here.
            for part in range(partitions):
                if not partition_graded(work, part):
                    logger.warning("partition %s of %s overdue; graded by the inspection job", part, work.name)
                    grade_partition(work, part)
            done = _graded(work, partitions)


@queue_task(TASK)
def grade_partition_task(app: Flask, where: str, part: int) -> None:
    """One partition of an inspection, on whichever worker took the task (see the module's docstring)."""
    work = _work(app, where)
    if not work.is_dir() or partition_graded(work, part) or not _claim(app, where, part):
        return  # the job finished, or someone else has it
    try:
        grade_partition(work, part)
    except Exception:
        if work.is_dir():
            # The job grades it itself (and reports the error, if it happens again there).
            logger.exception("partition %s of %s failed; left to the inspection job", part, work.name)
            huey_for(app).storage.delete_data(_claim_key(where, part))


def _graded(work: Path, partitions: int) -> int:
    return sum(partition_graded(work, part) for part in range(partitions))


def _claim_key(where: str, part: int) -> str:
    return f"caseflow.inspection-partition.{where}.{part}"


def _claim(app: Flask, where: str, part: int) -> bool:
    return huey_for(app).storage.put_if_empty(_claim_key(where, part), b"1")


def _where(app: Flask, work: Path) -> str:
    """The split's folder as the queue carries it: relative to the shared storage, which each host
    may mount elsewhere."""
    try:
        return str(work.resolve().relative_to(files_root(app).resolve()))
    except ValueError:
        return str(work.resolve())


def _work(app: Flask, where: str) -> Path:
    return files_root(app) / where
