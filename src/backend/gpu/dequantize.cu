#include "backend/gpu/dequant.cuh"
#include "backend/gpu/dequantize.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One thread per 8 consecutive elements of a row (one 16-byte store). PRECOND: k % 8 == 0 and out
// 16-byte aligned; total8 = k * n_rows / 8.
template <gguf::GgmlType T>
__global__ void dequantize_f16_kernel(const uint8_t* w, size_t row_bytes, int64_t k, int64_t total8, uint16_t* out) {
    enter_kernel();
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= total8) return;
    const int64_t per_row = k / 8, r = idx / per_row, i0 = (idx % per_row) * 8;
    const uint8_t* row = w + r * row_bytes;
    uint32_t words[4];
#pragma unroll
    for (int j = 0; j < 4; ++j)
        words[j] = static_cast<uint32_t>(float_to_half_bits(ElementReader<T>::get(row, i0 + 2 * j, k))) |
                   static_cast<uint32_t>(float_to_half_bits(ElementReader<T>::get(row, i0 + 2 * j + 1, k))) << 16;
    reinterpret_cast<uint4*>(out)[idx] = make_uint4(words[0], words[1], words[2], words[3]);
}

// Any k: one thread per element.
template <gguf::GgmlType T>
__global__ void dequantize_f16_any_kernel(const uint8_t* w, size_t row_bytes, int64_t k, int64_t total, uint16_t* out) {
    enter_kernel();
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    const int64_t r = idx / k, i = idx % k;
    out[idx] = float_to_half_bits(ElementReader<T>::get(w + r * row_bytes, i, k));
}

__global__ void split_f16_kernel(const float* x, uint16_t* hi, uint16_t* lo, int64_t n) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const uint16_t h = float_to_half_bits(x[i]);
    hi[i] = h;
    if (lo != nullptr) lo[i] = float_to_half_bits(x[i] - half_bits_to_float(h));
}

}  // namespace

void launch_dequantize_f16(const WeightView& w, uint16_t* out, StreamHandle stream) {
    const int64_t total = w.k * w.n_rows;
    if (total == 0) return;
    const bool vectorized = w.k % 8 == 0 && reinterpret_cast<uintptr_t>(out) % 16 == 0;
    const auto s = static_cast<gpuStream_t>(stream);
    const auto* data = static_cast<const uint8_t*>(w.data);
    const bool ok = dispatch_weight_type(w.type, [&]<gguf::GgmlType T>() {
        if (vectorized)
            launch_kernel(dequantize_f16_kernel<T>, ceil_div(total / 8, 256), 256, 0, s, data, w.row_bytes, w.k,
                          total / 8, out);
        else
            launch_kernel(dequantize_f16_any_kernel<T>, ceil_div(total, 256), 256, 0, s, data, w.row_bytes, w.k, total,
                          out);
    });
    if (!ok) throw_gpu_error("dequantize", "weight type without a GPU kernel", __FILE__, __LINE__);
    GPU_CHECK_LAUNCH();
}

void launch_split_f16(const float* x, uint16_t* hi, uint16_t* lo, int64_t n, StreamHandle stream) {
    if (n == 0) return;
    launch_kernel(split_f16_kernel, ceil_div(n, 256), 256, 0, static_cast<gpuStream_t>(stream), x, hi, lo, n);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
