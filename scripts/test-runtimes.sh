#!/usr/bin/env bash
# Runs the whole jest suite on other Node.js majors, in parallel, on the tree
# already installed and built by `npm test` (on Node 22+ the store uses the
# built-in node:sqlite, so nothing is rebuilt). Each run starts its own Kafka
# broker and test servers on free ports; every child process (API, workers)
# runs under the same Node, since the suites spawn process.execPath.
#
#   scripts/test-runtimes.sh 22 24
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t runtimes < <(bash scripts/node-runtimes.sh "$@")
logs="$(mktemp -d)"
pids=()
for dir in "${runtimes[@]}"; do
  version="$("$dir/bin/node" --version)"
  echo "jest on Node.js $version (log: $logs/$version.log)"
  # This runtime first on PATH, and its headers for any native build.
  PATH="$dir/bin:$PATH" npm_config_nodedir="$dir" \
    "$dir/bin/node" node_modules/jest/bin/jest.js >"$logs/$version.log" 2>&1 &
  pids+=("$!:$version")
done
failed=0
for entry in "${pids[@]}"; do
  pid="${entry%%:*}" version="${entry#*:}"
  if wait "$pid"; then status=passed; else status=FAILED failed=1; fi
  echo "── Node.js $version: $status"
  grep -E "^(Tests:|Test Suites:|Time:)|passed, .* failed|✕|Warning" "$logs/$version.log" || true
done
exit "$failed"
