#!/usr/bin/env bash
# The whole test suite, twice: embedded (SQLite + in-process) and server (PostgreSQL + Redis).
# With CI=true an unreachable PostgreSQL or Redis fails the run; locally the server run is
# skipped with a warning so the suite still works on a laptop without them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PYTEST=(.venv/bin/python -m pytest "$@")

echo "==> tests: embedded backend (SQLite + in-process cache/limiter)"
NEXFITRA_TEST_BACKEND=embedded "${PYTEST[@]}"

reachable() {
  .venv/bin/python - "$@" <<'PY'
import socket, sys
for hp in sys.argv[1:]:
    host, port = hp.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        sys.exit(1)
PY
}

if [ "${CI:-}" = "true" ] || reachable 127.0.0.1:5432 127.0.0.1:6379; then
  echo "==> tests: server backend (PostgreSQL + Redis)"
  NEXFITRA_TEST_BACKEND=server "${PYTEST[@]}"
else
  echo "WARNING: PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) not reachable;" >&2
  echo "WARNING: ran the embedded backend only. Set TEST_DATABASE_URL/TEST_REDIS_URL or start them." >&2
fi
