#include "backend/cpu/elementwise.h"
#include "util/fast_exp.h"

namespace rocmforge::backend::cpu {

void swiglu(const float* gate, const float* up, float* out, int64_t n) { silu_mul(gate, up, out, n); }

}  // namespace rocmforge::backend::cpu
