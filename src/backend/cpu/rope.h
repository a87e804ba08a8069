#pragma once
// Rotary position embedding, in place.
// RopeParams and RopeStyle: backend/backend_types.h.
#include "backend/backend_types.h"

#include <cstdint>
#include <vector>

namespace rocmforge::backend::cpu {

// cos/sin of every angle for a batch of positions: [n_rot/2, n_tokens] each. Angles and their
// cos/sin are computed in double, then rounded to f32. Built once per batch, shared by Q, K
// and all layers.
struct RopeTable {
    int64_t n_rot = 0;
    RopeStyle style = RopeStyle::Normal;
    std::vector<float> cos, sin;
};
// freq_factors: [n_rot/2] or null (llama3 "rope_freqs.weight"); with params.long_context > 0,
// [n_rot/2, 2] (short, long) and use_long[t] picks token t's row (null: short for all).
RopeTable make_rope_table(const int32_t* positions, int64_t n_tokens, const RopeParams& params,
                          const float* freq_factors, const uint8_t* use_long = nullptr);

// x: [head_dim, n_heads, n_tokens] f32 contiguous, rotated in place with the table's angles.
void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const RopeTable& table);
// The same for tokens [t0, t1) of x only (each token's rows get the same bits either way).
void rope_tokens(float* x, int64_t head_dim, int64_t n_heads, int64_t t0, int64_t t1, const RopeTable& table);
// Convenience: builds the table and applies it.
void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
          const RopeParams& params, const float* freq_factors);

}  // namespace rocmforge::backend::cpu
