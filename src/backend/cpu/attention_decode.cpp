#include "backend/cpu/attention_decode.h"

#include "backend/cpu/dot.h"
#include "util/fast_exp.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
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

std::atomic<int> forced_lanes{0};

}  // namespace
}  // namespace rocmforge::backend::cpu

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define ROCMFORGE_DECODE_LANES 8
#include "backend/cpu/attention_decode_simd.inc"
#undef ROCMFORGE_DECODE_LANES
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#define ROCMFORGE_DECODE_LANES 16
#include "backend/cpu/attention_decode_simd.inc"
#undef ROCMFORGE_DECODE_LANES
#pragma GCC pop_options
#endif

namespace rocmforge::backend::cpu {

int decode_attention_lanes(const AttentionShape& shape) {
    const int forced = forced_lanes.load(std::memory_order_relaxed);
    const bool avx2 = cpu_has_avx2_fma_f16c() && shape.head_dim % 8 == 0;
    const bool avx512 = cpu_has_avx512f() && shape.head_dim % 16 == 0;
    if (avx512 && (forced == 0 || forced == 16)) return 16;
    if (avx2 && forced != 1) return 8;
    return 0;
}

void force_decode_attention_lanes_for_test(int lanes) { forced_lanes.store(lanes, std::memory_order_relaxed); }

void attend_decode(const float* q, const KvRows& kv, float* out, int64_t kv_head, int64_t n_kv, int64_t group,
                   const AttentionShape& shape, int64_t n_keys, DecodeScratch& scratch) {
#if defined(__x86_64__)
    switch (decode_attention_lanes(shape)) {
        case 16: return decode_avx512::attend_decode_simd(q, kv, out, kv_head, n_kv, group, shape, n_keys, scratch);
        case 8: return decode_avx2::attend_decode_simd(q, kv, out, kv_head, n_kv, group, shape, n_keys, scratch);
        default: break;
    }
#endif
    for (int64_t h = 0; h < n_kv * group; ++h)
        attend_one_scalar(q + h * shape.head_dim, kv, out + h * shape.head_dim, kv_head + h / group, shape, n_keys,
                          scratch.scores);
}

}  // namespace rocmforge::backend::cpu
