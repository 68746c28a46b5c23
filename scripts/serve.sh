#!/usr/bin/env bash
# Quickstart: bootstrap .venv, then run the API (embedded SQLite unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Loopback unless HOST says otherwise: the quickstart runs in development, with the
# development JWT secret, which must never face a network.
HOST="${HOST:-127.0.0.1}"
echo "==> NexFitra on http://${HOST}:${PORT:-8000}/docs" >&2
# The app's own bytecode is written on the first start and read on every later one, even where
# the environment sets PYTHONDONTWRITEBYTECODE (as the Dockerfile and some shells do): without
# it every start compiles the app's few hundred modules from source again, 0.3 s of CPU. The
# dependencies' bytecode comes from the install (bootstrap.sh); __pycache__ is git-ignored.
export PYTHONDONTWRITEBYTECODE=
# Migrations and the server in one process (start.sh runs them as two: one interpreter start and
# one import of the app fewer here).
exec .venv/bin/nexfitra serve --migrate --host "$HOST" --port "${PORT:-8000}" "$@"
