#include "backend/cpu/rope.h"

#include <cmath>

namespace rocmforge::backend::cpu {

RopeTable make_rope_table(const int32_t* positions, int64_t n_tokens, const RopeParams& params,
                          const float* freq_factors, const uint8_t* use_long) {
    RopeTable table;
    table.n_rot = params.n_rot;
    table.style = params.style;
    const int64_t half = params.n_rot / 2;
    table.cos.resize(static_cast<size_t>(half * n_tokens));
    table.sin.resize(static_cast<size_t>(half * n_tokens));
    // inv_freq[row][i]: row 0 with the (short) factors, row 1 with the long factors.
    const int n_rows = params.long_context > 0 && freq_factors != nullptr ? 2 : 1;
    std::vector<double> inv_freq(static_cast<size_t>(half * n_rows));
    for (int r = 0; r < n_rows; ++r)
        for (int64_t i = 0; i < half; ++i) {
            double f = params.freq_scale *
                       std::pow(params.freq_base, -2.0 * static_cast<double>(i) / static_cast<double>(params.n_rot));
            if (freq_factors != nullptr) f /= freq_factors[r * half + i];
            inv_freq[r * half + i] = f;
        }
    for (int64_t t = 0; t < n_tokens; ++t) {
        const double* row = inv_freq.data() + (n_rows == 2 && use_long != nullptr && use_long[t] ? half : 0);
        for (int64_t i = 0; i < half; ++i) {
            const double theta = positions[t] * row[i];
            table.cos[t * half + i] = static_cast<float>(std::cos(theta) * params.attn_factor);
            table.sin[t * half + i] = static_cast<float>(std::sin(theta) * params.attn_factor);
        }
    }
    return table;
}

void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const RopeTable& table) {
    rope_tokens(x, head_dim, n_heads, 0, n_tokens, table);
}

void rope_tokens(float* x, int64_t head_dim, int64_t n_heads, int64_t t0, int64_t t1, const RopeTable& table) {
    const int64_t half = table.n_rot / 2;
    const bool normal = table.style == RopeStyle::Normal;
    for (int64_t t = t0; t < t1; ++t) {
        const float* c = table.cos.data() + t * half;
        const float* s = table.sin.data() + t * half;
        for (int64_t h = 0; h < n_heads; ++h) {
            float* v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const int64_t a = normal ? 2 * i : i;
                const int64_t b = normal ? 2 * i + 1 : i + half;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * c[i] - x1 * s[i];
                v[b] = x0 * s[i] + x1 * c[i];
            }
        }
    }
}

void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
          const RopeParams& params, const float* freq_factors) {
    rope(x, head_dim, n_heads, n_tokens, make_rope_table(positions, n_tokens, params, freq_factors));
}

}  // namespace rocmforge::backend::cpu
