#include "backend/backend.h"
#include "backend/gpu/common.cuh"
#include "backend/gpu/top_k.cuh"

// One block per row. The k-th largest value is found exactly by a radix select over order keys
// (uint32 whose order is the floats' order): four passes, each a histogram of the next 8 bits among
// the elements that share the bits found so far. Then every element above it, and the ties with it
// of the smallest indices (threads own contiguous index ranges, so a scan of their tie counts
// ranks the ties by index), are gathered and sorted by rank in shared memory.

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxK = static_cast<int>(kMaxTopK);

// Order-preserving map of a finite float to uint32 (-0 and +0 map alike: they compare equal).
__device__ __forceinline__ uint32_t order_key(float v) {
    const uint32_t u = __float_as_uint(v == 0.0f ? 0.0f : v);
    return (u & 0x80000000u) != 0 ? ~u : (u | 0x80000000u);
}

__global__ void __launch_bounds__(kThreads) top_k_rows_kernel(const float* x, int64_t n, int k, int32_t* ids,
                                                               float* values) {
    enter_kernel();
    __shared__ uint32_t hist[256];
    __shared__ uint32_t prefix_sh, need_sh, n_above_sh;
    __shared__ int finite_sh;
    __shared__ uint32_t tie_offset[kThreads];
    __shared__ int32_t cand_id[kMaxK];
    __shared__ float cand_value[kMaxK];
    const float* row = x + static_cast<int64_t>(blockIdx.x) * n;
    int32_t* out_ids = ids + static_cast<int64_t>(blockIdx.x) * k;
    float* out_values = values + static_cast<int64_t>(blockIdx.x) * k;
    const int tid = threadIdx.x;
    if (tid == 0) finite_sh = 1, prefix_sh = 0, need_sh = static_cast<uint32_t>(k), n_above_sh = 0;

    // Radix select: after the pass at `shift`, the k-th largest key's bits above shift are prefix_sh,
    // and need_sh of the elements sharing them are still to be taken from the top.
    uint32_t mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int i = tid; i < 256; i += kThreads) hist[i] = 0;
        __syncthreads();
        const uint32_t prefix = prefix_sh;
        bool finite = true;
        for (int64_t i = tid; i < n; i += kThreads) {
            const float v = row[i];
            finite = finite && isfinite(v);
            const uint32_t key = order_key(v);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 0xFFu], 1u);
        }
        if (!finite) finite_sh = 0;
        __syncthreads();
        if (tid == 0) {
            uint32_t need = need_sh, b = 255;
            while (hist[b] < need) need -= hist[b--];  // the elements with the prefix number >= need
            prefix_sh = prefix | (b << shift);
            need_sh = need;
        }
        mask |= 0xFFu << shift;
        __syncthreads();
    }
    if (!finite_sh) {
        for (int i = tid; i < k; i += kThreads) out_ids[i] = -1, out_values[i] = 0.0f;
        return;
    }

    // Gather: keys above the threshold anywhere in [0, k - need), ties by index after them.
    const uint32_t threshold = prefix_sh, need = need_sh, n_above = static_cast<uint32_t>(k) - need_sh;
    const int64_t chunk = (n + kThreads - 1) / kThreads;
    const int64_t begin = tid * chunk, end = begin + chunk < n ? begin + chunk : n;
    uint32_t ties = 0;
    for (int64_t i = begin; i < end; ++i) {
        const uint32_t key = order_key(row[i]);
        if (key > threshold) {
            const uint32_t slot = atomicAdd(&n_above_sh, 1u);
            cand_id[slot] = static_cast<int32_t>(i), cand_value[slot] = row[i];
        } else if (key == threshold) {
            ++ties;
        }
    }
    tie_offset[tid] = ties;
    __syncthreads();
    if (tid == 0) {
        uint32_t run = 0;
        for (int t = 0; t < kThreads; ++t) {
            const uint32_t c = tie_offset[t];
            tie_offset[t] = run;
            run += c;
        }
    }
    __syncthreads();
    uint32_t rank = tie_offset[tid];
    for (int64_t i = begin; i < end && rank < need; ++i)
        if (order_key(row[i]) == threshold) {
            cand_id[n_above + rank] = static_cast<int32_t>(i), cand_value[n_above + rank] = row[i];
            ++rank;
        }
    __syncthreads();
    // Sort by rank: candidate i goes where the number of better candidates says.
    for (int i = tid; i < k; i += kThreads) {
        const float v = cand_value[i];
        const int32_t id = cand_id[i];
        int r = 0;
        for (int j = 0; j < k; ++j) {
            const float w = cand_value[j];
            r += (w > v || (w == v && cand_id[j] < id)) ? 1 : 0;
        }
        out_ids[r] = id, out_values[r] = v;
    }
}

}  // namespace

void launch_top_k_rows(const float* x, int64_t n, int64_t n_rows, int64_t k, int32_t* ids, float* values,
                       StreamHandle stream) {
    if (n_rows == 0) return;
    if (k < 1 || k > kMaxTopK || k > n) throw_gpu_error("top_k_rows", "k outside [1, min(n, 256)]", __FILE__, __LINE__);
    launch_kernel(top_k_rows_kernel, static_cast<unsigned>(n_rows), kThreads, 0, static_cast<gpuStream_t>(stream), x, n,
                  static_cast<int>(k), ids, values);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
