#!/usr/bin/env bash
# Creates .venv from the hashed lock, and refreshes it whenever the lock or pyproject changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
LOCK=${NEXFITRA_LOCK:-requirements-dev.lock}
STAMP=.venv/.nexfitra-lock-stamp
# The hash of what the environment was installed from. sha256sum where there is one: every
# Quickstart start runs this, and two Python start-ups here were a tenth of a second of it.
if command -v sha256sum >/dev/null 2>&1; then
  want=$(cat "$LOCK" pyproject.toml | sha256sum | cut -d' ' -f1)
else
  want=$(cat "$LOCK" pyproject.toml | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
fi
# Up to date: nothing to do (the interpreter was checked when .venv was made from it).
if [ -x .venv/bin/python ] && [ "$(cat "$STAMP" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "NexFitra needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
# uv installs the hashed lock several times faster than pip (the first run of the Quickstart
# went from about two minutes to well under one). Without uv on PATH, fetch uv itself from PyPI
# with pip into .tools/ (pinned and hashed in scripts/uv-tool.lock); if even that fails, pip
# installs everything, only slower.
find_uv() {
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  if [ -x .tools/bin/uv ]; then echo .tools/bin/uv; return; fi
  [ "${NEXFITRA_NO_UV:-}" = "1" ] && return
  echo "==> fetching uv (scripts/uv-tool.lock) with pip into .tools/" >&2
  if "$PY" -m venv .tools >/dev/null 2>&1 \
    && .tools/bin/python -m pip install --quiet --disable-pip-version-check \
      --require-hashes -r scripts/uv-tool.lock >/dev/null 2>&1 \
    && [ -x .tools/bin/uv ]; then
    echo .tools/bin/uv
  else
    echo "==> no uv; installing with pip (slower)" >&2
    rm -rf .tools
  fi
}

if [ ! -x .venv/bin/python ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  echo "==> installing dependencies into .venv from $LOCK" >&2
  UV=$( [ "${NEXFITRA_NO_UV:-}" = "1" ] || find_uv )
  if [ -n "$UV" ]; then
    [ -x .venv/bin/python ] || "$UV" venv --quiet --python "$PY" .venv
    # Bytecode at install time, as pip does: every later start imports from .pyc, even where
    # PYTHONDONTWRITEBYTECODE is set (imports compiled from source cost seconds per start).
    "$UV" pip install --quiet --python .venv/bin/python --require-hashes --compile-bytecode \
      -r "$LOCK"
    "$UV" pip install --quiet --python .venv/bin/python --no-deps --no-build-isolation -e .
  else
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$LOCK"
    # The project itself (console script `nexfitra`), without fetching unpinned build tools.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  fi
  echo "$want" > "$STAMP"
fi
