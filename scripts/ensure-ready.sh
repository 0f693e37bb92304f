#!/usr/bin/env bash
# Installs dependencies when missing or out of date, then builds when the
# sources are newer than the build: what `npm start` and `npm test` need on a
# fresh clone, and nothing on a warm one.
set -euo pipefail
cd "$(dirname "$0")/.."
# The relay's native Kafka producer (@confluentinc/kafka-javascript, an optional dependency) builds its
# bundled librdkafka against this machine's libssl and zlib; its default static build downloads sources.
export CKJS_LINKING="${CKJS_LINKING:-dynamic}"
stamp=node_modules/.package-lock.stamp
if [ ! -d node_modules ] || [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
  cp package-lock.json "$stamp"
fi
if [ "${1:-}" = "--build" ]; then
  if [ ! -f dist/apps/api/src/main.js ] || [ ! -f dist/console/index.html ] || [ -n "$(find apps libs scripts test/support bench tsconfig*.json package-lock.json -newer dist/apps/api/src/main.js -type f 2>/dev/null | head -1)" ]; then
    echo "building…" >&2
    npm run --silent build >&2
  fi
fi
