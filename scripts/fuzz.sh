#!/usr/bin/env bash
# Fuzzes one libFuzzer target (clang, ASan+UBSan) on one core:
#   scripts/fuzz.sh TARGET [SECONDS (default 60)] [extra libFuzzer flags...]
# TARGET: gguf_reader_fuzz, chat_template_fuzz, tokenizer_fuzz or request_body_fuzz.
# Seeds: the repository's chat templates, the tokenizer test inputs of ../shared, the request
# bodies under tests/fuzz/seeds/, and every kept regression. Crashing inputs land in
# build/fuzz/crashes/TARGET/; after fixing the bug, copy each into tests/fuzz/regressions/TARGET/
# (the unit tests replay them). The corpus grows in build/fuzz/corpus/TARGET/ between runs. With
# -jobs=1 (one core; the machine is shared) libFuzzer's output goes to build/fuzz/logs/TARGET/fuzz-0.log.
set -euo pipefail
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags...]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "$target" -j "$(nproc)"
name=${target%_fuzz}
corpus=build/fuzz/corpus/$name
crashes=build/fuzz/crashes/$name
mkdir -p "$corpus" "$crashes"
shared="${ROCMFORGE_SHARED_DIR:-$root/../shared}"
case "$name" in
  chat_template) cp -n tests/data/chat_templates/*.jinja "$corpus"/ ;;
  tokenizer)
    for f in "$shared"/tokenizer/*.inp; do [ -f "$f" ] && head -c 4096 "$f" >"$corpus/$(basename "$f")"; done ;;
  request_body) cp -n tests/fuzz/seeds/request_body/* "$corpus"/ ;;
  gguf_reader)
    cp -n "$shared"/golden/quant/*.gguf "$corpus"/ 2>/dev/null || true
    for f in "$shared"/models/stories260K.gguf "$shared"/models/llama-2-tiny-random.gguf; do
      [ -f "$f" ] && head -c 16384 "$f" >"$corpus/$(basename "$f").head"
    done ;;
esac
regressions=tests/fuzz/regressions/$name
[ "$name" = gguf_reader ] && regressions=tests/fuzz/regressions/gguf
find "$regressions" -type f ! -name README.md -exec cp -n {} "$corpus"/ \; 2>/dev/null || true
# From build/fuzz/logs/TARGET, so that -jobs=N logs (fuzz-N.log) land there, one folder a target.
mkdir -p "build/fuzz/logs/$name"
cd "build/fuzz/logs/$name"
exec ../../tests/fuzz/"$target" "../../corpus/$name" -artifact_prefix="../../crashes/$name/" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$@"
