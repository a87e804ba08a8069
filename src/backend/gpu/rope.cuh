#pragma once
// Rotary position embedding in place. x: [head_dim, n_heads, n_tokens] f32 device; token t at
// batch position batch.positions[t]. Pair i < n_rot/2 rotates by
//   theta = pos * freq_scale * freq_base^(-2i/n_rot) / freq_factors[i]
// with cos and sin multiplied by params.attn_factor (angle and cos/sin in f64, rounded to f32, as
// the CPU's rope table). Normal style rotates (2i, 2i+1), NeoX (i, i + n_rot/2). freq_factors:
// [n_rot/2] f32 device or null; with params.long_context > 0, [n_rot/2, 2] (short, long) and a
// token takes the long row when its rope length (BatchSequence::rope_length) exceeds long_context.
#include "backend/backend_types.h"
#include "backend/gpu/device.h"
#include "backend/gpu/device_batch.h"

namespace rocmforge::backend::gpu {

void launch_rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const DeviceBatch& batch,
                 const RopeParams& params, const float* freq_factors, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
