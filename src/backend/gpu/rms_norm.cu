#include "backend/gpu/common.cuh"
#include "backend/gpu/rms_norm.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One block per row. PRECOND: blockDim.x a multiple of 64, at most 1024.
__global__ void rms_norm_kernel(const float* x, const float* weight, float* y, int64_t n, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + blockIdx.x * n;
    float* yr = y + blockIdx.x * n;
    float sum_sq = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum_sq += xr[i] * xr[i];
    sum_sq = block_sum(sum_sq, scratch);
    const float scale = rsqrtf(sum_sq / static_cast<float>(n) + eps);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * scale * weight[i];
}

}  // namespace

void launch_rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps,
                     StreamHandle stream) {
    if (n_rows == 0) return;
    rms_norm_kernel<<<static_cast<unsigned>(n_rows), 256, 0, static_cast<gpuStream_t>(stream)>>>(x, weight, y, n, eps);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
