// The decoder forward pass shared by llama, qwen2 and qwen3 (flags from the ArchSpec), over a
// batch of sequences, through the Backend interface only: the same code runs on every device.
#include "model/model.h"
#include "util/error.h"

#include <cmath>

namespace rocmforge::model {

tensor::Tensor Model::forward(const backend::Batch& batch, backend::KvStorage& kv, Workspace& ws) const {
    const auto& h = hparams_;
    const int64_t n = batch.n_tokens();
    const int64_t n_logits = batch.n_logit_rows();
    if (n < 1 || n > ws.max_tokens || n_logits > ws.max_logit_rows)
        throw_error("batch", "{} tokens and {} logit rows do not fit the workspace ({} tokens, {} logit rows)", n,
                    n_logits, ws.max_tokens, ws.max_logit_rows);
    batch.validate(kv.shape.block_size, kv.shape.n_blocks);
    for (int64_t t = 0; t < n; ++t) {
        const int32_t id = batch.token_ids[static_cast<size_t>(t)];
        if (id < 0 || id >= h.n_vocab)
            throw_error("get_rows", "token id {} is outside the vocabulary [0, {})", id, h.n_vocab);
    }
    auto& be = *backend_;
    const auto ids = be.begin_batch(batch);
    const auto runs = batch.token_runs();

    auto x = ws.x.first_rows(n), x_norm = ws.x_norm.first_rows(n);
    auto q = ws.q.first_rows(n), k = ws.k.first_rows(n), v = ws.v.first_rows(n), attn = ws.attn.first_rows(n);
    auto gate = ws.gate.first_rows(n), up = ws.up.first_rows(n);
    // Per-head views: [head_dim, heads, n_tokens], and one row per head for the QK norms.
    auto q_heads = q.reshaped({h.head_dim, h.n_heads, n, 1}), k_heads = k.reshaped({h.head_dim, h.n_kv_heads, n, 1});
    auto q_head_rows = q.reshaped({h.head_dim, h.n_heads * n, 1, 1});
    auto k_head_rows = k.reshaped({h.head_dim, h.n_kv_heads * n, 1, 1});

    backend::RopeParams rope;
    rope.n_rot = h.n_rot;
    rope.freq_base = h.rope_base;
    rope.freq_scale = h.rope_freq_scale;
    rope.style = spec_->rope_style;
    const backend::AttentionShape attn_shape{h.head_dim, h.n_heads, h.n_kv_heads,
                                             static_cast<float>(1.0 / std::sqrt(static_cast<double>(h.head_dim)))};
    const float eps = static_cast<float>(h.rms_eps);

    be.get_rows(weights_.token_embd, ids.token_ids, x);
    for (int64_t il = 0; il < h.n_layers; ++il) {
        const auto& l = weights_.layers[static_cast<size_t>(il)];
        // Attention block: x += Wo · attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))
        be.rms_norm(x, l.attn_norm, x_norm, eps);
        const backend::MatmulTask qkv[] = {{&l.wq, &q}, {&l.wk, &k}, {&l.wv, &v}};
        be.matmul_shared_input(qkv, x_norm, runs);
        if (!l.bq.empty()) {
            be.add_bias(q, l.bq);
            be.add_bias(k, l.bk);
            be.add_bias(v, l.bv);
        }
        if (!l.q_norm.empty()) {
            be.rms_norm(q_head_rows, l.q_norm, q_head_rows, eps);
            be.rms_norm(k_head_rows, l.k_norm, k_head_rows, eps);
        }
        be.rope(q_heads, rope, weights_.rope_freq_factors);
        be.rope(k_heads, rope, weights_.rope_freq_factors);
        be.kv_store(kv, il, k, v);
        be.attention(kv, il, q_heads, attn, attn_shape);
        be.matmul(l.wo, attn, x_norm, runs);
        be.add(x, x_norm);

        // Feed-forward block: x += W_down · (silu(W_gate·n(x)) * W_up·n(x))
        be.rms_norm(x, l.ffn_norm, x_norm, eps);
        const backend::MatmulTask gate_up[] = {{&l.ffn_gate, &gate}, {&l.ffn_up, &up}};
        be.matmul_shared_input(gate_up, x_norm, runs);
        be.swiglu(gate, up, gate);
        be.matmul(l.ffn_down, gate, x_norm, runs);
        be.add(x, x_norm);
    }

    // Logits of the requested rows only: gather their hidden states, norm, output matmul.
    auto logits = ws.logits.first_rows(n_logits);
    if (n_logits == 0) return logits;
    auto hidden = ws.x_norm.first_rows(n_logits);
    be.get_rows(x, ids.logit_rows, hidden);
    be.rms_norm(hidden, weights_.output_norm, hidden, eps);
    be.matmul(weights_.output, hidden, logits, batch.logit_runs());
    return logits;
}

}  // namespace rocmforge::model
