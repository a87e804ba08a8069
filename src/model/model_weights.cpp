#include "model/model_weights.h"

#include "quant/float_bits.h"
#include "quant/quant_traits.h"
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
        const auto& type = gguf::ggml_type_info(info.type);
        if (n_in % type.block_size != 0)
            throw_error(file_.name(), "tensor '{}': row length {} is not a multiple of the {} block size {}", name,
                        n_in, type.name, type.block_size);
        matrix_bytes += info.n_bytes;
        return tensor::make_tensor(info.type, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(info.data));
    }

    // A [n] vector as f32: in place when stored as f32, else converted into `owned`.
    tensor::Tensor vector(const std::string& name, int64_t n, std::vector<std::unique_ptr<float[]>>& owned) const {
        const auto& info = require(name, {n});
        if (info.type == gguf::GgmlType::F32)
            return tensor::make_tensor(gguf::GgmlType::F32, {n, 1, 1, 1}, const_cast<uint8_t*>(info.data));
        if (info.type != gguf::GgmlType::F16 && !quant::is_supported(info.type))
            throw_error(file_.name(), "tensor '{}': type {} cannot be converted to f32", name,
                        gguf::ggml_type_name(info.type));
        const auto& type = gguf::ggml_type_info(info.type);
        if (n % type.block_size != 0)
            throw_error(file_.name(), "tensor '{}': length {} is not a multiple of the {} block size {}", name, n,
                        type.name, type.block_size);
        owned.push_back(std::make_unique<float[]>(static_cast<size_t>(n)));
        float* values = owned.back().get();
        const auto* src = reinterpret_cast<const uint16_t*>(info.data);
        if (info.type == gguf::GgmlType::F16) {
            for (int64_t i = 0; i < n; ++i) values[i] = quant::half_to_float(src[i]);
        } else {
            quant::quant_traits(info.type).to_float(info.data, values, n);
        }
        return tensor::make_tensor(gguf::GgmlType::F32, {n, 1, 1, 1}, values);
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
    w.output_norm = loader.vector("output_norm.weight", h.n_embd, w.host_f32);
    if (loader.find("output.weight") != nullptr) {
        w.output = loader.matrix("output.weight", h.n_embd, h.n_vocab);
    } else {
        w.output = w.token_embd;
        loader.matrix_bytes += gguf::ggml_type_info(w.token_embd.dtype).type_size *
                               static_cast<uint64_t>(w.token_embd.n_elements()) /
                               gguf::ggml_type_info(w.token_embd.dtype).block_size;
    }
    if (loader.find("rope_freqs.weight") != nullptr) w.rope_freq_factors = loader.vector("rope_freqs.weight", h.n_rot / 2, w.host_f32);

    w.layers.resize(static_cast<size_t>(h.n_layers));
    for (int64_t i = 0; i < h.n_layers; ++i) {
        const std::string p = fmt::format("blk.{}.", i);
        auto& l = w.layers[static_cast<size_t>(i)];
        l.attn_norm = loader.vector(p + "attn_norm.weight", h.n_embd, w.host_f32);
        l.wq = loader.matrix(p + "attn_q.weight", h.n_embd, q_dim);
        l.wk = loader.matrix(p + "attn_k.weight", h.n_embd, kv_dim);
        l.wv = loader.matrix(p + "attn_v.weight", h.n_embd, kv_dim);
        l.wo = loader.matrix(p + "attn_output.weight", q_dim, h.n_embd);
        if (spec.qkv_bias) {
            l.bq = loader.vector(p + "attn_q.bias", q_dim, w.host_f32);
            l.bk = loader.vector(p + "attn_k.bias", kv_dim, w.host_f32);
            l.bv = loader.vector(p + "attn_v.bias", kv_dim, w.host_f32);
        }
        if (spec.qk_norm) {
            l.q_norm = loader.vector(p + "attn_q_norm.weight", h.head_dim, w.host_f32);
            l.k_norm = loader.vector(p + "attn_k_norm.weight", h.head_dim, w.host_f32);
        }
        l.ffn_norm = loader.vector(p + "ffn_norm.weight", h.n_embd, w.host_f32);
        l.ffn_gate = loader.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff);
        l.ffn_up = loader.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff);
        l.ffn_down = loader.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd);
    }
    w.matrix_bytes = loader.matrix_bytes;
    return w;
}

void ModelWeights::visit_tensors(
    const std::function<void(const std::string& name, tensor::Tensor& t, backend::Op op)>& fn) {
    using backend::Op;
    const auto visit = [&](const std::string& name, tensor::Tensor& t, Op op) {
        if (!t.empty()) fn(name, t, op);
    };
    const bool tied = output.data == token_embd.data;
    visit("token_embd.weight", token_embd, Op::GetRows);
    visit("output_norm.weight", output_norm, Op::RmsNorm);
    if (!tied) visit("output.weight", output, Op::Matmul);
    visit("rope_freqs.weight", rope_freq_factors, Op::Rope);
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string p = fmt::format("blk.{}.", i);
        auto& l = layers[i];
        visit(p + "attn_norm.weight", l.attn_norm, Op::RmsNorm);
        visit(p + "attn_q.weight", l.wq, Op::Matmul);
        visit(p + "attn_k.weight", l.wk, Op::Matmul);
        visit(p + "attn_v.weight", l.wv, Op::Matmul);
        visit(p + "attn_output.weight", l.wo, Op::Matmul);
        visit(p + "attn_q.bias", l.bq, Op::AddBias);
        visit(p + "attn_k.bias", l.bk, Op::AddBias);
        visit(p + "attn_v.bias", l.bv, Op::AddBias);
        visit(p + "attn_q_norm.weight", l.q_norm, Op::RmsNorm);
        visit(p + "attn_k_norm.weight", l.k_norm, Op::RmsNorm);
        visit(p + "ffn_norm.weight", l.ffn_norm, Op::RmsNorm);
        visit(p + "ffn_gate.weight", l.ffn_gate, Op::Matmul);
        visit(p + "ffn_up.weight", l.ffn_up, Op::Matmul);
        visit(p + "ffn_down.weight", l.ffn_down, Op::Matmul);
    }
    if (tied) output = token_embd;
}

}  // namespace rocmforge::model
