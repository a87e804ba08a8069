#include "backend/gpu/kv_types.cuh"
#include "backend/gpu/rope_kv_store.cuh"
#include "backend/gpu/rope_pair.cuh"

namespace rocmforge::backend::gpu {
namespace {

struct RopeStoreShape {
    int64_t head_dim, n_heads, n_kv_heads, block_size;
};

// Grid: (work items of one token / blockDim.x, tokens). Work items of token t, in order: the q
// pairs (n_heads * n_rot/2), the k pairs (n_kv_heads * n_rot/2; rotated, then stored), then one
// per element of the k/v row (v stored; k stored for the dims past n_rot, which rope leaves).
template <gguf::GgmlType T>
__global__ void rope_kv_store_kernel(float* q, float* k, const float* v, typename KvElement<T>::Storage* k_dst,
                                     typename KvElement<T>::Storage* v_dst, RopeStoreShape sh, RopeArgs r,
                                     DeviceBatch batch) {
    enter_kernel();
    using E = KvElement<T>;
    const int t = blockIdx.y;
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const int half = r.n_rot / 2;
    const int64_t n_q = sh.n_heads * half, n_k = sh.n_kv_heads * half, row = sh.n_kv_heads * sh.head_dim;
    if (idx >= n_q + n_k + row) return;
    const int64_t slot = kv_slot(batch.seq_info, batch.block_tables, batch.token_seq[t], batch.positions[t],
                                 sh.block_size);
    if (idx < n_q + n_k) {
        const bool is_q = idx < n_q;
        const int64_t pair = is_q ? idx : idx - n_q;
        const int64_t head = pair / half;
        const int i = static_cast<int>(pair % half);
        float c, s;
        rope_cos_sin(r, batch, t, i, c, s);
        int a, b;
        rope_pair_dims(r, i, a, b);
        float* h = is_q ? q + (t * sh.n_heads + head) * sh.head_dim : k + (t * sh.n_kv_heads + head) * sh.head_dim;
        float y0, y1;
        rotate(h[a], h[b], c, s, y0, y1);
        h[a] = y0;
        h[b] = y1;
        if (!is_q) {
            k_dst[slot * row + head * sh.head_dim + a] = E::store(y0);
            k_dst[slot * row + head * sh.head_dim + b] = E::store(y1);
        }
        return;
    }
    const int64_t e = idx - n_q - n_k;
    v_dst[slot * row + e] = E::store(v[t * row + e]);
    if (e % sh.head_dim >= r.n_rot) k_dst[slot * row + e] = E::store(k[t * row + e]);
}

}  // namespace

void launch_rope_kv_store(float* q, float* k, const float* v, int64_t head_dim, int64_t n_heads, int64_t n_kv_heads,
                          const RopeParams& params, const float* freq_factors, void* k_dst, void* v_dst,
                          gguf::GgmlType kv_type, int64_t block_size, const DeviceBatch& batch, StreamHandle stream) {
    if (batch.n_tokens == 0) return;
    const int64_t per_token = (n_heads + n_kv_heads) * (params.n_rot / 2) + n_kv_heads * head_dim;
    const RopeStoreShape shape{head_dim, n_heads, n_kv_heads, block_size};
    const bool ok = dispatch_kv_type(kv_type, [&]<gguf::GgmlType T>() {
        using S = typename KvElement<T>::Storage;
        const dim3 grid(ceil_div(per_token, 256), static_cast<unsigned>(batch.n_tokens));
        launch_kernel(rope_kv_store_kernel<T>, grid, 256, 0, static_cast<gpuStream_t>(stream), q, k, v,
                      static_cast<S*>(k_dst), static_cast<S*>(v_dst), shape, rope_args(params, freq_factors), batch);
    });
    if (!ok) throw_gpu_error("rope_kv_store", "KV type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
