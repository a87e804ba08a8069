#pragma once
// Mixture-of-experts FFN on the CPU (MoeFfn in backend/backend_types.h). Routing per token, then
// per expert and row class one batched product over the rows routed to it (matmul_rows), then
// the weighted sum per token in rank order: a row's result depends only on its own input and row
// class (batch invariance).
#include "backend/backend_types.h"
#include "backend/moe_routing.h"
#include "util/thread_pool.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::backend::cpu {

using backend::ExpertChoice;
using backend::route_token;

// Scratch kept across calls (no allocation per step once sized).
struct MoeScratch {
    std::vector<ExpertChoice> choices;               // [n_tokens * k]
    std::vector<float> x_rows, gate, up, y_rows;     // gathered inputs and products of one expert
    std::vector<float> expert_out;                   // [n_tokens * k, n_embd]
    std::vector<float> shared_gate, shared_up, shared_out, shared_score;
    std::vector<int64_t> rows;                       // (token * k + slot) of the rows of one expert
};

// x: [n_embd, n_tokens] f32; logits: [n_expert, n_tokens] f32; out: [n_embd, n_tokens] f32;
// row_class[t] per token.
void moe_ffn(const float* x, const float* logits, int64_t n_embd, int64_t n_expert, int64_t n_tokens,
             const MoeFfn& moe, std::span<const RowClass> row_class, float* out, MoeScratch& scratch,
             ThreadPool& pool);

}  // namespace rocmforge::backend::cpu
