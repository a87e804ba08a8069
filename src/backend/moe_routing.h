#pragma once
// Mixture-of-experts routing of one token (MoeFfn in backend_types.h), shared by the CPU op and
// the GPU backend (which routes on the host), so both pick the same experts and weights.
#include <cstdint>

namespace rocmforge::backend {

struct ExpertChoice {
    int32_t expert = 0;
    float weight = 0.0f;
};

// The k experts of highest softmax(logits) probability, best first (ties: lower index), with their
// probabilities as weights, divided by the weights' sum when `normalize`. logits: [n_expert].
void route_token(const float* logits, int64_t n_expert, int64_t k, bool normalize, ExpertChoice* out);

}  // namespace rocmforge::backend
