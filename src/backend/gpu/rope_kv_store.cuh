#pragma once
// rope (rope.cuh) of q and k, then k and v stored into one layer's paged storage (kv_store.cuh),
// in one launch: the same values as launch_rope(q), launch_rope(k), launch_kv_store(k, v).
//   q: [head_dim, n_heads, n_tokens] f32 device, rotated in place
//   k: [head_dim, n_kv_heads, n_tokens] f32 device, rotated in place, then stored
//   v: [head_dim * n_kv_heads, n_tokens] f32 device, stored
#include "backend/backend_types.h"
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"
#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

void launch_rope_kv_store(float* q, float* k, const float* v, int64_t head_dim, int64_t n_heads, int64_t n_kv_heads,
                          const RopeParams& params, const float* freq_factors, void* k_dst, void* v_dst,
                          gguf::GgmlType kv_type, int64_t block_size, const DeviceBatch& batch, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
