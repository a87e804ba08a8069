#pragma once
// Element-wise ops on contiguous f32 arrays.
#include <cstdint>

namespace rocmforge::backend::cpu {

// y[i] += x[i] for i < n.
void add_in_place(float* y, const float* x, int64_t n);
// y[r * n + i] += bias[i] for every row r < n_rows (bias broadcast over rows).
void add_bias(float* y, const float* bias, int64_t n, int64_t n_rows);
// out[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + exp(-v)). out may alias gate or up.
void swiglu(const float* gate, const float* up, float* out, int64_t n);
// out[i] = gelu_tanh(gate[i]) * up[i], gelu_tanh(v) = 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
// (GeGLU with the tanh-approximated GELU). out may alias gate or up.
void geglu(const float* gate, const float* up, float* out, int64_t n);
// x[i] *= factor for i < n.
void scale_in_place(float* x, float factor, int64_t n);
// x[i] = cap * tanh(x[i] / cap) for i < n (logit soft-capping). PRECOND: cap > 0.
void softcap_in_place(float* x, float cap, int64_t n);
// In place over each row of n values: x = exp(x - max) / sum.
void softmax(float* x, int64_t n, int64_t n_rows);

}  // namespace rocmforge::backend::cpu
