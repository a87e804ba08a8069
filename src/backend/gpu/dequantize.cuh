#pragma once
// Conversions feeding the prefill GEMM (matmul_prefill in gpu_backend.cpp):
//   dequantize_f16: out[r, i] = f16(W[r, i]) for a whole weight matrix ([k, n_rows] -> f16 [k, n_rows])
//   split_f16:      x = hi + lo with hi = f16(x), lo = f16(x - hi): two f16 halves that together keep
//                   ~22 bits of each f32 activation, so two tensor-core GEMMs give f32-grade products
//                   (lo may be null: hi only).
#include "backend/gpu/device.h"
#include "backend/gpu/weight_types.h"

namespace rocmforge::backend::gpu {

void launch_dequantize_f16(const WeightView& w, uint16_t* out, StreamHandle stream);
void launch_split_f16(const float* x, uint16_t* hi, uint16_t* lo, int64_t n, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
