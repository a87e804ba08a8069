#pragma once
// Architectures as data (DESIGN.md §3): one row per `general.architecture` value with the flags
// where graphs differ. Hyper-parameter keys are "<arch>.<suffix>" (see hparams.h); tensor names
// follow GGUF ("blk.N.attn_q.weight", see tensor_names.h).
#include "backend/backend_types.h"

#include <string>
#include <string_view>

namespace rocmforge::model {

struct ArchSpec {
    std::string_view name;                 // general.architecture
    backend::RopeStyle rope_style;         // llama stores Q/K permuted for "normal" pairs; qwen uses NeoX
    bool qkv_bias;                         // attn_{q,k,v}.bias present (required)
    bool qk_norm;                          // per-head RMSNorm of Q and K before RoPE (attn_{q,k}_norm.weight)
    double default_rms_eps;                // when attention.layer_norm_rms_epsilon is absent
    double default_rope_base;              // when rope.freq_base is absent
};

// The row for `arch`; throws rocmforge::Error listing the supported names otherwise.
const ArchSpec& find_arch(std::string_view arch);
// "llama, qwen2, qwen3"
std::string supported_arch_names();

}  // namespace rocmforge::model
