#!/usr/bin/env bash
# Sets everything up and runs CaseFlow on its embedded SQLite database with the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
.venv/bin/caseflow db upgrade
.venv/bin/caseflow seed demo
host="${CASEFLOW_HOST:-127.0.0.1}"
port="${CASEFLOW_PORT:-5000}"
.venv/bin/python -m caseflow.seeding --print-logins "http://${host}:${port}/"
# The background worker (inspections, print runs) runs beside the web server and stops with it.
.venv/bin/caseflow worker &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
.venv/bin/caseflow run --host "$host" --port "$port"
