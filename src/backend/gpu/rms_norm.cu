#include "backend/gpu/q8_block.cuh"
#include "backend/gpu/rms_norm.cuh"

#include <algorithm>

namespace rocmforge::backend::gpu {
namespace {

// One block per row. Each thread first loads all its elements (up to kPerThread, independent
// loads in flight), then the block reduces once. PRECOND: blockDim.x a multiple of 64, at most
// 1024; n <= blockDim.x * kPerThread for the register path, else the strided loops. Element i of
// a row is handled by thread i % blockDim.x in both paths, so each aligned group of 32 lanes
// holds one 32-value block for the q8 output.
constexpr int kPerThread = 8;

__global__ void rms_norm_kernel(float* x, const float* weight, float* y, int64_t n, float eps, RmsNormFusion f) {
    enter_kernel();
    __shared__ float scratch[32];
    float* xr = x + blockIdx.x * n;
    const float* dr = f.delta == nullptr ? nullptr : f.delta + blockIdx.x * n;
    float* yr = y + blockIdx.x * n;
    const int64_t row_base = static_cast<int64_t>(blockIdx.x) * n;
    float v[kPerThread], w[kPerThread];  // w loaded with x, so one memory latency covers both
    const bool in_registers = n <= static_cast<int64_t>(blockDim.x) * kPerThread;
    float sum_sq = 0.0f;
    if (in_registers) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
            const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
            v[j] = i < n ? xr[i] : 0.0f;
            w[j] = i < n ? weight[i] : 0.0f;
            if (dr != nullptr && i < n) {
                v[j] += dr[i];
                xr[i] = v[j];
            }
            sum_sq += v[j] * v[j];
        }
    } else {
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            float value = xr[i];
            if (dr != nullptr) {
                value += dr[i];
                xr[i] = value;
            }
            sum_sq += value * value;
        }
    }
    sum_sq = block_sum(sum_sq, scratch);
    const float scale = rsqrtf(sum_sq / static_cast<float>(n) + eps);
    if (in_registers) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
            const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
            const float out = v[j] * scale * w[j];
            if (i < n) yr[i] = out;
            if (f.q8 != nullptr) store_q8(i < n ? out : 0.0f, row_base + i, i < n, f.q8, f.q8_scales);
        }
    } else {
        // Same trip count on every thread: the q8 shuffles need whole groups.
        for (int64_t base = 0; base < n; base += blockDim.x) {
            const int64_t i = base + threadIdx.x;
            const float out = i < n ? xr[i] * scale * weight[i] : 0.0f;
            if (i < n) yr[i] = out;
            if (f.q8 != nullptr) store_q8(out, row_base + i, i < n, f.q8, f.q8_scales);
        }
    }
}

// Rows of n % 4 == 0 values (16-byte aligned), up to kVec4PerThread float4 per thread: float4
// element i of a row is handled by thread i % blockDim.x, so 8 aligned lanes hold one 32-value
// block for the q8 output. PRECOND: blockDim.x a multiple of 64, n / 4 <= blockDim.x * kVec4PerThread.
constexpr int kVec4PerThread = 2;

__global__ void rms_norm_vec4_kernel(float* x, const float* weight, float* y, int64_t n, float eps, RmsNormFusion f) {
    enter_kernel();
    __shared__ float scratch[32];
    const int64_t row_base = static_cast<int64_t>(blockIdx.x) * n, n4 = n / 4;
    auto* xr = reinterpret_cast<float4*>(x + row_base);
    const auto* dr = f.delta == nullptr ? nullptr : reinterpret_cast<const float4*>(f.delta + row_base);
    auto* yr = reinterpret_cast<float4*>(y + row_base);
    const auto* wr = reinterpret_cast<const float4*>(weight);
    float4 v[kVec4PerThread], w[kVec4PerThread];
    float sum_sq = 0.0f;
#pragma unroll
    for (int j = 0; j < kVec4PerThread; ++j) {
        const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
        v[j] = w[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        if (i < n4) {
            v[j] = xr[i];
            w[j] = wr[i];
            if (dr != nullptr) {
                const float4 d = dr[i];
                v[j].x += d.x, v[j].y += d.y, v[j].z += d.z, v[j].w += d.w;
                xr[i] = v[j];
            }
        }
        sum_sq += v[j].x * v[j].x + v[j].y * v[j].y + v[j].z * v[j].z + v[j].w * v[j].w;
    }
    sum_sq = block_sum(sum_sq, scratch);
    const float scale = rsqrtf(sum_sq / static_cast<float>(n) + eps);
#pragma unroll
    for (int j = 0; j < kVec4PerThread; ++j) {
        const int64_t i = threadIdx.x + static_cast<int64_t>(j) * blockDim.x;
        const float out[4] = {v[j].x * scale * w[j].x, v[j].y * scale * w[j].y, v[j].z * scale * w[j].z,
                              v[j].w * scale * w[j].w};
        if (i < n4) yr[i] = make_float4(out[0], out[1], out[2], out[3]);
        if (f.q8 != nullptr) store_q8_x4(out, row_base + 4 * i, i < n4, f.q8, f.q8_scales);
    }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void launch_rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t n_rows, float eps,
                     StreamHandle stream, const RmsNormFusion& fusion) {
    if (n_rows == 0) return;
    if (fusion.q8 != nullptr && n % 32 != 0)
        throw_gpu_error("rms_norm", "int8 output needs rows of a multiple of 32 values", __FILE__, __LINE__);
    const auto s = static_cast<gpuStream_t>(stream);
    if (n % 4 == 0 && n / 4 <= 1024 * kVec4PerThread && aligned16(x) && aligned16(y) && aligned16(weight) &&
        (fusion.delta == nullptr || aligned16(fusion.delta))) {
        // One float4 per thread where the row allows (latency: a single decode row is one block).
        const int64_t threads = std::clamp<int64_t>((n / 4 + 63) / 64 * 64, 64, 1024);
        launch_kernel(rms_norm_vec4_kernel, static_cast<unsigned>(n_rows), static_cast<unsigned>(threads), 0, s,
                      const_cast<float*>(x), weight, y, n, eps, fusion);
        GPU_CHECK_LAUNCH();
        return;
    }
    // Enough threads that a row of up to 8192 fits in registers, in multiples of 64 (any wave size).
    const int64_t threads = std::clamp<int64_t>((n + kPerThread - 1) / kPerThread + 63, 64, 1024) / 64 * 64;
    // x is written only with a delta (documented in the header).
    launch_kernel(rms_norm_kernel, static_cast<unsigned>(n_rows), static_cast<unsigned>(threads), 0, s,
                  const_cast<float*>(x), weight, y, n, eps, fusion);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
