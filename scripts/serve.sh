#!/usr/bin/env bash
# Quickstart: bootstrap .venv, then run the API (embedded SQLite unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "==> NexFitra on http://127.0.0.1:${PORT:-8000}/docs" >&2
exec env PATH="$PWD/.venv/bin:$PATH" bash scripts/start.sh "$@"
