#pragma once
// Weight rows as f32 panels for the batched f32 GEMM kernels (matmul_batched, gemm_tile):
//   panel[i * stride + c + j] = W[r0 + j, i] for j < n_rows, 0 for n_rows <= j < 16
// (16 columns of the panel starting at column c; any weight dtype, dequantized exactly as
// dequantize_row does).
#include "tensor/tensor.h"

#include <cstdint>
#include <vector>

namespace rocmforge::backend::cpu {

// PRECOND: n_rows <= 16, c + 16 <= stride; panel holds w.ne[0] * stride floats. row: scratch.
void pack_weight_panel(const tensor::Tensor& w, int64_t r0, int64_t n_rows, float* panel, int64_t stride, int64_t c,
                       std::vector<float>& row);

}  // namespace rocmforge::backend::cpu
