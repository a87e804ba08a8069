#include "backend/cpu/moe.h"

#include "backend/cpu/elementwise.h"
#include "backend/cpu/matmul.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rocmforge::backend::cpu {

namespace {

// y_rows = down(silu(gate x) * up x) over n_rows gathered rows of one class.
void expert_rows(const tensor::Tensor& gate, const tensor::Tensor& up, const tensor::Tensor& down, const float* x,
                 int64_t n_rows, RowClass row_class, std::vector<float>& g, std::vector<float>& u, float* y,
                 ThreadPool& pool) {
    const int64_t n_ff = gate.ne[1];
    g.resize(static_cast<size_t>(n_ff * n_rows));
    u.resize(static_cast<size_t>(n_ff * n_rows));
    const MatmulRowsTask tasks[] = {{&gate, g.data()}, {&up, u.data()}};
    matmul_shared_input_rows(tasks, x, n_rows, row_class, pool);
    swiglu(g.data(), u.data(), g.data(), n_ff * n_rows);
    matmul_rows(down, g.data(), n_rows, y, row_class, pool);
}

}  // namespace

void moe_ffn(const float* x, const float* logits, int64_t n_embd, int64_t n_expert, int64_t n_tokens,
             const MoeFfn& moe, std::span<const RowClass> row_class, float* out, MoeScratch& s, ThreadPool& pool) {
    const int64_t k = moe.n_used;
    assert(k >= 1 && k <= n_expert && static_cast<int64_t>(moe.gate.size()) == n_expert);
    s.choices.resize(static_cast<size_t>(n_tokens * k));
    for (int64_t t = 0; t < n_tokens; ++t)
        route_token(logits + t * n_expert, n_expert, k, moe.norm_weights, s.choices.data() + t * k);

    // Per expert and row class: gather the routed rows, run the expert on them, scatter back.
    s.expert_out.resize(static_cast<size_t>(n_tokens * k * n_embd));
    for (const RowClass cls : {RowClass::Prefill, RowClass::Decode}) {
        for (int64_t e = 0; e < n_expert; ++e) {
            s.rows.clear();
            for (int64_t t = 0; t < n_tokens; ++t) {
                if (row_class[static_cast<size_t>(t)] != cls) continue;
                for (int64_t slot = 0; slot < k; ++slot)
                    if (s.choices[static_cast<size_t>(t * k + slot)].expert == e) s.rows.push_back(t * k + slot);
            }
            if (s.rows.empty()) continue;
            const auto n_rows = static_cast<int64_t>(s.rows.size());
            s.x_rows.resize(static_cast<size_t>(n_rows * n_embd));
            s.y_rows.resize(static_cast<size_t>(n_rows * n_embd));
            for (int64_t r = 0; r < n_rows; ++r)
                std::copy_n(x + (s.rows[r] / k) * n_embd, n_embd, s.x_rows.data() + r * n_embd);
            const auto ue = static_cast<size_t>(e);
            expert_rows(moe.gate[ue], moe.up[ue], moe.down[ue], s.x_rows.data(), n_rows, cls, s.gate, s.up,
                        s.y_rows.data(), pool);
            for (int64_t r = 0; r < n_rows; ++r)
                std::copy_n(s.y_rows.data() + r * n_embd, n_embd, s.expert_out.data() + s.rows[r] * n_embd);
        }
    }

    // Shared expert over all rows, run by run of one class.
    const bool shared = moe.shared_gate != nullptr;
    if (shared) {
        s.shared_out.resize(static_cast<size_t>(n_tokens * n_embd));
        s.shared_score.resize(static_cast<size_t>(n_tokens));
        for (int64_t t0 = 0; t0 < n_tokens;) {
            int64_t t1 = t0 + 1;
            while (t1 < n_tokens && row_class[static_cast<size_t>(t1)] == row_class[static_cast<size_t>(t0)]) ++t1;
            const RowClass cls = row_class[static_cast<size_t>(t0)];
            expert_rows(*moe.shared_gate, *moe.shared_up, *moe.shared_down, x + t0 * n_embd, t1 - t0, cls,
                        s.shared_gate, s.shared_up, s.shared_out.data() + t0 * n_embd, pool);
            matmul_rows(*moe.shared_gate_inp, x + t0 * n_embd, t1 - t0, s.shared_score.data() + t0, cls, pool);
            t0 = t1;
        }
    }

    for (int64_t t = 0; t < n_tokens; ++t) {
        float* o = out + t * n_embd;
        std::fill_n(o, n_embd, 0.0f);
        for (int64_t slot = 0; slot < k; ++slot) {
            const float w = s.choices[static_cast<size_t>(t * k + slot)].weight;
            const float* y = s.expert_out.data() + (t * k + slot) * n_embd;
            for (int64_t i = 0; i < n_embd; ++i) o[i] += w * y[i];
        }
        if (shared) {
            const float gate = 1.0f / (1.0f + std::exp(-s.shared_score[static_cast<size_t>(t)]));
            const float* y = s.shared_out.data() + t * n_embd;
            for (int64_t i = 0; i < n_embd; ++i) o[i] += gate * y[i];
        }
    }
}

}  // namespace rocmforge::backend::cpu
