#pragma once
// Causal multi-head attention over a KV cache with grouped-query heads: query head h reads
// KV head h / (n_heads / n_kv_heads) directly (K/V heads are never replicated in memory).
// With shape.window > 0 a query at position p sees only positions (p - window, p]; with
// shape.softcap > 0 each scaled score s becomes softcap * tanh(s / softcap) before the softmax.
// AttentionShape and RowClass: backend/backend_types.h.
#include "backend/backend_types.h"
#include "util/thread_pool.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>

namespace rocmforge::backend::cpu {

// The K/V rows of one sequence, f32, one row of row_stride floats per position:
//   paged (block_table set): position p is row block_table[p / block_size] * block_size + p % block_size
//   contiguous (block_table null): position p is row p
struct KvRows {
    const float* k = nullptr;
    const float* v = nullptr;
    int64_t row_stride = 0;  // n_kv_heads * head_dim
    const int32_t* block_table = nullptr;
    int64_t block_size = 1;

    int64_t row(int64_t p) const { return block_table ? block_table[p / block_size] * block_size + p % block_size : p; }
    const float* k_row(int64_t p) const { return k + row(p) * row_stride; }
    const float* v_row(int64_t p) const { return v + row(p) * row_stride; }
    // The positions [p, p + n) with n = the returned count (<= end - p) lie in consecutive rows
    // starting at *first_row: walk a range block by block with one division per block.
    int64_t contiguous_run(int64_t p, int64_t end, int64_t* first_row) const {
        if (!block_table) {
            *first_row = p;
            return end - p;
        }
        const int64_t b = p / block_size, offset = p - b * block_size;
        *first_row = block_table[b] * block_size + offset;
        return std::min(end - p, block_size - offset);
    }
};

// One sequence of a batched attention call: its queries are tokens [token_begin, + n_tokens) of
// q, at positions n_past.., and attend positions [0, own position] of kv.
struct AttentionSequence {
    int64_t token_begin = 0;
    int64_t n_tokens = 0;
    int64_t n_past = 0;
    KvRows kv;
    // Prefill: blocks of up to 6 queries on the GEMM tile kernel; Decode: one query at a time.
    // Both give each query the same result whatever the other queries (batch invariance), but
    // not the same as each other (different summation orders).
    RowClass row_class = RowClass::Prefill;
};

// q, out: [head_dim, n_heads, n_tokens of all sequences] f32. One pool dispatch for all sequences.
// prologue (optional): run by every thread of that dispatch first (prologue(thread_index,
// n_threads), e.g. writing this step's rows of q and K/V); no thread reads q or K/V before every
// thread has finished it. It must not throw.
void attention_batch(const float* q, float* out, const AttentionShape& shape, std::span<const AttentionSequence> seqs,
                     ThreadPool& pool, const std::function<void(int, int)>& prologue = {});

// q:   [head_dim, n_heads, n_tokens] f32 (after RoPE)
// k,v: [head_dim, n_kv_heads, n_positions] f32: the cache rows of this layer, positions 0.. filled
// out: [head_dim, n_heads, n_tokens] f32
// Token t is at position n_past + t and attends positions [0, n_past + t].
// Precondition: the cache holds at least n_past + n_tokens positions. Prefill kernels when
// n_tokens > 1, decode kernels for one token.
void attention(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
               int64_t n_tokens, int64_t n_past, ThreadPool& pool);

// Reference: scalar, single-threaded, same contract.
void attention_reference(const float* q, const float* k, const float* v, float* out, const AttentionShape& shape,
                         int64_t n_tokens, int64_t n_past);

}  // namespace rocmforge::backend::cpu
