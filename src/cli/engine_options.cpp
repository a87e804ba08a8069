#include "cli/engine_options.h"

#include "util/error.h"

namespace rocmforge::cli {

void add_engine_options(CLI::App& cmd, int64_t& batch_tokens, std::string& kv_type) {
    cmd.add_option("--batch-tokens", batch_tokens, "Most tokens in one forward step (sizes the activation buffers)")
        ->capture_default_str();
    cmd.add_option("--kv-type", kv_type,
                   "KV cache storage type: auto (f32 on the CPU, f16 on the GPU), f32 (bit-identical), f16, bf16")
        ->capture_default_str();
}

void add_device_option(CLI::App& cmd, std::string& device) {
    cmd.add_option("--device", device, "Where to run: auto (the GPU when usable, else the CPU), cpu, gpu")
        ->capture_default_str();
}

gguf::GgmlType parse_kv_type(const std::string& name, tensor::Device device) {
    if (name == "auto") return device == tensor::Device::Gpu ? gguf::GgmlType::F16 : gguf::GgmlType::F32;
    if (name == "f32") return gguf::GgmlType::F32;
    if (name == "f16") return gguf::GgmlType::F16;
    if (name == "bf16") return gguf::GgmlType::BF16;
    throw_error("--kv-type", "unknown KV type '{}' (auto, f32, f16, bf16)", name);
}

}  // namespace rocmforge::cli
