#pragma once
// HIP (ROCm) names behind the vendor-neutral gpu* aliases used by every file of backend/gpu/.
// Chosen by vendor.h when ROCMFORGE_HIP is defined. Written against ROCm 5.2 (Debian's hipcc).
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>

#include <utility>

#define GPU_VENDOR_NAME "HIP"

using gpuError_t = hipError_t;
using gpuStream_t = hipStream_t;
using gpuEvent_t = hipEvent_t;
using gpuDeviceProp = hipDeviceProp_t;

#define gpuSuccess hipSuccess
#define gpuGetErrorString hipGetErrorString
#define gpuGetLastError hipGetLastError
#define gpuGetDeviceCount hipGetDeviceCount
#define gpuGetDeviceProperties hipGetDeviceProperties
#define gpuSetDevice hipSetDevice
// ROCm 5.2 has no stack-size limit (hipLimitStackSize came later; scratch is sized per launch).
inline hipError_t gpuSetStackLimit(size_t) { return hipSuccess; }
#define gpuMemGetInfo hipMemGetInfo
#define gpuRuntimeGetVersion hipRuntimeGetVersion
#define gpuDriverGetVersion hipDriverGetVersion
#define gpuMalloc hipMalloc
#define gpuFree hipFree
#define gpuHostMalloc(ptr, bytes) hipHostMalloc(ptr, bytes, hipHostMallocDefault)
#define gpuHostFree hipHostFree
#define gpuMemcpyAsync hipMemcpyAsync
#define gpuMemsetAsync hipMemsetAsync
#define gpuMemcpyHostToDevice hipMemcpyHostToDevice
#define gpuMemcpyDeviceToHost hipMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define gpuStreamCreateWithFlags hipStreamCreateWithFlags
#define gpuStreamNonBlocking hipStreamNonBlocking
#define gpuStreamDestroy hipStreamDestroy
#define gpuStreamSynchronize hipStreamSynchronize
#define gpuEventCreate hipEventCreate
#define gpuEventDestroy hipEventDestroy
#define gpuEventRecord hipEventRecord
#define gpuEventSynchronize hipEventSynchronize
#define gpuEventElapsedTime hipEventElapsedTime
#define gpuDeviceSynchronize hipDeviceSynchronize
using gpuGraph_t = hipGraph_t;
using gpuGraphExec_t = hipGraphExec_t;
#define gpuStreamBeginCapture(stream) hipStreamBeginCapture(stream, hipStreamCaptureModeRelaxed)
#define gpuStreamEndCapture hipStreamEndCapture
#define gpuGraphInstantiate(exec, graph) hipGraphInstantiate(exec, graph, nullptr, nullptr, 0)
#define gpuGraphLaunch hipGraphLaunch
#define gpuGraphDestroy hipGraphDestroy
#define gpuGraphExecDestroy hipGraphExecDestroy

// Warp shuffle over all lanes of the wavefront (WARP_SIZE lanes; HIP shuffles take no mask).
#define gpu_shfl_xor(value, mask) __shfl_xor(value, mask)
#define gpu_shfl(value, src_lane) __shfl(value, src_lane)

// c + Σ a.byte[j] * b.byte[j] over the 4 signed bytes of a and b: v_dot4_i32_i8 where the ISA has
// it (ockl emulates it elsewhere).
#if defined(__HIPCC__)
__device__ __forceinline__ int gpu_dp4a(int a, int b, int c) {
    using Char4 = char __attribute__((ext_vector_type(4)));
    return __ockl_sdot4(__builtin_bit_cast(Char4, a), __builtin_bit_cast(Char4, b), c, false);
}
#endif

// No programmatic dependent launch on HIP: every launch waits for the previous kernel, the two
// device calls are empty (see vendor/cuda.h for the contract).
#if defined(__HIPCC__)
__device__ __forceinline__ void gpu_wait_prior_grid() {}
__device__ __forceinline__ void gpu_launch_next_grid() {}

template <typename... Params, typename... Args>
hipError_t gpuLaunchKernel(bool, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, hipStream_t stream,
                           Args&&... args) {
    kernel<<<grid, block, smem, stream>>>(std::forward<Args>(args)...);
    return hipPeekAtLastError();
}
#endif
