#include "backend/gpu/common.cuh"
#include "backend/gpu/device.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

namespace rocmforge::backend::gpu {
namespace {

gpuStream_t as_stream(StreamHandle s) { return static_cast<gpuStream_t>(s); }
gpuEvent_t as_event(EventHandle e) { return static_cast<gpuEvent_t>(e); }

std::string arch_name(const gpuDeviceProp& p) {
#if defined(ROCMFORGE_HIP)
    return p.gcnArchName;
#else
    return "sm_" + std::to_string(p.major) + std::to_string(p.minor);
#endif
}

std::atomic<bool> programmatic{false};

// Stands for every kernel of the build: they all share its compiled architectures.
__global__ void architecture_probe_kernel() {}

// Programmatic launches need the kernels' griddepcontrol instructions, which only sm_90+ code
// has: the device must run sm_90+ code of this build (not sm_80 code or PTX JIT-compiled from it).
bool device_runs_programmatic_code() {
#if defined(ROCMFORGE_HIP)
    return false;
#else
    cudaFuncAttributes attributes{};
    GPU_CHECK(cudaFuncGetAttributes(&attributes, architecture_probe_kernel));
    return attributes.binaryVersion >= 90 && attributes.ptxVersion >= 90;
#endif
}

}  // namespace

bool programmatic_launches() { return programmatic.load(std::memory_order_relaxed); }
void set_programmatic_launches(bool on) { programmatic.store(on, std::memory_order_relaxed); }

std::vector<DeviceInfo> list_devices(std::string* why) {
    std::vector<DeviceInfo> devices;
    int count = 0;
    const gpuError_t status = gpuGetDeviceCount(&count);
    if (status != gpuSuccess) {
        if (why != nullptr) *why = std::string(GPU_VENDOR_NAME " runtime: ") + gpuGetErrorString(status);
        gpuGetLastError();  // clear the sticky error of a missing driver
        return devices;
    }
    if (count == 0 && why != nullptr) *why = GPU_VENDOR_NAME " runtime found no device";
    for (int i = 0; i < count; ++i) {
        gpuDeviceProp p{};
        GPU_CHECK(gpuGetDeviceProperties(&p, i));
        DeviceInfo d;
        d.index = i;
        d.name = p.name;
        d.arch = arch_name(p);
        d.memory_total = p.totalGlobalMem;
        d.multiprocessors = p.multiProcessorCount;
        d.warp_size = p.warpSize;
        d.vendor = GPU_VENDOR_NAME;
        GPU_CHECK(gpuRuntimeGetVersion(&d.runtime_version));
        GPU_CHECK(gpuDriverGetVersion(&d.driver_version));
        GPU_CHECK(gpuSetDevice(i));
        size_t free_bytes = 0, total = 0;
        GPU_CHECK(gpuMemGetInfo(&free_bytes, &total));
        d.memory_free = free_bytes;
        devices.push_back(d);
    }
    return devices;
}

void set_device(int index) {
    GPU_CHECK(gpuSetDevice(index));
    // The runtime reserves the per-thread stack for every resident thread of the device (1 KiB by
    // default: ~260 MiB on a 132-SM H200). Our kernels need at most 40 bytes (none spills, none
    // recurses); the runtime raises the limit for a launch that needs more (cuBLAS).
    GPU_CHECK(gpuSetStackLimit(kStackBytesPerThread));
    const char* pdl = std::getenv("ROCMFORGE_GPU_PDL");  // "0": every kernel waits for the previous one
    set_programmatic_launches(device_runs_programmatic_code() && (pdl == nullptr || std::string_view(pdl) != "0"));
}

void* device_malloc(size_t bytes) {
    void* p = nullptr;
    GPU_CHECK(gpuMalloc(&p, std::max<size_t>(bytes, 1)));
    return p;
}
void device_free(void* ptr) noexcept { (void)gpuFree(ptr); }

void* pinned_malloc(size_t bytes) {
    void* p = nullptr;
    GPU_CHECK(gpuHostMalloc(&p, std::max<size_t>(bytes, 1)));
    return p;
}
void pinned_free(void* ptr) noexcept { (void)gpuHostFree(ptr); }

StreamHandle stream_create() {
    gpuStream_t s = nullptr;
    GPU_CHECK(gpuStreamCreateWithFlags(&s, gpuStreamNonBlocking));
    return s;
}
void stream_destroy(StreamHandle stream) noexcept { (void)gpuStreamDestroy(as_stream(stream)); }
void stream_sync(StreamHandle stream) { GPU_CHECK(gpuStreamSynchronize(as_stream(stream))); }

EventHandle event_create() {
    gpuEvent_t e = nullptr;
    GPU_CHECK(gpuEventCreate(&e));
    return e;
}
void event_destroy(EventHandle event) noexcept { (void)gpuEventDestroy(as_event(event)); }
void event_record(EventHandle event, StreamHandle stream) { GPU_CHECK(gpuEventRecord(as_event(event), as_stream(stream))); }
void event_sync(EventHandle event) { GPU_CHECK(gpuEventSynchronize(as_event(event))); }
void stream_begin_capture(StreamHandle stream) { GPU_CHECK(gpuStreamBeginCapture(as_stream(stream))); }
GraphHandle stream_end_capture(StreamHandle stream) {
    gpuGraph_t graph = nullptr;
    GPU_CHECK(gpuStreamEndCapture(as_stream(stream), &graph));
    gpuGraphExec_t exec = nullptr;
    const gpuError_t status = gpuGraphInstantiate(&exec, graph);
    (void)gpuGraphDestroy(graph);
    if (status != gpuSuccess) throw_gpu_error("gpuGraphInstantiate", gpuGetErrorString(status), __FILE__, __LINE__);
    return exec;
}
void graph_launch(GraphHandle graph, StreamHandle stream) {
    GPU_CHECK(gpuGraphLaunch(static_cast<gpuGraphExec_t>(graph), as_stream(stream)));
}
void graph_destroy(GraphHandle graph) noexcept { (void)gpuGraphExecDestroy(static_cast<gpuGraphExec_t>(graph)); }
float event_elapsed_ms(EventHandle start, EventHandle stop) {
    float ms = 0.0f;
    GPU_CHECK(gpuEventElapsedTime(&ms, as_event(start), as_event(stop)));
    return ms;
}

void copy_h2d_async(void* dst, const void* src, size_t bytes, StreamHandle stream) {
    GPU_CHECK(gpuMemcpyAsync(dst, src, bytes, gpuMemcpyHostToDevice, as_stream(stream)));
}
void copy_d2h_async(void* dst, const void* src, size_t bytes, StreamHandle stream) {
    GPU_CHECK(gpuMemcpyAsync(dst, src, bytes, gpuMemcpyDeviceToHost, as_stream(stream)));
}
void copy_d2d_async(void* dst, const void* src, size_t bytes, StreamHandle stream) {
    GPU_CHECK(gpuMemcpyAsync(dst, src, bytes, gpuMemcpyDeviceToDevice, as_stream(stream)));
}
void memset_async(void* dst, int value, size_t bytes, StreamHandle stream) {
    GPU_CHECK(gpuMemsetAsync(dst, value, bytes, as_stream(stream)));
}
size_t memory_free() {
    size_t free_bytes = 0, total = 0;
    GPU_CHECK(gpuMemGetInfo(&free_bytes, &total));
    return free_bytes;
}

double measure_copy_bandwidth(size_t bytes, StreamHandle stream) {
    void* a = device_malloc(bytes);
    void* b = device_malloc(bytes);
    memset_async(a, 1, bytes, stream);
    EventHandle start = event_create(), stop = event_create();
    std::vector<float> ms;
    for (int i = 0; i < 12; ++i) {
        event_record(start, stream);
        copy_d2d_async(b, a, bytes, stream);
        event_record(stop, stream);
        event_sync(stop);
        if (i >= 2) ms.push_back(event_elapsed_ms(start, stop));  // first two: warm-up
    }
    event_destroy(start);
    event_destroy(stop);
    device_free(a);
    device_free(b);
    std::sort(ms.begin(), ms.end());
    const double median_s = ms[ms.size() / 2] / 1e3;
    return 2.0 * static_cast<double>(bytes) / median_s / 1e9;
}

}  // namespace rocmforge::backend::gpu
