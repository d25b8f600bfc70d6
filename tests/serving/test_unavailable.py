"""The database or the queue down: a Japanese 503 page (JSON for the API), never a 500 with a
traceback, and the application answers normally again once the service is back, unrestarted."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from caseflow import db as caseflow_db
from caseflow.extensions import db
from caseflow.jobs import queue
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.backends import POSTGRES_URL
from tests.conftest import PASSWORD, csrf_token, give_second_factor, pass_second_factor


def _caseworker(app) -> None:
    with app.app_context():
        agency = Organization(code="022012", name="青森市", kind=OrganizationKind.LINKING_AGENCY)
        db.session.add(agency)
        db.session.flush()
        create_user(db.session, login="worker", display_name="担当 花子", organization=agency,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        db.session.commit()


def _logged_in(app):
    client = app.test_client()
    answer = client.post("/login", data={"csrf_token": csrf_token(client), "login": "worker", "password": PASSWORD})
    assert answer.status_code == 302
    return client


def _connections(database: str, allowed: bool) -> None:
    """What a restart looks like from the app: its connections cut, new ones refused (then allowed)."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        if not allowed:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")
    admin.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_database_down_is_a_japanese_503_and_the_app_recovers(committed_app):
    _caseworker(committed_app)
    client = _logged_in(committed_app)
    assert client.get("/cases/").status_code == 200
    database = sa.make_url(committed_app.config["DATABASE_URL"]).database
    _connections(database, allowed=False)
    try:
        for path in ("/cases/", "/login", "/reports/"):
            page = client.get(path)
            text = page.get_data(as_text=True)
            assert page.status_code == 503, (path, page.status_code)
            assert "ただいま利用できません" in text and "データベースに接続できません" in text
            assert "Traceback" not in text and page.headers["Retry-After"] == "30"
        api = client.get("/api/v1/cases", headers={"Authorization": "Bearer cf_nothing"})
        assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["database"] == "unreachable"
    finally:
        _connections(database, allowed=True)
    assert client.get("/cases/").status_code == 200  # the same session, the pool renewed


def _cut_connections(database: str) -> None:
    """A restart, over at once: the app's pooled connections are dead, new ones are accepted."""
    _connections(database, allowed=False)
    _connections(database, allowed=True)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_restart_while_the_host_is_quiet_goes_unnoticed(committed_app, monkeypatch):
    """A connection idle in the pool is checked before use (caseflow.db.PING_AFTER_IDLE_SECONDS)."""
    _caseworker(committed_app)
    client = _logged_in(committed_app)
    assert client.get("/cases/").status_code == 200
    monkeypatch.setattr(caseflow_db, "PING_AFTER_IDLE_SECONDS", 0.05)
    _cut_connections(sa.make_url(committed_app.config["DATABASE_URL"]).database)
    time.sleep(0.1)
    assert client.get("/cases/").status_code == 200


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_restart_under_load_costs_one_request_a_503(committed_app, monkeypatch):
    """A connection back in use at once is not checked: the request that meets the dead connection
    gets the 503 page, and the pool is renewed for the next ones."""
    _caseworker(committed_app)
    client = _logged_in(committed_app)
    assert client.get("/cases/").status_code == 200
    monkeypatch.setattr(caseflow_db, "PING_AFTER_IDLE_SECONDS", 3600)
    _cut_connections(sa.make_url(committed_app.config["DATABASE_URL"]).database)
    page = client.get("/cases/")
    assert page.status_code == 503 and "ただいま利用できません" in page.get_data(as_text=True)
    assert [client.get("/cases/").status_code for _ in range(3)] == [200, 200, 200]


def test_the_queue_down_leaves_pages_working_and_a_new_job_waiting(committed_app):
    """Redis stopped: pages and logins go on; a job asked for meanwhile waits, and says so."""
    with committed_app.app_context():
        agency = Organization(code="022012", name="青森市", kind=OrganizationKind.LINKING_AGENCY)
        db.session.add(agency)
        db.session.flush()
        admin = create_user(db.session, login="admin", display_name="管理 一郎", organization=agency,
                            roles={Role.ADMINISTRATOR}, password=PASSWORD)
        give_second_factor(admin)
        db.session.commit()
    committed_app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    client = committed_app.test_client()
    answer = client.post("/login", data={"csrf_token": csrf_token(client), "login": "admin", "password": PASSWORD})
    assert pass_second_factor(client, answer).status_code == 302
    assert client.get("/cases/").status_code == 200
    started = client.post("/jobs/selftest", data={"csrf_token": csrf_token(client, "/cases/"), "count": "1",
                                                  "delay": "0"})
    assert started.status_code == 303
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert queue.DISPATCH_DELAYED_MESSAGE in page and "開始待ち" in page
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["queue"] == "unreachable" and health.json["database"] == "ok"
    queue.close_queue(committed_app)
