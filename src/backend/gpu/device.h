#pragma once
// The GPU runtime seen from plain C++ (no vendor headers): discovery, memory, streams, events,
// copies. Every call is checked and throws rocmforge::Error naming the call, file and line.
// Implemented in device.cu for CUDA and HIP alike.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::backend::gpu {

struct DeviceInfo {
    int index = 0;
    std::string name;            // "NVIDIA H200"
    std::string arch;            // "sm_90" or "gfx90a"
    size_t memory_total = 0;     // bytes
    size_t memory_free = 0;      // bytes, when queried
    int multiprocessors = 0;     // SMs / CUs
    int warp_size = 32;          // 32, or 64 on CDNA
    int runtime_version = 0;     // vendor encoding (CUDA 13000 = 13.0)
    int driver_version = 0;
    std::string vendor;          // "CUDA" or "HIP"
};

// The usable devices; empty (with `why` set) when there is no driver or no device.
std::vector<DeviceInfo> list_devices(std::string* why);

// Opaque runtime handles.
using StreamHandle = void*;
using EventHandle = void*;

// Per-thread stack the device reserves at set_device (grown by the runtime for a kernel that
// needs more).
constexpr size_t kStackBytesPerThread = 256;
// Makes `index` the calling thread's device and sets its stack limit.
void set_device(int index);
void* device_malloc(size_t bytes);
void device_free(void* ptr) noexcept;
void* pinned_malloc(size_t bytes);
void pinned_free(void* ptr) noexcept;

StreamHandle stream_create();
void stream_destroy(StreamHandle stream) noexcept;
void stream_sync(StreamHandle stream);
EventHandle event_create();
void event_destroy(EventHandle event) noexcept;
void event_record(EventHandle event, StreamHandle stream);
void event_sync(EventHandle event);
// Graphs: the work issued on `stream` between begin_capture and end_capture is recorded, not
// run; end_capture returns it instantiated, and graph_launch replays it (same kernels, same
// arguments and pointers) on a stream.
using GraphHandle = void*;
void stream_begin_capture(StreamHandle stream);
GraphHandle stream_end_capture(StreamHandle stream);
void graph_launch(GraphHandle graph, StreamHandle stream);
void graph_destroy(GraphHandle graph) noexcept;
// Milliseconds between two recorded and completed events.
float event_elapsed_ms(EventHandle start, EventHandle stop);

void copy_h2d_async(void* dst, const void* src, size_t bytes, StreamHandle stream);
void copy_d2h_async(void* dst, const void* src, size_t bytes, StreamHandle stream);
void copy_d2d_async(void* dst, const void* src, size_t bytes, StreamHandle stream);
void memset_async(void* dst, int value, size_t bytes, StreamHandle stream);
// Bytes free on the current device.
size_t memory_free();

// Device-to-device copy bandwidth in GB/s (bytes read + bytes written per second), the
// median of several copies of `bytes` after a warm-up. The ceiling that decode speed is judged by.
double measure_copy_bandwidth(size_t bytes, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
