#pragma once
// Architectures as data (DESIGN.md §3): one row per `general.architecture` value with the flags
// where graphs differ. Hyper-parameter keys are "<arch>.<suffix>" (see hparams.h); tensor names
// follow GGUF ("blk.N.attn_q.weight", see model_weights.h).
#include "backend/backend_types.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace rocmforge::model {

// The gate's activation in the gated feed-forward block: act(W_gate·x) * W_up·x.
enum class FfnActivation {
    Silu,      // SwiGLU (llama, qwen)
    GeluTanh,  // GeGLU with the tanh-approximated GELU (gemma)
};

struct ArchSpec {
    std::string_view name;                 // general.architecture
    backend::RopeStyle rope_style;         // llama stores Q/K permuted for "normal" pairs; qwen uses NeoX
    bool qkv_bias = false;                 // attn_{q,k,v}.bias present (required)
    bool qk_norm = false;                  // per-head RMSNorm of Q and K before RoPE (attn_{q,k}_norm.weight)
    double default_rms_eps = 1e-5;         // when attention.layer_norm_rms_epsilon is absent
    double default_rope_base = 10000.0;    // when rope.freq_base is absent
    FfnActivation ffn_activation = FfnActivation::Silu;
    bool embedding_scale = false;          // the embedding rows are multiplied by sqrt(n_embd) (gemma)
    // RMSNorm of each block's attention and FFN output before the residual add
    // (post_attention_norm.weight, post_ffw_norm.weight; gemma2/3).
    bool post_norms = false;
    // Sliding-window layers, when attention.sliding_window is set: 1: every layer (phi3); else
    // layer il slides when il % swa_pattern < swa_pattern - 1 (2: even layers, gemma2; 6: five of
    // six, gemma3); 0: no sliding window.
    int64_t swa_pattern = 0;
    // ffn_up.weight holds gate and up stacked, [n_embd, 2 * n_ff], gate rows first (phi3). A fused
    // attn_qkv.weight [n_embd, q_dim + 2 kv_dim] (Q, K, V rows) is read for any architecture.
    bool fused_gate_up = false;
    // Mixture of experts, when expert_count is set: ffn_gate_inp + ffn_{gate,up,down}_exps replace
    // the dense FFN. Whether the top-k weights are renormalized when expert_weights_norm is absent
    // (Mixtral, qwen3moe: yes; qwen2moe: no), and whether a shared expert (ffn_*_shexp,
    // ffn_gate_inp_shexp; qwen2moe) is required.
    bool default_expert_weights_norm = true;
    bool shared_expert = false;
    // Rope base of the sliding-window layers when rope.freq_base_swa is absent (their positions are
    // never scaled); 0: the global base and scaling.
    double default_rope_base_swa = 0.0;
    // Soft-caps when attn_logit_softcapping / final_logit_softcapping are absent; 0: none.
    double default_attn_softcap = 0.0;
    double default_final_softcap = 0.0;
    // Query scale 1/sqrt(n_embd / n_heads) instead of 1/sqrt(key_length) for models of exactly this
    // many layers (the gemma 27B layouts; no GGUF key carries it); 0: never.
    int64_t embd_query_scale_layers = 0;
};

// The row for `arch`; throws rocmforge::Error listing the supported names otherwise.
const ArchSpec& find_arch(std::string_view arch);
// "llama, qwen2, qwen3, ..."
std::string supported_arch_names();

}  // namespace rocmforge::model
