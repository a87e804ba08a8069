#pragma once
// Activations as int8 blocks for the integer-dot GEMV (gemv.cuh), per token and block of 32
// values: d = max|x| / 127 (to 22 significant bits), q = rint(x / d) (all zero when the block is),
// sum = Σ q.
//   x: [k, n_tokens] f32 device, k % 32 == 0
//   q: [k, n_tokens] int8 device, 16-byte aligned
//   scales: [2, k / 32, n_tokens] f32 device: {d, sum} per block
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

struct Q8Activations {
    const int8_t* q = nullptr;
    const float* scales = nullptr;
};

void launch_quantize_q8(const float* x, int64_t k, int64_t n_tokens, int8_t* q, float* scales, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
