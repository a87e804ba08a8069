#include "backend/cpu/elementwise.h"

#include <cmath>

namespace rocmforge::backend::cpu {

void scale_in_place(float* x, float factor, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

void softcap_in_place(float* x, float cap, int64_t n) {
    const float inv_cap = 1.0f / cap;
    for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] * inv_cap);
}

}  // namespace rocmforge::backend::cpu
