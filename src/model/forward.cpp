// The decoder forward pass shared by every family (flags from the ArchSpec), over a batch of
// sequences, through the Backend interface only: the same code runs on every device.
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

    // Global layers and sliding-window layers differ in their rope base (gemma3) and window.
    backend::RopeParams rope_global;
    rope_global.n_rot = h.n_rot;
    rope_global.freq_base = h.rope_base;
    rope_global.freq_scale = h.rope_freq_scale;
    rope_global.style = spec_->rope_style;
    rope_global.attn_factor = h.rope_attn_factor;
    rope_global.long_context = weights_.long_rope ? h.rope_original_context : 0;
    backend::RopeParams rope_local = rope_global;
    rope_local.freq_base = h.rope_base_swa;
    rope_local.freq_scale = h.rope_freq_scale_swa;
    backend::AttentionShape attn_global{h.head_dim, h.n_heads, h.n_kv_heads, static_cast<float>(h.attn_scale),
                                        static_cast<float>(h.attn_softcap), 0};
    backend::AttentionShape attn_local = attn_global;
    attn_local.window = h.sliding_window;
    const float eps = static_cast<float>(h.rms_eps);
    const bool gelu = spec_->ffn_activation == FfnActivation::GeluTanh;

    auto logits = ws.logits.first_rows(n_logits);
    const void* const buffers[] = {ws.x.data, kv.k.empty() ? nullptr : kv.k[0].data};
    be.run_step(buffers, [&] {
        be.get_rows(weights_.token_embd, ids.token_ids, x);
        if (spec_->embedding_scale) be.scale(x, std::sqrt(static_cast<float>(h.n_embd)));
        // x_norm holds a block's output not yet added to x: the add is fused with the next norm.
        bool pending_add = false;
        const auto norm_into = [&](const tensor::Tensor& weight) {
            if (pending_add)
                be.add_rms_norm(x, x_norm, weight, x_norm, eps);
            else
                be.rms_norm(x, weight, x_norm, eps);
            pending_add = false;
        };
        for (int64_t il = 0; il < h.n_layers; ++il) {
            const auto& l = weights_.layers[static_cast<size_t>(il)];
            const bool sliding = h.is_sliding(il);
            const auto& rope = sliding ? rope_local : rope_global;
            // Attention block: x += [post_norm] Wo · attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))
            const backend::MatmulTask qkv[] = {{&l.wq, &q}, {&l.wk, &k}, {&l.wv, &v}};
            be.norm_matmul_shared_input(x, pending_add ? &x_norm : nullptr, l.attn_norm, x_norm, eps, qkv, runs);
            pending_add = false;
            if (!l.bq.empty()) {
                be.add_bias(q, l.bq);
                be.add_bias(k, l.bk);
                be.add_bias(v, l.bv);
            }
            if (!l.q_norm.empty()) {
                be.rms_norm(q_head_rows, l.q_norm, q_head_rows, eps);
                be.rms_norm(k_head_rows, l.k_norm, k_head_rows, eps);
            }
            be.rope_kv_store_attention(q_heads, k_heads, v, rope, weights_.rope_freq_factors, kv, il, attn,
                                       sliding ? attn_local : attn_global);
            be.matmul(l.wo, attn, x_norm, runs);
            if (!l.post_attn_norm.empty()) be.rms_norm(x_norm, l.post_attn_norm, x_norm, eps);
            pending_add = true;

            if (!l.ffn_gate_inp.empty()) {
                norm_into(l.ffn_norm);
                // Mixture of experts: x += moe(n(x)), routed by the logits W_gate_inp·n(x).
                auto router = ws.router.first_rows(n), ffn_out = ws.ffn_out.first_rows(n);
                be.matmul(l.ffn_gate_inp, x_norm, router, runs);
                backend::MoeFfn moe;
                moe.gate = l.ffn_gate_exps;
                moe.up = l.ffn_up_exps;
                moe.down = l.ffn_down_exps;
                moe.n_used = h.n_expert_used;
                moe.norm_weights = h.expert_weights_norm;
                if (!l.ffn_gate_shexp.empty()) {
                    moe.shared_gate = &l.ffn_gate_shexp;
                    moe.shared_up = &l.ffn_up_shexp;
                    moe.shared_down = &l.ffn_down_shexp;
                    moe.shared_gate_inp = &l.ffn_gate_inp_shexp;
                }
                be.moe_ffn(x_norm, router, moe, ffn_out, runs);
                be.add(x, ffn_out);
                continue;
            }
            // Feed-forward block: x += [post_norm] W_down · (act(W_gate·n(x)) * W_up·n(x)), act = silu or gelu
            const backend::MatmulTask gate_up[] = {{&l.ffn_gate, &gate}, {&l.ffn_up, &up}};
            be.norm_matmul_shared_input(x, pending_add ? &x_norm : nullptr, l.ffn_norm, x_norm, eps, gate_up, runs);
            pending_add = false;
            if (gelu) {
                be.geglu(gate, up, gate);
                be.matmul(l.ffn_down, gate, x_norm, runs);
            } else {
                be.swiglu_matmul(gate, up, l.ffn_down, x_norm, runs);
            }
            if (!l.post_ffn_norm.empty()) be.rms_norm(x_norm, l.post_ffn_norm, x_norm, eps);
            pending_add = true;
        }
        if (pending_add) be.add(x, x_norm);

        // Logits of the requested rows only: gather their hidden states, norm, output matmul.
        if (n_logits == 0) return;
        auto hidden = ws.x_norm.first_rows(n_logits);
        be.get_rows(x, ids.logit_rows, hidden);
        be.rms_norm(hidden, weights_.output_norm, hidden, eps);
        be.matmul(weights_.output, hidden, logits, batch.logit_runs());
        if (h.final_softcap > 0) be.softcap(logits, static_cast<float>(h.final_softcap));
    });
    return logits;
}

}  // namespace rocmforge::model
