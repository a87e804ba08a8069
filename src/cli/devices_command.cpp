// `rocmforge devices [--json]`: the GPUs this build can use (name, memory total/free, compute
// capability or gfx arch, runtime and driver versions) and the CPU (model, SIMD level, threads).
#include "cli/commands.h"
#include "engine/backend_select.h"
#include "quant/simd/simd_kernels.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

namespace rocmforge::cli {
namespace {

std::string cpu_model_name() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
            return line.substr(line.find_first_not_of(' ', line.find(':') + 1));
    return "unknown CPU";
}

// CUDA encodes 13000 as 13.0; HIP as major * 10^7 + minor * 10^5 + patch.
std::string version_text(const std::string& vendor, int v) {
    if (v <= 0) return "unknown";
    if (vendor == "HIP") return fmt::format("{}.{}.{}", v / 10000000, v / 100000 % 100, v % 100000);
    return fmt::format("{}.{}", v / 1000, v % 1000 / 10);
}

}  // namespace

void add_devices_command(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("devices", "List the GPUs this build can use and the CPU");
    cmd->add_flag("--json", *json, "Print one JSON object");
    cmd->callback([json] {
        std::string why;
        const auto gpus = engine::list_gpus(&why);
        const std::string cpu = cpu_model_name(), simd = quant::simd::current_target_name();
        const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
        if (*json) {
            nlohmann::ordered_json j;
            j["gpus"] = nlohmann::json::array();
            for (const auto& g : gpus)
                j["gpus"].push_back({{"index", g.index}, {"name", g.name}, {"arch", g.arch}, {"vendor", g.vendor},
                                     {"memory_total", g.memory_total}, {"memory_free", g.memory_free},
                                     {"multiprocessors", g.multiprocessors}, {"warp_size", g.warp_size},
                                     {"runtime_version", version_text(g.vendor, g.runtime_version)},
                                     {"driver_version", version_text(g.vendor, g.driver_version)}});
            if (gpus.empty()) j["gpu_unavailable"] = why;
            j["cpu"] = {{"name", cpu}, {"simd", simd}, {"threads", threads}};
            std::printf("%s\n", j.dump().c_str());
            return;
        }
        if (gpus.empty()) std::printf("GPU: none usable (%s)\n", why.c_str());
        for (const auto& g : gpus)
            std::printf("%s", fmt::format("GPU {}: {} ({}, {} {}), {:.1f} GiB total, {:.1f} GiB free, {} "
                                          "multiprocessors, warp {}, driver {}\n",
                                          g.index, g.name, g.arch, g.vendor, version_text(g.vendor, g.runtime_version),
                                          static_cast<double>(g.memory_total) / (1ull << 30),
                                          static_cast<double>(g.memory_free) / (1ull << 30), g.multiprocessors,
                                          g.warp_size, version_text(g.vendor, g.driver_version)).c_str());
        std::printf("%s", fmt::format("CPU: {} ({}, {} threads)\n", cpu, simd, threads).c_str());
    });
}

}  // namespace rocmforge::cli
