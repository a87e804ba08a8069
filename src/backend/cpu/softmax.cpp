#include "backend/cpu/elementwise.h"

#include <algorithm>
#include <cmath>

namespace rocmforge::backend::cpu {

void softmax(float* x, int64_t n, int64_t n_rows) {
    for (int64_t r = 0; r < n_rows; ++r) {
        float* row = x + r * n;
        const float max_value = *std::max_element(row, row + n);
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            row[i] = std::exp(row[i] - max_value);
            sum += row[i];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t i = 0; i < n; ++i) row[i] *= inv;
    }
}

}  // namespace rocmforge::backend::cpu
