#include "backend/cpu/dot.h"

#include "backend/cpu/fp16.h"
#include "util/stream_prefetch.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma,f16c")))
#define ROCMFORGE_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#endif

namespace rocmforge::backend::cpu {

float dot_f32_reference(const float* a, const float* b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

float dot_f16_f32_reference(const uint16_t* w, const float* x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += half_to_float(w[i]) * x[i];
    return sum;
}

#if defined(__x86_64__)
namespace {

ROCMFORGE_AVX2 float horizontal_sum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

ROCMFORGE_AVX2 float dot_f32_avx2(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

ROCMFORGE_AVX2 inline __m256 load_w(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Weights are prefetched kStreamPrefetchBytes ahead (one 64-byte line per step), past the row's
// end into the next row's start, as the interleaved decode kernels stream theirs.
ROCMFORGE_AVX2 float dot_f16_f32_avx2(const uint16_t* w, const float* x, int64_t n) {
    constexpr int64_t kPrefetchHalves = kStreamPrefetchBytes / sizeof(uint16_t);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm_prefetch(reinterpret_cast<const char*>(w + i + kPrefetchHalves), _MM_HINT_T0);  // a hint: never faults
        acc0 = _mm256_fmadd_ps(load_w(w + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(load_w(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(load_w(w + i + 16), _mm256_loadu_ps(x + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(load_w(w + i + 24), _mm256_loadu_ps(x + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load_w(w + i), _mm256_loadu_ps(x + i), acc0);
    float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) sum += half_to_float(w[i]) * x[i];
    return sum;
}

ROCMFORGE_AVX512 inline __m512 load16(const uint16_t* p) {
    // maskz: GCC 12's unmasked form reads an undefined register (a -Wuninitialized false positive).
    return _mm512_maskz_cvtph_ps(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// The same with 16-float vectors: 64 weights (two cache lines, two prefetches) per step.
ROCMFORGE_AVX512 float dot_f16_f32_avx512(const uint16_t* w, const float* x, int64_t n) {
    constexpr int64_t kPrefetchHalves = kStreamPrefetchBytes / sizeof(uint16_t);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(w + i + kPrefetchHalves), _MM_HINT_T0);  // a hint: never faults
        _mm_prefetch(reinterpret_cast<const char*>(w + i + 32 + kPrefetchHalves), _MM_HINT_T0);
        acc0 = _mm512_fmadd_ps(load16(w + i), _mm512_loadu_ps(x + i), acc0);
        acc1 = _mm512_fmadd_ps(load16(w + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
        acc2 = _mm512_fmadd_ps(load16(w + i + 32), _mm512_loadu_ps(x + i + 32), acc2);
        acc3 = _mm512_fmadd_ps(load16(w + i + 48), _mm512_loadu_ps(x + i + 48), acc3);
    }
    for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(load16(w + i), _mm512_loadu_ps(x + i), acc0);
    const __m512 all = _mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3));
    // Through memory: GCC 12's 512-to-256-bit casts and shuffles warn as the cvtph above does.
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, all);
    float sum = horizontal_sum(_mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8)));
    for (; i < n; ++i) sum += half_to_float(w[i]) * x[i];
    return sum;
}

ROCMFORGE_AVX2 void convert_f16_to_f32_avx2(const uint16_t* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

}  // namespace
#endif

bool cpu_has_avx2_fma_f16c() {
#if defined(__x86_64__)
    // F16C from cpuid (leaf 1, ecx): clang 14's __builtin_cpu_supports does not know "f16c".
    static const bool has = [] {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
    }();
    return has;
#else
    return false;
#endif
}

bool cpu_has_avx512f() {
#if defined(__x86_64__)
    static const bool has = __builtin_cpu_supports("avx512f") && cpu_has_avx2_fma_f16c();
    return has;
#else
    return false;
#endif
}

float dot_f32(const float* a, const float* b, int64_t n) {
#if defined(__x86_64__)
    if (cpu_has_avx2_fma_f16c()) return dot_f32_avx2(a, b, n);
#endif
    return dot_f32_reference(a, b, n);
}

float dot_f16_f32(const uint16_t* w, const float* x, int64_t n) {
#if defined(__x86_64__)
    if (cpu_has_avx512f()) return dot_f16_f32_avx512(w, x, n);
    if (cpu_has_avx2_fma_f16c()) return dot_f16_f32_avx2(w, x, n);
#endif
    return dot_f16_f32_reference(w, x, n);
}

void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
#if defined(__x86_64__)
    if (cpu_has_avx2_fma_f16c()) return convert_f16_to_f32_avx2(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
}

}  // namespace rocmforge::backend::cpu
