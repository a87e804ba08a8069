#pragma once
// Tensor-core attention for the prefill tiles of a batch (DeviceBatch::prefill_tiles: up to
// kPrefillTile consecutive queries of one sequence): causal, GQA without K/V replication, sliding
// window and soft-capping as launch_attention (attention.cuh), K/V read through the block tables.
// Q and the softmax weights P are rounded to f16 for the mma (f32 accumulation, f32 softmax), as
// K/V already are: outputs differ from the f32 kernels by ~1e-4 relative.
//   q, out: [head_dim, n_heads, n_tokens] f32 device; only the tiles' tokens are written
//   k, v:   one layer, [n_kv_heads * head_dim, n_slots] f16 device, 16-byte aligned
// Each query's result depends only on its own position and keys, not on the tile it sits in.
#include "backend/backend_types.h"
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"
#include "gguf/ggml_type.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

// Whether this build and KV type / head size have the kernel (NVIDIA sm_80+ only: the caller
// checks the device, as for gemv_tensor_cores).
bool attention_prefill_mma_supports(gguf::GgmlType kv_type, int64_t head_dim);
// PRECOND: attention_prefill_mma_supports(F16, shape.head_dim); batch.n_prefill_tiles > 0.
void launch_attention_prefill_mma(const float* q, float* out, const uint16_t* k, const uint16_t* v,
                                  int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch,
                                  StreamHandle stream);

}  // namespace rocmforge::backend::gpu
