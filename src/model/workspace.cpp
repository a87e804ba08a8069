#include "model/workspace.h"

#include "util/error.h"

#include <algorithm>
#include <array>

namespace rocmforge::model {

Workspace make_workspace(const ModelHparams& h, backend::Backend& backend, int64_t max_tokens, int64_t max_logit_rows) {
    if (max_tokens < 1 || max_logit_rows < 1)
        throw_error("--batch-tokens", "a step needs room for at least one token and one logit row, got {} and {}",
                    max_tokens, max_logit_rows);
    Workspace ws;
    ws.max_tokens = max_tokens;
    ws.max_logit_rows = max_logit_rows;
    const int64_t q_dim = h.n_heads * h.head_dim, kv_dim = h.n_kv_heads * h.head_dim;
    const bool moe = h.n_expert > 0;
    struct Slot {
        tensor::Tensor* t;
        int64_t row, rows;
    };
    const std::array slots{Slot{&ws.x, h.n_embd, max_tokens},  Slot{&ws.x_norm, h.n_embd, max_tokens},
                           Slot{&ws.q, q_dim, max_tokens},     Slot{&ws.k, kv_dim, max_tokens},
                           Slot{&ws.v, kv_dim, max_tokens},    Slot{&ws.attn, q_dim, max_tokens},
                           Slot{&ws.gate, h.n_ff, max_tokens}, Slot{&ws.up, h.n_ff, max_tokens},
                           Slot{&ws.router, std::max<int64_t>(h.n_expert, 1), moe ? max_tokens : 1},
                           Slot{&ws.ffn_out, moe ? h.n_embd : 1, moe ? max_tokens : 1},
                           Slot{&ws.logits, h.n_vocab, max_logit_rows}};
    constexpr size_t kAlign = 256;  // bytes; every view starts on a fresh cache line / DRAM burst
    size_t total = 0;
    for (const auto& s : slots) total += (static_cast<size_t>(s.row * s.rows) * sizeof(float) + kAlign - 1) / kAlign * kAlign;
    ws.buffer = backend.alloc(total);
    auto* base = static_cast<uint8_t*>(ws.buffer.data());
    size_t offset = 0;
    for (const auto& s : slots) {
        *s.t = tensor::make_tensor(gguf::GgmlType::F32, {s.row, s.rows, 1, 1}, base + offset, backend.device());
        offset += (static_cast<size_t>(s.row * s.rows) * sizeof(float) + kAlign - 1) / kAlign * kAlign;
    }
    return ws;
}

}  // namespace rocmforge::model
