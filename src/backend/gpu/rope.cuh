#pragma once
// Rotary position embedding in place. x: [head_dim, n_heads, n_tokens] f32 device; token t at
// batch position positions[t] (device). Pair i < n_rot/2 rotates by
//   theta = pos * freq_scale * freq_base^(-2i/n_rot) / freq_factors[i]
// (angle and cos/sin in f64, rounded to f32, as the CPU's rope table). Normal style rotates
// (2i, 2i+1), NeoX (i, i + n_rot/2). freq_factors: [n_rot/2] f32 device or null.
#include "backend/backend_types.h"
#include "backend/gpu/device.h"

namespace rocmforge::backend::gpu {

void launch_rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
                 const RopeParams& params, const float* freq_factors, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
