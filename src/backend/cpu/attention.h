#pragma once
// Causal multi-head attention over a KV cache with grouped-query heads: query head h reads
// KV head h / (n_heads / n_kv_heads) directly (K/V heads are never replicated in memory).
#include "util/thread_pool.h"

#include <cstdint>

namespace rocmforge::backend::cpu {

struct AttentionShape {
    int64_t head_dim = 0;
    int64_t n_heads = 0;     // query heads; a multiple of n_kv_heads
    int64_t n_kv_heads = 0;
    float scale = 1.0f;      // usually 1/sqrt(head_dim)
};

// q:   [head_dim, n_heads, n_tokens] f32 (after RoPE)
// k,v: [head_dim, n_kv_heads, n_positions] f32: the cache rows of this layer, positions 0.. filled
// out: [head_dim, n_heads, n_tokens] f32
// Token t is at position n_past + t and attends positions [0, n_past + t].
// Precondition: the cache holds at least n_past + n_tokens positions.
void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool);

// Reference: scalar, single-threaded, same contract.
void attention_reference(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
                         int64_t n_tokens, int64_t n_past);

}  // namespace rocmforge::backend::cpu
