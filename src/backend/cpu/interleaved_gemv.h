#pragma once
// Decode kernels on interleaved weights (interleaved_weights.h): consecutive groups of 8 rows
// times 1..kInterleavedGemvMaxTokens Q8_0 activation rows.
//   y[t][8 * g + r] = dot(row r of group g, act[t])   for g < n_groups, r < 8, t < n_tokens
// groups: the first of n_groups consecutive groups of k values (k a multiple of 32);
// act[t]: k/32 BlockQ8_0 with codes in [-127, 127] (quant_traits(Q8_0).from_float does).
//
// Every output is computed with exactly these operations, in this order, whatever the kernel
// (reference or SIMD target) and whatever n_tokens (batch invariance of decode rows):
//   acc = 0.0f
//   for each block i:  isum = sum_j w_ij * a_ij            (exact int32; Q4_0: w = nibble - 8)
//                      acc = fma(float(isum), float(dw_i) * float(da_i), acc)
//   y = acc
// so every kernel gives the reference's result bit for bit.
#include "gguf/ggml_type.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

constexpr int kInterleavedGemvMaxTokens = 4;

using InterleavedGemvFn = void (*)(int64_t k, const void* groups, int64_t n_groups, const void* const* act,
                                   int n_tokens, float* const* y);

// Scalar reference of the contract above.
void interleaved_gemv_reference(gguf::GgmlType type, int64_t k, const void* groups, int64_t n_groups,
                                const void* const* act, int n_tokens, float* const* y);

// The kernel of the best SIMD target of this CPU (Highway dynamic dispatch; a test can force a
// target with hwy::SetSupportedTargetsForTest). Type: Q4_0 or Q8_0.
InterleavedGemvFn interleaved_gemv(gguf::GgmlType type);

}  // namespace rocmforge::backend::cpu
