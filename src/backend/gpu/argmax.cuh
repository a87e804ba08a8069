#pragma once
// ids[r] = the index of the largest value of row r of x ([n, n_rows] f32, device), the smallest
// index among equal maxima (std::max_element's rule); -1 for a row holding a NaN or an infinity.
// ids: [n_rows] i32 device.
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

void launch_argmax_rows(const float* x, int64_t n, int64_t n_rows, int32_t* ids, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
