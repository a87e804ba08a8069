#pragma once
// Quantized weight path of matmul (see matmul.h for shapes): the activations are converted once
// to the weight type's vec_dot_type, then each thread multiplies its rows with the quant traits'
// vec_dot. Precondition: quant::is_supported(w.dtype) and w.ne[0] a multiple of both block sizes.
#include "tensor/tensor.h"
#include "util/thread_pool.h"

namespace rocmforge::backend::cpu {

void matmul_quantized(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
