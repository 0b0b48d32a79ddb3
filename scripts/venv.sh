#!/usr/bin/env bash
# Create or update .venv from the pinned requirements. Re-installs only when a requirements file
# changed since the last install, so running it again is quick and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
reqs="${1:-requirements-dev.txt}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$reqs")"
digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "==> installing $reqs"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$reqs"
    echo "$digest" > "$stamp"
else
    echo "==> .venv is up to date with $reqs"
fi
