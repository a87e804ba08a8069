#pragma once
// Row movement and the weighted sum of the mixture-of-experts FFN (GpuBackend::moe_ffn).
//   gather:  out[r, :] = x[slots[r] / k, :]            x: [n, n_tokens], out: [n, n_rows]
//   scatter: out[slots[r], :] = y[r, :]                y: [n, n_rows],   out: [n, n_tokens * k]
//   combine: out[t, :] = Σ_{s < k} weights[t*k + s] · expert_out[t*k + s, :]   (s in rank order)
//                        + sigmoid(shared_score[t]) · shared_out[t, :]         (when shared_out)
//   gate_score: score[t] = Σ_i w[i] · x[t, i]   w: [n] f32; one block per row, its sum in an order
//               fixed by n alone (a row's score does not depend on the other rows)
// slots: i32 device array of (token * k + rank) entries; all arrays f32 on the device.
#include "backend/gpu/device.h"

#include <cstdint>

namespace rocmforge::backend::gpu {

void launch_moe_gather_rows(const float* x, int64_t n, const int32_t* slots, int64_t k, int64_t n_rows, float* out,
                            StreamHandle stream);
void launch_moe_scatter_rows(const float* y, int64_t n, const int32_t* slots, int64_t n_rows, float* out,
                             StreamHandle stream);
void launch_moe_gate_score(const float* x, const float* w, int64_t n, int64_t n_tokens, float* score,
                           StreamHandle stream);
// shared_out and shared_score: both null (no shared expert) or both set.
void launch_moe_combine(const float* expert_out, const float* weights, int64_t k, const float* shared_out,
                        const float* shared_score, int64_t n, int64_t n_tokens, float* out, StreamHandle stream);

}  // namespace rocmforge::backend::gpu
