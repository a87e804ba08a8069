#!/usr/bin/env bash
# libFuzzer targets on the device machine's cores (16 there; 2 here), from binaries built here
# with the fuzz preset (clang, ASan+UBSan) and carried with their Debian shared libraries.
#   scripts/fuzz-device.sh pack                (here)  build/fuzz binaries, libs, seeds -> .fuzzcarry
#   .fuzzcarry/fuzz-device.sh run [T:SECONDS[:MAX_LEN]...] (there) each target with
#       -jobs=-workers=nproc for SECONDS, inputs up to MAX_LEN bytes (default 65536); prints the
#       executions summed over the jobs and copies crashing inputs to $OUT.
# device call: command ".fuzzcarry/fuzz-device.sh run request_body:60 chat_template:150",
# carry [".fuzzcarry"]. Targets: chat_template, tokenizer, request_body (gguf_reader: see fuzz.sh).
set -euo pipefail
case "${1:-}" in
  pack)
    root=$(cd "$(dirname "$0")/.." && pwd)
    cd "$root"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz --target chat_template_fuzz tokenizer_fuzz request_body_fuzz -j "$(nproc)"
    carry=.fuzzcarry
    rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/lib" "$carry/seeds/chat_template" "$carry/seeds/tokenizer" \
      "$carry/seeds/request_body"
    cp build/fuzz/tests/fuzz/{chat_template,tokenizer,request_body}_fuzz "$carry/bin/"
    ldd "$carry"/bin/* | awk '/=> \// {print $3}' | sort -u \
      | grep -v -E '/(libc|libm|libgcc_s|libstdc\+\+|ld-linux|libpthread|libdl|librt|libssl|libcrypto|libz)[.-]' \
      | xargs -r cp -L -t "$carry/lib/"
    cp tests/data/chat_templates/*.jinja "$carry/seeds/chat_template/"
    cp tests/fuzz/seeds/request_body/* "$carry/seeds/request_body/"
    shared="${ROCMFORGE_SHARED_DIR:-$root/../shared}"
    for f in "$shared"/tokenizer/*.inp; do head -c 4096 "$f" >"$carry/seeds/tokenizer/$(basename "$f")"; done
    cp "$0" "$carry/fuzz-device.sh"
    gzip -9 "$carry"/bin/* "$carry"/lib/*
    du -sh "$carry"
    ;;
  run)
    shift
    carry=$(cd "$(dirname "$0")" && pwd)
    out="${OUT:-/tmp/fuzz-out}"
    mkdir -p "$out"
    for gz in "$carry"/bin/*.gz "$carry"/lib/*.gz; do [ -f "$gz" ] && gunzip -f "$gz"; done
    chmod +x "$carry"/bin/*
    export LD_LIBRARY_PATH="$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    n=$(nproc)
    for spec in "${@:-request_body:60}"; do
      IFS=: read -r name seconds max_len <<<"$spec"
      max_len=${max_len:-65536}
      work=/tmp/fuzz/$name
      rm -rf "$work" && mkdir -p "$work/corpus" "$work/logs" "$work/crashes"
      cp "$carry/seeds/$name"/* "$work/corpus/"
      (cd "$work/logs" && "$carry/bin/${name}_fuzz" ../corpus -jobs="$n" -workers="$n" -max_total_time="$seconds" \
        -max_len="$max_len" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=../crashes/ \
        >/dev/null 2>&1) || true
      execs=$(grep -h 'stat::number_of_executed_units' "$work"/logs/fuzz-*.log | awk '{s += $2} END {print s + 0}')
      crashes=$(find "$work/crashes" -type f | wc -l)
      echo "$name: $execs executions in ${seconds} s on $n jobs (inputs up to $max_len bytes), $crashes crashing inputs" \
        | tee -a "$out/fuzz.txt"
      [ "$crashes" = 0 ] || cp "$work"/crashes/* "$out/"
      grep -h -m3 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|deadly signal' "$work"/logs/fuzz-*.log \
        | head -5 || true
    done
    ;;
  *)
    echo "usage: $0 pack | run [TARGET:SECONDS ...]" >&2
    exit 2
    ;;
esac
