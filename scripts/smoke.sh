#!/usr/bin/env bash
# Starts the API with the production start script and walks the user journey with curl.
# Usage: scripts/smoke.sh [DATABASE_URL] [REDIS_URL]   (both empty = embedded default)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PORT=${SMOKE_PORT:-18765}
workdir=$(mktemp -d)
export DATABASE_URL=${1:-sqlite+aiosqlite:///$workdir/smoke.db}
if [ -n "${2:-}" ]; then export REDIS_URL=$2; else unset REDIS_URL; fi
PORT=$PORT bash scripts/start.sh --host 127.0.0.1 >"$workdir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$workdir"' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 120); do
  if curl -fs "$base/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 $pid 2>/dev/null; then cat "$workdir/server.log"; echo "server died" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "$base/ready"; echo
curl -fsS "$base/docs" | grep -q "swagger-ui" || { echo "/docs not served" >&2; exit 1; }
email="smoke-$RANDOM$RANDOM@example.com"
curl -fsS -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"smoke-pass-1\"}" >/dev/null
token=$(curl -fsS -X POST "$base/api/v1/auth/token" -d "username=$email&password=smoke-pass-1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth="Authorization: Bearer $token"
curl -fsS -X PUT "$base/api/v1/goals" -H "$auth" -H 'content-type: application/json' \
  -d '{"kcal":2000,"protein_g":120,"carbs_g":220,"fat_g":70,"effective_from":"2024-01-01"}' >/dev/null
curl -fsS -X POST "$base/api/v1/logs" -H "$auth" -H 'content-type: application/json' \
  -d '{"date":"2024-05-01","meal_type":"lunch","description":"smoke","kcal":650,"protein_g":40,"carbs_g":70,"fat_g":20}' >/dev/null
kcal=$(curl -fsS "$base/api/v1/summaries/daily?date=2024-05-01" -H "$auth" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["totals"]["kcal"], d["comparison"]["kcal"]["status"])')
[ "$kcal" = "650.0 under" ] || { echo "unexpected summary: $kcal" >&2; exit 1; }
if [ -f app/foods/loader.py ]; then
  n=$(curl -fsS "$base/api/v1/foods?q=egg&limit=3" -H "$auth" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  [ "$n" -ge 1 ] || { echo "food search returned nothing" >&2; exit 1; }
fi
echo "smoke journey OK against ${DATABASE_URL%%:*} ${REDIS_URL:+with Redis}"
