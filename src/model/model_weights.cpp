#include "model/model_weights.h"

#include "quant/float_bits.h"
#include "quant/quant_traits.h"
#include "util/error.h"

#include <fmt/format.h>

#include <algorithm>

namespace rocmforge::model {
namespace {

std::string shape_text(const std::vector<int64_t>& ne) {
    std::string s;
    for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
    return "[" + s + "]";
}

// Rows [begin, begin + count) of matrix m (a fused tensor's part: whole rows, so any block type).
tensor::Tensor row_range(const tensor::Tensor& m, int64_t begin, int64_t count) {
    return tensor::make_tensor(m.dtype, {m.ne[0], count, 1, 1}, const_cast<uint8_t*>(m.row_ptr(begin)), m.device);
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

    // A [n_in, n_out, n_expert] stack of expert matrices, as one view per expert. Only n_used of
    // n_expert experts are read per token (for the bytes-per-token figure).
    std::vector<tensor::Tensor> experts(const std::string& name, int64_t n_in, int64_t n_out, int64_t n_expert,
                                        int64_t n_used) {
        const auto& info = require(name, {n_in, n_out, n_expert});
        const auto& type = gguf::ggml_type_info(info.type);
        if (n_in % type.block_size != 0)
            throw_error(file_.name(), "tensor '{}': row length {} is not a multiple of the {} block size {}", name,
                        n_in, type.name, type.block_size);
        matrix_bytes += info.n_bytes / static_cast<uint64_t>(n_expert) * static_cast<uint64_t>(n_used);
        auto* data = const_cast<uint8_t*>(info.data);
        const auto all = tensor::make_tensor(info.type, {n_in, n_out * n_expert, 1, 1}, data);
        std::vector<tensor::Tensor> parts;
        for (int64_t e = 0; e < n_expert; ++e)
            parts.push_back(row_range(all, e * n_out, n_out));
        return parts;
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
    if (loader.find("rope_factors_long.weight") != nullptr || loader.find("rope_factors_short.weight") != nullptr) {
        // LongRoPE: [n_rot/2, 2], short factors then long ones (RopeParams::long_context).
        if (h.rope_original_context == 0)
            throw_error(file.name(), "LongRoPE factors need '{}.rope.scaling.original_context_length'", h.arch);
        const int64_t half = h.n_rot / 2;
        std::vector<std::unique_ptr<float[]>> parts;
        const auto short_factors = loader.vector("rope_factors_short.weight", half, parts);
        const auto long_factors = loader.vector("rope_factors_long.weight", half, parts);
        w.host_f32.push_back(std::make_unique<float[]>(static_cast<size_t>(2 * half)));
        float* both = w.host_f32.back().get();
        std::copy_n(short_factors.data_as<float>(), half, both);
        std::copy_n(long_factors.data_as<float>(), half, both + half);
        w.rope_freq_factors = tensor::make_tensor(gguf::GgmlType::F32, {half, 2, 1, 1}, both);
        w.long_rope = true;
    } else if (loader.find("rope_freqs.weight") != nullptr) {
        w.rope_freq_factors = loader.vector("rope_freqs.weight", h.n_rot / 2, w.host_f32);
    }

    w.layers.resize(static_cast<size_t>(h.n_layers));
    for (int64_t i = 0; i < h.n_layers; ++i) {
        const std::string p = fmt::format("blk.{}.", i);
        auto& l = w.layers[static_cast<size_t>(i)];
        l.attn_norm = loader.vector(p + "attn_norm.weight", h.n_embd, w.host_f32);
        if (loader.find(p + "attn_qkv.weight") != nullptr) {
            const auto qkv = loader.matrix(p + "attn_qkv.weight", h.n_embd, q_dim + 2 * kv_dim);
            l.wq = row_range(qkv, 0, q_dim);
            l.wk = row_range(qkv, q_dim, kv_dim);
            l.wv = row_range(qkv, q_dim + kv_dim, kv_dim);
            l.fused_qkv = true;
            if (spec.qkv_bias) {  // attn_qkv.bias [q_dim + 2 kv_dim]: Q, K, V parts
                const auto bias = loader.vector(p + "attn_qkv.bias", q_dim + 2 * kv_dim, w.host_f32);
                auto* b = const_cast<float*>(bias.data_as<float>());
                l.bq = tensor::make_tensor(gguf::GgmlType::F32, {q_dim, 1, 1, 1}, b);
                l.bk = tensor::make_tensor(gguf::GgmlType::F32, {kv_dim, 1, 1, 1}, b + q_dim);
                l.bv = tensor::make_tensor(gguf::GgmlType::F32, {kv_dim, 1, 1, 1}, b + q_dim + kv_dim);
            }
        } else {
            l.wq = loader.matrix(p + "attn_q.weight", h.n_embd, q_dim);
            l.wk = loader.matrix(p + "attn_k.weight", h.n_embd, kv_dim);
            l.wv = loader.matrix(p + "attn_v.weight", h.n_embd, kv_dim);
        }
        l.wo = loader.matrix(p + "attn_output.weight", q_dim, h.n_embd);
        if (spec.qkv_bias && !l.fused_qkv) {
            l.bq = loader.vector(p + "attn_q.bias", q_dim, w.host_f32);
            l.bk = loader.vector(p + "attn_k.bias", kv_dim, w.host_f32);
            l.bv = loader.vector(p + "attn_v.bias", kv_dim, w.host_f32);
        }
        if (spec.qk_norm) {
            l.q_norm = loader.vector(p + "attn_q_norm.weight", h.head_dim, w.host_f32);
            l.k_norm = loader.vector(p + "attn_k_norm.weight", h.head_dim, w.host_f32);
        }
        if (spec.post_norms) {
            l.post_attn_norm = loader.vector(p + "post_attention_norm.weight", h.n_embd, w.host_f32);
            l.post_ffn_norm = loader.vector(p + "post_ffw_norm.weight", h.n_embd, w.host_f32);
        }
        l.ffn_norm = loader.vector(p + "ffn_norm.weight", h.n_embd, w.host_f32);
        if (h.n_expert > 0) {
            l.ffn_gate_inp = loader.matrix(p + "ffn_gate_inp.weight", h.n_embd, h.n_expert);
            const int64_t n_exp = h.n_expert, n_used = h.n_expert_used;
            l.ffn_gate_exps = loader.experts(p + "ffn_gate_exps.weight", h.n_embd, h.n_ff_exp, n_exp, n_used);
            l.ffn_up_exps = loader.experts(p + "ffn_up_exps.weight", h.n_embd, h.n_ff_exp, n_exp, n_used);
            l.ffn_down_exps = loader.experts(p + "ffn_down_exps.weight", h.n_ff_exp, h.n_embd, n_exp, n_used);
            if (spec.shared_expert) {
                l.ffn_gate_shexp = loader.matrix(p + "ffn_gate_shexp.weight", h.n_embd, h.n_ff_shexp);
                l.ffn_up_shexp = loader.matrix(p + "ffn_up_shexp.weight", h.n_embd, h.n_ff_shexp);
                l.ffn_down_shexp = loader.matrix(p + "ffn_down_shexp.weight", h.n_ff_shexp, h.n_embd);
                // One output row: [n_embd] in the file, a [n_embd, 1] f32 matrix here.
                l.ffn_gate_inp_shexp = loader.vector(p + "ffn_gate_inp_shexp.weight", h.n_embd, w.host_f32);
                l.ffn_gate_inp_shexp = tensor::make_tensor(gguf::GgmlType::F32, {h.n_embd, 1, 1, 1},
                                                           l.ffn_gate_inp_shexp.data);
            }
        } else if (spec.fused_gate_up) {
            const auto gate_up = loader.matrix(p + "ffn_up.weight", h.n_embd, 2 * h.n_ff);
            l.ffn_gate = row_range(gate_up, 0, h.n_ff);
            l.ffn_up = row_range(gate_up, h.n_ff, h.n_ff);
        } else {
            l.ffn_gate = loader.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff);
            l.ffn_up = loader.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff);
        }
        if (h.n_expert == 0) l.ffn_down = loader.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd);
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
    visit(long_rope ? "rope_factors_short/long.weight" : "rope_freqs.weight", rope_freq_factors, Op::Rope);
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string p = fmt::format("blk.{}.", i);
        auto& l = layers[i];
        visit(p + "attn_norm.weight", l.attn_norm, Op::RmsNorm);
        // Fused tensors are visited (and uploaded) as their Q/K/V or gate/up parts.
        const std::string qkv = l.fused_qkv ? p + "attn_qkv.weight" : "";
        visit(l.fused_qkv ? qkv + " (q rows)" : p + "attn_q.weight", l.wq, Op::Matmul);
        visit(l.fused_qkv ? qkv + " (k rows)" : p + "attn_k.weight", l.wk, Op::Matmul);
        visit(l.fused_qkv ? qkv + " (v rows)" : p + "attn_v.weight", l.wv, Op::Matmul);
        visit(p + "attn_output.weight", l.wo, Op::Matmul);
        visit(l.fused_qkv ? p + "attn_qkv.bias (q)" : p + "attn_q.bias", l.bq, Op::AddBias);
        visit(l.fused_qkv ? p + "attn_qkv.bias (k)" : p + "attn_k.bias", l.bk, Op::AddBias);
        visit(l.fused_qkv ? p + "attn_qkv.bias (v)" : p + "attn_v.bias", l.bv, Op::AddBias);
        visit(p + "attn_q_norm.weight", l.q_norm, Op::RmsNorm);
        visit(p + "attn_k_norm.weight", l.k_norm, Op::RmsNorm);
        visit(p + "post_attention_norm.weight", l.post_attn_norm, Op::RmsNorm);
        visit(p + "ffn_norm.weight", l.ffn_norm, Op::RmsNorm);
        visit(p + "post_ffw_norm.weight", l.post_ffn_norm, Op::RmsNorm);
        visit(p + "ffn_gate.weight", l.ffn_gate, Op::Matmul);
        visit(p + "ffn_up.weight", l.ffn_up, Op::Matmul);
        visit(p + "ffn_down.weight", l.ffn_down, Op::Matmul);
        visit(p + "ffn_gate_inp.weight", l.ffn_gate_inp, Op::Matmul);
        for (auto [list, name] : {std::pair{&l.ffn_gate_exps, "ffn_gate_exps"}, {&l.ffn_up_exps, "ffn_up_exps"},
                                  {&l.ffn_down_exps, "ffn_down_exps"}})
            for (size_t e = 0; e < list->size(); ++e)
                visit(fmt::format("{}{}.weight (expert {})", p, name, e), (*list)[e], Op::MoeFfn);
        visit(p + "ffn_gate_shexp.weight", l.ffn_gate_shexp, Op::MoeFfn);
        visit(p + "ffn_up_shexp.weight", l.ffn_up_shexp, Op::MoeFfn);
        visit(p + "ffn_down_shexp.weight", l.ffn_down_shexp, Op::MoeFfn);
        visit(p + "ffn_gate_inp_shexp.weight", l.ffn_gate_inp_shexp, Op::MoeFfn);
    }
    if (tied) output = token_embd;
}

}  // namespace rocmforge::model
