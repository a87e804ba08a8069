#include "backend/gpu/rope.cuh"
#include "backend/gpu/rope_pair.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One thread per (pair, head, token).
__global__ void rope_kernel(float* x, int64_t head_dim, int64_t n_heads, int64_t n_pairs_total, RopeArgs r,
                            DeviceBatch batch) {
    enter_kernel();
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n_pairs_total) return;
    const int half = r.n_rot / 2;
    const int i = static_cast<int>(idx % half);
    const int64_t head = idx / half;  // over heads of all tokens
    float c, s;
    rope_cos_sin(r, batch, head / n_heads, i, c, s);
    int a, b;
    rope_pair_dims(r, i, a, b);
    float* v = x + head * head_dim;
    rotate(v[a], v[b], c, s, v[a], v[b]);
}

}  // namespace

RopeArgs rope_args(const RopeParams& params, const float* freq_factors) {
    return RopeArgs{static_cast<int>(params.n_rot), params.style == RopeStyle::Neox, params.freq_base,
                    params.freq_scale, params.attn_factor, params.long_context, freq_factors};
}

void launch_rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const DeviceBatch& batch,
                 const RopeParams& params, const float* freq_factors, StreamHandle stream) {
    const int64_t total = n_tokens * n_heads * (params.n_rot / 2);
    if (total == 0) return;
    launch_kernel(rope_kernel, ceil_div(total, 256), 256, 0, static_cast<gpuStream_t>(stream), x, head_dim, n_heads,
                  total, rope_args(params, freq_factors), batch);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
