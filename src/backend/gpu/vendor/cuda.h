#pragma once
// CUDA names behind the vendor-neutral gpu* aliases used by every file of backend/gpu/.
// Chosen by vendor.h when ROCMFORGE_HIP is not defined.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <utility>

#define GPU_VENDOR_NAME "CUDA"

using gpuError_t = cudaError_t;
using gpuStream_t = cudaStream_t;
using gpuEvent_t = cudaEvent_t;
using gpuDeviceProp = cudaDeviceProp;

#define gpuSuccess cudaSuccess
#define gpuGetErrorString cudaGetErrorString
#define gpuGetLastError cudaGetLastError
#define gpuGetDeviceCount cudaGetDeviceCount
#define gpuGetDeviceProperties cudaGetDeviceProperties
#define gpuSetDevice cudaSetDevice
inline cudaError_t gpuSetStackLimit(size_t bytes) { return cudaDeviceSetLimit(cudaLimitStackSize, bytes); }
#define gpuMemGetInfo cudaMemGetInfo
#define gpuRuntimeGetVersion cudaRuntimeGetVersion
#define gpuDriverGetVersion cudaDriverGetVersion
#define gpuMalloc cudaMalloc
#define gpuFree cudaFree
#define gpuHostMalloc(ptr, bytes) cudaMallocHost(ptr, bytes)
#define gpuHostFree cudaFreeHost
#define gpuMemcpyAsync cudaMemcpyAsync
#define gpuMemsetAsync cudaMemsetAsync
#define gpuMemcpyHostToDevice cudaMemcpyHostToDevice
#define gpuMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define gpuMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define gpuStreamCreateWithFlags cudaStreamCreateWithFlags
#define gpuStreamNonBlocking cudaStreamNonBlocking
#define gpuStreamDestroy cudaStreamDestroy
#define gpuStreamSynchronize cudaStreamSynchronize
#define gpuEventCreate cudaEventCreate
#define gpuEventDestroy cudaEventDestroy
#define gpuEventRecord cudaEventRecord
#define gpuEventSynchronize cudaEventSynchronize
#define gpuEventElapsedTime cudaEventElapsedTime
#define gpuDeviceSynchronize cudaDeviceSynchronize
using gpuGraph_t = cudaGraph_t;
using gpuGraphExec_t = cudaGraphExec_t;
#define gpuStreamBeginCapture(stream) cudaStreamBeginCapture(stream, cudaStreamCaptureModeRelaxed)
#define gpuStreamEndCapture cudaStreamEndCapture
#define gpuGraphInstantiate(exec, graph) cudaGraphInstantiate(exec, graph, 0)
#define gpuGraphLaunch cudaGraphLaunch
#define gpuGraphDestroy cudaGraphDestroy
#define gpuGraphExecDestroy cudaGraphExecDestroy

// Warp shuffle over all lanes of the warp (WARP_SIZE lanes).
#define gpu_shfl_xor(value, mask) __shfl_xor_sync(0xffffffffu, value, mask)
#define gpu_shfl(value, src_lane) __shfl_sync(0xffffffffu, value, src_lane)

// c + Σ a.byte[j] * b.byte[j] over the 4 signed bytes of a and b (one instruction on sm_61+).
#if defined(__CUDACC__)
__device__ __forceinline__ int gpu_dp4a(int a, int b, int c) { return __dp4a(a, b, c); }
#endif

// Programmatic dependent launch (sm_90+). A kernel launched with `programmatic` may start while
// the stream's previous kernel still runs: before touching global memory that kernel writes or
// reads it must call gpu_wait_prior_grid() (which returns once that kernel has finished and its
// writes are visible). gpu_launch_next_grid() lets the stream's next kernel start before this one
// ends. Both compile to nothing below sm_90, where launches are plain.
#if defined(__CUDACC__)
__device__ __forceinline__ void gpu_wait_prior_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void gpu_launch_next_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;");
#endif
}

// kernel<<<grid, block, smem, stream>>>(args...), programmatic if asked. The status is also the
// runtime's last error (GPU_CHECK_LAUNCH at the call site reports it).
template <typename... Params, typename... Args>
cudaError_t gpuLaunchKernel(bool programmatic, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                            cudaStream_t stream, Args&&... args) {
    cudaLaunchAttribute attribute{};
    attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute.val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config{};
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = smem;
    config.stream = stream;
    config.attrs = &attribute;
    config.numAttrs = programmatic ? 1 : 0;
    return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}
#endif
