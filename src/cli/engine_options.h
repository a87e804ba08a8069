#pragma once
// Engine flags shared by the commands that run a model: --batch-tokens, --kv-type.
#include "gguf/ggml_type.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace rocmforge::cli {

void add_engine_options(CLI::App& cmd, int64_t& batch_tokens, std::string& kv_type);
// "f32" | "f16" | "bf16" → the KV storage type. Throws rocmforge::Error naming --kv-type otherwise.
gguf::GgmlType parse_kv_type(const std::string& name);

}  // namespace rocmforge::cli
