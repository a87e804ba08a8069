// The decoder forward pass shared by llama, qwen2 and qwen3 (flags from the ArchSpec).
#include "backend/cpu/attention.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/get_rows.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/rms_norm.h"
#include "backend/cpu/rope.h"
#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace rocmforge::model {

namespace cpu = backend::cpu;

namespace {

// Activation buffers for one batch of n tokens, f32, one row per token.
struct Activations {
    std::vector<float> x, x_norm, q, k, v, attn, gate, up;
    std::vector<int32_t> positions;

    Activations(const ModelHparams& h, int64_t n) {
        const auto sz = [n](int64_t row) { return static_cast<size_t>(row * n); };
        x.resize(sz(h.n_embd));
        x_norm.resize(sz(h.n_embd));
        q.resize(sz(h.n_heads * h.head_dim));
        k.resize(sz(h.n_kv_heads * h.head_dim));
        v.resize(sz(h.n_kv_heads * h.head_dim));
        attn.resize(sz(h.n_heads * h.head_dim));
        gate.resize(sz(h.n_ff));
        up.resize(sz(h.n_ff));
        positions.resize(static_cast<size_t>(n));
    }
};

}  // namespace

void Model::forward(std::span<const int32_t> tokens, kv::KvCache& cache, ThreadPool& pool, int64_t n_logit_rows,
                    std::vector<float>& logits) const {
    const auto& h = hparams_;
    const int64_t n = static_cast<int64_t>(tokens.size());
    if (n == 0) return;
    cache.check_room(n);
    const int64_t n_past = cache.size();
    Activations a(h, n);
    std::iota(a.positions.begin(), a.positions.end(), static_cast<int32_t>(n_past));

    cpu::get_rows(weights_.token_embd, tokens.data(), n, a.x.data());

    cpu::RopeParams rope;
    rope.n_rot = h.n_rot;
    rope.freq_base = h.rope_base;
    rope.freq_scale = h.rope_freq_scale;
    rope.freq_factors = weights_.rope_freq_factors.empty() ? nullptr : weights_.rope_freq_factors.data();
    rope.style = spec_->rope_style;
    const auto rope_table = cpu::make_rope_table(a.positions.data(), n, rope);
    const cpu::AttentionShape attn_shape{h.head_dim, h.n_heads, h.n_kv_heads,
                                         static_cast<float>(1.0 / std::sqrt(static_cast<double>(h.head_dim)))};
    const int64_t q_dim = h.n_heads * h.head_dim, kv_dim = h.n_kv_heads * h.head_dim;
    const float eps = static_cast<float>(h.rms_eps);

    for (int64_t il = 0; il < h.n_layers; ++il) {
        const auto& l = weights_.layers[static_cast<size_t>(il)];
        // Attention block: x += Wo · attention(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))
        cpu::rms_norm(a.x.data(), l.attn_norm.data(), a.x_norm.data(), h.n_embd, n, eps);
        const cpu::MatmulTask qkv[] = {{&l.wq, a.q.data()}, {&l.wk, a.k.data()}, {&l.wv, a.v.data()}};
        cpu::matmul_shared_input(qkv, a.x_norm.data(), n, pool);
        if (!l.bq.empty()) {
            cpu::add_bias(a.q.data(), l.bq.data(), q_dim, n);
            cpu::add_bias(a.k.data(), l.bk.data(), kv_dim, n);
            cpu::add_bias(a.v.data(), l.bv.data(), kv_dim, n);
        }
        if (!l.q_norm.empty()) {
            cpu::rms_norm(a.q.data(), l.q_norm.data(), a.q.data(), h.head_dim, n * h.n_heads, eps);
            cpu::rms_norm(a.k.data(), l.k_norm.data(), a.k.data(), h.head_dim, n * h.n_kv_heads, eps);
        }
        cpu::rope(a.q.data(), h.head_dim, h.n_heads, n, rope_table);
        cpu::rope(a.k.data(), h.head_dim, h.n_kv_heads, n, rope_table);
        std::memcpy(cache.k_rows(il, n_past), a.k.data(), a.k.size() * sizeof(float));
        std::memcpy(cache.v_rows(il, n_past), a.v.data(), a.v.size() * sizeof(float));
        cpu::attention(a.q.data(), cache.k_layer(il), cache.v_layer(il), a.attn.data(), attn_shape, n, n_past, pool);
        cpu::matmul(l.wo, a.attn.data(), n, a.x_norm.data(), pool);
        cpu::add_in_place(a.x.data(), a.x_norm.data(), n * h.n_embd);

        // Feed-forward block: x += W_down · (silu(W_gate·n(x)) * W_up·n(x))
        cpu::rms_norm(a.x.data(), l.ffn_norm.data(), a.x_norm.data(), h.n_embd, n, eps);
        const cpu::MatmulTask gate_up[] = {{&l.ffn_gate, a.gate.data()}, {&l.ffn_up, a.up.data()}};
        cpu::matmul_shared_input(gate_up, a.x_norm.data(), n, pool);
        pool.parallel_for(n, [&](int64_t t0, int64_t t1) {
            cpu::swiglu(a.gate.data() + t0 * h.n_ff, a.up.data() + t0 * h.n_ff, a.gate.data() + t0 * h.n_ff,
                        (t1 - t0) * h.n_ff);
        });
        cpu::matmul(l.ffn_down, a.gate.data(), n, a.x_norm.data(), pool);
        cpu::add_in_place(a.x.data(), a.x_norm.data(), n * h.n_embd);
    }
    cache.commit(n);

    const int64_t n_rows = std::clamp<int64_t>(n_logit_rows, 1, n);
    const int64_t first_row = n - n_rows;
    cpu::rms_norm(a.x.data() + first_row * h.n_embd, weights_.output_norm.data(), a.x_norm.data(), h.n_embd, n_rows,
                  eps);
    logits.resize(static_cast<size_t>(n_rows * h.n_vocab));
    cpu::matmul(weights_.output, a.x_norm.data(), n_rows, logits.data(), pool);
}

}  // namespace rocmforge::model
