#!/usr/bin/env bash
# Installs everything CaseFlow needs on Debian/Ubuntu: system packages and the
# Python virtual environment .venv with CaseFlow in it. Safe to run again.
#   scripts/setup.sh         what the application needs
#   scripts/setup.sh test    also what the test suite needs (Chromium, PostgreSQL, Redis)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else say "root 権限が必要です（$*）。root で実行するか sudo を用意してください。"; exit 1
    fi
}

# --- Debian packages -------------------------------------------------------
# WeasyPrint needs Pango; letters and the UI need Japanese fonts with variant
# kanji (髙 﨑 𠮷 …): IPAex and Noto CJK.
# poppler-utils: pdftoppm, for the reference images of letters in docs/letters/.
packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-ipaexfont fonts-noto-cjk poppler-utils)
if [ "$mode" = "test" ]; then
    packages+=(chromium postgresql-client)  # pg_dump/pg_restore for the backup tests
    command -v pg_ctlcluster >/dev/null 2>&1 || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || packages+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
    # The reverse proxy of deploy/nginx, for the test with two web hosts behind it.
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        say "Debian パッケージを導入します: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        say "次のパッケージを導入してください: ${missing[*]}"; exit 1
    fi
fi

# --- Python ------------------------------------------------------------------
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
    say "Python 3.11 以上が必要です（$("$python" --version 2>&1)）。"; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ "$mode" = "test" ] && extras="[test]"
stamp=".venv/.caseflow-installed${extras}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Python パッケージを導入します${extras}"
    log="$(mktemp)"
    if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".${extras}"; } >"$log" 2>&1; then
        cat "$log"; say "Python パッケージの導入に失敗しました。"; exit 1
    fi
    rm -f "$log"
    echo "$want" > "$stamp"
fi
say "準備ができました。"
