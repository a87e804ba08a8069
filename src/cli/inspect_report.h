#pragma once
// Builds the `rocmforge inspect` report of a GGUF file as JSON, and renders it as text.
#include "gguf/gguf_file.h"

#include <nlohmann/json.hpp>

#include <string>

namespace rocmforge::cli {

// Keys: file, gguf_version, file_size, alignment, data_offset, general{}, architecture,
// hyperparameters{}, tokenizer{}, metadata{}, tensors[], totals{}. Arrays longer than
// kArraySummaryThreshold are summarized as {type, element_type, length, head[]}.
nlohmann::ordered_json build_inspect_report(const gguf::GgufFile& file);

std::string render_inspect_text(const nlohmann::ordered_json& report);

constexpr size_t kArraySummaryThreshold = 16;
constexpr size_t kArraySummaryHead = 8;

}  // namespace rocmforge::cli
