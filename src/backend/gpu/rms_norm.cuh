#pragma once
// Per row r: y[:, r] = x[:, r] / sqrt(mean(x[:, r]^2) + eps) * weight. x, y: [n, n_rows] f32
// device (may alias); weight: [n] f32 device. Sum of squares in f32 (the CPU sums in f64).
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

void launch_rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps,
                     StreamHandle stream);

}  // namespace rocmforge::backend::gpu
