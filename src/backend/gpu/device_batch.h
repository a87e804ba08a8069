#pragma once
// A Batch's index arrays in device memory (uploaded once per step by GpuBackend::begin_batch),
// as read by rope, kv_store and attention. Plain C++.
#include <cstdint>

namespace rocmforge::backend::gpu {

// Per sequence s: seq_info[4*s + 0..3] = token_begin, n_tokens, n_past, offset of its block
// table in block_tables. Token t is at positions[t] of sequence token_seq[t]; position p of
// sequence s lives in slot block_tables[offset + p / block_size] * block_size + p % block_size.
constexpr int32_t kPrefillTile = 16;  // queries of one prefill attention block

struct DeviceBatch {
    const int32_t* token_ids = nullptr;   // [n_tokens]
    const int32_t* positions = nullptr;   // [n_tokens]
    const int32_t* token_seq = nullptr;   // [n_tokens]
    const int32_t* logit_rows = nullptr;  // [n_logit_rows]
    const int32_t* seq_info = nullptr;    // [4 * n_seqs]
    const int32_t* block_tables = nullptr;
    const int32_t* prompt_length = nullptr;  // [n_seqs] BatchSequence::prompt_length (LongRoPE)
    // Attention work lists by row class: the tokens of Decode sequences, and tiles of up to
    // kPrefillTile consecutive tokens of one Prefill sequence as {sequence, first token, count}.
    const int32_t* decode_tokens = nullptr;  // [n_decode_tokens]
    const int32_t* prefill_tiles = nullptr;  // [3 * n_prefill_tiles]
    int32_t n_tokens = 0;
    int32_t n_seqs = 0;
    int32_t n_decode_tokens = 0;
    int32_t n_prefill_tiles = 0;
};

}  // namespace rocmforge::backend::gpu
