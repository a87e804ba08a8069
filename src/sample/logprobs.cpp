#include "sample/logprobs.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rocmforge::sample {

PositionLogprobs position_logprobs(std::span<const float> logits, int32_t token, int32_t n_top) {
    const auto n_vocab = static_cast<int64_t>(logits.size());
    if (n_vocab == 0) throw_error("logprobs", "empty logits row");
    if (token < 0 || token >= n_vocab) throw_error("logprobs", "token {} outside [0, {})", token, n_vocab);
    if (n_top < 0 || n_top > n_vocab) throw_error("logprobs", "n_top {} outside [0, {}]", n_top, n_vocab);
    const float max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (const float x : logits) sum += std::exp(static_cast<double>(x) - max);
    const double log_z = static_cast<double>(max) + std::log(sum);
    const auto logprob = [&](int32_t id) {
        return static_cast<float>(static_cast<double>(logits[static_cast<size_t>(id)]) - log_z);
    };

    PositionLogprobs out;
    out.chosen = {token, logprob(token)};
    if (n_top == 0) return out;
    std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
    std::iota(ids.begin(), ids.end(), 0);
    const auto more_likely = [&](int32_t a, int32_t b) {
        const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
        return la != lb ? la > lb : a < b;
    };
    std::partial_sort(ids.begin(), ids.begin() + n_top, ids.end(), more_likely);
    out.top.reserve(static_cast<size_t>(n_top));
    for (int32_t i = 0; i < n_top; ++i) {
        const int32_t id = ids[static_cast<size_t>(i)];
        out.top.push_back({id, logprob(id)});
    }
    return out;
}

}  // namespace rocmforge::sample
