#pragma once
// Writes the batch's K and V rows into one layer of the paged storage, converted to its type.
// k, v: [row_elements, n_tokens] f32 device; k_dst, v_dst: [row_elements, n_slots] of kv_type
// (F32, F16 or BF16; rounding to nearest even) device. Token t goes to the slot of its position
// (device_batch.h).
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"
#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

void launch_kv_store(const float* k, const float* v, void* k_dst, void* v_dst, gguf::GgmlType kv_type,
                     int64_t row_elements, int64_t block_size, const DeviceBatch& batch, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
