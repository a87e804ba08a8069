#include "backend/gpu/common.cuh"
#include "backend/gpu/quantize_q8.cuh"

namespace rocmforge::backend::gpu {
namespace {

// 32 lanes per block of 32 values, one value per lane (a wave64 warp covers two blocks; the
// reductions below stay within each aligned group of 32 lanes). n_values = k * n_tokens.
__device__ __forceinline__ float group32_max(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, gpu_shfl_xor(v, offset));
    return v;
}
__device__ __forceinline__ int group32_sum(int v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v += gpu_shfl_xor(v, offset);
    return v;
}

__global__ void quantize_q8_kernel(const float* x, int64_t n_values, int8_t* q, float* scales) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // n_values % 32 == 0
    const float value = i < n_values ? x[i] : 0.0f;
    const float d = group32_max(fabsf(value)) / 127.0f;
    const int qv = d == 0.0f ? 0 : static_cast<int>(rintf(value / d));
    const int sum = group32_sum(qv);
    if (i >= n_values) return;
    q[i] = static_cast<int8_t>(qv);
    if (i % 32 == 0) {
        scales[i / 16] = d;
        scales[i / 16 + 1] = static_cast<float>(sum);
    }
}

}  // namespace

void launch_quantize_q8(const float* x, int64_t k, int64_t n_tokens, int8_t* q, float* scales, StreamHandle stream) {
    const int64_t n_values = k * n_tokens;
    if (n_values == 0) return;
    quantize_q8_kernel<<<ceil_div(n_values, 256), 256, 0, static_cast<gpuStream_t>(stream)>>>(x, n_values, q, scales);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
