#pragma once
// Batched (matrix-matrix) path of matmul for several tokens, any weight dtype (see matmul.h for
// shapes): each thread takes blocks of 16 weight rows, dequantizes them to f32 and packs them
// as [k][16], then multiplies them with the tokens 6 at a time in registers (6 x 16 tile of
// outputs). Accumulation is in f32 against the f32 activations, so no activation rounding.
#include "tensor/tensor.h"
#include "util/thread_pool.h"

namespace rocmforge::backend::cpu {

void matmul_batched(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
