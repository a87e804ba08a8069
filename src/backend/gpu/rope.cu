#include "backend/gpu/common.cuh"
#include "backend/gpu/rope.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One thread per (pair, head, token).
__global__ void rope_kernel(float* x, int64_t head_dim, int64_t n_heads, int64_t n_pairs_total, int n_rot,
                            bool neox, DeviceBatch batch, double freq_base, double freq_scale, double attn_factor,
                            int64_t long_context, const float* freq_factors) {
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n_pairs_total) return;
    const int half = n_rot / 2;
    const int i = static_cast<int>(idx % half);
    const int64_t head = idx / half;  // over heads of all tokens
    const int64_t t = head / n_heads;
    double inv_freq = freq_scale * pow(freq_base, -2.0 * i / static_cast<double>(n_rot));
    if (freq_factors != nullptr) {
        bool use_long = false;
        if (long_context > 0) {  // BatchSequence::rope_length > long_context
            const int seq = batch.token_seq[t];
            const int64_t prompt_length = batch.prompt_length[seq];
            const int64_t own = static_cast<int64_t>(batch.positions[t]) + 1;
            const int64_t rope_length =
                prompt_length > 0 ? (prompt_length > own ? prompt_length : own)
                                  : static_cast<int64_t>(batch.seq_info[4 * seq + 1]) + batch.seq_info[4 * seq + 2];
            use_long = rope_length > long_context;
        }
        inv_freq /= freq_factors[(use_long ? half : 0) + i];
    }
    const double theta = batch.positions[t] * inv_freq;
    const float c = static_cast<float>(cos(theta) * attn_factor), s = static_cast<float>(sin(theta) * attn_factor);
    float* v = x + head * head_dim;
    const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
}

}  // namespace

void launch_rope(float* x, int64_t head_dim, int64_t n_heads, int64_t n_tokens, const DeviceBatch& batch,
                 const RopeParams& params, const float* freq_factors, StreamHandle stream) {
    const int64_t total = n_tokens * n_heads * (params.n_rot / 2);
    if (total == 0) return;
    rope_kernel<<<ceil_div(total, 256), 256, 0, static_cast<gpuStream_t>(stream)>>>(
        x, head_dim, n_heads, total, static_cast<int>(params.n_rot), params.style == RopeStyle::Neox, batch,
        params.freq_base, params.freq_scale, params.attn_factor, params.long_context, freq_factors);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
