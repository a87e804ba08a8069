#pragma once
// Whole-file quantization (`rocmforge quantize`): chooses an output type per tensor, converts
// rows in parallel and writes a new GGUF with the input's metadata and general.file_type set.
#include "gguf/ggml_type.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::gguf { class GgufFile; }

namespace rocmforge::model {

// Per-tensor mixes of llama.cpp's presets ("_M": some attn_v / ffn_down layers in higher precision;
// "Q2_K": attn_v, attn_output and ffn_down in q3_K, as llama.cpp's Q2_K preset does).
enum class QuantMix { None, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M };

struct QuantizeTarget {
    std::string name;       // as given, normalized: "Q4_K_M", "Q8_0", "F16"
    gguf::GgmlType base;    // type of ordinary 2-D weights
    QuantMix mix = QuantMix::None;
    uint32_t file_type = 0; // general.file_type (llama.cpp LLAMA_FTYPE numbering)
    bool pure = false;      // every 2-D weight in `base`: no mix, output projection not kept at q6_K
};

// "Q4_K_M", "q8_0", "f16", "tq2_0", ... (case-insensitive); nullopt for unknown names.
std::optional<QuantizeTarget> parse_quantize_target(std::string_view name);
// Every accepted TYPE name, for help texts.
std::vector<std::string> quantize_target_names();

struct TensorPlan {
    std::string name;
    gguf::GgmlType from;
    gguf::GgmlType to;
    std::string note;  // why `to` differs from the base type (empty when it does not)
};

// Output type of every tensor of `file`. 1-D tensors become F32; non-weight tensors keep their
// type; rows not divisible by the block size fall back to a compatible type (note says so).
std::vector<TensorPlan> plan_quantization(const gguf::GgufFile& file, const QuantizeTarget& target);

struct QuantizeOptions {
    bool allow_requantize = false;  // accept already-quantized input tensors
    int threads = 0;                // < 1: hardware concurrency
    bool progress = true;           // progress bar on stderr (TTY only)
};

struct QuantizeSummary {
    uint64_t input_bytes = 0, output_bytes = 0;  // tensor data only
    std::vector<TensorPlan> plan;
};

// Quantizes `input_path` into `output_path`. Throws rocmforge::Error naming the file / tensor
// on bad input (unknown tensor type, already quantized without allow_requantize, I/O errors).
// Warnings (type fallbacks) are logged.
QuantizeSummary quantize_model(const std::string& input_path, const std::string& output_path,
                               const QuantizeTarget& target, const QuantizeOptions& options);

}  // namespace rocmforge::model
