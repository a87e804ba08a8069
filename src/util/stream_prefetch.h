#pragma once
// How far ahead the CPU kernels that stream weights from memory once (decode) prefetch, and the
// read-bandwidth probe that judges them with it: 2 KiB, measured best of {0, 512, 2048} with
// bench/interleaved_gemv_bench on a Zen 3 VM (docs/performance.md).
#include <cstdint>

namespace rocmforge {

inline constexpr int64_t kStreamPrefetchBytes = 2048;

}  // namespace rocmforge
