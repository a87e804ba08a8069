#pragma once
// out[:, t] = row ids[t] of table as f32. table: any weight type (weight_types.h) or f32
// activations, in device memory; ids: [n_ids] i32 device, each in [0, table.n_rows) (checked by
// the caller); out: [table.k, n_ids] f32 device.
#include "backend/gpu/device.h"
#include "backend/gpu/weight_types.h"

namespace rocmforge::backend::gpu {

void launch_get_rows(const WeightView& table, const int32_t* ids, int64_t n_ids, float* out, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
