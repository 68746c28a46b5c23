#!/usr/bin/env bash
# The production start command (Dockerfile, Railway): apply migrations, then serve on $PORT.
# CI runs this same script (scripts/smoke.sh), since Docker cannot run there.
set -euo pipefail
cd "$(dirname "$0")/.."
NEXFITRA=${NEXFITRA_BIN:-nexfitra}
command -v "$NEXFITRA" >/dev/null 2>&1 || NEXFITRA=.venv/bin/nexfitra
"$NEXFITRA" migrate
exec "$NEXFITRA" serve --port "${PORT:-8000}" "$@"
