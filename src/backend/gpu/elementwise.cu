#include "backend/gpu/q8_block.cuh"
#include "backend/gpu/elementwise.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* y, const float* x, int64_t n) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) y[i] += x[i];
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t n, int64_t total) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < total) y[i] += bias[i % n];
}

__device__ __forceinline__ float silu_times(float g, float u) { return g / (1.0f + expf(-g)) * u; }

__device__ __forceinline__ float gelu_tanh_times(float g, float u) {
    return 0.5f * g * (1.0f + tanhf(0.7978845608028654f * (g + 0.044715f * g * g * g))) * u;
}

// out[i] = act(gate[i], up[i]); with q8 non-null also its int8 blocks (all threads reach the
// shuffles of store_q8 before any leaves).
template <float (*act)(float, float)>
__global__ void gated_kernel(const float* gate, const float* up, float* out, int64_t n, int8_t* q8, float* scales) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    const float value = i < n ? act(gate[i], up[i]) : 0.0f;
    if (i < n) out[i] = value;
    if (q8 != nullptr) store_q8(value, i, i < n, q8, scales);
}

__global__ void scale_kernel(float* x, float factor, int64_t n) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] *= factor;
}

__global__ void softcap_kernel(float* x, float cap, int64_t n) {
    enter_kernel();
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) x[i] = cap * tanhf(x[i] * (1.0f / cap));
}

gpuStream_t as_stream(StreamHandle s) { return static_cast<gpuStream_t>(s); }

}  // namespace

void launch_add(float* y, const float* x, int64_t n, StreamHandle stream) {
    if (n == 0) return;
    launch_kernel(add_kernel, ceil_div(n, kThreads), kThreads, 0, as_stream(stream), y, x, n);
    GPU_CHECK_LAUNCH();
}

void launch_add_bias(float* y, const float* bias, int64_t n, int64_t n_rows, StreamHandle stream) {
    if (n * n_rows == 0) return;
    launch_kernel(add_bias_kernel, ceil_div(n * n_rows, kThreads), kThreads, 0, as_stream(stream), y, bias, n,
                  n * n_rows);
    GPU_CHECK_LAUNCH();
}

void launch_swiglu(const float* gate, const float* up, float* out, int64_t n, StreamHandle stream, int8_t* q8,
                   float* q8_scales) {
    if (n == 0) return;
    launch_kernel(gated_kernel<silu_times>, ceil_div(n, kThreads), kThreads, 0, as_stream(stream), gate, up, out, n, q8,
                  q8_scales);
    GPU_CHECK_LAUNCH();
}

void launch_geglu(const float* gate, const float* up, float* out, int64_t n, StreamHandle stream, int8_t* q8,
                  float* q8_scales) {
    if (n == 0) return;
    launch_kernel(gated_kernel<gelu_tanh_times>, ceil_div(n, kThreads), kThreads, 0, as_stream(stream), gate, up, out,
                  n, q8, q8_scales);
    GPU_CHECK_LAUNCH();
}

void launch_scale(float* x, float factor, int64_t n, StreamHandle stream) {
    if (n == 0) return;
    launch_kernel(scale_kernel, ceil_div(n, kThreads), kThreads, 0, as_stream(stream), x, factor, n);
    GPU_CHECK_LAUNCH();
}

void launch_softcap(float* x, float cap, int64_t n, StreamHandle stream) {
    if (n == 0) return;
    launch_kernel(softcap_kernel, ceil_div(n, kThreads), kThreads, 0, as_stream(stream), x, cap, n);
    GPU_CHECK_LAUNCH();
}

}  // namespace rocmforge::backend::gpu
