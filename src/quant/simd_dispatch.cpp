#include "quant/simd_dispatch.h"

namespace rocmforge::quant::simd {

void install_fast_kernels(QuantTraits&) {}
const char* active_target_name() { return "scalar"; }

}  // namespace rocmforge::quant::simd
