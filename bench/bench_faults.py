"""Fault tries: the multi-host set-up under load, with a service taken away mid-run.

    .venv/bin/python bench/bench_faults.py [--cases 20000] [--users 20] [--seconds 60] [--reuse]
                                           [--tries postgres,redis,web,worker]

Two web hosts (`caseflow serve`, own instance folders) and two workers (`caseflow worker`) on one
PostgreSQL, one Redis and one storage folder behind nginx (tests/serving/hosts.py, the proxy file
of deploy/nginx). For each try, caseworkers work through the proxy (bench_load.run_load: list,
case page, 確認を開始) while an administrator asks for jobs (動作確認, ~5 s each), and then:

- postgres: PostgreSQL restarted (`pg_ctlcluster 15 main restart`);
- redis:    Redis stopped (SHUTDOWN NOSAVE) for 30 s, then started again as it was;
- web:      web host 1's gunicorn processes killed with SIGKILL mid-request, the host restarted;
- worker:   the worker running a job killed with SIGKILL mid-job, then started again.

Each try prints what it did and counts: requests answered, answers per status, errors seen by
users (any answer but 2xx/3xx/409, or none), what a user saw while the service was down (a probe
every 0.5 s: the Japanese 503/502 page or not, ever a 500), jobs lost (never finished) or run
twice (their effect applied twice: a job succeeds once, a restarted one from the start), and the
case events lost or duplicated (every transition answered as done has one event, none two).
It restarts PostgreSQL and Redis on this machine: run it when nothing else uses them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_load  # noqa: E402
from bench_load import Browser, actions_once, assignments, ensure_users, event_mark, prepare, run_load  # noqa: E402

from tests.serving.hosts import Hosts, status_of, wait_for  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"
ADMIN = "bench-faults-admin"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
UNAVAILABLE = "ただいま利用できません"


def ensure_admin(url: str) -> None:
    import datetime as dt

    from caseflow import create_app
    from caseflow.extensions import db
    from caseflow.organizations.models import Organization
    from caseflow.users.models import Role, User
    from caseflow.users.operations import create_user

    app = create_app({"DATABASE_URL": url, "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024})
    with app.app_context():
        if db.session.scalar(sa.select(User.id).where(User.login == ADMIN)) is None:
            organization = db.session.scalars(sa.select(Organization).order_by(Organization.id)).first()
            admin = create_user(db.session, login=ADMIN, display_name="計測 管理者", organization=organization,
                                roles={Role.ADMINISTRATOR}, password=bench_load.PASSWORD)
            admin.totp_secret = TOTP_SECRET
            admin.totp_confirmed_at = dt.datetime.now(dt.UTC)
        db.session.commit()
    db.state(app).engine.dispose()


class Administrator:
    """Logs in with the code and asks for 動作確認 jobs through the proxy."""

    def __init__(self, base_url: str) -> None:
        from caseflow.users import totp

        self.browser = Browser(base_url)
        _status, page = self.browser.request("GET", "/login")
        token = bench_load._CSRF.search(page).group(1)
        self.browser.request("POST", "/login", {"login": ADMIN, "password": bench_load.PASSWORD, "csrf_token": token})
        for step in (totp.current_step(), totp.current_step() + 1):
            _status, page = self.browser.request("GET", "/login/code")
            match = bench_load._CSRF.search(page)
            if match is None:
                break
            status, _ = self.browser.request("POST", "/login/code", {"code": totp.code_at(TOTP_SECRET, step),
                                                                     "csrf_token": match.group(1)})
            if status == 302:
                break

    def selftest(self) -> int | None:
        """Ask for a job; its id, or None when the request was not answered with a job page."""
        try:
            _status, page = self.browser.request("GET", "/cases/")
            match = bench_load._CSRF.search(page)
            if match is None:
                return None
            status, _ = self.browser.request("POST", "/jobs/selftest", {"count": "10", "delay": "0.5",
                                                                        "csrf_token": match.group(1)})
        except OSError:
            return None
        return status


def jobs_since(url: str, mark: int) -> dict[int, tuple[str, int]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, status, attempts FROM jobs WHERE id > :mark AND kind = 'selftest'"),
                            {"mark": mark}).all()
    engine.dispose()
    return {job_id: (status, attempts) for job_id, status, attempts in rows}


class Probe(threading.Thread):
    """What a user sees on the list page every 0.5 s: status, and whether an error was the Japanese page."""

    def __init__(self, base_url: str, browser: Browser) -> None:
        super().__init__(daemon=True)
        self.browser, self.stop = browser, threading.Event()
        self.seen: Counter = Counter()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                status, text = self.browser.request("GET", "/cases/")
                if status >= 500:
                    kind = f"{status} 日本語の案内" if UNAVAILABLE in text else f"{status} その他"
                    if "Traceback" in text:
                        kind += "（トレースバック）"
                else:
                    kind = str(status)
            except OSError as exc:
                kind = f"応答なし（{type(exc).__name__}）"
            self.seen[kind] += 1
            self.stop.wait(0.5)


def _redis_options() -> list[str]:
    out = subprocess.run(["redis-cli", "config", "get", "*"], capture_output=True, text=True, check=True).stdout
    values = out.splitlines()
    config = dict(zip(values[::2], values[1::2], strict=False))
    return ["--bind", config.get("bind", "127.0.0.1") or "127.0.0.1", "--port", config.get("port", "6379"),
            "--save", config.get("save", ""), "--appendonly", config.get("appendonly", "no"),
            "--dir", config.get("dir", "/var/lib/redis"), "--daemonize", "yes"]


def fault_postgres(hosts: Hosts) -> str:
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True)
    return "PostgreSQL を再起動しました（pg_ctlcluster 15 main restart）"


def fault_redis(hosts: Hosts) -> str:
    options = _redis_options()
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    time.sleep(30)
    subprocess.run(["redis-server", *options], check=True)
    wait_for(lambda: subprocess.run(["redis-cli", "ping"], capture_output=True, text=True).stdout.strip() == "PONG",
             what="redis")
    return "Redis を停止し（SHUTDOWN NOSAVE：待ち行列の中身も消える）、30秒後に起動しました"


def fault_web(hosts: Hosts) -> str:
    web = hosts.web[0]
    web.stop(signal.SIGKILL)
    time.sleep(5)
    web.start()
    wait_for(lambda: status_of(hosts.web_urls[0] + "/healthz") == 200, what="web1")
    return "web1 の gunicorn（親と子）を SIGKILL で止め、5秒後に起動しました"


def fault_worker(hosts: Hosts, url: str) -> str:
    engine = sa.create_engine(url)
    deadline = time.monotonic() + 60
    claimed = None
    while time.monotonic() < deadline and claimed is None:
        with engine.connect() as conn:
            claimed = conn.scalar(sa.text("SELECT claimed_by FROM jobs WHERE status = 'running' LIMIT 1"))
        time.sleep(0.2)
    engine.dispose()
    victim = next((w for w in hosts.worker if claimed and claimed.endswith(f":{w.pid}")), hosts.worker[0])
    victim.stop(signal.SIGKILL)
    time.sleep(3)
    victim.start()
    hosts.wait_for_worker(victim)
    return f"処理中の {victim.name}（{claimed}）を SIGKILL で止め、起動し直しました"


def one_try(name: str, hosts: Hosts, url: str, plan: dict, seconds: float) -> None:
    users = assignments(url, sorted(plan["users"]))
    mark, jobs_before = event_mark(url), event_mark(url, "jobs")
    results = []
    load = threading.Thread(target=lambda: results.append(run_load(
        hosts.url, users["users"], seconds, think=(0.5, 1.5), pages=users["pages"])))
    load.start()
    admin = Administrator(hosts.url)
    probe_browser = Administrator(hosts.url).browser
    time.sleep(8)  # the users logged in and working
    probe = Probe(hosts.url, probe_browser)
    probe.start()
    asked = [admin.selftest() for _ in range(3)]  # running when the fault comes
    started = time.perf_counter()
    done: list[str] = []
    fault = {"postgres": fault_postgres, "redis": fault_redis, "web": fault_web,
             "worker": lambda hosts: fault_worker(hosts, url)}[name]
    faulting = threading.Thread(target=lambda: done.append(fault(hosts)))
    faulting.start()
    time.sleep(1)
    asked += [admin.selftest() for _ in range(2)]  # asked for during the fault
    faulting.join()
    did, outage = done[0], time.perf_counter() - started
    asked += [admin.selftest() for _ in range(2)]  # and right after
    load.join()
    probe.stop.set()
    probe.join()
    result = results[0]
    check = actions_once(url, result, mark)

    deadline = time.monotonic() + 240  # the sweep re-queues waiting jobs every minute
    while time.monotonic() < deadline:
        jobs = jobs_since(url, jobs_before)
        if jobs and all(status in ("succeeded", "failed") for status, _ in jobs.values()):
            break
        time.sleep(2)
    jobs = jobs_since(url, jobs_before)
    statuses = Counter()
    for counter in result.statuses.values():
        for status, n in counter.items():
            statuses[status] += n
    answered = sum(n for status, n in statuses.items() if status)
    errors = sum(n for status, n in statuses.items() if not (200 <= status < 400 or status == 409))
    print(f"\n=== {name}: {did}（{outage:.1f} 秒）")
    print(f"  requests answered {answered:,} in {result.seconds:.0f} s; by status "
          + ", ".join(f"{s or 'none'}: {n:,}" for s, n in sorted(statuses.items())))
    print(f"  errors seen by users {errors:,} (of which 500: {statuses.get(500, 0)}); failures "
          + "; ".join(f"{kind}: {dict(c)}" for kind, c in result.failures.items() if c))
    print("  what a user saw meanwhile (list page every 0.5 s): "
          + ", ".join(f"{k}: {n}" for k, n in sorted(probe.seen.items())))
    print(f"  jobs asked {len(asked)} (answers {Counter(asked)}); in the database {len(jobs)}: "
          f"{Counter(s for s, _ in jobs.values())}; restarted (attempts > 1) "
          f"{sum(1 for _, a in jobs.values() if a > 1)}; lost (never finished) "
          f"{sum(1 for s, _ in jobs.values() if s not in ('succeeded', 'failed'))}")
    print(f"  transitions answered as done {check.answered_done:,}, events {check.recorded:,}: "
          f"lost {len(check.missing)}, duplicated {len(check.duplicated)}, "
          f"recorded though the user saw no success {len(check.unanswered)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--agencies", type=int, default=5)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--tries", default="postgres,redis,web,worker")
    parser.add_argument("--admin-url", default=bench_load.ADMIN_URL)
    args = parser.parse_args()

    bench_load.DATABASE = "caseflow_bench_faults"  # apart from bench_load's own database
    bench_load.STATE_DIR = Path(tempfile.gettempdir()) / "caseflow-bench-faults"
    url, env = prepare(args.admin_url, args.cases, args.agencies, reuse=args.reuse)
    logins = ensure_users(url, args.users)
    ensure_admin(url)
    plan = assignments(url, logins)
    workdir = Path(tempfile.mkdtemp(prefix="caseflow-faults-"))
    hosts = Hosts(workdir, url, REDIS_URL, env_extra={k: v for k, v in env.items() if k != "CASEFLOW_INSTANCE_PATH"},
                  web_processes=2, web_threads=4)
    os.environ.pop("CASEFLOW_INSTANCE_PATH", None)
    print(f"hosts: web {hosts.web_urls}, proxy {hosts.url}, storage {hosts.storage}, logs in {workdir}")
    with hosts:
        for name in args.tries.split(","):
            one_try(name, hosts, url, plan, args.seconds)
    web_logs = "".join(process.output() for process in hosts.web)
    print(f"\nweb hosts' logs: {web_logs.count('Traceback')} tracebacks (in the logs only, never on a page)")


if __name__ == "__main__":
    main()
