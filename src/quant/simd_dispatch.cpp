#include "quant/simd_dispatch.h"

#include "quant/simd/simd_kernels.h"

namespace rocmforge::quant::simd {

void install_fast_kernels(QuantTraits& traits) {
    const SimdKernels k = resolve_simd_kernels(traits.type);
    if (k.vec_dot) traits.vec_dot = k.vec_dot;
    if (k.from_float) traits.from_float = k.from_float;
    traits.vec_dot_tile = k.vec_dot_tile;
}

const char* active_target_name() { return current_target_name(); }

}  // namespace rocmforge::quant::simd
