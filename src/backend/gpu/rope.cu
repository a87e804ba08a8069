#include "backend/gpu/common.cuh"
#include "backend/gpu/rope.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One thread per (pair, head, token).
__global__ void rope_kernel(float* x, int64_t head_dim, int64_t n_heads, int64_t n_pairs_total, int n_rot,
                            bool neox, const int32_t* positions, double freq_base, double freq_scale,
                            const float* freq_factors) {
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n_pairs_total) return;
    const int half = n_rot / 2;
    const int i = static_cast<int>(idx % half);
    const int64_t head = idx / half;  // over heads of all tokens
    const int64_t t = head / n_heads;
    double inv_freq = freq_scale * pow(freq_base, -2.0 * i / static_cast<double>(n_rot));
    if (freq_factors != nullptr) inv_freq /= freq_factors[i];
    const double theta = positions[t] * inv_freq;
    const float c = static_cast<float>(cos(theta)), s = static_cast<float>(sin(theta));
    float* v = x + head * head_dim;
    const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
}

}  // namespace

void launch_rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const int32_t* positions,
                 const RopeParams& params, const float* freq_factors, StreamHandle stream) {
    const int64_t total = n_tokens * n_heads * (params.n_rot / 2);
    if (total == 0) return;
    rope_kernel<<<ceil_div(total, 256), 256, 0, static_cast<gpuStream_t>(stream)>>>(
        x, head_dim, n_heads, total, static_cast<int>(params.n_rot), params.style == RopeStyle::Neox, positions,
        params.freq_base, params.freq_scale, freq_factors);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
