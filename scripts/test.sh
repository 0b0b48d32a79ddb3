#!/usr/bin/env bash
# Set up and run every check: lint, migrations in sync, OpenAPI schema without warnings, and the
# test suite. Database: DATABASE_URL if set, else PostgreSQL on 127.0.0.1:5432 when it answers,
# else SQLite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh requirements-dev.txt
py=.venv/bin/python

if [ -z "${DATABASE_URL:-}" ]; then
    if $py - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
except OSError:
    sys.exit(1)
PY
    then
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/grievance"
    fi
fi
# The browser tests drive Debian's chromium through its chromedriver (never a downloaded browser).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "==> installing chromium and chromium-driver for the browser tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
            || echo "==> could not install chromium; the browser tests will be skipped"
    else
        echo "==> chromium/chromedriver missing and not root: the browser tests will be skipped"
    fi
fi

echo "==> database: ${DATABASE_URL:-SQLite (embedded default)}"
echo "==> task broker for the real-worker tests: ${REDIS_URL:-none (those tests are skipped)}"

echo "==> ruff check"
$py -m ruff check .
echo "==> makemigrations --check"
$py manage.py makemigrations --check --dry-run
echo "==> OpenAPI schema (warnings are errors)"
$py manage.py spectacular --validate --fail-on-warn --file /dev/null
echo "==> pytest"
exec $py -m pytest "$@"
