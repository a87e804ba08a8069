#include "model/arch_table.h"

#include "util/error.h"

#include <array>

namespace rocmforge::model {
namespace {

using backend::RopeStyle;

// Defaults follow the reference implementations (HF config defaults / llama.cpp loaders).
constexpr std::array kArchTable{
    ArchSpec{.name = "llama", .rope_style = RopeStyle::Normal},
    ArchSpec{.name = "qwen2", .rope_style = RopeStyle::Neox, .qkv_bias = true, .default_rms_eps = 1e-6},
    ArchSpec{.name = "qwen3", .rope_style = RopeStyle::Neox, .qk_norm = true, .default_rms_eps = 1e-6},
    ArchSpec{.name = "qwen2moe",
             .rope_style = RopeStyle::Neox,
             .qkv_bias = true,
             .default_rms_eps = 1e-6,
             .default_expert_weights_norm = false,
             .shared_expert = true},
    ArchSpec{.name = "qwen3moe", .rope_style = RopeStyle::Neox, .qk_norm = true, .default_rms_eps = 1e-6},
    // GLM-4 (ChatGLMModel / GlmForCausalLM): QKV bias (fused attn_qkv + bias, or separate), fused
    // gate-up, rope on the first rope.dimension_count dims of each head in adjacent pairs.
    ArchSpec{.name = "chatglm", .rope_style = RopeStyle::Normal, .qkv_bias = true, .fused_gate_up = true},
    // LongRoPE (rope_factors_long/short) and the sliding window (all layers) come from the file.
    ArchSpec{.name = "phi3", .rope_style = RopeStyle::Neox, .swa_pattern = 1, .fused_gate_up = true},
    // Gemma's RMSNorm multiplies by (1 + w); the GGUF converter stores 1 + w, so plain RMSNorm here.
    ArchSpec{.name = "gemma2",
             .rope_style = RopeStyle::Neox,
             .default_rms_eps = 1e-6,
             .ffn_activation = FfnActivation::GeluTanh,
             .embedding_scale = true,
             .post_norms = true,
             .swa_pattern = 2,
             .default_attn_softcap = 50.0,
             .default_final_softcap = 30.0,
             .embd_query_scale_layers = 46},
    ArchSpec{.name = "gemma3",
             .rope_style = RopeStyle::Neox,
             .qk_norm = true,
             .default_rms_eps = 1e-6,
             .default_rope_base = 1000000.0,
             .ffn_activation = FfnActivation::GeluTanh,
             .embedding_scale = true,
             .post_norms = true,
             .swa_pattern = 6,
             .default_rope_base_swa = 10000.0,
             .embd_query_scale_layers = 62},
};

}  // namespace

const ArchSpec& find_arch(std::string_view arch) {
    for (const auto& spec : kArchTable)
        if (spec.name == arch) return spec;
    throw_error("general.architecture", "unsupported architecture '{}' (supported: {})", arch, supported_arch_names());
}

std::string supported_arch_names() {
    std::string names;
    for (const auto& spec : kArchTable) names += (names.empty() ? "" : ", ") + std::string(spec.name);
    return names;
}

}  // namespace rocmforge::model
