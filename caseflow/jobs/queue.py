"""The job queue: Huey on a SQLite file in the instance folder (or on Redis), the job kinds
registered with ``@job_task``, and the runner that executes a job in a worker.

Only the job's id travels through the queue; what to do is in the ``jobs`` row. A job runs
inside ``app.app_context()`` and does its work in ``db.session``; the runner commits that
work together with the job's outcome, once, at the end (or rolls it all back on failure).

Writing a job kind (in ``caseflow/<area>/tasks.py``, found by the worker automatically)::

    @job_task("detection_import", label="検出結果の取り込み")
    def import_detections(job: Job, progress: Progress) -> dict:
        rows = read_extract(job.params["path"])
        for done, row in enumerate(rows, 1):
            db.session.add(...)
            progress(done, len(rows), f"{done:,} / {len(rows):,} 件を取り込みました。")
        return {"imported": len(rows), "links": [result_link("案件一覧へ", "cases.case_list")]}

Raise ``JobFailed("…")`` (Japanese) for a failure the user should read; any other
exception fails the job with a general message and its traceback goes to the log.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import logging
import pkgutil
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.constants import EmptyData
from huey.signals import SIGNAL_INTERRUPTED

from caseflow.core.logs import exception_summary
from caseflow.core.mynumber import contains_my_number
from caseflow.db import utcnow
from caseflow.errors import DomainError, dependency_errors
from caseflow.extensions import db
from caseflow.jobs import recovery
from caseflow.jobs.models import Job, JobStatus
from caseflow.jobs.recovery import mark_failed

logger = logging.getLogger("caseflow.jobs")

QUEUED_MESSAGE = "開始を待っています。"
STARTED_MESSAGE = "処理を開始しました。"
DONE_MESSAGE = "処理が完了しました。"
FAILED_MESSAGE = "処理中にエラーが発生したため、処理を中止しました。システム管理者に処理番号をお伝えください。"
DEPENDENCY_DOWN = dependency_errors()
DISPATCH_DELAYED_MESSAGE = "処理待ちの列に一時的に接続できません。接続が戻りしだい、自動で処理を始めます（操作し直す必要はありません）。"

_EXTENSION = "caseflow.jobs"


class JobFailed(DomainError):
    """Raised by a job for a failure the user should read (Japanese, no My Number)."""


# --- job kinds -----------------------------------------------------------------------

JobFunction = Callable[[Job, "Progress"], "dict | None"]


@dataclasses.dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    run: JobFunction


_KINDS: dict[str, JobKind] = {}
_KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_discovered = False
_discover_lock = threading.Lock()


def job_task(kind: str, *, label: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn(job, progress) -> dict | None`` as the code run for jobs of ``kind``.

    ``label`` (Japanese) heads the job's page. The function returns the job's result (JSON,
    no My Number), whose ``links`` (made with ``result_link``) are shown when it is done.
    """
    if not _KIND_NAME.fullmatch(kind):
        raise ValueError(f"job kind {kind!r}: lower-case letters, digits and _, at most 40")

    def register(fn: JobFunction) -> JobFunction:
        known = _KINDS.get(kind)
        if known is not None and known.run is not fn:
            raise ValueError(f"job kind {kind!r} is already registered by {known.run.__module__}")
        _KINDS[kind] = JobKind(kind, label, fn)
        return fn

    return register


def get_kind(kind: str) -> JobKind | None:
    _discover()
    return _KINDS.get(kind)


def job_kinds() -> dict[str, JobKind]:
    _discover()
    return dict(_KINDS)


def _discover() -> None:
    """Import every ``caseflow.<area>.tasks`` module, where job kinds live.

    The worker must know every kind the web app can create, whichever modules the app
    happened to import (djhuey autodiscovers Django apps' ``tasks`` modules the same way).
    """
    global _discovered
    if _discovered:
        return
    with _discover_lock:
        if _discovered:
            return
        import caseflow

        for module in pkgutil.iter_modules(caseflow.__path__):
            name = f"caseflow.{module.name}.tasks"
            if module.ispkg and importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        _discovered = True


def result_link(label: str, endpoint: str, **values) -> dict:
    """A link for the job's result page, built with ``url_for(endpoint, **values)`` when shown.

    An endpoint rather than a URL: the worker has no request to build URLs from, and the
    page then only ever links inside CaseFlow.
    """
    return {"label": label, "endpoint": endpoint, "values": values}


# --- My Numbers stay out of the queue, the params, the results and the messages ------

def _checked_result(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"a job returns a dict or None, not {type(value).__name__}")
    json.dumps(value)  # TypeError now, rather than at commit
    if contains_my_number(value):
        raise ValueError("a job's result must not contain a My Number")
    return value


# --- progress ---------------------------------------------------------------------------


def _progress_key(job_id: int) -> str:
    return f"caseflow.job.{job_id}.progress"


class Progress:
    """How far a job has got: ``progress(done, total, message=None)``; ``total`` may be None.

    Reports go to the queue's own store (the SQLite queue file or Redis), in their own
    write, not to the database: a job's uncommitted work may hold SQLite's only write
    lock for its whole run, and a progress commit on the database would wait for it (and
    then fail), or make the job's next write fail. The page reads the reports from the
    queue while the job runs; the last one is saved on the job's row when it ends.
    At most one write per ``min_interval`` seconds, except the first, a new message and
    the last step.
    """

    min_interval = 0.2

    def __init__(self, huey: Huey, job_id: int) -> None:
        self._storage = huey.storage
        self._key = _progress_key(job_id)
        self._job_id = job_id
        self._written_at: float | None = None
        self.done = 0
        self.total: int | None = None
        self.message: str | None = None

    def __call__(self, done: int, total: int | None, message: str | None = None) -> None:
        if done < 0 or (total is not None and total < 0):
            raise ValueError("progress counts are never negative")
        if message is not None and contains_my_number(message):
            raise ValueError("a progress message must not contain a My Number")
        new_message = message is not None and message != self.message
        self.done, self.total = int(done), None if total is None else int(total)
        if message is not None:
            self.message = message
        now = time.monotonic()
        if (new_message or self._written_at is None or (total is not None and done >= total)
                or now - self._written_at >= self.min_interval):
            self._write(now)

    def _write(self, now: float) -> None:
        payload = {"done": self.done, "total": self.total, "message": self.message}
        try:
            self._storage.put_data(self._key, json.dumps(payload, ensure_ascii=False).encode())
        except Exception:
            # The job goes on; only the page lags behind.
            logger.warning("job %s: progress not reported (queue store unreachable)", self._job_id, exc_info=True)
        self._written_at = now

    def clear(self) -> None:
        try:
            self._storage.delete_data(self._key)
        except Exception:
            logger.warning("job %s: progress report not removed from the queue store", self._job_id, exc_info=True)


def live_progress(app: Flask, job_id: int) -> dict | None:
    """The last progress a running job reported ({done, total, message}), or None."""
    try:
        raw = huey_for(app).storage.peek_data(_progress_key(job_id))
    except Exception:
        logger.warning("job %s: progress not readable (queue store unreachable)", job_id, exc_info=True)
        return None
    if raw is EmptyData:
        return None
    return json.loads(bytes(raw))


# --- the queue ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Queue:
    huey: Huey
    run_job: Callable  # the Huey task: run_job(job_id) enqueues
    tasks: dict[str, Callable] = dataclasses.field(default_factory=dict)  # the queue_task()s, by name


_build_lock = threading.Lock()


def huey_for(app: Flask) -> Huey:
    """The app's Huey: ``RedisHuey`` when QUEUE_URL is redis://…, else ``SqliteHuey`` on
    ``<instance>/queue.sqlite3`` (or the sqlite:///path given). Built once, kept in app.extensions."""
    return _queue(app).huey


def _queue(app: Flask) -> _Queue:
    queue = app.extensions.get(_EXTENSION)
    if queue is None:
        with _build_lock:
            queue = app.extensions.get(_EXTENSION)
            if queue is None:
                queue = app.extensions[_EXTENSION] = _build(app)
    return queue


def _make_huey(url: str | None, name: str, instance_path: str) -> Huey:
    if not url:
        path = Path(instance_path) / "queue.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        return SqliteHuey(name, filename=url.removeprefix("sqlite:///"), results=False)
    raise RuntimeError("CASEFLOW_QUEUE_URL は redis://… または sqlite:///… の形式で指定してください。")


def _build(app: Flask) -> _Queue:
    huey = _make_huey(app.config.get("QUEUE_URL"), app.config.get("QUEUE_NAME") or "caseflow", app.instance_path)

    @huey.task(retries=0)  # never re-run by itself: imports and print runs are not idempotent
    def run_job(job_id: int) -> None:
        _run(app, huey, job_id)

    @huey.periodic_task(crontab(minute="*"))
    def recover_jobs() -> None:
        # A worker on another machine may have died with a job: its heartbeat stops. A job
        # created while the queue was unreachable (or whose task the queue lost) waits here.
        recover_interrupted_jobs(app)

    @huey.signal(SIGNAL_INTERRUPTED)
    def _interrupted(_signal, task, *_args) -> None:
        # The worker was told to stop at once (SIGTERM) with this job still running: nothing of it
        # is kept (one transaction, cut with the process), so it waits to run again from the start.
        if task.args and isinstance(task, run_job.task_class):  # not a share of a job (it runs elsewhere)
            with app.app_context():
                recovery.put_back(task.args[0], message=recovery.RESUMED_MESSAGE, tries=1)

    # Every worker must know the shares of work a job may hand out, before it takes one.
    _discover()
    tasks = {}
    for name, fn in _SHARES.items():
        def run_share(*args, _fn=fn) -> None:
            _fn(app, *args)

        tasks[name] = huey.task(retries=0, name=f"share:{name}")(run_share)
    return _Queue(huey=huey, run_job=run_job, tasks=tasks)


def describe_queue(app: Flask) -> str:
    """Where the queue is, for people (a Redis password is never shown)."""
    url = app.config.get("QUEUE_URL")
    name = app.config.get("QUEUE_NAME") or "caseflow"
    if not url:
        return f"SQLite {Path(app.instance_path) / 'queue.sqlite3'}（キュー名 {name}）"
    if url.startswith("sqlite:///"):
        return f"SQLite {url.removeprefix('sqlite:///')}（キュー名 {name}）"
    parts = urlsplit(url)
    host = parts.hostname or parts.path
    port = f":{parts.port}" if parts.port else ""
    return f"Redis {parts.scheme}://{host}{port}{parts.path if parts.hostname else ''}（キュー名 {name}）"


def enqueue(app: Flask, job_id: int) -> None:
    """Put a committed job on the queue (see operations.dispatch)."""
    _queue(app).run_job(job_id)


# --- shares of a job's work, taken by whichever worker is free ------------------------------------

_SHARES: dict[str, Callable] = {}


def queue_task(name: str) -> Callable[[Callable], Callable]:
    """Register ``fn(app, *args)`` as a share of a job's work that any worker may take (one
    partition of an inspection), queued with ``enqueue_task``.

    A share has no job row and is never retried: the job that hands shares out checks that
    each was done, and does it itself otherwise. Its arguments travel through the queue as
    they are, so they must hold no My Number.
    """
    if not _KIND_NAME.fullmatch(name):
        raise ValueError(f"task name {name!r}: lower-case letters, digits and _, at most 40")

    def register(fn: Callable) -> Callable:
        known = _SHARES.get(name)
        if known is not None and known is not fn:
            raise ValueError(f"task {name!r} is already registered by {known.__module__}")
        _SHARES[name] = fn
        return fn

    return register


def enqueue_task(app: Flask, name: str, *args) -> None:
    """Put a share of work (registered with ``queue_task``) on the queue for any worker."""
    if contains_my_number(list(args)):
        raise ValueError("a task's arguments must not contain a My Number")
    _queue(app).tasks[name](*args)


def recover_interrupted_jobs(app: Flask) -> list[int]:
    """Put the jobs of dead workers, and waiting jobs whose task was lost, back on the queue.

    Which jobs, and what becomes of those interrupted too often, is caseflow.jobs.recovery's
    to say; this puts them on the queue. Returns their ids.
    """
    def pending() -> set[int]:
        return {task.args[0] for task in huey_for(app).pending() if task.args}

    requeued = recovery.jobs_to_requeue(app, pending)
    for job_id in requeued:
        enqueue(app, job_id)
    return requeued


def create_consumer(app: Flask, workers: int = 1, **options):
    """A Huey consumer running jobs in ``workers`` threads; ``caseflow worker`` runs one."""
    settings = {"workers": workers, "worker_type": "thread", "initial_delay": 0.1, "max_delay": 1.0}
    settings.update(options)
    return huey_for(app).create_consumer(**settings)


def queue_reachable(app: Flask) -> bool:
    """Whether the queue answers (Redis, or the SQLite file): /healthz asks, a worker waits for it."""
    import sqlite3

    from redis.exceptions import RedisError

    try:
        huey_for(app).pending_count()
    except (RedisError, sqlite3.Error, OSError):
        return False
    return True


def close_queue(app: Flask) -> None:
    """Close the app's connections to the queue (tests; a server process keeps them)."""
    queue = app.extensions.pop(_EXTENSION, None)
    if queue is None:
        return
    storage = queue.huey.storage
    storage.close()
    pool = getattr(storage, "pool", None)
    if pool is not None:  # Redis: its client and pool are not closed by close()
        storage.conn.close()
        pool.disconnect()


# --- running a job in the worker -------------------------------------------------------------


def _run(app: Flask, huey: Huey, job_id: int) -> None:
    with app.app_context():
        session = db.session
        claimed = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, started_at=utcnow(), message=STARTED_MESSAGE,
                    claimed_by=recovery.worker_id(), heartbeat_at=utcnow(), attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not claimed:
            # Delivered twice, or its row is gone: run a job at most once.
            logger.warning("job %s is not waiting to run; skipped", job_id)
            return
        job = session.get(Job, job_id)
        kind_name = job.kind
        kind = get_kind(kind_name)
        progress = Progress(huey, job_id)
        heartbeat = recovery.Heartbeat(app, job_id)
        started = time.monotonic()
        logger.info("job %s (%s) started", job_id, job.kind)
        try:
            if kind is None:
                raise JobFailed(f"この種類の処理（{job.kind}）は、このワーカーでは実行できません。")
            result = _checked_result(kind.run(job, progress))
            # Kept only while this run still holds the job: one put back meanwhile (its worker told
            # to stop, taken for dead) runs again from the start, and this run's work is dropped.
            finished = session.execute(
                sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING,
                                     Job.claimed_by == recovery.worker_id())
                .values(status=JobStatus.SUCCEEDED, finished_at=utcnow(), result=result,
                        progress_done=progress.done, progress_total=progress.total,
                        message=progress.message or DONE_MESSAGE)
                .execution_options(synchronize_session=False)).rowcount
            if not finished:
                session.rollback()
                logger.warning("job %s (%s) was put back while it ran: its work is not kept", job_id, kind_name)
                return
            session.commit()
        except DEPENDENCY_DOWN:
            # The database or the queue went away mid-job (a restart): nothing was kept (one
            # transaction), so the job waits to run again from the start, as after a dead worker.
            # (Nothing of the session is touched before put_back rolls it back: it is broken.)
            logger.warning("job %s (%s) interrupted: a service it needs is unreachable", job_id, kind_name)
            recovery.put_back(job_id)
        except DomainError as exc:
            session.rollback()
            message = exc.message if not contains_my_number(exc.message) else FAILED_MESSAGE
            # The user reads the message; the log gets its kind only (a refusal can quote a cell).
            logger.info("job %s (%s) failed: %s", job_id, kind and kind.name, exception_summary(exc))
            mark_failed(job_id, message, progress)
        except Exception:
            session.rollback()
            logger.exception("job %s failed with an unexpected error", job_id)
            mark_failed(job_id, f"{FAILED_MESSAGE}（処理番号 {job_id}）", progress)
        except BaseException:  # KeyboardInterrupt: a process worker told to stop now
            session.rollback()
            recovery.put_back(job_id, message=recovery.RESUMED_MESSAGE, tries=1)
            raise
        else:
            logger.info("job %s (%s) succeeded in %.1f s", job_id, job.kind, time.monotonic() - started)
        finally:
            heartbeat.stop()
            progress.clear()


# --- a built-in job kind, to check that a worker runs ----------------------------------------------

SELFTEST_MAX_COUNT = 100
SELFTEST_MAX_DELAY = 0.5


@job_task("selftest", label="動作確認")
def selftest(job: Job, progress: Progress) -> dict:
    """Count to params["count"], params["delay"] seconds a step, reporting each step."""
    count = min(max(int(job.params.get("count", 10)), 1), SELFTEST_MAX_COUNT)
    delay = min(max(float(job.params.get("delay", 0.1)), 0.0), SELFTEST_MAX_DELAY)
    database = db.session.connection().dialect.name
    for step in range(1, count + 1):
        time.sleep(delay)
        progress(step, count, f"{step} / {count} を数えました。")
    return {
        "counted": count,
        "database": database,
        "links": [result_link("自分の担当の案件へ", "cases.my_queue")],
    }
