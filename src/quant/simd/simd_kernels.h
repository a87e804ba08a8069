#pragma once
// SIMD row kernels resolved for the CPU's best Highway target (or the one a test forces with
// hwy::SetSupportedTargetsForTest). Null members mean "no SIMD variant: use the reference".
#include "gguf/ggml_type.h"
#include "quant/quant_traits.h"
#include "quant/runtime_formats.h"

namespace rocmforge::quant::simd {

struct SimdKernels {
    VecDotFn vec_dot = nullptr;
    FromFloatFn from_float = nullptr;  // only the activation formats Q8_0 / Q8_K (bit-identical to ref)
    VecDotTileFn vec_dot_tile = nullptr;  // bit-identical to vec_dot (see quant_traits.h)
};

SimdKernels resolve_simd_kernels(gguf::GgmlType type);
// SIMD vec_dot of a runtime-only format (MXFP6 x Q8_0, FP8 x F32), for every target.
VecDotFn resolve_runtime_vec_dot(RuntimeFormat format);
// Highway's name of the target resolve_simd_kernels picks now ("AVX2", "AVX3_DL", "NEON", ...).
const char* current_target_name();

}  // namespace rocmforge::quant::simd
