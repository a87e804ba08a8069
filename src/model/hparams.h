#pragma once
// Hyper-parameters read from GGUF metadata "<arch>.<key>", with documented defaults:
//   attention.head_count_kv      → head_count (no GQA)
//   attention.key_length         → embedding_length / head_count
//   attention.layer_norm_rms_epsilon → ArchSpec::default_rms_eps
//   rope.freq_base               → ArchSpec::default_rope_base (10000)
//   rope.dimension_count         → key_length (rotate the whole head)
//   rope.scaling.type/factor     → none; "linear" divides positions by factor
//   context_length               → 2048
//   vocab size                   → rows of token_embd.weight
#include "gguf/gguf_file.h"
#include "model/arch_table.h"

#include <cstdint>
#include <string>

namespace rocmforge::model {

struct ModelHparams {
    std::string arch;
    int64_t n_vocab = 0;
    int64_t n_ctx_train = 2048;
    int64_t n_embd = 0;
    int64_t n_layers = 0;
    int64_t n_ff = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    int64_t n_rot = 0;
    double rms_eps = 1e-5;
    double rope_base = 10000.0;
    double rope_freq_scale = 1.0;
};

// Throws rocmforge::Error naming the key for missing required keys or invalid values (float keys:
// NaN, ±inf, and values <= 0 for the epsilon, the rope base and a linear scaling factor).
ModelHparams load_hparams(const gguf::GgufFile& file, const ArchSpec& spec);

}  // namespace rocmforge::model
