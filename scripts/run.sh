#!/usr/bin/env bash
# Quick start: set up and serve the app on its embedded defaults (SQLite, eager tasks, local
# media), with demo data seeded. Safe to run again: it migrates and re-seeds idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh requirements.txt
py=.venv/bin/python
host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"
$py manage.py migrate --noinput
$py manage.py seed
echo
echo "Grievance is starting at http://$host:$port/"
echo "  admin:    http://$host:$port/admin/"
echo "  API docs: http://$host:$port/api/docs/"
echo "  health:   http://$host:$port/health"
echo
exec $py manage.py runserver "$host:$port"
