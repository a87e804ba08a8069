#pragma once
// Log-probabilities of one position, as the OpenAI API reports them: log-softmax of the raw
// logits (before penalties, temperature and truncation), for the chosen token and the n most
// likely ones.
#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::sample {

struct TokenLogprob {
    int32_t token = 0;
    float logprob = 0.0f;  // natural log, <= 0
};

struct PositionLogprobs {
    TokenLogprob chosen;
    std::vector<TokenLogprob> top;  // the n_top most likely, descending; lower id first on ties
};

// logits: one row of n_vocab finite values; token in [0, n_vocab); n_top in [0, n_vocab].
// Sums in double (max-subtracted), so values are exact to float rounding.
PositionLogprobs position_logprobs(std::span<const float> logits, int32_t token, int32_t n_top);

}  // namespace rocmforge::sample
