"""Load benchmark: caseworkers at work on gunicorn over PostgreSQL, latencies per kind of request.

    .venv/bin/python bench/bench_load.py [--cases 50000] [--agencies 5] [--users 20] [--seconds 60]
                                         [--workers 4] [--threads 4] [--admin-url URL]

Creates the database ``caseflow_bench_load`` afresh (next to --admin-url's database), migrates
it and loads the reference data and the cases with the COPY loader of bench_reports.py, then
adds --users caseworkers spread over the agencies (no second factor for caseworkers). Starts
``gunicorn -w W -k gthread --threads T 'caseflow:create_app()'`` on a free port and lets
one thread per user, each with its own session, log in and then loop for --seconds: the case
list at a random page, one of the user's own detected cases, and 確認を開始 on it (a POST with
the form's CSRF token and the case's version). Each user has cases of their own, so a 409 (two
people on one case) should not happen; it is counted apart from errors anyway.

Prints requests, throughput and p50/p95/p99 latency per kind; errors are answers other than
2xx/3xx (and 409), or no answer. Asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
import sqlalchemy as sa
from bench_reports import AGENCY_CODE_PREFIX, _load, _migrate

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "caseflow_bench_load"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-load-password"
LOGIN_PREFIX = "bench-load-"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


def _urls(admin_url: str) -> tuple[str, str]:
    """(libpq conninfo of the admin database, SQLAlchemy URL of the bench database)."""
    url = sa.make_url(admin_url)
    return (url.set(drivername="postgresql").render_as_string(hide_password=False),
            url.set(drivername="postgresql+psycopg", database=DATABASE).render_as_string(hide_password=False))


def _recreate(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _environment(url: str, instance: Path) -> dict[str, str]:
    """What gunicorn and the loader share: the database, the keys (cases are encrypted), the instance."""
    return {
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_INSTANCE_PATH": str(instance),
        "CASEFLOW_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CASEFLOW_ENCRYPTION_KEYS": "bench1:" + base64.b64encode(os.urandom(32)).decode(),
        "CASEFLOW_LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def _users(url: str, users: int) -> dict[str, list[int]]:
    """Caseworkers spread over the bench agencies; each gets its share of its agency's detected cases."""
    from caseflow import create_app
    from caseflow.cases.models import Case
    from caseflow.cases.vocabulary import CaseStatus
    from caseflow.extensions import db
    from caseflow.organizations.models import Organization
    from caseflow.users.models import Role
    from caseflow.users.operations import create_user

    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024})
    cases_of: dict[str, list[int]] = {}
    with app.app_context():
        agencies = db.session.scalars(sa.select(Organization).where(Organization.code.like(f"{AGENCY_CODE_PREFIX}%"))
                                      .order_by(Organization.id)).all()
        staff: dict[int, list[str]] = defaultdict(list)
        for n in range(users):
            agency = agencies[n % len(agencies)]
            login = f"{LOGIN_PREFIX}{n:02d}"
            create_user(db.session, login=login, display_name=f"計測 職員{n:02d}", organization=agency,
                        roles={Role.CASEWORKER}, password=PASSWORD)
            staff[agency.id].append(login)
        db.session.commit()
        for agency_id, logins in staff.items():
            detected = db.session.scalars(sa.select(Case.id).where(Case.agency_id == agency_id,
                                                                   Case.status == CaseStatus.DETECTED)
                                          .order_by(Case.id)).all()
            for index, login in enumerate(logins):
                cases_of[login] = list(detected[index::len(logins)])
    db.state(app).engine.dispose()
    return cases_of


def _recorded(url: str) -> int:
    """Transitions the database holds from the bench's users: what the 3xx answers claim."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(sa.text(
            "SELECT count(*) FROM case_events e JOIN users u ON u.id = e.actor_id "
            "WHERE e.trigger = 'start_verification' AND u.login LIKE :prefix"), {"prefix": f"{LOGIN_PREFIX}%"})
    engine.dispose()
    return count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads",
               str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "caseflow:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or workers still starting (a timeout)
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


@dataclass
class Tally:
    """Latencies (s) per kind of request, and what went wrong; shared by the users' threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, started: float, response: requests.Response | None, failure: str = "") -> None:
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
            if response is not None and response.status_code == 409:
                self.conflicts[kind] += 1
            elif response is None or response.status_code >= 400:
                self.errors[kind].append(failure or f"HTTP {response.status_code}")


class User(threading.Thread):
    """One caseworker: logs in, then lists, opens and starts verifying their own cases until told to stop."""

    def __init__(self, base: str, login: str, cases: list[int], pages: int, tally: Tally, stop: threading.Event,
                 seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.login, self.cases, self.pages = base, login, cases, pages
        self.tally, self.stop, self.random = tally, stop, random.Random(seed)
        self.session = requests.Session()

    def _get(self, kind: str, path: str) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.get(self.base + path, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            self.tally.record(kind, started, None, type(exc).__name__)
            return None
        self.tally.record(kind, started, response)
        return response

    def _post(self, kind: str, path: str, data: dict) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.post(self.base + path, data=data, allow_redirects=False, timeout=60)
        except requests.RequestException as exc:
            self.tally.record(kind, started, None, type(exc).__name__)
            return None
        self.tally.record(kind, started, response)
        return response

    def run(self) -> None:
        page = self.session.get(self.base + "/login", timeout=60).text
        token = _CSRF.search(page).group(1)
        response = self._post("login", "/login", {"csrf_token": token, "login": self.login, "password": PASSWORD})
        if response is None or response.status_code not in (302, 303):
            return
        while not self.stop.is_set() and self.cases:
            self._get("list", f"/cases/?page={self.random.randint(1, self.pages)}")
            case_id = self.cases.pop()
            case_page = self._get("case", f"/cases/{case_id}")
            if case_page is None or case_page.status_code != 200:
                continue
            version, token = _VERSION.search(case_page.text), _CSRF.search(case_page.text)
            if version is None or token is None:
                self.tally.record("transition", time.perf_counter(), None, "no version or token on the case page")
                continue
            self._post("transition", f"/cases/{case_id}/transitions/start_verification",
                       {"csrf_token": token.group(1), "version": version.group(1)})


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(tally: Tally, seconds: float) -> None:
    print(f"{'kind':<11} {'requests':>8} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'409':>4} {'errors':>6}")
    total = 0
    for kind in ("login", "list", "case", "transition"):
        values = tally.latencies.get(kind, [])
        if not values:
            continue
        total += len(values)
        print(f"{kind:<11} {len(values):>8,} {len(values) / seconds:>7.1f} {statistics.median(values) * 1000:>7.0f} "
              f"{_percentile(values, 0.95) * 1000:>7.0f} {_percentile(values, 0.99) * 1000:>7.0f} "
              f"{max(values) * 1000:>7.0f} {tally.conflicts.get(kind, 0):>4} {len(tally.errors.get(kind, [])):>6}")
    print(f"all        {total:>8,} {total / seconds:>7.1f} requests/s over {seconds:.0f} s")
    for kind, failures in tally.errors.items():
        shown = ", ".join(f"{what} ×{failures.count(what)}" for what in sorted(set(failures)))
        print(f"errors in {kind}: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--agencies", type=int, default=5)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--admin-url", default=ADMIN_URL, help="an existing database to create the bench one from")
    args = parser.parse_args()

    admin, url = _urls(args.admin_url)
    instance = Path(tempfile.mkdtemp(prefix="caseflow-bench-load-"))
    env = _environment(url, instance)
    os.environ.update(env)  # the loader's app encrypts with the keys gunicorn will decrypt with
    started = time.perf_counter()
    _recreate(admin)
    _migrate(url)
    _load(url, args.cases, args.agencies)
    cases_of = _users(url, args.users)
    per_user = [len(ids) for ids in cases_of.values()]
    print(f"set up in {time.perf_counter() - started:.0f} s: {args.cases:,} cases, {args.users} caseworkers over "
          f"{args.agencies} agencies, {min(per_user):,}–{max(per_user):,} detected cases of their own each")

    port = _free_port()
    server = _start_gunicorn(env, port, args.workers, args.threads)
    print(f"gunicorn: {args.workers} workers × {args.threads} threads (gthread) on port {port}; "
          f"{os.cpu_count()} CPUs on this machine; client threads in this process")
    try:
        tally, stop = Tally(), threading.Event()
        # The list shows 50 cases a page; a caseworker sees their agency's cases.
        pages = max(1, args.cases // args.agencies // 50)
        users = [User(f"http://127.0.0.1:{port}", login, ids, pages, tally, stop, seed=n)
                 for n, (login, ids) in enumerate(sorted(cases_of.items()))]
        for user in users:
            user.start()
        began = time.perf_counter()
        time.sleep(args.seconds)
        stop.set()
        for user in users:
            user.join(timeout=120)
        report(tally, time.perf_counter() - began)
        print(f"start_verification events by the bench users in the database: {_recorded(url):,}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
