#!/usr/bin/env bash
# Creates .venv from the hashed lock, and refreshes it whenever the lock or pyproject changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "NexFitra needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

LOCK=${NEXFITRA_LOCK:-requirements-dev.lock}
STAMP=.venv/.nexfitra-lock-stamp
want=$(cat "$LOCK" pyproject.toml | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ ! -x .venv/bin/python ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  echo "==> installing dependencies into .venv from $LOCK" >&2
  if command -v uv >/dev/null 2>&1; then
    # uv installs the same hashed lock several times faster than pip.
    [ -x .venv/bin/python ] || uv venv --quiet --python "$PY" .venv
    uv pip install --quiet --python .venv/bin/python --require-hashes -r "$LOCK"
    uv pip install --quiet --python .venv/bin/python --no-deps --no-build-isolation -e .
  else
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$LOCK"
    # The project itself (console script `nexfitra`), without fetching unpinned build tools.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  fi
  echo "$want" > "$STAMP"
fi
