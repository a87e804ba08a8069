#include "backend/moe_routing.h"

#include <algorithm>
#include <cmath>

namespace rocmforge::backend {

void route_token(const float* logits, int64_t n_expert, int64_t k, bool normalize, ExpertChoice* out) {
    float max_logit = -INFINITY;
    for (int64_t e = 0; e < n_expert; ++e) max_logit = std::max(max_logit, logits[e]);
    float sum = 0.0f;
    for (int64_t e = 0; e < n_expert; ++e) sum += std::exp(logits[e] - max_logit);
    // Selection by logit equals selection by probability (softmax is monotonic).
    for (int64_t slot = 0; slot < k; ++slot) {
        int32_t best = -1;
        for (int64_t e = 0; e < n_expert; ++e) {
            bool taken = false;
            for (int64_t s = 0; s < slot; ++s) taken |= out[s].expert == e;
            if (!taken && (best < 0 || logits[e] > logits[best])) best = static_cast<int32_t>(e);
        }
        out[slot] = {best, std::exp(logits[best] - max_logit) / sum};
    }
    if (normalize) {
        float selected = 0.0f;
        for (int64_t s = 0; s < k; ++s) selected += out[s].weight;
        for (int64_t s = 0; s < k; ++s) out[s].weight /= selected;
    }
}

}  // namespace rocmforge::backend
