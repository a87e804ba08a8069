#pragma once
// Decode matmul (GEMV): y[:, t] = W · x[:, t] for a few tokens, the weights dequantized in
// registers (one pass over W per group of up to 8 tokens: wider groups measured slower, the
// activations of 32 tokens read per row cost more than the weights). One warp per
// output row, lanes over the row (8 consecutive values for F32/F16/BF16, single elements for
// Q6_K), f32 accumulation, warp-shuffle reduction. Q4_0/Q8_0 in the split layout and Q4_K
// (gemv_reads_q8) read int8 activations instead of x: a 32- or 64-element piece per lane, 16-byte
// loads, integer dot products.
//   w: [k, n_out] any weight type (weight_types.h) device
//   x: [k, n_tokens] f32 device; xq: the same x from launch_quantize_q8 (needed when
//   gemv_reads_q8(w), else unused and may be null); y: [n_out, n_tokens] f32 device
// device: the warp size (rows per block = 128 / warp_size) and whether many-token Q4_0/Q8_0
// products of 8+ tokens may run on tensor cores (gemv_mma.cuh: the same bits as the GEMV, faster
// from 8 tokens on).
// Each y element depends only on its own x column and is the same whatever the launch's token
// count (batch invariance).
#include "backend/gpu/device.h"
#include "backend/gpu/quantize_q8.cuh"
#include "backend/gpu/weight_types.h"

#include <span>

namespace rocmforge::backend::gpu {

struct GemvDevice {
    int warp_size = 32;         // DeviceInfo::warp_size
    bool tensor_cores = false;  // NVIDIA sm_80+ in a CUDA build (gemv_tensor_cores)
};
// Whether `info` can run the tensor-core decode kernel: a CUDA build on sm_80 or newer.
bool gemv_tensor_cores(const DeviceInfo& info);

bool gemv_reads_q8(const WeightView& w);
// Whether ws (1 to 4 matrices) can be multiplied in one launch: all read int8 activations, one
// type, one k. launch_gemv_fused then computes ys[i] = ws[i] · x for each (same contract as
// launch_gemv; each row's result is the same as alone).
bool gemv_can_fuse(std::span<const WeightView> ws);
void launch_gemv_fused(std::span<const WeightView> ws, std::span<float* const> ys, const Q8Activations& xq,
                       int64_t n_tokens, GemvDevice device, StreamHandle stream);
void launch_gemv(const WeightView& w, const float* x, const Q8Activations* xq, int64_t n_tokens, float* y,
                 GemvDevice device, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
