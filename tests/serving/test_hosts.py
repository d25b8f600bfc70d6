"""Two web hosts and two workers on one PostgreSQL, one Redis and one storage folder, behind nginx
(deploy/nginx/caseflow-proxy.conf): what one host writes, the others read; a logout or a failed
login on one counts on both. Each host has an instance folder of its own."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess

import polars as pl
import pytest
import requests
import sqlalchemy as sa

from caseflow.db import make_engine
from caseflow.seeding import demo_password
from caseflow_synthetic import generate
from tests.backends import require_service
from tests.conftest import test_config as app_config
from tests.jobs.conftest import REDIS_URL, redis_unavailable
from tests.serving.hosts import PROXY_SNIPPET, Hosts, nginx_binary, wait_for

CASEWORKER = "hirosaki-caseworker"  # 弘前市, links 身体障害者手帳 (the demo)
GUESSED = "aomori-caseworker"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _environment() -> dict:
    config = app_config("", "")
    return {"CASEFLOW_SECRET_KEY": config["SECRET_KEY"], "CASEFLOW_ENCRYPTION_KEYS": config["ENCRYPTION_KEYS"],
            "CASEFLOW_LOOKUP_KEY": config["LOOKUP_KEY"], "CASEFLOW_LOGIN_RATE_LIMIT": "6 per minute",
            "CASEFLOW_LOGIN_MAX_FAILURES": "5"}


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return _CSRF.search(page.text).group(1)


def _login(session: requests.Session, base: str, login: str, password: str) -> requests.Response:
    token = _csrf(session, base + "/login")
    return session.post(base + "/login", data={"login": login, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=30)


def _csv(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def _wait_until_not(engine, table: str, row_id: int, statuses: tuple[str, ...], what: str) -> None:
    """Until a worker has moved the row out of ``statuses`` (its job done)."""
    def moved() -> bool:
        with engine.connect() as conn:
            return conn.scalar(sa.text(f"SELECT status FROM {table} WHERE id = :id"), {"id": row_id}) not in statuses

    wait_for(moved, timeout=180, what=what)


@pytest.fixture
def hosts(backend, demo_database, tmp_path):
    require_service("Redis", redis_unavailable())
    require_service("nginx", None if nginx_binary() else "nginx がありません（scripts/setup.sh test が導入します）")
    url, instance = demo_database
    made = Hosts(tmp_path, backend.copy(of=url), REDIS_URL, env_extra=_environment())
    for folder in ("inspections", "print_runs"):  # the demo's files, moved to the shared storage
        if (instance / folder).is_dir():
            shutil.copytree(instance / folder, made.storage / folder)
    try:
        yield made
    finally:
        made.stop()
        print(made.logs())


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # one database for all hosts
def test_two_web_hosts_and_two_workers_share_files_sessions_and_login_counts(hosts):
    engine = make_engine(hosts.database_url)
    hosts.start(workers=[hosts.worker[1]])  # worker 1 not yet: the grading goes to worker 2
    web1, web2 = hosts.web_urls
    try:
        with engine.connect() as conn:
            program_id = conn.scalar(sa.text("SELECT id FROM programs WHERE code = 'disability-handbook'"))
        worker = requests.Session()
        assert _login(worker, web1, CASEWORKER, demo_password()).status_code == 302

        # An upload through web 1 …
        registry, records, _truth = generate(120, seed=19)
        token = _csrf(worker, web1 + "/inspections/new")
        answer = worker.post(web1 + "/inspections/new", data={"program": program_id, "csrf_token": token},
                             files={"records": ("records.csv", _csv(records)),
                                    "registry": ("registry.csv", _csv(registry))},
                             allow_redirects=False, timeout=60)
        assert answer.status_code == 302, answer.text[:500]
        with engine.connect() as conn:
            batch_id = conn.scalar(sa.text("SELECT max(id) FROM inspection_batches"))

        _wait_until_not(engine, "inspection_batches", batch_id, ("queued", "running"), "the inspection")
        with engine.connect() as conn:
            status, opened = conn.execute(sa.text("SELECT status, cases_opened FROM inspection_batches "
                                                  "WHERE id = :id"), {"id": batch_id}).one()
            claimed = conn.scalar(sa.text("SELECT claimed_by FROM jobs WHERE kind = 'inspection' "
                                          "ORDER BY id DESC LIMIT 1"))
        assert status == "done"
        # … graded by worker 2, the only one running, from the shared storage …
        assert claimed.endswith(f":{hosts.worker[1].pid}"), claimed
        assert opened > 0
        # … and its result downloaded through web 2 (and through the proxy), the very file stored.
        stored = (hosts.storage / "inspections" / str(batch_id) / "result.csv").read_bytes()
        for base in (web2, hosts.url):
            result = worker.get(f"{base}/inspections/{batch_id}/result.csv", timeout=30)
            assert result.status_code == 200 and result.content == stored
        assert not list((hosts.workdir / "web1").rglob("result.csv"))  # nothing in web 1's own folder

        # A print run built by a worker (worker 1 now; worker 2 stopped) downloads through either web host.
        hosts.worker[0].start()
        hosts.wait_for_worker(hosts.worker[0])
        hosts.worker[1].stop()
        token = _csrf(worker, hosts.url + "/letters/runs")
        answer = worker.post(hosts.url + "/letters/runs", data={"csrf_token": token, "program": "", "kind": ""},
                             allow_redirects=False, timeout=60)
        assert answer.status_code == 302, answer.text[:500]
        with engine.connect() as conn:
            run_id = conn.scalar(sa.text("SELECT max(id) FROM print_runs"))

        _wait_until_not(engine, "print_runs", run_id, ("queued",), "the print run")
        with engine.connect() as conn:
            claimed = conn.scalar(sa.text("SELECT claimed_by FROM jobs WHERE kind = 'print_run' "
                                          "ORDER BY id DESC LIMIT 1"))
        assert claimed.endswith(f":{hosts.worker[0].pid}"), claimed
        pdfs = [worker.get(f"{base}/letters/runs/{run_id}/files/letters", timeout=60) for base in (web1, web2)]
        assert [p.status_code for p in pdfs] == [200, 200]
        assert pdfs[0].content.startswith(b"%PDF") and pdfs[0].content == pdfs[1].content

        # Logging out through web 1 ends the session on web 2 as well.
        assert worker.get(web2 + "/cases/", allow_redirects=False, timeout=30).status_code == 200
        token = _csrf(worker, web1 + "/cases/")
        assert worker.post(web1 + "/logout", data={"csrf_token": token}, allow_redirects=False,
                           timeout=30).status_code == 302
        after = worker.get(web2 + "/cases/", allow_redirects=False, timeout=30)
        assert after.status_code == 302 and "/login" in after.headers["Location"]

        # Failed logins count across both hosts: the account locks after five (3 on web 1, 2 on
        # web 2), and the sixth refusal from this address (6 per minute) stops the seventh attempt.
        guesser = requests.Session()
        codes = [_login(guesser, base, GUESSED, "wrong-password").status_code
                 for base in (web1, web1, web1, web2, web2)]
        assert codes == [401] * 5
        assert _login(guesser, web1, GUESSED, demo_password()).status_code == 401  # locked: refused
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT locked_until IS NOT NULL FROM users WHERE login = :l"),
                               {"l": GUESSED})
        throttled = _login(guesser, web2, "someone-else", "wrong-password")
        assert throttled.status_code == 429
        assert "しばらくお待ちください" in throttled.text

        # Both web hosts answered through the proxy.
        for _ in range(6):
            assert requests.get(hosts.url + "/healthz", timeout=10).status_code == 200
        assert all('"GET /healthz' in process.output() for process in hosts.web)

        # No web host left to answer: the proxy's own page, in Japanese.
        for process in hosts.web:
            process.stop()
        down = requests.get(hosts.url + "/cases/", timeout=30)
        assert down.status_code == 502 and "ただいま利用できません" in down.content.decode()
    finally:
        engine.dispose()
        hosts.stop()
    assert all(process.popen.returncode in (0, -signal.SIGTERM) for process in hosts.web + hosts.worker
               if process.popen is not None), hosts.logs()


def test_the_deploy_config_is_accepted_by_nginx(tmp_path):
    """deploy/nginx/caseflow.conf as installed (snippet in place, a certificate) passes `nginx -t`."""
    nginx = nginx_binary()
    require_service("nginx", None if nginx else "nginx がありません（scripts/setup.sh test が導入します）")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = (PROXY_SNIPPET.parent / "caseflow.conf").read_text()
    for installed, here in (("/etc/nginx/snippets/caseflow-proxy.conf", PROXY_SNIPPET),
                            ("/etc/ssl/certs/caseflow.pem", tmp_path / "cert.pem"),
                            ("/etc/ssl/private/caseflow.key", tmp_path / "key.pem"),
                            ("/var/log/nginx/", f"{tmp_path}/")):
        assert installed in site, installed
        site = site.replace(installed, str(here))
    (tmp_path / "caseflow.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         f"events {{}}\nhttp {{ include {tmp_path}/caseflow.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
