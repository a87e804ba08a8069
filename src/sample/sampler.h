#pragma once
// Sampler chain, applied in this order to the logits of one position:
//   penalties (repetition / presence / frequency over the last `penalty_last_n` tokens)
//   → temperature 0: argmax (greedy), done
//   → top-k → top-p → min-p → temperature → softmax → draw with the seeded RNG.
// The same seed and inputs give the same tokens on every run and machine (std::mt19937_64 and
// our own uniform mapping; no std:: distributions, whose output is implementation-defined).
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <vector>

namespace rocmforge::sample {

struct SamplerParams {
    float temperature = 0.8f;        // 0 = greedy; must be >= 0
    int32_t top_k = 40;              // <= 0: disabled
    float top_p = 0.95f;             // in (0, 1]; 1 = disabled
    float min_p = 0.05f;             // in [0, 1]; 0 = disabled
    float repeat_penalty = 1.0f;     // > 0; 1 = disabled (logit / p if > 0, logit * p otherwise)
    float presence_penalty = 0.0f;   // subtracted once per token present in the window
    float frequency_penalty = 0.0f;  // subtracted per occurrence in the window
    int32_t penalty_last_n = 64;     // window of recent tokens for the penalties; 0 = disabled
    uint64_t seed = 0;
};

// Throws rocmforge::Error naming the flag and value ("--top-p must be in (0, 1], got 1.5").
void validate(const SamplerParams& params);

class Sampler {
public:
    // Validates params. n_vocab: row length of the logits passed to sample().
    Sampler(const SamplerParams& params, int64_t n_vocab);

    // Picks the next token from one row of n_vocab logits (not modified).
    int32_t sample(std::span<const float> logits);
    // Whether sample() is the plain argmax of the logits now (temperature 0, no penalty in
    // effect), so a caller may take the argmax where the logits are.
    bool plain_argmax() const;
    // Records a token (prompt or generated) in the penalty window.
    void accept(int32_t token);
    void reset();

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };
    void apply_penalties(std::vector<Candidate>& candidates) const;
    double uniform01();

    SamplerParams params_;
    int64_t n_vocab_;
    std::deque<int32_t> recent_;
    std::mt19937_64 rng_;
    std::vector<Candidate> candidates_;
};

// Greedy choice: index of the largest logit (lowest index on ties).
int32_t argmax(std::span<const float> logits);

}  // namespace rocmforge::sample
