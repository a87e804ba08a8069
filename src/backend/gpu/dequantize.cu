#include "backend/gpu/dequant.cuh"
#include "backend/gpu/dequantize.cuh"

namespace rocmforge::backend::gpu {
namespace {

template <gguf::GgmlType T>
__global__ void dequantize_f16_kernel(const uint8_t* w, size_t row_bytes, int64_t k, int64_t total, uint16_t* out) {
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    const int64_t r = idx / k, i = idx % k;
    out[idx] = float_to_half_bits(ElementReader<T>::get(w + r * row_bytes, i, k));
}

__global__ void split_f16_kernel(const float* x, uint16_t* hi, uint16_t* lo, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const uint16_t h = float_to_half_bits(x[i]);
    hi[i] = h;
    lo[i] = float_to_half_bits(x[i] - half_bits_to_float(h));
}

}  // namespace

void launch_dequantize_f16(const WeightView& w, uint16_t* out, StreamHandle stream) {
    const int64_t total = w.k * w.n_rows;
    if (total == 0) return;
    const bool ok = dispatch_weight_type(w.type, [&]<gguf::GgmlType T>() {
        dequantize_f16_kernel<T><<<ceil_div(total, 256), 256, 0, static_cast<gpuStream_t>(stream)>>>(
            static_cast<const uint8_t*>(w.data), w.row_bytes, w.k, total, out);
    });
    if (!ok) throw_gpu_error("dequantize", "weight type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

void launch_split_f16(const float* x, uint16_t* hi, uint16_t* lo, int64_t n, StreamHandle stream) {
    if (n == 0) return;
    split_f16_kernel<<<ceil_div(n, 256), 256, 0, static_cast<gpuStream_t>(stream)>>>(x, hi, lo, n);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
