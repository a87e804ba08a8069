#pragma once
#include <cstdint>

namespace rocmforge::backend::cpu {

// Per row of n values: y = x / sqrt(mean(x^2) + eps) * weight (weight may be null = ones).
// x, y: [n, n_rows] f32 contiguous; may alias. The mean is accumulated in double.
void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps);

}  // namespace rocmforge::backend::cpu
