#pragma once
// Device helper shared by the rope kernels: the rotation of pair i of one head of token t, as
// documented in rope.cuh (angle and cos/sin in f64, rounded to f32, as the CPU's rope table).
#include "backend/backend_types.h"
#include "backend/gpu/common.cuh"
#include "backend/gpu/device_batch.h"

namespace rocmforge::backend::gpu {

struct RopeArgs {
    int n_rot = 0;
    bool neox = false;
    double freq_base = 0.0, freq_scale = 0.0, attn_factor = 0.0;
    int64_t long_context = 0;
    const float* freq_factors = nullptr;  // [n_rot/2] or [n_rot/2, 2] (short, long) or null
};

RopeArgs rope_args(const RopeParams& params, const float* freq_factors);

// The indices (a, b) within a head of the two values pair i rotates.
__device__ __forceinline__ void rope_pair_dims(const RopeArgs& r, int i, int& a, int& b) {
    a = r.neox ? i : 2 * i;
    b = r.neox ? i + r.n_rot / 2 : 2 * i + 1;
}

// cos and sin (times attn_factor) of pair i at token t's position.
__device__ __forceinline__ void rope_cos_sin(const RopeArgs& r, const DeviceBatch& batch, int64_t t, int i, float& c,
                                             float& s) {
    const int half = r.n_rot / 2;
    double inv_freq = r.freq_scale * pow(r.freq_base, -2.0 * i / static_cast<double>(r.n_rot));
    if (r.freq_factors != nullptr) {
        bool use_long = false;
        if (r.long_context > 0) {  // BatchSequence::rope_length > long_context
            const int seq = batch.token_seq[t];
            const int64_t prompt_length = batch.prompt_length[seq];
            const int64_t own = static_cast<int64_t>(batch.positions[t]) + 1;
            const int64_t rope_length =
                prompt_length > 0 ? (prompt_length > own ? prompt_length : own)
                                  : static_cast<int64_t>(batch.seq_info[4 * seq + 1]) + batch.seq_info[4 * seq + 2];
            use_long = rope_length > r.long_context;
        }
        inv_freq /= r.freq_factors[(use_long ? half : 0) + i];
    }
    const double theta = batch.positions[t] * inv_freq;
    c = static_cast<float>(cos(theta) * r.attn_factor);
    s = static_cast<float>(sin(theta) * r.attn_factor);
}

__device__ __forceinline__ void rotate(float x0, float x1, float c, float s, float& y0, float& y1) {
    y0 = x0 * c - x1 * s;
    y1 = x0 * s + x1 * c;
}

}  // namespace rocmforge::backend::gpu
