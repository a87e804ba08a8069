#pragma once
// Device helper shared by the kernels that write int8 activations for the GEMV (layout in
// quantize_q8.cuh): one value per lane, an aligned group of 32 lanes holding one block of 32
// consecutive values (a wave64 warp holds two blocks; the reductions stay within each group).
#include "backend/gpu/common.cuh"

namespace rocmforge::backend::gpu {

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

// Quantizes `value`, element i of the flattened [k, rows] array (k % 32 == 0, so i % 32 is the
// lane's place in its block): d = max|x| / 127, q = rint(x / d), sum = Σ q. Every lane of the
// group calls it (the shuffles need all 32); lanes with in_range false pass 0 and store nothing.
__device__ __forceinline__ void store_q8(float value, int64_t i, bool in_range, int8_t* q, float* scales) {
    const float d = group32_max(fabsf(value)) / 127.0f;
    const int qv = d == 0.0f ? 0 : static_cast<int>(rintf(value / d));
    const int sum = group32_sum(qv);
    if (!in_range) return;
    q[i] = static_cast<int8_t>(qv);
    if (i % 32 == 0) {
        scales[i / 16] = d;
        scales[i / 16 + 1] = static_cast<float>(sum);
    }
}

}  // namespace rocmforge::backend::gpu
