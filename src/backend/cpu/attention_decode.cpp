#include "backend/cpu/attention_decode.h"

#include "backend/cpu/dot.h"
#include "util/fast_exp.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#define ROCMFORGE_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace rocmforge::backend::cpu {
namespace {

// One query head, scalar: scores over keys [first, n_keys), softmax, weighted sum of V.
void attend_one_scalar(const float* q_head, const KvRows& kv, float* out_head, int64_t kv_head,
                       const AttentionShape& s, int64_t n_keys, std::vector<float>& scores) {
    const int64_t first = first_visible_key(n_keys, s), n_seen = n_keys - first;
    scores.resize(static_cast<size_t>(n_seen));
    float max_score = -INFINITY;
    for (int64_t i = 0; i < n_seen; ++i) {
        scores[i] = attention_score(dot_f32(q_head, kv.k_row(first + i) + kv_head * s.head_dim, s.head_dim), s);
        max_score = std::max(max_score, scores[i]);
    }
    float sum = 0.0f;
    exp_shifted(scores.data(), max_score, scores.data(), n_seen);
    for (int64_t i = 0; i < n_seen; ++i) sum += scores[i];
    const float inv_sum = 1.0f / sum;
    std::fill_n(out_head, s.head_dim, 0.0f);
    for (int64_t i = 0; i < n_seen; ++i) {
        const float weight = scores[i] * inv_sum;
        const float* v_row = kv.v_row(first + i) + kv_head * s.head_dim;
        for (int64_t d = 0; d < s.head_dim; ++d) out_head[d] += weight * v_row[d];
    }
}

#if defined(__x86_64__)
// The 8 lanes of a·b before their final sum: acc0 over the even 8-float chunks of each 16,
// acc1 over the odd ones (a tail chunk of 8 goes to acc0), then acc0 + acc1. PRECOND: n % 8 == 0.
ROCMFORGE_AVX2 inline __m256 dot_lanes(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i < n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    return _mm256_add_ps(acc0, acc1);
}

// [a[0..3] + a[4..7] | b[0..3] + b[4..7]]
ROCMFORGE_AVX2 inline __m256 halves(__m256 a, __m256 b) {
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// lanes: 8 lane vectors x_0..x_7 (8 floats each, 32-byte aligned). Returns their 8 sums, each
// ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7])): the association of the
// usual one-vector horizontal sum (halves added, then pairs, then the last two), eight at once.
ROCMFORGE_AVX2 inline __m256 sum_lanes8(const float* lanes) {
    __m256 x[8];
    for (int j = 0; j < 8; ++j) x[j] = _mm256_load_ps(lanes + 8 * j);
    // l_ab = [x_a[0..3] + x_a[4..7] | x_b[0..3] + x_b[4..7]]
    const __m256 l04 = halves(x[0], x[4]), l15 = halves(x[1], x[5]), l26 = halves(x[2], x[6]),
                 l37 = halves(x[3], x[7]);
    // m = [l[0] + l[2], l[1] + l[3]] per vector: lanes [x0 x0 x1 x1 | x4 x4 x5 x5] and [x2 x2 x3 x3 | x6 ..]
    const __m256 m0145 = _mm256_add_ps(_mm256_shuffle_ps(l04, l15, _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm256_shuffle_ps(l04, l15, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 m2367 = _mm256_add_ps(_mm256_shuffle_ps(l26, l37, _MM_SHUFFLE(1, 0, 1, 0)),
                                       _mm256_shuffle_ps(l26, l37, _MM_SHUFFLE(3, 2, 3, 2)));
    // m[0] + m[1], in order x0..x7.
    return _mm256_add_ps(_mm256_shuffle_ps(m0145, m2367, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm256_shuffle_ps(m0145, m2367, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Prefetches the floats [row_ptr, + n) into the L1 cache, one request per 64-byte line.
ROCMFORGE_AVX2 inline void prefetch_floats(const float* row_ptr, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) _mm_prefetch(reinterpret_cast<const char*>(row_ptr + i), _MM_HINT_T0);
}

// How many positions ahead group_dots prefetches K rows: K/V of a batch of sequences
// outgrow the caches, and paged rows jump between blocks, which hardware prefetchers lose.
constexpr int64_t kKeyPrefetchDistance = 8;

// Raw dot products of the group's queries with keys [first, n_keys):
// dots[h * stride + (p - first)] = q_h · k_p for query heads h < n_q, head h reading KV head
// h / group of the span [offset, + span) of each row. dots rows hold n_keys - first rounded up to
// 8. Also prefetches the V rows the weighted sum reads next.
ROCMFORGE_AVX2 void group_dots(const float* q, const KvRows& kv, int64_t offset, int64_t span, int64_t n_q,
                               int64_t group, int64_t head_dim, int64_t first, int64_t n_keys, float* lanes,
                               float* dots, int64_t stride) {
    int64_t row = 0;
    int64_t n = first < n_keys ? kv.contiguous_run(first, n_keys, &row) : 0;
    for (int64_t p = first; p < n_keys;) {
        // The run after this one, for prefetching across the block boundary.
        int64_t next_row = 0;
        const int64_t next_n = p + n < n_keys ? kv.contiguous_run(p + n, n_keys, &next_row) : 0;
        for (int64_t i = 0; i < n; ++i, ++p) {
            const int64_t ahead = i + kKeyPrefetchDistance;
            if (ahead < n)
                prefetch_floats(kv.k + (row + ahead) * kv.row_stride + offset, span);
            else if (ahead - n < next_n)
                prefetch_floats(kv.k + (next_row + ahead - n) * kv.row_stride + offset, span);
            prefetch_floats(kv.v + (row + i) * kv.row_stride + offset, span);
            const float* k_row = kv.k + (row + i) * kv.row_stride + offset;
            const int64_t j = (p - first) & 7;
            for (int64_t h = 0; h < n_q; ++h)
                _mm256_store_ps(lanes + (h * 8 + j) * 8,
                                dot_lanes(q + h * head_dim, k_row + h / group * head_dim, head_dim));
            if (j == 7 || p + 1 == n_keys)
                for (int64_t h = 0; h < n_q; ++h)
                    _mm256_storeu_ps(dots + h * stride + (p - first - j), sum_lanes8(lanes + h * 64));
        }
        row = next_row;
        n = next_n;
    }
}

// out_g[0, 8 kVec) += Σ_p weights[g * stride + p - first] · v_p[offset..] over positions
// [first, end) for kHeads heads (out_g = out + g * out_stride), accumulators in registers from
// zero, positions in order: per element the operations of a one-head kernel.
template <int kHeads, int kVec>
ROCMFORGE_AVX2 void group_weighted_v(const KvRows& kv, int64_t first, int64_t end, int64_t offset,
                                     const float* weights, int64_t stride, float* out, int64_t out_stride) {
    __m256 acc[kHeads][kVec];
    for (int g = 0; g < kHeads; ++g)
        for (int j = 0; j < kVec; ++j) acc[g][j] = _mm256_setzero_ps();
    for (int64_t p = first; p < end;) {
        int64_t row = 0;
        const int64_t n = kv.contiguous_run(p, end, &row);
        for (int64_t i = 0; i < n; ++i, ++p) {
            const float* v_row = kv.v + (row + i) * kv.row_stride + offset;
            __m256 w[kHeads];
            for (int g = 0; g < kHeads; ++g) w[g] = _mm256_broadcast_ss(weights + g * stride + (p - first));
            for (int j = 0; j < kVec; ++j) {
                const __m256 v = _mm256_loadu_ps(v_row + 8 * j);
                for (int g = 0; g < kHeads; ++g) acc[g][j] = _mm256_fmadd_ps(w[g], v, acc[g][j]);
            }
        }
    }
    for (int g = 0; g < kHeads; ++g)
        for (int j = 0; j < kVec; ++j) _mm256_storeu_ps(out + g * out_stride + 8 * j, acc[g][j]);
}

// Heads [0, n_group) in sets of up to 4 (at most 8 accumulators: 4 heads x 2 vectors, 2 x 4,
// 1 x 8), dims in chunks of that many vectors, then single vectors for the rest.
template <int kHeads>
ROCMFORGE_AVX2 void group_weighted_v_dims(const KvRows& kv, int64_t first, int64_t end, int64_t offset,
                                          int64_t head_dim, const float* weights, int64_t stride, float* out) {
    constexpr int kVec = 8 / kHeads;
    int64_t d = 0;
    for (; d + 8 * kVec <= head_dim; d += 8 * kVec)
        group_weighted_v<kHeads, kVec>(kv, first, end, offset + d, weights, stride, out + d, head_dim);
    for (; d < head_dim; d += 8)
        group_weighted_v<kHeads, 1>(kv, first, end, offset + d, weights, stride, out + d, head_dim);
}

// PRECOND: head_dim % 8 == 0.
ROCMFORGE_AVX2 void attend_decode_avx2(const float* q, const KvRows& kv, float* out, int64_t kv_head, int64_t n_kv,
                                       int64_t group, const AttentionShape& s, int64_t n_keys,
                                       DecodeScratch& scratch) {
    const int64_t hd = s.head_dim, n_q = n_kv * group;
    const int64_t first = first_visible_key(n_keys, s), n_seen = n_keys - first;
    const int64_t stride = (n_seen + 7) / 8 * 8;
    scratch.scores.resize(static_cast<size_t>(n_q * stride));
    scratch.lanes.resize(static_cast<size_t>(n_q * 64 + 8));
    // 32-byte aligned lane vectors inside the (16-byte aligned) vector.
    float* lanes = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.lanes.data()) + 31) & ~uintptr_t{31});
    float* scores = scratch.scores.data();
    group_dots(q, kv, kv_head * hd, n_kv * hd, n_q, group, hd, first, n_keys, lanes, scores, stride);
    // Softmax per head, in position order; scores become the weights exp_p / sum.
    for (int64_t h = 0; h < n_q; ++h) {
        float* row = scores + h * stride;
        float max_score = -INFINITY;
        for (int64_t i = 0; i < n_seen; ++i) max_score = std::max(max_score, row[i] = attention_score(row[i], s));
        float sum = 0.0f;
        exp_shifted(row, max_score, row, n_seen);
        for (int64_t i = 0; i < n_seen; ++i) sum += row[i];
        const float inv_sum = 1.0f / sum;
        for (int64_t i = 0; i < n_seen; ++i) row[i] *= inv_sum;
    }
    // Weighted V sums per KV head, its query heads in sets of 4, 2 or 1.
    for (int64_t kvh = 0; kvh < n_kv; ++kvh) {
        const int64_t offset = (kv_head + kvh) * hd;
        for (int64_t g = 0; g < group;) {
            const int64_t h = kvh * group + g;
            const float* w = scores + h * stride;
            if (group - g >= 4) {
                group_weighted_v_dims<4>(kv, first, n_keys, offset, hd, w, stride, out + h * hd);
                g += 4;
            } else if (group - g >= 2) {
                group_weighted_v_dims<2>(kv, first, n_keys, offset, hd, w, stride, out + h * hd);
                g += 2;
            } else {
                group_weighted_v_dims<1>(kv, first, n_keys, offset, hd, w, stride, out + h * hd);
                g += 1;
            }
        }
    }
}
#endif

}  // namespace

void attend_decode(const float* q, const KvRows& kv, float* out, int64_t kv_head, int64_t n_kv, int64_t group,
                   const AttentionShape& shape, int64_t n_keys, DecodeScratch& scratch) {
#if defined(__x86_64__)
    if (shape.head_dim % 8 == 0 && cpu_has_avx2_fma_f16c())
        return attend_decode_avx2(q, kv, out, kv_head, n_kv, group, shape, n_keys, scratch);
#endif
    for (int64_t h = 0; h < n_kv * group; ++h)
        attend_one_scalar(q + h * shape.head_dim, kv, out + h * shape.head_dim, kv_head + h / group, shape, n_keys,
                          scratch.scores);
}

}  // namespace rocmforge::backend::cpu
