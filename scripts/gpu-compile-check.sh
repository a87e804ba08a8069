#!/usr/bin/env bash
# Compiles every GPU source (src/backend/gpu/*.cu, and the plain-C++ host files) without a GPU:
#   nvcc  for sm_80 and sm_90 (when nvcc is installed: /usr/local/cuda/bin or PATH)
#   hipcc for gfx1030 (RDNA2, wave32) and gfx90a (CDNA2, wave64) (Debian's hipcc, ROCm 5.2)
# A missing compiler is reported and skipped unless GPU_CHECK_REQUIRE=cuda,hip names it.
# Usage: scripts/gpu-compile-check.sh [cuda|hip|all]   (default all)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-all}
require=${GPU_CHECK_REQUIRE:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
kernels=("$root"/src/backend/gpu/*.cu)
hosts=("$root"/src/backend/gpu/*.cpp)

jobs=$(nproc)

compile_all() {  # name, command prefix...  (files compiled $jobs at a time)
    local name=$1; shift
    local failed=0 running=0
    for f in "${kernels[@]}"; do
        local b; b=$(basename "$f")
        ( "$@" -c "$f" -o "$work/$b.o" >"$work/$b.log" 2>&1 || echo "$f" >"$work/$b.failed" ) &
        running=$((running + 1))
        if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
    done
    wait
    for f in "${kernels[@]}"; do
        local b; b=$(basename "$f")
        if [ -e "$work/$b.failed" ]; then
            grep -v -E 'rocm_agent_enumerator|^Traceback|^  File |^    ' "$work/$b.log" | head -30
            echo "FAIL $name: ${f#$root/}"
            rm -f "$work/$b.failed"
            failed=1
        fi
    done
    [ $failed -eq 0 ] && echo "ok   $name: ${#kernels[@]} kernel files"
    return $failed
}

missing() {  # name
    if [[ ",$require," == *",$1,"* ]]; then echo "FAIL $1: compiler not found"; status=1; else echo "skip $1: compiler not found"; fi
}

if [[ $which == all || $which == cuda ]]; then
    nvcc=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; })
    if [ -n "$nvcc" ]; then
        compile_all "nvcc sm_80,sm_90" "$nvcc" -std=c++20 -O2 -I "$root/src" \
            -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=sm_90 || status=1
    else
        missing cuda
    fi
fi

if [[ $which == all || $which == hip ]]; then
    if command -v hipcc >/dev/null; then
        compile_all "hipcc gfx1030,gfx90a" hipcc -std=c++20 -O2 -x hip -DROCMFORGE_HIP -I "$root/src" \
            --offload-arch=gfx1030 --offload-arch=gfx90a || status=1
    else
        missing hip
    fi
fi

# Host files: plain C++ against device.h (no vendor headers), so any C++20 compiler checks them.
for f in "${hosts[@]}"; do
    if ! c++ -std=c++20 -fsyntax-only -I "$root/src" "$f" >"$work/log" 2>&1; then
        head -30 "$work/log"
        echo "FAIL host: ${f#$root/}"
        status=1
    fi
done
[ $status -eq 0 ] && echo "ok   host: ${#hosts[@]} files"
exit $status
