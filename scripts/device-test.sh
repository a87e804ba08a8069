#!/usr/bin/env bash
# Runs the checks that need the device machine (Ubuntu 24.04 with torch + transformers, no Debian
# packages). The binaries are built here on Debian 12 and carried with their shared libraries.
#   scripts/device-test.sh pack   (here)   build release, copy binaries + libs into .carry/
#   scripts/device-test.sh run    (there)  run the device checks from .carry/, results in $OUT
# device call: command "scripts/device-test.sh run", carry [".carry"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
carry="$root/.carry"

case "${1:-}" in
  pack)
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$(nproc)" --target rocmforge rocmforge_gguf_from_manifest rocmforge_unit_tests
    rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/lib"
    cp build/release/rocmforge build/release/tests/rocmforge_gguf_from_manifest build/release/tests/rocmforge_unit_tests "$carry/bin/"
    # Shared libraries the device machine lacks (everything outside glibc/libstdc++).
    ldd "$carry"/bin/* | awk '/=> \// {print $3}' | sort -u \
      | grep -v -E '/(libc|libm|libgcc_s|libstdc\+\+|ld-linux|libpthread|libdl|librt)[.-]' \
      | xargs -r cp -L -t "$carry/lib/"
    du -sh "$carry"
    ;;
  run)
    export LD_LIBRARY_PATH="$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    out="${OUT:-/tmp/device-out}"
    mkdir -p "$out"
    "$carry/bin/rocmforge" --version
    # The device's CPU may have SIMD targets this machine lacks (AVX-512, VNNI): run the kernel
    # tests there too (quant tests are self-contained; they need nothing from ../shared).
    grep -o -w -E 'avx2|avx512f|avx512_vnni|avx512bw' /proc/cpuinfo | sort | uniq -c
    "$carry/bin/rocmforge_unit_tests" --gtest_filter='*Quant*:*MiniFloat*:*MxBlocks*:*Fp8*:*Interleaved*' --gtest_brief=1 2>&1 | tail -40 | tee "$out/unit_simd.txt"
    PYTHONUNBUFFERED=1 python3 scripts/hf_random_model_check.py --rocmforge "$carry/bin/rocmforge" \
      --converter "$carry/bin/rocmforge_gguf_from_manifest" --work /tmp/hfcheck | tee "$out/hf_random_model_check.jsonl"
    ;;
  *)
    echo "usage: $0 pack|run" >&2
    exit 2
    ;;
esac
