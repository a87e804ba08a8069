#pragma once
// exp over f32 arrays for the activations and softmaxes of the CPU forward pass and the sampler. With AVX2+FMA
// every element, tail included, goes through the same 8-lane polynomial (so an element's value
// never depends on its position or the array's length: batch invariance); without them, std::exp.
// Accuracy of the AVX2 path: relative error <= 4e-7 (about 3 ulp) against exp in double over the
// finite range; exp(x) = +inf for x > 88.72, 0 for x < -87.33 (no denormal results), NaN stays NaN.
#include <cstdint>

namespace rocmforge {

// y[i] = exp(x[i] - shift) for i < n. y may alias x.
void exp_shifted(const float* x, float shift, float* y, int64_t n);
// The same with std::exp in float, element by element (the reference the tests compare with).
void exp_shifted_reference(const float* x, float shift, float* y, int64_t n);

// out[i] = gate[i] / (1 + exp(-gate[i])) * up[i] through exp_shifted's exp. out may alias gate or up.
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
// out[i] = gelu_tanh(gate[i]) * up[i], gelu_tanh(v) = 0.5 v (1 + tanh(z)) = v / (1 + exp(-2z)) with
// z = sqrt(2/pi) (v + 0.044715 v^3), through exp_shifted's exp. out may alias gate or up.
void gelu_tanh_mul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace rocmforge
