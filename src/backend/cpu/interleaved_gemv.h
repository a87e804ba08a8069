#pragma once
// Integer kernels on interleaved weights (interleaved_weights.h): consecutive groups of 8 rows
// times any number of activation rows (decode steps and prompt chunks alike).
//   y[t][8 * g + r] = dot(row r of group g, act[t])   for g < n_groups, r < 8, t < n_tokens
// groups: the first of n_groups consecutive groups of k values (k a multiple of the block size);
// act[t]: the row in the type's vec_dot_type (Q4_0, Q8_0: BlockQ8_0; Q4_K, Q6_K: BlockQ8_K) with codes
// in [-127, 127] (quant_traits(Q8_*).from_float gives that).
//
// Every output is computed with exactly these operations, in this order, whatever the kernel
// (reference or SIMD target) and whatever n_tokens (batch invariance):
// Q4_0, Q8_0 (32-element blocks i; Q4_0 codes w = nibble - 8):
//   acc = 0.0f;  per block i:  isum = sum_j w_ij * a_ij                      (exact int32)
//                              acc = fma(float(isum), float(dw_i) * float(da_i), acc)
//   y = acc
// Q4_K (256-element super-blocks i, 8 sub-blocks s of 32 with 6-bit scale sc_s and min m_s):
//   acc = macc = 0.0f;  per super-block i:
//     isum = sum_s sc_s * sum_{j in s} q_ij * a_ij;  msum = sum_s m_s * (bsum_2s + bsum_2s+1)  (exact)
//     acc = fma(float(isum), float(d_i) * da_i, acc);  macc = fma(float(msum), float(dmin_i) * da_i, macc)
//   y = acc - macc
// Q6_K (256-element super-blocks i, 16 sub-blocks s of 16 with int8 scale sc_s, codes q in [0, 63]):
//   acc = 0.0f;  per super-block i:
//     isum = sum_s sc_s * sum_{j in s} q_ij * a_ij  -  32 * sum_s sc_s * bsum_s               (exact)
//     acc = fma(float(isum), float(d_i) * da_i, acc)
//   y = acc
// so every kernel gives the reference's result bit for bit.
#include "gguf/ggml_type.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

// n_tokens >= 1; act[t], y[t]: token t's activation row and outputs (8 * n_groups floats).
using InterleavedGemvFn = void (*)(int64_t k, const void* groups, int64_t n_groups, const void* const* act,
                                   int n_tokens, float* const* y);

// Reuse of what the SIMD kernels derive from the activation rows for every group (scales, code
// sums, packed token tiles), between calls on one thread. A caller that runs kernels several times
// on the same activation rows at the same addresses (the row chunks of one product, the Q/K/V
// products of one input) runs them inside an InterleavedActivationScope with one version for those
// rows' contents, taken from next_interleaved_activation_version() when the contents are written.
// Outside a scope (version 0) a kernel derives everything on every call. Results never depend on
// it: the derived data is a function of the rows.
uint64_t next_interleaved_activation_version();
uint64_t interleaved_activation_version();  // this thread's current version (0: none)
class InterleavedActivationScope {
public:
    explicit InterleavedActivationScope(uint64_t version);
    ~InterleavedActivationScope();
    InterleavedActivationScope(const InterleavedActivationScope&) = delete;
    InterleavedActivationScope& operator=(const InterleavedActivationScope&) = delete;

private:
    uint64_t previous_;
};

// Scalar reference of the contract above.
void interleaved_gemv_reference(gguf::GgmlType type, int64_t k, const void* groups, int64_t n_groups,
                                const void* const* act, int n_tokens, float* const* y);

// The kernel of the best SIMD target of this CPU (Highway dynamic dispatch; a test can force a
// target with hwy::SetSupportedTargetsForTest). Type: one with has_interleaved_layout. The SIMD
// kernels tile several tokens x one group in registers (each weight load serves the whole tile)
// and walk the groups in cache blocks of ~128 KiB that stay in L2 while every token tile passes.
InterleavedGemvFn interleaved_gemv(gguf::GgmlType type);

}  // namespace rocmforge::backend::cpu
