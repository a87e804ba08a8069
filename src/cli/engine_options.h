#pragma once
// Engine flags shared by the commands that run a model: --batch-tokens, --kv-type.
#include "gguf/ggml_type.h"
#include "tensor/tensor.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace rocmforge::cli {

void add_engine_options(CLI::App& cmd, int64_t& batch_tokens, std::string& kv_type);
// "auto" | "f32" | "f16" | "bf16" → the KV storage type; auto is f32 on the CPU (bit-identical to
// recomputed values) and f16 on the GPU. Throws rocmforge::Error naming --kv-type otherwise.
gguf::GgmlType parse_kv_type(const std::string& name, tensor::Device device);
// --device cpu|gpu|auto (engine/backend_select.h).
void add_device_option(CLI::App& cmd, std::string& device);

}  // namespace rocmforge::cli
