#pragma once
// Activation buffers of the forward pass, allocated once on the backend's device for the largest
// batch (max_tokens tokens, max_logit_rows logit rows) and reused by every step, so their
// addresses never change (GPU graph capture replays fixed pointers).
#include "backend/backend.h"
#include "model/hparams.h"
#include "tensor/tensor.h"

#include <cstdint>

namespace rocmforge::model {

struct Workspace {
    int64_t max_tokens = 0;
    int64_t max_logit_rows = 0;
    // Per token, f32: x, x_norm [n_embd]; q, attn [n_heads*head_dim]; k, v [n_kv_heads*head_dim];
    // gate, up [n_ff]; with experts: router [n_expert], ffn_out [n_embd] (else one float each).
    // Per logit row: logits [n_vocab].
    tensor::Tensor x, x_norm, q, k, v, attn, gate, up, router, ffn_out, logits;
    tensor::Buffer buffer;

    size_t bytes() const { return buffer.bytes(); }
};

// Throws rocmforge::Error when max_tokens or max_logit_rows < 1 or the memory is not available.
Workspace make_workspace(const ModelHparams& h, backend::Backend& backend, int64_t max_tokens, int64_t max_logit_rows);

}  // namespace rocmforge::model
