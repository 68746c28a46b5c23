#!/usr/bin/env bash
# The TypeScript client check (issue #16): dump /openapi.json from create_app(), generate types
# with openapi-typescript, and type-check clients/typescript/src/usage.ts against them with tsc.
# Proves a third-party frontend can consume the API as documented. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python - > clients/typescript/openapi.json <<'PY'
import json
from app.core.config import Settings
from app.main import create_app
print(json.dumps(create_app(Settings(jwt_secret="x" * 40)).openapi(), indent=1))
PY
cd clients/typescript
npm ci --no-audit --no-fund --loglevel=error
npm run --silent generate
npm run --silent check
echo "TypeScript client: generated and type-checked"
