#pragma once
// Per row r: y[:, r] = x[:, r] / sqrt(mean(x[:, r]^2) + eps) * weight. x, y: [n, n_rows] f32
// device (may alias); weight: [n] f32 device. Sum of squares in f32 (the CPU sums in f64).
//
// Fusions (RmsNormFusion), each optional:
//   delta: [n, n_rows] f32 device: first x += delta (x is written back), then the norm of the
//          sum; y may alias delta.
//   q8, q8_scales: y is also written as int8 blocks for the GEMV (quantize_q8.cuh layout, the
//          same values launch_quantize_q8 gives for y). PRECOND: n % 32 == 0.
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

struct RmsNormFusion {
    const float* delta = nullptr;
    int8_t* q8 = nullptr;
    float* q8_scales = nullptr;
};

void launch_rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps,
                     StreamHandle stream, const RmsNormFusion& fusion = {});

}  // namespace rocmforge::backend::gpu
