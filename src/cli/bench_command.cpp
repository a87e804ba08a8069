// `rocmforge bench -m MODEL [-p 512] [-n 128] [-r 5] [-t T] [--json]`: prompt processing and
// generation throughput (engine/bench.h), printed as a llama-bench style table or one JSON object.
#include "cli/commands.h"
#include "backend/cpu/cpu_backend.h"
#include "engine/backend_select.h"
#include "cli/engine_options.h"
#include "engine/bench.h"
#include "model/model.h"
#include "quant/simd_dispatch.h"
#include "util/memory_bandwidth.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

namespace rocmforge::cli {
namespace {

std::string cpu_name() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return "unknown CPU";
}

// The type most of the weight bytes are stored in, e.g. "Q4_K" for a Q4_K_M file.
std::string dominant_type(const model::Model& model) {
    std::map<std::string, uint64_t> bytes;
    for (const auto& t : model.file().tensors()) bytes[std::string(gguf::ggml_type_name(t.type))] += t.n_bytes;
    std::string best;
    uint64_t most = 0;
    for (const auto& [name, n] : bytes)
        if (n > most) most = n, best = name;
    return best;
}

}  // namespace

void add_bench_command(CLI::App& app) {
    struct Options {
        std::string model_path;
        engine::BenchOptions bench;
        int threads = 0;
        std::string device = "auto";
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed");
    cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
    cmd->add_option("-p,--n-prompt", o->bench.n_prompt, "Prompt tokens per pp run (0 skips)")->capture_default_str();
    cmd->add_option("-n,--n-gen", o->bench.n_gen, "Generated tokens per tg run (0 skips)")->capture_default_str();
    cmd->add_option("-r,--repetitions", o->bench.repetitions, "Repetitions")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (default: all cores)");
    cmd->add_option("--batch", o->bench.batch,
                    "B sequences decoding together (each prefilled with -p tokens, greedy): aggregate decode tokens/s "
                    "instead of pp/tg");
    add_device_option(*cmd, o->device);
    cmd->add_flag("--json", o->json, "Print one JSON object");
    cmd->callback([o] {
        auto loaded = engine::load_model(o->model_path, engine::parse_device(o->device), o->threads);
        auto& backend = loaded.backend;
        auto& model = loaded.model;
        const auto r = engine::run_bench(*model, o->bench);
        const bool on_gpu = backend->device() == tensor::Device::Gpu;
        auto* cpu = dynamic_cast<backend::cpu::CpuBackend*>(backend.get());
        const int n_threads = cpu != nullptr ? cpu->pool().size() : 1;
        // The ceiling decode is judged by: the GPU's measured copy bandwidth, or the CPU's measured
        // read bandwidth with the same threads (a buffer far larger than any cache).
        const double copy_gb_s = on_gpu ? engine::device_copy_bandwidth(*backend) : 0.0;
        const double read_gb_s =
            cpu != nullptr && o->bench.n_gen > 0 ? measure_read_bandwidth(cpu->pool(), size_t{512} << 20, 5) : 0.0;
        const double ceiling_gb_s = on_gpu ? copy_gb_s : read_gb_s;
        const double bw_share = ceiling_gb_s > 0 ? 100.0 * r.tg_gb_s / ceiling_gb_s : 0.0;
        const std::string simd = cpu != nullptr ? quant::simd::active_target_name() : "";
        const std::string name = std::filesystem::path(o->model_path).filename().string();
        const std::string device = on_gpu ? "GPU: " + backend->description() : "CPU: " + cpu_name() + " (" + simd + ")";
        const std::string type = dominant_type(*model);
        if (o->bench.batch > 0) {
            if (o->json) {
                nlohmann::ordered_json j;
                j["model"] = name, j["type"] = type, j["device"] = device, j["threads"] = n_threads;
                j["n_prompt"] = o->bench.n_prompt, j["n_gen"] = o->bench.n_gen, j["batch"] = o->bench.batch;
                j["repetitions"] = o->bench.repetitions;
                j["batch_tg_tok_s"] = r.batch_tg_tok_s, j["batch_tg_tok_s_sd"] = r.batch_tg_tok_s_sd;
                std::printf("%s\n", j.dump().c_str());
                return;
            }
            std::printf("| model | type | device | threads | test | aggregate t/s |\n|---|---|---|---|---|---|\n");
            std::printf("%s", fmt::format("| {} | {} | {} | {} | pp{}+tg{} x{} | {:.2f} ± {:.2f} |\n", name, type, device,
                                          n_threads, std::max<int64_t>(o->bench.n_prompt, 1), o->bench.n_gen,
                                          o->bench.batch, r.batch_tg_tok_s, r.batch_tg_tok_s_sd).c_str());
            return;
        }
        if (o->json) {
            nlohmann::ordered_json j;
            j["model"] = name;
            j["type"] = type;
            j["device"] = device;
            j["threads"] = n_threads;
            j["n_prompt"] = o->bench.n_prompt;
            j["n_gen"] = o->bench.n_gen;
            j["repetitions"] = o->bench.repetitions;
            j["pp_tok_s"] = r.pp_tok_s;
            j["pp_tok_s_sd"] = r.pp_tok_s_sd;
            j["tg_tok_s"] = r.tg_tok_s;
            j["tg_tok_s_sd"] = r.tg_tok_s_sd;
            j["tg_gb_s"] = r.tg_gb_s;
            if (on_gpu) j["copy_gb_s"] = copy_gb_s;
            if (cpu != nullptr) {
                j["simd"] = simd;
                j["read_gb_s"] = read_gb_s;
            }
            if (ceiling_gb_s > 0) j["tg_bandwidth_pct"] = bw_share;
            j["weight_bytes"] = model->weights().matrix_bytes;
            std::printf("%s\n", j.dump().c_str());
            return;
        }
        std::printf("| model | type | device | threads | test | t/s | GB/s |\n|---|---|---|---|---|---|---|\n");
        if (o->bench.n_prompt > 0)
            std::printf("%s", fmt::format("| {} | {} | {} | {} | pp{} | {:.2f} ± {:.2f} | |\n", name, type, device,
                                          n_threads, o->bench.n_prompt, r.pp_tok_s, r.pp_tok_s_sd).c_str());
        if (o->bench.n_gen > 0)
            std::printf("%s", fmt::format("| {} | {} | {} | {} | tg{} | {:.2f} ± {:.2f} | {:.2f} |\n", name, type, device,
                                          n_threads, o->bench.n_gen, r.tg_tok_s, r.tg_tok_s_sd, r.tg_gb_s).c_str());
        if (on_gpu && o->bench.n_gen > 0)
            std::printf("%s", fmt::format("tg: {:.1f} GB/s of weights = {:.1f}% of the measured device copy bandwidth "
                                          "({:.0f} GB/s, read + write)\n", r.tg_gb_s, bw_share, copy_gb_s).c_str());
        if (!on_gpu && o->bench.n_gen > 0)
            std::printf("%s", fmt::format("tg: {:.2f} GB/s of weights = {:.1f}% of the measured read bandwidth "
                                          "({:.1f} GB/s, {} threads); SIMD {}\n", r.tg_gb_s, bw_share, read_gb_s,
                                          n_threads, simd).c_str());
    });
}

}  // namespace rocmforge::cli
