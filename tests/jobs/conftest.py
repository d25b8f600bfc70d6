"""A real queue (the embedded SQLite file, and Redis when reachable), a real Huey consumer
running in threads, and a committed world of two agencies."""

from __future__ import annotations

import os
import signal
import time
import uuid
from types import SimpleNamespace

import pytest
import redis
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.jobs.queue import close_queue, create_consumer, huey_for
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.backends import require_service
from tests.conftest import PASSWORD, give_second_factor

REDIS_URL = os.environ.get("CASEFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUES = ("sqlite", "redis")


def redis_unavailable() -> str | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis に接続できません（{REDIS_URL}）: {exc}"
    finally:
        client.close()
    return None


def require_redis() -> None:
    require_service("Redis", redis_unavailable())


@pytest.fixture(params=QUEUES)
def queue_kind(request) -> str:
    if request.param == "redis":
        require_redis()
    return request.param


@pytest.fixture
def jobs_app(committed_app, queue_kind, tmp_path):
    """The committed app on its own queue: a SQLite file in tmp_path, or Redis under a
    name used by this test only (removed afterwards)."""
    committed_app.config["QUEUE_URL"] = (
        REDIS_URL if queue_kind == "redis" else f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    )
    committed_app.config["QUEUE_NAME"] = f"caseflow_test_{uuid.uuid4().hex[:12]}"
    yield committed_app
    huey_for(committed_app).storage.flush_all()
    close_queue(committed_app)


class Worker:
    """A Huey consumer with one worker thread, as `caseflow worker` runs it, started on demand."""

    def __init__(self, app) -> None:
        self.app = app
        self.consumer = None

    def start(self) -> None:
        # Polls quickly so that tests do not wait; Consumer.start() installs signal handlers
        # for a command-line process, which the test process keeps for itself.
        self.consumer = create_consumer(self.app, workers=1, initial_delay=0.02, max_delay=0.1,
                                        shutdown_timeout=15)
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            self.consumer.start()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Stop, after the job in hand (if any) has finished."""
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None


@pytest.fixture
def worker(jobs_app):
    running = Worker(jobs_app)
    yield running
    running.stop()


@pytest.fixture
def world(committed_app):
    """Two agencies; an administrator and a caseworker in the first, a caseworker in the other."""
    with committed_app.app_context():
        session = db.session
        agencies = []
        for n in (1, 2):
            org = Organization(code=f"J{n}{uuid.uuid4().hex[:6]}", name=f"処理テスト市{n}",
                               kind=OrganizationKind.LINKING_AGENCY, prefecture="青森県")
            session.add(org)
            agencies.append(org)
        session.flush()
        admin = create_user(session, login="job-admin", display_name="管理 太郎", organization=agencies[0],
                            roles={Role.ADMINISTRATOR}, password=PASSWORD)
        worker_ = create_user(session, login="job-worker", display_name="担当 花子", organization=agencies[0],
                              roles={Role.CASEWORKER}, password=PASSWORD)
        outsider = create_user(session, login="job-outsider", display_name="他市 次郎", organization=agencies[1],
                               roles={Role.CASEWORKER, Role.ADMINISTRATOR}, password=PASSWORD)
        give_second_factor(admin)
        give_second_factor(outsider)
        session.commit()
        return SimpleNamespace(agency_id=agencies[0].id, other_agency_id=agencies[1].id, admin_id=admin.id,
                               worker_id=worker_.id, outsider_id=outsider.id)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.02):
    """Poll until ``predicate()`` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        time.sleep(interval)


def job_row(app, job_id: int) -> dict:
    """The job's row as committed, read on a connection of its own."""
    from caseflow.jobs.models import Job

    with db.state(app).engine.connect() as conn:
        return dict(conn.execute(sa.select(Job.__table__).where(Job.id == job_id)).mappings().one())
