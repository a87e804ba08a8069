#include "backend/gpu/attention.cuh"
#include "backend/gpu/kv_types.cuh"

#include <cmath>

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 128;  // keys per chunk; also the output dims one pass covers
constexpr int kDimsPerThread = static_cast<int>(kMaxAttentionHeadDim) / kThreads;

struct AttentionArgs {
    const float* q;
    float* out;
    int head_dim, n_heads, group;  // group = n_heads / n_kv_heads
    int64_t row_elements;          // n_kv_heads * head_dim
    int64_t block_size;
    float scale;
    float softcap;   // > 0: score = softcap * tanh(score / softcap)
    int64_t window;  // > 0: keys (position - window, position] only
    DeviceBatch batch;
};

// One block of kThreads per (head, token).
template <gguf::GgmlType T>
__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionArgs a, const typename KvElement<T>::Storage* k,
                                                             const typename KvElement<T>::Storage* v) {
    using KV = KvElement<T>;
    __shared__ float q_sh[kMaxAttentionHeadDim];
    __shared__ float p_sh[kThreads];
    __shared__ int64_t slot_sh[kThreads];
    __shared__ float scratch[32];
    const int h = blockIdx.x, t = blockIdx.y, tid = threadIdx.x;
    const int seq = a.batch.token_seq[t];
    const int64_t n_keys = static_cast<int64_t>(a.batch.positions[t]) + 1;
    const int64_t first_key = a.window > 0 && n_keys > a.window ? n_keys - a.window : 0;
    const int64_t kv_offset = static_cast<int64_t>(h / a.group) * a.head_dim;
    const float* q = a.q + (static_cast<int64_t>(t) * a.n_heads + h) * a.head_dim;
    for (int d = tid; d < a.head_dim; d += kThreads) q_sh[d] = q[d];
    __syncthreads();

    float m = -INFINITY, l = 0.0f, acc[kDimsPerThread] = {};
    for (int64_t c0 = first_key; c0 < n_keys; c0 += kThreads) {
        const int64_t j = c0 + tid;
        float s = -INFINITY;
        if (j < n_keys) {
            const int64_t slot = kv_slot(a.batch.seq_info, a.batch.block_tables, seq, j, a.block_size);
            slot_sh[tid] = slot;
            const auto* kr = k + slot * a.row_elements + kv_offset;
            float dot = 0.0f;
            #pragma unroll 8
            for (int d = 0; d < a.head_dim; ++d) dot += q_sh[d] * KV::load(kr[d]);
            s = dot * a.scale;
            if (a.softcap > 0.0f) s = a.softcap * tanhf(s / a.softcap);
        }
        const float m_new = fmaxf(m, block_max(s, scratch));
        const float p = j < n_keys ? expf(s - m_new) : 0.0f;
        p_sh[tid] = p;
        const float chunk_sum = block_sum(p, scratch);  // its barriers also publish p_sh, slot_sh
        const float correction = expf(m - m_new);       // 0 on the first chunk (m = -inf)
        l = l * correction + chunk_sum;
        const int n_chunk = static_cast<int>(n_keys - c0 < kThreads ? n_keys - c0 : kThreads);
#pragma unroll
        for (int i = 0; i < kDimsPerThread; ++i) {
            const int d = tid + i * kThreads;
            if (d >= a.head_dim) continue;
            float sum = acc[i] * correction;
#pragma unroll 8
            for (int jj = 0; jj < n_chunk; ++jj) sum += p_sh[jj] * KV::load(v[slot_sh[jj] * a.row_elements + kv_offset + d]);
            acc[i] = sum;
        }
        m = m_new;
        __syncthreads();  // p_sh and slot_sh are rewritten by the next chunk
    }
    float* out = a.out + (static_cast<int64_t>(t) * a.n_heads + h) * a.head_dim;
#pragma unroll
    for (int i = 0; i < kDimsPerThread; ++i) {
        const int d = tid + i * kThreads;
        if (d < a.head_dim) out[d] = acc[i] / l;
    }
}

}  // namespace

void launch_attention(const float* q, float* out, const void* k, const void* v, gguf::GgmlType kv_type,
                      int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch, StreamHandle stream) {
    if (batch.n_tokens == 0) return;
    if (shape.head_dim > kMaxAttentionHeadDim || shape.n_kv_heads < 1 || shape.n_heads % shape.n_kv_heads != 0)
        throw_gpu_error("attention", "head_dim above 256 or n_heads not a multiple of n_kv_heads", __FILE__, __LINE__);
    AttentionArgs a{q, out, static_cast<int>(shape.head_dim), static_cast<int>(shape.n_heads),
                    static_cast<int>(shape.n_heads / shape.n_kv_heads), shape.n_kv_heads * shape.head_dim,
                    block_size, shape.scale, shape.softcap, shape.window, batch};
    const dim3 grid(static_cast<unsigned>(shape.n_heads), static_cast<unsigned>(batch.n_tokens));
    const bool ok = dispatch_kv_type(kv_type, [&]<gguf::GgmlType T>() {
        using S = typename KvElement<T>::Storage;
        attention_kernel<T><<<grid, kThreads, 0, static_cast<gpuStream_t>(stream)>>>(a, static_cast<const S*>(k),
                                                                                    static_cast<const S*>(v));
    });
    if (!ok) throw_gpu_error("attention", "KV type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
