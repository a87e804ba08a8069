#include "backend/cpu/elementwise.h"

namespace rocmforge::backend::cpu {

void add_in_place(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void add_bias(float* y, const float* bias, int64_t n, int64_t n_rows) {
    for (int64_t r = 0; r < n_rows; ++r) add_in_place(y + r * n, bias, n);
}

}  // namespace rocmforge::backend::cpu
