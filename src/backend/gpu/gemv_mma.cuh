#pragma once
// Decode matmul of many tokens on tensor cores (NVIDIA sm_80 and newer): the same products as the
// int8 GEMV (gemv.cu) over split-layout Q4_0 / Q8_0 weights, bit-identical per (row, token) (both
// follow gemv_rows.cuh's summation order), with the integer block dot products done by mma.sync
// m16n8k32 s8. Kernel-side header: launched from gemv.cu, which owns the dispatch.
//   targets: the launch's rows (gemv_rows.cuh), y pointers at token 0
//   xq: [k, n_tokens] int8, xs: [k / 32, n_tokens] {d, Σ q} pairs (quantize_q8.cuh)
// Returns false, launching nothing, where the kernel does not apply: k % 64 != 0, or a tile that
// needs more shared memory than the device gives one block (then the GEMV computes the same bits).
// PRECOND: k % 32 == 0; rows, xq and xs 16-byte aligned; T is Q4_0 or Q8_0; the device is sm_80 or
// newer.
#include "backend/gpu/gemv_rows.cuh"

namespace rocmforge::backend::gpu {

// Whether this build has the tensor-core kernel (CUDA; false for HIP).
bool gemv_mma_built();

template <gguf::GgmlType T>
bool launch_gemv_mma(const GemvTargets& targets, size_t row_bytes, int64_t k, int64_t n_tokens, const int8_t* xq,
                     const float* xs, gpuStream_t stream);

}  // namespace rocmforge::backend::gpu
