#include "backend/cpu/rms_norm.h"

#include <cmath>

namespace rocmforge::backend::cpu {

void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const float* xr = x + r * n;
        float* yr = y + r * n;
        double sum_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(xr[i]) * xr[i];
        const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
        if (weight != nullptr) {
            for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * scale * weight[i];
        } else {
            for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * scale;
        }
    }
}

}  // namespace rocmforge::backend::cpu
