#include "backend/cpu/weight_panel.h"

#include "backend/cpu/dequantize_row.h"
#include "backend/cpu/dot.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

namespace rocmforge::backend::cpu {
namespace {

constexpr int64_t kPanelRows = 16;

#if defined(__x86_64__)
// The 8 x 8 floats in r[0..7] transposed in place (r[j] lane i <- r[i] lane j).
ROCMFORGE_AVX2 inline void transpose8x8(__m256 r[8]) {
    __m256 t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    __m256 u[8];
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

// 16 F16 rows with k % 8 == 0: 8 x 8 pieces converted and transposed in registers.
ROCMFORGE_AVX2 void pack_f16x16(const tensor::Tensor& w, int64_t r0, float* panel, int64_t stride) {
    const int64_t k = w.ne[0];
    const uint16_t* rows[kPanelRows];
    for (int64_t j = 0; j < kPanelRows; ++j) rows[j] = reinterpret_cast<const uint16_t*>(w.row_ptr(r0 + j));
    for (int64_t i = 0; i < k; i += 8) {
        for (int64_t half = 0; half < 2; ++half) {
            __m256 r[8];
            for (int j = 0; j < 8; ++j)
                r[j] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[8 * half + j] + i)));
            transpose8x8(r);
            for (int c = 0; c < 8; ++c) _mm256_storeu_ps(panel + (i + c) * stride + 8 * half, r[c]);
        }
    }
}
#endif

}  // namespace

void pack_weight_panel(const tensor::Tensor& w, int64_t r0, int64_t n_rows, float* panel, int64_t stride, int64_t c,
                       std::vector<float>& row) {
    const int64_t k = w.ne[0];
#if defined(__x86_64__)
    if (w.dtype == gguf::GgmlType::F16 && n_rows == kPanelRows && k % 8 == 0 && cpu_has_avx2_fma_f16c())
        return pack_f16x16(w, r0, panel + c, stride);
#endif
    row.resize(static_cast<size_t>(k));
    for (int64_t j = 0; j < kPanelRows; ++j) {
        if (j >= n_rows) {
            for (int64_t i = 0; i < k; ++i) panel[i * stride + c + j] = 0.0f;
            continue;
        }
        dequantize_row(w, r0 + j, row.data());
        for (int64_t i = 0; i < k; ++i) panel[i * stride + c + j] = row[static_cast<size_t>(i)];
    }
}

}  // namespace rocmforge::backend::cpu
