#pragma once
// Hyper-parameters read from GGUF metadata "<arch>.<key>", with documented defaults:
//   attention.head_count_kv      → head_count (no GQA)
//   attention.key_length         → embedding_length / head_count
//   attention.layer_norm_rms_epsilon → ArchSpec::default_rms_eps
//   rope.freq_base               → ArchSpec::default_rope_base (10000)
//   rope.dimension_count         → key_length (rotate the whole head)
//   rope.scaling.type/factor     → none; "linear" divides positions by factor
//   context_length               → 2048
//   attention.sliding_window     → 0 (no sliding window); layers by ArchSpec::swa_pattern
//   rope.freq_base_swa           → ArchSpec::default_rope_base_swa, else rope.freq_base
//   rope.scaling.attn_factor     → 1; rope.scaling.original_context_length → none (LongRoPE)
//   attn_logit_softcapping, final_logit_softcapping → ArchSpec defaults (0 = none)
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
    // Sliding-window attention: window in positions (0: none) and the layer pattern (ArchSpec).
    int64_t sliding_window = 0;
    int64_t swa_pattern = 0;
    double rope_base_swa = 10000.0;        // rope of sliding-window layers
    double rope_freq_scale_swa = 1.0;
    double attn_softcap = 0.0;             // 0: none
    double final_softcap = 0.0;            // 0: none
    double attn_scale = 0.0;               // query scale: 1/sqrt(head_dim) unless ArchSpec says otherwise

    // LongRoPE (phi3): cos/sin scale and the original training context that picks short or long
    // factors (rope.scaling.attn_factor → 1, rope.scaling.original_context_length → 0 = none).
    // Mixture of experts (expert_count → 0 = dense FFN): experts per token, expert FFN widths
    // (expert_feed_forward_length → feed_forward_length, expert_shared_feed_forward_length →
    // feed_forward_length), top-k weight renormalization (expert_weights_norm → ArchSpec).
    int64_t n_expert = 0;
    int64_t n_expert_used = 0;
    int64_t n_ff_exp = 0;
    int64_t n_ff_shexp = 0;
    bool expert_weights_norm = false;
    double rope_attn_factor = 1.0;
    int64_t rope_original_context = 0;

    bool is_sliding(int64_t layer) const {
        if (sliding_window <= 0 || swa_pattern <= 0) return false;
        return swa_pattern == 1 || layer % swa_pattern < swa_pattern - 1;
    }
};

// Throws rocmforge::Error naming the key for missing required keys or invalid values (float keys:
// NaN, ±inf, and values <= 0 for the epsilon, the rope base and a linear scaling factor).
ModelHparams load_hparams(const gguf::GgufFile& file, const ArchSpec& spec);

}  // namespace rocmforge::model
