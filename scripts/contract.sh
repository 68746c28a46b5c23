#!/usr/bin/env bash
# API contract: starts the API with the production start script, signs a user up, lints the
# served OpenAPI document (Redocly CLI) and runs schemathesis with every check against it,
# authenticated with that user's bearer token. Any failure fails the script.
# Usage: scripts/contract.sh [DATABASE_URL] [REDIS_URL]   (both empty = embedded default)
# Budget: CONTRACT_MAX_TIME seconds of schemathesis (default 50), CONTRACT_MAX_EXAMPLES per
# operation and phase (default 15). CONTRACT_PORT picks the port (default 18767).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PORT=${CONTRACT_PORT:-18767}
MAX_TIME=${CONTRACT_MAX_TIME:-50}
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-15}
REDOCLY_VERSION=2.77.0
workdir=$(mktemp -d)
export DATABASE_URL=${1:-sqlite+aiosqlite:///$workdir/contract.db}
if [ -n "${2:-}" ]; then export REDIS_URL=$2; else unset REDIS_URL; fi
# A fresh random secret: tokens from any other run are worthless here.
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
export JWT_SECRET ENVIRONMENT=development LOG_LEVEL=warning
# Limits high enough that generated traffic explores the routes instead of collecting 429s;
# the 429 answers themselves are covered by tests/core/test_ratelimit.py and the contract tests.
export RATE_LIMIT_AUTH_PER_MINUTE=${CONTRACT_AUTH_LIMIT:-100000}
export RATE_LIMIT_LOG_WRITES_PER_MINUTE=${CONTRACT_WRITE_LIMIT:-100000}
export RATE_LIMIT_ADMIN_PER_MINUTE=${CONTRACT_ADMIN_LIMIT:-100000}
export RATE_LIMIT_EXPORT_PER_HOUR=${CONTRACT_EXPORT_LIMIT:-100000}
PORT=$PORT bash scripts/start.sh --host 127.0.0.1 >"$workdir/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 240); do
  if curl -fs "$base/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$workdir/server.log"; echo "server died" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "$base/openapi.json" -o "$workdir/openapi.json"

echo "==> OpenAPI lint (Redocly CLI $REDOCLY_VERSION)"
tools=$PWD/.tools/redocly-$REDOCLY_VERSION
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
    "@redocly/cli@$REDOCLY_VERSION" >/dev/null
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$tools/node_modules/.bin/redocly" lint --config redocly.yaml "$workdir/openapi.json"

echo "==> schemathesis against ${DATABASE_URL%%:*} ${REDIS_URL:+with Redis}"
email="contract-$RANDOM$RANDOM@example.com"
password="contract-pass-$RANDOM$RANDOM"
curl -fsS -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" >/dev/null
token=$(curl -fsS -X POST "$base/api/v1/auth/token" \
  --data-urlencode "username=$email" --data-urlencode "password=$password" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# The access token must outlive the run; refresh tokens are rotated by the run itself.
start=$(date +%s)
status=0
# contract_hooks.py swaps positive_data_acceptance for a version that accepts a 422 only when
# the operation documents business rules and the problem shows one, and negative_data_rejection
# for one that skips a schemathesis mislabelled case (see its docstrings).
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=contract_hooks schemathesis run "$base/openapi.json" \
  --checks all \
  --exclude-checks positive_data_acceptance,negative_data_rejection \
  --header "Authorization: Bearer $token" \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --workers 1 \
  --seed "${CONTRACT_SEED:-1414}" \
  --request-timeout 20 \
  --report ndjson --report-dir "${CONTRACT_REPORT_DIR:-$workdir/report}" || status=$?
echo "schemathesis: exit $status after $(($(date +%s) - start)) s"
if [ "$status" -ne 0 ]; then
  echo "---- server log (tail) ----"
  tail -n 80 "$workdir/server.log"
  exit "$status"
fi
if grep -q "Traceback" "$workdir/server.log"; then
  echo "server logged an unhandled error:" >&2
  grep -n -A30 "Traceback" "$workdir/server.log" | head -80 >&2
  exit 1
fi
