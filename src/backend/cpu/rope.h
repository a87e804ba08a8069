#pragma once
// Rotary position embedding, in place.
#include <cstdint>
#include <vector>

namespace rocmforge::backend::cpu {

// Normal (GGUF "llama" layout): rotates adjacent pairs (2i, 2i+1).
// NeoX (qwen2, qwen3, ...): rotates pairs (i, i + n_rot/2).
enum class RopeStyle { Normal, Neox };

struct RopeParams {
    int64_t n_rot = 0;                    // rotated dims per head (<= head_dim, even); the rest pass through
    double freq_base = 10000.0;           // theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factors[i]
    double freq_scale = 1.0;              // linear scaling: 1 / factor
    const float* freq_factors = nullptr;  // [n_rot/2] or null (llama3 "rope_freqs.weight")
    RopeStyle style = RopeStyle::Normal;
};

// cos/sin of every angle for a batch of positions: [n_rot/2, n_tokens] each. Angles and their
// cos/sin are computed in double, then rounded to f32. Built once per batch, shared by Q, K
// and all layers.
struct RopeTable {
    int64_t n_rot = 0;
    RopeStyle style = RopeStyle::Normal;
    std::vector<float> cos, sin;
};
RopeTable make_rope_table(const int32_t* positions, int64_t n_tokens, const RopeParams& params);

// x: [head_dim, n_heads, n_tokens] f32 contiguous, rotated in place with the table's angles.
void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const RopeTable& table);
// Convenience: builds the table and applies it.
void rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
          const RopeParams& params);

}  // namespace rocmforge::backend::cpu
