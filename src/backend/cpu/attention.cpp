#include "backend/cpu/attention.h"

#include "backend/cpu/dot.h"
#include "backend/cpu/gemm_tile.h"

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

// Up to 6 query tokens [t0, t0 + n_q) of head h at once, as two small GEMMs on the tile kernel:
// scores = Q_blk · K^T over keys [0, n_keys), causal mask + softmax per row, out = P · V.
// Scratch: packed K^T blocks [hd][16], packed V column blocks [n_keys][16], scores [n_q][n_keys].
void attend_block(const float* q, const float* k, const float* v, float* out, const AttentionShape& s, int64_t h,
                  int64_t t0, int64_t n_q, int64_t n_past, std::vector<float>& scratch) {
    const int64_t hd = s.head_dim;
    const int64_t kv_stride = s.n_kv_heads * hd;
    const int64_t kv_head = h / (s.n_heads / s.n_kv_heads);
    const int64_t n_keys = n_past + t0 + n_q;  // the last query attends all of them
    const int64_t n_keys_padded = (n_keys + kTileCols - 1) / kTileCols * kTileCols;
    scratch.resize(static_cast<size_t>(kTileRows * hd + kTileRows * n_keys_padded + hd * kTileCols +
                                       n_keys_padded * kTileCols));
    float* q_rows = scratch.data();                        // [n_q][hd]
    float* scores = q_rows + kTileRows * hd;               // [n_q][n_keys_padded]
    float* packed_k = scores + kTileRows * n_keys_padded;  // [hd][16]
    float* packed_v = packed_k + hd * kTileCols;           // [n_keys_padded][16]
    for (int64_t i = 0; i < n_q; ++i)
        std::copy_n(q + ((t0 + i) * s.n_heads + h) * hd, hd, q_rows + i * hd);

    for (int64_t j0 = 0; j0 < n_keys; j0 += kTileCols) {
        const int64_t n_cols = std::min(kTileCols, n_keys - j0);
        for (int64_t d = 0; d < hd; ++d)
            for (int64_t j = 0; j < kTileCols; ++j)
                packed_k[d * kTileCols + j] = j < n_cols ? k[(j0 + j) * kv_stride + kv_head * hd + d] : 0.0f;
        gemm_tile(packed_k, q_rows, hd, n_q, n_cols, scores + j0, n_keys_padded);
    }
    for (int64_t i = 0; i < n_q; ++i) {
        float* row = scores + i * n_keys_padded;
        const int64_t n_visible = n_past + t0 + i + 1;
        float max_score = -INFINITY;
        for (int64_t j = 0; j < n_visible; ++j) max_score = std::max(max_score, row[j] *= s.scale);
        float sum = 0.0f;
        for (int64_t j = 0; j < n_visible; ++j) sum += (row[j] = std::exp(row[j] - max_score));
        const float inv_sum = 1.0f / sum;
        for (int64_t j = 0; j < n_visible; ++j) row[j] *= inv_sum;
        std::fill(row + n_visible, row + n_keys_padded, 0.0f);  // masked keys weigh nothing
    }
    for (int64_t d0 = 0; d0 < hd; d0 += kTileCols) {
        const int64_t n_cols = std::min(kTileCols, hd - d0);
        for (int64_t j = 0; j < n_keys_padded; ++j) {
            const float* v_row = v + j * kv_stride + kv_head * hd + d0;
            for (int64_t c = 0; c < kTileCols; ++c)
                packed_v[j * kTileCols + c] = j < n_keys && c < n_cols ? v_row[c] : 0.0f;
        }
        // P rows (stride n_keys_padded, zero past the visible keys) times V; output rows of
        // consecutive tokens are n_heads * hd apart.
        gemm_tile(packed_v, scores, n_keys_padded, n_q, n_cols, out + (t0 * s.n_heads + h) * hd + d0, s.n_heads * hd);
    }
}

}  // namespace

void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool) {
    const int64_t group = shape.n_heads / shape.n_kv_heads;
    const int64_t n_items = n_tokens * shape.n_heads;
    const bool use_avx2 = shape.head_dim % 8 == 0 && cpu_has_avx2_fma_f16c();
    if (n_tokens > 1) {
        // Prompt batches: blocks of up to 6 query tokens per head on the GEMM tile kernel.
        const int64_t n_blocks = (n_tokens + kTileRows - 1) / kTileRows;
        const int64_t n_block_items = n_blocks * shape.n_heads;
        pool.run([&](int thread_index, int n_threads) {
            thread_local std::vector<float> scratch;
            // Interleaved: later blocks see more keys.
            for (int64_t item = thread_index; item < n_block_items; item += n_threads) {
                const int64_t b = item / shape.n_heads, h = item % shape.n_heads;
                const int64_t t0 = b * kTileRows;
                attend_block(q, k, v, out, shape, h, t0, std::min(kTileRows, n_tokens - t0), n_past, scratch);
            }
        });
        return;
    }
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
