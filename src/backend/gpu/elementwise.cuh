#pragma once
// Element-wise ops over f32 device arrays.
//   add:      y[i] += x[i], i < n
//   add_bias: y[j, r] += bias[j], y: [n, n_rows], bias: [n]
//   swiglu:   out[i] = silu(gate[i]) * up[i] (out may alias gate or up)
//   geglu:    out[i] = gelu_tanh(gate[i]) * up[i] (tanh-approximated GELU; out may alias)
//             swiglu and geglu with q8 non-null also write out as int8 blocks for the GEMV
//             (quantize_q8.cuh layout; PRECOND: rows of a multiple of 32 values)
//   scale:    x[i] *= factor
//   softcap:  x[i] = cap * tanh(x[i] / cap), cap > 0
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

void launch_add(float* y, const float* x, int64_t n, StreamHandle stream);
void launch_add_bias(float* y, const float* bias, int64_t n, int64_t n_rows, StreamHandle stream);
void launch_swiglu(const float* gate, const float* up, float* out, int64_t n, StreamHandle stream,
                   int8_t* q8 = nullptr, float* q8_scales = nullptr);
void launch_geglu(const float* gate, const float* up, float* out, int64_t n, StreamHandle stream,
                  int8_t* q8 = nullptr, float* q8_scales = nullptr);
void launch_scale(float* x, float factor, int64_t n, StreamHandle stream);
void launch_softcap(float* x, float cap, int64_t n, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
