#pragma once
// Row r's k largest values of x ([n, n_rows] f32, device), largest first, the smaller index first
// among equal values (a total order: std::partial_sort's with that comparator): ids[r k + i],
// values[r k + i] (device); ids[r k .. r k + k) = -1 for a row holding a NaN or an infinity.
// PRECOND: 1 <= k <= min(n, backend::kMaxTopK).
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

void launch_top_k_rows(const float* x, int64_t n, int64_t n_rows, int64_t k, int32_t* ids, float* values,
                       StreamHandle stream);

}  // namespace rocmforge::backend::gpu
