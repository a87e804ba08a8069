#include "backend/gpu/q8_block.cuh"
#include "backend/gpu/quantize_q8.cuh"

namespace rocmforge::backend::gpu {
namespace {

__global__ void quantize_q8_kernel(const float* x, int64_t n_values, int8_t* q, float* scales) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // n_values % 32 == 0
    store_q8(i < n_values ? x[i] : 0.0f, i, i < n_values, q, scales);
}

}  // namespace

void launch_quantize_q8(const float* x, int64_t k, int64_t n_tokens, int8_t* q, float* scales, StreamHandle stream) {
    const int64_t n_values = k * n_tokens;
    if (n_values == 0) return;
    launch_kernel(quantize_q8_kernel, ceil_div(n_values, 256), 256, 0, static_cast<gpuStream_t>(stream), x, n_values, q,
                  scales);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
