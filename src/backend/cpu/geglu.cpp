#include "backend/cpu/elementwise.h"

#include <cmath>

namespace rocmforge::backend::cpu {

void geglu(const float* gate, const float* up, float* out, int64_t n) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        const float gelu = 0.5f * g * (1.0f + std::tanh(kSqrt2OverPi * (g + 0.044715f * g * g * g)));
        out[i] = gelu * up[i];
    }
}

}  // namespace rocmforge::backend::cpu
