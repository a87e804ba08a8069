#include "backend/cpu/rope.h"

#include <cmath>
#include <vector>

namespace rocmforge::backend::cpu {

void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
          const RopeParams& params) {
    const int64_t half = params.n_rot / 2;
    std::vector<float> cos_table(static_cast<size_t>(half)), sin_table(static_cast<size_t>(half));
    for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t i = 0; i < half; ++i) {
            double theta = positions[t] * params.freq_scale *
                           std::pow(params.freq_base, -2.0 * static_cast<double>(i) / static_cast<double>(params.n_rot));
            if (params.freq_factors != nullptr) theta /= params.freq_factors[i];
            cos_table[i] = static_cast<float>(std::cos(theta));
            sin_table[i] = static_cast<float>(std::sin(theta));
        }
        for (int64_t h = 0; h < n_heads; ++h) {
            float* v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const int64_t a = params.style == RopeStyle::Normal ? 2 * i : i;
                const int64_t b = params.style == RopeStyle::Normal ? 2 * i + 1 : i + half;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * cos_table[i] - x1 * sin_table[i];
                v[b] = x0 * sin_table[i] + x1 * cos_table[i];
            }
        }
    }
}

}  // namespace rocmforge::backend::cpu
