#pragma once
// Causal paged attention for every token of a batch, prefill chunks and decode tokens alike:
// token t (sequence token_seq[t], position positions[t]) attends positions [0, positions[t]] of
// its sequence (only (positions[t] - window, positions[t]] with shape.window > 0), reading K/V
// rows through the block table (device_batch.h); shape.softcap > 0 caps each scaled score s to
// softcap * tanh(s / softcap). GQA: query head h reads
// KV head h / (n_heads / n_kv_heads); K/V are never replicated. Softmax in f32 with a running
// max. The keys of a token are cut in splits of attention_keys_per_split() (a fixed size: the split
// count depends only on the token's own position) computed by separate blocks and merged by the
// block that finishes last, so long contexts use the whole GPU even for a single decode token.
//   q, out: [head_dim, n_heads, n_tokens] f32 device
//   k, v:   one layer, [n_kv_heads * head_dim, n_slots] of kv_type (F32, F16, BF16) device
// tensor_cores: the device runs attention_prefill_mma.cuh (NVIDIA sm_80+); prefill tiles of F16 KV
// with a head size it covers then go there (Q and P rounded to f16), all else to the f32 kernels.
// PRECOND: head_dim <= 256. Each (token, head) is computed alone in a fixed order, so results do
// not depend on the rest of the batch (batch invariance).
#include "backend/backend_types.h"
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"
#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

constexpr int64_t kMaxAttentionHeadDim = 256;

// Keys per split of the decode kernel: 256, or ROCMFORGE_GPU_ATTENTION_SPLIT_KEYS (a multiple of 16
// in [16, 256]), read once per process.
int attention_keys_per_split();
// Key splits of the decode kernel's grid for max_keys (its launch shape depends only on this).
int64_t attention_splits(int64_t max_keys);
// Floats of the `partial` scratch launch_attention needs: max_keys = the largest positions[t] + 1.
int64_t attention_partial_floats(const AttentionShape& shape, int64_t n_tokens, int64_t max_keys);
// Counters (unsigned) of the `split_counters` scratch launch_attention needs; all zero before the
// first launch, and launches leave them zero.
int64_t attention_split_counters(const AttentionShape& shape, int64_t n_tokens);
// Whether launch_attention can also write out as int8 blocks (quantize_q8.cuh) for this batch:
// decode tokens only (no prefill tiles) and head_dim % 32 == 0.
bool attention_writes_q8(const AttentionShape& shape, const DeviceBatch& batch);
// q8, q8_scales (optional, only where attention_writes_q8): out's int8 form, [n_heads * head_dim,
// n_tokens], as launch_quantize_q8 would write it from out.
void launch_attention(const float* q, float* out, const void* k, const void* v, gguf::GgmlType kv_type,
                      int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch, int64_t max_keys,
                      float* partial, unsigned* split_counters, bool tensor_cores, StreamHandle stream,
                      int8_t* q8 = nullptr, float* q8_scales = nullptr);

}  // namespace rocmforge::backend::gpu
