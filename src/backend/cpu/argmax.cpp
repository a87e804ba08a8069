#include "backend/cpu/argmax.h"

#include "backend/cpu/dot.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace rocmforge::backend::cpu {

int32_t argmax_finite_reference(const float* row, int64_t n) {
    if (n == 0) return -1;
    int64_t best = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!std::isfinite(row[i])) return -1;
        if (row[i] > row[best]) best = i;
    }
    return static_cast<int32_t>(best);
}

#if defined(__x86_64__)
namespace {

ROCMFORGE_AVX2 int32_t argmax_finite_avx2(const float* row, int64_t n) {
    if (n == 0) return -1;
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 largest = _mm256_set1_ps(FLT_MAX);
    __m256 max_v = _mm256_set1_ps(-FLT_MAX);
    __m256 not_finite = _mm256_setzero_ps();  // lanes that saw a NaN or an infinity (all ones)
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(row + i);
        max_v = _mm256_max_ps(max_v, v);
        // !(|v| <= FLT_MAX), true for NaN (unordered) and for ±inf.
        not_finite = _mm256_or_ps(not_finite, _mm256_cmp_ps(_mm256_and_ps(v, abs_mask), largest, _CMP_NLE_UQ));
    }
    if (_mm256_movemask_ps(not_finite) != 0) return -1;
    float lanes[8];
    _mm256_storeu_ps(lanes, max_v);
    float max_value = *std::max_element(lanes, lanes + 8);  // all finite here: max is exact in any order
    for (int64_t j = i; j < n; ++j) {
        if (!std::isfinite(row[j])) return -1;
        max_value = std::max(max_value, row[j]);
    }
    // The first index holding the maximum.
    const __m256 target = _mm256_set1_ps(max_value);
    for (i = 0; i + 8 <= n; i += 8) {
        const int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + i), target, _CMP_EQ_OQ));
        if (mask != 0) return static_cast<int32_t>(i + __builtin_ctz(static_cast<unsigned>(mask)));
    }
    for (; i < n; ++i)
        if (row[i] == max_value) return static_cast<int32_t>(i);
    return -1;  // unreachable: the maximum is one of the values
}

}  // namespace
#endif

int32_t argmax_finite(const float* row, int64_t n) {
#if defined(__x86_64__)
    if (cpu_has_avx2_fma_f16c()) return argmax_finite_avx2(row, n);
#endif
    return argmax_finite_reference(row, n);
}

}  // namespace rocmforge::backend::cpu
