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
    float* partial;  // [n_tokens][n_heads][max_splits] of {m, l, acc[head_dim]} (split tokens only)
    int max_splits;
    int head_dim, n_heads, group;  // group = n_heads / n_kv_heads
    int64_t row_elements;          // n_kv_heads * head_dim
    int64_t block_size;
    float scale;
    DeviceBatch batch;
};

constexpr int64_t kKeysPerSplit = 256;  // keys of one split block: a token's own n_keys fixes its splits

__device__ __forceinline__ int splits_of(int64_t n_keys) { return static_cast<int>((n_keys + kKeysPerSplit - 1) / kKeysPerSplit); }

// One block of kThreads per (head, token, split of kKeysPerSplit keys). A token with one split
// writes out; with several, each split writes its running max, sum and unnormalized output to
// partial, and attention_combine_kernel merges them in split order.
template <gguf::GgmlType T>
__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionArgs a, const typename KvElement<T>::Storage* k,
                                                             const typename KvElement<T>::Storage* v) {
    using KV = KvElement<T>;
    __shared__ float q_sh[kMaxAttentionHeadDim];
    __shared__ float p_sh[kThreads];
    __shared__ int64_t slot_sh[kThreads];
    __shared__ float scratch[32];
    const int h = blockIdx.x, t = blockIdx.y, split = blockIdx.z, tid = threadIdx.x;
    const int seq = a.batch.token_seq[t];
    const int64_t n_keys_total = static_cast<int64_t>(a.batch.positions[t]) + 1;
    const int n_splits = splits_of(n_keys_total);
    if (split >= n_splits) return;  // whole block; no barrier reached
    const int64_t key_begin = split * kKeysPerSplit;
    const int64_t n_keys = n_keys_total < key_begin + kKeysPerSplit ? n_keys_total : key_begin + kKeysPerSplit;
    const int64_t kv_offset = static_cast<int64_t>(h / a.group) * a.head_dim;
    const float* q = a.q + (static_cast<int64_t>(t) * a.n_heads + h) * a.head_dim;
    for (int d = tid; d < a.head_dim; d += kThreads) q_sh[d] = q[d];
    __syncthreads();

    float m = -INFINITY, l = 0.0f, acc[kDimsPerThread] = {};
    for (int64_t c0 = key_begin; c0 < n_keys; c0 += kThreads) {
        const int64_t j = c0 + tid;
        float s = -INFINITY;
        if (j < n_keys) {
            const int64_t slot = kv_slot(a.batch.seq_info, a.batch.block_tables, seq, j, a.block_size);
            slot_sh[tid] = slot;
            const auto* kr = k + slot * a.row_elements + kv_offset;
            float dot = 0.0f;
            if (a.head_dim % 8 == 0) {  // rows then start 16-byte aligned (row_elements % 8 == 0 too)
#pragma unroll 8
                for (int d0 = 0; d0 < a.head_dim; d0 += 8) {
                    float kv8[8];
                    KV::load8(kr + d0, kv8);
#pragma unroll
                    for (int j = 0; j < 8; ++j) dot += q_sh[d0 + j] * kv8[j];
                }
            } else {
#pragma unroll 8
                for (int d = 0; d < a.head_dim; ++d) dot += q_sh[d] * KV::load(kr[d]);
            }
            s = dot * a.scale;
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
#pragma unroll 16
            for (int jj = 0; jj < n_chunk; ++jj) sum += p_sh[jj] * KV::load(v[slot_sh[jj] * a.row_elements + kv_offset + d]);
            acc[i] = sum;
        }
        m = m_new;
        __syncthreads();  // p_sh and slot_sh are rewritten by the next chunk
    }
    if (n_splits == 1) {
        float* out = a.out + (static_cast<int64_t>(t) * a.n_heads + h) * a.head_dim;
#pragma unroll
        for (int i = 0; i < kDimsPerThread; ++i) {
            const int d = tid + i * kThreads;
            if (d < a.head_dim) out[d] = acc[i] / l;
        }
        return;
    }
    float* part = a.partial + ((static_cast<int64_t>(t) * a.n_heads + h) * a.max_splits + split) * (a.head_dim + 2);
    if (tid == 0) part[0] = m, part[1] = l;
#pragma unroll
    for (int i = 0; i < kDimsPerThread; ++i) {
        const int d = tid + i * kThreads;
        if (d < a.head_dim) part[2 + d] = acc[i];
    }
}

// One block per (head, token) with several splits: out = Σ_s e^(m_s − M) acc_s / Σ_s e^(m_s − M) l_s.
__global__ void __launch_bounds__(kThreads) attention_combine_kernel(AttentionArgs a) {
    const int h = blockIdx.x, t = blockIdx.y;
    const int n_splits = splits_of(static_cast<int64_t>(a.batch.positions[t]) + 1);
    if (n_splits == 1) return;
    const int64_t stride = a.head_dim + 2;
    const float* part = a.partial + (static_cast<int64_t>(t) * a.n_heads + h) * a.max_splits * stride;
    float m = -INFINITY;
    for (int s = 0; s < n_splits; ++s) m = fmaxf(m, part[s * stride]);
    float l = 0.0f;
    for (int s = 0; s < n_splits; ++s) l += expf(part[s * stride] - m) * part[s * stride + 1];
    float* out = a.out + (static_cast<int64_t>(t) * a.n_heads + h) * a.head_dim;
    for (int d = threadIdx.x; d < a.head_dim; d += kThreads) {
        float acc = 0.0f;
        for (int s = 0; s < n_splits; ++s) acc += expf(part[s * stride] - m) * part[s * stride + 2 + d];
        out[d] = acc / l;
    }
}

}  // namespace

int64_t attention_partial_floats(const AttentionShape& shape, int64_t n_tokens, int64_t max_keys) {
    const int64_t max_splits = (max_keys + kKeysPerSplit - 1) / kKeysPerSplit;
    return max_splits > 1 ? n_tokens * shape.n_heads * max_splits * (shape.head_dim + 2) : 0;
}

void launch_attention(const float* q, float* out, const void* k, const void* v, gguf::GgmlType kv_type,
                      int64_t block_size, const AttentionShape& shape, const DeviceBatch& batch, int64_t max_keys,
                      float* partial, StreamHandle stream) {
    if (batch.n_tokens == 0) return;
    if (shape.head_dim > kMaxAttentionHeadDim || shape.n_kv_heads < 1 || shape.n_heads % shape.n_kv_heads != 0)
        throw_gpu_error("attention", "head_dim above 256 or n_heads not a multiple of n_kv_heads", __FILE__, __LINE__);
    const int max_splits = static_cast<int>((max_keys + kKeysPerSplit - 1) / kKeysPerSplit);
    AttentionArgs a{q, out, partial, max_splits, static_cast<int>(shape.head_dim), static_cast<int>(shape.n_heads),
                    static_cast<int>(shape.n_heads / shape.n_kv_heads), shape.n_kv_heads * shape.head_dim,
                    block_size, shape.scale, batch};
    const dim3 grid(static_cast<unsigned>(shape.n_heads), static_cast<unsigned>(batch.n_tokens),
                    static_cast<unsigned>(max_splits));
    const bool ok = dispatch_kv_type(kv_type, [&]<gguf::GgmlType T>() {
        using S = typename KvElement<T>::Storage;
        attention_kernel<T><<<grid, kThreads, 0, static_cast<gpuStream_t>(stream)>>>(a, static_cast<const S*>(k),
                                                                                    static_cast<const S*>(v));
    });
    if (!ok) throw_gpu_error("attention", "KV type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
    if (max_splits > 1) {
        attention_combine_kernel<<<dim3(grid.x, grid.y), kThreads, 0, static_cast<gpuStream_t>(stream)>>>(a);
        GPU_CHECK_LAUNCH();
    }
}

}  // namespace rocmforge::backend::gpu
