#include "engine/backend_select.h"

#include "backend/cpu/cpu_backend.h"
#include "util/error.h"
#include "util/log.h"

#if defined(ROCMFORGE_WITH_GPU)
#include "backend/gpu/gpu_backend.h"
#endif

namespace rocmforge::engine {

DeviceChoice parse_device(const std::string& name) {
    if (name == "auto") return DeviceChoice::Auto;
    if (name == "cpu") return DeviceChoice::Cpu;
    if (name == "gpu") return DeviceChoice::Gpu;
    throw_error("--device", "unknown device '{}' (cpu, gpu, auto)", name);
}

std::unique_ptr<backend::Backend> make_backend(int n_threads) {
    return std::make_unique<backend::cpu::CpuBackend>(resolve_thread_count(n_threads));
}

std::unique_ptr<backend::Backend> make_gpu_backend(std::string* why) {
#if defined(ROCMFORGE_WITH_GPU)
    std::string reason;
    if (backend::gpu::list_devices(&reason).empty()) {
        if (why != nullptr) *why = reason;
        return nullptr;
    }
    return std::make_unique<backend::gpu::GpuBackend>(0);
#else
    if (why != nullptr) *why = "this build has no GPU backend (configure with -DROCMFORGE_CUDA=ON or -DROCMFORGE_HIP=ON)";
    return nullptr;
#endif
}

LoadedModel load_model(const std::string& path, DeviceChoice device, int n_threads) {
    LoadedModel m;
    if (device != DeviceChoice::Cpu) {
        std::string why;
        m.backend = make_gpu_backend(&why);
        if (m.backend == nullptr && device == DeviceChoice::Gpu) throw_error("--device gpu", "no usable GPU: {}", why);
        if (m.backend != nullptr) {
            try {
                m.model = model::Model::load(path, *m.backend);
                log::info("running on {}", m.backend->description());
                return m;
            } catch (const Error& e) {
                if (device == DeviceChoice::Gpu) throw;
                why = e.what();
                m.model.reset();
                m.backend.reset();
            }
        }
        log::info("running on the CPU: {}", why);
    }
    m.backend = make_backend(n_threads);
    m.model = model::Model::load(path, *m.backend);
    return m;
}

std::vector<GpuSummary> list_gpus(std::string* why) {
    std::vector<GpuSummary> out;
#if defined(ROCMFORGE_WITH_GPU)
    for (const auto& d : backend::gpu::list_devices(why))
        out.push_back(GpuSummary{d.index, d.name, d.arch, d.vendor, d.memory_total, d.memory_free, d.multiprocessors,
                                 d.warp_size, d.runtime_version, d.driver_version});
#else
    if (why != nullptr) *why = "this build has no GPU backend (configure with -DROCMFORGE_CUDA=ON or -DROCMFORGE_HIP=ON)";
#endif
    return out;
}

double device_copy_bandwidth(backend::Backend& backend) {
#if defined(ROCMFORGE_WITH_GPU)
    if (auto* gpu = dynamic_cast<backend::gpu::GpuBackend*>(&backend))
        return backend::gpu::measure_copy_bandwidth(size_t{1} << 30, gpu->stream());
#endif
    (void)backend;
    return 0.0;
}

}  // namespace rocmforge::engine
