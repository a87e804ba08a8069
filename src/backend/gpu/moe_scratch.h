#pragma once
// Scratch of GpuBackend::moe_ffn (moe_ffn.cpp), kept across calls: grown, never shrunk.
#include "backend/backend_types.h"
#include "backend/moe_routing.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <vector>

namespace rocmforge::backend::gpu {

struct MoeScratch {
    // Host side of the routing round trip.
    std::vector<float> logits;                   // router logits [n_expert, n_tokens]
    std::vector<ExpertChoice> choices;      // [n_tokens * k], rank order
    std::vector<RowClass> row_class;             // [n_tokens]
    std::vector<int32_t> slots;                  // (token * k + rank) grouped by (row class, expert)
    std::vector<float> weights;                  // [n_tokens * k]
    // Device buffers.
    tensor::Buffer slots_dev, weights_dev;
    tensor::Buffer x_rows, gate, up, y_rows;     // one expert's gathered rows and products
    tensor::Buffer expert_out;                   // [n_embd, n_tokens * k]
    tensor::Buffer shared_gate, shared_up, shared_out, shared_score;
};

}  // namespace rocmforge::backend::gpu
