"""`caseflow serve` answers, reloads on SIGHUP without going away, and stops on SIGTERM; behind a
proxy (CASEFLOW_PROXY_FIX) the client's address and scheme reach the app."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from caseflow import create_app
from caseflow.extensions import db
from caseflow.serving import hooks
from caseflow.serving.server import options, sizing
from tests.conftest import test_config as app_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            return response.status
    except OSError:
        return 0


def _wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_serve_answers_reloads_gracefully_and_stops(committed_app, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CASEFLOW_DATABASE_URL": committed_app.config["DATABASE_URL"],
           "CASEFLOW_INSTANCE_PATH": str(tmp_path / "instance"), "CASEFLOW_SECRET_KEY": "test-secret"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(Path(sys.executable).with_name("caseflow")), "serve", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: _healthz(url) == 200)
        server.send_signal(signal.SIGHUP)  # systemctl reload caseflow-web
        answered = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            answered.append(_healthz(url))
        assert set(answered) == {200}, answered  # never a moment without a worker
        _wait(lambda: "Hang up: Master" in log.read_text())
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    output = log.read_text()
    assert code == 0, output
    assert f"CaseFlow を 127.0.0.1:{port} で起動します（2プロセス × 2スレッド）。" in output
    assert '"GET /healthz" 200' in output  # the access log: method and path, never a query string
    assert _healthz(url) == 0


def test_the_sizing_follows_the_cores():
    assert sizing(1).workers == 2  # one process left answering while another restarts
    assert (sizing(2).workers, sizing(2).threads) == (4, 2)
    assert (sizing(8).workers, sizing(8).threads) == (16, 2)
    assert sizing(8, workers=3, threads=1).workers == 3


def test_each_worker_keeps_the_cycle_collector_off_the_apps_own_objects():
    saved = gc.get_threshold()
    try:
        options("127.0.0.1:0", sizing(2))["post_worker_init"](None)  # what gunicorn calls in a worker
        assert gc.get_threshold()[0] == hooks.GC_YOUNGEST_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1 http"), (1, "203.0.113.7 https caseflow.example.jp")])
def test_behind_a_proxy_the_client_address_and_scheme_reach_the_app(committed_app, tmp_path, proxies, seen):
    app = create_app(app_config(committed_app.config["DATABASE_URL"], tmp_path / "instance") | {"PROXY_FIX": proxies})
    from flask import request

    @app.get("/_seen")
    def _seen():
        return " ".join([request.remote_addr, request.scheme] + ([request.host] if proxies else []))

    response = app.test_client().get("/_seen", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "caseflow.example.jp"})
    assert response.get_data(as_text=True) == seen
    db.state(app).engine.dispose()
