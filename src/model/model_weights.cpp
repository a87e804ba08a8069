#include "model/model_weights.h"

#include "backend/cpu/dequantize_row.h"
#include "util/error.h"

#include <fmt/format.h>

namespace rocmforge::model {
namespace {

std::string shape_text(const std::vector<int64_t>& ne) {
    std::string s;
    for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return "[" + s + "]";
}

class WeightLoader {
public:
    explicit WeightLoader(const gguf::GgufFile& file) : file_(file) {}

    const gguf::TensorInfo* find(const std::string& name) const { return file_.find_tensor(name); }

    // A tensor of exactly `expected` shape (GGML order; trailing 1s ignored).
    const gguf::TensorInfo& require(const std::string& name, const std::vector<int64_t>& expected) const {
        const auto* info = find(name);
        if (info == nullptr)
            throw_error(file_.name(), "missing tensor '{}' (expected shape {})", name, shape_text(expected));
        std::vector<int64_t> actual = info->ne;
        while (actual.size() > expected.size() && actual.back() == 1) actual.pop_back();
        if (actual != expected)
            throw_error(file_.name(), "tensor '{}' has shape {}, expected {}", name, shape_text(info->ne),
                        shape_text(expected));
        return *info;
    }

    tensor::Tensor matrix(const std::string& name, int64_t n_in, int64_t n_out) {
        const auto& info = require(name, {n_in, n_out});
        backend::cpu::check_weight_type_supported(info.type, file_.name() + ": tensor '" + name + "'");
        const auto& type = gguf::ggml_type_info(info.type);
        if (n_in % type.block_size != 0)
            throw_error(file_.name(), "tensor '{}': row length {} is not a multiple of the {} block size {}", name,
                        n_in, type.name, type.block_size);
        matrix_bytes += info.n_bytes;
        return tensor::make_tensor(info.type, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(info.data));
    }

    std::vector<float> vector(const std::string& name, int64_t n) const {
        const auto& info = require(name, {n});
        backend::cpu::check_weight_type_supported(info.type, file_.name() + ": tensor '" + name + "'");
        std::vector<float> values(static_cast<size_t>(n));
        const auto view = tensor::make_tensor(info.type, {n, 1, 1, 1}, const_cast<uint8_t*>(info.data));
        backend::cpu::dequantize_row(view, 0, values.data());
        return values;
    }

    uint64_t matrix_bytes = 0;

private:
    const gguf::GgufFile& file_;
};

}  // namespace

ModelWeights load_weights(const gguf::GgufFile& file, const ArchSpec& spec, const ModelHparams& h) {
    WeightLoader loader(file);
    ModelWeights w;
    const int64_t q_dim = h.n_heads * h.head_dim;
    const int64_t kv_dim = h.n_kv_heads * h.head_dim;
    w.token_embd = loader.matrix("token_embd.weight", h.n_embd, h.n_vocab);
    loader.matrix_bytes = 0;  // the embedding is gathered (one row per token), not multiplied
    w.output_norm = loader.vector("output_norm.weight", h.n_embd);
    if (loader.find("output.weight") != nullptr) {
        w.output = loader.matrix("output.weight", h.n_embd, h.n_vocab);
    } else {
        w.output = w.token_embd;
        loader.matrix_bytes += gguf::ggml_type_info(w.token_embd.dtype).type_size *
                               static_cast<uint64_t>(w.token_embd.n_elements()) /
                               gguf::ggml_type_info(w.token_embd.dtype).block_size;
    }
    if (loader.find("rope_freqs.weight") != nullptr) w.rope_freq_factors = loader.vector("rope_freqs.weight", h.n_rot / 2);

    w.layers.resize(static_cast<size_t>(h.n_layers));
    for (int64_t i = 0; i < h.n_layers; ++i) {
        const std::string p = fmt::format("blk.{}.", i);
        auto& l = w.layers[static_cast<size_t>(i)];
        l.attn_norm = loader.vector(p + "attn_norm.weight", h.n_embd);
        l.wq = loader.matrix(p + "attn_q.weight", h.n_embd, q_dim);
        l.wk = loader.matrix(p + "attn_k.weight", h.n_embd, kv_dim);
        l.wv = loader.matrix(p + "attn_v.weight", h.n_embd, kv_dim);
        l.wo = loader.matrix(p + "attn_output.weight", q_dim, h.n_embd);
        if (spec.qkv_bias) {
            l.bq = loader.vector(p + "attn_q.bias", q_dim);
            l.bk = loader.vector(p + "attn_k.bias", kv_dim);
            l.bv = loader.vector(p + "attn_v.bias", kv_dim);
        }
        if (spec.qk_norm) {
            l.q_norm = loader.vector(p + "attn_q_norm.weight", h.head_dim);
            l.k_norm = loader.vector(p + "attn_k_norm.weight", h.head_dim);
        }
        l.ffn_norm = loader.vector(p + "ffn_norm.weight", h.n_embd);
        l.ffn_gate = loader.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff);
        l.ffn_up = loader.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff);
        l.ffn_down = loader.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd);
    }
    w.matrix_bytes = loader.matrix_bytes;
    return w;
}

}  // namespace rocmforge::model
