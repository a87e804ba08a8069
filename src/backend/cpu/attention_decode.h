#pragma once
// Decode attention: one query token against its sequence's K/V rows, all query heads of one KV
// head (a GQA group) at once, so each K and V row is read once for the whole group.
//
// Summation order (batch invariance rests on it): per query head and per output element the
// operations are those of a one-head-at-a-time kernel, whatever the group size:
//   score_p = final_score(q·k_p), q·k_p summed with FMA in L lanes (decode_attention_lanes: 16
//             with AVX-512F and head_dim % 16 == 0, else 8 with AVX2): two accumulators for the
//             even/odd L-float chunks, added; with 16 lanes, lanes l and l + 8 added; then the 8
//             lanes as (0+4)+(2+6) + (1+5)+(3+7);
//   weights  = exp_shifted(score_p - max), sum in position order, inv_sum = 1 / sum;
//   out[d]   = Σ_p (exp_p · inv_sum) · v_p[d] with FMA, positions in order, starting from 0.
// The scalar fallback (no AVX2) sums plainly and is only equal to itself. One machine always
// takes the same path for a shape, so a sequence's result never depends on its batch.
#include "backend/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace rocmforge::backend::cpu {

// Per-thread scratch of the decode kernel; grows to the largest context seen.
struct DecodeScratch {
    std::vector<float> scores;  // [query heads][n_keys rounded up to 8]
    std::vector<float> lanes;   // [query heads][8 positions][8 or 16 lanes]: dot products before their final sums
};

// The query heads of KV heads [kv_head, kv_head + n_kv) for one token: q, out point at query head
// kv_head * group, heads consecutive, head h (relative) at [h * head_dim, + head_dim), reading KV
// head kv_head + h / group; group = n_heads / n_kv_heads. Several KV heads at once read whole K/V
// rows (contiguous in memory) instead of slices of them. The token sees keys [first_key, n_keys)
// of kv (window). PRECOND: n_keys >= 1; out does not alias q.
void attend_decode(const float* q, const KvRows& kv, float* out, int64_t kv_head, int64_t n_kv, int64_t group,
                   const AttentionShape& shape, int64_t n_keys, DecodeScratch& scratch);

// The lane count of q·k above for this CPU and shape: 16, 8, or 0 (the scalar fallback).
int decode_attention_lanes(const AttentionShape& shape);
// Tests: caps the kernel at `lanes` (8: the AVX2 kernel even where AVX-512F is present; 1: the
// scalar fallback; 0: the CPU's best again). Not for concurrent use with running kernels.
void force_decode_attention_lanes_for_test(int lanes);

// The first key a query that sees keys [0, n_keys) attends: n_keys - window with a sliding window.
inline int64_t first_visible_key(int64_t n_keys, const AttentionShape& s) {
    return s.window > 0 ? std::max<int64_t>(0, n_keys - s.window) : 0;
}

// A raw dot product q·k as the softmax's input: scaled, then soft-capped when the shape says so.
inline float attention_score(float dot, const AttentionShape& s) {
    const float score = dot * s.scale;
    return s.softcap > 0.0f ? s.softcap * std::tanh(score / s.softcap) : score;
}

}  // namespace rocmforge::backend::cpu
