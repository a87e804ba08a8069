#include "backend/cpu/matmul_float.h"

#include "backend/cpu/dot.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif

namespace rocmforge::backend::cpu {
namespace {

constexpr int64_t kRowTile = 4;    // weight rows converted to f32 and multiplied together
constexpr int64_t kTokenTile = 2;  // tokens per micro-kernel call

// out[r * out_stride + t] for r < 4, t < 2: dots of 4 f32 rows (stride k) with 2 tokens (stride k).
void micro_kernel_4x2_scalar(const float* w, const float* x, int64_t k, float out[kTokenTile][kRowTile]) {
    for (int t = 0; t < kTokenTile; ++t)
        for (int r = 0; r < kRowTile; ++r) out[t][r] = dot_f32_reference(w + r * k, x + t * k, k);
}

#if defined(__x86_64__)
ROCMFORGE_AVX2 float hsum(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// Precondition: k % 8 == 0.
ROCMFORGE_AVX2 void micro_kernel_4x2_avx2(const float* w, const float* x, int64_t k,
                                          float out[kTokenTile][kRowTile]) {
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a02 = _mm256_setzero_ps(), a03 = _mm256_setzero_ps();
    __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps(), a12 = _mm256_setzero_ps(), a13 = _mm256_setzero_ps();
    for (int64_t i = 0; i < k; i += 8) {
        const __m256 w0 = _mm256_loadu_ps(w + i), w1 = _mm256_loadu_ps(w + k + i);
        const __m256 w2 = _mm256_loadu_ps(w + 2 * k + i), w3 = _mm256_loadu_ps(w + 3 * k + i);
        const __m256 x0 = _mm256_loadu_ps(x + i);
        a00 = _mm256_fmadd_ps(w0, x0, a00);
        a01 = _mm256_fmadd_ps(w1, x0, a01);
        a02 = _mm256_fmadd_ps(w2, x0, a02);
        a03 = _mm256_fmadd_ps(w3, x0, a03);
        const __m256 x1 = _mm256_loadu_ps(x + k + i);
        a10 = _mm256_fmadd_ps(w0, x1, a10);
        a11 = _mm256_fmadd_ps(w1, x1, a11);
        a12 = _mm256_fmadd_ps(w2, x1, a12);
        a13 = _mm256_fmadd_ps(w3, x1, a13);
    }
    out[0][0] = hsum(a00), out[0][1] = hsum(a01), out[0][2] = hsum(a02), out[0][3] = hsum(a03);
    out[1][0] = hsum(a10), out[1][1] = hsum(a11), out[1][2] = hsum(a12), out[1][3] = hsum(a13);
}
#endif

void micro_kernel_4x2(const float* w, const float* x, int64_t k, float out[kTokenTile][kRowTile]) {
#if defined(__x86_64__)
    if (k % 8 == 0 && cpu_has_avx2_fma_f16c()) return micro_kernel_4x2_avx2(w, x, k, out);
#endif
    micro_kernel_4x2_scalar(w, x, k, out);
}

float dot_row(const tensor::Tensor& w, int64_t row, const float* x, int64_t k) {
    const void* p = w.row_ptr(row);
    if (w.dtype == gguf::GgmlType::F16) return dot_f16_f32(static_cast<const uint16_t*>(p), x, k);
    return dot_f32(static_cast<const float*>(p), x, k);
}

// Rows [row_begin, row_end) for every token.
void matmul_rows(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, int64_t row_begin,
                 int64_t row_end, std::vector<float>& scratch) {
    const int64_t k = w.ne[0];
    const int64_t n_out = w.ne[1];
    if (n_tokens == 1) {
        for (int64_t r = row_begin; r < row_end; ++r) y[r] = dot_row(w, r, x, k);
        return;
    }
    scratch.resize(static_cast<size_t>(kRowTile * k));
    int64_t r = row_begin;
    for (; r + kRowTile <= row_end; r += kRowTile) {
        const float* tile;
        if (w.dtype == gguf::GgmlType::F16) {
            for (int64_t i = 0; i < kRowTile; ++i)
                convert_f16_to_f32(reinterpret_cast<const uint16_t*>(w.row_ptr(r + i)), scratch.data() + i * k, k);
            tile = scratch.data();
        } else if (w.nb[1] == static_cast<size_t>(k) * sizeof(float)) {
            tile = reinterpret_cast<const float*>(w.row_ptr(r));
        } else {
            for (int64_t i = 0; i < kRowTile; ++i)
                std::copy_n(reinterpret_cast<const float*>(w.row_ptr(r + i)), k, scratch.data() + i * k);
            tile = scratch.data();
        }
        int64_t t = 0;
        float out[kTokenTile][kRowTile];
        for (; t + kTokenTile <= n_tokens; t += kTokenTile) {
            micro_kernel_4x2(tile, x + t * k, k, out);
            for (int64_t j = 0; j < kTokenTile; ++j)
                for (int64_t i = 0; i < kRowTile; ++i) y[(t + j) * n_out + r + i] = out[j][i];
        }
        for (; t < n_tokens; ++t)
            for (int64_t i = 0; i < kRowTile; ++i) y[t * n_out + r + i] = dot_f32(tile + i * k, x + t * k, k);
    }
    for (; r < row_end; ++r)
        for (int64_t t = 0; t < n_tokens; ++t) y[t * n_out + r] = dot_row(w, r, x + t * k, k);
}

}  // namespace

void matmul_float(const tensor::Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    const int64_t n_out = w.ne[1];
    const int n_threads = pool.size();
    pool.run([&](int thread_index, int) {
        thread_local std::vector<float> scratch;
        // Split rows in multiples of the row tile so every thread runs full tiles.
        const int64_t n_tiles = (n_out + kRowTile - 1) / kRowTile;
        const int64_t begin = std::min(n_out, n_tiles * thread_index / n_threads * kRowTile);
        const int64_t end = std::min(n_out, n_tiles * (thread_index + 1) / n_threads * kRowTile);
        if (begin < end) matmul_rows(w, x, n_tokens, y, begin, end, scratch);
    });
}

}  // namespace rocmforge::backend::cpu
