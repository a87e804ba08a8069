#include "backend/gpu/common.cuh"
#include "backend/gpu/rms_norm.cuh"

#include <algorithm>

namespace rocmforge::backend::gpu {
namespace {

// One block per row. Each thread first loads all its elements (up to kPerThread, independent
// loads in flight), then the block reduces once. PRECOND: blockDim.x a multiple of 64, at most
// 1024; n <= blockDim.x * kPerThread for the register path, else the strided loop.
constexpr int kPerThread = 8;

__global__ void rms_norm_kernel(const float* x, const float* weight, float* y, int64_t n, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + blockIdx.x * n;
    float* yr = y + blockIdx.x * n;
    float v[kPerThread], w[kPerThread];  // w loaded with x, so one memory latency covers both
    const bool in_registers = n <= static_cast<int64_t>(blockDim.x) * kPerThread;
    float sum_sq = 0.0f;
    if (in_registers) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
            const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
            v[j] = i < n ? xr[i] : 0.0f;
            w[j] = i < n ? weight[i] : 0.0f;
            sum_sq += v[j] * v[j];
        }
    } else {
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum_sq += xr[i] * xr[i];
    }
    sum_sq = block_sum(sum_sq, scratch);
    const float scale = rsqrtf(sum_sq / static_cast<float>(n) + eps);
    if (in_registers) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
            const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
            if (i < n) yr[i] = v[j] * scale * w[j];
        }
    } else {
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * scale * weight[i];
    }
}

}  // namespace

void launch_rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps,
                     StreamHandle stream) {
    if (n_rows == 0) return;
    // Enough threads that a row of up to 8192 fits in registers, in multiples of 64 (any wave size).
    const int64_t threads = std::clamp<int64_t>((n + kPerThread - 1) / kPerThread + 63, 64, 1024) / 64 * 64;
    rms_norm_kernel<<<static_cast<unsigned>(n_rows), static_cast<unsigned>(threads), 0,
                      static_cast<gpuStream_t>(stream)>>>(x, weight, y, n, eps);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
