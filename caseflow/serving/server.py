"""`caseflow serve`: the production web server (gunicorn, threads), sized from the core count.

Behind a reverse proxy (deploy/nginx/caseflow.conf): the proxy terminates TLS and passes the
client's address and scheme in X-Forwarded-*; CASEFLOW_PROXY_FIX says how many proxies to trust
(create_app wraps the app in werkzeug's ProxyFix). gunicorn reloads gracefully on SIGHUP (new
workers started before the old ones finish their requests: `systemctl reload caseflow-web`) and
stops gracefully on SIGTERM, within --graceful-timeout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask

from caseflow.serving import hooks

# A request longer than this is a stuck worker: gunicorn replaces it (the longest page is a few seconds).
TIMEOUT_SECONDS = 120
GRACEFUL_SECONDS = 30


@dataclass(frozen=True)
class Sizing:
    workers: int
    threads: int


def sizing(cores: int | None = None, *, workers: int | None = None, threads: int | None = None) -> Sizing:
    """Processes and threads for ``cores`` CPUs: two processes per core and 2 threads each. A page
    spends much of its time waiting on the database, so a core takes more than one request at a
    time; but the threads of one process take turns at Python's interpreter lock, so processes
    side by side do more than threads in one (measured with bench/bench_load.py on 2 cores: 4×2
    answered ~8 % more than 2×4, 4×1 and 6×1 no more than 4×2). At least 2 processes, so that a
    reload or a crash never leaves nobody answering."""
    cores = cores or os.cpu_count() or 1
    return Sizing(workers=workers or max(2, 2 * cores), threads=threads or 2)


def options(bind: str, size: Sizing) -> dict:
    return {
        "bind": bind, "workers": size.workers, "threads": size.threads, "worker_class": "gthread",
        "timeout": TIMEOUT_SECONDS, "graceful_timeout": GRACEFUL_SECONDS, "keepalive": 5,
        # Each worker makes its own app (and its own database pool) after the fork.
        "preload_app": False, "accesslog": "-", "errorlog": "-",
        # The access log line without the query string: a search's terms stay out of the logs.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "forwarded_allow_ips": "*" if os.environ.get("CASEFLOW_PROXY_FIX") else "127.0.0.1",
        "post_worker_init": hooks.post_worker_init,
    }


def run(bind: str, size: Sizing) -> None:
    """Serve create_app() with gunicorn until stopped (SIGTERM, SIGINT); SIGHUP reloads."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options(bind, size).items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            from caseflow import create_app

            return create_app()

    Server().run()
