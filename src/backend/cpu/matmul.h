#pragma once
// Matrix product with a weight matrix in its stored type (used in place, e.g. from the mmap):
//   y[t, r] = sum_k W[r, k] * x[t, k]
// W: [k, n_out] (GGML order: n_out rows of k values, any dtype with kernels),
// x: [k, n_tokens] f32 contiguous, y: [n_out, n_tokens] f32 contiguous.
// F32/F16 weights accumulate in f32 against f32 activations (no rounding of x); quantized
// weights follow the quant traits: x is converted to the type's vec_dot_type first.
#include "backend/backend_types.h"
#include "tensor/tensor.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <functional>
#include <span>

namespace rocmforge::backend::cpu {

// Picks the kernel family by n_tokens (for kernel tests and benches; the forward pass uses
// matmul_rows, which picks it by row class).
void matmul(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// The kernel family of `row_class` whatever n_tokens: Decode → row-by-row kernels (quantized
// weights: integer dot products on activations rounded to the type's vec_dot_type); Prefill →
// batched f32 GEMM on dequantized weight tiles, except for interleaved weights (Q4_0, Q8_0, Q4_K, Q6_K
// repacked at load), which use the same integer kernels as Decode, so both classes give the same
// bits there. Each y element depends only on its x row and the class.
// prologue (optional): prologue(t0, t1) writes rows [t0, t1) of x (a norm, a gated activation),
// each row from inputs of its own; it runs over all n_tokens rows before any row of x is read:
// on the row-by-row path inside the product's dispatch when prepares_rows_in_dispatch (each thread
// its share of the rows, then a barrier: one dispatch instead of two) or on the calling thread
// first, else as a dispatch of its own first. It must not throw.
using RowsPrologue = std::function<void(int64_t t0, int64_t t1)>;

// Whether a product prepares its rows (a RowsPrologue, the activation conversion) inside its pool
// dispatch, each thread a share of the tokens before a SpinBarrier, rather than on the calling
// thread before the dispatch: one token is prepared faster than two threads could meet (a barrier
// per product cost one-sequence decode ~8% on wp-25M).
inline bool prepares_rows_in_dispatch(int64_t n_tokens) { return n_tokens >= 2; }

void matmul_rows(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, RowClass row_class,
                 ThreadPool& pool, const RowsPrologue& prologue = {});

// True when matmul rounds x to the weight type's vec_dot_type (quantized weights in small batches,
// or interleaved weights: the integer kernels); false when it multiplies f32 x with
// f32-dequantized weight tiles.
bool matmul_quantizes_activations(const tensor::Tensor& w, int64_t n_tokens);

// Several products of the same input, y_i = W_i · x (e.g. Q/K/V or gate/up), with one thread-pool
// dispatch for all of them on the row-by-row path (decode), where dispatches dominate.
struct MatmulRowsTask {
    const tensor::Tensor* w;
    float* y;
};
void matmul_shared_input(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens, ThreadPool& pool);
// Same with the kernel family of row_class (see matmul_rows).
void matmul_shared_input_rows(std::span<const MatmulRowsTask> tasks, const float* x, int64_t n_tokens,
                              RowClass row_class, ThreadPool& pool, const RowsPrologue& prologue = {});

// Reference: dequantize each weight row to f32, then a scalar sequential dot. Single-threaded.
void matmul_reference(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y);

}  // namespace rocmforge::backend::cpu
