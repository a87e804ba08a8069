#pragma once
// F32/F16 weight path of matmul (see matmul.h for shapes). Exposed for tests and benches.
#include "tensor/tensor.h"
#include "util/thread_pool.h"

namespace rocmforge::backend::cpu {

// Precondition: w.dtype is F32 or F16.
void matmul_float(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
