#pragma once
// Shared by every kernel file: the vendor switch, the compile-time WARP_SIZE, checked runtime
// calls, warp/block reductions and 16-bit float conversions. Device code only; host callers
// include the plain-C++ launcher headers (*.cuh next to each op) instead.
#include "backend/gpu/gpu_check.h"
#include "backend/gpu/vendor/vendor.h"

#include <cstdint>
#include <utility>

// Lanes per warp (wavefront). CDNA (gfx9xx) runs wave64, RDNA and NVIDIA 32. No kernel assumes
// 32: block sizes are multiples of 64, and the host reads the device's warp size at run time
// (gpu::Device) wherever a launch shape depends on it. The host pass of HIP never runs kernels;
// its value there only has to compile.
#if defined(ROCMFORGE_HIP)
#if defined(__AMDGCN_WAVEFRONT_SIZE)
#define WARP_SIZE __AMDGCN_WAVEFRONT_SIZE
#elif defined(__HIP_DEVICE_COMPILE__)
#error "the device compiler does not define __AMDGCN_WAVEFRONT_SIZE: cannot know the wavefront size"
#else
#define WARP_SIZE 64
#endif
#else
#define WARP_SIZE 32
#endif

// Checks a runtime call; throws rocmforge::Error naming the call, file and line.
#define GPU_CHECK(call)                                                                              \
    do {                                                                                             \
        const gpuError_t gpu_check_status_ = (call);                                                 \
        if (gpu_check_status_ != gpuSuccess)                                                         \
            ::rocmforge::backend::gpu::throw_gpu_error(#call, gpuGetErrorString(gpu_check_status_), \
                                                       __FILE__, __LINE__);                          \
    } while (0)

// After a kernel launch: reports a bad launch configuration at the launch site.
#define GPU_CHECK_LAUNCH() GPU_CHECK(gpuGetLastError())

namespace rocmforge::backend::gpu {

// Every kernel of backend/gpu/ is launched through launch_kernel() and starts with enter_kernel()
// (a kernel may first load what no kernel writes, such as weights). Where launches are
// programmatic (programmatic_launches(): sm_90+, unless ROCMFORGE_GPU_PDL=0) a kernel is launched
// while the previous one runs, once all the previous one's blocks have waited: it then loads its
// weights and waits in turn. So at most two grids share the device, the running one and the next,
// and "the previous kernel has finished" implies that all earlier ones have. (Letting the next
// kernel launch before the wait chains launches: a kernel two steps ahead takes the SMs the
// running one frees first, and its blocks pile onto them: measured slower.)
bool programmatic_launches();
void set_programmatic_launches(bool on);

template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, gpuStream_t stream, Args&&... args) {
    (void)gpuLaunchKernel(programmatic_launches(), kernel, grid, block, smem, stream, std::forward<Args>(args)...);
}

__device__ __forceinline__ void enter_kernel() {
    gpu_wait_prior_grid();
    gpu_launch_next_grid();
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2) v += gpu_shfl_xor(v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2) v = fmaxf(v, gpu_shfl_xor(v, offset));
    return v;
}

// Sum over the whole block; every thread gets the result. PRECOND: blockDim.x is a multiple of
// WARP_SIZE and at most 1024; `scratch` holds 1024 / 32 floats; all threads call it.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    const int n_warps = blockDim.x / WARP_SIZE;
    v = warp_sum(v);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float total = 0.0f;
    for (int w = 0; w < n_warps; ++w) total += scratch[w];
    return total;
}

// Max over the whole block, same contract as block_sum.
__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x % WARP_SIZE, warp = threadIdx.x / WARP_SIZE;
    const int n_warps = blockDim.x / WARP_SIZE;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < n_warps; ++w) m = fmaxf(m, scratch[w]);
    return m;
}

// 16-bit floats as raw bits (the storage format of GGUF and the KV cache).
__device__ __forceinline__ float half_bits_to_float(uint16_t h) { return __half2float(__ushort_as_half(h)); }
__device__ __forceinline__ uint16_t float_to_half_bits(float f) { return __half_as_ushort(__float2half_rn(f)); }
__device__ __forceinline__ float bf16_bits_to_float(uint16_t b) { return __uint_as_float(static_cast<uint32_t>(b) << 16); }
// Round to nearest even; NaN stays NaN (same as quant::float_to_bf16 on the host).
__device__ __forceinline__ uint16_t float_to_bf16_bits(float f) {
    const uint32_t x = __float_as_uint(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

inline unsigned int ceil_div(int64_t a, int64_t b) { return static_cast<unsigned int>((a + b - 1) / b); }

}  // namespace rocmforge::backend::gpu
