"""Load benchmark: caseworkers at work on gunicorn over PostgreSQL, latencies per kind of request.

    .venv/bin/python bench/bench_load.py [--mode saturation|think] [--cases 1000000] [--agencies 5]
                                         [--users N] [--seconds 60] [--reuse] [--workers W] [--threads T]
                                         [--client-processes P] [--admin-url URL]
    .venv/bin/python bench/bench_load.py --url http://host:port --logins-from FILE [--mode …] [--seconds …]
    .venv/bin/python bench/bench_load.py --reuse --write-logins FILE --users N    (prepare only)

Two modes: ``saturation`` (default 16 users, no pause: the throughput the server reaches) and
``think`` (default 200 users, each pausing 1–3 s between actions: the latencies people see).
Each user logs in with its own session, then loops for --seconds: the case list at a random
page, one of the user's own detected cases, and 確認を開始 on it (a POST with the page's CSRF
token and the case's version). Each user has cases of their own, so a 409 should not happen; it
is counted apart from errors anyway.

The database ``caseflow_bench_load`` is made next to --admin-url's database, migrated, and
loaded with the COPY loader of bench_reports.py. With --reuse a database already holding
--cases cases is kept (its keys are kept in STATE_DIR): loading a million cases takes minutes.
gunicorn (gthread) is sized like ``caseflow serve`` unless --workers/--threads say otherwise.

Prints requests/s and p50/p95/p99 per kind, errors by status (answers other than 2xx/3xx and
409, or no answer), the load generator's own CPU time, then the actions-once check: every
transition answered as done is in ``case_events`` once, none twice, and none the bench did not
count as done.

The load generator is a lean HTTP client (http.client, one keep-alive connection per user,
cookies by hand) in --client-processes processes of threads: on a 2-core machine it takes a
few percent of a core and leaves the rest to gunicorn and PostgreSQL (its CPU time is printed).
``run_load`` and ``actions_once`` are the pieces bench_faults.py reuses against a running server.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import re
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import sqlalchemy as sa

from caseflow.cases.listing import COUNT_CAP

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reports import AGENCY_CODE_PREFIX, _load, _migrate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "caseflow_bench_load"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-load-password"
LOGIN_PREFIX = "bench-load-"
# The keys the loaded cases were encrypted with, and the instance folder: kept for --reuse.
STATE_DIR = Path(tempfile.gettempdir()) / "caseflow-bench-load"
KINDS = ("list", "case", "transition")  # what is counted; logins are reported apart
LOGINS_PER_SECOND = 10  # users log in spread over users / 10 s before the measured window
CASES_PER_USER = 5_000  # more than a user gets through in one run
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
_TRANSITION = "start_verification"


# --- the database and the users ------------------------------------------------------------------

def _urls(admin_url: str) -> tuple[str, str]:
    """(libpq conninfo of the admin database, SQLAlchemy URL of the bench database)."""
    url = sa.make_url(admin_url)
    return (url.set(drivername="postgresql").render_as_string(hide_password=False),
            url.set(drivername="postgresql+psycopg", database=DATABASE).render_as_string(hide_password=False))


def _recreate(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _case_count(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM cases"))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return None  # no such database, or not migrated
    finally:
        engine.dispose()


def _environment(url: str, *, fresh: bool) -> dict[str, str]:
    """What gunicorn and the loader share: the database, the keys (cases are encrypted), the instance."""
    saved = STATE_DIR / "environment.json"
    if not fresh and saved.exists():
        env = json.loads(saved.read_text())
    else:
        STATE_DIR.mkdir(exist_ok=True)
        env = {
            "CASEFLOW_INSTANCE_PATH": str(STATE_DIR / "instance"),
            "CASEFLOW_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
            "CASEFLOW_ENCRYPTION_KEYS": "bench1:" + base64.b64encode(os.urandom(32)).decode(),
            "CASEFLOW_LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        saved.write_text(json.dumps(env))
        saved.chmod(0o600)
    return {**env, "CASEFLOW_DATABASE_URL": url}


def prepare(admin_url: str, cases: int, agencies: int, *, reuse: bool) -> tuple[str, dict[str, str]]:
    """The bench database holding ``cases`` cases (loaded unless --reuse finds it so); (URL, environment)."""
    admin, url = _urls(admin_url)
    keep = reuse and (STATE_DIR / "environment.json").exists() and _case_count(url) == cases
    env = _environment(url, fresh=not keep)
    os.environ.update(env)  # the loader's app encrypts with the keys gunicorn will decrypt with
    if keep:
        _migrate(url)  # a migration added since it was loaded
        # The cases earlier runs moved left dead row versions behind (tens of thousands, under
        # autovacuum's threshold on a million rows): vacuumed first, as in time they would be, so
        # that runs compare with each other and with a fresh load.
        with psycopg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) cases, case_states, case_events")
        print(f"reusing {DATABASE}: {cases:,} cases")
        return url, env
    started = time.perf_counter()
    _recreate(admin)
    _migrate(url)
    _load(url, cases, agencies)
    print(f"loaded {cases:,} cases over {agencies} agencies in {time.perf_counter() - started:.0f} s")
    return url, env


def ensure_users(url: str, users: int) -> list[str]:
    """The logins of ``users`` bench caseworkers spread over the bench agencies (made when missing)."""
    from caseflow import create_app
    from caseflow.extensions import db
    from caseflow.organizations.models import Organization
    from caseflow.users.models import Role, User
    from caseflow.users.operations import create_user

    logins = [f"{LOGIN_PREFIX}{n:03d}" for n in range(users)]
    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024})
    with app.app_context():
        existing = set(db.session.scalars(sa.select(User.login).where(User.login.in_(logins))))
        agencies = db.session.scalars(sa.select(Organization).where(Organization.code.like(f"{AGENCY_CODE_PREFIX}%"))
                                      .order_by(Organization.id)).all()
        for n, login in enumerate(logins):
            if login not in existing:
                create_user(db.session, login=login, display_name=f"計測 職員{n:03d}",
                            organization=agencies[n % len(agencies)], roles={Role.CASEWORKER}, password=PASSWORD)
        db.session.commit()
    db.state(app).engine.dispose()
    return logins


def assignments(url: str, logins: list[str], per_user: int = CASES_PER_USER) -> dict[str, list[int]]:
    """Detected cases for each login, of its agency, none shared: the agency's detected cases dealt
    out among the agency's logins."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        agency_of = dict(conn.execute(sa.text("SELECT login, organization_id FROM users WHERE login = ANY(:logins)"),
                                      {"logins": logins}).all())
        staff: dict[int, list[str]] = defaultdict(list)
        for login in logins:
            staff[agency_of[login]].append(login)
        cases_of: dict[str, list[int]] = {}
        for agency_id, members in staff.items():
            detected = conn.scalars(sa.text(
                "SELECT id FROM cases WHERE agency_id = :agency AND status = 'detected' ORDER BY id LIMIT :n"),
                {"agency": agency_id, "n": per_user * len(members)}).all()
            for index, login in enumerate(members):
                cases_of[login] = list(detected[index::len(members)])
        # The pages a caseworker can reach: 50 cases each, as many as the list counts (COUNT_CAP).
        pages = {agency_id: min(conn.scalar(sa.text("SELECT count(*) FROM cases WHERE agency_id = :agency"),
                                            {"agency": agency_id}), COUNT_CAP) // 50 or 1 for agency_id in staff}
    engine.dispose()
    return {"password": PASSWORD, "users": cases_of, "pages": {login: pages[agency_of[login]] for login in logins}}


# --- the load: a lean HTTP client, users as threads, processes of threads -----------------------------

@dataclass
class LoadResult:
    """What a run of users did: latencies (s) and answers per kind, and the transitions answered as done."""

    seconds: float = 0.0  # the measured window: from when every user has logged in
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # kind → status → count
    failures: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # kind → what → count
    transitions: list[int] = field(default_factory=list)  # case ids answered 3xx (done)
    attempted: list[int] = field(default_factory=list)  # case ids a transition was sent for
    cpu_seconds: float = 0.0  # the load generator's own CPU time

    @property
    def login_failures(self) -> int:
        return sum(self.failures.get("login", {}).values())

    @property
    def answered(self) -> int:
        return sum(sum(c.values()) for kind, c in self.statuses.items() if kind in KINDS)

    def errors(self, kind: str | None = None) -> int:
        """Answers other than 2xx/3xx/409, and no answer, of ``kind`` (None: every counted kind)."""
        return sum(n for k in ([kind] if kind else KINDS) for n in self.failures.get(k, {}).values())

    def merge(self, other: LoadResult) -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        for kind, counts in other.statuses.items():
            self.statuses[kind].update(counts)
        for kind, counts in other.failures.items():
            self.failures[kind].update(counts)
        self.transitions.extend(other.transitions)
        self.attempted.extend(other.attempted)
        self.cpu_seconds += other.cpu_seconds
        self.seconds = max(self.seconds, other.seconds)


class Browser:
    """One user's keep-alive connection and cookies: the least a client can do per request."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def _connection(self) -> http.client.HTTPConnection:
        # A kept-alive connection the server closed meanwhile reads as ready (EOF): open a new one,
        # as urllib3 does, rather than fail a request the server never saw.
        if self.conn is not None and (self.conn.sock is None or select.select([self.conn.sock], [], [], 0)[0]):
            self.conn.close()
            self.conn = None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reused = self.conn is not None
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            conn.close()
            self.conn = None
            if not (reused and method == "GET"):
                raise
            # The server closed the kept-alive connection as the request went out: a browser sends
            # a GET again on a new connection, unseen by the user; so does this one, once.
            return self.request(method, path, form)
        except BaseException:
            conn.close()
            self.conn = None
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            conn.close()
            self.conn = None
        return response.status, text


class _User(threading.Thread):
    """One caseworker: logs in, then lists, opens and starts verifying their own cases until told to stop."""

    def __init__(self, base_url: str, login: str, password: str, cases: list[int], pages: int,
                 think: tuple[float, float] | None, result: LoadResult, lock: threading.Lock,
                 logged_in: threading.Barrier, stop: threading.Event, seed: int, login_spread: float) -> None:
        super().__init__(daemon=True)
        self.browser = Browser(base_url)
        self.login, self.password, self.cases, self.pages, self.think = login, password, list(cases), pages, think
        self.result, self.lock, self.logged_in, self.stop = result, lock, logged_in, stop
        self.random = random.Random(seed)
        self.login_spread = login_spread

    def _send(self, kind: str, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        started = time.perf_counter()
        try:
            status, text = self.browser.request(method, path, form)
        except (OSError, http.client.HTTPException) as exc:
            status, text, failure = 0, "", type(exc).__name__
        else:
            failure = f"HTTP {status}" if status >= 400 and status != 409 else ""
        elapsed = time.perf_counter() - started
        with self.lock:
            self.result.latencies[kind].append(elapsed)
            self.result.statuses[kind][status] += 1
            if failure:
                self.result.failures[kind][failure] += 1
        return status, text

    def _pause(self) -> None:
        if self.think:
            self.stop.wait(self.random.uniform(*self.think))

    def _log_in(self) -> bool:
        status, page = self._send("login", "GET", "/login")
        token = _CSRF.search(page) if status == 200 else None
        if token is None:
            return False
        status, _ = self._send("login", "POST", "/login",
                               {"csrf_token": token.group(1), "login": self.login, "password": self.password})
        return status in (302, 303)

    def run(self) -> None:
        # People do not all arrive in the same second (a login costs the server a password hash).
        time.sleep(self.random.uniform(0, self.login_spread))
        ok = self._log_in()
        try:
            self.logged_in.wait()
        except threading.BrokenBarrierError:
            pass
        # With think time, a user is taken mid-session: its first action comes at a moment of its
        # own within one round (list, case, transition: three pauses), as people's do, not 200 case
        # lists asked for within the same second or two when the window opens.
        if self.think:
            self.stop.wait(self.random.uniform(0, 3 * sum(self.think) / 2))
        while ok and not self.stop.is_set() and self.cases:
            self._send("list", "GET", f"/cases/?page={self.random.randint(1, self.pages)}")
            self._pause()
            if self.stop.is_set():
                break
            case_id = self.cases.pop()
            status, page = self._send("case", "GET", f"/cases/{case_id}")
            self._pause()
            if status != 200 or self.stop.is_set():
                continue
            version, token = _VERSION.search(page), _CSRF.search(page)
            if version is None or token is None:
                with self.lock:
                    self.result.failures["transition"]["no version or token on the case page"] += 1
                continue
            with self.lock:
                self.result.attempted.append(case_id)
            status, _ = self._send("transition", "POST", f"/cases/{case_id}/transitions/{_TRANSITION}",
                                   {"csrf_token": token.group(1), "version": version.group(1)})
            if status in (302, 303):
                with self.lock:
                    self.result.transitions.append(case_id)
            self._pause()


def _run_threads(base_url: str, users: dict[str, list[int]], pages: dict[str, int], password: str, seconds: float,
                 think: tuple[float, float] | None, seed: int, processes: int = 1) -> LoadResult:
    result, lock, stop = LoadResult(), threading.Lock(), threading.Event()
    logged_in = threading.Barrier(len(users) + 1)
    spread = len(users) / LOGINS_PER_SECOND / processes
    threads = [_User(base_url, login, password, cases, pages.get(login, 1), think, result, lock, logged_in, stop,
                     seed=seed * 100_003 + n, login_spread=spread)
               for n, (login, cases) in enumerate(sorted(users.items()))]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.start()
    try:
        logged_in.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    result.seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return result


def _process(args: tuple) -> LoadResult:
    result = _run_threads(*args)
    result.latencies, result.statuses, result.failures = (dict(result.latencies), dict(result.statuses),
                                                          dict(result.failures))
    return result


def run_load(base_url: str, users: dict[str, list[int]], seconds: float, think: tuple[float, float] | None = None,
             *, password: str = PASSWORD, pages: dict[str, int] | None = None, processes: int = 1,
             seed: int = 0) -> LoadResult:
    """Let ``users`` (login → their detected case ids, none shared) work against ``base_url`` for
    ``seconds`` after they have all logged in: list, open a case, start verifying it, pausing
    ``think`` = (min, max) seconds between actions (None: no pause). ``pages``: how many list pages
    each login may pick from. Users are threads in ``processes`` processes.

    Returns the latencies and answers per kind, the failures (status or exception) per kind, and
    the case ids whose transition was answered as done (``transitions``) or sent (``attempted``).
    """
    pages = pages or {}
    logins = sorted(users)
    shares = [logins[i::processes] for i in range(processes)]
    jobs = [(base_url, {login: users[login] for login in share}, pages, password, seconds, think, seed + n,
             processes) for n, share in enumerate(shares) if share]
    if len(jobs) == 1:
        return _run_threads(*jobs[0])
    result = LoadResult()
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        for part in pool.map(_process, jobs):
            result.merge(part)
    return result


# --- every counted action in the database once ---------------------------------------------------

def event_mark(url: str, table: str = "case_events") -> int:
    """The last row id of ``table`` now (case events by default): rows after it are the run's."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        mark = conn.scalar(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}"))
    engine.dispose()
    return mark


@dataclass(frozen=True)
class ActionsCheck:
    """The run's transitions as answered, against the events the database holds."""

    answered_done: int
    recorded: int
    missing: list[int]  # answered as done, no event
    duplicated: list[int]  # more than one event
    unanswered: list[int]  # an event, though not answered as done (no answer, an error): worth a look

    @property
    def ok(self) -> bool:
        return not self.missing and not self.duplicated


def actions_once(url: str, result: LoadResult, mark: int) -> ActionsCheck:
    """Compare the transitions ``result`` counted as done with the ``start_verification`` events written
    after ``mark`` (``event_mark`` before the run) on the cases it sent them for."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text(
            "SELECT case_id, count(*) FROM case_events WHERE id > :mark AND trigger = :trigger "
            "AND case_id = ANY(:cases) GROUP BY case_id"),
            {"mark": mark, "trigger": _TRANSITION, "cases": sorted(set(result.attempted))}).all())
    engine.dispose()
    done = Counter(result.transitions)
    return ActionsCheck(
        answered_done=len(result.transitions), recorded=sum(counts.values()),
        missing=sorted(c for c in done if c not in counts),
        duplicated=sorted({c for c, n in counts.items() if n > 1} | {c for c, n in done.items() if n > 1}),
        unanswered=sorted(c for c in counts if c not in done))


# --- the server -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int, root: Path = ROOT
                    ) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads",
               str(threads), "--keep-alive", "5", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "caseflow:create_app()"]
    if (root / "caseflow" / "serving" / "hooks.py").exists():  # as `caseflow serve` sets them (not in older trees)
        command[-1:-1] = ["-c", "python:caseflow.serving.hooks"]
    server = subprocess.Popen(command, cwd=root, env={**os.environ, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if Browser(f"http://127.0.0.1:{port}", timeout=2).request("GET", "/healthz")[0] == 200:
                return server
        except OSError:  # not listening yet, or workers still starting
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _cpu_by_process(keep) -> dict[int, float]:
    """CPU seconds so far of the processes ``keep(pid, parent pid, command line)`` picks, by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if keep(int(proc.name), int(fields[1]), command):
            found[int(proc.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def _cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the report -----------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(result: LoadResult) -> None:
    print(f"{'kind':<11} {'requests':>8} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'409':>4} {'errors':>6}")
    for kind in ("login", *KINDS):
        values = result.latencies.get(kind, [])
        if not values:
            continue
        print(f"{kind:<11} {len(values):>8,} {len(values) / result.seconds:>7.1f} "
              f"{_percentile(values, 0.50) * 1000:>7.0f} {_percentile(values, 0.95) * 1000:>7.0f} "
              f"{_percentile(values, 0.99) * 1000:>7.0f} {max(values) * 1000:>7.0f} "
              f"{result.statuses.get(kind, {}).get(409, 0):>4} {result.errors(kind) if kind in KINDS else '':>6}")
    total = sum(len(result.latencies.get(kind, [])) for kind in KINDS)
    print(f"all        {total:>8,} {total / result.seconds:>7.1f} requests/s over {result.seconds:.0f} s "
          f"(logins apart); errors: {result.errors()} (and {result.login_failures} failed logins)")
    for kind, failures in result.failures.items():
        print(f"errors in {kind}: " + ", ".join(f"{what} ×{n}" for what, n in sorted(failures.items())))
    print(f"load generator CPU: {result.cpu_seconds:.1f} s ({result.cpu_seconds / result.seconds:.0%} of one core)")


def report_actions(check: ActionsCheck) -> None:
    print(f"actions once: {check.answered_done:,} transitions answered as done, {check.recorded:,} events recorded; "
          f"missing {len(check.missing)}, duplicated {len(check.duplicated)}, recorded though not answered as done "
          f"{len(check.unanswered)} → {'OK' if check.ok else 'FAILED'}")
    for what, ids in (("missing", check.missing), ("duplicated", check.duplicated), ("unanswered", check.unanswered)):
        if ids:
            print(f"  {what}: {ids[:20]}{' …' if len(ids) > 20 else ''}")


MODES = {"saturation": (16, None), "think": (200, (1.0, 3.0))}


def machine_speed() -> float:
    """Seconds one core takes for a fixed piece of Python: shared machines change speed from one hour
    to the next (by a third here), so a figure is read beside the speed it was measured at."""
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES, default="saturation")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=5)
    parser.add_argument("--users", type=int, help="default: 16 (saturation), 200 (think)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reuse", action="store_true", help="keep a bench database that already holds --cases cases")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: as caseflow serve)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: as caseflow serve)")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--admin-url", default=ADMIN_URL, help="an existing database to create the bench one from")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the code gunicorn serves (another checkout: figures before a change)")
    parser.add_argument("--url", help="a running server to load (with --logins-from)")
    parser.add_argument("--logins-from", type=Path, help="users and their cases (JSON from --write-logins)")
    parser.add_argument("--write-logins", type=Path, help="prepare the database and users, write them here, stop")
    args = parser.parse_args()
    users, think = MODES[args.mode]
    users = args.users or users

    if args.url:
        if not args.logins_from:
            parser.error("--url needs --logins-from")
        plan = json.loads(args.logins_from.read_text())
        result = run_load(args.url, plan["users"], args.seconds, think, password=plan["password"],
                          pages=plan["pages"], processes=args.client_processes)
        report(result)
        return

    url, env = prepare(args.admin_url, args.cases, args.agencies, reuse=args.reuse)
    plan = assignments(url, ensure_users(url, users))
    per_user = [len(ids) for ids in plan["users"].values()]
    print(f"{users} caseworkers over {args.agencies} agencies, {min(per_user):,}–{max(per_user):,} detected cases "
          f"of their own each")
    if args.write_logins:
        args.write_logins.write_text(json.dumps(plan))
        print(f"logins written to {args.write_logins}")
        return

    from caseflow.serving.server import sizing

    size = sizing(workers=args.workers, threads=args.threads)
    speed = machine_speed()  # before the server starts
    port = _free_port()
    server = _start_gunicorn(env, port, size.workers, size.threads, args.root)
    print(f"mode {args.mode}: {users} users{f', think {think[0]:g}–{think[1]:g} s' if think else ', no pause'}; "
          f"gunicorn {size.workers} workers × {size.threads} threads (gthread); load generator "
          f"{args.client_processes} process(es) of threads; {os.cpu_count()} CPUs shared by all; "
          f"this machine's speed now: {speed:.2f} s for a fixed Python loop (runs compare when it does)")
    def gunicorn(pid: int, parent: int, _command: str) -> bool:
        return server.pid in (pid, parent)

    def postgres(_pid: int, _parent: int, command: str) -> bool:
        return command.startswith("postgres:") and f" {DATABASE} " in command

    try:
        mark = event_mark(url)
        before = _cpu_by_process(gunicorn), _cpu_by_process(postgres)
        result = run_load(f"http://127.0.0.1:{port}", plan["users"], args.seconds, think, pages=plan["pages"],
                          processes=args.client_processes)
        server_cpu = _cpu_spent(before[0], _cpu_by_process(gunicorn))
        database_cpu = _cpu_spent(before[1], _cpu_by_process(postgres))
        report(result)
        print(f"gunicorn CPU: {server_cpu:.1f} s ({server_cpu / result.seconds:.0%} of one core), PostgreSQL "
              f"backends of {DATABASE}: {database_cpu:.1f} s ({database_cpu / result.seconds:.0%}); logins "
              f"included; per answered request: {1000 * server_cpu / max(result.answered, 1):.0f} ms + "
              f"{1000 * database_cpu / max(result.answered, 1):.0f} ms; load average after: "
              f"{os.getloadavg()[0]:.1f}")
        report_actions(actions_once(url, result, mark))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
