#!/usr/bin/env bash
# CPU speed checks on the device machine's CPU (AVX-512, VNNI, AMX; no GPU needed): the
# interleaved integer kernels against their reference on the targets this machine lacks, the
# decode GEMV and prefill GEMM benches, and 7B synthetic decode/prefill at 2 threads and all cores.
#   scripts/cpu-device-bench.sh pack [BASE_BINARY]   (here)  binaries + libs into .carry/
#   scripts/cpu-device-bench.sh run                  (there) results in $OUT
# device call: command "scripts/cpu-device-bench.sh run", carry [".carry"]
# BASE_BINARY: an older rocmforge to compare with (copied as .carry/bin/rocmforge-base).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
carry="$root/.carry"

case "${1:-}" in
  pack)
    # The binaries and libraries of device-test.sh, plus the GEMV and GEMM benches (same libraries).
    "$root/scripts/device-test.sh" pack
    cmake --build --preset release -j "$(nproc)" --target rocmforge_interleaved_gemv_bench \
      rocmforge_interleaved_gemm_bench
    cp build/release/bench/rocmforge_interleaved_gemv_bench build/release/bench/rocmforge_interleaved_gemm_bench \
      "$carry/bin/"
    if [[ -n "${2:-}" ]]; then cp "$2" "$carry/bin/rocmforge-base"; fi
    ;;
  run)
    export LD_LIBRARY_PATH="$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    out="${OUT:-/tmp/device-out}"
    mkdir -p "$out"
    lscpu | grep -E 'Model name|^CPU\(s\)' | tee "$out/cpu.txt"
    grep -o -w -E 'avx2|avx512f|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort | uniq -c | tee -a "$out/cpu.txt"
    "$carry/bin/rocmforge_unit_tests" --gtest_filter='*Interleaved*:*QuantSimd*' --gtest_brief=1 2>&1 | tail -30 \
      | tee "$out/unit_simd.txt"
    for t in 2 "$(nproc)"; do "$carry/bin/rocmforge_interleaved_gemv_bench" "$t" 5 | tee -a "$out/gemv.txt"; done
    for t in 1 2 "$(nproc)"; do "$carry/bin/rocmforge_interleaved_gemm_bench" "$t" 64 | tee -a "$out/gemm.txt"; done
    model=/tmp/llama2-7b-q4_0.gguf
    [[ -f $model ]] || "$carry/bin/rocmforge" make-model --shape llama2-7b --type q4_0 -o "$model"
    for t in 2 "$(nproc)"; do
      for round in 1 2 3; do
        for bin in rocmforge-base rocmforge; do
          [[ -x "$carry/bin/$bin" ]] || continue
          echo "$bin t=$t round=$round $("$carry/bin/$bin" bench -m "$model" -p 64 -n 16 -r 1 -t "$t" --json 2>/dev/null)" \
            | tee -a "$out/bench_7b.txt"
        done
      done
    done
    ;;
  *)
    echo "usage: $0 pack [BASE_BINARY] | run" >&2
    exit 2
    ;;
esac
