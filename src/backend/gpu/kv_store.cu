#include "backend/gpu/kv_store.cuh"
#include "backend/gpu/kv_types.cuh"

namespace rocmforge::backend::gpu {
namespace {

// Grid: (row chunks of blockDim.x elements, tokens); one element of K and of V per thread.
template <gguf::GgmlType T>
__global__ void kv_store_kernel(const float* k, const float* v, typename KvElement<T>::Storage* k_dst,
                                typename KvElement<T>::Storage* v_dst, int64_t n, int64_t block_size,
                                DeviceBatch batch) {
    enter_kernel();
    const int t = blockIdx.y;
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int64_t slot = kv_slot(batch.seq_info, batch.block_tables, batch.token_seq[t], batch.positions[t], block_size);
    k_dst[slot * n + i] = KvElement<T>::store(k[t * n + i]);
    v_dst[slot * n + i] = KvElement<T>::store(v[t * n + i]);
}

}  // namespace

void launch_kv_store(const float* k, const float* v, void* k_dst, void* v_dst, gguf::GgmlType kv_type,
                     int64_t row_elements, int64_t block_size, const DeviceBatch& batch, StreamHandle stream) {
    if (batch.n_tokens == 0) return;
    const bool ok = dispatch_kv_type(kv_type, [&]<gguf::GgmlType T>() {
        using S = typename KvElement<T>::Storage;
        const dim3 grid(ceil_div(row_elements, 256), static_cast<unsigned>(batch.n_tokens));
        launch_kernel(kv_store_kernel<T>, grid, 256, 0, static_cast<gpuStream_t>(stream), k, v, static_cast<S*>(k_dst),
                      static_cast<S*>(v_dst), row_elements, block_size, batch);
    });
    if (!ok) throw_gpu_error("kv_store", "KV type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
