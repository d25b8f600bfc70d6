#!/usr/bin/env bash
# Installs what the tests need (Chromium, PostgreSQL, Redis, Python test packages)
# and runs the whole suite. Arguments are passed on to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

say() { printf '\033[1m[test]\033[0m %s\n' "$*"; }
# PostgreSQL: the tests use CASEFLOW_TEST_POSTGRES_URL (default: the local server).
if [ -z "${CASEFLOW_TEST_POSTGRES_URL:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        say "PostgreSQL を起動します"
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
fi
if [ -z "${CASEFLOW_TEST_REDIS_URL:-}" ] && ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then
    if command -v redis-server >/dev/null 2>&1; then
        say "Redis を起動します"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    fi
fi
# One process per core (pytest-xdist; each test makes its own databases, queue names and ports);
# CASEFLOW_TEST_WORKERS=0 runs the suite in this process.
exec .venv/bin/python -m pytest -n "${CASEFLOW_TEST_WORKERS:-auto}" --dist worksteal "$@"
