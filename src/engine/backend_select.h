#pragma once
// The backend a command runs on: `--device cpu|gpu|auto`. auto takes the GPU when one is usable
// (a GPU build, a driver, a device) and the model loads on it (every weight type has GPU
// kernels), else the CPU, and logs which and why.
#include "backend/backend.h"
#include "model/model.h"

#include <memory>
#include <string>
#include <vector>

namespace rocmforge::engine {

enum class DeviceChoice { Auto, Cpu, Gpu };
// "auto" | "cpu" | "gpu"; throws rocmforge::Error naming --device otherwise.
DeviceChoice parse_device(const std::string& name);

// The CPU backend; n_threads < 1: all hardware threads.
std::unique_ptr<backend::Backend> make_backend(int n_threads);
// The GPU backend on device 0, or null with *why set when none is usable (not built with
// ROCMFORGE_CUDA/ROCMFORGE_HIP, no driver, no device).
std::unique_ptr<backend::Backend> make_gpu_backend(std::string* why);

struct LoadedModel {
    std::unique_ptr<backend::Backend> backend;
    std::unique_ptr<model::Model> model;
};
// Loads `path` on the chosen device. Gpu: an error naming what is missing when no GPU is usable
// or a weight type has no GPU kernel. Auto: falls back to the CPU in those cases, with a log line.
LoadedModel load_model(const std::string& path, DeviceChoice device, int n_threads);

// A GPU as `rocmforge devices` reports it (plain data; empty lists in CPU-only builds).
struct GpuSummary {
    int index = 0;
    std::string name, arch, vendor;  // arch: "sm_90" or "gfx90a"; vendor: "CUDA" or "HIP"
    size_t memory_total = 0, memory_free = 0;  // bytes
    int multiprocessors = 0, warp_size = 0, runtime_version = 0, driver_version = 0;
};
// The usable GPUs; empty with *why set when none (no GPU build, no driver, no device).
std::vector<GpuSummary> list_gpus(std::string* why);

// Device-to-device copy bandwidth of the backend's device in GB/s (read + write), measured once
// with a 1 GiB copy; 0 on the CPU.
double device_copy_bandwidth(backend::Backend& backend);

}  // namespace rocmforge::engine
