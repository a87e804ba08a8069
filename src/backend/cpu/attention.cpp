#include "backend/cpu/attention.h"

#include "backend/cpu/dot.h"

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace rocmforge::backend::cpu {
namespace {

// One (token, head) pair: scores over positions [0, n_keys), softmax, weighted sum of V.
void attend_one(const float* q_head, const float* k, const float* v, float* out_head, int64_t kv_head,
                const AttentionShape& s, int64_t n_keys, std::vector<float>& scores) {
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;  // floats between positions
    scores.resize(static_cast<size_t>(n_keys));
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = dot_f32(q_head, k + p * kv_stride + kv_head * s.head_dim, s.head_dim) * s.scale;
        max_score = std::max(max_score, scores[p]);
    }
    float sum = 0.0f;
    for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
    }
    const float inv_sum = 1.0f / sum;
    std::fill_n(out_head, s.head_dim, 0.0f);
    for (int64_t p = 0; p < n_keys; ++p) {
        const float weight = scores[p] * inv_sum;
        const float* v_row = v + p * kv_stride + kv_head * s.head_dim;
        for (int64_t d = 0; d < s.head_dim; ++d) out_head[d] += weight * v_row[d];
    }
}

#if defined(__x86_64__)
ROCMFORGE_AVX2 inline float dot_avx2(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i < n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    __m256 v = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// Same as attend_one; precondition head_dim % 8 == 0.
ROCMFORGE_AVX2 void attend_one_avx2(const float* q_head, const float* k, const float* v, float* out_head,
                                    int64_t kv_head, const AttentionShape& s, int64_t n_keys,
                                    std::vector<float>& scores) {
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;
    scores.resize(static_cast<size_t>(n_keys));
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = dot_avx2(q_head, k + p * kv_stride + kv_head * s.head_dim, s.head_dim) * s.scale;
        max_score = std::max(max_score, scores[p]);
    }
    float sum = 0.0f;
    for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
    }
    const float inv_sum = 1.0f / sum;
    std::fill_n(out_head, s.head_dim, 0.0f);
    for (int64_t p = 0; p < n_keys; ++p) {
        const __m256 weight = _mm256_set1_ps(scores[p] * inv_sum);
        const float* v_row = v + p * kv_stride + kv_head * s.head_dim;
        for (int64_t d = 0; d < s.head_dim; d += 8)
            _mm256_storeu_ps(out_head + d,
                             _mm256_fmadd_ps(weight, _mm256_loadu_ps(v_row + d), _mm256_loadu_ps(out_head + d)));
    }
}
#endif

}  // namespace

void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool) {
    const int64_t group = shape.n_heads / shape.n_kv_heads;
    const int64_t n_items = n_tokens * shape.n_heads;
    const bool use_avx2 = shape.head_dim % 8 == 0 && cpu_has_avx2_fma_f16c();
    pool.run([&](int thread_index, int n_threads) {
        thread_local std::vector<float> scores;
        // Interleave items: later tokens see more keys, so contiguous ranges would be unbalanced.
        for (int64_t item = thread_index; item < n_items; item += n_threads) {
            const int64_t t = item / shape.n_heads, h = item % shape.n_heads;
            const int64_t offset = (t * shape.n_heads + h) * shape.head_dim;
#if defined(__x86_64__)
            if (use_avx2) {
                attend_one_avx2(q + offset, k, v, out + offset, h / group, shape, n_past + t + 1, scores);
                continue;
            }
#endif
            attend_one(q + offset, k, v, out + offset, h / group, shape, n_past + t + 1, scores);
        }
    });
}

void attention_reference(const float* q, const float* k, const float* v, float* out, const AttentionShape& s,
                         int64_t n_tokens, int64_t n_past) {
    const int64_t group = s.n_heads / s.n_kv_heads;
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int64_t n_keys = n_past + t + 1;
        for (int64_t h = 0; h < s.n_heads; ++h) {
            const float* qh = q + (t * s.n_heads + h) * s.head_dim;
            const int64_t kvh = h / group;
            std::vector<double> w(static_cast<size_t>(n_keys));
            double max_score = -INFINITY;
            for (int64_t p = 0; p < n_keys; ++p) {
                double dot = 0.0;
                for (int64_t d = 0; d < s.head_dim; ++d) dot += double(qh[d]) * k[p * kv_stride + kvh * s.head_dim + d];
                w[p] = dot * s.scale;
                max_score = std::max(max_score, w[p]);
            }
            double sum = 0.0;
            for (auto& x : w) sum += (x = std::exp(x - max_score));
            float* oh = out + (t * s.n_heads + h) * s.head_dim;
            for (int64_t d = 0; d < s.head_dim; ++d) {
                double acc = 0.0;
                for (int64_t p = 0; p < n_keys; ++p) acc += w[p] / sum * v[p * kv_stride + kvh * s.head_dim + d];
                oh[d] = static_cast<float>(acc);
            }
        }
    }
}

}  // namespace rocmforge::backend::cpu
