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

// x rounded to 22 significant bits (nearest, ties up; x >= 0 finite): the block scale the GEMV's
// exact −1.5 * 2^23 * d product needs (gemv_rows.cuh). Changes d by at most 2^-23 relative.
__device__ __forceinline__ float round_to_22_bits(float x) {
    return __uint_as_float((__float_as_uint(x) + 2u) & ~3u);
}

__device__ __forceinline__ int group32_sum(int v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) v += gpu_shfl_xor(v, offset);
    return v;
}

// Quantizes `value`, element i of the flattened [k, rows] array (k % 32 == 0, so i % 32 is the
// lane's place in its block): d = round_to_22_bits(max|x| / 127), q = rint(x / d), sum = Σ q.
// Every lane of the group calls it (the shuffles need all 32); lanes with in_range false pass 0
// and store nothing.
__device__ __forceinline__ void store_q8(float value, int64_t i, bool in_range, int8_t* q, float* scales) {
    const float d = round_to_22_bits(group32_max(fabsf(value)) / 127.0f);
    const int qv = d == 0.0f ? 0 : static_cast<int>(rintf(value / d));
    const int sum = group32_sum(qv);
    if (!in_range) return;
    q[i] = static_cast<int8_t>(qv);
    if (i % 32 == 0) {
        scales[i / 16] = d;
        scales[i / 16 + 1] = static_cast<float>(sum);
    }
}

// The same for 4 consecutive values per lane, elements i0..i0+3 (i0 % 4 == 0): a block of 32 is an
// aligned group of 8 lanes, and every lane of the group calls it.
__device__ __forceinline__ void store_q8_x4(const float* v, int64_t i0, bool in_range, int8_t* q, float* scales) {
    float amax = fmaxf(fmaxf(fabsf(v[0]), fabsf(v[1])), fmaxf(fabsf(v[2]), fabsf(v[3])));
#pragma unroll
    for (int offset = 4; offset > 0; offset /= 2) amax = fmaxf(amax, gpu_shfl_xor(amax, offset));
    const float d = round_to_22_bits(amax / 127.0f);
    int qv[4], sum = 0;
#pragma unroll
    for (int c = 0; c < 4; ++c) {
        qv[c] = d == 0.0f ? 0 : static_cast<int>(rintf(v[c] / d));
        sum += qv[c];
    }
#pragma unroll
    for (int offset = 4; offset > 0; offset /= 2) sum += gpu_shfl_xor(sum, offset);
    if (!in_range) return;
    const uint32_t packed = (static_cast<uint32_t>(qv[0]) & 0xFFu) | ((static_cast<uint32_t>(qv[1]) & 0xFFu) << 8) |
                            ((static_cast<uint32_t>(qv[2]) & 0xFFu) << 16) | (static_cast<uint32_t>(qv[3]) << 24);
    *reinterpret_cast<uint32_t*>(q + i0) = packed;
    if (i0 % 32 == 0) {
        scales[i0 / 16] = d;
        scales[i0 / 16 + 1] = static_cast<float>(sum);
    }
}

}  // namespace rocmforge::backend::gpu
