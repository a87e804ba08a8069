#include "backend/gpu/argmax.cuh"
#include "backend/gpu/common.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// The better of two candidates: the larger value, the smaller index on a tie.
struct Best {
    float value;
    int64_t index;
};
__device__ __forceinline__ Best better(Best a, Best b) {
    return b.value > a.value || (b.value == a.value && b.index < a.index) ? b : a;
}

// One block per row; each thread scans a strided part, then the warps' and the block's best meet.
__global__ void __launch_bounds__(kThreads) argmax_rows_kernel(const float* x, int64_t n, int32_t* ids) {
    enter_kernel();
    __shared__ float value_sh[kThreads / 32 + 1];
    __shared__ int64_t index_sh[kThreads / 32 + 1];
    __shared__ int finite_sh;
    const float* row = x + static_cast<int64_t>(blockIdx.x) * n;
    const int tid = threadIdx.x, lane = tid % WARP_SIZE, warp = tid / WARP_SIZE;
    constexpr int kWarps = kThreads / WARP_SIZE;
    if (tid == 0) finite_sh = 1;
    Best best{-INFINITY, n};  // index n: no element yet (any finite element beats it)
    bool finite = true;
    for (int64_t i = tid; i < n; i += kThreads) {
        const float v = row[i];
        finite = finite && isfinite(v);
        best = better(best, Best{v, i});
    }
    __syncthreads();  // finite_sh initialized
    if (!finite) finite_sh = 0;
#pragma unroll
    for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2) {
        const Best other{gpu_shfl_xor(best.value, offset), gpu_shfl_xor(best.index, offset)};
        best = better(best, other);
    }
    if (lane == 0) value_sh[warp] = best.value, index_sh[warp] = best.index;
    __syncthreads();
    if (tid == 0) {
        Best b{value_sh[0], index_sh[0]};
        for (int w = 1; w < kWarps; ++w) b = better(b, Best{value_sh[w], index_sh[w]});
        ids[blockIdx.x] = finite_sh && b.index < n ? static_cast<int32_t>(b.index) : -1;
    }
}

}  // namespace

void launch_argmax_rows(const float* x, int64_t n, int64_t n_rows, int32_t* ids, StreamHandle stream) {
    if (n_rows == 0) return;
    launch_kernel(argmax_rows_kernel, static_cast<unsigned>(n_rows), kThreads, 0, static_cast<gpuStream_t>(stream), x,
                  n, ids);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
