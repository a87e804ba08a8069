#include "model/hparams.h"

#include "util/error.h"

#include <cmath>
#include <optional>

namespace rocmforge::model {
namespace {

int64_t required_int(const gguf::GgufFile& file, const std::string& key) {
    const auto value = file.get_int(key);
    if (!value) throw_error(file.name(), "missing required metadata key '{}'", key);
    if (*value <= 0) throw_error(file.name(), "metadata key '{}' must be positive, got {}", key, *value);
    return *value;
}

int64_t optional_positive_int(const gguf::GgufFile& file, const std::string& key, int64_t fallback) {
    const auto value = file.get_int(key);
    if (!value) return fallback;
    if (*value <= 0) throw_error(file.name(), "metadata key '{}' must be positive, got {}", key, *value);
    return *value;
}

// Value of the float key `key`, nullopt when absent. NaN and ±inf are errors, and so are values <= 0
// when `positive` (epsilon, rope base, scaling factor: zero or negative values turn the forward
// pass's square roots, powers and divisions into NaN or inf).
std::optional<double> optional_float(const gguf::GgufFile& file, const std::string& key, bool positive) {
    const auto value = file.get_float(key);
    if (value && (!std::isfinite(*value) || (positive && !(*value > 0))))
        throw_error(file.name(), "{} is {} (must be a finite{} number)", key, *value, positive ? " positive" : "");
    return value;
}

}  // namespace

ModelHparams load_hparams(const gguf::GgufFile& file, const ArchSpec& spec) {
    const std::string p = std::string(spec.name) + ".";
    ModelHparams h;
    h.arch = spec.name;
    h.n_embd = required_int(file, p + "embedding_length");
    h.n_layers = required_int(file, p + "block_count");
    h.n_ff = required_int(file, p + "feed_forward_length");
    h.n_heads = required_int(file, p + "attention.head_count");
    h.n_kv_heads = optional_positive_int(file, p + "attention.head_count_kv", h.n_heads);
    h.n_ctx_train = optional_positive_int(file, p + "context_length", 2048);
    if (h.n_heads % h.n_kv_heads != 0)
        throw_error(file.name(), "'{}attention.head_count' ({}) is not a multiple of 'head_count_kv' ({})", p,
                    h.n_heads, h.n_kv_heads);
    if (h.n_embd % h.n_heads != 0 && !file.get_int(p + "attention.key_length"))
        throw_error(file.name(), "'{}embedding_length' ({}) is not a multiple of the head count ({})", p, h.n_embd,
                    h.n_heads);
    h.head_dim = optional_positive_int(file, p + "attention.key_length", h.n_embd / h.n_heads);
    const int64_t value_length = optional_positive_int(file, p + "attention.value_length", h.head_dim);
    if (value_length != h.head_dim)
        throw_error(file.name(), "'{}attention.value_length' ({}) differs from key_length ({}): not supported", p,
                    value_length, h.head_dim);
    h.n_rot = optional_positive_int(file, p + "rope.dimension_count", h.head_dim);
    if (h.n_rot > h.head_dim || h.n_rot % 2 != 0)
        throw_error(file.name(), "'{}rope.dimension_count' ({}) must be even and <= head dim {}", p, h.n_rot,
                    h.head_dim);
    h.rms_eps = optional_float(file, p + "attention.layer_norm_rms_epsilon", true).value_or(spec.default_rms_eps);
    h.rope_base = optional_float(file, p + "rope.freq_base", true).value_or(spec.default_rope_base);
    const auto scaling_type = file.get_string(p + "rope.scaling.type").value_or("none");
    // Only linear scaling divides by the factor, so only there must it be positive: other types
    // leave it unused, and llama.cpp reads 0 as "not set".
    const bool linear = scaling_type == "linear";
    const double scaling_factor = optional_float(file, p + "rope.scaling.factor", linear).value_or(1.0);
    if (linear) {
        h.rope_freq_scale = 1.0 / scaling_factor;
    } else if (scaling_type != "none" && scaling_type != "llama3") {
        // llama3 scaling is carried by the rope_freqs.weight tensor (frequency factors).
        throw_error(file.name(), "'{}rope.scaling.type' = '{}' is not supported (none, linear, llama3)", p,
                    scaling_type);
    }

    h.n_expert = file.get_int(p + "expert_count").value_or(0);
    if (h.n_expert < 0) throw_error(file.name(), "'{}expert_count' must not be negative, got {}", p, h.n_expert);
    if (h.n_expert > 0) {
        h.n_expert_used = required_int(file, p + "expert_used_count");
        if (h.n_expert_used > h.n_expert)
            throw_error(file.name(), "'{}expert_used_count' ({}) exceeds expert_count ({})", p, h.n_expert_used,
                        h.n_expert);
        h.n_ff_exp = optional_positive_int(file, p + "expert_feed_forward_length", h.n_ff);
        h.n_ff_shexp = optional_positive_int(file, p + "expert_shared_feed_forward_length", h.n_ff);
        h.expert_weights_norm = file.get_bool(p + "expert_weights_norm").value_or(spec.default_expert_weights_norm);
    }
    h.rope_attn_factor = optional_float(file, p + "rope.scaling.attn_factor", true).value_or(1.0);
    h.rope_original_context = optional_positive_int(file, p + "rope.scaling.original_context_length", 0);

    h.attn_scale = 1.0 / std::sqrt(static_cast<double>(h.head_dim));
    if (spec.embd_query_scale_layers != 0 && h.n_layers == spec.embd_query_scale_layers)
        h.attn_scale = 1.0 / std::sqrt(static_cast<double>(h.n_embd / h.n_heads));
    h.attn_softcap = optional_float(file, p + "attn_logit_softcapping", true).value_or(spec.default_attn_softcap);
    h.final_softcap = optional_float(file, p + "final_logit_softcapping", true).value_or(spec.default_final_softcap);
    if (spec.swa_pattern > 0) {
        const auto window = file.get_int(p + "attention.sliding_window");
        if (window && *window < 0)
            throw_error(file.name(), "'{}attention.sliding_window' must not be negative, got {}", p, *window);
        h.sliding_window = window.value_or(0);
        h.swa_pattern = spec.swa_pattern;
    }
    if (spec.default_rope_base_swa > 0) {
        h.rope_base_swa = optional_float(file, p + "rope.freq_base_swa", true).value_or(spec.default_rope_base_swa);
        h.rope_freq_scale_swa = 1.0;
    } else {
        h.rope_base_swa = h.rope_base;
        h.rope_freq_scale_swa = h.rope_freq_scale;
    }
    return h;
}

}  // namespace rocmforge::model
