#pragma once
// Converts one row of a weight tensor (any dtype with kernels) to f32.
#include "tensor/tensor.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

// dst[0 .. ne[0]) = row `row` of `t` as f32.
void dequantize_row(const tensor::Tensor& t, int64_t row, float* dst);

// Throws rocmforge::Error naming the type when the CPU backend cannot multiply by it.
void check_weight_type_supported(gguf::GgmlType type, const std::string& tensor_name);

}  // namespace rocmforge::backend::cpu
