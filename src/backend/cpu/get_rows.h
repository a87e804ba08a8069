#pragma once
#include "tensor/tensor.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

// out[t] = row ids[t] of `table` ([n_embd, n_rows], any dtype with kernels) as f32.
// out: [n_embd, n_ids]. Throws rocmforge::Error naming the id when it is outside [0, n_rows).
void get_rows(const tensor::Tensor& table, const int32_t* ids, int64_t n_ids, float* out);

}  // namespace rocmforge::backend::cpu
