"""Fixtures: an app per database backend, a rolled-back transaction per test, factories."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.cases import kernel, operations
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionOutcome,
    DismissReason,
    FieldVerdict,
    Grade,
    IdentityMethod,
    NotificationMethod,
    Sex,
    ViewedOnPortal,
)
from caseflow.core.mynumber import check_digit
from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.seeding import load_demo
from caseflow.users import totp
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user
from tests.backends import BACKENDS, NOT_RUN, Backend, require_postgres

PASSWORD = "correct horse battery"
# The TOTP secret of the supervisors and administrators the factories make (base32, 32 characters).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_config(url: str, instance_path) -> dict:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance_path),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # argon2id stays, at a cost that keeps the suite quick.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 1024,
        # Fixed keys (bytes 0-31 and 32-63): My Numbers are encrypted in every test database.
        "ENCRYPTION_KEYS": "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "LOOKUP_KEY": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    }


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> Backend:
    if request.param == "postgresql":
        require_postgres()
    made = Backend(request.param, tmp_path_factory.mktemp(request.param))
    yield made
    made.drop_all()


@pytest.fixture(scope="session")
def app(backend):
    """One app per backend on its own migrated database; each test rolls back."""
    application = create_app(test_config(backend.copy(), backend.workdir / "instance"))
    yield application
    db.state(application).engine.dispose()


@pytest.fixture(autouse=True)
def _rollback(request):
    """Every test that uses the app runs inside a transaction rolled back afterwards.

    Commits made by views and operations become savepoint releases, so a test
    sees them, and the next test starts clean.
    """
    if "app" not in request.fixturenames or "committed_app" in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    state = db.state(application)
    connection = state.engine.connect()
    outer = connection.begin()
    state.bind, state.join_transaction_mode = connection, "create_savepoint"
    ctx = application.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.remove()
        ctx.pop()
        outer.rollback()
        connection.close()
        state.bind, state.join_transaction_mode = state.engine, "conditional_savepoint"


@contextmanager
def undone(app):
    """Everything done inside, commits included, is rolled back when it ends, and what came before
    stays: one actor's turn on a world built once for all of them (the authorisation matrices).

    Inside the test's transaction (the ``_rollback`` fixture): the world is committed into it first,
    so that a view's commit releases a savepoint above ours, never ours.
    """
    connection = db.state(app).bind
    assert isinstance(connection, sa.Connection), "undone() runs inside a test's rolled-back transaction"
    db.session.commit()
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        db.session.rollback()
        if savepoint.is_active:
            savepoint.rollback()
        db.session.expire_all()  # what was read inside may have been rolled back


@pytest.fixture
def committed_app(backend, tmp_path):
    """An app on its own fresh database where commits are real (concurrency, CLI, browser)."""
    application = create_app(test_config(backend.copy(), tmp_path / "instance"))
    yield application
    db.state(application).engine.dispose()


@pytest.fixture(scope="session")
def demo_database(backend, tmp_path_factory):
    """The demo data (caseflow.seeding.load_demo) loaded once per backend, as it takes a while: a
    database and its instance folder (the demo inspection's files), which ``demo_app`` copies."""
    instance = tmp_path_factory.mktemp(f"demo-{backend.kind}") / "instance"
    url = backend.copy()
    application = create_app(test_config(url, instance))
    with application.app_context():
        load_demo(db.session)
        db.session.commit()
    db.state(application).engine.dispose()
    return url, instance


@pytest.fixture
def demo_app(backend, demo_database, tmp_path):
    """An app on a copy of the demo's data of its own, where commits are real (as committed_app)."""
    url, instance = demo_database
    shutil.copytree(instance, tmp_path / "instance")
    application = create_app(test_config(backend.copy(of=url), tmp_path / "instance"))
    yield application
    db.state(application).engine.dispose()


@pytest.fixture
def session(app):
    return db.session


class FreshGlobalsClient(FlaskClient):
    """Each request starts with an empty ``g``, as in production.

    The test holds an app context open (for its database session), which Flask
    reuses for requests; without this, Flask-Login's user and Flask-WTF's token
    cached in ``g`` would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshGlobalsClient
    return app.test_client()


@pytest.fixture
def new_client(app):
    """Makes a client with no cookies at each call: several users, one after the other, in one test."""
    app.test_client_class = FreshGlobalsClient
    return app.test_client


# --- factories ----------------------------------------------------------------

_seq = itertools.count(1)


def valid_number(seed: int) -> str:
    first = f"{seed:011d}"[-11:]
    return first + str(check_digit(first))


@pytest.fixture
def make_org(app):
    def make(kind: OrganizationKind = OrganizationKind.LINKING_AGENCY, name: str | None = None) -> Organization:
        n = next(_seq)
        org = Organization(code=f"T{n:05d}", name=name or f"テスト市{n}", kind=kind, prefecture="青森県")
        db.session.add(org)
        db.session.flush()
        return org

    return make


@pytest.fixture
def ministry(make_org):
    return make_org(OrganizationKind.MINISTRY, "厚生労働省（テスト）")


@pytest.fixture
def program(ministry):
    program = Program(name=f"障害者手帳情報（テスト{next(_seq)}）", ministry_id=ministry.id)
    db.session.add(program)
    db.session.flush()
    return program


@pytest.fixture
def agency(make_org):
    return make_org()


@pytest.fixture
def make_user(app, agency):
    """make_user(*roles): supervisors and administrators come enrolled in TOTP with TOTP_SECRET."""

    def make(*roles: Role, org: Organization | None = None, name: str | None = None) -> User:
        n = next(_seq)
        user = create_user(db.session, login=f"user{n}", display_name=name or f"職員{n}",
                           organization=org or agency, roles=set(roles) or {Role.CASEWORKER},
                           password=PASSWORD)
        if user.needs_second_factor:
            give_second_factor(user)
        return user

    return make


def give_second_factor(user: User, secret: str | None = None) -> None:
    """Enrol ``user`` in TOTP with a known secret, as if done on the enrolment page."""
    user.totp_secret = secret or TOTP_SECRET
    user.totp_confirmed_at = dt.datetime.now(dt.UTC)
    db.session.flush()


@pytest.fixture
def caseworker(make_user):
    return make_user(Role.CASEWORKER, name="担当 花子")


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, name="承認 一郎")


@pytest.fixture
def make_case(app, agency, program, caseworker, supervisor):
    """make_case(status=...) opens a case and takes it to ``status`` through the real operations."""

    def make(status: CaseStatus = CaseStatus.DETECTED, *, agency_: Organization | None = None,
             program_: Program | None = None, staff: tuple[User, User] | None = None,
             pending_correction: bool = False, pending_dismissal: bool = False, **fields) -> Case:
        n = next(_seq)
        worker, boss = staff or (caseworker, supervisor)
        values = dict(
            program=program_ or program, agency=agency_ or agency, source_record_id=f"R{n:06d}",
            registered_number=valid_number(10_000_000_000 + n),
            record_name="山田　太郎", record_kana="ヤマダ　タロウ", record_birth_date=dt.date(1970, 3, 2),
            record_sex=Sex.MALE, record_address="青森県青森市新町一丁目1番1号",
            registry_name="山田　次郎", registry_kana="ヤマダ　ジロウ", registry_birth_date=dt.date(1972, 5, 1),
            registry_sex=Sex.MALE, registry_address="青森県青森市新町一丁目1番1号",
            grade=Grade.C, grade_reason="氏と住所が一致し、名と生年月日が異なります。",
            field_verdicts={"name": FieldVerdict.MISMATCH.value, "kana": FieldVerdict.MISMATCH.value,
                            "birth_date": FieldVerdict.MISMATCH.value, "sex": FieldVerdict.MATCH.value,
                            "address": FieldVerdict.MATCH.value},
            due_date=dt.date.today() + dt.timedelta(days=10),
        )
        values.update(fields)
        case = kernel.open_case(db.session, **values)
        drive(case, status, worker, boss, pending_correction=pending_correction, pending_dismissal=pending_dismissal)
        return case

    return make


# How identity was verified, for confirmations made by the factories and tests.
IDENTITY = {"identity_method": IdentityMethod.RESIDENT_RECORD, "identity_verified_on": dt.date(2025, 1, 6)}


def drive(case: Case, target: CaseStatus, worker: User, boss: User, *, pending_correction: bool = False,
          pending_dismissal: bool = False) -> None:
    path = {
        CaseStatus.DETECTED: [],
        CaseStatus.VERIFYING: ["start"],
        CaseStatus.CONFIRMED: ["start", "confirm"],
        CaseStatus.FALSE: ["start", "propose_dismissal", "approve_dismissal"],
        CaseStatus.CORRECTED: ["start", "confirm", "propose", "approve"],
        CaseStatus.NOTIFIED: ["start", "confirm", "propose", "approve", "notify"],
    }[target]
    if pending_correction:  # once corrected without a number (本人特定待ち): the right number, linked later
        path = path + (["propose_link"] if target in (CaseStatus.CORRECTED, CaseStatus.NOTIFIED) else ["propose"])
    if pending_dismissal:
        path = path + ["propose_dismissal"]
    for step in path:
        if step == "start":
            operations.start_verification(case, worker)
        elif step == "confirm":
            operations.confirm_case(case, worker, cause=Cause.FAMILY_MEMBER_NUMBER,
                                    viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
        elif step == "propose_dismissal":
            # "Other" with its text fits any verdicts (the factories' default case differs in name and birth date).
            operations.propose_dismissal(case, worker, dismiss_reason=DismissReason.OTHER,
                                         dismiss_reason_other="本人に確認し、番号は本人のものと判明")
        elif step == "approve_dismissal":
            operations.approve_dismissal(case, boss)
        elif step == "propose":
            operations.propose_correction(case, worker, wrong_number_removed=True,
                                          outcome=CorrectionOutcome.UNLINKED)
        elif step == "propose_link":
            operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                          linked_number=valid_number(30_000_000_000 + case.id), query_facts=4,
                                          query_matches=1)
        elif step == "approve":
            operations.approve_correction(case, boss)
        elif step == "notify":
            operations.notify_case(case, worker, notified_on=dt.date.today(),
                                   notification_method=NotificationMethod.MAIL)


# --- the browser's view of a form ----------------------------------------------------

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "page carries no CSRF token"
    return match.group(1)


def login(client, user: User, password: str = PASSWORD):
    """Log in through the form; for supervisors and administrators, enter the TOTP code too."""
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "login": user.login, "password": password})
    return pass_second_factor(client, response, user)


def pass_second_factor(client, response, user: User | None = None, secret: str | None = None):
    """If ``response`` (to the password) asks for a code, enter the current one; the response to that.

    A code is accepted once: with ``user`` (in this test's session) the next unused step is
    chosen; without it (an app of its own), a refused code is followed by the next step's.
    """
    if response.status_code != 302 or urlsplit(response.headers["Location"]).path != "/login/code":
        return response
    step = totp.current_step()
    if user is not None and user.totp_last_step is not None and user.totp_last_step >= step:
        if user.totp_last_step > step:  # both steps the server accepts are used: forget them
            user.totp_last_step = None
            db.session.flush()
        else:
            step += 1
    for candidate in (step, step + 1):
        response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"),
                                                    "code": totp.code_at(secret or TOTP_SECRET, candidate)})
        if response.status_code != 401 or user is not None:
            return response
    return response


def post_form(client, path: str, data: dict, *, token_from: str = "/cases/"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data})


def events_of(case_id: int) -> list:
    from caseflow.cases.models import CaseEvent

    return db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


_NOT_RUN_SKIP = re.compile(r"NOT RUN \((?P<name>[^)]+)\): (?P<reason>.+)")


def pytest_terminal_summary(terminalreporter):
    """What was not run, said once at the end: from this process, and from the skips the workers
    reported (pytest-xdist runs the tests in other processes)."""
    not_run = dict(NOT_RUN)
    for report in terminalreporter.stats.get("skipped", []):
        found = _NOT_RUN_SKIP.search(str(report.longrepr))
        if found:
            not_run.setdefault(found["name"], found["reason"].rstrip("')\""))
    if not_run:
        terminalreporter.section("NOT RUN")
        for name, reason in not_run.items():
            terminalreporter.write_line(f"{name}: tests were NOT run — {reason}")
