#include "backend/gpu/dequant.cuh"
#include "backend/gpu/get_rows.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One block per id; threads stride over the row.
template <gguf::GgmlType T>
__global__ void get_rows_kernel(const uint8_t* table, size_t row_bytes, int64_t k, const int32_t* ids, float* out) {
    enter_kernel();
    const int64_t t = blockIdx.x;
    const uint8_t* row = table + static_cast<int64_t>(ids[t]) * row_bytes;
    for (int64_t i = threadIdx.x; i < k; i += blockDim.x) out[t * k + i] = ElementReader<T>::get(row, i, k);
}

}  // namespace

void launch_get_rows(const WeightView& table, const int32_t* ids, int64_t n_ids, float* out, StreamHandle stream) {
    if (n_ids == 0) return;
    const bool ok = dispatch_weight_type(table.type, [&]<gguf::GgmlType T>() {
        launch_kernel(get_rows_kernel<T>, static_cast<unsigned>(n_ids), 256, 0, static_cast<gpuStream_t>(stream),
                      static_cast<const uint8_t*>(table.data), table.row_bytes, table.k, ids, out);
    });
    if (!ok) throw_gpu_error("get_rows", "weight type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
