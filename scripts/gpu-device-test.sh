#!/usr/bin/env bash
# GPU checks on the device machine (NVIDIA; Ubuntu 24.04 with the CUDA driver stack and cuBLAS),
# from binaries built here with -DROCMFORGE_CUDA=ON and carried with their shared libraries.
#   scripts/gpu-device-test.sh pack BUILD_DIR CARRY_DIR   (here)  binaries, libs, test models, this script
#   CARRY_DIR/gpu-device-test.sh run                      (there) gpu tests, then benches; logs in $OUT
# device call: command ".gpucarry/gpu-device-test.sh run", carry [".gpucarry"]
# Environment (run): GPU_BENCH_TYPES (default "q4_0 q8_0 q4_K f16"), GPU_BENCH_BATCHES (bench --batch
# sizes on 7B Q4_0, default "1 8 32 64"), GPU_NCU=0 skips the ncu kernel profile, GPU_BENCH_EAGER=1
# also measures decode with ROCMFORGE_GPU_GRAPHS=0 (no step graphs), GPU_PREFILL_F16X2=1 also prefill,
# goldens and perplexity with ROCMFORGE_GPU_PREFILL=f16x2 (hi + lo activations, two GEMMs; the default
# rounds them to f16), GPU_PPL=0 skips the perplexity comparison,
# GPU_SERVE=1 runs scripts/bench-serve.sh on 7B Q4_0 (serve --parallel 64, concurrency 1/8/32/64),
# GPU_MEM=0 skips the peak device memory check (7B Q4_0, 4096 KV positions). Packed with
# WITH_CPU_CHECKS=1 (release build present), it also runs the SIMD unit tests on the device's CPU
# and scripts/hf_random_model_check.py on the CPU (GPU_HF_CHECK=0 skips the latter). GPU_BENCH=0 stops
# after the tests and checks. GPU_BENCH_DP4A=1 repeats the batched decode bench with
# ROCMFORGE_GPU_DECODE_MMA=0; GPU_NCU_BATCH=B profiles decode steps of B sequences per kernel
# (GPU_NCU_KERNELS: a kernel-name regex, GPU_NCU_SKIP: launches skipped first, default 1500).
set -euo pipefail

case "${1:-}" in
  pack)
    build=$2 carry=$3
    rm -rf "$carry" && mkdir -p "$carry/bin" "$carry/lib" "$carry/shared/models" "$carry/shared/golden/model"
    cp "$build/rocmforge" "$build/tests/rocmforge_gpu_tests" "$carry/bin/"
    # CPU checks on the device's CPU (AVX-512 targets; HF reference models), from the release build.
    release=$(dirname "$0")/../build/release
    if [ -n "${WITH_CPU_CHECKS:-}" ]; then
      cp "$release/tests/rocmforge_unit_tests" "$release/tests/rocmforge_gguf_from_manifest" "$carry/bin/"
    fi
    strip "$carry"/bin/*
    # Libraries the device lacks: everything but glibc/libstdc++ and the CUDA libraries (cuBLAS is there).
    ldd "$carry"/bin/* | awk '/=> \// {print $3}' | sort -u \
      | grep -v -E '/(libc|libm|libgcc_s|libstdc\+\+|ld-linux|libpthread|libdl|librt|libcublas|libcublasLt|libcudart|libssl|libcrypto)[.-]' \
      | xargs -r cp -L -t "$carry/lib/"
    shared=$(cd "$(dirname "$0")/../../shared" 2>/dev/null && pwd || echo /work/shared)
    # gzip keeps the carry under the device tool's 64 MiB (wp-25M-f16: 50 -> 42 MB).
    gzip -1 -c "$shared"/models/wp-25M-f16.gguf > "$carry/shared/models/wp-25M-f16.gguf.gz"
    cp "$shared"/models/stories260K.gguf "$shared"/models/wp-val.txt "$carry/shared/models/"
    cp "$shared"/golden/model/wp-25M-f16.p* "$shared"/golden/model/stories260K.p* "$carry/shared/golden/model/"
    cp "$0" "$carry/gpu-device-test.sh"
    gzip -9 "$carry"/bin/* "$carry"/lib/*  # the carry limit counts bytes on the wire uncompressed
    du -sh "$carry"
    ;;
  run)
    carry=$(cd "$(dirname "$0")" && pwd)
    out="${OUT:-/tmp/gpu-out}"
    mkdir -p "$out"
    cublas=$(find / -xdev -name 'libcublas.so.13*' 2>/dev/null | head -1 || true)
    export LD_LIBRARY_PATH="$carry/lib${cublas:+:$(dirname "$cublas")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export ROCMFORGE_SHARED_DIR="$carry/shared"  # the tests' ../shared
    export ROCMFORGE_BINARY="$carry/bin/rocmforge"  # the binary the CLI tests run
    for gz in "$carry"/shared/models/*.gz "$carry"/bin/*.gz "$carry"/lib/*.gz; do [ -f "$gz" ] && gunzip -f "$gz"; done
    chmod +x "$carry"/bin/*
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv || true
    set +e
    "$carry/bin/rocmforge_gpu_tests" 2>&1 | tee "$out/gpu_tests.txt" | grep -E '^\[  (FAILED|PASSED|SKIPPED) |rel err|Failure|Expected|Which is|seed|error' | head -80
    ROCMFORGE_GPU_GEMM=tiled "$carry/bin/rocmforge_gpu_tests" --gtest_filter='GpuOps.Matmul*' 2>&1 | tail -3
    if [ "${GPU_PREFILL_F16X2:-0}" = 1 ]; then
      echo "golden and model tests with ROCMFORGE_GPU_PREFILL=f16x2:"
      ROCMFORGE_GPU_PREFILL=f16x2 "$carry/bin/rocmforge_gpu_tests" --gtest_filter='*Golden*:GpuModel.*' 2>&1 \
        | grep -E '^\[  (FAILED|PASSED) |rel err|Failure' | head -30
    fi
    if [ "${GPU_PPL:-1}" = 1 ]; then  # perplexity on the GPU vs the CPU, wp-25M F16 and Q4_K_M
      m="$carry/shared/models"
      "$carry/bin/rocmforge" quantize "$m/wp-25M-f16.gguf" /tmp/wp-25M-Q4_K_M.gguf Q4_K_M >/dev/null 2>&1
      for model in "$m/wp-25M-f16.gguf" /tmp/wp-25M-Q4_K_M.gguf; do
        for dev in cpu gpu gpu-f16x2; do
          [ "$dev" != gpu-f16x2 ] || [ "${GPU_PREFILL_F16X2:-0}" = 1 ] || continue
          printf '%s %s: ' "$(basename "$model")" "$dev" | tee -a "$out/ppl.txt"
          ROCMFORGE_GPU_PREFILL=$([ "$dev" = gpu-f16x2 ] && echo f16x2 || echo f16) "$carry/bin/rocmforge" perplexity \
            --device "${dev%-f16x2}" -m "$model" -f "$m/wp-val.txt" 2>&1 | tail -1 | tee -a "$out/ppl.txt"
        done
      done
    fi
    if [ -x "$carry/bin/rocmforge_unit_tests" ]; then  # SIMD kernels on this CPU, then the HF families on the CPU
      grep -o -w -E 'avx2|avx512f|avx512_vnni|avx512bw|amx_int8' /proc/cpuinfo | sort | uniq -c
      "$carry/bin/rocmforge_unit_tests" --gtest_filter='*Quant*:*MiniFloat*:*MxBlocks*:*Fp8*:*Interleaved*' \
        --gtest_brief=1 2>&1 | tail -20 | tee "$out/unit_simd.txt"
      if [ "${GPU_HF_CHECK:-1}" = 1 ]; then
        PYTHONUNBUFFERED=1 python3 "$carry/../scripts/hf_random_model_check.py" --rocmforge "$carry/bin/rocmforge" \
          --converter "$carry/bin/rocmforge_gguf_from_manifest" --device cpu --work /tmp/hfcheck 2>&1 \
          | tee "$out/hf_random_model_check.jsonl" | tail -12
      fi
    fi
    bench() { "$carry/bin/rocmforge" bench --device gpu "$@" 2>&1 | tee -a "$out/bench.txt"; }
    [ "${GPU_BENCH:-1}" = 1 ] || exit 0  # GPU_BENCH=0: tests and checks only
    bench -m "$carry/shared/models/wp-25M-f16.gguf" -p 512 -n 128 -r 3
    for type in ${GPU_BENCH_TYPES:-q4_0 q8_0 q4_K f16}; do
      "$carry/bin/rocmforge" make-model --shape llama2-7b --type "$type" -o "/tmp/7b-$type.gguf" >/dev/null 2>&1
      bench -m "/tmp/7b-$type.gguf" -p 512 -n 128 -r 2
      if [ "${GPU_PREFILL_F16X2:-0}" = 1 ]; then
        echo "ROCMFORGE_GPU_PREFILL=f16x2:" | tee -a "$out/bench.txt"
        ROCMFORGE_GPU_PREFILL=f16x2 bench -m "/tmp/7b-$type.gguf" -p 512 -n 0 -r 2
      fi
      if [ "${GPU_BENCH_EAGER:-0}" = 1 ]; then  # the same decode without step graphs, for comparison
        echo "ROCMFORGE_GPU_GRAPHS=0:" | tee -a "$out/bench.txt"
        ROCMFORGE_GPU_GRAPHS=0 bench -m "/tmp/7b-$type.gguf" -p 0 -n 128 -r 2
      fi
      [ "$type" = q4_0 ] || rm -f "/tmp/7b-$type.gguf"
    done
    # Where a decode step's time goes: per-kernel durations of ~2 decode steps (ncu replays each
    # kernel; clocks left alone).
    if [ -f /tmp/7b-q4_0.gguf ]; then  # batched decode: B sequences, 128-token prompts, 128 steps
      for b in ${GPU_BENCH_BATCHES:-1 8 32 64}; do
        bench -m /tmp/7b-q4_0.gguf --batch "$b" -p 128 -n 128 -r 1 | tail -1
      done
      if [ "${GPU_BENCH_DP4A:-0}" = 1 ]; then  # the same with many-token products off tensor cores
        echo "ROCMFORGE_GPU_DECODE_MMA=0:" | tee -a "$out/bench.txt"
        for b in ${GPU_BENCH_BATCHES:-1 8 32 64}; do
          ROCMFORGE_GPU_DECODE_MMA=0 bench -m /tmp/7b-q4_0.gguf --batch "$b" -p 128 -n 128 -r 1 | tail -1
        done
      fi
    fi
    if [ "${GPU_MEM:-1}" = 1 ] && [ -f /tmp/7b-q4_0.gguf ]; then  # peak device memory, 7B Q4_0, 4096 KV positions
      (while sleep 0.05; do nvidia-smi --query-compute-apps=used_memory --format=csv,noheader,nounits; done) \
        > /tmp/mem.txt 2>/dev/null &
      poller=$!
      "$carry/bin/rocmforge" generate --device gpu -m /tmp/7b-q4_0.gguf -c 4096 -n 64 --temp 0 \
        -p "Once upon a time" -v > /dev/null 2> /tmp/mem_log.txt
      kill "$poller"
      # The engine's own split (weights + KV + workspace and scratch, from the device pool) against
      # the process's peak as nvidia-smi sees it (CUDA context and cuBLAS included).
      split=$(grep -o 'device memory: .*' /tmp/mem_log.txt || echo "device memory: (no split logged)")
      used=$(echo "$split" | grep -o 'peak pool use [0-9]*' | grep -o '[0-9]*$' || echo 0)
      peak=$(sort -n /tmp/mem.txt | tail -1)
      echo "peak device memory $peak MiB (nvidia-smi); $split; bound (weights + KV + workspace) x 1.1 =" \
        "$(( used * 11 / 10 )) MiB: $([ "$peak" -le $(( used * 11 / 10 )) ] && echo within || echo OVER)" \
        | tee -a "$out/memory.txt"
    fi
    if [ "${GPU_SERVE:-0}" = 1 ] && [ -f /tmp/7b-q4_0.gguf ]; then  # serving: issue 11's workload on the GPU
      ROCMFORGE="$carry/bin/rocmforge" THREADS=16 PARALLEL=64 CTX=512 \
        "$carry/../scripts/bench-serve.sh" /tmp/7b-q4_0.gguf "$carry/shared/models/wp-val.txt" 2>&1 \
        | tee -a "$out/serve.txt"
    fi
    if [ "${GPU_NCU:-1}" = 1 ] && command -v ncu >/dev/null && [ -f /tmp/7b-q4_0.gguf ]; then
      timeout 180 ncu --clock-control none --launch-skip 3000 --launch-count 60 --print-summary per-kernel \
        "$carry/bin/rocmforge" bench --device gpu -m /tmp/7b-q4_0.gguf -p 0 -n 16 -r 1 > "$out/ncu.txt" 2>&1
      grep -E "^  [a-z_].*\(|Duration" "$out/ncu.txt" | head -60
    fi
    if [ "${GPU_NCU_BATCH:-0}" -gt 0 ] && command -v ncu >/dev/null && [ -f /tmp/7b-q4_0.gguf ]; then
      # the same for decode steps of GPU_NCU_BATCH sequences (past the prompts' prefill)
      timeout 240 ncu --clock-control none -k "regex:${GPU_NCU_KERNELS:-.}" --launch-skip "${GPU_NCU_SKIP:-1500}" \
        --launch-count 40 --print-summary per-kernel \
        "$carry/bin/rocmforge" bench --device gpu -m /tmp/7b-q4_0.gguf --batch "$GPU_NCU_BATCH" -p 16 -n 8 -r 1 \
        > "$out/ncu_batch.txt" 2>&1
      grep -E "^  [a-z_].*\(|Duration" "$out/ncu_batch.txt" | head -60
    fi
    ;;
  *)
    echo "usage: $0 pack BUILD_DIR CARRY_DIR | run" >&2
    exit 2
    ;;
esac
