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

// scores[p] ← exp(scores[p] − max_score) in place; returns 1 / their sum (the softmax normalizer).
float exponentiate_scores(float* scores, int64_t n_keys, float max_score) {
    float sum = 0.0f;
    for (int64_t p = 0; p < n_keys; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
    }
    return 1.0f / sum;
}

// The first key a query that sees keys [0, n_keys) attends: n_keys - window with a sliding window.
int64_t first_key(int64_t n_keys, const AttentionShape& s) {
    return s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
}

// A raw dot product q·k as the softmax's input: scaled, then soft-capped when the shape says so.
float final_score(float dot, const AttentionShape& s) {
    const float score = dot * s.scale;
    return s.softcap > 0.0f ? s.softcap * std::tanh(score / s.softcap) : score;
}

// One (token, head) pair: scores over positions [first_key, n_keys), softmax, weighted sum of V.
void attend_one(const float* q_head, const KvRows& kv, float* out_head, int64_t kv_head, const AttentionShape& s,
                int64_t n_keys, std::vector<float>& scores) {
    const int64_t first = first_key(n_keys, s), n_seen = n_keys - first;
    scores.resize(static_cast<size_t>(n_seen));
    float max_score = -INFINITY;
    for (int64_t i = 0; i < n_seen; ++i) {
        scores[i] = final_score(dot_f32(q_head, kv.k_row(first + i) + kv_head * s.head_dim, s.head_dim), s);
        max_score = std::max(max_score, scores[i]);
    }
    const float inv_sum = exponentiate_scores(scores.data(), n_seen, max_score);
    std::fill_n(out_head, s.head_dim, 0.0f);
    for (int64_t i = 0; i < n_seen; ++i) {
        const float weight = scores[i] * inv_sum;
        const float* v_row = kv.v_row(first + i) + kv_head * s.head_dim;
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

// out[0, 8 kVec) = Σ_p (scores[p - first] · inv_sum) · v_p[offset..] over positions [first, end),
// the accumulators in registers; per element the same operations, in the same order, as the
// generic loop in attend_one_avx2.
template <int kVec>
ROCMFORGE_AVX2 void weighted_v_sum(const KvRows& kv, int64_t first, int64_t end, int64_t offset, const float* scores,
                                   float inv_sum, float* out) {
    __m256 acc[kVec];
    for (int j = 0; j < kVec; ++j) acc[j] = _mm256_setzero_ps();
    for (int64_t p = first; p < end;) {
        int64_t row = 0;
        const int64_t n = kv.contiguous_run(p, end, &row);
        for (int64_t i = 0; i < n; ++i, ++p) {
            const __m256 weight = _mm256_set1_ps(scores[p - first] * inv_sum);
            const float* v_row = kv.v + (row + i) * kv.row_stride + offset;
            for (int j = 0; j < kVec; ++j) acc[j] = _mm256_fmadd_ps(weight, _mm256_loadu_ps(v_row + 8 * j), acc[j]);
        }
    }
    for (int j = 0; j < kVec; ++j) _mm256_storeu_ps(out + 8 * j, acc[j]);
}

// Same as attend_one; precondition head_dim % 8 == 0.
ROCMFORGE_AVX2 void attend_one_avx2(const float* q_head, const KvRows& kv, float* out_head, int64_t kv_head,
                                    const AttentionShape& s, int64_t n_keys, std::vector<float>& scores) {
    const int64_t first = first_key(n_keys, s), n_seen = n_keys - first;
    const int64_t offset = kv_head * s.head_dim;
    scores.resize(static_cast<size_t>(n_seen));
    float max_score = -INFINITY;
    for (int64_t p = first; p < n_keys;) {
        int64_t row = 0;
        const int64_t n = kv.contiguous_run(p, n_keys, &row);
        for (int64_t i = 0; i < n; ++i, ++p) {
            const float score = final_score(dot_avx2(q_head, kv.k + (row + i) * kv.row_stride + offset, s.head_dim), s);
            scores[static_cast<size_t>(p - first)] = score;
            max_score = std::max(max_score, score);
        }
    }
    const float inv_sum = exponentiate_scores(scores.data(), n_seen, max_score);
    // out = Σ_p (score_p · inv_sum) · v_p, keys in order for every element.
    if (s.head_dim == 64) return weighted_v_sum<8>(kv, first, n_keys, offset, scores.data(), inv_sum, out_head);
    if (s.head_dim == 128) return weighted_v_sum<16>(kv, first, n_keys, offset, scores.data(), inv_sum, out_head);
    std::fill_n(out_head, s.head_dim, 0.0f);
    for (int64_t p = first; p < n_keys;) {
        int64_t row = 0;
        const int64_t n = kv.contiguous_run(p, n_keys, &row);
        for (int64_t i = 0; i < n; ++i, ++p) {
            const __m256 weight = _mm256_set1_ps(scores[static_cast<size_t>(p - first)] * inv_sum);
            const float* v_row = kv.v + (row + i) * kv.row_stride + offset;
            for (int64_t d = 0; d < s.head_dim; d += 8)
                _mm256_storeu_ps(out_head + d,
                                 _mm256_fmadd_ps(weight, _mm256_loadu_ps(v_row + d), _mm256_loadu_ps(out_head + d)));
        }
    }
}
#endif

// K and V of one KV head, packed for the GEMM tile kernel over keys [0, n_keys):
//   k_t: [n_keys_padded / 16][hd][16]  (K^T, 16 keys per block)
//   v:   [ceil(hd / 16)][n_keys_padded][16]  (16 dims per block; zero rows past n_keys)
struct PackedKv {
    std::vector<float> k_t, v;
    int64_t n_keys = 0, n_keys_padded = 0;
};

// Keys before key_begin (seen by no query: sliding window) are left zero.
void pack_kv(const KvRows& kv, const AttentionShape& s, int64_t kv_head, int64_t key_begin, int64_t n_keys,
             PackedKv& p) {
    const int64_t hd = s.head_dim;
    const int64_t n_dim_blocks = (hd + kTileCols - 1) / kTileCols;
    p.n_keys = n_keys;
    p.n_keys_padded = (n_keys + kTileCols - 1) / kTileCols * kTileCols;
    p.k_t.assign(static_cast<size_t>(p.n_keys_padded * hd), 0.0f);
    p.v.assign(static_cast<size_t>(n_dim_blocks * p.n_keys_padded * kTileCols), 0.0f);
    for (int64_t j = key_begin; j < n_keys; ++j) {
        const float* k_row = kv.k_row(j) + kv_head * hd;
        const float* v_row = kv.v_row(j) + kv_head * hd;
        float* k_block = p.k_t.data() + (j / kTileCols) * hd * kTileCols + j % kTileCols;
        for (int64_t d = 0; d < hd; ++d) k_block[d * kTileCols] = k_row[d];
        for (int64_t d = 0; d < hd; ++d)
            p.v[static_cast<size_t>(((d / kTileCols) * p.n_keys_padded + j) * kTileCols + d % kTileCols)] = v_row[d];
    }
}

// Up to 6 query tokens [t0, t0 + n_q) of head h at once, as two small GEMMs on the tile kernel:
// scores = Q_blk · K^T over the keys the last of them sees, causal mask + softmax per row,
// out = P · V. Scratch: q rows [n_q][hd], scores [n_q][keys rounded up to 16].
void attend_block(const float* q, const PackedKv& kv, float* out, const AttentionShape& s, int64_t h, int64_t t0,
                  int64_t n_q, int64_t n_past, std::vector<float>& scratch) {
    const int64_t hd = s.head_dim;
    const int64_t n_keys = n_past + t0 + n_q;
    const int64_t n_keys_padded = (n_keys + kTileCols - 1) / kTileCols * kTileCols;
    // Keys [key_begin, n_keys_padded): from the 16-key block holding the first key the block's
    // first query sees (all keys without a sliding window). Skipped keys would weigh exactly 0,
    // and the tile kernel sums keys in order, so a query's result does not depend on key_begin.
    const int64_t key_begin = first_key(n_past + t0 + 1, s) / kTileCols * kTileCols;
    const int64_t width = n_keys_padded - key_begin;  // scores row stride
    scratch.resize(static_cast<size_t>(kTileRows * hd + kTileRows * width));
    float* q_rows = scratch.data();
    float* scores = q_rows + kTileRows * hd;  // scores[i * width + (j - key_begin)]
    for (int64_t i = 0; i < n_q; ++i) std::copy_n(q + ((t0 + i) * s.n_heads + h) * hd, hd, q_rows + i * hd);

    for (int64_t j0 = key_begin; j0 < n_keys; j0 += kTileCols)
        gemm_tile(kv.k_t.data() + (j0 / kTileCols) * hd * kTileCols, q_rows, hd, n_q, std::min(kTileCols, n_keys - j0),
                  scores + (j0 - key_begin), width);
    for (int64_t i = 0; i < n_q; ++i) {
        float* row = scores + i * width;  // row[j - key_begin] for key j
        const int64_t n_visible = n_past + t0 + i + 1;
        const int64_t first = first_key(n_visible, s) - key_begin, last = n_visible - key_begin;
        float max_score = -INFINITY;
        for (int64_t j = first; j < last; ++j) max_score = std::max(max_score, row[j] = final_score(row[j], s));
        float sum = 0.0f;
        for (int64_t j = first; j < last; ++j) sum += (row[j] = std::exp(row[j] - max_score));
        const float inv_sum = 1.0f / sum;
        for (int64_t j = first; j < last; ++j) row[j] *= inv_sum;
        // Masked keys (before the window, after the query) weigh nothing.
        std::fill(row, row + first, 0.0f);
        std::fill(row + last, row + width, 0.0f);
    }
    // P rows (stride width) times V from key_begin; output rows of consecutive tokens are n_heads * hd apart.
    for (int64_t d0 = 0; d0 < hd; d0 += kTileCols)
        gemm_tile(kv.v.data() + ((d0 / kTileCols) * kv.n_keys_padded + key_begin) * kTileCols, scores, width, n_q,
                  std::min(kTileCols, hd - d0), out + (t0 * s.n_heads + h) * hd + d0, s.n_heads * hd);
}

}  // namespace

void attention_batch(const float* q, float* out, const AttentionShape& shape, std::span<const AttentionSequence> seqs,
                     ThreadPool& pool) {
    const int64_t group = shape.n_heads / shape.n_kv_heads;
    const bool use_avx2 = shape.head_dim % 8 == 0 && cpu_has_avx2_fma_f16c();
    // Work items: (sequence, head) pairs, interleaved over threads (later tokens and prefill
    // sequences cost more, so contiguous ranges would be unbalanced).
    const int64_t n_items = static_cast<int64_t>(seqs.size()) * shape.n_heads;
    pool.run([&](int thread_index, int n_threads) {
        thread_local std::vector<float> scratch;
        thread_local PackedKv packed;
        for (int64_t item = thread_index; item < n_items; item += n_threads) {
            const auto& seq = seqs[static_cast<size_t>(item / shape.n_heads)];
            const int64_t h = item % shape.n_heads;
            const float* q_seq = q + seq.token_begin * shape.n_heads * shape.head_dim;
            float* out_seq = out + seq.token_begin * shape.n_heads * shape.head_dim;
            if (seq.row_class == RowClass::Prefill) {
                // K/V of the head packed once, reused by every block of up to 6 queries.
                pack_kv(seq.kv, shape, h / group, first_key(seq.n_past + 1, shape), seq.n_past + seq.n_tokens, packed);
                for (int64_t t0 = 0; t0 < seq.n_tokens; t0 += kTileRows)
                    attend_block(q_seq, packed, out_seq, shape, h, t0, std::min(kTileRows, seq.n_tokens - t0),
                                 seq.n_past, scratch);
                continue;
            }
            for (int64_t t = 0; t < seq.n_tokens; ++t) {
                const int64_t offset = (t * shape.n_heads + h) * shape.head_dim;
#if defined(__x86_64__)
                if (use_avx2) {
                    attend_one_avx2(q_seq + offset, seq.kv, out_seq + offset, h / group, shape, seq.n_past + t + 1,
                                    scratch);
                    continue;
                }
#endif
                attend_one(q_seq + offset, seq.kv, out_seq + offset, h / group, shape, seq.n_past + t + 1, scratch);
            }
        }
    });
}

void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool) {
    AttentionSequence seq;
    seq.n_tokens = n_tokens;
    seq.n_past = n_past;
    seq.kv.k = k;
    seq.kv.v = v;
    seq.kv.row_stride = shape.n_kv_heads * shape.head_dim;
    seq.row_class = n_tokens > 1 ? RowClass::Prefill : RowClass::Decode;
    attention_batch(q, out, shape, std::span<const AttentionSequence>(&seq, 1), pool);
}

void attention_reference(const float* q, const float* k, const float* v, float* out, const AttentionShape& s,
                         int64_t n_tokens, int64_t n_past) {
    const int64_t group = s.n_heads / s.n_kv_heads;
    const int64_t kv_stride = s.n_kv_heads * s.head_dim;
    for (int64_t t = 0; t < n_tokens; ++t) {
        const int64_t n_keys = n_past + t + 1;
        const int64_t first = s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
        for (int64_t h = 0; h < s.n_heads; ++h) {
            const float* qh = q + (t * s.n_heads + h) * s.head_dim;
            const int64_t kvh = h / group;
            std::vector<double> w(static_cast<size_t>(n_keys), 0.0);
            double max_score = -INFINITY;
            for (int64_t p = first; p < n_keys; ++p) {
                double dot = 0.0;
                for (int64_t d = 0; d < s.head_dim; ++d) dot += double(qh[d]) * k[p * kv_stride + kvh * s.head_dim + d];
                w[p] = dot * s.scale;
                if (s.softcap > 0.0f) w[p] = s.softcap * std::tanh(w[p] / s.softcap);
                max_score = std::max(max_score, w[p]);
            }
            double sum = 0.0;
            for (int64_t p = first; p < n_keys; ++p) sum += (w[p] = std::exp(w[p] - max_score));
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
