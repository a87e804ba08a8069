#!/usr/bin/env bash
# Installs the official `openai` npm package (a pinned version) into DIR/node_modules for the
# real-client test, once: a later run with the package already there does nothing.
#   tests/node/install-openai.sh DIR
set -euo pipefail
version=5.23.2
dir=${1:?usage: install-openai.sh DIR}
installed="$dir/node_modules/openai/package.json"
if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed"; then
  exit 0
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "openai@$version" >&2
