"""Several CaseFlow hosts on one machine: web processes (`caseflow serve`), each with its own
instance folder, and workers (`caseflow worker`), on one database, one storage folder and one
Redis, behind nginx configured with deploy/nginx/caseflow-proxy.conf.

Used by tests/serving/test_hosts.py and by bench/bench_faults.py (which kills and restarts
what runs here while a load runs through the proxy).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROXY_SNIPPET = ROOT / "deploy" / "nginx" / "caseflow-proxy.conf"
CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_for(condition, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        """Signal the process (SIGKILL: its whole group, as a crash of the host would)."""
        if not self.running():
            return self.popen.returncode if self.popen else None
        if sig == signal.SIGKILL:
            os.killpg(self.popen.pid, signal.SIGKILL)
        else:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            return self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Hosts:
    """``webs`` web hosts and ``workers`` worker hosts sharing ``database_url``, storage and Redis.

    ``env`` is what every host gets (keys, database, queue, storage); each host adds its own
    instance folder. ``url`` is the proxy's address; ``web_urls`` the web hosts' own.
    """

    workdir: Path
    database_url: str
    redis_url: str
    env_extra: dict = field(default_factory=dict)
    webs: int = 2
    workers: int = 2
    web_processes: int = 2
    web_threads: int = 4
    web: list[Process] = field(default_factory=list)
    worker: list[Process] = field(default_factory=list)
    proxy: Process | None = None
    url: str = ""
    web_urls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.storage = self.workdir / "shared-storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.queue_name = f"caseflow-hosts-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "CASEFLOW_DATABASE_URL": self.database_url, "CASEFLOW_QUEUE_URL": self.redis_url,
                    "CASEFLOW_QUEUE_NAME": self.queue_name, "CASEFLOW_STORAGE_PATH": str(self.storage),
                    "CASEFLOW_PROXY_FIX": "1", "PYTHONUNBUFFERED": "1", **self.env_extra}
        for index in range(1, self.webs + 1):
            port = free_port()
            self.web_urls.append(f"http://127.0.0.1:{port}")
            self.web.append(self._process(f"web{index}", [CASEFLOW, "serve", "--bind", f"127.0.0.1:{port}",
                                                         "--workers", str(self.web_processes),
                                                         "--threads", str(self.web_threads)]))
        for index in range(1, self.workers + 1):
            self.worker.append(self._process(f"worker{index}", [CASEFLOW, "worker", "--workers", "2"]))
        self.proxy_port = free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"

    def _process(self, name: str, command: list[str]) -> Process:
        instance = self.workdir / name / "instance"  # per host: nothing in it is shared
        instance.mkdir(parents=True, exist_ok=True)
        return Process(name, command, {**self.env, "CASEFLOW_INSTANCE_PATH": str(instance)},
                       self.workdir / f"{name}.log")

    def nginx_config(self) -> Path:
        prefix = self.workdir / "nginx"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server {url.removeprefix('http://')} max_fails=1 fail_timeout=2s;"
                            for url in self.web_urls)
        config = prefix / "nginx.conf"
        config.write_text(f"""
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream caseflow_web {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.proxy_port};
        set $caseflow_static {ROOT / "static"};
        include {PROXY_SNIPPET};
    }}
}}
""")
        return config

    def start(self, workers: list[Process] | None = None) -> Hosts:
        """Start the web hosts, the proxy and ``workers`` (all of them by default)."""
        workers = self.worker if workers is None else workers
        for process in self.web + workers:
            process.start()
        nginx = nginx_binary()
        config = self.nginx_config()
        self.proxy = Process("nginx", [nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"],
                             self.env, self.workdir / "nginx.log")
        self.proxy.start()
        for url in self.web_urls:
            wait_for(lambda url=url: status_of(url + "/healthz") == 200, what=f"{url}/healthz")
        wait_for(lambda: status_of(self.url + "/healthz") == 200, what="the proxy")
        for process in workers:
            self.wait_for_worker(process)
        return self

    def wait_for_worker(self, process: Process) -> None:
        wait_for(lambda: "ワーカーを起動しました" in process.output() or not process.running(), what=process.name)
        assert process.running(), process.output()

    def stop(self) -> None:
        for process in [self.proxy, *self.web, *self.worker]:
            if process is not None:
                process.stop()

    def __enter__(self) -> Hosts:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in [*self.web, *self.worker] + [self.proxy] if p)
