#pragma once
// The backend a command runs on: `--device cpu|gpu|auto`. auto takes the GPU when one is usable
// (a GPU build, a driver, a device) and the model loads on it (every weight type has GPU
// kernels), else the CPU, and logs which and why.
#include "backend/backend.h"
#include "model/model.h"

#include <memory>
#include <string>

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

// Device-to-device copy bandwidth of the backend's device in GB/s (read + write), measured once
// with a 1 GiB copy; 0 on the CPU.
double device_copy_bandwidth(backend::Backend& backend);

}  // namespace rocmforge::engine
