#pragma once
// Decode matmul (GEMV): y[:, t] = W · x[:, t] for a few tokens, the weights dequantized in
// registers (one pass over W per group of up to 8 tokens). One warp per output row, lanes over
// the row (a 32-element block per lane for Q8_0/Q4_0, 8 consecutive values for F32/F16/BF16,
// single elements for the K-quants), f32 accumulation, warp-shuffle reduction.
//   w: [k, n_out] any weight type (weight_types.h) device
//   x: [k, n_tokens] f32 device, y: [n_out, n_tokens] f32 device
// warp_size: the device's (DeviceInfo::warp_size): rows per block = 128 / warp_size.
// Each y element depends only on its own x column (batch invariance).
#include "backend/gpu/device.h"
#include "backend/gpu/weight_types.h"

namespace rocmforge::backend::gpu {

void launch_gemv(const WeightView& w, const float* x, int64_t n_tokens, float* y, int warp_size, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
