#pragma once
// Runtime selection of the SIMD kernels (Google Highway dynamic dispatch).
#include "quant/quant_traits.h"

namespace rocmforge::quant::simd {

// Replaces the reference kernels of `traits` by SIMD variants for the best target this CPU
// supports, where such variants exist. Called once when the traits table is built.
void install_fast_kernels(QuantTraits& traits);

// Name of the Highway target the dispatched kernels run on (e.g. "AVX3_DL", "AVX2").
const char* active_target_name();

}  // namespace rocmforge::quant::simd
