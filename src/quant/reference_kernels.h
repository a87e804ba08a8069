#pragma once
// Scalar reference kernels of every block type: the readable definition of each format and the
// oracle the SIMD kernels are tested against. Shapes: n elements, n a multiple of the block size;
// `dst`/`src` blocks are packed rows of the struct in block_types.h.
//   dequantize_row_T(src blocks, dst f32[n], n)
//   quantize_row_T(src f32[n], dst blocks, n)
//   vec_dot_T(n, *result, x row of T, y row of the activation type quant_traits(T).vec_dot_type)
#include <cstdint>

namespace rocmforge::quant::ref {

#define ROCMFORGE_DECLARE_ROW_KERNELS(T)                                  \
    void dequantize_row_##T(const void* src, float* dst, int64_t n);       \
    void quantize_row_##T(const float* src, void* dst, int64_t n);         \
    void vec_dot_##T(int64_t n, float* result, const void* x, const void* y);

// Float types; activations are f32 for all three (see docs/quantization.md).
ROCMFORGE_DECLARE_ROW_KERNELS(f32)
ROCMFORGE_DECLARE_ROW_KERNELS(f16)
ROCMFORGE_DECLARE_ROW_KERNELS(bf16)
// 32-element types; activations are Q8_0.
ROCMFORGE_DECLARE_ROW_KERNELS(q4_0)
ROCMFORGE_DECLARE_ROW_KERNELS(q4_1)
ROCMFORGE_DECLARE_ROW_KERNELS(q5_0)
ROCMFORGE_DECLARE_ROW_KERNELS(q5_1)
ROCMFORGE_DECLARE_ROW_KERNELS(q8_0)
ROCMFORGE_DECLARE_ROW_KERNELS(iq4_nl)
ROCMFORGE_DECLARE_ROW_KERNELS(mxfp4)
// 256-element types; activations are Q8_K.
ROCMFORGE_DECLARE_ROW_KERNELS(q8_k)
ROCMFORGE_DECLARE_ROW_KERNELS(q2_k)
ROCMFORGE_DECLARE_ROW_KERNELS(q3_k)
ROCMFORGE_DECLARE_ROW_KERNELS(q4_k)
ROCMFORGE_DECLARE_ROW_KERNELS(q5_k)
ROCMFORGE_DECLARE_ROW_KERNELS(q6_k)
ROCMFORGE_DECLARE_ROW_KERNELS(iq4_xs)
ROCMFORGE_DECLARE_ROW_KERNELS(tq1_0)  // quantize_row_tq1_0 exists for tests (ternary rounding), not in the table
ROCMFORGE_DECLARE_ROW_KERNELS(tq2_0)

#undef ROCMFORGE_DECLARE_ROW_KERNELS

}  // namespace rocmforge::quant::ref
