#!/usr/bin/env bash
# Quickstart: bootstrap .venv, then run the API (embedded SQLite unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "==> NexFitra on http://127.0.0.1:${PORT:-8000}/docs" >&2
# Migrations and the server in one process (start.sh runs them as two: one interpreter start and
# one import of the app fewer here).
exec .venv/bin/nexfitra serve --migrate --port "${PORT:-8000}" "$@"
