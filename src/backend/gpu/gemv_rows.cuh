#pragma once
// Device helpers shared by the decode kernels over int8 activations (gemv.cu, gemv_mma.cu): the
// output rows of one launch (up to kMaxGemvTargets matrices of one type and k multiplied by the
// same x), the f32 term each 32-element block adds to a row's sum, and the order of the sums. Both
// kernels follow that order, so a (row, token) result has the same bits whichever kernel computed
// it and whatever the batch (batch invariance).
#include "backend/gpu/common.cuh"
#include "gguf/ggml_type.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

// Global row r belongs to the first target with r < row_end[target].
constexpr int kMaxGemvTargets = 4;
struct GemvTargets {
    const uint8_t* w[kMaxGemvTargets];
    float* y[kMaxGemvTargets];  // [n_out, n_tokens] each, already offset to the launch's first token
    int64_t n_out[kMaxGemvTargets];
    int64_t row_end[kMaxGemvTargets];  // cumulative rows
    int n;
};

// One output row of the launch: its weight row, output and row index; valid = false past the
// last target.
struct GemvRow {
    const uint8_t* w;  // the row's bytes
    float* y;
    int64_t n_out, row;
    bool valid;
};
// (The targets are scanned with constant indices: a dynamic index into the kernel parameter
// would copy it to local memory.)
__device__ __forceinline__ GemvRow locate_row(const GemvTargets& targets, int64_t global, size_t row_bytes) {
    GemvRow r{nullptr, nullptr, 0, 0, false};
    int64_t begin = 0;
#pragma unroll
    for (int i = 0; i < kMaxGemvTargets; ++i) {
        if (i < targets.n && !r.valid && global < targets.row_end[i]) {
            r = GemvRow{targets.w[i] + (global - begin) * row_bytes, targets.y[i], targets.n_out[i], global - begin, true};
        }
        if (i < targets.n) begin = targets.row_end[i];
    }
    return r;
}

// The summation order of every (row, token) of these kernels: the row's blocks split into
// kGemvLeaves leaves of interleaved block pairs (leaf j: blocks 2j, 2j + 1, 2j + 32, 2j + 33, ...,
// those below k / 32); a leaf is one chain that adds its blocks' terms in increasing block order,
// starting from 0; the result is the balanced binary tree of the leaf sums, adjacent pairs first:
// ((L0 + L1) + (L2 + L3)) + ... Nothing in it depends on the token count.
constexpr int kGemvLeaves = 16;
// The s-th block of leaf j (increasing in s).
__host__ __device__ constexpr int64_t leaf_block(int leaf, int64_t s) { return 32 * (s / 2) + 2 * leaf + s % 2; }

// The term a split-layout Q4_0 / Q8_0 block (weight_layout.h) with scale d_w adds against an int8
// activation block {d_x, Σ q_x}, as {d_w, t}: dot = Σ c_w q_x (integer, exact), then
//   Q8_0: t = d_x * dot;   Q4_0: t = d_x * (dot − 8 Σ q_x)   (c_w the 4-bit codes);
// each rounded once to f32, and a chain adds it as acc = fma(d_w, t, acc). Explicit roundings (no
// contraction left to the compiler): every kernel rounds alike.
//
// The integer is below 2^22 in magnitude (Q8_0: |dot| <= 32 * 128 * 127; Q4_0:
// |dot − 8 Σ q_x| <= 32 * 15 * 127 + 8 * 32 * 127), and t is formed without an int-to-float
// conversion (a slow instruction on NVIDIA): a kernel starts the block's integer dot from
// biased_dot_start, the bits of the f32 B − 8 Σ q_x (Q4_0; exact, an integer in [2^23, 2^24), where
// f32 bits grow by one per unit) or of B (Q8_0), B = 1.5 * 2^23. Adding the 32 integer products
// keeps it in that range, so the result's bits are the f32 B + sum, and one fma with d_x and
// −B d_x leaves d_x * sum rounded once: −B d_x is exact because the activation quantizer rounds
// d_x to 22 significant bits (q8_block.cuh) and B = 3 * 2^22 adds 2.
constexpr float kExactIntBias = 12582912.0f;  // 1.5 * 2^23
constexpr int kExactIntBiasBits = 0x4B400000;
template <gguf::GgmlType T>
__device__ __forceinline__ int biased_dot_start(float sum_qx) {
    return T == gguf::GgmlType::Q4_0 ? __float_as_int(__fmaf_rn(-8.0f, sum_qx, kExactIntBias)) : kExactIntBiasBits;
}
// −B d_x (exact; see above).
__device__ __forceinline__ float neg_bias_times(float dx) { return __fmul_rn(-kExactIntBias, dx); }

// {d_w, t} of a block from its biased dot (biased_dot_start plus the products), d_x and
// neg_bias_times(d_x) (one fma; a kernel shares −B d_x among its rows).
__device__ __forceinline__ float2 block_term(int biased_dot, float dw, float dx, float neg_bias_dx) {
    return make_float2(dw, __fmaf_rn(__int_as_float(biased_dot), dx, neg_bias_dx));
}
__device__ __forceinline__ float add_term(float acc, float2 term) { return __fmaf_rn(term.x, term.y, acc); }

}  // namespace rocmforge::backend::gpu
