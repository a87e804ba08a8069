#!/usr/bin/env bash
# Fuzzes the GGUF reader with libFuzzer (clang, ASan+UBSan) for SECONDS (default 60).
# Seeds: small GGUFs from ../shared. Crashing inputs land in build/fuzz/crashes/; copy each into
# tests/fuzz/regressions/gguf/ after fixing the bug it shows.
set -euo pipefail
seconds="${1:-60}"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target gguf_reader_fuzz -j "$(nproc)"
corpus=build/fuzz/corpus
crashes=build/fuzz/crashes
mkdir -p "$corpus" "$crashes"
shared="$root/../shared"
if [ -d "$shared" ]; then
  cp -n "$shared"/golden/quant/*.gguf "$corpus"/ 2>/dev/null || true
  # Header-only prefixes of the models keep seeds small while covering real metadata.
  for f in "$shared"/models/stories260K.gguf "$shared"/models/llama-2-tiny-random.gguf; do
    [ -f "$f" ] && head -c 16384 "$f" >"$corpus/$(basename "$f").head"
  done
fi
cp -n tests/fuzz/regressions/gguf/* "$corpus"/ 2>/dev/null || true
exec build/fuzz/tests/fuzz/gguf_reader_fuzz "$corpus" -artifact_prefix="$crashes/" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
