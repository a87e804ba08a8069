#include "backend/gpu/common.cuh"
#include "backend/gpu/moe_rows.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// One block per row; threads stride over its n values.
__global__ void gather_rows_kernel(const float* x, int64_t n, const int32_t* slots, int64_t k, float* out) {
    enter_kernel();
    const int64_t r = blockIdx.x;
    const float* src = x + (static_cast<int64_t>(slots[r]) / k) * n;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) out[r * n + i] = src[i];
}

__global__ void scatter_rows_kernel(const float* y, int64_t n, const int32_t* slots, float* out) {
    enter_kernel();
    const int64_t r = blockIdx.x;
    float* dst = out + static_cast<int64_t>(slots[r]) * n;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = y[r * n + i];
}

// PRECOND: blockDim.x == kThreads. Strided partial sums, then a fixed tree over shared memory.
__global__ void gate_score_kernel(const float* x, const float* w, int64_t n, float* score) {
    enter_kernel();
    __shared__ float partial[kThreads];
    const int64_t t = blockIdx.x;
    float sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) sum += w[i] * x[t * n + i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
        if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) score[t] = partial[0];
}

// One thread per output element; the sum runs in the CPU op's order (ranks, then the shared expert).
__global__ void combine_kernel(const float* expert_out, const float* weights, int64_t k, const float* shared_out,
                               const float* shared_score, int64_t n, int64_t total, float* out) {
    enter_kernel();
    const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= total) return;
    const int64_t t = idx / n, i = idx % n;
    float o = 0.0f;
    for (int64_t s = 0; s < k; ++s) o += weights[t * k + s] * expert_out[(t * k + s) * n + i];
    if (shared_out != nullptr) o += 1.0f / (1.0f + expf(-shared_score[t])) * shared_out[idx];
    out[idx] = o;
}

gpuStream_t as_stream(StreamHandle s) { return static_cast<gpuStream_t>(s); }

}  // namespace

void launch_moe_gather_rows(const float* x, int64_t n, const int32_t* slots, int64_t k, int64_t n_rows, float* out,
                            StreamHandle stream) {
    if (n_rows == 0 || n == 0) return;
    launch_kernel(gather_rows_kernel, static_cast<unsigned>(n_rows), kThreads, 0, as_stream(stream), x, n, slots, k,
                  out);
    GPU_CHECK_LAUNCH();
}

void launch_moe_scatter_rows(const float* y, int64_t n, const int32_t* slots, int64_t n_rows, float* out,
                             StreamHandle stream) {
    if (n_rows == 0 || n == 0) return;
    launch_kernel(scatter_rows_kernel, static_cast<unsigned>(n_rows), kThreads, 0, as_stream(stream), y, n, slots, out);
    GPU_CHECK_LAUNCH();
}

void launch_moe_gate_score(const float* x, const float* w, int64_t n, int64_t n_tokens, float* score,
                           StreamHandle stream) {
    if (n_tokens == 0) return;
    launch_kernel(gate_score_kernel, static_cast<unsigned>(n_tokens), kThreads, 0, as_stream(stream), x, w, n, score);
    GPU_CHECK_LAUNCH();
}

void launch_moe_combine(const float* expert_out, const float* weights, int64_t k, const float* shared_out,
                        const float* shared_score, int64_t n, int64_t n_tokens, float* out, StreamHandle stream) {
    const int64_t total = n * n_tokens;
    if (total == 0) return;
    launch_kernel(combine_kernel, ceil_div(total, kThreads), kThreads, 0, as_stream(stream), expert_out, weights, k,
                  shared_out, shared_score, n, total, out);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
