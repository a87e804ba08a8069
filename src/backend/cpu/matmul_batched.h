#pragma once
// Batched (matrix-matrix) path of matmul for several tokens, any weight dtype (see matmul.h for
// shapes): each thread takes blocks of 16 weight rows, dequantizes them to f32 and packs them
// as [k][16] (weight_panel.h), then multiplies them with the tokens 6 (AVX2) or 12 (AVX-512) at a
// time in registers. Accumulation is in f32 against the f32 activations, so no activation rounding.
#include "tensor/tensor.h"
#include "util/thread_pool.h"

namespace rocmforge::backend::cpu {

void matmul_batched(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// The kernels matmul_batched chooses between (tests run each where the CPU has it):
// panels of 16 rows through gemm_tile (AVX2, AVX-512 or scalar), and
void matmul_batched_panels16(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
// the same product on AVX-512F (matmul_batched takes it where the CPU has it): panels of 32 weight
// rows and tiles of up to 12 tokens whose activations are transposed once per product ([k][tokens],
// each thread a share of the tiles before a barrier), so every i loads two weight vectors and
// broadcasts the tile's values from one pointer into 24 accumulators. Each output is the same fma
// chain over i in order as gemm_tile's: the same bits. PRECOND: cpu_has_avx512f().
void matmul_batched_wide(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
