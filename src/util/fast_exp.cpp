#include "util/fast_exp.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace rocmforge {

void exp_shifted_reference(const float* x, float shift, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i] - shift);
}

namespace {

#if defined(__x86_64__)
bool has_avx2_fma() {
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

// exp(v) for 8 lanes: v = k ln2 + r with k = round(v / ln2) and |r| <= ln2 / 2 (ln2 split in a
// high part exact in float and a low part, so k * ln2_hi is exact), exp(r) by a degree-6
// polynomial (Taylor coefficients 1/j! adjusted for the interval, as in Cephes' expf), times 2^k
// built in the exponent bits. Above 88.72: +inf; below -87.33: 0; NaN passes.
ROCMFORGE_AVX2 inline __m256 exp8(__m256 v) {
    const __m256 hi = _mm256_set1_ps(88.7228317f), lo = _mm256_set1_ps(-87.3365479f);
    const __m256 is_nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    const __m256 too_big = _mm256_cmp_ps(v, hi, _CMP_GT_OQ);
    const __m256 too_small = _mm256_cmp_ps(v, lo, _CMP_LT_OQ);
    const __m256 c = _mm256_max_ps(_mm256_min_ps(v, hi), lo);
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(c, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), c);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^k for k in [-126, 128]: k = 128 (only for inputs near the top) as 2 * 2^127.
    const __m256i ki = _mm256_cvtps_epi32(k);
    const __m256i k_low = _mm256_min_epi32(ki, _mm256_set1_epi32(127));
    const __m256 two_k = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k_low, _mm256_set1_epi32(127)), 23));
    const __m256 extra = _mm256_blendv_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(2.0f),
                                          _mm256_castsi256_ps(_mm256_cmpgt_epi32(ki, k_low)));
    __m256 result = _mm256_mul_ps(_mm256_mul_ps(p, two_k), extra);
    result = _mm256_blendv_ps(result, _mm256_set1_ps(INFINITY), too_big);
    result = _mm256_andnot_ps(too_small, result);
    return _mm256_blendv_ps(result, v, is_nan);
}

// The tails go through zero-padded 8-lane buffers, so every element sees the same instructions.
ROCMFORGE_AVX2 void exp_shifted_avx2(const float* x, float shift, float* y, int64_t n) {
    const __m256 s = _mm256_set1_ps(shift);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
    if (i == n) return;
    const size_t tail = static_cast<size_t>(n - i) * sizeof(float);
    alignas(32) float buf[8] = {};
    std::memcpy(buf, x + i, tail);
    _mm256_store_ps(buf, exp8(_mm256_sub_ps(_mm256_load_ps(buf), s)));
    std::memcpy(y + i, buf, tail);
}

ROCMFORGE_AVX2 inline __m256 silu_mul8(__m256 g, __m256 u) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

// v / (1 + exp(-2z)), -2z = v * (-2 sqrt(2/pi)) * (1 + 0.044715 v^2).
ROCMFORGE_AVX2 inline __m256 gelu_tanh_mul8(__m256 g, __m256 u) {
    const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(g, g), _mm256_set1_ps(0.044715f), _mm256_set1_ps(1.0f));
    const __m256 e = exp8(_mm256_mul_ps(_mm256_mul_ps(g, _mm256_set1_ps(-1.5957691216057308f)), inner));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

// out = op8(gate, up) over n floats; the tail through zero-padded 8-lane buffers.
template <__m256 (*Op8)(__m256, __m256)>
ROCMFORGE_AVX2 void gated_avx2(const float* gate, const float* up, float* out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Op8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i == n) return;
    const size_t tail = static_cast<size_t>(n - i) * sizeof(float);
    alignas(32) float g[8] = {}, u[8] = {};
    std::memcpy(g, gate + i, tail);
    std::memcpy(u, up + i, tail);
    _mm256_store_ps(g, Op8(_mm256_load_ps(g), _mm256_load_ps(u)));
    std::memcpy(out + i, g, tail);
}

#endif

}  // namespace

void exp_shifted(const float* x, float shift, float* y, int64_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return exp_shifted_avx2(x, shift, y, n);
#endif
    exp_shifted_reference(x, shift, y, n);
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return gated_avx2<silu_mul8>(gate, up, out, n);
#endif
    for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, int64_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return gated_avx2<gelu_tanh_mul8>(gate, up, out, n);
#endif
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = 0.5f * g * (1.0f + std::tanh(kSqrt2OverPi * (g + 0.044715f * g * g * g))) * up[i];
    }
}

}  // namespace rocmforge
